//! The summary of one datastore that both `listDatastores` and
//! `getDatastoreInfo` show.
//!
//! A pure function over the collected properties, so the arithmetic (bytes
//! to GB, provisioned = capacity − free + uncommitted, free %) and the null
//! handling are tested.

use serde::Serialize;
use vmware_plugin_sdk::paging::PageRow;
use vmware_plugin_sdk::prelude::*;

/// The datastore properties the summary reads; every one may be unset.
pub const SUMMARY_PROPS: [&str; 4] = ["name", "summary", "host", "vm"];

/// Bytes in a GiB.
const GIB: f64 = (1u64 << 30) as f64;

/// One datastore's summary, a row of `listDatastores` and the first part of
/// `getDatastoreInfo`: the one declaration of its fields.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DatastoreSummary {
    /// The datastore's name.
    pub name: String,
    /// Its managed object id.
    pub id: String,
    /// `VMFS`, `NFS`, `NFS41`, `vsan`, `VVOL`…
    #[serde(rename = "type")]
    pub ds_type: Option<String>,
    /// Capacity in GB.
    #[serde(rename = "capacityGB")]
    pub capacity_gb: Option<f64>,
    /// Free space in GB.
    #[serde(rename = "freeGB")]
    pub free_gb: Option<f64>,
    /// Free space as a percentage of capacity.
    pub free_percent: Option<f64>,
    /// Used plus uncommitted (thin) space in GB; over capacity when overcommitted.
    #[serde(rename = "provisionedGB")]
    pub provisioned_gb: Option<f64>,
    /// Whether it is accessible.
    pub accessible: Option<bool>,
    /// `normal`, `enteringMaintenance` or `inMaintenance`.
    pub maintenance_mode: Option<String>,
    /// Hosts that mount it.
    pub host_count: usize,
    /// VMs with files on it.
    pub vm_count: usize,
}

impl PageRow for DatastoreSummary {
    const ROWS: &'static str = "datastores";
}

/// Bytes to GB, to two decimals.
pub fn gb(bytes: i64) -> f64 {
    (bytes as f64 / GIB * 100.0).round() / 100.0
}

/// The hosts mounting the datastore (`host[].key`).
pub fn mount_hosts(ds: &Obj) -> Vec<MoRef> {
    ds.get_array("host")
        .iter()
        .filter_map(|mount| vmware_plugin_sdk::json::lookup(mount, "key"))
        .filter_map(MoRef::from_json)
        .collect()
}

/// One datastore's summary; its name is the index's when the object has none.
pub fn summarize(ds: &Obj, name: &str) -> DatastoreSummary {
    let capacity = ds.get_i64("summary.capacity");
    let free = ds.get_i64("summary.freeSpace");
    let uncommitted = ds.get_i64("summary.uncommitted").unwrap_or(0);
    let provisioned = match (capacity, free) {
        (Some(c), Some(f)) => Some(gb(c.saturating_sub(f).saturating_add(uncommitted))),
        _ => None,
    };
    let free_percent = match (capacity, free) {
        (Some(c), Some(f)) if c > 0 => Some((f as f64 / c as f64 * 1000.0).round() / 10.0),
        _ => None,
    };
    let text = |path: &str| ds.get_str(path).map(String::from);
    DatastoreSummary {
        name: name.to_string(),
        id: ds.reference.value.clone(),
        ds_type: text("summary.type"),
        capacity_gb: capacity.map(gb),
        free_gb: free.map(gb),
        free_percent,
        provisioned_gb: provisioned,
        accessible: ds.get_bool("summary.accessible"),
        maintenance_mode: text("summary.maintenanceMode"),
        host_count: mount_hosts(ds).len(),
        vm_count: ds.get_refs("vm").len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GB: i64 = 1 << 30;

    #[test]
    fn sums_up_space_counts_and_tolerates_gaps() {
        let mount = |h: &str| json!({"_typeName": "DatastoreHostMount", "key": MoRef::new("HostSystem", h).to_json()});
        let ds = Obj::new(MoRef::new("Datastore", "datastore-7"))
            .with(
                "summary",
                json!({"_typeName": "DatastoreSummary", "type": "VMFS", "capacity": 1000 * GB,
                       "freeSpace": 250 * GB, "uncommitted": 100 * GB, "accessible": true,
                       "maintenanceMode": "normal"}),
            )
            .with("host", json!([mount("host-1"), mount("host-2")]))
            .with(
                "vm",
                json!([MoRef::new("VirtualMachine", "vm-1").to_json()]),
            );
        let row = serde_json::to_value(summarize(&ds, "ds-prod")).unwrap();
        assert_eq!(
            row,
            json!({"name": "ds-prod", "id": "datastore-7", "type": "VMFS", "capacityGB": 1000.0,
                   "freeGB": 250.0, "freePercent": 25.0, "provisionedGB": 850.0, "accessible": true,
                   "maintenanceMode": "normal", "hostCount": 2, "vmCount": 1})
        );
        let bare = summarize(&Obj::new(MoRef::new("Datastore", "datastore-9")), "x");
        assert_eq!(bare.capacity_gb, None);
        assert_eq!(bare.provisioned_gb, None);
        assert_eq!(bare.free_percent, None);
        assert_eq!((bare.host_count, bare.vm_count), (0, 0));
        let empty = Obj::new(MoRef::new("Datastore", "d"))
            .with("summary.capacity", json!(0))
            .with("summary.freeSpace", json!(0));
        assert_eq!(summarize(&empty, "e").free_percent, None);
        assert_eq!(gb(GB + GB / 3), 1.33);
    }
}
