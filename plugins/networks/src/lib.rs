//! The `networks` tool group: list and inspect networks, standard port
//! groups and distributed port groups alike (MCP tools
//! `infra.vmware.networks.*`).
//!
//! This file declares the tools and their argument types; the work lives in
//! one module per tool. Network arguments accept a name, an inventory path
//! (`DC0/network/VM Network`) or an id (`network-7`, `dvportgroup-9`).

mod info;
mod list;
mod summary;

use serde::Deserialize;
use vmware_plugin_sdk::prelude::*;

/// Arguments of tools that act on one network.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct NetworkArgs {
    /// Name, path or id.
    #[schemars(length(min = 1))]
    network_name: String,
}

/// The group's tools; built on every call (cheap) because handlers are not `Sync`.
fn toolbox() -> Toolbox {
    Toolbox::new("networks", env!("CARGO_PKG_VERSION"))
        // Exactly the types the tools read: networks (port groups are
        // subtypes), their switches, the hosts whose port group config
        // names a standard network's vSwitch and VLAN, and the datacenter
        // and VMs the tools name.
        .reads(&[
            "Network",
            "DistributedVirtualSwitch",
            "HostSystem",
            "Datacenter",
            "VirtualMachine",
        ])
        .tool(
            ToolSpec::new(
                "listNetworks",
                "List networks and port groups: switch, VLAN, uplink, hosts, VMs.",
            )
            .read_only(),
            |args: list::ListArgs| list::list_networks(&args),
        )
        .tool(
            ToolSpec::new("getNetworkInfo", "Show one network with its hosts and VMs.").read_only(),
            |args: NetworkArgs| info::network_info(&args.network_name),
        )
}

vmware_plugin_sdk::export_tool_group!(toolbox);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declares_the_contracted_tools() {
        let manifest = toolbox().manifest();
        assert_eq!(manifest.group, "networks");
        let names: Vec<&str> = manifest.tools.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["listNetworks", "getNetworkInfo"]);
        assert!(manifest.tools.iter().all(|t| t.annotations.read_only));
    }

    #[test]
    fn bad_arguments_fail_before_any_vsphere_call() {
        let toolbox = toolbox();
        assert!(
            matches!(toolbox.call("getNetworkInfo", "{}"), Err(Error::InvalidArgument(m)) if m.contains("networkName"))
        );
        assert!(
            matches!(toolbox.call("listNetworks", r#"{"vlan": 5}"#), Err(Error::InvalidArgument(m)) if m.contains("vlan"))
        );
    }
}
