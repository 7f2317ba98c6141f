//! The approvals still waiting for an answer. Each one must end with an
//! audit record; when the server stops before anyone decides, the record
//! says so (`interrupted`), and the request stays pending under its id to be
//! asked again after the restart. Whoever waits holds an [`OpenAsk`]; its
//! drop takes the approval off the list, because whoever decided has written
//! the decision by then.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use super::audit::DecisionRecord;

/// The approvals being asked now, each as the record it would end with if
/// nobody answered.
#[derive(Default)]
pub struct OpenAsks {
    open: Arc<Mutex<Waiting>>,
}

#[derive(Default)]
struct Waiting {
    next: u64,
    records: BTreeMap<u64, DecisionRecord>,
}

/// One approval being asked; dropping it takes it off the list.
pub struct OpenAsk {
    open: Arc<Mutex<Waiting>>,
    key: u64,
}

impl OpenAsks {
    /// Put an approval on the list until the returned guard is dropped.
    /// `unanswered` is its record as it stands before a decision.
    pub fn open(&self, unanswered: DecisionRecord) -> OpenAsk {
        let mut waiting = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let key = waiting.next;
        waiting.next += 1;
        waiting.records.insert(key, unanswered);
        OpenAsk {
            open: self.open.clone(),
            key,
        }
    }

    /// Take every approval still waiting off the list, oldest first: the
    /// server is stopping and each gets its closing record now.
    pub fn take_all(&self) -> Vec<DecisionRecord> {
        let mut waiting = self.open.lock().unwrap_or_else(|p| p.into_inner());
        std::mem::take(&mut waiting.records).into_values().collect()
    }
}

impl Drop for OpenAsk {
    fn drop(&mut self) {
        let mut waiting = self.open.lock().unwrap_or_else(|p| p.into_inner());
        waiting.records.remove(&self.key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(tool: &str) -> DecisionRecord {
        DecisionRecord {
            tool: tool.into(),
            ..DecisionRecord::default()
        }
    }

    #[test]
    fn only_the_asks_still_waiting_are_taken_and_each_once() {
        let asks = OpenAsks::default();
        let first = asks.open(record("a"));
        let answered = asks.open(record("b"));
        let _third = asks.open(record("c"));
        drop(answered);
        let tools: Vec<String> = asks.take_all().into_iter().map(|r| r.tool).collect();
        assert_eq!(tools, ["a", "c"]);
        drop(first);
        assert!(asks.take_all().is_empty(), "taken once");
    }
}
