//! `listEvents`: vCenter's events, newest first, a page at a time (see
//! `history`), each with its time, type, message, user and the entity it
//! is about.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use vmware_plugin_sdk::paging::{self, PageRow, Paged, Paging};
use vmware_plugin_sdk::prelude::*;

use crate::entity::{self, EntityRef};
use crate::history::{self, History, Position};
use crate::since;

/// Rows per page: 50 by default (about 20 KB of result), at most 200
/// (an event row is up to about 400 B, so a page stays under 100 KB).
pub const PAGING: Paging = Paging {
    default: 50,
    max: 200,
};

/// `listEvents` arguments.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ListArgs {
    /// VM, host, cluster or datastore.
    #[schemars(length(min = 1))]
    pub entity: Option<String>,
    /// RFC 3339 time or duration (2h).
    #[schemars(length(min = 1))]
    pub since: Option<String>,
    /// Event types, e.g. VmPoweredOnEvent.
    #[schemars(length(min = 1))]
    pub event_types: Option<Vec<String>>,
    /// Rows per page, 1 to 200 (default 50).
    #[schemars(range(min = 1, max = PAGING.max), extend("default" = PAGING.default))]
    pub limit: Option<u32>,
    /// nextCursor of the previous page.
    #[schemars(length(min = 1))]
    pub cursor: Option<String>,
}

/// One event.
#[derive(Debug, Serialize, JsonSchema)]
pub struct EventRow {
    /// When.
    pub time: String,
    /// vSphere event type.
    #[serde(rename = "type")]
    pub event_type: String,
    /// What happened.
    pub message: String,
    /// Who.
    pub user: Option<String>,
    /// What it is about.
    pub entity: Option<EntityRef>,
    /// Event id.
    pub key: i64,
}

impl PageRow for EventRow {
    const ROWS: &'static str = "events";
    const COUNTED: bool = false;
}

/// The fields of a vSphere event a row shows; the rest of the event is
/// skipped as it is read.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct EventRecord {
    #[serde(rename = "_typeName")]
    type_name: String,
    key: i64,
    created_time: String,
    full_formatted_message: Option<String>,
    user_name: Option<String>,
    /// The entity arguments, in the order [`EventRecord::subject`] tries them.
    entity: Option<EntityArgument>,
    vm: Option<EntityArgument>,
    host: Option<EntityArgument>,
    ds: Option<EntityArgument>,
    net: Option<EntityArgument>,
    compute_resource: Option<EntityArgument>,
    datacenter: Option<EntityArgument>,
}

/// An event argument naming an entity (`VmEventArgument`,
/// `HostEventArgument`…): its name when the event was logged, and the
/// reference under the field its type names.
#[derive(Debug, Deserialize)]
struct EntityArgument {
    #[serde(default)]
    name: String,
    #[serde(
        alias = "entity",
        alias = "vm",
        alias = "host",
        alias = "datastore",
        alias = "network",
        alias = "computeResource",
        alias = "datacenter"
    )]
    reference: Option<MoRef>,
}

impl EventRecord {
    /// The entity the event is most specifically about: (reference, name).
    fn subject(&self) -> Option<(MoRef, String)> {
        [
            &self.entity,
            &self.vm,
            &self.host,
            &self.ds,
            &self.net,
            &self.compute_resource,
            &self.datacenter,
        ]
        .into_iter()
        .flatten()
        .find_map(|argument| Some((argument.reference.clone()?, argument.name.clone())))
    }

    /// Where the event stands: its time, then its key.
    fn position(&self) -> Option<Position> {
        Some((since::parse(&self.created_time)?, self.key))
    }
}

/// One page of events matching `args`.
pub fn list_events(args: &ListArgs) -> Result<Paged<EventRow>> {
    let limit = PAGING.limit(args.limit)?;
    if let Some(since) = &args.since {
        since::check(since)?;
    }
    let types = args.event_types.clone().unwrap_or_default();
    if let Some(bad) = types
        .iter()
        .find(|t| t.is_empty() || !t.chars().all(|c| c.is_ascii_alphanumeric()))
    {
        return Err(Error::invalid_argument(format!(
            "eventTypes holds `{bad}`, which is no vSphere event type name (such as VmPoweredOnEvent)"
        )));
    }
    let mut filter = json!({"_typeName": "EventFilterSpec"});
    if let Some(entity) = &args.entity {
        let entity = entity::resolve(entity)?;
        filter["entity"] = json!({
            "_typeName": "EventFilterSpecByEntity",
            "entity": entity.reference.to_json(),
            "recursion": "all",
        });
    }
    if !types.is_empty() {
        filter["eventTypeId"] = json!(types);
    }
    let query = paging::fingerprint(&[
        args.entity.as_deref().unwrap_or(""),
        args.since.as_deref().unwrap_or(""),
        &types.join(","),
    ]);
    let begin = args.since.as_deref().map(since::start).transpose()?;
    let page = history::page(
        History::Events,
        filter,
        begin,
        limit,
        args.cursor.as_deref(),
        query,
        EventRecord::position,
    )?;
    let subjects: Vec<Option<(MoRef, String)>> =
        page.items.iter().map(EventRecord::subject).collect();
    let known: Vec<(MoRef, String)> = subjects.iter().flatten().cloned().collect();
    let mut described = entity::describe(&known).into_iter();
    let rows = page
        .items
        .into_iter()
        .zip(subjects)
        .map(|(event, subject)| EventRow {
            time: event.created_time,
            event_type: event.type_name,
            message: event.full_formatted_message.unwrap_or_default(),
            user: event.user_name.filter(|u| !u.is_empty()),
            entity: subject.and_then(|_| described.next()),
            key: event.key,
        })
        .collect::<Vec<_>>();
    Ok(Paged {
        total: None,
        rows,
        next_cursor: page.next_cursor,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argument(kind: &str, field: &str, id: &str, name: &str) -> serde_json::Value {
        json!({"_typeName": format!("{kind}EventArgument"), "name": name,
               field: {"_typeName": "ManagedObjectReference", "type": kind, "value": id}})
    }

    /// A VI/JSON event as vCenter sends it: the row's fields are read, the
    /// rest skipped, and the most specific entity argument is its subject.
    #[test]
    fn an_event_is_read_with_its_most_specific_entity() {
        let event = json!({
            "_typeName": "VmPoweredOnEvent", "key": 42, "chainId": 41,
            "createdTime": "2026-12-07T01:00:00.5Z", "userName": "VSPHERE.LOCAL\\ops",
            "fullFormattedMessage": "web-01 on esx-1 is powered on",
            "datacenter": argument("Datacenter", "datacenter", "datacenter-2", "DC0"),
            "host": argument("HostSystem", "host", "host-9", "esx-1"),
            "vm": argument("VirtualMachine", "vm", "vm-42", "web-01"),
            "changeTag": {"_typeName": "ArrayOfString", "_value": ["x"]},
        });
        let record: EventRecord = serde_json::from_value(event).unwrap();
        assert_eq!(record.type_name, "VmPoweredOnEvent");
        assert_eq!(record.key, 42);
        assert_eq!(record.user_name.as_deref(), Some("VSPHERE.LOCAL\\ops"));
        let (reference, name) = record.subject().unwrap();
        assert_eq!(
            (reference.kind.as_str(), reference.value.as_str()),
            ("VirtualMachine", "vm-42")
        );
        assert_eq!(name, "web-01");
        assert_eq!(record.position().map(|(_, key)| key), Some(42));

        let host_only = json!({
            "_typeName": "HostConnectedEvent", "key": 7, "createdTime": "2026-12-07T01:00:00Z",
            "host": argument("HostSystem", "host", "host-9", "esx-1"),
            "datacenter": argument("Datacenter", "datacenter", "datacenter-2", "DC0"),
        });
        let record: EventRecord = serde_json::from_value(host_only).unwrap();
        assert_eq!(record.subject().unwrap().1, "esx-1");

        let about_nothing =
            json!({"_typeName": "SessionEvent", "key": 8, "createdTime": "2026-12-07T01:00:00Z"});
        let record: EventRecord = serde_json::from_value(about_nothing).unwrap();
        assert_eq!(record.subject(), None);
    }
}
