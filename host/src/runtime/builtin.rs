//! The built-in tool groups, embedded in the binary at build time so the
//! server runs from any directory with no plugin files beside it.

/// The vms tool group component.
pub const VMS: &[u8] = include_bytes!(env!("VMWARE_MCP_PLUGIN_VMS"));
/// The hosts tool group component.
pub const HOSTS: &[u8] = include_bytes!(env!("VMWARE_MCP_PLUGIN_HOSTS"));
/// The storage tool group component.
pub const STORAGE: &[u8] = include_bytes!(env!("VMWARE_MCP_PLUGIN_STORAGE"));
/// The events tool group component.
pub const EVENTS: &[u8] = include_bytes!(env!("VMWARE_MCP_PLUGIN_EVENTS"));
/// The performance statistics tool group component.
pub const PERF: &[u8] = include_bytes!(env!("VMWARE_MCP_PLUGIN_PERF"));
/// The networks tool group component.
pub const NETWORKS: &[u8] = include_bytes!(env!("VMWARE_MCP_PLUGIN_NETWORKS"));
/// The clusters tool group component.
pub const CLUSTERS: &[u8] = include_bytes!(env!("VMWARE_MCP_PLUGIN_CLUSTERS"));

/// The groups loaded with no flags: `(source name, component bytes)`.
pub fn components() -> [(&'static str, &'static [u8]); 7] {
    [
        ("builtin:vms", VMS),
        ("builtin:hosts", HOSTS),
        ("builtin:storage", STORAGE),
        ("builtin:events", EVENTS),
        ("builtin:perf", PERF),
        ("builtin:networks", NETWORKS),
        ("builtin:clusters", CLUSTERS),
    ]
}
