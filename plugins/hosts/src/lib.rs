//! The `hosts` tool group: list and inspect ESXi hosts, and move them in and
//! out of maintenance mode (MCP tools `infra.vmware.hosts.*`).
//!
//! This file declares the tools and their argument types; the work lives in
//! one module per tool family. Host and cluster arguments accept a name, an
//! inventory path (`DC0/host/C0/esx1`) or an id (`host-12`, `domain-c7`).

mod info;
mod list;
mod maintenance;
mod summary;

use serde::Deserialize;
use vmware_plugin_sdk::prelude::*;

/// How a host argument is described in every input schema: briefly, since
/// the server's instructions say once what a name, path or id looks like.
const HOST_ARG: &str = "The host: name, inventory path or id.";

/// Arguments of tools that act on one host.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct HostArgs {
    /// The host.
    #[schemars(description = HOST_ARG, length(min = 1))]
    host_name: String,
}

/// The group's tools; built on every call (cheap) because handlers are not `Sync`.
fn toolbox() -> Toolbox {
    Toolbox::new("hosts", env!("CARGO_PKG_VERSION"))
        // Exactly the types the tools read; each tool declares the methods it
        // invokes. The host refuses anything else and derives the vSphere
        // role from these lists.
        .reads(&[
            "HostSystem",
            "ClusterComputeResource",
            "VirtualMachine",
            "Datastore",
        ])
        .tool(
            ToolSpec::new(
                "listHosts",
                "List ESXi hosts with cluster, connection and power state, maintenance mode, CPU and memory capacity and usage, \
                 VM count and version, a page at a time in inventory-path order (50 rows by default; pass nextCursor as cursor \
                 for the next page). Filter by cluster, connection state or maintenance mode; `total` counts every match.",
            )
            .read_only(),
            |args: list::ListArgs| list::list_hosts(&args),
        )
        .tool(
            ToolSpec::new(
                "getHostInfo",
                "Show one ESXi host in detail: state, hardware (vendor, model, CPU), usage, uptime, version, its VMs and datastores.",
            )
            .read_only(),
            |args: HostArgs| info::host_info(&args.host_name),
        )
        .tool(
            ToolSpec::new(
                "enterMaintenanceMode",
                "Put an ESXi host into maintenance mode (after approval). Running VMs must be migrated (e.g. by DRS) or \
                 powered off before the host gets there; powered-off VMs stay. Fails with invalid_state if it is already in maintenance mode.",
            )
            .invokes(&[maintenance::Direction::Enter.method()])
            .destructive()
            .idempotent(),
            |args: HostArgs| maintenance::change(&args.host_name, maintenance::Direction::Enter),
        )
        .tool(
            ToolSpec::new(
                "exitMaintenanceMode",
                "Take an ESXi host out of maintenance mode (after approval). Fails with invalid_state if it is not in maintenance mode.",
            )
            .invokes(&[maintenance::Direction::Exit.method()])
            .idempotent(),
            |args: HostArgs| maintenance::change(&args.host_name, maintenance::Direction::Exit),
        )
}

vmware_plugin_sdk::export_tool_group!(toolbox);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declares_the_contracted_tools() {
        let manifest = toolbox().manifest();
        assert_eq!(manifest.group, "hosts");
        let names: Vec<&str> = manifest.tools.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "listHosts",
                "getHostInfo",
                "enterMaintenanceMode",
                "exitMaintenanceMode"
            ]
        );
        assert!(manifest.tools[0].annotations.read_only && manifest.tools[1].annotations.read_only);
        assert!(
            !manifest.tools[2].annotations.read_only && !manifest.tools[3].annotations.read_only
        );
    }

    #[test]
    fn bad_arguments_fail_before_any_vsphere_call() {
        let toolbox = toolbox();
        assert!(
            matches!(toolbox.call("getHostInfo", "{}"), Err(Error::InvalidArgument(m)) if m.contains("hostName"))
        );
        assert!(
            matches!(toolbox.call("listHosts", r#"{"cluster": "C0"}"#), Err(Error::InvalidArgument(m)) if m.contains("clusterName"))
        );
        assert!(
            matches!(toolbox.call("rebootHost", "{}"), Err(Error::InvalidArgument(m)) if m.contains("listHosts"))
        );
    }
}
