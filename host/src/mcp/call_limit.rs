//! The cap on tool calls executing at once, so that a burst of calls cannot
//! hold unbounded memory (each call owns its arguments, a plugin instance and
//! its vCenter replies). A call over the cap is refused at once with a `busy`
//! tool error rather than queued: the agent can retry, and a queue would only
//! move the memory elsewhere.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The default cap (`MCP_MAX_CONCURRENT_CALLS`).
pub const DEFAULT_MAX_CALLS: usize = 64;

/// Slots for executing tool calls, shared by every session of one server.
#[derive(Clone, Debug)]
pub struct CallLimit {
    slots: Arc<Semaphore>,
    max: usize,
}

impl CallLimit {
    /// A limit of `max` concurrent calls (at least 1).
    pub fn new(max: usize) -> CallLimit {
        let max = max.clamp(1, Semaphore::MAX_PERMITS);
        CallLimit {
            slots: Arc::new(Semaphore::new(max)),
            max,
        }
    }

    /// The cap.
    pub fn max(&self) -> usize {
        self.max
    }

    /// A slot for one call, held until the permit is dropped; `None` when all are taken.
    pub fn try_enter(&self) -> Option<OwnedSemaphorePermit> {
        self.slots.clone().try_acquire_owned().ok()
    }
}

impl Default for CallLimit {
    fn default() -> Self {
        CallLimit::new(DEFAULT_MAX_CALLS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_over_the_cap_are_refused_until_a_slot_frees() {
        let limit = CallLimit::new(1);
        let first = limit.try_enter().expect("a free slot");
        assert!(limit.try_enter().is_none());
        drop(first);
        assert!(limit.try_enter().is_some());
    }
}
