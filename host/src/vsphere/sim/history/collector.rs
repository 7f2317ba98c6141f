//! History collectors, as vCenter's EventManager and TaskManager hand them
//! out: a collector holds a filter; its `latestPage` property shows the
//! newest matching items (10 unless the client sets the page size), and its
//! scrollable view, which starts at the oldest item, is read forwards with
//! `ReadNext…` and backwards with `ReadPrevious…`. Clients destroy it when
//! done.
//!
//! Filters are decided as [`history_filter`] says; fields it does not
//! decide are accepted and ignored.

use serde_json::{Value, json};

use crate::vocabulary::VsError;
use crate::vsphere::history_filter::{self, Collects};
use crate::vsphere::sim::args::Call;
use crate::vsphere::sim::derive::Changes;
use crate::vsphere::sim::faults;
use crate::vsphere::sim::model::{CollectorMeta, Meta, Model, Object};

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
    call.params(&["filter"])?
        .data("filter", collects.filter_type())?;
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
        .filter(|item| history_filter::matches(collects, filter, item, &Tree(m)))
        .collect()
}

/// The simulated inventory's tree, for an entity filter's recursion.
struct Tree<'m>(&'m Model);

impl history_filter::Containment for Tree<'_> {
    fn is_below(&self, id: &str, target: &str) -> bool {
        let m = self.0;
        let is_root = m
            .get(target)
            .is_some_and(|o| o.props.get("parent").is_none());
        is_root || m.is_within(id, target)
    }
}
