//! Datastores: their construction (a volume URL of the right shape for the
//! file system type) and their derived host mounts, VM list and free space.
//! Free space follows what the VMs on a datastore use, so it changes as VMs
//! are created, powered on or destroyed. Their methods are the generic entity
//! ones.

use serde_json::{Value, json};
use time::OffsetDateTime;

use super::datastore_browser;
use super::derive::{Changes, Links, refs};
use super::entity;
use super::model::{DatastoreMeta, Meta, Model, Object, fmt_time, fnv, reference};
use super::vm;

/// The volume URL vSphere gives a datastore of `ds_type`, stable for its name.
fn volume_url(name: &str, ds_type: &str) -> String {
    let h = fnv(3, name);
    match ds_type {
        "NFS" | "NFS41" => format!(
            "ds:///vmfs/volumes/{:08x}-{:08x}/",
            h >> 32,
            h & 0xffff_ffff
        ),
        "vsan" => format!("ds:///vmfs/volumes/vsan:{:016x}-{:016x}/", h, fnv(4, name)),
        _ => format!(
            "ds:///vmfs/volumes/{:08x}-{:08x}-{:04x}-{:012x}/",
            h >> 32,
            h & 0xffff_ffff,
            (h >> 8) & 0xffff,
            fnv(5, name) & 0xffff_ffff_ffff
        ),
    }
}

/// A datastore in the folder `parent`. Free space is derived from what the
/// VMs on it use; `other_used` is what the rest of its files take.
pub(super) fn build(
    m: &mut Model,
    name: &str,
    parent: &str,
    ds_type: &str,
    capacity: i64,
    other_used: i64,
) -> String {
    let id = m.alloc_id("datastore");
    let mut p = entity::props(name, Some(&reference("Folder", parent)));
    let url = volume_url(name, ds_type);
    let info_type = match ds_type {
        "NFS" | "NFS41" => "NasDatastoreInfo",
        "vsan" => "VsanDatastoreInfo",
        _ => "VmfsDatastoreInfo",
    };
    p.insert(
        "info".into(),
        json!({
            "_typeName": info_type,
            "name": name,
            "url": url,
            "maxFileSize": 70_368_744_177_664i64,
            "maxVirtualDiskCapacity": 68_169_720_922_112i64,
            "maxMemoryFileSize": 70_368_744_177_664i64,
        }),
    );
    p.insert(
        "summary".into(),
        json!({
            "_typeName": "DatastoreSummary",
            "datastore": reference("Datastore", &id),
            "name": name,
            "url": url,
            "capacity": capacity,
            "uncommitted": 0,
            "accessible": true,
            "type": ds_type,
            "maintenanceMode": "normal",
        }),
    );
    p.insert(
        "capability".into(),
        json!({
            "_typeName": "DatastoreCapability",
            "directoryHierarchySupported": true,
            "rawDiskMappingsSupported": ds_type == "VMFS",
            "perFileThinProvisioningSupported": true,
        }),
    );
    let browser = datastore_browser::build(m, &id);
    p.insert(
        "browser".into(),
        reference("HostDatastoreBrowser", &browser),
    );
    m.insert(
        "Datastore",
        id.clone(),
        p,
        Meta::Datastore(DatastoreMeta { other_used }),
    );
    id
}

/// Bytes the VMs in `vm_ids` take on their datastore, for its free space.
pub(super) fn used_by_vms<'a>(m: &Model, vm_ids: impl IntoIterator<Item = &'a String>) -> i64 {
    vm_ids
        .into_iter()
        .filter_map(|id| m.get(id))
        .map(vm::committed_bytes)
        .fold(0i64, i64::saturating_add)
}

/// The `host` list: one mount per host that sees the datastore.
fn mounts(o: &Object, hosts: &[String]) -> Value {
    let path = o
        .str("summary.url")
        .unwrap_or("")
        .trim_start_matches("ds://")
        .trim_end_matches('/')
        .to_string();
    let mounts: Vec<Value> = hosts
        .iter()
        .map(|h| {
            json!({
                "_typeName": "DatastoreHostMount",
                "key": reference("HostSystem", h),
                "mountInfo": {
                    "_typeName": "HostMountInfo",
                    "path": path,
                    "accessMode": "readWrite",
                    "mounted": true,
                    "accessible": true,
                },
            })
        })
        .collect();
    Value::Array(mounts)
}

/// A datastore's derived `vm` and `host` lists, free space and names.
pub(super) fn derive(m: &Model, links: &Links, o: &Object, now: OffsetDateTime, out: &mut Changes) {
    let vms = links.ds_vms.get(&o.id);
    out.set(o, "vm", refs(m, vms));
    let hosts: Vec<String> = links.ds_hosts.get(&o.id).cloned().unwrap_or_default();
    out.set(o, "host", mounts(o, &hosts));
    let capacity = o.int("summary.capacity").unwrap_or(0);
    let other = match &o.meta {
        Meta::Datastore(d) => d.other_used,
        _ => 0,
    };
    let used = used_by_vms(m, vms.into_iter().flatten());
    let free = capacity.saturating_sub(other).saturating_sub(used).max(0);
    out.set(o, "summary.freeSpace", json!(free));
    out.set(o, "summary.name", json!(o.name()));
    out.set(o, "summary.multipleHostAccess", json!(hosts.len() > 1));
    out.set(o, "info.freeSpace", json!(free));
    out.set(o, "info.name", json!(o.name()));
    out.set(o, "info.timestamp", json!(fmt_time(now)));
}
