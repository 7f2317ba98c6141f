//! Resource limits for one plugin call: memory and guest CPU time.
//!
//! Time spent inside host calls (waiting for vCenter or for an approver) does
//! not count against the guest, so a slow vCenter never looks like a runaway
//! plugin, while a plugin that spins is stopped promptly.

use std::time::{Duration, Instant};

/// How long one epoch tick lasts; the ticker thread advances the engine's epoch this often.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// The limits every plugin store gets.
#[derive(Debug, Clone, Copy)]
pub struct PluginLimits {
    /// Maximum linear memory per plugin instance, in bytes.
    pub memory_bytes: usize,
    /// Maximum time a call may spend executing guest code.
    pub guest_cpu: Duration,
}

impl Default for PluginLimits {
    fn default() -> Self {
        PluginLimits {
            memory_bytes: 64 << 20,
            guest_cpu: Duration::from_secs(5),
        }
    }
}

/// Tracks how much of a call's wall time was spent in the guest.
#[derive(Debug)]
pub struct GuestClock {
    started: Instant,
    in_host: Duration,
}

impl GuestClock {
    /// Start the clock when the call starts.
    pub fn start() -> Self {
        GuestClock {
            started: Instant::now(),
            in_host: Duration::ZERO,
        }
    }

    /// Record time spent in a host function, which the guest is not charged for.
    pub fn charge_host(&mut self, spent: Duration) {
        self.in_host += spent;
    }

    /// Time the guest itself has run.
    pub fn guest_time(&self) -> Duration {
        self.started.elapsed().saturating_sub(self.in_host)
    }
}
