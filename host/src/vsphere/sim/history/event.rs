//! Posting events: each one an `Event` data object of its vim25 type with
//! the key, chain id, time, user and message vCenter gives every event, and
//! the entity arguments of its subject.

use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::subject::Subject;
use crate::vsphere::sim::model::{Model, fmt_time};

/// What one event says.
pub(in crate::vsphere::sim) struct EventSpec<'a> {
    /// Its vim25 type, e.g. `VmPoweredOnEvent`.
    pub type_name: &'a str,
    /// Who it is about.
    pub subject: Option<&'a Subject>,
    /// `fullFormattedMessage`.
    pub message: String,
    /// Who caused it.
    pub user: &'a str,
    /// Fields of its own type (e.g. a renamed VM's `oldName` and `newName`).
    pub fields: Map<String, Value>,
}

/// Add an event at `at`; returns its key. Keys grow with every event, so
/// the newest event has the largest key, as in vCenter.
pub(in crate::vsphere::sim) fn post(m: &mut Model, at: OffsetDateTime, spec: EventSpec<'_>) -> i64 {
    let key = m.history.next_event_key;
    m.history.next_event_key += 1;
    let mut event = Map::new();
    event.insert("_typeName".into(), json!(spec.type_name));
    event.insert("key".into(), json!(key));
    event.insert("chainId".into(), json!(key));
    event.insert("createdTime".into(), json!(fmt_time(at)));
    event.insert("userName".into(), json!(spec.user));
    if let Some(subject) = spec.subject {
        event.extend(subject.event_arguments());
    }
    event.extend(spec.fields);
    event.insert("fullFormattedMessage".into(), json!(spec.message));
    m.history.events.push(Value::Object(event));
    key
}
