//! `createSnapshot`, `revertToSnapshot` and `deleteSnapshot`.
//!
//! Snapshots are found in the VM's `snapshot` tree (see `snapshot_tree`).
//! Revert and delete are methods of the snapshot object, so their approval
//! names the snapshot as a target, with the VM alongside for the approver.
//! Results are read back from the tree rather than from the task, because
//! simulators differ in what a snapshot task reports.

use vmware_plugin_sdk::prelude::*;

use crate::methods::{CREATE_SNAPSHOT, REMOVE_SNAPSHOT, REVERT_TO_SNAPSHOT};
use crate::snapshot_tree::{FoundSnapshot, SnapshotTree};
use crate::target::{power_state, read_after, read_vm, resolve_vm};

/// The VM properties read before acting on its snapshots.
const SNAPSHOT_PROPS: [&str; 3] = ["name", "runtime.powerState", "snapshot"];

/// Take a disk-only snapshot (`CreateSnapshot_Task`, memory and quiesce off).
pub fn create(vm_argument: &str, snapshot_name: &str, description: Option<&str>) -> Result<Value> {
    if snapshot_name.is_empty() {
        return Err(Error::invalid_argument("snapshotName must not be empty"));
    }
    let vm = resolve_vm(vm_argument)?;
    let before = SnapshotTree::from_value(read_vm(&vm, &SNAPSHOT_PROPS)?.get("snapshot"));
    refuse_duplicate(&vm, &before, snapshot_name)?;
    let description = description.unwrap_or("");

    let action = Action::new(
        "create-snapshot",
        format!(
            "Create snapshot '{snapshot_name}' of VM '{}' ({}), disks only",
            vm.name, vm.reference.value
        ),
    )
    .target(&vm.reference, &vm.name)
    .method(CREATE_SNAPSHOT)
    .detail(json!({
        "vm": vm.path,
        "id": vm.reference.value,
        "snapshotName": snapshot_name,
        "description": description,
        "memory": false,
        "quiesce": false,
    }));
    let grant = approval::request(&action)?;
    // The grant holds the host's lock on the VM until this call ends, so no
    // other create can slip in between this read and the invoke: a
    // concurrent create of the same name that finished while this call
    // waited is seen here.
    let current = SnapshotTree::from_value(read_vm(&vm, &["snapshot"])?.get("snapshot"));
    refuse_duplicate(&vm, &current, snapshot_name)?;
    let task_result = vsphere::invoke(
        &vm.reference,
        CREATE_SNAPSHOT,
        json!({ "name": snapshot_name, "description": description, "memory": false, "quiesce": false }),
    )?;

    let after = read_after(&vm, &["snapshot"]).map(|o| SnapshotTree::from_value(o.get("snapshot")));
    let created = after.as_ref().and_then(|tree| {
        MoRef::from_json(&task_result)
            .and_then(|r| tree.find_by_ref(&r))
            .or_else(|| tree.current().filter(|s| s.name == snapshot_name))
    });
    let snapshot = match &created {
        Some(found) => found.to_json(),
        None => json!({
            "name": snapshot_name,
            "id": MoRef::from_json(&task_result).map(|r| r.value),
            "description": description,
        }),
    };
    let result = json!({
        "vm": vm.name,
        "id": vm.reference.value,
        "action": "createSnapshot",
        "snapshot": snapshot,
        "snapshotCount": after.as_ref().map(SnapshotTree::count),
        "approval": grant,
    });
    Ok(result)
}

/// Refuse a snapshot name the VM already has: same-named snapshots make
/// every later revert or delete by name ambiguous.
fn refuse_duplicate(vm: &Resolved, tree: &SnapshotTree, snapshot_name: &str) -> Result<()> {
    let existing = tree.named(snapshot_name);
    if existing.is_empty() {
        return Ok(());
    }
    let listed: Vec<String> = existing
        .iter()
        .map(|s| format!("{} ({})", s.path, s.reference.value))
        .collect();
    Err(Error::invalid_argument(format!(
        "VM '{}' ({}) already has a snapshot named '{snapshot_name}': {}; snapshot names must be unique per VM, so choose another name (nothing was created)",
        vm.name,
        vm.reference.value,
        listed.join(", ")
    )))
}

/// Revert the VM to a snapshot (`RevertToSnapshot_Task` on the snapshot).
pub fn revert(vm_argument: &str, snapshot_argument: &str) -> Result<Value> {
    let vm = resolve_vm(vm_argument)?;
    let before = read_vm(&vm, &SNAPSHOT_PROPS)?;
    let snapshot =
        SnapshotTree::from_value(before.get("snapshot")).find(&vm.name, snapshot_argument)?;
    let previous_state = power_state(&before);

    let action = snapshot_action(
        "revert-snapshot",
        format!(
            "Revert VM '{}' ({}) to snapshot '{}' ({}); changes made since that snapshot are lost",
            vm.name, vm.reference.value, snapshot.path, snapshot.reference.value
        ),
        &vm,
        &snapshot,
        REVERT_TO_SNAPSHOT,
    );
    let grant = approval::request(&action)?;
    vsphere::invoke(&snapshot.reference, REVERT_TO_SNAPSHOT, json!({}))?;

    let after = read_after(&vm, &["runtime.powerState"]);
    Ok(json!({
        "vm": vm.name,
        "id": vm.reference.value,
        "action": "revertToSnapshot",
        "snapshot": snapshot.to_json(),
        "previousState": previous_state,
        "powerState": after.as_ref().map(power_state),
        "approval": grant,
    }))
}

/// Delete one snapshot, keeping its children (`RemoveSnapshot_Task`,
/// `removeChildren: false`).
pub fn delete(vm_argument: &str, snapshot_argument: &str) -> Result<Value> {
    let vm = resolve_vm(vm_argument)?;
    let before = read_vm(&vm, &SNAPSHOT_PROPS)?;
    let snapshot =
        SnapshotTree::from_value(before.get("snapshot")).find(&vm.name, snapshot_argument)?;

    let action = snapshot_action(
        "delete-snapshot",
        format!(
            "Delete snapshot '{}' ({}) of VM '{}' ({}), keeping its {} child snapshot(s)",
            snapshot.path, snapshot.reference.value, vm.name, vm.reference.value, snapshot.children
        ),
        &vm,
        &snapshot,
        REMOVE_SNAPSHOT,
    );
    let grant = approval::request(&action)?;
    vsphere::invoke(
        &snapshot.reference,
        REMOVE_SNAPSHOT,
        json!({ "removeChildren": false }),
    )?;

    let after = read_after(&vm, &["snapshot"]).map(|o| SnapshotTree::from_value(o.get("snapshot")));
    Ok(json!({
        "vm": vm.name,
        "id": vm.reference.value,
        "action": "deleteSnapshot",
        "deleted": snapshot.to_json(),
        "childrenKept": snapshot.children,
        "remainingSnapshots": after.as_ref().map(SnapshotTree::count),
        "approval": grant,
    }))
}

/// The approval for a method of a snapshot: the snapshot is the target the
/// method is called on; the VM is listed too, since it is what changes.
fn snapshot_action(
    operation: &str,
    summary: String,
    vm: &Resolved,
    snapshot: &FoundSnapshot,
    method: Method,
) -> Action {
    Action::new(operation, summary)
        .target(&snapshot.reference, &snapshot.name)
        .target(&vm.reference, &vm.name)
        .method(method)
        .detail(json!({
            "vm": vm.path,
            "id": vm.reference.value,
            "snapshot": snapshot.path,
            "snapshotId": snapshot.reference.value,
            "childSnapshots": snapshot.children,
        }))
}
