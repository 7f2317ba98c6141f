//! The `clusters` tool group: list and inspect clusters and their resource
//! pools (MCP tools `infra.vmware.clusters.*`).
//!
//! This file declares the tools and their argument types; the work lives in
//! one module per tool. Cluster arguments accept a name, an inventory path
//! (`DC0/host/prod`) or an id (`domain-c7`).

mod info;
mod list;
mod pools;
mod summary;

use serde::Deserialize;
use vmware_plugin_sdk::prelude::*;

/// Arguments of tools that act on one cluster.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ClusterArgs {
    /// Name, path or id.
    #[schemars(length(min = 1))]
    cluster_name: String,
}

/// The group's tools; built on every call (cheap) because handlers are not `Sync`.
fn toolbox() -> Toolbox {
    Toolbox::new("clusters", env!("CARGO_PKG_VERSION"))
        // Exactly the types the tools read: compute resources (clusters,
        // and a standalone host's, which owns its root pool), their pools,
        // the hosts whose VMs and load a cluster sums, and the datacenter a
        // listing is scoped to.
        .reads(&[
            "ComputeResource",
            "ResourcePool",
            "HostSystem",
            "Datacenter",
        ])
        .tool(
            ToolSpec::new(
                "listClusters",
                "List clusters: hosts, VMs, DRS, HA, CPU and memory.",
            )
            .read_only(),
            |args: list::ListArgs| list::list_clusters(&args),
        )
        .tool(
            ToolSpec::new(
                "getClusterInfo",
                "Show one cluster, its hosts and pool tree.",
            )
            .read_only(),
            |args: ClusterArgs| info::cluster_info(&args.cluster_name),
        )
        .tool(
            ToolSpec::new(
                "listResourcePools",
                "List resource pools and their allocations.",
            )
            .read_only(),
            |args: pools::PoolArgs| pools::list_pools(&args),
        )
}

vmware_plugin_sdk::export_tool_group!(toolbox);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declares_the_contracted_tools() {
        let manifest = toolbox().manifest();
        assert_eq!(manifest.group, "clusters");
        let names: Vec<&str> = manifest.tools.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            ["listClusters", "getClusterInfo", "listResourcePools"]
        );
        assert!(manifest.tools.iter().all(|t| t.annotations.read_only));
    }

    #[test]
    fn bad_arguments_fail_before_any_vsphere_call() {
        let toolbox = toolbox();
        assert!(
            matches!(toolbox.call("getClusterInfo", "{}"), Err(Error::InvalidArgument(m)) if m.contains("clusterName"))
        );
        assert!(
            matches!(toolbox.call("listResourcePools", r#"{"cluster": "x"}"#), Err(Error::InvalidArgument(m)) if m.contains("cluster"))
        );
        assert!(
            matches!(toolbox.call("listClusters", r#"{"limit": 0}"#), Err(Error::InvalidArgument(m)) if m.contains("limit"))
        );
    }
}
