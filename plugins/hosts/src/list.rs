//! `listHosts`: one summary per host, optionally of one cluster.
//!
//! Reads the inventory index (structural types only), then every host's
//! summary properties from the root folder; the hosts join the index so their
//! paths are known, and a cluster filter keeps hosts whose parent it is.

use vmware_plugin_sdk::prelude::*;

use crate::summary::{SUMMARY_PROPS, schema_properties, summarize};

/// The result schema: `{hosts: [summary…], count}`.
pub fn output_schema() -> Value {
    let row = schema::result_object(&schema_properties());
    schema::result_object(&[
        ("hosts", schema::array_of(row)),
        ("count", schema::of("integer")),
    ])
}

/// List hosts, all of them or those of `cluster`.
pub fn list_hosts(cluster: Option<&str>) -> Result<Value> {
    let mut inventory = inventory::load(&[])?;
    let cluster = match cluster {
        Some(cluster) => Some(inventory.resolve(Kind::Cluster, cluster)?),
        None => None,
    };
    let hosts = vsphere::retrieve("HostSystem", None, true, &SUMMARY_PROPS)?;
    inventory.add_objects(&hosts);
    let mut rows: Vec<Value> = hosts
        .iter()
        .filter(|host| match &cluster {
            Some(cluster) => host.get_ref("parent").as_ref() == Some(&cluster.reference),
            None => true,
        })
        .map(|host| summarize(host, &inventory))
        .collect();
    rows.sort_by(|a, b| {
        a["path"]
            .as_str()
            .unwrap_or("")
            .cmp(b["path"].as_str().unwrap_or(""))
    });
    let mut result = json!({ "count": rows.len(), "hosts": rows });
    if let Some(cluster) = cluster {
        result["cluster"] =
            json!({ "name": cluster.name, "id": cluster.reference.value, "path": cluster.path });
    }
    Ok(result)
}
