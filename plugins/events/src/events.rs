//! `listEvents`: vCenter's events, newest first, a page at a time (see
//! `history`), each with its time, type, message, user and the entity it
//! is about.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use vmware_plugin_sdk::json::{as_i64, as_str};
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

/// The event arguments that name an entity, most specific first, with the
/// field inside each that holds the reference.
const ENTITY_ARGUMENTS: &[(&str, &str)] = &[
    ("entity", "entity"),
    ("vm", "vm"),
    ("host", "host"),
    ("ds", "datastore"),
    ("net", "network"),
    ("computeResource", "computeResource"),
    ("datacenter", "datacenter"),
];

/// The entity an event is most specifically about: (reference, name).
fn subject(event: &Value) -> Option<(MoRef, String)> {
    ENTITY_ARGUMENTS.iter().find_map(|(field, link)| {
        let argument = event.get(*field)?;
        let reference = MoRef::from_json(argument.get(*link)?)?;
        Some((
            reference,
            as_str(&argument["name"]).unwrap_or_default().to_string(),
        ))
    })
}

/// Where an event stands: its time, then its key.
fn position(event: &Value) -> Option<Position> {
    Some((
        since::parse(as_str(&event["createdTime"])?)?,
        as_i64(&event["key"])?,
    ))
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
        position,
    )?;
    let subjects: Vec<Option<(MoRef, String)>> = page.items.iter().map(subject).collect();
    let known: Vec<(MoRef, String)> = subjects.iter().flatten().cloned().collect();
    let mut described = entity::describe(&known).into_iter();
    let rows = page
        .items
        .iter()
        .zip(subjects)
        .map(|(event, subject)| EventRow {
            time: as_str(&event["createdTime"])
                .unwrap_or_default()
                .to_string(),
            event_type: as_str(&event["_typeName"]).unwrap_or_default().to_string(),
            message: as_str(&event["fullFormattedMessage"])
                .unwrap_or_default()
                .to_string(),
            user: as_str(&event["userName"])
                .filter(|u| !u.is_empty())
                .map(String::from),
            entity: subject.and_then(|_| described.next()),
            key: as_i64(&event["key"]).unwrap_or_default(),
        })
        .collect::<Vec<_>>();
    Ok(Paged {
        total: None,
        rows,
        next_cursor: page.next_cursor,
    })
}
