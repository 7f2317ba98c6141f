//! History collectors, as vCenter's EventManager and TaskManager hand them
//! out: a collector holds a filter; its `latestPage` property shows the
//! newest matching items (10 unless the client sets the page size), and its
//! scrollable view, which starts at the oldest item, is read forwards with
//! `ReadNext…` and backwards with `ReadPrevious…`. Clients destroy it when
//! done.
//!
//! Filters honoured: for events, `entity` (with its recursion), `time`,
//! `eventTypeId` (concrete type names) and `userName.userList`; for tasks,
//! `entity`, `time` (by queued, started or completed time), `state` and
//! `userName.userList`. Other filter fields are accepted and ignored.

use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::vocabulary::VsError;
use crate::vsphere::sim::args::Call;
use crate::vsphere::sim::derive::Changes;
use crate::vsphere::sim::faults;
use crate::vsphere::sim::model::{CollectorMeta, Meta, Model, Object, parse_time};

/// The EventManager's methods the simulator implements.
const EVENT_MANAGER_METHODS: &[&str] = &["CreateCollectorForEvents"];
/// The TaskManager's methods the simulator implements.
const TASK_MANAGER_METHODS: &[&str] = &["CreateCollectorForTasks"];
/// A history collector's methods the simulator implements.
const COLLECTOR_METHODS: &[&str] = &[
    "SetCollectorPageSize",
    "ReadNextEvents",
    "ReadPreviousEvents",
    "ReadNextTasks",
    "ReadPreviousTasks",
    "ResetCollector",
    "RewindCollector",
    "DestroyCollector",
];

/// vCenter's page size for a new collector, and the most it accepts.
const DEFAULT_PAGE: usize = 10;
const MAX_PAGE: i64 = 1000;

/// What a collector collects.
#[derive(Clone, Copy, PartialEq)]
enum Collects {
    Events,
    Tasks,
}

impl Collects {
    fn of(kind: &str) -> Option<Collects> {
        match kind {
            "EventHistoryCollector" => Some(Collects::Events),
            "TaskHistoryCollector" => Some(Collects::Tasks),
            _ => None,
        }
    }

    fn kind(self) -> &'static str {
        match self {
            Collects::Events => "EventHistoryCollector",
            Collects::Tasks => "TaskHistoryCollector",
        }
    }
}

/// Call an `EventManager` method.
pub(in crate::vsphere::sim) fn invoke_event_manager(
    m: &mut Model,
    call: &Call,
) -> Result<Value, VsError> {
    match call.method {
        "CreateCollectorForEvents" => create(m, call, Collects::Events),
        _ => Err(call.not_found(EVENT_MANAGER_METHODS)),
    }
}

/// Call a `TaskManager` method.
pub(in crate::vsphere::sim) fn invoke_task_manager(
    m: &mut Model,
    call: &Call,
) -> Result<Value, VsError> {
    match call.method {
        "CreateCollectorForTasks" => create(m, call, Collects::Tasks),
        _ => Err(call.not_found(TASK_MANAGER_METHODS)),
    }
}

/// A new collector with the call's filter (checked to be a data object).
fn create(m: &mut Model, call: &Call, collects: Collects) -> Result<Value, VsError> {
    let spec = match collects {
        Collects::Events => "EventFilterSpec",
        Collects::Tasks => "TaskFilterSpec",
    };
    call.params(&["filter"])?.data("filter", spec)?;
    let filter = call.args.get("filter").cloned().unwrap_or(Value::Null);
    m.history.collectors_created += 1;
    let id = format!(
        "session[sim]{}-{}",
        collects.kind(),
        m.history.collectors_created
    );
    let mut props = serde_json::Map::new();
    props.insert("filter".into(), filter);
    props.insert("latestPage".into(), json!([]));
    let meta = Meta::Collector(CollectorMeta {
        page_size: DEFAULT_PAGE,
        position: 0,
    });
    Ok(m.insert(collects.kind(), id, props, meta).to_json())
}

/// Call a history collector's method.
pub(in crate::vsphere::sim) fn invoke_collector(
    m: &mut Model,
    call: &Call,
) -> Result<Value, VsError> {
    let o = m.resolve(call.target)?;
    let collects = Collects::of(&o.kind).ok_or_else(|| call.not_found(&[]))?;
    let Meta::Collector(mut meta) = o.meta.clone() else {
        return Err(call.not_found(&[]));
    };
    let items = matching(m, o, collects).len();
    let result = match (call.method, collects) {
        ("SetCollectorPageSize", _) => {
            meta.page_size = page_size(call)?;
            Value::Null
        }
        ("ReadNextEvents", Collects::Events) | ("ReadNextTasks", Collects::Tasks) => {
            let n = page_size(call)?;
            let end = (meta.position + n).min(items);
            let page = owned(&matching(m, o, collects)[meta.position.min(end)..end]);
            meta.position = end;
            Value::Array(page)
        }
        ("ReadPreviousEvents", Collects::Events) | ("ReadPreviousTasks", Collects::Tasks) => {
            let n = page_size(call)?;
            let end = meta.position.min(items);
            let start = end.saturating_sub(n);
            let page = owned(&matching(m, o, collects)[start..end]);
            meta.position = start;
            Value::Array(page)
        }
        ("ResetCollector", _) => {
            call.params(&[])?;
            meta.position = items.saturating_sub(meta.page_size);
            Value::Null
        }
        ("RewindCollector", _) => {
            call.params(&[])?;
            meta.position = 0;
            Value::Null
        }
        ("DestroyCollector", _) => {
            call.params(&[])?;
            m.remove(call.id());
            return Ok(Value::Null);
        }
        _ => return Err(call.not_found(COLLECTOR_METHODS)),
    };
    m.try_get_mut(call.id())?.meta = Meta::Collector(meta);
    Ok(result)
}

/// The `maxCount` argument: 1 to 1,000 items, as vCenter accepts.
fn page_size(call: &Call) -> Result<usize, VsError> {
    let n = call.params(&["maxCount"])?.int("maxCount")?;
    if (1..=MAX_PAGE).contains(&n) {
        Ok(n as usize)
    } else {
        Err(faults::invalid_argument(
            "maxCount",
            &format!("must be between 1 and {MAX_PAGE}; got {n}"),
        ))
    }
}

/// A collector's `latestPage`: the newest matching items, at most its page size.
pub(in crate::vsphere::sim) fn derive_latest_page(m: &Model, o: &Object, out: &mut Changes) {
    let (Some(collects), Meta::Collector(meta)) = (Collects::of(&o.kind), &o.meta) else {
        return;
    };
    let items = matching(m, o, collects);
    let page = owned(&items[items.len().saturating_sub(meta.page_size)..]);
    out.set(o, "latestPage", Value::Array(page));
}

/// Copies of borrowed items, for an answer.
fn owned(items: &[&Value]) -> Vec<Value> {
    items.iter().map(|v| (*v).clone()).collect()
}

/// The items a collector's filter matches, oldest first.
fn matching<'m>(m: &'m Model, o: &Object, collects: Collects) -> Vec<&'m Value> {
    let filter = o.props.get("filter").unwrap_or(&Value::Null);
    let items = match collects {
        Collects::Events => &m.history.events,
        Collects::Tasks => &m.history.tasks,
    };
    items
        .iter()
        .filter(|item| match collects {
            Collects::Events => event_matches(m, filter, item),
            Collects::Tasks => task_matches(m, filter, item),
        })
        .collect()
}

fn event_matches(m: &Model, filter: &Value, event: &Value) -> bool {
    let types = filter.get("eventTypeId").and_then(Value::as_array);
    let type_ok = types
        .is_none_or(|types| types.is_empty() || types.iter().any(|t| t == &event["_typeName"]));
    let entities = [
        "vm",
        "host",
        "computeResource",
        "ds",
        "datacenter",
        "entity",
    ]
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
        && entity_matches(m, filter.get("entity"), &entities)
        && time_matches(filter.get("time"), event.get("createdTime"))
        && user_matches(filter, event.get("userName"))
}

fn task_matches(m: &Model, filter: &Value, task: &Value) -> bool {
    let states = filter.get("state").and_then(Value::as_array);
    let state_ok = states.is_none_or(|s| s.is_empty() || s.contains(&task["state"]));
    let entity = task["entity"]["value"].as_str();
    let time = filter.get("time");
    let field = match time.and_then(|t| t["timeType"].as_str()) {
        Some("startedTime") => "startTime",
        Some("completedTime") => "completeTime",
        _ => "queueTime",
    };
    state_ok
        && entity_matches(
            m,
            filter.get("entity"),
            &entity.into_iter().collect::<Vec<_>>(),
        )
        && time_matches(time, task.get(field))
        && user_matches(filter, task["reason"].get("userName"))
}

/// An entity filter (`{entity, recursion}`) against the ids an item names.
fn entity_matches(m: &Model, spec: Option<&Value>, ids: &[&str]) -> bool {
    let Some(target) = spec.and_then(|s| s["entity"]["value"].as_str()) else {
        return true;
    };
    let recursion = spec.and_then(|s| s["recursion"].as_str()).unwrap_or("all");
    let is_root = m
        .get(target)
        .is_some_and(|o| o.props.get("parent").is_none());
    ids.iter().any(|id| {
        let itself = *id == target;
        let below = !itself && (is_root || m.is_within(id, target));
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
    let bound = |name: &str| spec.get(name).and_then(Value::as_str).and_then(parse_time);
    let Some(at) = at.and_then(Value::as_str).and_then(parse_time) else {
        return false;
    };
    let after: Option<OffsetDateTime> = bound("beginTime");
    let before: Option<OffsetDateTime> = bound("endTime");
    after.is_none_or(|b| at >= b) && before.is_none_or(|e| at <= e)
}

/// A user filter (`userName.userList`) against the item's user.
fn user_matches(filter: &Value, user: Option<&Value>) -> bool {
    match filter["userName"]["userList"].as_array() {
        Some(users) if !users.is_empty() => user.is_some_and(|u| users.contains(u)),
        _ => true,
    }
}
