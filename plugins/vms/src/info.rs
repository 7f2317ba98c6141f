//! `getVMInfo`: one VM in detail.
//!
//! Reads the VM's detail properties in one targeted read, then names the
//! objects it references (host, datastores, resource pool) from the host's
//! inventory index, which costs no vCenter round trip.

use vmware_plugin_sdk::prelude::*;

use crate::hardware;
use crate::snapshot_tree::SnapshotTree;
use crate::target::{power_state, read_vm, resolve_vm};

/// The VM properties the detail view reads; every one may be unset.
pub const INFO_PROPS: [&str; 19] = [
    "name",
    "parent",
    "overallStatus",
    "runtime.powerState",
    "runtime.host",
    "config.hardware.numCPU",
    "config.hardware.memoryMB",
    "config.hardware.device",
    "config.guestId",
    "config.guestFullName",
    "config.template",
    "guest.ipAddress",
    "guest.hostName",
    "guest.toolsStatus",
    "guest.toolsRunningStatus",
    "guest.guestState",
    "snapshot",
    "datastore",
    "resourcePool",
];

/// The result schema (top-level fields; nested ones are documented by example).
pub fn output_schema() -> Value {
    schema::result_object(&[
        ("name", schema::of("string")),
        ("id", schema::of("string")),
        ("path", schema::of("string")),
        ("powerState", schema::nullable("string")),
        ("overallStatus", schema::nullable("string")),
        ("template", schema::of("boolean")),
        ("host", schema::nullable("object")),
        ("hardware", schema::of("object")),
        ("guest", schema::of("object")),
        ("toolsStatus", schema::nullable("string")),
        ("toolsRunningStatus", schema::nullable("string")),
        ("currentSnapshot", schema::nullable("string")),
        ("currentSnapshotId", schema::nullable("string")),
        ("snapshots", schema::of("array")),
        ("datastores", schema::of("array")),
        ("resourcePool", schema::nullable("object")),
    ])
}

/// Show the VM named by `vm_argument`.
pub fn vm_info(vm_argument: &str) -> Result<Value> {
    let vm = resolve_vm(vm_argument)?;
    let object = read_vm(&vm, &INFO_PROPS)?;

    let host_ref = object.get_ref("runtime.host");
    let datastore_refs = object.get_refs("datastore");
    let pool_ref = object.get_ref("resourcePool");
    let mut referenced: Vec<MoRef> = datastore_refs.clone();
    referenced.extend(host_ref.iter().cloned());
    referenced.extend(pool_ref.iter().cloned());
    let names = inventory::names(&referenced);
    let host = host_ref.map(|host| named(&host, names.get(&host)));
    let datastores: Vec<Value> = datastore_refs
        .iter()
        .map(|d| named(d, names.get(d)))
        .collect();
    let resource_pool = pool_ref.map(|pool| named(&pool, names.get(&pool)));
    Ok(describe(&vm, &object, host, datastores, resource_pool))
}

/// `{name, id}` of a referenced object, the name null when unknown.
fn named(reference: &MoRef, name: Option<&String>) -> Value {
    json!({ "name": name, "id": reference.value })
}

/// Assemble the detail view from the VM's properties and the named
/// references (pure, for tests).
pub fn describe(
    vm: &Resolved,
    object: &Obj,
    host: Option<Value>,
    datastores: Vec<Value>,
    resource_pool: Option<Value>,
) -> Value {
    let (disks, nics) = hardware::summarize(object.get_array("config.hardware.device"));
    let snapshots = SnapshotTree::from_value(object.get("snapshot"));
    let current = snapshots.current();
    json!({
        "name": vm.name,
        "id": vm.reference.value,
        "path": vm.path,
        "powerState": object.get("runtime.powerState").map(|_| power_state(object)),
        "overallStatus": object.get_str("overallStatus"),
        "template": object.get_bool("config.template").unwrap_or(false),
        "host": host,
        "hardware": {
            "numCPU": object.get_i64("config.hardware.numCPU"),
            "memoryMB": object.get_i64("config.hardware.memoryMB"),
            "disks": disks,
            "nics": nics,
        },
        "guest": {
            "guestFullName": object.get_str("config.guestFullName"),
            "guestId": object.get_str("config.guestId"),
            "ipAddress": object.get_str("guest.ipAddress"),
            "hostName": object.get_str("guest.hostName"),
            "guestState": object.get_str("guest.guestState"),
        },
        "toolsStatus": object.get_str("guest.toolsStatus"),
        "toolsRunningStatus": object.get_str("guest.toolsRunningStatus"),
        "currentSnapshot": current.as_ref().map(|s| s.name.as_str()),
        "currentSnapshotId": current.as_ref().map(|s| s.reference.value.as_str()),
        "snapshots": snapshots.to_json(),
        "datastores": datastores,
        "resourcePool": resource_pool,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detail_view_has_every_schema_field_and_nulls_for_gaps() {
        let vm = Resolved {
            reference: MoRef::new("VirtualMachine", "vm-42"),
            name: "db1".into(),
            path: "DC0/vm/db1".into(),
            parent: None,
            properties: Obj::new(MoRef::new("VirtualMachine", "vm-42")),
        };
        let object = Obj::new(vm.reference.clone())
            .with("runtime.powerState", json!("poweredOff"))
            .with("config.hardware.numCPU", json!(1))
            .with("guest.toolsRunningStatus", json!("guestToolsNotRunning"));
        let info = describe(&vm, &object, None, vec![], None);
        assert_eq!(info["powerState"], "poweredOff");
        assert_eq!(info["hardware"]["numCPU"], 1);
        assert_eq!(info["hardware"]["memoryMB"], Value::Null);
        assert_eq!(info["guest"]["ipAddress"], Value::Null);
        assert_eq!(info["snapshots"], json!([]));
        assert_eq!(info["currentSnapshot"], Value::Null);
        let schema = output_schema();
        for key in schema["required"].as_array().unwrap() {
            assert!(info.get(key.as_str().unwrap()).is_some(), "{key}");
        }
    }
}
