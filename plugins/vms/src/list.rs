//! `listVMs`: one row per virtual machine, optionally under one folder.
//!
//! Reads: the inventory index (for folder paths and the `folder` argument),
//! the VMs' summary properties under the scope, and host names. Rows are
//! built by a pure function so their shape is unit-tested.

use std::collections::HashMap;

use vmware_plugin_sdk::prelude::*;

/// The VM properties a row needs; all optional in vSphere's eyes.
pub const LIST_PROPS: [&str; 10] = [
    "name",
    "parent",
    "runtime.powerState",
    "runtime.host",
    "config.hardware.numCPU",
    "config.hardware.memoryMB",
    "config.guestFullName",
    "config.guestId",
    "config.template",
    "guest.ipAddress",
];

/// The result schema: `{vms: [row…], count}`.
pub fn output_schema() -> Value {
    let row = schema::result_object(&[
        ("name", schema::of("string")),
        ("id", schema::of("string")),
        ("powerState", schema::nullable("string")),
        ("host", schema::nullable("string")),
        ("folder", schema::nullable("string")),
        ("cpu", schema::nullable("integer")),
        ("memoryMB", schema::nullable("integer")),
        ("guestOS", schema::nullable("string")),
        ("ipAddress", schema::nullable("string")),
        ("template", schema::of("boolean")),
    ]);
    schema::result_object(&[
        ("vms", schema::array_of(row)),
        ("count", schema::of("integer")),
    ])
}

/// List VMs, all of them or those under `folder` (a folder or datacenter).
pub fn list_vms(folder: Option<&str>) -> Result<Value> {
    let inventory = inventory::load(&[])?;
    let scope = match folder {
        Some(folder) => Some(inventory.resolve(Kind::Container, folder)?),
        None => None,
    };
    let vms = vsphere::retrieve(
        "VirtualMachine",
        scope.as_ref().map(|s| &s.reference),
        true,
        &LIST_PROPS,
    )?;
    let hosts = if vms.is_empty() {
        HashMap::new()
    } else {
        vsphere::names_or_empty("HostSystem")
    };
    let mut rows: Vec<Value> = vms.iter().map(|vm| row(vm, &inventory, &hosts)).collect();
    rows.sort_by(|a, b| {
        let key = |v: &Value| {
            (
                v["folder"].as_str().unwrap_or("").to_string(),
                v["name"].as_str().unwrap_or("").to_string(),
            )
        };
        key(a).cmp(&key(b))
    });
    let mut result = json!({ "count": rows.len(), "vms": rows });
    if let Some(scope) = scope {
        result["scope"] = json!({ "path": scope.path, "id": scope.reference.value });
    }
    Ok(result)
}

/// One VM's row: missing properties are null, the host is named when known
/// (its id otherwise) and the folder is the parent's inventory path.
pub fn row(vm: &Obj, inventory: &Inventory, host_names: &HashMap<MoRef, String>) -> Value {
    let host = vm
        .get_ref("runtime.host")
        .map(|h| host_names.get(&h).cloned().unwrap_or(h.value));
    let folder = vm
        .get_ref("parent")
        .map(|p| inventory.path_of(&p).unwrap_or(p.value));
    json!({
        "name": vm.name(),
        "id": vm.reference.value,
        "powerState": vm.get_str("runtime.powerState"),
        "host": host,
        "folder": folder,
        "cpu": vm.get_i64("config.hardware.numCPU"),
        "memoryMB": vm.get_i64("config.hardware.memoryMB"),
        "guestOS": vm.get_str("config.guestFullName").or_else(|| vm.get_str("config.guestId")),
        "ipAddress": vm.get_str("guest.ipAddress"),
        "template": vm.get_bool("config.template").unwrap_or(false),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use vmware_plugin_sdk::inventory::Node;

    #[test]
    fn rows_name_hosts_and_folders_and_tolerate_gaps() {
        let mut inventory = Inventory::new();
        inventory.insert(Node {
            reference: MoRef::new("Folder", "group-d1"),
            name: "Datacenters".into(),
            parent: None,
        });
        inventory.insert(Node {
            reference: MoRef::new("Datacenter", "datacenter-2"),
            name: "DC0".into(),
            parent: Some(MoRef::new("Folder", "group-d1")),
        });
        inventory.insert(Node {
            reference: MoRef::new("Folder", "group-v3"),
            name: "vm".into(),
            parent: Some(MoRef::new("Datacenter", "datacenter-2")),
        });
        let hosts = HashMap::from([(MoRef::new("HostSystem", "host-1"), "esx1".to_string())]);
        let full = Obj::new(MoRef::new("VirtualMachine", "vm-42"))
            .with("name", json!("db1"))
            .with("parent", MoRef::new("Folder", "group-v3").to_json())
            .with("runtime.powerState", json!("poweredOn"))
            .with("runtime.host", MoRef::new("HostSystem", "host-1").to_json())
            .with("config.hardware.numCPU", json!(2))
            .with("config.hardware.memoryMB", json!(4096))
            .with("config.guestId", json!("otherGuest"))
            .with("guest.ipAddress", json!("10.0.0.5"));
        let row = row(&full, &inventory, &hosts);
        assert_eq!(
            row,
            json!({"name": "db1", "id": "vm-42", "powerState": "poweredOn", "host": "esx1", "folder": "DC0/vm",
                   "cpu": 2, "memoryMB": 4096, "guestOS": "otherGuest", "ipAddress": "10.0.0.5", "template": false})
        );
        let bare = super::row(
            &Obj::new(MoRef::new("VirtualMachine", "vm-7")),
            &inventory,
            &HashMap::new(),
        );
        assert_eq!(bare["name"], "vm-7");
        assert_eq!(bare["host"], Value::Null);
        assert_eq!(bare["ipAddress"], Value::Null);
        let schema = output_schema();
        let keys: Vec<&String> = schema["properties"]["vms"]["items"]["properties"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        let row_keys: Vec<&String> = row.as_object().unwrap().keys().collect();
        assert_eq!(keys, row_keys);
    }
}
