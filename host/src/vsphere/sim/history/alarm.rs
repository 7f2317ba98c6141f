//! Alarms: definitions (`Alarm` objects with their `info`), the states
//! triggered on entities, and their propagation. vCenter shows an alarm
//! triggered on a VM in the `triggeredAlarmState` of the VM and of every
//! entity above it (folder, datacenter, root folder), so that reading one
//! entity shows what alarms below it; `derive_triggered` recomputes that
//! after every change (a VM moved or deleted takes its alarms with it).

use std::collections::HashMap;

use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::vsphere::sim::derive::Changes;
use crate::vsphere::sim::model::{Meta, Model, fmt_time, reference};
use crate::vsphere::sim::schema;

/// Define an alarm named `name` on the root folder (where vCenter's
/// predefined alarms live); returns its id. A name defined before is reused.
pub(in crate::vsphere::sim) fn define(m: &mut Model, name: &str, description: &str) -> String {
    if let Some(id) = m
        .ids_of_kind("Alarm")
        .into_iter()
        .find(|id| m.get(id).and_then(|o| o.str("info.name")) == Some(name))
    {
        return id;
    }
    let id = format!("alarm-{}", m.ids_of_kind("Alarm").len() + 1);
    let mut props = serde_json::Map::new();
    props.insert(
        "info".into(),
        json!({
            "_typeName": "AlarmInfo",
            "name": name,
            "systemName": format!("alarm.{}", name.replace(' ', "")),
            "description": description,
            "enabled": true,
            "key": id,
            "alarm": reference("Alarm", &id),
            "entity": reference("Folder", "group-d1"),
            "lastModifiedTime": "2026-01-01T00:00:00Z",
            "lastModifiedUser": "VSPHERE.LOCAL\\Administrator",
            "creationEventId": 0,
        }),
    );
    m.insert("Alarm", id.clone(), props, Meta::None);
    id
}

/// A triggered alarm: which one, on what, how bad, since when, and who
/// acknowledged it.
pub(in crate::vsphere::sim) struct Triggered<'a> {
    /// The alarm's id.
    pub alarm: &'a str,
    /// The entity it triggered on.
    pub entity: &'a str,
    /// `red` or `yellow`.
    pub status: &'a str,
    /// When it triggered.
    pub at: OffsetDateTime,
    /// Who acknowledged it, and when.
    pub acknowledged: Option<(&'a str, OffsetDateTime)>,
}

/// Trigger an alarm on an entity (replacing its earlier state there).
pub(in crate::vsphere::sim) fn trigger(m: &mut Model, t: Triggered<'_>) {
    let Some(entity) = m.moref(t.entity) else {
        return;
    };
    let key = format!("{}.{}", t.alarm, t.entity);
    let mut state = json!({
        "_typeName": "AlarmState",
        "key": key,
        "entity": entity.to_json(),
        "alarm": reference("Alarm", t.alarm),
        "overallStatus": t.status,
        "time": fmt_time(t.at),
        "acknowledged": t.acknowledged.is_some(),
    });
    if let Some((user, when)) = t.acknowledged {
        state["acknowledgedByUser"] = json!(user);
        state["acknowledgedTime"] = json!(fmt_time(when));
    }
    m.history.alarm_states.retain(|s| s["key"] != key);
    m.history.alarm_states.push(state);
}

/// Every entity's `triggeredAlarmState`: the states triggered on it or on
/// anything below it. States of entities that no longer exist are dropped.
pub(in crate::vsphere::sim) fn derive_triggered(m: &Model, out: &mut Changes) {
    let mut by_entity: HashMap<String, Vec<Value>> = HashMap::new();
    for state in &m.history.alarm_states {
        let mut at = state["entity"]["value"].as_str().map(str::to_string);
        if at.as_deref().is_some_and(|id| m.get(id).is_none()) {
            continue;
        }
        for _ in 0..256 {
            let Some(id) = at else { break };
            by_entity.entry(id.clone()).or_default().push(state.clone());
            at = m.parent(&id);
        }
    }
    for o in m.objects().filter(|o| schema::is_entity(&o.kind)) {
        let states = Value::Array(by_entity.remove(&o.id).unwrap_or_default());
        if o.props.get("triggeredAlarmState") != Some(&states) {
            out.set(o, "triggeredAlarmState", states);
        }
    }
}
