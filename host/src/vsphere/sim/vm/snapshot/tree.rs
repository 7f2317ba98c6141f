//! A VM's snapshot tree (`snapshot`, a `VirtualMachineSnapshotInfo`): its
//! nodes, the `VirtualMachineSnapshot` object behind each, and the tree
//! operations the methods and fixtures share (add a node, find one, its parent
//! and depth, remove one with or without its children, the current snapshot).

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use crate::vocabulary::VsError;
use crate::vsphere::MoRef;
use crate::vsphere::sim::model::{Meta, Model, Object, Power, reference};

/// The deepest snapshot tree vSphere allows.
pub(in crate::vsphere::sim) const MAX_DEPTH: usize = 32;

/// What a new snapshot records.
pub(in crate::vsphere::sim) struct NewSnapshot {
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

/// The snapshot a tree node stands for.
fn node_id(n: &Value) -> Option<String> {
    n.get("snapshot")
        .and_then(MoRef::from_json)
        .map(|r| r.value)
}

/// A tree node's children.
fn kids(n: &Value) -> &[Value] {
    match n.get("childSnapshotList") {
        Some(Value::Array(a)) => a,
        _ => &[],
    }
}

/// A copy of the VM's top-level snapshot list, to change and write back.
pub(super) fn roots(m: &Model, vm_id: &str) -> Vec<Value> {
    match m
        .get(vm_id)
        .and_then(|o| o.get("snapshot.rootSnapshotList"))
    {
        Some(Value::Array(a)) => a.clone(),
        _ => Vec::new(),
    }
}

/// The node of snapshot `id`, anywhere in the tree.
pub(super) fn find<'a>(list: &'a [Value], id: &str) -> Option<&'a Value> {
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

/// The node of snapshot `id`, anywhere in the tree, to change it.
pub(super) fn find_mut<'a>(list: &'a mut [Value], id: &str) -> Option<&'a mut Value> {
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
pub(super) fn parent_of(list: &[Value], id: &str, parent: Option<&str>) -> Option<Option<String>> {
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

/// The level of snapshot `id` (the top level is `depth`).
pub(super) fn depth_of(list: &[Value], id: &str, depth: usize) -> Option<usize> {
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

/// Every snapshot id in the tree, parents before children.
pub(super) fn all_ids(list: &[Value], out: &mut Vec<String>) {
    for n in list {
        out.extend(node_id(n));
        all_ids(kids(n), out);
    }
}

/// Remove `id` from the tree; its children go with it or take its place.
/// Returns the removed ids.
pub(super) fn remove_node(
    list: &mut Vec<Value>,
    id: &str,
    remove_children: bool,
) -> Option<Vec<String>> {
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

/// Store the top-level list, dropping `snapshot` altogether when it is empty.
pub(super) fn write_roots(m: &mut Model, vm_id: &str, list: Vec<Value>) -> Result<(), VsError> {
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
pub(in crate::vsphere::sim) fn add(
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
pub(in crate::vsphere::sim) fn set_current(
    m: &mut Model,
    vm_id: &str,
    snap: Option<&str>,
) -> Result<(), VsError> {
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

/// The VM's current snapshot.
pub(super) fn current_of(m: &Model, vm_id: &str) -> Option<String> {
    m.get(vm_id)?.ref_id("snapshot.currentSnapshot")
}

/// Snapshot id → ids of its children, over a VM's snapshot tree, for the
/// snapshot objects' derived `childSnapshot`.
pub(super) fn children_by_snapshot(vm: &Object) -> HashMap<String, Vec<String>> {
    fn walk(list: &[Value], out: &mut HashMap<String, Vec<String>>) {
        for n in list {
            let Some(id) = node_id(n) else {
                continue;
            };
            out.insert(id, kids(n).iter().filter_map(node_id).collect());
            walk(kids(n), out);
        }
    }
    let mut out = HashMap::new();
    if let Some(Value::Array(roots)) = vm.get("snapshot.rootSnapshotList") {
        walk(roots, &mut out);
    }
    out
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
