//! The cap on open connections to a port (MCP or admin), so that a flood of idle or
//! half-sent connections cannot use up the process's file descriptors.
//!
//! Up to `max` connections are admitted normally. When they are all in use,
//! the oldest connection that has not yet sent a complete request head is
//! closed to make room: a slowloris client holds only connections that never
//! finish a request, so it is the one evicted, and a probe or a real client
//! still gets in. When every normal connection has sent a request (real work
//! in flight), a small reserve above the cap is admitted for the probes only
//! (the port's probe paths; other paths get 503), one request per connection.
//! Beyond that, new connections are closed at once.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio_util::sync::CancellationToken;

/// How many connections a port keeps open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Connections admitted for any request.
    pub max: usize,
    /// Extra connections admitted, when `max` are busy with requests, for the probes only.
    pub reserve: usize,
}

/// Which kind of slot a connection holds; inserted into each request's
/// extensions so the router can restrict reserve connections to the probes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tier {
    /// A normal connection: every route.
    Normal,
    /// A connection in the head-room above the cap: probes only, then closed.
    Reserve,
}

/// The open connections: counts, and the ones that may be evicted.
pub struct Connections {
    limits: ConnectionLimits,
    state: Mutex<State>,
    evicted: AtomicU64,
    refused: AtomicU64,
}

#[derive(Default)]
struct State {
    next_id: u64,
    normal: usize,
    reserve: usize,
    /// Normal connections that have not sent a complete request head yet,
    /// by id (ids grow with accept order, so the first entry is the oldest).
    unproven: BTreeMap<u64, CancellationToken>,
}

/// A connection's slot; the slot is given back when the ticket is dropped.
pub struct Ticket {
    id: u64,
    tier: Tier,
    /// Cancelled when the connection is evicted to make room; the serving
    /// task then drops the connection, closing its socket.
    kill: CancellationToken,
    proven: AtomicBool,
    owner: Arc<Connections>,
}

impl Connections {
    /// An empty set with these limits (`max` is at least 1).
    pub fn new(limits: ConnectionLimits) -> Arc<Connections> {
        Arc::new(Connections {
            limits: ConnectionLimits {
                max: limits.max.max(1),
                reserve: limits.reserve,
            },
            state: Mutex::new(State::default()),
            evicted: AtomicU64::new(0),
            refused: AtomicU64::new(0),
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Admit a new connection, evicting the oldest unproven one if the cap
    /// is reached; `None` means close it at once.
    pub fn admit(self: &Arc<Self>) -> Option<Ticket> {
        let mut state = self.state();
        if state.normal >= self.limits.max
            && let Some((_, victim)) = state.unproven.pop_first()
        {
            // The victim's slot passes to the newcomer; its ticket sees the
            // cancelled token and does not give the slot back again.
            victim.cancel();
            state.normal -= 1;
            self.evicted.fetch_add(1, Ordering::Relaxed);
        }
        let tier = if state.normal < self.limits.max {
            state.normal += 1;
            Tier::Normal
        } else if state.reserve < self.limits.reserve {
            state.reserve += 1;
            Tier::Reserve
        } else {
            self.refused.fetch_add(1, Ordering::Relaxed);
            return None;
        };
        state.next_id += 1;
        let id = state.next_id;
        let kill = CancellationToken::new();
        if tier == Tier::Normal {
            state.unproven.insert(id, kill.clone());
        }
        Some(Ticket {
            id,
            tier,
            kill,
            proven: AtomicBool::new(false),
            owner: self.clone(),
        })
    }

    /// Connections evicted and refused so far, for the log.
    pub fn shed(&self) -> (u64, u64) {
        (
            self.evicted.load(Ordering::Relaxed),
            self.refused.load(Ordering::Relaxed),
        )
    }

    /// Open connections, normal and reserve.
    pub fn open(&self) -> (usize, usize) {
        let state = self.state();
        (state.normal, state.reserve)
    }
}

impl Ticket {
    /// The slot's tier.
    pub fn tier(&self) -> Tier {
        self.tier
    }

    /// A token cancelled when this connection is evicted.
    pub fn kill(&self) -> CancellationToken {
        self.kill.clone()
    }

    /// Record that the connection sent a complete request head: it is a
    /// real client, no longer a candidate for eviction.
    pub fn proven(&self) {
        if !self.proven.swap(true, Ordering::Relaxed) {
            self.owner.state().unproven.remove(&self.id);
        }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut state = self.owner.state();
        state.unproven.remove(&self.id);
        match self.tier {
            Tier::Reserve => state.reserve -= 1,
            // An evicted connection's slot was handed over when it was evicted.
            Tier::Normal if self.kill.is_cancelled() => {}
            Tier::Normal => state.normal -= 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(max: usize, reserve: usize) -> Arc<Connections> {
        Connections::new(ConnectionLimits { max, reserve })
    }

    #[test]
    fn the_oldest_unproven_connection_makes_room() {
        let c = limits(2, 0);
        let a = c.admit().unwrap();
        let b = c.admit().unwrap();
        b.proven();
        let n = c.admit().expect("room is made by evicting `a`");
        assert!(a.kill().is_cancelled() && !b.kill().is_cancelled());
        assert_eq!(n.tier(), Tier::Normal);
        drop(a); // the evicted ticket does not give its slot back twice
        assert_eq!(c.open(), (2, 0));
        assert_eq!(c.shed(), (1, 0));
    }

    #[test]
    fn busy_connections_leave_only_the_reserve_then_refuse() {
        let c = limits(1, 1);
        let a = c.admit().unwrap();
        a.proven();
        let r = c.admit().unwrap();
        assert_eq!(r.tier(), Tier::Reserve);
        assert!(c.admit().is_none());
        drop(r);
        assert_eq!(c.admit().unwrap().tier(), Tier::Reserve);
        drop(a);
        assert_eq!(c.open(), (0, 0));
        assert_eq!(c.shed(), (0, 1));
    }
}
