//! The recent history itself: the rings of events and tasks, kept current
//! by the follower from the feed of two long-lived collectors, and caught
//! up with the changes this server makes.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::feed::{Followed, HistoryFeed};
use super::ring::Ring;
use crate::follow::{self, FollowedIndex, catch_up::CatchUpRounds};
use crate::vocabulary::VsError;
use crate::vsphere::history_filter::Collects;
use crate::vsphere::{Backend, CallContext, ChangeObserver, MoRef, ObjectUpdate, UpdateFeed};

/// How many of the newest events (and tasks) are kept: twice the largest
/// page a tool asks for (233 items), so that pages filtered by a VM, host
/// or datastore are often answered too. Each change the feed brings sends
/// the whole latest page again (about a megabyte of XML at this size),
/// which bounds it.
pub const RING_SIZE: usize = 500;

/// After a round that brought changes, the follower waits this long
/// before the next: a busy vCenter posting events every few milliseconds
/// would otherwise send the whole latest page each time.
pub const ROUND_PAUSE: Duration = Duration::from_millis(500);

/// How long a page waits for the history to catch up with a change this
/// server made before it is read from vCenter instead: a round brings
/// whole pages, which a busy server may take a while to send (vcsim takes
/// a quarter of a second to answer any wait).
const CATCH_UP_WAIT: Duration = Duration::from_secs(1);

/// Without a reply from the feed for this long, the rings count as stale.
const STALLED_AFTER: Duration = Duration::from_secs(7);

/// The rings and whether they follow vCenter.
#[derive(Default)]
struct State {
    followed: Option<Followed>,
    events: Option<Arc<Ring>>,
    tasks: Option<Arc<Ring>>,
    last_reply: Option<Instant>,
}

/// The recent history and the follower that keeps it current.
pub struct RecentHistory {
    backend: Arc<dyn Backend>,
    state: RwLock<State>,
    rounds: CatchUpRounds,
    /// The catch-up round asked for after this server's latest change:
    /// pages wait for it (briefly) before they are served from memory.
    round_after_changes: AtomicU64,
}

impl RecentHistory {
    /// Empty rings over `backend`; [`RecentHistory::start`] fills them.
    pub fn new(backend: Arc<dyn Backend>) -> Arc<Self> {
        Arc::new(RecentHistory {
            backend,
            state: RwLock::default(),
            rounds: CatchUpRounds::default(),
            round_after_changes: AtomicU64::new(0),
        })
    }

    /// Start following. The follower stops when the service is dropped.
    pub fn start(self: &Arc<Self>) {
        tokio::spawn(follow::follow(Arc::downgrade(self)));
    }

    fn read_state(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write_state(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|p| p.into_inner())
    }

    fn live_ring(&self, collects: Collects) -> Option<Arc<Ring>> {
        let state = self.read_state();
        let followed = state.followed.as_ref().is_some_and(|f| f.follows(collects));
        let alive = state
            .last_reply
            .is_some_and(|at| at.elapsed() < STALLED_AFTER);
        if !(followed && alive) {
            return None;
        }
        match collects {
            Collects::Events => state.events.clone(),
            Collects::Tasks => state.tasks.clone(),
        }
    }

    /// Whether the rings follow `collects` now (a collector for it may be
    /// answered from memory).
    pub fn follows(&self, collects: Collects) -> bool {
        self.live_ring(collects).is_some()
    }

    /// The ring of `collects`, holding every change this server has made so
    /// far; `None` when it is not followed or could not catch up in time.
    pub async fn current(&self, collects: Collects) -> Option<Arc<Ring>> {
        self.live_ring(collects)?;
        let round = self.round_after_changes.load(Ordering::Acquire);
        if !self.rounds.wait_for(round, CATCH_UP_WAIT).await {
            tracing::debug!("the recent history did not catch up in time; asking vCenter instead");
            return None;
        }
        self.live_ring(collects)
    }

    /// Take a collector's newer `latestPage` into its ring (an unset page
    /// is empty).
    fn take_page(&self, state: &mut State, reference: &MoRef, page: Option<&serde_json::Value>) {
        let Some(collects) = state
            .followed
            .as_ref()
            .and_then(|f| f.collects_of(reference))
        else {
            return;
        };
        let items = page.and_then(|p| p.as_array()).cloned().unwrap_or_default();
        let slot = match collects {
            Collects::Events => &mut state.events,
            Collects::Tasks => &mut state.tasks,
        };
        let ring = match slot.as_deref() {
            Some(ring) => ring.merged(items, RING_SIZE),
            None => Ring::new(collects, items, RING_SIZE),
        };
        *slot = Some(Arc::new(ring));
    }
}

#[async_trait]
impl ChangeObserver for RecentHistory {
    async fn changed(&self, _ctx: &CallContext, _refs: &[MoRef]) {
        // Asked for now, so the round runs while the tool's answer travels
        // and the next page rarely waits for it.
        let round = self.rounds.ask();
        self.round_after_changes.fetch_max(round, Ordering::AcqRel);
    }
}

/// The follower feeds the rings through these.
#[async_trait]
impl FollowedIndex for RecentHistory {
    async fn open_feed(&self) -> Result<Box<dyn UpdateFeed>, VsError> {
        let feed = HistoryFeed::open(self.backend.clone(), RING_SIZE).await?;
        let mut state = self.write_state();
        // The rings are kept (not served until the first page arrives): a
        // new collector's first page is merged into them like any other,
        // as events do not change and a task's newer state replaces its own.
        state.followed = Some(feed.followed());
        state.last_reply = None;
        Ok(Box::new(feed))
    }

    fn replace_all(&self, updates: &[ObjectUpdate]) {
        {
            // A page with nothing on it comes as no value at all.
            let mut state = self.write_state();
            let followed = state.followed.clone();
            for collector in followed.iter().flat_map(|f| f.all()) {
                self.take_page(&mut state, collector, None);
            }
        }
        self.apply(updates);
        let state = self.read_state();
        tracing::info!(
            events = state.events.as_ref().map_or(0, |r| r.len()),
            tasks = state.tasks.as_ref().map_or(0, |r| r.len()),
            "recent history loaded; following updates"
        );
    }

    fn apply(&self, batch: &[ObjectUpdate]) {
        let mut state = self.write_state();
        state.last_reply = Some(Instant::now());
        for update in batch {
            let page = update
                .changes
                .iter()
                .find(|(path, _)| path == "latestPage")
                .and_then(|(_, value)| value.as_ref());
            self.take_page(&mut state, &update.reference, page);
        }
    }

    fn mark_alive(&self) {
        self.write_state().last_reply = Some(Instant::now());
    }

    fn stream_down(&self, reason: &str) {
        let mut state = self.write_state();
        if state.followed.is_some() {
            tracing::warn!(
                reason,
                "the recent history stopped following vCenter; history pages are read from vCenter until it resumes"
            );
        }
        state.followed = None;
        state.last_reply = None;
    }

    async fn refresh(&self, _refs: &[MoRef]) {}

    fn catch_up_rounds(&self) -> &CatchUpRounds {
        &self.rounds
    }

    fn watched(&self) -> &'static str {
        "the recent history"
    }

    fn round_pause(&self) -> Duration {
        ROUND_PAUSE
    }

    /// Every batch is: each brings whole pages (hundreds of items parsed
    /// from a megabyte or so of XML, several pages when vCenter sends each
    /// change), whose memory is given back once the batch is dropped.
    fn is_large(&self, _batch: &[ObjectUpdate]) -> bool {
        true
    }
}
