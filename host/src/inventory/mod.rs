//! The host-owned inventory index: names, parents, types and a few
//! filterable properties of every folder, datacenter, compute resource,
//! resource pool, VM, host, datastore and network, kept current from one
//! update feed (see [`crate::follow`]).
//!
//! Plugins resolve names, paths and ids, name referenced objects and list
//! pages through it (the WIT `inventory` interface), so on a warm index none
//! of that costs a vCenter round trip, whatever the inventory's size. A
//! change made through this server is applied at once (the gateway reports
//! what a state-changing call touched, and the index re-reads just those
//! objects); a change made elsewhere arrives on the feed. While the feed is
//! down, queries fall back to direct reads, and `/readyz` says so.

pub mod cursor;
pub mod index;
pub mod kind;
pub mod path_order;
pub mod resolve;
pub mod select;
pub mod watched;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;

use crate::follow::{self, FollowedIndex, catch_up::CatchUpRounds};
use crate::vocabulary::VsError;
use crate::vsphere::claim_check;
use crate::vsphere::claims::{self, NameClaim};
use crate::vsphere::{
    Backend, CallContext, ChangeObserver, MoRef, ObjectUpdate, RetrieveSpec, UpdateFeed, UpdateKind,
};

pub use cursor::CursorSigner;
pub use index::{Entry, Index};
pub use kind::Kind;
pub use select::{Condition, MatchOp, Page, Query};

/// Without a reply from the feed for this long, the stream counts as stalled.
const STALLED_AFTER: Duration = Duration::from_secs(7);

/// Where the update stream stands.
#[derive(Debug, Clone)]
enum Stream {
    /// Not yet read.
    Starting,
    /// Applying updates; the last reply from the feed came at `last_reply`.
    Live { last_reply: Instant },
    /// Broken since `since`; queries read directly.
    Down { reason: String, since: Instant },
}

/// The index's health, for `/readyz` and metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexStatus {
    /// Whether queries are answered from a current index.
    pub live: bool,
    /// `live`, `starting`, `stalled` or `fallback`.
    pub state: &'static str,
    /// Objects indexed.
    pub objects: usize,
    /// Why it is not live, when it is not.
    pub reason: Option<String>,
}

struct State {
    index: Index,
    stream: Stream,
}

/// The index and the follower that keeps it current.
pub struct InventoryService {
    backend: Arc<dyn Backend>,
    state: RwLock<State>,
    signer: CursorSigner,
    rounds: CatchUpRounds,
}

impl std::fmt::Debug for InventoryService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InventoryService")
            .field("status", &self.status())
            .finish_non_exhaustive()
    }
}

impl InventoryService {
    /// An empty index over `backend`; [`InventoryService::start`] fills it.
    pub fn new(backend: Arc<dyn Backend>) -> Arc<Self> {
        Arc::new(InventoryService {
            backend,
            state: RwLock::new(State {
                index: Index::new(),
                stream: Stream::Starting,
            }),
            signer: CursorSigner::random(),
            rounds: CatchUpRounds::default(),
        })
    }

    /// Start following the backend's feed, and wait up to `warm_up` for the
    /// first full read so that the first tool calls are served from the
    /// index. The follower stops when the service is dropped.
    pub async fn start(self: &Arc<Self>, warm_up: Duration) {
        tokio::spawn(follow::follow(Arc::downgrade(self)));
        let deadline = Instant::now() + warm_up;
        while Instant::now() < deadline {
            if !matches!(self.read_state().stream, Stream::Starting) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn read_state(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write_state(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|p| p.into_inner())
    }

    /// The inventory path of `reference` as the index knows it now, without
    /// reading vCenter: for labels (notifications), where a moment's lag
    /// does not matter and waiting would.
    pub fn known_path(&self, reference: &MoRef) -> Option<String> {
        self.read_state().index.path_of(reference)
    }

    /// The index's health.
    pub fn status(&self) -> IndexStatus {
        let state = self.read_state();
        let objects = state.index.len();
        match &state.stream {
            Stream::Live { last_reply } if last_reply.elapsed() < STALLED_AFTER => IndexStatus {
                live: true,
                state: "live",
                objects,
                reason: None,
            },
            Stream::Live { last_reply } => IndexStatus {
                live: false,
                state: "stalled",
                objects,
                reason: Some(format!(
                    "no reply from vCenter's update stream for {} s",
                    last_reply.elapsed().as_secs()
                )),
            },
            Stream::Starting => IndexStatus {
                live: false,
                state: "starting",
                objects,
                reason: Some("the first read of the inventory has not finished".into()),
            },
            Stream::Down { reason, since } => IndexStatus {
                live: false,
                state: "fallback",
                objects,
                reason: Some(format!(
                    "{reason} ({} s ago); reading vCenter directly until it is re-established",
                    since.elapsed().as_secs()
                )),
            },
        }
    }

    /// Replace the whole index with a feed's first batch.
    fn replace_all(&self, updates: &[ObjectUpdate]) {
        let mut index = Index::new();
        for u in updates {
            index.apply(u);
        }
        let objects = index.len();
        let mut state = self.write_state();
        let was = std::mem::replace(
            &mut state.stream,
            Stream::Live {
                last_reply: Instant::now(),
            },
        );
        state.index = index;
        drop(state);
        match was {
            Stream::Down { since, .. } => tracing::warn!(
                objects,
                down_for_secs = since.elapsed().as_secs(),
                "inventory update stream re-established; the index is live again"
            ),
            _ => tracing::info!(objects, "inventory index loaded; following updates"),
        }
    }

    /// Apply one batch of updates.
    fn apply(&self, batch: &[ObjectUpdate]) {
        let mut state = self.write_state();
        for u in batch {
            state.index.apply(u);
        }
    }

    /// Note a reply from the feed (an empty batch is a reply too).
    fn mark_alive(&self) {
        let mut state = self.write_state();
        if let Stream::Live { last_reply } = &mut state.stream {
            *last_reply = Instant::now();
        }
    }

    /// Mark the stream broken, logging it once.
    fn stream_down(&self, reason: &str) {
        let mut state = self.write_state();
        if let Stream::Down { .. } = state.stream {
            return;
        }
        state.stream = Stream::Down {
            reason: reason.to_string(),
            since: Instant::now(),
        };
        drop(state);
        tracing::warn!(
            reason,
            "inventory update stream is down; falling back to direct reads and re-establishing it"
        );
    }

    /// Read these objects again and apply what vCenter says now: current
    /// properties, or gone. Objects of types the index does not hold are
    /// ignored. A failed read leaves the index as it was (the feed will
    /// bring the change).
    pub async fn refresh(&self, refs: &[MoRef]) {
        let ctx = CallContext {
            correlation_id: "inventory".into(),
            ..Default::default()
        };
        self.refresh_in(&ctx, refs).await;
    }

    async fn refresh_in(&self, ctx: &CallContext, refs: &[MoRef]) {
        let mut by_type: BTreeMap<&str, Vec<MoRef>> = BTreeMap::new();
        for r in refs.iter().filter(|r| watched::is_watched(&r.kind)) {
            let group = by_type.entry(r.kind.as_str()).or_default();
            if !group.contains(r) {
                group.push(r.clone());
            }
        }
        for (object_type, group) in by_type {
            let properties = watched::properties_of(object_type);
            match self.backend.read(ctx, &group, &properties).await {
                Ok(found) => {
                    let mut updates: Vec<ObjectUpdate> = found
                        .into_iter()
                        .map(|o| ObjectUpdate {
                            kind: UpdateKind::Enter,
                            reference: o.reference,
                            changes: o
                                .properties
                                .into_iter()
                                .map(|(p, v)| (p, Some(v)))
                                .collect(),
                        })
                        .collect();
                    for r in &group {
                        if !updates.iter().any(|u| &u.reference == r) {
                            updates.push(ObjectUpdate {
                                kind: UpdateKind::Leave,
                                reference: r.clone(),
                                changes: Vec::new(),
                            });
                        }
                    }
                    self.apply(&updates);
                }
                Err(e) => {
                    tracing::debug!(correlation_id = %ctx.correlation_id, error = %e, "re-reading changed objects for the index failed; the update stream will bring the change")
                }
            }
        }
    }

    /// Run `query` on the current index, or on a one-off index read directly
    /// from vCenter while the update stream is down.
    pub async fn query<T>(
        &self,
        ctx: &CallContext,
        query: impl FnOnce(&Index, &CursorSigner) -> T,
    ) -> Result<T, VsError> {
        if self.status().live {
            let state = self.read_state();
            return Ok(query(&state.index, &self.signer));
        }
        let index = self.read_directly(ctx).await?;
        Ok(query(&index, &self.signer))
    }

    /// An index built from one full read of each watched type, for queries
    /// while the stream is down.
    async fn read_directly(&self, ctx: &CallContext) -> Result<Index, VsError> {
        tracing::debug!(correlation_id = %ctx.correlation_id, "inventory index not live; reading the inventory directly");
        let mut index = Index::new();
        for object_type in watched::WATCHED_TYPES {
            let spec = RetrieveSpec {
                object_type: object_type.to_string(),
                root: None,
                recursive: true,
                properties: watched::properties_of(object_type),
            };
            for object in self.backend.retrieve(ctx, &spec).await? {
                index.apply(&ObjectUpdate {
                    kind: UpdateKind::Enter,
                    reference: object.reference,
                    changes: object
                        .properties
                        .into_iter()
                        .map(|(p, v)| (p, Some(v)))
                        .collect(),
                });
            }
        }
        Ok(index)
    }

    /// Bring the index up to every change vCenter made before now (one
    /// round of the feed that starts after this call). A no-op while the
    /// stream is down: queries read vCenter directly then.
    pub async fn catch_up(&self) {
        if self.status().live && !self.rounds.request().await {
            tracing::debug!(
                "the inventory feed did not catch up in time; answering from the index as it is"
            );
        }
    }

    /// Resolve a name, inventory path or id to one object of `kind`. A
    /// name that is not found is looked up once more after a catch-up, so
    /// an object made elsewhere a moment ago is found; unless it names an
    /// object of another kind (a caller trying each kind a filter takes),
    /// which a catch-up would not change.
    pub async fn resolve(
        &self,
        ctx: &CallContext,
        kind: Kind,
        argument: &str,
    ) -> Result<Entry, VsError> {
        let (answer, names_anything) = self
            .query(ctx, |index, _| {
                let answer = index.resolve(kind, argument);
                let names_anything =
                    matches!(answer, Err(VsError::NotFound(_))) && index.names_anything(argument);
                (answer, names_anything)
            })
            .await?;
        match answer {
            Err(VsError::NotFound(_)) if !argument.is_empty() && !names_anything => {
                self.catch_up().await;
                self.query(ctx, |index, _| index.resolve(kind, argument))
                    .await?
            }
            answer => answer,
        }
    }

    /// Resolve as [`InventoryService::resolve`] does, and keep the name or
    /// path it was reached by as one of the call's claims, which every
    /// state change checks against vCenter. With `confirm` (a call that
    /// may change state) the claim is checked at once: when vCenter no
    /// longer agrees, the index catches up and the argument is resolved
    /// again, so the object that holds the name now is the one returned
    /// (and the one an approval names); if vCenter still disagrees, the
    /// call is refused.
    pub async fn resolve_claimed(
        &self,
        ctx: &CallContext,
        kind: Kind,
        argument: &str,
        confirm: bool,
    ) -> Result<Entry, VsError> {
        let mut entry = self.resolve(ctx, kind, argument).await?;
        if confirm {
            let mut broken = self.broken_claim(ctx, &entry, argument).await?;
            if !broken.is_empty() {
                tracing::info!(correlation_id = %ctx.correlation_id, argument, was = %entry.reference, why = %broken[0].describe(), "the index lags vCenter on a name this call uses; catching up before resolving it again");
                self.catch_up().await;
                entry = self.resolve(ctx, kind, argument).await?;
                broken = self.broken_claim(ctx, &entry, argument).await?;
            }
            if !broken.is_empty() {
                return Err(claims::unsettled(&broken));
            }
        }
        if let Some(claim) = NameClaim::of_resolution(argument, &entry.reference, Some(&entry.path))
        {
            ctx.name_claims.add(claim);
        }
        Ok(entry)
    }

    /// Whether vCenter disagrees with the claim `argument` → `entry`.
    async fn broken_claim(
        &self,
        ctx: &CallContext,
        entry: &Entry,
        argument: &str,
    ) -> Result<Vec<claims::Broken>, VsError> {
        let Some(claim) = NameClaim::of_resolution(argument, &entry.reference, Some(&entry.path))
        else {
            return Ok(Vec::new());
        };
        claim_check::broken_claims(self.backend.as_ref(), ctx, &[claim]).await
    }

    /// The entries of these objects, `None` where the index does not hold one.
    pub async fn lookup(
        &self,
        ctx: &CallContext,
        refs: &[MoRef],
    ) -> Result<Vec<Option<Entry>>, VsError> {
        self.query(ctx, |index, _| {
            refs.iter().map(|r| index.entry(r)).collect()
        })
        .await
    }

    /// One page of the objects matching `query`.
    pub async fn select(
        &self,
        ctx: &CallContext,
        query: &Query,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page, VsError> {
        self.query(ctx, |index, signer| {
            index.select(query, limit, cursor, signer)
        })
        .await?
    }
}

#[async_trait]
impl ChangeObserver for InventoryService {
    async fn changed(&self, ctx: &CallContext, refs: &[MoRef]) {
        self.refresh_in(ctx, refs).await;
    }
}

/// The follower feeds the service through its own methods.
#[async_trait]
impl FollowedIndex for InventoryService {
    async fn open_feed(&self) -> Result<Box<dyn UpdateFeed>, VsError> {
        self.backend.watch(&watched::watch_spec()).await
    }

    fn replace_all(&self, updates: &[ObjectUpdate]) {
        InventoryService::replace_all(self, updates)
    }

    fn apply(&self, batch: &[ObjectUpdate]) {
        InventoryService::apply(self, batch)
    }

    fn mark_alive(&self) {
        InventoryService::mark_alive(self)
    }

    fn stream_down(&self, reason: &str) {
        InventoryService::stream_down(self, reason)
    }

    async fn refresh(&self, refs: &[MoRef]) {
        InventoryService::refresh(self, refs).await
    }

    fn catch_up_rounds(&self) -> &CatchUpRounds {
        &self.rounds
    }

    fn watched(&self) -> &'static str {
        "the inventory"
    }
}
