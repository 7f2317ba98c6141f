//! The follower that keeps an in-memory copy of vCenter current (the
//! inventory index, the recent history): one update feed (a
//! PropertyCollector filter read with `WaitForUpdatesEx` on vCenter),
//! applied batch by batch. When the feed breaks or stalls, the follower
//! marks the stream down (queries then fall back to direct reads), logs it,
//! and watches again with a growing pause. It drives any [`FollowedIndex`],
//! so it needs nothing of the service but what it feeds.

pub mod catch_up;

use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use async_trait::async_trait;

use crate::process::release_free_memory;
use crate::vocabulary::VsError;
use crate::vsphere::{FeedInterrupter, MoRef, ObjectUpdate, UpdateFeed, UpdateKind};
use catch_up::CatchUpRounds;

/// What the follower feeds: an index that opens a feed and takes batches.
#[async_trait]
pub trait FollowedIndex: Send + Sync {
    /// Open a feed of every watched object.
    async fn open_feed(&self) -> Result<Box<dyn UpdateFeed>, VsError>;
    /// Replace the whole index with a feed's first batch.
    fn replace_all(&self, updates: &[ObjectUpdate]);
    /// Apply one batch of updates.
    fn apply(&self, batch: &[ObjectUpdate]);
    /// Note a reply from the feed (an empty batch is a reply too).
    fn mark_alive(&self);
    /// Mark the stream broken, logging it once.
    fn stream_down(&self, reason: &str);
    /// Read these objects again and apply what vCenter says now.
    async fn refresh(&self, refs: &[MoRef]);
    /// Callers waiting for a round of the feed that starts after they asked.
    fn catch_up_rounds(&self) -> &CatchUpRounds;
    /// What the feed watches, for log lines: "the inventory".
    fn watched(&self) -> &'static str;
    /// How long to wait after a round that brought changes before the
    /// next, unless a catch-up is asked for: for feeds whose every change
    /// is large.
    fn round_pause(&self) -> Duration {
        Duration::ZERO
    }
    /// Whether `batch` was large enough that the memory it held (the
    /// reply's XML, the parsed values) should be given back to the OS once
    /// it is dropped.
    fn is_large(&self, batch: &[ObjectUpdate]) -> bool {
        batch.len() >= LARGE_BATCH
    }
}

/// How long one wait for updates lasts; a reply (even an empty one) within
/// it plus the transport's grace shows vCenter is alive.
pub const UPDATE_WAIT: Duration = Duration::from_secs(3);

/// How long an interrupted wait may take to return before it is
/// interrupted again.
const INTERRUPT_AGAIN: Duration = Duration::from_millis(300);

/// A batch this large is followed by returning freed memory to the OS.
const LARGE_BATCH: usize = 1000;

/// The longest pause between attempts to watch again.
const MAX_BACKOFF: Duration = Duration::from_secs(8);

/// Objects that both enter and leave in one batch. vCenter never sends
/// that, but govmomi's vcsim 0.24 does on `MoveIntoFolder_Task` (the moved
/// object's enter comes before its leave), so their final state is read
/// directly instead of trusting the order.
fn contested(batch: &[ObjectUpdate]) -> Vec<MoRef> {
    let mut out: Vec<MoRef> = batch
        .iter()
        .filter(|u| u.kind == UpdateKind::Leave)
        .filter(|leave| {
            batch
                .iter()
                .any(|u| u.kind == UpdateKind::Enter && u.reference == leave.reference)
        })
        .map(|u| u.reference.clone())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Follow the backend's feed for as long as the index lives.
pub async fn follow<I: FollowedIndex + 'static>(service: Weak<I>) {
    let mut backoff = Duration::from_millis(250);
    loop {
        let Some(svc) = service.upgrade() else {
            return;
        };
        let started = Instant::now();
        match svc.open_feed().await {
            Ok(mut feed) => {
                let outcome = run_feed(&svc, feed.as_mut()).await;
                feed.close().await;
                if let Err(reason) = outcome {
                    svc.stream_down(&reason);
                }
            }
            Err(e) => svc.stream_down(&format!("cannot watch {}: {e}", svc.watched())),
        }
        if started.elapsed() > Duration::from_secs(30) {
            backoff = Duration::from_millis(250);
        }
        drop(svc);
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// Apply batches until the feed breaks (`Err` with the reason) or the
/// service is gone (`Ok`).
async fn run_feed<I: FollowedIndex>(svc: &Arc<I>, feed: &mut dyn UpdateFeed) -> Result<(), String> {
    let mut requests = svc.catch_up_rounds().requests();
    let mut served = *requests.borrow_and_update();
    let first = feed
        .next(UPDATE_WAIT)
        .await
        .map_err(|e| format!("reading {} failed: {e}", svc.watched()))?;
    svc.replace_all(&first);
    svc.catch_up_rounds().served(served);
    drop(first);
    // The first read is the largest burst the index causes: give its
    // transient memory (XML, JSON, update lists) back.
    release_free_memory();
    loop {
        if Arc::strong_count(svc) <= 1 {
            return Ok(()); // only the follower holds it: the server is gone
        }
        // A catch-up asked for before this read starts is answered by it; a
        // read that must answer one does not wait for changes.
        let wanted = *requests.borrow_and_update();
        let wait = if wanted > served {
            Duration::ZERO
        } else {
            UPDATE_WAIT
        };
        let next = if wait.is_zero() {
            feed.next(wait).await
        } else {
            let interrupter = feed.interrupter();
            let waiting = feed.next(wait);
            tokio::pin!(waiting);
            tokio::select! {
                next = &mut waiting => next,
                // Cut the long wait short (never drop it: the server would
                // go on and take the pending changes with it), so that the
                // catch-up read starts at once.
                _ = requests.changed() => interrupted(waiting, interrupter.as_ref()).await,
            }
        };
        let batch =
            next.map_err(|e| format!("the update stream of {} broke: {e}", svc.watched()))?;
        svc.mark_alive();
        if batch.is_empty() {
            served = served.max(wanted);
            svc.catch_up_rounds().served(served);
            continue;
        }
        let contested = contested(&batch);
        svc.apply(&batch);
        if svc.is_large(&batch) {
            drop(batch);
            release_free_memory();
        }
        if !contested.is_empty() {
            tracing::debug!(objects = ?contested, "objects entered and left in one update set (a vcsim 0.24 bug on MoveIntoFolder_Task); reading them directly");
            svc.refresh(&contested).await;
        }
        served = served.max(wanted);
        svc.catch_up_rounds().served(served);
        let pause = svc.round_pause();
        if !pause.is_zero() {
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = requests.changed() => {}
            }
        }
    }
}

/// Interrupt `waiting` until it returns: an interrupt that reaches the
/// server before the wait does is lost, so it is repeated.
async fn interrupted<F: Future<Output = Result<Vec<ObjectUpdate>, VsError>>>(
    waiting: std::pin::Pin<&mut F>,
    interrupter: &dyn FeedInterrupter,
) -> F::Output {
    let mut waiting = waiting;
    loop {
        interrupter.interrupt().await;
        if let Ok(next) = tokio::time::timeout(INTERRUPT_AGAIN, &mut waiting).await {
            return next;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(kind: UpdateKind, id: &str) -> ObjectUpdate {
        ObjectUpdate {
            kind,
            reference: MoRef::new("VirtualMachine", id),
            changes: vec![],
        }
    }

    #[test]
    fn an_object_entering_and_leaving_in_one_batch_is_contested() {
        let batch = [
            update(UpdateKind::Enter, "vm-1"),
            update(UpdateKind::Leave, "vm-1"),
            update(UpdateKind::Leave, "vm-2"),
            update(UpdateKind::Modify, "vm-3"),
        ];
        assert_eq!(contested(&batch), [MoRef::new("VirtualMachine", "vm-1")]);
    }
}
