//! Asking the follower for a round of the update feed that starts now.
//!
//! The index lags vCenter by one round of the feed at most, but a round can
//! wait seconds for a change. When a caller must see every change made so
//! far (a name that is not found, or one vCenter no longer agrees with), it
//! asks for a catch-up: the follower abandons its long wait, reads the feed
//! once without waiting (vCenter returns at once with whatever is pending),
//! applies it, and answers every request made before that read began.

use std::time::Duration;

use tokio::sync::watch;

/// How long a caller waits for its catch-up before answering from the index
/// as it is.
pub const CATCH_UP_WAIT: Duration = Duration::from_secs(3);

/// Numbered catch-up requests and the last one served.
#[derive(Debug)]
pub struct CatchUpRounds {
    requested: watch::Sender<u64>,
    served: watch::Sender<u64>,
}

impl Default for CatchUpRounds {
    fn default() -> Self {
        CatchUpRounds {
            requested: watch::Sender::new(0),
            served: watch::Sender::new(0),
        }
    }
}

impl CatchUpRounds {
    /// Ask for a round that starts after now, and wait until it has been
    /// applied (`true`) or [`CATCH_UP_WAIT`] passed (`false`).
    pub async fn request(&self) -> bool {
        let ticket = self.ask();
        self.wait_for(ticket, CATCH_UP_WAIT).await
    }

    /// Ask for a round that starts after now without waiting for it: the
    /// ticket to wait for later with [`CatchUpRounds::wait_for`].
    pub fn ask(&self) -> u64 {
        let mut ticket = 0;
        self.requested.send_modify(|n| {
            *n += 1;
            ticket = *n;
        });
        ticket
    }

    /// Wait until the round that answers `ticket` has been applied
    /// (`true`, at once if it has) or `wait` passed (`false`).
    pub async fn wait_for(&self, ticket: u64, wait: Duration) -> bool {
        let mut served = self.served.subscribe();
        tokio::time::timeout(wait, served.wait_for(|s| *s >= ticket))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// For the follower: the requests to watch.
    pub fn requests(&self) -> watch::Receiver<u64> {
        self.requested.subscribe()
    }

    /// For the follower: every request up to `ticket` has been applied.
    pub fn served(&self, ticket: u64) {
        self.served.send_if_modified(|s| {
            let newer = ticket > *s;
            if newer {
                *s = ticket;
            }
            newer
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test]
    async fn a_request_is_answered_by_a_round_that_starts_after_it() {
        let rounds = Arc::new(CatchUpRounds::default());
        let mut requests = rounds.requests();
        let follower = {
            let rounds = rounds.clone();
            tokio::spawn(async move {
                requests.changed().await.unwrap();
                let ticket = *requests.borrow_and_update();
                rounds.served(ticket);
            })
        };
        assert!(rounds.request().await);
        follower.await.unwrap();
    }

    #[tokio::test]
    async fn a_request_nobody_serves_gives_up() {
        let rounds = CatchUpRounds::default();
        assert!(!rounds.request().await);
    }
}
