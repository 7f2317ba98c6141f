//! What the index watches: the managed object types it holds and the
//! properties it reads of each, shared by the follower's feed, the direct
//! reads that fall back when the feed is down, and the listings' filters.

use crate::vsphere::WatchSpec;

use super::kind::Kind;

/// The managed object types the index holds (subtypes included: clusters
/// are compute resources, port groups are networks, vApps are pools).
pub const WATCHED_TYPES: [&str; 8] = [
    "Folder",
    "Datacenter",
    "ComputeResource",
    "ResourcePool",
    "VirtualMachine",
    "HostSystem",
    "Datastore",
    "Network",
];

/// The properties every indexed object carries.
const STRUCTURE: [&str; 2] = ["name", "parent"];

/// The indexed properties of VMs: what lists filter on and show.
const VM_PROPERTIES: [&str; 8] = [
    "runtime.powerState",
    "runtime.host",
    "config.guestFullName",
    "config.guestId",
    "config.template",
    "config.hardware.numCPU",
    "config.hardware.memoryMB",
    "guest.ipAddress",
];

/// The filterable properties of hosts.
const HOST_PROPERTIES: [&str; 2] = ["runtime.connectionState", "runtime.inMaintenanceMode"];

/// The filterable properties of datastores.
const DATASTORE_PROPERTIES: [&str; 1] = ["summary.type"];

/// The properties of one type the index reads, beyond `name` and `parent`.
fn extra_properties(object_type: &str) -> &'static [&'static str] {
    match object_type {
        "VirtualMachine" => &VM_PROPERTIES,
        "HostSystem" => &HOST_PROPERTIES,
        "Datastore" => &DATASTORE_PROPERTIES,
        _ => &[],
    }
}

/// The indexed properties a listing of `kind` can filter on, besides `name`.
pub fn indexed_properties(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::VirtualMachine => &VM_PROPERTIES,
        Kind::HostSystem => &HOST_PROPERTIES,
        Kind::Datastore => &DATASTORE_PROPERTIES,
        _ => &[],
    }
}

/// The properties the index reads of an object of `object_type` (a subtype
/// reads what its base type reads).
pub fn properties_of(object_type: &str) -> Vec<String> {
    let base = match object_type {
        "ClusterComputeResource" => "ComputeResource",
        "VirtualApp" => "ResourcePool",
        "DistributedVirtualPortgroup" | "OpaqueNetwork" => "Network",
        other => other,
    };
    STRUCTURE
        .iter()
        .chain(extra_properties(base))
        .map(|p| p.to_string())
        .collect()
}

/// Whether the index holds objects of this type.
pub fn is_watched(object_type: &str) -> bool {
    WATCHED_TYPES.contains(&object_type)
        || matches!(
            object_type,
            "ClusterComputeResource"
                | "VirtualApp"
                | "DistributedVirtualPortgroup"
                | "OpaqueNetwork"
        )
}

/// The feed's specification: every watched type with its properties.
pub fn watch_spec() -> WatchSpec {
    WatchSpec {
        types: WATCHED_TYPES
            .iter()
            .map(|t| (t.to_string(), properties_of(t)))
            .collect(),
        objects: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subtypes_read_their_base_types_properties() {
        assert_eq!(properties_of("ClusterComputeResource"), ["name", "parent"]);
        assert!(properties_of("VirtualMachine").contains(&"runtime.host".to_string()));
        assert!(is_watched("DistributedVirtualPortgroup"));
        assert!(!is_watched("Task"));
    }
}
