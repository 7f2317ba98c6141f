//! The host-kept recent history: vCenter's newest events and tasks, kept
//! current like the inventory index, so that a page of history costs what
//! a page of VMs does (no vCenter round trip) rather than a collector's
//! four.
//!
//! One event collector and one task collector over all of history live as
//! long as the session, their latest pages sized to [`RING_SIZE`] and
//! followed with `WaitForUpdatesEx` (the follower of [`crate::follow`]).
//! Plugins still page history through collectors, as vCenter's API has
//! it; [`CachedHistoryBackend`] answers a collector's `latestPage` from
//! these rings whenever they are sure to hold the whole answer, and hands
//! every other case to vCenter unchanged. A change made through this server
//! is caught up with before the next page is answered; one made elsewhere
//! arrives within a round of the feed (at most [`ROUND_PAUSE`] behind).

mod cached;
mod feed;
mod recent;
pub mod ring;
#[cfg(test)]
mod tests;

pub use cached::CachedHistoryBackend;
pub use recent::{RING_SIZE, ROUND_PAUSE, RecentHistory};
