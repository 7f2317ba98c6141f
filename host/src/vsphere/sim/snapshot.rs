//! Snapshots: the VM's `snapshot` tree (`VirtualMachineSnapshotInfo`), the
//! `VirtualMachineSnapshot` objects, and the methods that create, revert and
//! remove them with vCenter's rules (a new snapshot is a child of the current
//! one; reverting follows the snapshot's power state; removing one without its
//! children moves them up to its parent).

use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::args::Args;
use super::faults;
use super::model::{Meta, Model, Power, fmt_time, reference};
use super::vm_state;
use crate::vocabulary::VsError;
use crate::vsphere::MoRef;

/// The deepest snapshot tree vSphere allows.
pub(super) const MAX_DEPTH: usize = 32;

/// What a new snapshot records.
pub(super) struct NewSnapshot {
    /// Its name.
    pub name: String,
    /// Its description.
    pub description: String,
    /// The VM power state it captured.
    pub state: Power,
    /// Whether the guest file system was quiesced.
    pub quiesced: bool,
    /// When it was taken, RFC 3339.
    pub create_time: String,
}

fn node_id(n: &Value) -> Option<String> {
    n.get("snapshot")
        .and_then(MoRef::from_json)
        .map(|r| r.value)
}

fn kids(n: &Value) -> &[Value] {
    match n.get("childSnapshotList") {
        Some(Value::Array(a)) => a,
        _ => &[],
    }
}

fn roots(m: &Model, vm_id: &str) -> Vec<Value> {
    match m
        .get(vm_id)
        .and_then(|o| o.get("snapshot.rootSnapshotList"))
    {
        Some(Value::Array(a)) => a.clone(),
        _ => Vec::new(),
    }
}

fn find<'a>(list: &'a [Value], id: &str) -> Option<&'a Value> {
    for n in list {
        if node_id(n).as_deref() == Some(id) {
            return Some(n);
        }
        if let Some(f) = find(kids(n), id) {
            return Some(f);
        }
    }
    None
}

fn find_mut<'a>(list: &'a mut [Value], id: &str) -> Option<&'a mut Value> {
    for n in list.iter_mut() {
        if node_id(n).as_deref() == Some(id) {
            return Some(n);
        }
        if let Some(Value::Array(k)) = n.get_mut("childSnapshotList")
            && let Some(f) = find_mut(k, id)
        {
            return Some(f);
        }
    }
    None
}

/// `Some(parent)` (None at the top level) when `id` is in the tree.
fn parent_of(list: &[Value], id: &str, parent: Option<&str>) -> Option<Option<String>> {
    for n in list {
        let nid = node_id(n);
        if nid.as_deref() == Some(id) {
            return Some(parent.map(str::to_string));
        }
        if let Some(p) = parent_of(kids(n), id, nid.as_deref()) {
            return Some(p);
        }
    }
    None
}

fn depth_of(list: &[Value], id: &str, depth: usize) -> Option<usize> {
    for n in list {
        if node_id(n).as_deref() == Some(id) {
            return Some(depth);
        }
        if let Some(d) = depth_of(kids(n), id, depth + 1) {
            return Some(d);
        }
    }
    None
}

fn all_ids(list: &[Value], out: &mut Vec<String>) {
    for n in list {
        out.extend(node_id(n));
        all_ids(kids(n), out);
    }
}

/// Remove `id` from the tree; its children go with it or take its place.
/// Returns the removed ids.
fn remove_node(list: &mut Vec<Value>, id: &str, remove_children: bool) -> Option<Vec<String>> {
    if let Some(pos) = list.iter().position(|n| node_id(n).as_deref() == Some(id)) {
        let node = list.remove(pos);
        let children: Vec<Value> = kids(&node).to_vec();
        let mut removed = vec![id.to_string()];
        if remove_children {
            all_ids(&children, &mut removed);
        } else {
            for (i, c) in children.into_iter().enumerate() {
                list.insert(pos + i, c);
            }
        }
        return Some(removed);
    }
    for n in list.iter_mut() {
        let Some(Value::Array(k)) = n.get_mut("childSnapshotList") else {
            continue;
        };
        if let Some(r) = remove_node(k, id, remove_children) {
            if k.is_empty()
                && let Value::Object(o) = n
            {
                o.remove("childSnapshotList");
            }
            return Some(r);
        }
    }
    None
}

fn write_roots(m: &mut Model, vm_id: &str, list: Vec<Value>) -> Result<(), VsError> {
    let o = m.try_get_mut(vm_id)?;
    if list.is_empty() {
        o.unset("snapshot");
    } else {
        if !o.get("snapshot").is_some_and(Value::is_object) {
            o.set(
                "snapshot",
                json!({ "_typeName": "VirtualMachineSnapshotInfo" }),
            );
        }
        o.set("snapshot.rootSnapshotList", Value::Array(list));
    }
    Ok(())
}

/// Add a snapshot of `vm_id` under `parent` (top level when `None`); returns its id.
pub(super) fn add(
    m: &mut Model,
    vm_id: &str,
    parent: Option<&str>,
    s: NewSnapshot,
) -> Result<String, VsError> {
    let mut list = roots(m, vm_id);
    let vm_obj = m.try_get(vm_id)?;
    let config = vm_obj.get("config").cloned().unwrap_or_else(|| json!({}));
    let tree_id = vm_obj.vm_meta().map(|x| x.next_snapshot_id).unwrap_or(1);
    let id = m.alloc_snapshot_id();
    let mut node = Map::new();
    node.insert("_typeName".into(), json!("VirtualMachineSnapshotTree"));
    node.insert("snapshot".into(), reference("VirtualMachineSnapshot", &id));
    node.insert("vm".into(), reference("VirtualMachine", vm_id));
    node.insert("name".into(), json!(s.name));
    node.insert("description".into(), json!(s.description));
    node.insert("id".into(), json!(tree_id));
    node.insert("createTime".into(), json!(s.create_time));
    node.insert("state".into(), json!(s.state.as_str()));
    node.insert("quiesced".into(), json!(s.quiesced));
    node.insert("replaySupported".into(), json!(false));
    let node = Value::Object(node);
    match parent {
        None => list.push(node),
        Some(p) => {
            let pn = find_mut(&mut list, p).ok_or_else(|| {
                VsError::Internal(format!("snapshot {p} is not in {vm_id}'s tree"))
            })?;
            if let Value::Object(po) = pn {
                match po.get_mut("childSnapshotList") {
                    Some(Value::Array(a)) => a.push(node),
                    _ => {
                        po.insert("childSnapshotList".into(), json!([node]));
                    }
                }
            }
        }
    }
    let mut props = Map::new();
    props.insert("vm".into(), reference("VirtualMachine", vm_id));
    props.insert("config".into(), config);
    m.insert("VirtualMachineSnapshot", id.clone(), props, Meta::None);
    write_roots(m, vm_id, list)?;
    if let Some(Meta::Vm(meta)) = m.get_mut(vm_id).map(|o| &mut o.meta) {
        meta.next_snapshot_id = tree_id + 1;
    }
    Ok(id)
}

/// Make `snap` the VM's current snapshot (or none).
pub(super) fn set_current(m: &mut Model, vm_id: &str, snap: Option<&str>) -> Result<(), VsError> {
    let o = m.try_get_mut(vm_id)?;
    if o.get("snapshot").is_none() {
        return Ok(());
    }
    match snap {
        Some(s) => o.set(
            "snapshot.currentSnapshot",
            reference("VirtualMachineSnapshot", s),
        ),
        None => o.unset("snapshot.currentSnapshot"),
    }
    Ok(())
}

fn current_of(m: &Model, vm_id: &str) -> Option<String> {
    m.get(vm_id)?.ref_id("snapshot.currentSnapshot")
}

/// `CreateSnapshot_Task`: a new snapshot, child of the current one, which it becomes.
pub(super) fn create(
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
    vm_state::require_connected(m, vm_id)?;
    if o.flag("config.template") {
        return Err(faults::not_supported(
            "a template cannot have snapshots taken",
        ));
    }
    let power = o.power();
    let running = super::derive::tools_running(o);
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
    vm_state::require_connected(m, vm_id)?;
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
            vm_state::check_same_compute(m, vm_id, &h.value, "host")?;
            run_on = Some(h.value.clone());
        }
        if let Some(h) = &run_on {
            vm_state::check_host_can_run(m, h)?;
        }
    }
    let hardware = m.get(snap).and_then(|s| s.get("config.hardware")).cloned();
    let o = m.try_get_mut(vm_id)?;
    if let Some(hw) = hardware {
        o.set("config.hardware", hw);
    }
    vm_state::set_power(o, target, now, true);
    if let Some(h) = run_on.filter(|_| target == Power::On) {
        o.set("runtime.host", reference("HostSystem", &h));
    }
    vm_state::sync_networks(o);
    set_current(m, vm_id, Some(snap))
}

/// `RevertToCurrentSnapshot_Task`.
pub(super) fn revert_current(
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
pub(super) fn remove_all(m: &mut Model, vm_id: &str, a: &Args) -> Result<Value, VsError> {
    a.opt_boolean("consolidate")?;
    a.opt_data("spec", "SnapshotSelectionSpec")?;
    vm_state::require_connected(m, vm_id)?;
    let mut ids = Vec::new();
    all_ids(&roots(m, vm_id), &mut ids);
    for id in ids {
        m.remove(&id);
    }
    write_roots(m, vm_id, Vec::new())?;
    Ok(Value::Null)
}

/// Remove every snapshot object of a VM that is being destroyed.
pub(super) fn drop_all(m: &mut Model, vm_id: &str) {
    let mut ids = Vec::new();
    all_ids(&roots(m, vm_id), &mut ids);
    for id in ids {
        m.remove(&id);
    }
}

/// The methods of `VirtualMachineSnapshot` the simulator implements.
pub(super) const METHODS: &[&str] = &[
    "RevertToSnapshot_Task",
    "RemoveSnapshot_Task",
    "RenameSnapshot",
];

/// Call a `VirtualMachineSnapshot` method.
pub(super) fn invoke(
    m: &mut Model,
    target: &MoRef,
    method: &str,
    args: &Map<String, Value>,
    now: OffsetDateTime,
) -> Result<Value, VsError> {
    let snap = target.value.as_str();
    let vm_id = m
        .try_get(snap)?
        .ref_id("vm")
        .ok_or_else(|| VsError::Internal(format!("snapshot {snap} has no VM")))?;
    match method {
        "RevertToSnapshot_Task" => {
            let a = Args::new(method, args, &["host", "suppressPowerOn"])?;
            let host = a.opt_reference("host", &["HostSystem"])?;
            let suppress = a.opt_boolean("suppressPowerOn")?.unwrap_or(false);
            revert(m, &vm_id, snap, host, suppress, now)?;
            Ok(Value::Null)
        }
        "RemoveSnapshot_Task" => {
            let a = Args::new(method, args, &["removeChildren", "consolidate"])?;
            let remove_children = a.boolean("removeChildren")?;
            a.opt_boolean("consolidate")?;
            vm_state::require_connected(m, &vm_id)?;
            let mut list = roots(m, &vm_id);
            let parent = parent_of(&list, snap, None)
                .ok_or_else(|| faults::not_found(&format!("snapshot {snap}")))?;
            let removed = remove_node(&mut list, snap, remove_children).unwrap_or_default();
            let current = current_of(m, &vm_id);
            write_roots(m, &vm_id, list)?;
            if current.is_some_and(|c| removed.contains(&c)) {
                set_current(m, &vm_id, parent.as_deref())?;
            }
            for id in removed {
                m.remove(&id);
            }
            Ok(Value::Null)
        }
        "RenameSnapshot" => {
            let a = Args::new(method, args, &["name", "description"])?;
            let name = a.opt_string("name")?;
            let description = a.opt_string("description")?;
            let mut list = roots(m, &vm_id);
            let node = find_mut(&mut list, snap)
                .ok_or_else(|| faults::not_found(&format!("snapshot {snap}")))?;
            if let Value::Object(n) = node {
                if let Some(v) = name {
                    n.insert("name".into(), json!(v));
                }
                if let Some(v) = description {
                    n.insert("description".into(), json!(v));
                }
            }
            write_roots(m, &vm_id, list)?;
            Ok(Value::Null)
        }
        _ => Err(faults::method_not_found(target, method, METHODS)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: &str, children: Vec<Value>) -> Value {
        let mut n = json!({ "snapshot": reference("VirtualMachineSnapshot", id) });
        if !children.is_empty() {
            n["childSnapshotList"] = Value::Array(children);
        }
        n
    }

    #[test]
    fn removing_without_children_moves_them_up() {
        let mut list = vec![node(
            "a",
            vec![node("b", vec![node("c", vec![]), node("d", vec![])])],
        )];
        let removed = remove_node(&mut list, "b", false);
        assert_eq!(removed, Some(vec!["b".to_string()]));
        let a_kids: Vec<String> = kids(&list[0]).iter().filter_map(node_id).collect();
        assert_eq!(a_kids, vec!["c", "d"]);
        assert_eq!(parent_of(&list, "c", None), Some(Some("a".to_string())));
    }

    #[test]
    fn removing_with_children_removes_the_subtree() {
        let mut list = vec![node("a", vec![node("b", vec![node("c", vec![])])])];
        let removed = remove_node(&mut list, "b", true).unwrap_or_default();
        assert_eq!(removed, vec!["b", "c"]);
        assert!(
            list[0].get("childSnapshotList").is_none(),
            "empty child lists are dropped"
        );
        assert_eq!(depth_of(&list, "a", 1), Some(1));
        assert_eq!(find(&list, "c"), None);
    }
}

/// Behaviour tests through the `Backend` trait, as a plugin sees it: every method's effect, every fault, and that a fault leaves the inventory as it
/// was.
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
