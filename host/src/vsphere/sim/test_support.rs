//! Helpers for the simulator's behaviour tests, which sit beside the
//! modules they test and drive the simulator through the `Backend` trait, as
//! a plugin sees it.

use std::time::Duration;

use serde_json::{Map, Value};

use super::model::Model;
use super::{Backend, CallContext, MoRef, ObjectContent, RetrieveSpec, SimBackend};
use crate::vocabulary::VsError;

/// The demo inventory with instant tasks.
pub(super) fn sim() -> SimBackend {
    SimBackend::demo().with_task_delay(Duration::ZERO)
}

/// A call context for tests.
pub(super) fn ctx() -> CallContext {
    CallContext {
        correlation_id: "test".into(),
        ..Default::default()
    }
}

/// A JSON object as a method's argument map.
pub(super) fn args(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// The object at an inventory path, which the test expects to exist.
pub(super) fn find(s: &SimBackend, path: &str) -> MoRef {
    s.find_by_path(path)
        .unwrap_or_else(|| panic!("{path} is in the demo inventory"))
}

/// Call a method through the `Backend` trait.
pub(super) async fn call(
    s: &SimBackend,
    target: &MoRef,
    method: &str,
    a: Value,
) -> Result<Value, VsError> {
    s.invoke(&ctx(), target, method, &args(a)).await
}

/// Call a method that must succeed; its result.
pub(super) async fn ok(s: &SimBackend, target: &MoRef, method: &str, a: Value) -> Value {
    match call(s, target, method, a).await {
        Ok(v) => v,
        Err(e) => panic!("{method} on {target} failed: {e}"),
    }
}

/// The vim25 fault type of a failed call, or what it was instead.
pub(super) fn fault_type(r: &Result<Value, VsError>) -> String {
    match r {
        Err(VsError::Fault(f)) => f.type_name.clone(),
        other => format!("not a fault: {other:?}"),
    }
}

/// Every object of a kind in the inventory, with the given properties.
pub(super) async fn all(s: &SimBackend, kind: &str, props: &[&str]) -> Vec<ObjectContent> {
    retrieve(s, kind, None, true, props)
        .await
        .unwrap_or_else(|e| panic!("retrieve {kind}: {e}"))
}

/// A `retrieve` through a container view.
pub(super) async fn retrieve(
    s: &SimBackend,
    kind: &str,
    root: Option<&MoRef>,
    recursive: bool,
    props: &[&str],
) -> Result<Vec<ObjectContent>, VsError> {
    let spec = RetrieveSpec {
        object_type: kind.into(),
        root: root.cloned(),
        recursive,
        properties: props.iter().map(|p| p.to_string()).collect(),
    };
    s.retrieve(&ctx(), &spec).await
}

/// One property of one object, `None` when unset.
pub(super) async fn read(s: &SimBackend, r: &MoRef, path: &str) -> Option<Value> {
    let kind = if r.kind == "ClusterComputeResource" {
        "ComputeResource"
    } else {
        r.kind.as_str()
    };
    let found = all(s, kind, &[path])
        .await
        .into_iter()
        .find(|o| &o.reference == r)?;
    found
        .properties
        .into_iter()
        .find(|(p, _)| p == path)
        .map(|(_, v)| v)
}

/// One string property (empty when unset).
pub(super) async fn read_str(s: &SimBackend, r: &MoRef, path: &str) -> String {
    read(s, r, path)
        .await
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The ids in a read list of references (none when unset).
pub(super) fn ref_values(v: Option<Value>) -> Vec<String> {
    super::model::ref_values(v.as_ref())
}

/// A copy of the whole inventory, to check that a failed call changed
/// nothing. The history is left out: vCenter records a failed task (its
/// `TaskInfo` and event) though the inventory stays as it was.
pub(super) fn snapshot_of(s: &SimBackend) -> Model {
    let mut m = s.lock().clone();
    m.history = Default::default();
    m
}

/// Run a call that must fail with `fault` and leave the inventory untouched.
pub(super) async fn fails_unchanged(
    s: &SimBackend,
    target: &MoRef,
    method: &str,
    a: Value,
    fault: &str,
) -> VsError {
    let before = snapshot_of(s);
    let r = call(s, target, method, a).await;
    assert_eq!(fault_type(&r), fault, "{method} on {target}: {r:?}");
    assert!(
        snapshot_of(s) == before,
        "{method} on {target} changed the inventory although it failed"
    );
    match r {
        Err(e) => e,
        Ok(_) => unreachable!(),
    }
}

/// The root folder's reference.
pub(super) fn root_folder() -> MoRef {
    MoRef::new("Folder", "group-d1")
}

/// The SearchIndex's reference.
pub(super) fn search_index() -> MoRef {
    MoRef::new("SearchIndex", "SearchIndex")
}

/// A VM's snapshot tree (`snapshot` property), `null` without snapshots.
pub(super) async fn tree(s: &SimBackend, vm: &MoRef) -> Value {
    read(s, vm, "snapshot").await.unwrap_or(Value::Null)
}

/// The names of the snapshots in one level of a tree.
pub(super) fn names_at(list: &Value) -> Vec<String> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n["name"].as_str().map(str::to_string))
        .collect()
}
