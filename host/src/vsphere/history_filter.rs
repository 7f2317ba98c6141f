//! Which events and tasks a history collector's filter takes, as vCenter
//! decides it: one definition shared by the simulator's collectors and the
//! host's recent-history cache, so that a page served from memory is the
//! page a collector would have shown.
//!
//! Filters decided: for events, `entity` (with its recursion), `time`
//! (both ends inclusive), `eventTypeId` (an event's type name, or the
//! `eventTypeId` an `EventEx` carries) and `userName.userList`; for tasks,
//! `entity`, `time` (by queued, started or completed time), `state` and
//! `userName.userList`. Other fields are not looked at here: the cache
//! leaves filters that use them to vCenter (see [`decidable`]).

use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// What a history collector collects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Collects {
    /// Events (`EventHistoryCollector`).
    Events,
    /// Tasks (`TaskHistoryCollector`, items are `TaskInfo`).
    Tasks,
}

impl Collects {
    /// The collector type that collects this, if `kind` is one.
    pub fn of(kind: &str) -> Option<Collects> {
        match kind {
            "EventHistoryCollector" => Some(Collects::Events),
            "TaskHistoryCollector" => Some(Collects::Tasks),
            _ => None,
        }
    }

    /// The collector's managed type.
    pub fn kind(self) -> &'static str {
        match self {
            Collects::Events => "EventHistoryCollector",
            Collects::Tasks => "TaskHistoryCollector",
        }
    }

    /// The filter's data type (`EventFilterSpec`, `TaskFilterSpec`).
    pub fn filter_type(self) -> &'static str {
        match self {
            Collects::Events => "EventFilterSpec",
            Collects::Tasks => "TaskFilterSpec",
        }
    }
}

/// Whether `id` lies below `target` in the inventory (for an entity
/// filter's recursion). The root folder holds everything.
pub trait Containment {
    /// `id` is a descendant of `target` (not `target` itself).
    fn is_below(&self, id: &str, target: &str) -> bool;
}

/// Whether `item` passes `filter` (VI/JSON of the collector's filter spec).
pub fn matches(
    collects: Collects,
    filter: &Value,
    item: &Value,
    containment: &dyn Containment,
) -> bool {
    match collects {
        Collects::Events => event_matches(filter, item, containment),
        Collects::Tasks => task_matches(filter, item, containment),
    }
}

/// The event fields that carry the entities an event is about.
const EVENT_ENTITY_FIELDS: [&str; 6] = [
    "vm",
    "host",
    "computeResource",
    "ds",
    "datacenter",
    "entity",
];

fn event_matches(filter: &Value, event: &Value, containment: &dyn Containment) -> bool {
    let types = filter.get("eventTypeId").and_then(Value::as_array);
    let type_ok = types.is_none_or(|types| {
        types.is_empty()
            || types
                .iter()
                .any(|t| t == &event["_typeName"] || Some(t) == event.get("eventTypeId"))
    });
    let entities = EVENT_ENTITY_FIELDS
        .iter()
        .filter_map(|field| {
            let argument = event.get(*field)?.as_object()?;
            argument.values().find_map(|v| {
                (v.get("_typeName")? == "ManagedObjectReference")
                    .then(|| v.get("value")?.as_str())
                    .flatten()
            })
        })
        .collect::<Vec<_>>();
    type_ok
        && entity_matches(filter.get("entity"), &entities, containment)
        && time_matches(filter.get("time"), event.get("createdTime"))
        && user_matches(filter, event.get("userName"))
}

fn task_matches(filter: &Value, task: &Value, containment: &dyn Containment) -> bool {
    let states = filter.get("state").and_then(Value::as_array);
    let state_ok = states.is_none_or(|s| s.is_empty() || s.contains(&task["state"]));
    let entity = task["entity"]["value"].as_str();
    let time = filter.get("time");
    state_ok
        && entity_matches(
            filter.get("entity"),
            &entity.into_iter().collect::<Vec<_>>(),
            containment,
        )
        && time_matches(time, task.get(task_time_field(time)))
        && user_matches(filter, task["reason"].get("userName"))
}

/// The `TaskInfo` field a task filter's time window applies to.
fn task_time_field(time: Option<&Value>) -> &'static str {
    match time.and_then(|t| t["timeType"].as_str()) {
        Some("startedTime") => "startTime",
        Some("completedTime") => "completeTime",
        _ => "queueTime",
    }
}

/// An entity filter (`{entity, recursion}`) against the ids an item names.
fn entity_matches(spec: Option<&Value>, ids: &[&str], containment: &dyn Containment) -> bool {
    let Some(target) = spec.and_then(|s| s["entity"]["value"].as_str()) else {
        return true;
    };
    let recursion = spec.and_then(|s| s["recursion"].as_str()).unwrap_or("all");
    ids.iter().any(|id| {
        let itself = *id == target;
        let below = !itself && containment.is_below(id, target);
        match recursion {
            "self" => itself,
            "children" => below,
            _ => itself || below,
        }
    })
}

/// A time filter (`{beginTime?, endTime?}`, both inclusive) against a time.
fn time_matches(spec: Option<&Value>, at: Option<&Value>) -> bool {
    let Some(spec) = spec else { return true };
    let Some(at) = at.and_then(Value::as_str).and_then(parse_time) else {
        return false;
    };
    let bound = |name: &str| spec.get(name).and_then(Value::as_str).and_then(parse_time);
    bound("beginTime").is_none_or(|b| at >= b) && bound("endTime").is_none_or(|e| at <= e)
}

/// A user filter (`userName.userList`) against the item's user.
fn user_matches(filter: &Value, user: Option<&Value>) -> bool {
    match filter["userName"]["userList"].as_array() {
        Some(users) if !users.is_empty() => user.is_some_and(|u| users.contains(u)),
        _ => true,
    }
}

/// An RFC 3339 time, as VI/JSON writes `xsd:dateTime`.
pub fn parse_time(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).ok()
}

/// The time an item stands at for a filter's window: an event's creation,
/// a task's queued, started or completed time as the filter's `timeType`
/// says.
pub fn item_time(collects: Collects, filter: &Value, item: &Value) -> Option<OffsetDateTime> {
    let field = match collects {
        Collects::Events => "createdTime",
        Collects::Tasks => task_time_field(filter.get("time")),
    };
    item.get(field).and_then(Value::as_str).and_then(parse_time)
}

/// Entity types no other entity lies below: a filter on one of them is
/// decided by the ids an item names, whatever its recursion.
const LEAF_ENTITY_TYPES: [&str; 3] = ["VirtualMachine", "HostSystem", "Datastore"];

/// Whether [`matches`] decides `filter` without knowing the inventory's
/// tree: it uses no field outside those decided here, and an entity it
/// names has nothing below it. Anything else is vCenter's to answer.
pub fn decidable(collects: Collects, filter: &Value) -> bool {
    let Some(fields) = filter.as_object() else {
        return false;
    };
    let known: &[&str] = match collects {
        // maxCount and disableFullMessage do not choose events: the page
        // size does the one, and the other only matters when set.
        Collects::Events => &[
            "_typeName",
            "entity",
            "time",
            "eventTypeId",
            "userName",
            "maxCount",
            "disableFullMessage",
        ],
        Collects::Tasks => &["_typeName", "entity", "time", "state", "userName"],
    };
    let entity_ok = fields.get("entity").is_none_or(|spec| {
        spec["entity"]["type"]
            .as_str()
            .is_some_and(|t| LEAF_ENTITY_TYPES.contains(&t))
    });
    // `systemUser: true` would add the system's own events: not decided here.
    let users_ok = fields.get("userName").is_none_or(|spec| {
        spec.as_object().is_some_and(|o| {
            o.keys()
                .all(|k| matches!(k.as_str(), "_typeName" | "userList" | "systemUser"))
                && o.get("systemUser").is_none_or(|s| s == &Value::Bool(false))
        })
    });
    fields.iter().all(|(name, value)| {
        known.contains(&name.as_str())
            && (name != "disableFullMessage" || value != &Value::Bool(true))
    }) && entity_ok
        && users_ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct Flat;
    impl Containment for Flat {
        fn is_below(&self, _: &str, _: &str) -> bool {
            false
        }
    }

    fn event(kind: &str, vm: &str, at: &str) -> Value {
        json!({
            "_typeName": kind, "createdTime": at, "userName": "root",
            "vm": {"_typeName": "VmEventArgument", "name": vm,
                   "vm": {"_typeName": "ManagedObjectReference", "type": "VirtualMachine", "value": vm}}
        })
    }

    #[test]
    fn events_are_taken_by_type_entity_time_and_user() {
        let off = event("VmPoweredOffEvent", "vm-1", "2026-12-07T01:00:00Z");
        let ex = json!({"_typeName": "EventEx", "eventTypeId": "com.example.thing", "createdTime": "2026-12-07T01:00:00Z"});
        let take = |filter: Value, item: &Value| matches(Collects::Events, &filter, item, &Flat);
        assert!(take(json!({"eventTypeId": ["VmPoweredOffEvent"]}), &off));
        assert!(!take(json!({"eventTypeId": ["VmPoweredOnEvent"]}), &off));
        assert!(take(json!({"eventTypeId": ["com.example.thing"]}), &ex));
        let on_vm = |id: &str, recursion: &str| json!({"entity": {"entity": {"type": "VirtualMachine", "value": id}, "recursion": recursion}});
        assert!(take(on_vm("vm-1", "self"), &off));
        assert!(!take(on_vm("vm-1", "children"), &off));
        assert!(!take(on_vm("vm-2", "all"), &off));
        let window = |b: &str, e: &str| json!({"time": {"beginTime": b, "endTime": e}});
        assert!(
            take(window("2026-12-07T01:00:00Z", "2026-12-07T01:00:00Z"), &off),
            "both ends inclusive"
        );
        assert!(!take(
            window("2026-12-07T01:00:01Z", "2026-12-07T02:00:00Z"),
            &off
        ));
        assert!(take(json!({"userName": {"userList": ["root"]}}), &off));
        assert!(!take(json!({"userName": {"userList": ["alice"]}}), &off));
    }

    #[test]
    fn tasks_are_taken_by_state_and_the_time_the_filter_names() {
        let task = json!({"state": "success", "queueTime": "2026-12-07T01:00:00Z", "completeTime": "2026-12-07T01:05:00Z",
                          "entity": {"type": "VirtualMachine", "value": "vm-1"}, "reason": {"userName": "root"}});
        let take = |filter: Value| matches(Collects::Tasks, &filter, &task, &Flat);
        assert!(take(json!({"state": ["success", "error"]})));
        assert!(!take(json!({"state": ["running"]})));
        assert!(take(
            json!({"time": {"timeType": "completedTime", "beginTime": "2026-12-07T01:04:00Z"}})
        ));
        assert!(!take(
            json!({"time": {"timeType": "queuedTime", "beginTime": "2026-12-07T01:04:00Z"}})
        ));
    }

    #[test]
    fn only_filters_decided_without_the_inventory_tree_are_decidable() {
        let on = |kind: &str| json!({"_typeName": "EventFilterSpec", "entity": {"entity": {"type": kind, "value": "x-1"}, "recursion": "all"}});
        assert!(decidable(
            Collects::Events,
            &json!({"_typeName": "EventFilterSpec", "maxCount": 51})
        ));
        assert!(decidable(Collects::Events, &on("VirtualMachine")));
        assert!(decidable(Collects::Events, &on("HostSystem")));
        assert!(!decidable(Collects::Events, &on("ClusterComputeResource")));
        assert!(!decidable(Collects::Events, &on("Folder")));
        assert!(!decidable(
            Collects::Events,
            &json!({"alarm": {"type": "Alarm", "value": "alarm-1"}})
        ));
        assert!(!decidable(
            Collects::Events,
            &json!({"disableFullMessage": true})
        ));
        assert!(!decidable(
            Collects::Events,
            &json!({"userName": {"systemUser": true, "userList": []}})
        ));
        assert!(decidable(
            Collects::Tasks,
            &json!({"state": ["running"], "time": {"timeType": "queuedTime"}})
        ));
        assert!(!decidable(Collects::Tasks, &json!({"eventChainId": [1]})));
    }
}
