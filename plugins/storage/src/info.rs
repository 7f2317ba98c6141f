//! `getDatastoreInfo`: one datastore in detail.
//!
//! The summary plus its URL and path, and the names
//! of the hosts that mount it and of (the first few hundred of) its VMs.

use serde::Serialize;
use vmware_plugin_sdk::inventory::Named;
use vmware_plugin_sdk::prelude::*;

use crate::summary::{DatastoreSummary, SUMMARY_PROPS, mount_hosts, summarize};

/// VMs named at most; `vmCount` counts them all.
pub const MAX_VMS: usize = 200;

/// `getDatastoreInfo`'s result: the summary's fields, then the detail ones.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DatastoreInfo {
    /// What `listDatastores` shows of it.
    #[serde(flatten)]
    pub summary: DatastoreSummary,
    /// Its inventory path.
    pub path: String,
    /// Its volume URL.
    pub url: Option<String>,
    /// The hosts that mount it.
    pub hosts: Vec<Named>,
    /// Its VMs (the first 200; vmCount counts all).
    pub vms: Vec<Named>,
}

/// Show the datastore named by `argument`.
pub fn datastore_info(argument: &str) -> Result<DatastoreInfo> {
    let ds = inventory::resolve(Kind::Datastore, argument)?;
    let object = vsphere::read_one(&ds.reference, &SUMMARY_PROPS)?;
    let hosts = mount_hosts(&object);
    let vms: Vec<MoRef> = object.get_refs("vm").into_iter().take(MAX_VMS).collect();
    let mut referenced = hosts.clone();
    referenced.extend(vms.iter().cloned());
    let names = inventory::names(&referenced);
    Ok(detail(&object, &ds, &hosts, &vms, &names))
}

/// The detail of `object` (resolved as `ds`), naming `hosts` and `vms`.
pub fn detail(
    object: &Obj,
    ds: &Resolved,
    hosts: &[MoRef],
    vms: &[MoRef],
    names: &std::collections::HashMap<MoRef, String>,
) -> DatastoreInfo {
    let named = |r: &MoRef| Named::of(r, names);
    DatastoreInfo {
        summary: summarize(object, &ds.name),
        path: ds.path.clone(),
        url: object.get_str("summary.url").map(String::from),
        hosts: hosts.iter().map(named).collect(),
        vms: vms.iter().map(named).collect(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn names_hosts_and_vms_when_the_index_knows_them() {
        let reference = MoRef::new("Datastore", "datastore-3");
        let ds = Resolved {
            reference: reference.clone(),
            name: "nfs-1".into(),
            path: "DC0/datastore/nfs-1".into(),
            parent: None,
            properties: Obj::new(reference.clone()),
        };
        let object = Obj::new(reference).with("summary.url", json!("ds:///vmfs/volumes/abc/"));
        let host = MoRef::new("HostSystem", "host-1");
        let vm = MoRef::new("VirtualMachine", "vm-9");
        let names = HashMap::from([(host.clone(), "esx1".to_string())]);
        let info = serde_json::to_value(detail(&object, &ds, &[host], &[vm], &names)).unwrap();
        assert_eq!(info["name"], "nfs-1");
        assert_eq!(info["path"], "DC0/datastore/nfs-1");
        assert_eq!(info["url"], "ds:///vmfs/volumes/abc/");
        assert_eq!(info["hosts"], json!([{"name": "esx1", "id": "host-1"}]));
        assert_eq!(info["vms"], json!([{"name": null, "id": "vm-9"}]));
    }
}
