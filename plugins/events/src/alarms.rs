//! `listAlarms`: the alarms triggered on an entity or anything in it,
//! newest first. vCenter propagates each triggered alarm up the inventory
//! (`triggeredAlarmState`), so one read of the entity (the root folder when
//! none is given) answers, then one read names the alarms.

use std::cmp::Reverse;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use vmware_plugin_sdk::json::{as_bool, as_str};
use vmware_plugin_sdk::paging::{PageRow, Paged, Paging, Window, fingerprint};
use vmware_plugin_sdk::prelude::*;

use crate::entity::{self, EntityRef};

/// Rows per page: 100 by default, at most 500.
pub const PAGING: Paging = Paging {
    default: 100,
    max: 500,
};

/// A triggered alarm's status: red (alert) or yellow (warning). (The
/// variants carry no doc comments of their own, so the schema states a
/// plain enum.)
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub enum AlarmStatus {
    Red,
    Yellow,
}

impl AlarmStatus {
    fn as_str(self) -> &'static str {
        match self {
            AlarmStatus::Red => "red",
            AlarmStatus::Yellow => "yellow",
        }
    }
}

/// `listAlarms` arguments.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ListArgs {
    /// VM, host, cluster or datastore.
    #[schemars(length(min = 1))]
    pub entity: Option<String>,
    /// Only this status.
    pub status: Option<AlarmStatus>,
    /// Rows per page, 1 to 500 (default 100).
    #[schemars(range(min = 1, max = PAGING.max), extend("default" = PAGING.default))]
    pub limit: Option<u32>,
    /// nextCursor of the previous page.
    #[schemars(length(min = 1))]
    pub cursor: Option<String>,
}

/// One triggered alarm.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AlarmRow {
    /// Alarm name.
    pub alarm: String,
    /// Where it triggered.
    pub entity: EntityRef,
    /// red or yellow.
    pub status: String,
    /// Triggered at.
    pub time: String,
    /// Acknowledged.
    pub acknowledged: bool,
    /// By whom.
    pub acknowledged_by: Option<String>,
}

impl PageRow for AlarmRow {
    const ROWS: &'static str = "alarms";
}

/// The triggered alarm states under `args.entity` (everything when none is
/// given) with the status asked for.
fn states(args: &ListArgs) -> Result<Vec<Value>> {
    let scope = match &args.entity {
        Some(argument) => entity::resolve(argument)?.reference,
        None => vsphere::service_object("rootFolder")?,
    };
    let object = vsphere::read_one(&scope, &["triggeredAlarmState"])?;
    Ok(object
        .get_array("triggeredAlarmState")
        .iter()
        .filter(|s| {
            args.status
                .is_none_or(|want| as_str(&s["overallStatus"]) == Some(want.as_str()))
        })
        .cloned()
        .collect())
}

/// One page of triggered alarms, newest first.
pub fn list_alarms(args: &ListArgs) -> Result<Paged<AlarmRow>> {
    let limit = PAGING.limit(args.limit)?;
    let mut states = states(args)?;
    states.sort_by_key(|s| {
        (
            Reverse(as_str(&s["time"]).and_then(crate::since::parse)),
            as_str(&s["key"]).map(String::from),
        )
    });
    let query = fingerprint(&[
        args.entity.as_deref().unwrap_or(""),
        args.status.map(AlarmStatus::as_str).unwrap_or(""),
    ]);
    let total = states.len();
    let window = Window::at(total, limit, args.cursor.as_deref(), query)?;
    let page = &states[window.rows];
    let alarms: Vec<MoRef> = page
        .iter()
        .filter_map(|s| MoRef::from_json(&s["alarm"]))
        .collect();
    let alarm_names = alarm_names(&alarms)?;
    let entities: Vec<(MoRef, String)> = page
        .iter()
        .filter_map(|s| MoRef::from_json(&s["entity"]))
        .map(|r| {
            let id = r.value.clone();
            (r, id)
        })
        .collect();
    let described = entity::describe(&entities);
    let rows = page
        .iter()
        .zip(described)
        .map(|(state, entity)| {
            let alarm = MoRef::from_json(&state["alarm"]);
            AlarmRow {
                alarm: alarm
                    .and_then(|a| alarm_names.get(&a).cloned())
                    .unwrap_or_default(),
                entity,
                status: as_str(&state["overallStatus"])
                    .unwrap_or_default()
                    .to_string(),
                time: as_str(&state["time"]).unwrap_or_default().to_string(),
                acknowledged: as_bool(&state["acknowledged"]).unwrap_or(false),
                acknowledged_by: as_str(&state["acknowledgedByUser"]).map(String::from),
            }
        })
        .collect();
    Ok(Paged {
        rows,
        total: Some(total as u32),
        next_cursor: window.next_cursor,
    })
}

/// The alarms' names, by reference, in one read.
fn alarm_names(alarms: &[MoRef]) -> Result<std::collections::HashMap<MoRef, String>> {
    if alarms.is_empty() {
        return Ok(Default::default());
    }
    let mut unique = alarms.to_vec();
    unique.sort_by(|a, b| a.value.cmp(&b.value));
    unique.dedup();
    Ok(vsphere::read(&unique, &["info.name"])?
        .into_iter()
        .filter_map(|o| {
            let name = o.get_str("info.name")?.to_string();
            Some((o.reference, name))
        })
        .collect())
}
