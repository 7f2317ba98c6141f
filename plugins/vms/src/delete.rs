//! `deleteVm`: destroy a powered-off VM with its files.
//!
//! A running (or suspended) VM is refused before anyone is asked to
//! approve; the approval lists the disks and snapshots that go with it.
//! Afterwards the VM is read again to confirm it is gone.

use serde::Serialize;
use vmware_plugin_sdk::approval::Grant;
use vmware_plugin_sdk::prelude::*;

use crate::hardware;
use crate::methods::DESTROY;
use crate::snapshot_tree::SnapshotTree;
use crate::target::{power_state, read_vm, resolve_vm};

/// The VM properties read before deleting.
const DELETE_PROPS: [&str; 4] = [
    "name",
    "runtime.powerState",
    "config.hardware.device",
    "snapshot",
];

/// `deleteVm`'s result: the one declaration of its fields.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeleteResult {
    /// The deleted VM's name.
    pub vm: String,
    /// Its managed object id.
    pub id: String,
    /// Its inventory path.
    pub path: String,
    /// The disks deleted with it (label, capacityGB, file).
    pub disks: Vec<Value>,
    /// The paths of the snapshots deleted with it.
    pub snapshots: Vec<String>,
    /// Whether vSphere no longer knows the VM when read again (null when the read failed otherwise).
    pub gone: Option<bool>,
    /// The grant that allowed it.
    pub approval: Grant,
}

/// Why a VM in power state `state` cannot be deleted, if it cannot.
pub fn refusal(name: &str, id: &str, state: &str) -> Option<String> {
    (state != "poweredOff")
        .then(|| format!("VM '{name}' ({id}) is {state}; power it off first, then delete it"))
}

/// The approval's one-line summary: the VM, then every disk and snapshot deleted.
pub fn summary(name: &str, id: &str, disks: &[Value], snapshots: &[String]) -> String {
    let disk_list: Vec<String> = disks
        .iter()
        .map(|d| {
            let file = d["file"].as_str().unwrap_or("?");
            match d["capacityGB"].as_f64() {
                Some(gb) => format!("{file} ({gb} GB)"),
                None => file.to_string(),
            }
        })
        .collect();
    let list = |items: &[String]| {
        if items.is_empty() {
            "none".to_string()
        } else {
            items.join(", ")
        }
    };
    format!(
        "Delete VM '{name}' ({id}) and its files: {} disk(s): {}; {} snapshot(s): {}",
        disk_list.len(),
        list(&disk_list),
        snapshots.len(),
        list(snapshots)
    )
}

/// Delete the VM named by `vm_argument`.
pub fn delete_vm(vm_argument: &str) -> Result<DeleteResult> {
    let vm = resolve_vm(vm_argument)?;
    let before = read_vm(&vm, &DELETE_PROPS)?;
    let state = power_state(&before);
    if let Some(reason) = refusal(&vm.name, &vm.reference.value, &state) {
        return Err(Error::invalid_state(reason));
    }
    let (disks, _) = hardware::summarize(before.get_array("config.hardware.device"));
    let snapshots: Vec<String> = SnapshotTree::from_value(before.get("snapshot"))
        .flatten()
        .into_iter()
        .map(|(path, _)| path)
        .collect();

    let action = Action::new(
        "delete-vm",
        summary(&vm.name, &vm.reference.value, &disks, &snapshots),
    )
    .target(&vm.reference, &vm.name)
    .method(DESTROY)
    .detail(json!({
        "vm": vm.path,
        "id": vm.reference.value,
        "powerState": state,
        "disks": disks,
        "snapshots": snapshots,
    }));
    let grant = approval::request(&action)?;
    vsphere::invoke(&vm.reference, DESTROY, json!({}))?;

    let gone = match read_vm(&vm, &["name"]) {
        Ok(_) => Some(false),
        Err(err)
            if matches!(err, Error::NotFound(_))
                || err.fault_type() == Some("ManagedObjectNotFound") =>
        {
            Some(true)
        }
        Err(_) => None,
    };
    Ok(DeleteResult {
        vm: vm.name,
        id: vm.reference.value,
        path: vm.path,
        disks,
        snapshots,
        gone,
        approval: grant,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_powered_off_vm_is_deleted() {
        assert!(
            refusal("db1", "vm-1", "poweredOn")
                .unwrap()
                .contains("power it off first")
        );
        assert!(
            refusal("db1", "vm-1", "suspended")
                .unwrap()
                .contains("is suspended")
        );
        assert_eq!(refusal("db1", "vm-1", "poweredOff"), None);
    }

    #[test]
    fn the_summary_lists_disks_and_snapshots() {
        let disks = vec![
            json!({"label": "Hard disk 1", "capacityGB": 10.0, "file": "[ds1] db1/db1.vmdk"}),
            json!({"label": "Disk 2001", "capacityGB": null, "file": null}),
        ];
        let s = summary(
            "db1",
            "vm-1",
            &disks,
            &["base".into(), "base/patched".into()],
        );
        assert_eq!(
            s,
            "Delete VM 'db1' (vm-1) and its files: 2 disk(s): [ds1] db1/db1.vmdk (10 GB), ?; \
             2 snapshot(s): base, base/patched"
        );
        assert!(summary("x", "vm-2", &[], &[]).ends_with("0 disk(s): none; 0 snapshot(s): none"));
    }
}
