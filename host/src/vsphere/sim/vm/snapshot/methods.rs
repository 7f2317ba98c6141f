//! The snapshot methods with vCenter's rules: those of the VM
//! (`CreateSnapshot_Task`: a new snapshot is a child of the current one;
//! `RevertToCurrentSnapshot_Task`; `RemoveAllSnapshots_Task`) and those of a
//! `VirtualMachineSnapshot` (reverting follows the snapshot's power state;
//! removing one without its children moves them up to its parent; renaming).

use serde_json::{Value, json};
use time::OffsetDateTime;

use super::tree::{
    MAX_DEPTH, NewSnapshot, add, all_ids, current_of, depth_of, find, find_mut, parent_of,
    remove_node, roots, set_current, write_roots,
};
use crate::vocabulary::VsError;
use crate::vsphere::MoRef;
use crate::vsphere::sim::args::{Args, Call};
use crate::vsphere::sim::faults;
use crate::vsphere::sim::model::{Model, Power, fmt_time, reference};
use crate::vsphere::sim::vm::state;

/// `CreateSnapshot_Task`: a new snapshot, child of the current one, which it becomes.
pub(in crate::vsphere::sim::vm) fn create(
    m: &mut Model,
    vm_id: &str,
    a: &Args,
    now: OffsetDateTime,
) -> Result<Value, VsError> {
    let name = a.string("name")?;
    let description = a.opt_string("description")?.unwrap_or("");
    let memory = a.boolean("memory")?;
    let quiesce = a.boolean("quiesce")?;
    let o = m.try_get(vm_id)?;
    state::require_connected(m, vm_id)?;
    if o.flag("config.template") {
        return Err(faults::not_supported(
            "a template cannot have snapshots taken",
        ));
    }
    let power = o.power();
    let running = state::tools_running(o);
    if quiesce && power == Power::On && !running {
        return Err(faults::tools_unavailable());
    }
    let current = current_of(m, vm_id);
    if let Some(c) = &current
        && depth_of(&roots(m, vm_id), c, 1).unwrap_or(0) >= MAX_DEPTH
    {
        return Err(faults::too_many_snapshot_levels());
    }
    let state = match power {
        Power::On if memory => Power::On,
        Power::On => Power::Off,
        other => other,
    };
    let s = NewSnapshot {
        name: name.to_string(),
        description: description.to_string(),
        state,
        quiesced: quiesce && power == Power::On,
        create_time: fmt_time(now),
    };
    let id = add(m, vm_id, current.as_deref(), s)?;
    set_current(m, vm_id, Some(&id))?;
    Ok(reference("VirtualMachineSnapshot", &id))
}

/// Revert `vm_id` to `snap`: hardware and power state as captured.
fn revert(
    m: &mut Model,
    vm_id: &str,
    snap: &str,
    host: Option<MoRef>,
    suppress_power_on: bool,
    now: OffsetDateTime,
) -> Result<(), VsError> {
    state::require_connected(m, vm_id)?;
    let o = m.try_get(vm_id)?;
    if o.flag("config.template") {
        return Err(faults::not_supported(
            "a template cannot be reverted to a snapshot",
        ));
    }
    let list = roots(m, vm_id);
    let node = find(&list, snap)
        .ok_or_else(|| faults::not_found(&format!("snapshot {snap} of {vm_id}")))?;
    let captured = Power::parse(node.get("state").and_then(Value::as_str).unwrap_or(""));
    let target = match captured {
        Power::On if suppress_power_on => Power::Suspended,
        other => other,
    };
    let mut run_on = o.ref_id("runtime.host");
    if target == Power::On {
        if let Some(h) = &host {
            m.resolve(h)?;
            state::check_same_compute(m, vm_id, &h.value, "host")?;
            run_on = Some(h.value.clone());
        }
        if let Some(h) = &run_on {
            state::check_host_can_run(m, h)?;
        }
    }
    let hardware = m.get(snap).and_then(|s| s.get("config.hardware")).cloned();
    let o = m.try_get_mut(vm_id)?;
    if let Some(hw) = hardware {
        o.set("config.hardware", hw);
    }
    state::set_power(o, target, now, true);
    if let Some(h) = run_on.filter(|_| target == Power::On) {
        o.set("runtime.host", reference("HostSystem", &h));
    }
    state::sync_networks(o);
    set_current(m, vm_id, Some(snap))
}

/// `RevertToCurrentSnapshot_Task`.
pub(in crate::vsphere::sim::vm) fn revert_current(
    m: &mut Model,
    vm_id: &str,
    a: &Args,
    now: OffsetDateTime,
) -> Result<Value, VsError> {
    let host = a.opt_reference("host", &["HostSystem"])?;
    let suppress = a.opt_boolean("suppressPowerOn")?.unwrap_or(false);
    let current = current_of(m, vm_id)
        .ok_or_else(|| faults::not_found("the virtual machine has no current snapshot"))?;
    revert(m, vm_id, &current, host, suppress, now)?;
    Ok(Value::Null)
}

/// `RemoveAllSnapshots_Task`.
pub(in crate::vsphere::sim::vm) fn remove_all(
    m: &mut Model,
    vm_id: &str,
    a: &Args,
) -> Result<Value, VsError> {
    a.opt_boolean("consolidate")?;
    a.opt_data("spec", "SnapshotSelectionSpec")?;
    state::require_connected(m, vm_id)?;
    drop_all(m, vm_id);
    write_roots(m, vm_id, Vec::new())?;
    Ok(Value::Null)
}

/// Remove every snapshot object of a VM that is being destroyed.
pub(in crate::vsphere::sim::vm) fn drop_all(m: &mut Model, vm_id: &str) {
    let mut ids = Vec::new();
    all_ids(&roots(m, vm_id), &mut ids);
    for id in ids {
        m.remove(&id);
    }
}

/// The methods of `VirtualMachineSnapshot` the simulator implements.
const METHODS: &[&str] = &[
    "RevertToSnapshot_Task",
    "RemoveSnapshot_Task",
    "RenameSnapshot",
];

/// Call a `VirtualMachineSnapshot` method.
pub(in crate::vsphere::sim) fn invoke(m: &mut Model, call: &Call) -> Result<Value, VsError> {
    let snap = call.id();
    let vm_id = m
        .try_get(snap)?
        .ref_id("vm")
        .ok_or_else(|| VsError::Internal(format!("snapshot {snap} has no VM")))?;
    match call.method {
        "RevertToSnapshot_Task" => {
            let a = call.params(&["host", "suppressPowerOn"])?;
            let host = a.opt_reference("host", &["HostSystem"])?;
            let suppress = a.opt_boolean("suppressPowerOn")?.unwrap_or(false);
            revert(m, &vm_id, snap, host, suppress, call.now)?;
            Ok(Value::Null)
        }
        "RemoveSnapshot_Task" => remove(
            m,
            &vm_id,
            snap,
            &call.params(&["removeChildren", "consolidate"])?,
        ),
        "RenameSnapshot" => rename(m, &vm_id, snap, &call.params(&["name", "description"])?),
        _ => Err(call.not_found(METHODS)),
    }
}

/// `RemoveSnapshot_Task`: the snapshot alone (its children move up to its
/// parent) or with its subtree; a removed current snapshot hands that role
/// to its parent.
fn remove(m: &mut Model, vm_id: &str, snap: &str, a: &Args) -> Result<Value, VsError> {
    let remove_children = a.boolean("removeChildren")?;
    a.opt_boolean("consolidate")?;
    state::require_connected(m, vm_id)?;
    let mut list = roots(m, vm_id);
    let parent = parent_of(&list, snap, None)
        .ok_or_else(|| faults::not_found(&format!("snapshot {snap}")))?;
    let removed = remove_node(&mut list, snap, remove_children).unwrap_or_default();
    let current = current_of(m, vm_id);
    write_roots(m, vm_id, list)?;
    if current.is_some_and(|c| removed.contains(&c)) {
        set_current(m, vm_id, parent.as_deref())?;
    }
    for id in removed {
        m.remove(&id);
    }
    Ok(Value::Null)
}

/// `RenameSnapshot`: a new name, description or both, kept in the tree node.
fn rename(m: &mut Model, vm_id: &str, snap: &str, a: &Args) -> Result<Value, VsError> {
    let name = a.opt_string("name")?;
    let description = a.opt_string("description")?;
    let mut list = roots(m, vm_id);
    let node =
        find_mut(&mut list, snap).ok_or_else(|| faults::not_found(&format!("snapshot {snap}")))?;
    if let Value::Object(n) = node {
        if let Some(v) = name {
            n.insert("name".into(), json!(v));
        }
        if let Some(v) = description {
            n.insert("description".into(), json!(v));
        }
    }
    write_roots(m, vm_id, list)?;
    Ok(Value::Null)
}

/// Behaviour tests through the `Backend` trait, as a plugin sees it: every
/// method's effect, every fault, and that a fault leaves the inventory as it was.
#[cfg(test)]
mod backend_tests {
    use serde_json::json;

    use crate::vocabulary::VsError;
    use crate::vsphere::sim::test_support::*;
    use crate::vsphere::sim::*;

    #[tokio::test]
    async fn nested_snapshots_create_revert_remove() {
        let s = sim();
        let vm = find(&s, "DC0/vm/dev/dev-app-02");
        assert_eq!(read(&s, &vm, "snapshot").await, None);

        let s1 = ok(
            &s,
            &vm,
            "CreateSnapshot_Task",
            json!({"name": "s1", "description": "first", "memory": false, "quiesce": false}),
        )
        .await;
        let s1 = MoRef::from_json(&s1).unwrap_or_else(|| panic!("a snapshot reference"));
        assert_eq!(s1.kind, "VirtualMachineSnapshot");
        let s2 = MoRef::from_json(
            &ok(
                &s,
                &vm,
                "CreateSnapshot_Task",
                json!({"name": "s2", "memory": false, "quiesce": false}),
            )
            .await,
        )
        .unwrap_or_else(|| panic!("ref"));
        let t = tree(&s, &vm).await;
        assert_eq!(t["currentSnapshot"]["value"], s2.value);
        assert_eq!(names_at(&t["rootSnapshotList"]), ["s1"]);
        assert_eq!(
            names_at(&t["rootSnapshotList"][0]["childSnapshotList"]),
            ["s2"]
        );
        assert_eq!(t["rootSnapshotList"][0]["description"], "first");
        assert_eq!(t["rootSnapshotList"][0]["state"], "poweredOff");
        assert_eq!(
            ref_values(read(&s, &vm, "rootSnapshot").await),
            vec![s1.value.clone()]
        );

        // Revert to s1, then a new snapshot becomes a second child of s1.
        ok(&s, &s1, "RevertToSnapshot_Task", json!({})).await;
        assert_eq!(tree(&s, &vm).await["currentSnapshot"]["value"], s1.value);
        let s3 = MoRef::from_json(
            &ok(
                &s,
                &vm,
                "CreateSnapshot_Task",
                json!({"name": "s3", "memory": false, "quiesce": false}),
            )
            .await,
        )
        .unwrap_or_else(|| panic!("ref"));
        let t = tree(&s, &vm).await;
        assert_eq!(
            names_at(&t["rootSnapshotList"][0]["childSnapshotList"]),
            ["s2", "s3"]
        );

        // Remove s1 alone: its children move up.
        ok(
            &s,
            &s1,
            "RemoveSnapshot_Task",
            json!({"removeChildren": false}),
        )
        .await;
        let t = tree(&s, &vm).await;
        assert_eq!(names_at(&t["rootSnapshotList"]), ["s2", "s3"]);
        assert_eq!(t["currentSnapshot"]["value"], s3.value);
        assert_eq!(
            fault_type(&call(&s, &s1, "RevertToSnapshot_Task", json!({})).await),
            "ManagedObjectNotFound"
        );
        assert_eq!(
            ref_values(read(&s, &vm, "rootSnapshot").await),
            vec![s2.value.clone(), s3.value.clone()]
        );

        // Removing the current snapshot at the top level leaves no current one.
        ok(
            &s,
            &s3,
            "RemoveSnapshot_Task",
            json!({"removeChildren": true}),
        )
        .await;
        let t = tree(&s, &vm).await;
        assert_eq!(names_at(&t["rootSnapshotList"]), ["s2"]);
        assert!(t.get("currentSnapshot").is_none(), "{t}");
        fails_unchanged(
            &s,
            &vm,
            "RevertToCurrentSnapshot_Task",
            json!({}),
            "NotFound",
        )
        .await;

        ok(&s, &vm, "RemoveAllSnapshots_Task", json!({})).await;
        assert_eq!(read(&s, &vm, "snapshot").await, None);
        assert_eq!(
            ref_values(read(&s, &vm, "rootSnapshot").await),
            Vec::<String>::new()
        );
        assert_eq!(
            fault_type(
                &call(
                    &s,
                    &s2,
                    "RemoveSnapshot_Task",
                    json!({"removeChildren": true})
                )
                .await
            ),
            "ManagedObjectNotFound"
        );
    }

    #[tokio::test]
    async fn snapshot_objects_link_to_their_children() {
        let s = sim();
        let vm = find(&s, "DC0/vm/db/db-01");
        let t = tree(&s, &vm).await;
        let pre = MoRef::from_json(&t["rootSnapshotList"][0]["childSnapshotList"][0]["snapshot"])
            .unwrap_or_else(|| panic!("pre-upgrade"));
        let post =
            t["rootSnapshotList"][0]["childSnapshotList"][0]["childSnapshotList"][0]["snapshot"]
                .clone();
        assert_eq!(t["currentSnapshot"], post);
        let base = MoRef::from_json(&t["rootSnapshotList"][0]["snapshot"])
            .unwrap_or_else(|| panic!("base"));
        // The snapshot object knows its VM and children.
        let kids = {
            let m = s.lock();
            m.get(&base.value)
                .map(|o| o.ref_ids("childSnapshot"))
                .unwrap_or_default()
        };
        assert_eq!(kids, vec![pre.value.clone()]);

        let before = snapshot_of(&s);
        let r = call(&s, &pre, "RemoveSnapshot_Task", json!({})).await;
        assert!(
            matches!(&r, Err(VsError::InvalidArgument(m)) if m.contains("`removeChildren`")),
            "{r:?}"
        );
        assert!(snapshot_of(&s) == before);
    }

    #[tokio::test]
    async fn removing_a_middle_snapshot_keeps_the_rest() {
        let s = sim();
        let vm = find(&s, "DC0/vm/db/db-01");
        let t = tree(&s, &vm).await;
        let pre = MoRef::from_json(&t["rootSnapshotList"][0]["childSnapshotList"][0]["snapshot"])
            .unwrap_or_else(|| panic!("pre-upgrade"));
        ok(
            &s,
            &pre,
            "RemoveSnapshot_Task",
            json!({"removeChildren": false, "consolidate": true}),
        )
        .await;
        let t = tree(&s, &vm).await;
        assert_eq!(names_at(&t["rootSnapshotList"]), ["base"]);
        assert_eq!(
            names_at(&t["rootSnapshotList"][0]["childSnapshotList"]),
            ["post-upgrade"]
        );
        assert_eq!(
            t["currentSnapshot"], t["rootSnapshotList"][0]["childSnapshotList"][0]["snapshot"],
            "current unchanged"
        );
    }

    #[tokio::test]
    async fn revert_follows_the_snapshot_power_state() {
        let s = sim();
        let vm = find(&s, "DC0/vm/web/web-02");
        // Taken while on without memory: reverting powers the VM off.
        let cold = MoRef::from_json(
            &ok(
                &s,
                &vm,
                "CreateSnapshot_Task",
                json!({"name": "cold", "memory": false, "quiesce": true}),
            )
            .await,
        )
        .unwrap_or_else(|| panic!("ref"));
        assert_eq!(tree(&s, &vm).await["rootSnapshotList"][0]["quiesced"], true);
        // Taken while on with memory: reverting leaves it on.
        let warm = MoRef::from_json(
            &ok(
                &s,
                &vm,
                "CreateSnapshot_Task",
                json!({"name": "warm", "memory": true, "quiesce": false}),
            )
            .await,
        )
        .unwrap_or_else(|| panic!("ref"));
        assert_eq!(
            tree(&s, &vm).await["rootSnapshotList"][0]["childSnapshotList"][0]["state"],
            "poweredOn"
        );

        ok(&s, &cold, "RevertToSnapshot_Task", json!({})).await;
        assert_eq!(read_str(&s, &vm, "runtime.powerState").await, "poweredOff");
        ok(&s, &warm, "RevertToSnapshot_Task", json!({})).await;
        assert_eq!(read_str(&s, &vm, "runtime.powerState").await, "poweredOn");
        ok(&s, &vm, "PowerOffVM_Task", json!({})).await;
        ok(
            &s,
            &vm,
            "RevertToCurrentSnapshot_Task",
            json!({"suppressPowerOn": true}),
        )
        .await;
        assert_eq!(read_str(&s, &vm, "runtime.powerState").await, "suspended");

        // Quiescing needs tools.
        let dev_db = find(&s, "DC0/vm/dev/dev-db-01");
        fails_unchanged(
            &s,
            &dev_db,
            "CreateSnapshot_Task",
            json!({"name": "q", "memory": false, "quiesce": true}),
            "ToolsUnavailable",
        )
        .await;
        // Templates take no snapshots.
        let tpl = find(&s, "DC0/vm/templates/tpl-win2022");
        fails_unchanged(
            &s,
            &tpl,
            "CreateSnapshot_Task",
            json!({"name": "x", "memory": false, "quiesce": false}),
            "NotSupported",
        )
        .await;
    }
}
