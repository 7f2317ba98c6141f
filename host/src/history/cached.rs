//! History collectors answered from the recent history: a backend that
//! passes every call through, except that a collector created for a filter
//! the rings decide is held in memory until it is read. Reading its
//! `latestPage` is answered from the rings when they hold the whole page;
//! otherwise (and for any method that scrolls it) the collector is created
//! in vCenter then, with the same filter and page size, and the call goes
//! there. Destroying an in-memory collector costs nothing.
//!
//! The gateway above still logs and counts each of these calls as the
//! plugin made it; `vmware_mcp_vcenter_http_requests_total` counts what
//! reached vCenter, and `vmware_mcp_history_pages_total` says where each
//! page came from.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde_json::{Map, Value, json};

use super::recent::RecentHistory;
use super::ring::Ring;
use crate::telemetry::metrics::{Metrics, names};
use crate::vocabulary::VsError;
use crate::vsphere::history_filter::{self, Collects};
use crate::vsphere::{
    Backend, BackendCounters, CallContext, MoRef, ObjectContent, ObjectText, RetrieveSpec,
    UpdateFeed, WatchSpec,
};

/// The prefix of in-memory collectors' ids; vCenter's start `session[`
/// and a session id, which this cannot be.
const HELD_PREFIX: &str = "session[recent-history]";

/// The most in-memory collectors kept: plugins destroy theirs within the
/// call, so more means some were left behind, and the oldest go.
const MAX_HELD: usize = 256;

/// vCenter's page size for a new collector.
const DEFAULT_PAGE: usize = 10;

/// The largest page size vCenter accepts.
const MAX_PAGE: i64 = 1000;

/// A collector a plugin created, held in memory.
#[derive(Debug, Clone)]
struct Held {
    collects: Collects,
    manager: MoRef,
    filter: Value,
    page_size: usize,
    /// Set once it exists in vCenter: every call goes there from then on.
    created: Option<MoRef>,
}

/// A backend whose history collectors are answered from the recent history
/// where it can.
pub struct CachedHistoryBackend {
    inner: Arc<dyn Backend>,
    history: Arc<RecentHistory>,
    metrics: Arc<Metrics>,
    held: Mutex<BTreeMap<u64, Held>>,
    next_id: AtomicU64,
}

impl CachedHistoryBackend {
    /// Pass calls to `inner`, answering history collectors from `history`.
    pub fn new(
        inner: Arc<dyn Backend>,
        history: Arc<RecentHistory>,
        metrics: Arc<Metrics>,
    ) -> Arc<Self> {
        Arc::new(CachedHistoryBackend {
            inner,
            history,
            metrics,
            held: Mutex::default(),
            next_id: AtomicU64::new(1),
        })
    }

    fn held(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Held>> {
        self.held.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The number of a held collector's reference.
    fn held_id(reference: &MoRef) -> Option<u64> {
        Collects::of(&reference.kind)?;
        reference.value.strip_prefix(HELD_PREFIX)?.parse().ok()
    }

    fn get(&self, reference: &MoRef) -> Option<(u64, Held)> {
        let id = Self::held_id(reference)?;
        self.held().get(&id).cloned().map(|h| (id, h))
    }

    /// Hold a new collector, making room by destroying the oldest.
    async fn hold(&self, ctx: &CallContext, held: Held) -> Value {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let kind = held.collects.kind();
        let evicted = {
            let mut all = self.held();
            all.insert(id, held);
            let mut evicted = Vec::new();
            while all.len() > MAX_HELD {
                evicted.extend(all.pop_first().and_then(|(_, h)| h.created));
            }
            evicted
        };
        for collector in evicted {
            let _ = self
                .inner
                .invoke(ctx, &collector, "DestroyCollector", &Map::new())
                .await;
        }
        MoRef::new(kind, format!("{HELD_PREFIX}{id}")).to_json()
    }

    /// The held collector `id` as it exists in vCenter, creating it there
    /// if need be.
    async fn in_vcenter(&self, ctx: &CallContext, id: u64, held: Held) -> Result<MoRef, VsError> {
        if let Some(created) = held.created {
            return Ok(created);
        }
        let method = match held.collects {
            Collects::Events => "CreateCollectorForEvents",
            Collects::Tasks => "CreateCollectorForTasks",
        };
        let mut args = Map::new();
        args.insert("filter".into(), held.filter.clone());
        let made = self.inner.invoke(ctx, &held.manager, method, &args).await?;
        let collector = MoRef::from_json(&made).ok_or_else(|| {
            VsError::Internal(format!("{method} returned {made}, not a collector"))
        })?;
        if held.page_size != DEFAULT_PAGE {
            let mut size = Map::new();
            size.insert("maxCount".into(), json!(held.page_size));
            self.inner
                .invoke(ctx, &collector, "SetCollectorPageSize", &size)
                .await?;
        }
        if let Some(h) = self.held().get_mut(&id) {
            h.created = Some(collector.clone());
        }
        Ok(collector)
    }

    fn count_page(&self, collects: Collects, source: &str) {
        let history = match collects {
            Collects::Events => "events",
            Collects::Tasks => "tasks",
        };
        self.metrics.inc(
            names::HISTORY_PAGES,
            vec![("history", history.into()), ("source", source.into())],
        );
    }

    /// A held collector's properties answered from the rings, or `None`
    /// when vCenter must answer: its page through `page_as` and its filter
    /// through `filter_as`, so a read gets values and a plugin's read text.
    async fn answer_from_memory<V>(
        &self,
        held: &Held,
        properties: &[String],
        page_as: impl FnOnce(&Ring) -> Option<V>,
        filter_as: impl Fn(&Value) -> V,
    ) -> Option<Vec<(String, V)>> {
        let only_page = properties
            .iter()
            .all(|p| p == "latestPage" || p == "filter");
        if held.created.is_some() || !only_page {
            return None;
        }
        let ring = self.history.current(held.collects).await?;
        // Taken by the one `latestPage` asked for (repeats are skipped).
        let mut page = Some(page_as(&ring)?);
        let mut found: Vec<(String, V)> = Vec::new();
        for p in properties {
            if found.iter().any(|(seen, _)| seen == p) {
                continue;
            }
            let value = match (p.as_str(), page.take()) {
                ("latestPage", Some(page)) => page,
                _ => filter_as(&held.filter),
            };
            found.push((p.clone(), value));
        }
        Some(found)
    }

    /// Call a method of a held collector.
    async fn invoke_held(
        &self,
        ctx: &CallContext,
        id: u64,
        held: Held,
        method: &str,
        args: &Map<String, Value>,
    ) -> Result<Value, VsError> {
        let page_size = (method == "SetCollectorPageSize")
            .then(|| args.get("maxCount").and_then(Value::as_i64))
            .flatten()
            .filter(|n| (1..=MAX_PAGE).contains(n));
        match (method, page_size, &held.created) {
            ("SetCollectorPageSize", Some(n), None) => {
                if let Some(h) = self.held().get_mut(&id) {
                    h.page_size = n as usize;
                }
                Ok(Value::Null)
            }
            ("DestroyCollector", _, None) if args.is_empty() => {
                self.held().remove(&id);
                Ok(Value::Null)
            }
            ("DestroyCollector", _, Some(created)) => {
                self.held().remove(&id);
                self.inner.invoke(ctx, created, method, args).await
            }
            // Anything else (scrolling, a page size vCenter would refuse)
            // is vCenter's to answer.
            _ => {
                let collector = self.in_vcenter(ctx, id, held).await?;
                self.inner.invoke(ctx, &collector, method, args).await
            }
        }
    }
}

#[async_trait]
impl Backend for CachedHistoryBackend {
    fn is_simulated(&self) -> bool {
        self.inner.is_simulated()
    }

    async fn is_ready(&self) -> bool {
        self.inner.is_ready().await
    }

    fn counters(&self) -> BackendCounters {
        self.inner.counters()
    }

    async fn shutdown(&self) {
        self.inner.shutdown().await
    }

    async fn service_content(&self, ctx: &CallContext) -> Result<Value, VsError> {
        self.inner.service_content(ctx).await
    }

    async fn retrieve(
        &self,
        ctx: &CallContext,
        spec: &RetrieveSpec,
    ) -> Result<Vec<ObjectContent>, VsError> {
        self.inner.retrieve(ctx, spec).await
    }

    async fn read(
        &self,
        ctx: &CallContext,
        refs: &[MoRef],
        properties: &[String],
    ) -> Result<Vec<ObjectContent>, VsError> {
        if !refs.iter().any(|r| Self::held_id(r).is_some()) {
            return self.inner.read(ctx, refs, properties).await;
        }
        // Held collectors are answered one by one; the rest in one read.
        let mut answered: Vec<ObjectContent> = Vec::new();
        let mut passed: Vec<MoRef> = Vec::new();
        for reference in refs {
            if Self::held_id(reference).is_none() {
                passed.push(reference.clone());
                continue;
            }
            // One destroyed already is left out, as vCenter leaves it.
            let Some((id, held)) = self.get(reference) else {
                continue;
            };
            let page = |ring: &Ring| {
                ring.latest_page(&held.filter, held.page_size)
                    .map(Value::Array)
            };
            if let Some(properties) = self
                .answer_from_memory(&held, properties, page, Value::clone)
                .await
            {
                self.count_page(held.collects, "memory");
                answered.push(ObjectContent {
                    reference: reference.clone(),
                    properties,
                });
                continue;
            }
            self.count_page(held.collects, "vcenter");
            let collector = self.in_vcenter(ctx, id, held).await?;
            let read = self
                .inner
                .read(ctx, std::slice::from_ref(&collector), properties)
                .await?;
            answered.extend(read.into_iter().map(|mut content| {
                content.reference = reference.clone();
                content
            }));
        }
        if !passed.is_empty() {
            answered.extend(self.inner.read(ctx, &passed, properties).await?);
        }
        // In the order asked for, as one read answers.
        Ok(refs
            .iter()
            .filter_map(|r| {
                let at = answered.iter().position(|c| &c.reference == r)?;
                Some(answered.swap_remove(at))
            })
            .collect())
    }

    async fn read_text(
        &self,
        ctx: &CallContext,
        refs: &[MoRef],
        properties: &[String],
    ) -> Result<Vec<ObjectText>, VsError> {
        // A plugin reading one held collector's page from memory gets the
        // items' kept text; anything else reads as `read` does.
        if let [reference] = refs
            && let Some((_, held)) = self.get(reference)
        {
            let page = |ring: &Ring| ring.latest_page_text(&held.filter, held.page_size);
            if let Some(properties) = self
                .answer_from_memory(&held, properties, page, Value::to_string)
                .await
            {
                self.count_page(held.collects, "memory");
                return Ok(vec![ObjectText {
                    reference: reference.clone(),
                    properties,
                }]);
            }
        }
        let objects = self.read(ctx, refs, properties).await?;
        Ok(objects.into_iter().map(ObjectText::from).collect())
    }

    async fn watch(&self, spec: &WatchSpec) -> Result<Box<dyn UpdateFeed>, VsError> {
        self.inner.watch(spec).await
    }

    async fn invoke(
        &self,
        ctx: &CallContext,
        target: &MoRef,
        method: &str,
        args: &Map<String, Value>,
    ) -> Result<Value, VsError> {
        if let Some((id, held)) = self.get(target) {
            return self.invoke_held(ctx, id, held, method, args).await;
        }
        if Self::held_id(target).is_some() {
            return Err(VsError::NotFound(format!(
                "{target} is no longer there: it was destroyed"
            )));
        }
        let collects = match (target.kind.as_str(), method) {
            ("EventManager", "CreateCollectorForEvents") => Some(Collects::Events),
            ("TaskManager", "CreateCollectorForTasks") => Some(Collects::Tasks),
            _ => None,
        };
        let filter = args.get("filter");
        if let (Some(collects), Some(filter), 1) = (collects, filter, args.len())
            && filter.get("_typeName").and_then(Value::as_str) == Some(collects.filter_type())
            && history_filter::decidable(collects, filter)
            && self.history.follows(collects)
        {
            let held = Held {
                collects,
                manager: target.clone(),
                filter: filter.clone(),
                page_size: DEFAULT_PAGE,
                created: None,
            };
            return Ok(self.hold(ctx, held).await);
        }
        self.inner.invoke(ctx, target, method, args).await
    }
}
