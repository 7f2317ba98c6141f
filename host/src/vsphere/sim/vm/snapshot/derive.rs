//! A snapshot object's derived `childSnapshot` list, read from its VM's tree.

use serde_json::Value;

use super::tree::children_by_snapshot;
use crate::vsphere::sim::derive::Changes;
use crate::vsphere::sim::model::{Model, Object, reference};

/// A `VirtualMachineSnapshot`'s derived `childSnapshot`.
pub(in crate::vsphere::sim) fn derive(m: &Model, o: &Object, out: &mut Changes) {
    let kids = o
        .ref_id("vm")
        .and_then(|v| m.get(&v))
        .map(children_by_snapshot)
        .and_then(|mut map| map.remove(&o.id))
        .unwrap_or_default();
    let v: Vec<Value> = kids
        .iter()
        .map(|k| reference("VirtualMachineSnapshot", k))
        .collect();
    out.set(o, "childSnapshot", Value::Array(v));
}
