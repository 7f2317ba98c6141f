//! The newest items of one history (events or tasks), as a collector over
//! all of it shows them, and the pages a filtered collector would show,
//! answered from them when they are sure to hold the whole answer.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use crate::vsphere::history_filter::{self, Collects, Containment};

/// The newest items of one history, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Ring {
    collects: Collects,
    items: Vec<Item>,
    /// The history may hold older items than these.
    full: bool,
}

/// One item, with its VI/JSON text written once when it is taken in: a
/// page handed to a plugin is then its items' texts joined, not a copy of
/// each item serialized again on every read.
#[derive(Debug, Clone, PartialEq)]
struct Item {
    value: Value,
    text: String,
}

impl Item {
    fn new(value: Value) -> Item {
        Item {
            text: value.to_string(),
            value,
        }
    }
}

/// An entity filter the ring decides has no tree to look down: it only
/// takes filters on entities nothing lies below (see
/// [`history_filter::decidable`]).
struct NothingBelow;

impl Containment for NothingBelow {
    fn is_below(&self, _id: &str, _target: &str) -> bool {
        false
    }
}

impl Ring {
    /// The ring from a collector's `latestPage` whose page size is
    /// `capacity`: a page that size may have older items behind it.
    pub fn new(collects: Collects, latest_page: Vec<Value>, capacity: usize) -> Ring {
        Ring::of(
            collects,
            latest_page.into_iter().map(Item::new).collect(),
            capacity,
        )
    }

    fn of(collects: Collects, mut items: Vec<Item>, capacity: usize) -> Ring {
        items.sort_by_key(|item| order_of(collects, &item.value));
        Ring {
            collects,
            full: items.len() >= capacity,
            items,
        }
    }

    /// This ring with a newer `latestPage` of the same collector taken in:
    /// items are kept by identity (a task's newer state replaces its older
    /// one) and the newest `capacity` stay. A full page entirely newer than
    /// the ring may have left a gap behind it, so it replaces the ring.
    /// Only items new or changed since the ring are serialized.
    ///
    /// Merging rather than replacing also keeps the ring whole on govmomi's
    /// vcsim 0.24, whose long-lived event collectors lose items: a new
    /// event overwrites the second newest on the page once the page has
    /// been filled (`fillPage` orders the ring one way, `PostEvent` the
    /// other), a simulator bug.
    pub fn merged(&self, latest_page: Vec<Value>, capacity: usize) -> Ring {
        let held: HashMap<String, &Item> = self
            .items
            .iter()
            .map(|item| (identity(&item.value), item))
            .collect();
        let page: Vec<Item> = latest_page
            .into_iter()
            .map(|value| match held.get(&identity(&value)) {
                Some(same) if same.value == value => (*same).clone(),
                _ => Item::new(value),
            })
            .collect();
        let newer = Ring::of(self.collects, page, capacity);
        let gap = newer.full
            && match (self.items.last(), newer.items.first()) {
                (Some(ours), Some(theirs)) => {
                    order_of(self.collects, &ours.value) < order_of(self.collects, &theirs.value)
                }
                _ => false,
            };
        if gap {
            return newer;
        }
        let replaced: HashSet<String> = newer
            .items
            .iter()
            .map(|item| identity(&item.value))
            .collect();
        let mut items: Vec<Item> = self
            .items
            .iter()
            .filter(|item| !replaced.contains(&identity(&item.value)))
            .cloned()
            .collect();
        items.extend(newer.items);
        items.sort_by_key(|item| order_of(self.collects, &item.value));
        let full = self.full || items.len() >= capacity;
        let excess = items.len().saturating_sub(capacity);
        items.drain(..excess);
        Ring {
            collects: self.collects,
            items,
            full,
        }
    }

    /// How many items it holds.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The `latestPage` a collector with `filter` and `page_size` shows
    /// now (the newest matching items, oldest first), or `None` when the
    /// ring cannot be sure: the filter is not one it decides, or older
    /// items the ring does not hold could belong on the page.
    pub fn latest_page(&self, filter: &Value, page_size: usize) -> Option<Vec<Value>> {
        let page = self.page(filter, page_size)?;
        Some(page.into_iter().map(|item| item.value.clone()).collect())
    }

    /// [`Ring::latest_page`] as VI/JSON text, for a plugin.
    pub fn latest_page_text(&self, filter: &Value, page_size: usize) -> Option<String> {
        let page = self.page(filter, page_size)?;
        let mut text =
            String::with_capacity(2 + page.iter().map(|i| i.text.len() + 1).sum::<usize>());
        text.push('[');
        for (n, item) in page.iter().enumerate() {
            if n > 0 {
                text.push(',');
            }
            text.push_str(&item.text);
        }
        text.push(']');
        Some(text)
    }

    fn page(&self, filter: &Value, page_size: usize) -> Option<Vec<&Item>> {
        if !history_filter::decidable(self.collects, filter) {
            return None;
        }
        // Newest first, stopping at a full page: a page costs its own size
        // (and the items it skips), not the ring's.
        let mut newest_first: Vec<&Item> = self
            .items
            .iter()
            .rev()
            .filter(|item| {
                history_filter::matches(self.collects, filter, &item.value, &NothingBelow)
            })
            .take(page_size)
            .collect();
        let whole = !self.full || newest_first.len() >= page_size || self.reaches_back_to(filter);
        whole.then(|| {
            newest_first.reverse();
            newest_first
        })
    }

    /// Whether the filter's window begins after the oldest item held, so
    /// nothing older can match. Only for windows on the time items are
    /// ordered by (an event's creation, a task's queueing).
    fn reaches_back_to(&self, filter: &Value) -> bool {
        let time = filter.get("time");
        let on_order = match self.collects {
            Collects::Events => true,
            Collects::Tasks => time
                .and_then(|t| t.get("timeType"))
                .is_none_or(|t| t == "queuedTime"),
        };
        let begin = time
            .and_then(|t| t.get("beginTime"))
            .and_then(Value::as_str)
            .and_then(history_filter::parse_time);
        let oldest = self
            .items
            .first()
            .and_then(|item| history_filter::item_time(self.collects, filter, &item.value));
        on_order && matches!((begin, oldest), (Some(b), Some(o)) if o < b)
    }
}

/// What makes an item itself: an event's or a task's `key`.
fn identity(item: &Value) -> String {
    item["key"].to_string()
}

/// Where an item stands: an event by its key, a task by when it was queued
/// and then its event chain (both grow with time in vCenter).
fn order_of(collects: Collects, item: &Value) -> (i64, i64) {
    match collects {
        Collects::Events => (item["key"].as_i64().unwrap_or(0), 0),
        Collects::Tasks => (
            item["queueTime"]
                .as_str()
                .and_then(history_filter::parse_time)
                .map(|t| t.unix_timestamp_nanos() as i64)
                .unwrap_or(0),
            item["eventChainId"].as_i64().unwrap_or(0),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(key: i64, vm: &str) -> Value {
        json!({
            "_typeName": "VmPoweredOffEvent", "key": key,
            "createdTime": format!("2026-12-07T01:00:{:02}Z", key),
            "vm": {"_typeName": "VmEventArgument", "name": vm,
                   "vm": {"_typeName": "ManagedObjectReference", "type": "VirtualMachine", "value": vm}}
        })
    }

    fn keys(page: &[Value]) -> Vec<i64> {
        page.iter().map(|e| e["key"].as_i64().unwrap()).collect()
    }

    fn on(vm: &str) -> Value {
        json!({"_typeName": "EventFilterSpec", "entity": {"_typeName": "EventFilterSpecByEntity",
               "entity": {"_typeName": "ManagedObjectReference", "type": "VirtualMachine", "value": vm}, "recursion": "all"}})
    }

    #[test]
    fn a_ring_that_is_the_whole_history_answers_every_decidable_filter() {
        let ring = Ring::new(
            Collects::Events,
            vec![event(3, "vm-1"), event(1, "vm-1"), event(2, "vm-2")],
            10,
        );
        assert_eq!(keys(&ring.latest_page(&json!({}), 2).unwrap()), [2, 3]);
        assert_eq!(keys(&ring.latest_page(&on("vm-1"), 5).unwrap()), [1, 3]);
        assert_eq!(
            ring.latest_page(&on("vm-9"), 5).unwrap(),
            Vec::<Value>::new()
        );
        let cluster =
            json!({"entity": {"entity": {"type": "ClusterComputeResource", "value": "domain-c7"}}});
        assert_eq!(
            ring.latest_page(&cluster, 5),
            None,
            "a cluster's descendants are vCenter's to know"
        );
    }

    #[test]
    fn newer_pages_are_merged_keeping_the_newest_and_replacing_changed_tasks() {
        let ring = Ring::new(
            Collects::Events,
            (1..=4).map(|k| event(k, "vm-1")).collect(),
            6,
        );
        // vcsim's page after a new event, missing the second newest.
        let page = vec![
            event(1, "vm-1"),
            event(2, "vm-1"),
            event(4, "vm-1"),
            event(5, "vm-1"),
        ];
        let ring = ring.merged(page, 6);
        assert_eq!(
            keys(&ring.latest_page(&json!({}), 10).unwrap()),
            [1, 2, 3, 4, 5]
        );
        let ring = ring.merged(vec![event(6, "vm-1"), event(7, "vm-1")], 6);
        assert_eq!(ring.len(), 6);
        assert_eq!(
            ring.latest_page(&json!({}), 10),
            None,
            "key 1 fell off: older items may exist"
        );
        assert_eq!(
            keys(&ring.latest_page(&json!({}), 6).unwrap()),
            [2, 3, 4, 5, 6, 7]
        );
        let far = ring.merged((20..26).map(|k| event(k, "vm-1")).collect(), 6);
        assert_eq!(
            keys(&far.latest_page(&json!({}), 6).unwrap()),
            (20..26).collect::<Vec<_>>()
        );
        assert_eq!(far.len(), 6, "a full page past the ring replaces it");

        let task = |key: &str, state: &str| json!({"key": key, "state": state, "queueTime": "2026-12-07T01:00:00Z", "eventChainId": key[5..].parse::<i64>().unwrap()});
        let tasks = Ring::new(Collects::Tasks, vec![task("task-1", "running")], 5).merged(
            vec![task("task-1", "success"), task("task-2", "running")],
            5,
        );
        let page = tasks.latest_page(&json!({}), 5).unwrap();
        assert_eq!(page, [task("task-1", "success"), task("task-2", "running")]);
    }

    #[test]
    fn a_full_ring_answers_only_when_it_holds_the_whole_page() {
        let items: Vec<Value> = (1..=10)
            .map(|k| event(k, if k % 5 == 0 { "vm-5" } else { "vm-1" }))
            .collect();
        let ring = Ring::new(Collects::Events, items, 10);
        assert_eq!(keys(&ring.latest_page(&on("vm-1"), 3).unwrap()), [7, 8, 9]);
        assert_eq!(
            ring.latest_page(&on("vm-5"), 3),
            None,
            "older vm-5 events may be beyond the ring"
        );
        let recent = json!({"time": {"beginTime": "2026-12-07T01:00:02Z"}});
        assert_eq!(
            keys(&ring.latest_page(&recent, 20).unwrap()),
            (2..=10).collect::<Vec<_>>()
        );
        let all_time = json!({"time": {"beginTime": "2026-12-07T01:00:01Z"}});
        assert_eq!(
            ring.latest_page(&all_time, 20),
            None,
            "an item at the window's start may have older neighbours"
        );
    }

    #[test]
    fn a_page_as_text_is_its_items_serialized_also_after_a_task_changes() {
        let task = |key: i64, state: &str| {
            json!({"_typeName": "TaskInfo", "key": format!("task-{key}"), "state": state,
                   "queueTime": format!("2026-12-07T01:00:{key:02}Z"), "eventChainId": key})
        };
        let ring = Ring::new(
            Collects::Tasks,
            vec![task(1, "running"), task(2, "running")],
            5,
        );
        let ring = ring.merged(vec![task(2, "success"), task(3, "queued")], 5);
        for (filter, size) in [
            (json!({}), 5),
            (json!({}), 2),
            (json!({"state": ["success"]}), 5),
            (json!({"state": ["error"]}), 5),
        ] {
            let values = ring.latest_page(&filter, size).unwrap();
            let text = ring.latest_page_text(&filter, size).unwrap();
            assert_eq!(text, serde_json::to_string(&values).unwrap(), "{filter}");
        }
        let text = ring.latest_page_text(&json!({}), 5).unwrap();
        let page: Vec<Value> = serde_json::from_str(&text).unwrap();
        assert_eq!(
            page,
            [task(1, "running"), task(2, "success"), task(3, "queued")],
            "the changed task's text is its new state"
        );
        let cluster =
            json!({"entity": {"entity": {"type": "ClusterComputeResource", "value": "domain-c7"}}});
        assert_eq!(ring.latest_page_text(&cluster, 5), None);
    }
}
