//! Paging a history collector newest first, one bounded read per page.
//!
//! Each page creates a collector for the query's filter, with its time
//! window ending at the previous page's last item, sizes its latest page to
//! the rows wanted (plus one, to know whether more follow), reads that page
//! and destroys the collector. vCenter's `latestPage` is exactly the newest
//! items of the filter, so a page costs the same however long the history
//! is; and the host answers such a collector from the recent history it
//! keeps whenever it can, so most pages cost no vCenter call at all.
//! `ReadNextEvents` is not used: it scrolls forwards from the oldest
//! item, so a newest-first page through it would read the whole window.
//!
//! The cursor is the last row's (time, sequence) and a fingerprint of the
//! query, so it is refused with any other filters.

use std::cmp::Reverse;

use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use time::OffsetDateTime;
use vmware_plugin_sdk::paging;
use vmware_plugin_sdk::prelude::*;

use crate::since;

/// Creating an event collector, and its methods.
pub const CREATE_EVENT_COLLECTOR: Method = Method::new("EventManager", "CreateCollectorForEvents");
const EVENT_PAGE_SIZE: Method = Method::new("EventHistoryCollector", "SetCollectorPageSize");
const DESTROY_EVENT_COLLECTOR: Method = Method::new("EventHistoryCollector", "DestroyCollector");
/// Creating a task collector, and its methods.
pub const CREATE_TASK_COLLECTOR: Method = Method::new("TaskManager", "CreateCollectorForTasks");
const TASK_PAGE_SIZE: Method = Method::new("TaskHistoryCollector", "SetCollectorPageSize");
const DESTROY_TASK_COLLECTOR: Method = Method::new("TaskHistoryCollector", "DestroyCollector");

/// What `listEvents` invokes: all reads.
pub const EVENT_METHODS: &[Method] = &[
    CREATE_EVENT_COLLECTOR,
    EVENT_PAGE_SIZE,
    DESTROY_EVENT_COLLECTOR,
    since::CURRENT_TIME,
];
/// What `listTasks` invokes: all reads.
pub const TASK_METHODS: &[Method] = &[
    CREATE_TASK_COLLECTOR,
    TASK_PAGE_SIZE,
    DESTROY_TASK_COLLECTOR,
    since::CURRENT_TIME,
];

/// Which history a query reads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum History {
    /// The EventManager's events.
    Events,
    /// The TaskManager's tasks.
    Tasks,
}

impl History {
    fn methods(self) -> (&'static str, Method, Method, Method) {
        match self {
            History::Events => (
                "eventManager",
                CREATE_EVENT_COLLECTOR,
                EVENT_PAGE_SIZE,
                DESTROY_EVENT_COLLECTOR,
            ),
            History::Tasks => (
                "taskManager",
                CREATE_TASK_COLLECTOR,
                TASK_PAGE_SIZE,
                DESTROY_TASK_COLLECTOR,
            ),
        }
    }
}

/// The largest latest page vCenter serves.
const MAX_PAGE: u32 = 1000;

/// Where an item stands in time: newest first is descending (time, sequence).
pub type Position = (OffsetDateTime, i64);

/// A page's items, newest first, and the cursor of the next page.
#[derive(Debug)]
pub struct ItemPage<T> {
    /// The items, newest first.
    pub items: Vec<T>,
    /// The next page's cursor, if more items match.
    pub next_cursor: Option<String>,
}

/// A cursor: the last row's position, tied to the query's fingerprint.
fn cursor_text((at, seq): Position, query: u64) -> String {
    format!("{seq}@{}@{query:x}", since::format(at))
}

fn parse_cursor(cursor: &str, query: u64) -> Result<Position> {
    let refused = paging::foreign_cursor;
    let mut parts = cursor.splitn(3, '@');
    let (Some(seq), Some(at), Some(fingerprint)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(refused());
    };
    if fingerprint != format!("{query:x}") {
        return Err(refused());
    }
    Ok((
        since::parse(at).ok_or_else(refused)?,
        seq.parse().map_err(|_| refused())?,
    ))
}

/// One newest-first page of `history` matching `filter` (an
/// `EventFilterSpec` or `TaskFilterSpec` without its time window), whose
/// window starts at `begin`. Items are read straight into `T`, which names
/// the fields the tool shows (an event is about 1.2 KB of VI/JSON, of which
/// a row uses a fifth). `position` says where an item stands.
pub fn page<T: DeserializeOwned>(
    history: History,
    mut filter: Value,
    begin: Option<String>,
    limit: u32,
    cursor: Option<&str>,
    query: u64,
    position: impl Fn(&T) -> Option<Position>,
) -> Result<ItemPage<T>> {
    let after = cursor.map(|c| parse_cursor(c, query)).transpose()?;
    let end = after.map(|(at, _)| since::format(at));
    let window = match history {
        History::Events => json!({"_typeName": "EventFilterSpecByTime"}),
        History::Tasks => json!({"_typeName": "TaskFilterSpecByTime", "timeType": "queuedTime"}),
    };
    if begin.is_some() || end.is_some() {
        let mut window = window;
        if let Some(begin) = begin {
            window["beginTime"] = json!(begin);
        }
        if let Some(end) = end {
            window["endTime"] = json!(end);
        }
        filter["time"] = window;
    }
    // Items at the cursor's own time that the last page showed come back
    // too (the window's end is inclusive): room for them.
    let slack = if after.is_some() { 32 } else { 0 };
    let size = (limit + 1 + slack).min(MAX_PAGE);
    let mut positioned: Vec<(Position, T)> = latest_page(history, filter, size)?
        .into_iter()
        .filter_map(|item| position(&item).map(|p| (p, item)))
        .filter(|(p, _)| after.is_none_or(|a| *p < a))
        .collect();
    positioned.sort_by_key(|(p, _)| Reverse(*p));
    let more = positioned.len() > limit as usize;
    positioned.truncate(limit as usize);
    let next_cursor = if more {
        positioned.last().map(|(p, _)| cursor_text(*p, query))
    } else {
        None
    };
    Ok(ItemPage {
        items: positioned.into_iter().map(|(_, item)| item).collect(),
        next_cursor,
    })
}

/// The newest `size` items of a fresh collector for `filter`; the collector
/// is destroyed whatever happens.
fn latest_page<T: DeserializeOwned>(
    history: History,
    mut filter: Value,
    size: u32,
) -> Result<Vec<T>> {
    let (manager_field, create, page_size, destroy) = history.methods();
    if history == History::Events {
        // The page size from the start too, so the collector never holds
        // more than the page.
        filter["maxCount"] = json!(size);
    }
    let manager = vsphere::service_object(manager_field)?;
    let collector = vsphere::invoke(&manager, create, json!({ "filter": filter }))?;
    let collector = MoRef::from_json(&collector)
        .ok_or_else(|| Error::internal(format!("{} returned no collector", create.name())))?;
    let read = vsphere::invoke(&collector, page_size, json!({ "maxCount": size }))
        .and_then(|_| vsphere::read_property::<Vec<T>>(&collector, "latestPage"));
    let destroyed = vsphere::invoke(&collector, destroy, Value::Null);
    let page = read?;
    destroyed?;
    Ok(page.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_belong_to_their_query() {
        let at = since::parse("2026-12-07T01:02:03Z").unwrap();
        let text = cursor_text((at, 42), 7);
        assert_eq!(parse_cursor(&text, 7).unwrap(), (at, 42));
        assert!(parse_cursor(&text, 8).is_err());
        assert!(parse_cursor("garbage", 7).is_err());
    }
}
