//! `getClusterInfo`: one cluster in detail.
//!
//! The summary plus its inventory path, its hosts (named, with their
//! connection and maintenance state from the index) and its resource pool
//! tree: the pools in inventory-path order, each naming its parent.

use serde::Serialize;
use vmware_plugin_sdk::prelude::*;

use crate::pools::{self, PoolSummary};
use crate::summary::{CLUSTER_PROPS, ClusterSummary, hosts_of, read_hosts, summarize};

/// Pools shown at most (about 50 KB; listResourcePools pages on); `poolCount` counts them all.
pub const MAX_POOLS: u32 = 100;

/// `getClusterInfo`'s result: the summary's fields, then the detail ones.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterInfo {
    /// The listClusters row.
    #[serde(flatten)]
    pub summary: ClusterSummary,
    /// Inventory path.
    pub path: String,
    /// Its hosts.
    pub hosts: Vec<Host>,
    /// Its pools, parents first (the first 100).
    pub resource_pools: Vec<PoolSummary>,
    /// How many pools it has.
    pub pool_count: u32,
}

/// One host of the cluster.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Host {
    /// Name.
    pub name: Option<String>,
    /// Id.
    pub id: String,
    /// connected, disconnected or notResponding.
    pub connection_state: Option<String>,
    /// In maintenance mode.
    pub in_maintenance: Option<bool>,
}

/// A host as the index knows it (`None` when it does not).
pub fn host(reference: &MoRef, known: Option<&Resolved>) -> Host {
    let property = |path: &str| known.and_then(|k| k.properties.get(path));
    Host {
        name: known.map(|k| k.name.clone()),
        id: reference.value.clone(),
        connection_state: property("runtime.connectionState")
            .and_then(|v| v.as_str())
            .map(String::from),
        in_maintenance: property("runtime.inMaintenanceMode").and_then(|v| v.as_bool()),
    }
}

/// Show the cluster named by `argument`.
pub fn cluster_info(argument: &str) -> Result<ClusterInfo> {
    let cluster = inventory::resolve(Kind::Cluster, argument)?;
    let object = vsphere::read_one(&cluster.reference, &CLUSTER_PROPS)?;
    let host_objects = read_hosts(std::slice::from_ref(&object))?;
    let summary = summarize(&object, &cluster.name, &hosts_of(&object, &host_objects));
    let refs = object.get_refs("host");
    let known = inventory::lookup(&refs);
    let hosts = refs
        .iter()
        .zip(known.iter())
        .map(|(r, k)| host(r, k.as_ref()))
        .collect();
    let page = pools::select_pools(Some(&cluster.reference), MAX_POOLS, None)?;
    Ok(ClusterInfo {
        summary,
        path: cluster.path,
        hosts,
        resource_pools: pools::rows(&page)?,
        pool_count: page.total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_shows_what_the_index_holds() {
        let reference = MoRef::new("HostSystem", "host-4");
        let known = Resolved {
            reference: reference.clone(),
            name: "esx-04".into(),
            path: "DC0/host/dev/esx-04".into(),
            parent: None,
            properties: Obj::new(reference.clone())
                .with("runtime.connectionState", json!("connected"))
                .with("runtime.inMaintenanceMode", json!(true)),
        };
        let shown = serde_json::to_value(host(&reference, Some(&known))).unwrap();
        assert_eq!(
            shown,
            json!({"name": "esx-04", "id": "host-4", "connectionState": "connected", "inMaintenance": true})
        );
        assert_eq!(host(&reference, None).name, None);
    }
}
