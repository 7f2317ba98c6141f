//! `getVMInfo`: one VM in detail.
//!
//! Reads the VM's detail properties in one targeted read, then names the
//! objects it references (host, datastores, resource pool) from the host's
//! inventory index, which costs no vCenter round trip.

use serde::Serialize;
use vmware_plugin_sdk::inventory::Named;
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

/// `getVMInfo`'s result: the one declaration of its fields (the output
/// schema is derived from it).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct VmInfo {
    /// The VM's name.
    pub name: String,
    /// Its managed object id.
    pub id: String,
    /// Its inventory path.
    pub path: String,
    /// `poweredOn`, `poweredOff` or `suspended`.
    pub power_state: Option<String>,
    /// vCenter's health colour: `green`, `yellow`, `red` or `gray`.
    pub overall_status: Option<String>,
    /// Whether it is a template.
    pub template: bool,
    /// The host it runs on.
    pub host: Option<Named>,
    /// CPUs, memory, disks and NICs.
    pub hardware: Hardware,
    /// What the guest OS and VMware Tools report.
    pub guest: Guest,
    /// VMware Tools' version status, e.g. `toolsOk`.
    pub tools_status: Option<String>,
    /// Whether VMware Tools runs, e.g. `guestToolsRunning`.
    pub tools_running_status: Option<String>,
    /// The name of the snapshot the VM runs from.
    pub current_snapshot: Option<String>,
    /// Its id.
    pub current_snapshot_id: Option<String>,
    /// The snapshot tree, each node flagged `current` or not.
    pub snapshots: Vec<Value>,
    /// The datastores holding its files.
    pub datastores: Vec<Named>,
    /// Its resource pool.
    pub resource_pool: Option<Named>,
}

/// A VM's virtual hardware.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Hardware {
    /// Virtual CPUs.
    #[serde(rename = "numCPU")]
    pub num_cpu: Option<i64>,
    /// Memory in MB.
    #[serde(rename = "memoryMB")]
    pub memory_mb: Option<i64>,
    /// Virtual disks: label, size, file.
    pub disks: Vec<Value>,
    /// Network adapters: label, type, MAC, network, connected.
    pub nics: Vec<Value>,
}

/// What the guest reports.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Guest {
    /// The configured guest OS's full name.
    pub guest_full_name: Option<String>,
    /// The configured guest OS's id.
    pub guest_id: Option<String>,
    /// The primary IP address.
    pub ip_address: Option<String>,
    /// The guest's host name.
    pub host_name: Option<String>,
    /// `running`, `notRunning`…
    pub guest_state: Option<String>,
}

/// Show the VM named by `vm_argument`.
pub fn vm_info(vm_argument: &str) -> Result<VmInfo> {
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
    let datastores = datastore_refs
        .iter()
        .map(|d| named(d, names.get(d)))
        .collect();
    let resource_pool = pool_ref.map(|pool| named(&pool, names.get(&pool)));
    Ok(describe(&vm, &object, host, datastores, resource_pool))
}

/// A referenced object, the name null when unknown.
fn named(reference: &MoRef, name: Option<&String>) -> Named {
    Named {
        name: name.cloned(),
        id: reference.value.clone(),
    }
}

/// Assemble the detail view from the VM's properties and the named
/// references (pure, for tests).
pub fn describe(
    vm: &Resolved,
    object: &Obj,
    host: Option<Named>,
    datastores: Vec<Named>,
    resource_pool: Option<Named>,
) -> VmInfo {
    let (disks, nics) = hardware::summarize(object.get_array("config.hardware.device"));
    let snapshots = SnapshotTree::from_value(object.get("snapshot"));
    let current = snapshots.current();
    let text = |path: &str| object.get_str(path).map(String::from);
    VmInfo {
        // The name vSphere has now: the index may not have seen a rename
        // that finished a moment ago.
        name: object
            .get_str("name")
            .map_or_else(|| vm.name.clone(), String::from),
        id: vm.reference.value.clone(),
        path: vm.path.clone(),
        power_state: object
            .get("runtime.powerState")
            .map(|_| power_state(object)),
        overall_status: text("overallStatus"),
        template: object.get_bool("config.template").unwrap_or(false),
        host,
        hardware: Hardware {
            num_cpu: object.get_i64("config.hardware.numCPU"),
            memory_mb: object.get_i64("config.hardware.memoryMB"),
            disks,
            nics,
        },
        guest: Guest {
            guest_full_name: text("config.guestFullName"),
            guest_id: text("config.guestId"),
            ip_address: text("guest.ipAddress"),
            host_name: text("guest.hostName"),
            guest_state: text("guest.guestState"),
        },
        tools_status: text("guest.toolsStatus"),
        tools_running_status: text("guest.toolsRunningStatus"),
        current_snapshot: current.as_ref().map(|s| s.name.clone()),
        current_snapshot_id: current.as_ref().map(|s| s.reference.value.clone()),
        snapshots: snapshots.rows(),
        datastores,
        resource_pool,
    }
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
        let info = serde_json::to_value(describe(&vm, &object, None, vec![], None)).unwrap();
        assert_eq!(info["powerState"], "poweredOff");
        assert_eq!(info["hardware"]["numCPU"], 1);
        assert_eq!(info["hardware"]["memoryMB"], Value::Null);
        assert_eq!(info["guest"]["ipAddress"], Value::Null);
        assert_eq!(info["snapshots"], json!([]));
        assert_eq!(info["currentSnapshot"], Value::Null);
        assert_eq!(
            info["name"], "db1",
            "the index's name when the read has none"
        );
        // A rename the index has not seen yet: the read's name wins.
        let renamed = object.with("name", json!("db1-new"));
        let fresh = describe(&vm, &renamed, None, vec![], None);
        assert_eq!(fresh.name, "db1-new");
        let schema = schema::output_for::<VmInfo>().unwrap();
        for key in schema["required"].as_array().unwrap() {
            assert!(info.get(key.as_str().unwrap()).is_some(), "{key}");
        }
    }
}
