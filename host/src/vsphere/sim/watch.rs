//! The simulator's update feed and targeted reads, so that the host's
//! inventory index runs on the simulator exactly as on vCenter. Every
//! successful change bumps a version; the feed wakes on it and sends what
//! differs from the last state it sent (the simulator is small, so a diff
//! of the watched properties is cheap), or an empty batch after the wait.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;

use super::model::{Model, Object};
use super::props;
use super::schema;
use crate::vocabulary::VsError;
use crate::vsphere::{
    FeedInterrupter, MoRef, ObjectContent, ObjectUpdate, UpdateFeed, UpdateKind, WatchSpec,
};

/// What the feed last sent: each watched object's set properties.
type Sent = HashMap<MoRef, Vec<(String, Value)>>;

/// The set watched properties of every watched object, now.
fn watched_state(m: &Model, spec: &WatchSpec) -> Sent {
    let mut out = Sent::new();
    if !spec.types.is_empty() {
        for object in m.objects() {
            let Some((_, paths)) = spec
                .types
                .iter()
                .find(|(t, _)| schema::kind_is_a(&object.kind, t))
            else {
                continue;
            };
            out.insert(object.moref(), set_properties(object, paths));
        }
    }
    for (reference, paths) in &spec.objects {
        if let Ok(object) = m.resolve(reference) {
            out.insert(object.moref(), set_properties(object, paths));
        }
    }
    out
}

/// The `paths` of `object` that are set, with their values.
fn set_properties(object: &Object, paths: &[String]) -> Vec<(String, Value)> {
    paths
        .iter()
        .filter_map(|p| {
            props::read(object, p)
                .ok()
                .flatten()
                .map(|v| (p.clone(), v))
        })
        .collect()
}

/// The updates that take a client from `before` to `after`.
fn diff(before: &Sent, after: &Sent) -> Vec<ObjectUpdate> {
    let mut updates = Vec::new();
    for (reference, now) in after {
        match before.get(reference) {
            None => updates.push(ObjectUpdate {
                kind: UpdateKind::Enter,
                reference: reference.clone(),
                changes: now
                    .iter()
                    .map(|(p, v)| (p.clone(), Some(v.clone())))
                    .collect(),
            }),
            Some(was) if was != now => {
                let mut changes: Vec<(String, Option<Value>)> = now
                    .iter()
                    .filter(|(p, v)| !was.iter().any(|(wp, wv)| wp == p && wv == v))
                    .map(|(p, v)| (p.clone(), Some(v.clone())))
                    .collect();
                changes.extend(
                    was.iter()
                        .filter(|(p, _)| !now.iter().any(|(np, _)| np == p))
                        .map(|(p, _)| (p.clone(), None)),
                );
                updates.push(ObjectUpdate {
                    kind: UpdateKind::Modify,
                    reference: reference.clone(),
                    changes,
                });
            }
            Some(_) => {}
        }
    }
    for reference in before.keys().filter(|r| !after.contains_key(*r)) {
        updates.push(ObjectUpdate {
            kind: UpdateKind::Leave,
            reference: reference.clone(),
            changes: Vec::new(),
        });
    }
    updates
}

/// A feed over the simulated inventory.
pub(super) struct SimFeed {
    model: Arc<Mutex<Model>>,
    spec: WatchSpec,
    changes: tokio::sync::watch::Receiver<u64>,
    sent: Option<Sent>,
    interrupt: Arc<SimInterrupt>,
}

impl SimFeed {
    /// A feed of `spec` over `model`, woken by `changes` (bumped after
    /// every change the simulator makes).
    pub(super) fn new(
        model: Arc<Mutex<Model>>,
        changes: tokio::sync::watch::Receiver<u64>,
        spec: WatchSpec,
    ) -> Self {
        SimFeed {
            model,
            spec,
            changes,
            sent: None,
            interrupt: Arc::default(),
        }
    }
}

#[async_trait]
impl UpdateFeed for SimFeed {
    async fn next(&mut self, wait: Duration) -> Result<Vec<ObjectUpdate>, VsError> {
        if self.sent.is_some() {
            let (changes, interrupt) = (&mut self.changes, &self.interrupt);
            let woken = tokio::time::timeout(wait, async {
                tokio::select! {
                    _ = changes.changed() => true,
                    _ = interrupt.0.notified() => false,
                }
            })
            .await;
            if woken != Ok(true) {
                return Ok(Vec::new());
            }
        }
        self.changes.borrow_and_update();
        let now = {
            // Methods check before they write, so a poisoned lock is still consistent.
            let model = self.model.lock().unwrap_or_else(|p| p.into_inner());
            watched_state(&model, &self.spec)
        };
        let updates = diff(self.sent.as_ref().unwrap_or(&Sent::new()), &now);
        self.sent = Some(now);
        Ok(updates)
    }

    fn interrupter(&self) -> Arc<dyn FeedInterrupter> {
        self.interrupt.clone()
    }

    async fn close(self: Box<Self>) {}
}

/// Wakes the simulator feed's wait.
#[derive(Default)]
struct SimInterrupt(tokio::sync::Notify);

#[async_trait]
impl FeedInterrupter for SimInterrupt {
    async fn interrupt(&self) {
        self.0.notify_waiters();
    }
}

/// `properties` of exactly these objects; objects that do not exist are
/// left out, and a path the type does not have is an error.
pub(super) fn read(
    m: &Model,
    refs: &[MoRef],
    properties: &[String],
) -> Result<Vec<ObjectContent>, VsError> {
    let mut out = Vec::with_capacity(refs.len());
    for reference in refs {
        let Ok(object) = m.resolve(reference) else {
            continue;
        };
        let mut found = Vec::new();
        for p in properties {
            if found.iter().any(|(seen, _): &(String, Value)| seen == p) {
                continue;
            }
            if let Some(v) = props::read(object, p)? {
                found.push((p.clone(), v));
            }
        }
        out.push(ObjectContent {
            reference: object.moref(),
            properties: found,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn diffs_say_what_entered_changed_and_left() {
        let vm = |id: &str| MoRef::new("VirtualMachine", id);
        let before = Sent::from([
            (
                vm("vm-1"),
                vec![
                    ("name".to_string(), json!("a")),
                    ("runtime.powerState".to_string(), json!("poweredOn")),
                ],
            ),
            (vm("vm-2"), vec![("name".to_string(), json!("b"))]),
        ]);
        let after = Sent::from([
            (vm("vm-1"), vec![("name".to_string(), json!("a"))]),
            (vm("vm-3"), vec![("name".to_string(), json!("c"))]),
        ]);
        let mut updates = diff(&before, &after);
        updates.sort_by(|a, b| a.reference.cmp(&b.reference));
        assert_eq!(updates.len(), 3);
        assert_eq!(updates[0].kind, UpdateKind::Modify);
        assert_eq!(
            updates[0].changes,
            [("runtime.powerState".to_string(), None)]
        );
        assert_eq!(updates[1].kind, UpdateKind::Leave);
        assert_eq!(updates[2].kind, UpdateKind::Enter);
        assert!(diff(&after, &after).is_empty());
    }
}
