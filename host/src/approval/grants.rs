//! Grants: proof that a state change was approved, bound to one tool call.
//!
//! A grant lists the methods and targets it covers and is usable **once per
//! (method, target)** before it expires, so an approved power-off of `vm-1`
//! cannot be replayed, redirected to `vm-2` or stretched to a different
//! method. The host keeps one [`CallGrants`] per tool call and drops it when
//! the call ends, so a grant never outlives the call that asked for it.

use std::collections::BTreeSet;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::text::{clip, list};
use crate::vocabulary::{MoRef, VsError};
use crate::vsphere::hooks::StateChangeGate;

/// How long a grant stays usable after it is issued: long enough for a tool
/// to run its calls, short enough that a forgotten grant is soon worthless.
pub const GRANT_TTL: Duration = Duration::from_secs(5 * 60);

/// One approval of some methods on some targets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// A unique id, recorded in logs and the audit trail.
    pub id: String,
    /// Who or what approved, e.g. `policy:rule 2` or an operator's name.
    pub decided_by: String,
    /// The vSphere methods it covers.
    pub methods: BTreeSet<String>,
    /// The objects it covers; calls on any other object are refused.
    pub targets: BTreeSet<MoRef>,
    /// When it stops being usable.
    pub expires_at: Instant,
    /// The (method, target) pairs already used, so that none is replayed.
    pub used: BTreeSet<(String, MoRef)>,
}

impl Grant {
    /// A fresh grant with a new id, usable for `ttl` from `now`.
    pub fn new(
        decided_by: impl Into<String>,
        methods: impl IntoIterator<Item = String>,
        targets: impl IntoIterator<Item = MoRef>,
        now: Instant,
        ttl: Duration,
    ) -> Grant {
        // An absurd ttl must not panic; a grant that cannot say when it
        // expires is issued already expired.
        let expires_at = now.checked_add(ttl).unwrap_or(now);
        Grant {
            id: uuid::Uuid::new_v4().to_string(),
            decided_by: decided_by.into(),
            methods: methods.into_iter().collect(),
            targets: targets.into_iter().collect(),
            expires_at,
            used: BTreeSet::new(),
        }
    }

    /// Whether the grant can no longer be used at `now`.
    pub fn is_expired(&self, now: Instant) -> bool {
        now >= self.expires_at
    }

    /// Time left at `now` (zero once expired), for the WIT `expires-in-ms`.
    pub fn expires_in(&self, now: Instant) -> Duration {
        self.expires_at.saturating_duration_since(now)
    }

    fn covers(&self, method: &str, target: &MoRef) -> bool {
        self.methods.contains(method) && self.targets.contains(target)
    }

    fn was_used_for(&self, method: &str, target: &MoRef) -> bool {
        self.used.iter().any(|(m, t)| m == method && t == target)
    }
}

/// The grants held by one tool call. Shared between the call's host
/// functions (`approval.request` adds, `vsphere.invoke` spends), hence the
/// interior mutex.
#[derive(Debug, Default)]
pub struct CallGrants {
    grants: Mutex<Vec<Grant>>,
}

impl CallGrants {
    /// An empty set for a new tool call.
    pub fn new() -> Self {
        Self::default()
    }

    /// Hold `grant` for the rest of this call.
    pub fn add(&self, grant: Grant) {
        self.lock().push(grant);
    }

    /// A copy of the grants, for the audit record at the end of a call.
    pub fn snapshot(&self) -> Vec<Grant> {
        self.lock().clone()
    }

    /// Spend a grant on one call of `method` on `target`: the first unexpired
    /// grant covering both that has not been used for them is marked used and
    /// its id returned. Otherwise the error says what was missing, so the
    /// agent (or plugin author) knows which grant to ask for.
    pub fn authorize(&self, method: &str, target: &MoRef, now: Instant) -> Result<String, VsError> {
        let mut grants = self.lock();
        if let Some(grant) = grants.iter_mut().find(|g| {
            !g.is_expired(now) && g.covers(method, target) && !g.was_used_for(method, target)
        }) {
            grant.used.insert((method.to_string(), target.clone()));
            return Ok(grant.id.clone());
        }
        Err(VsError::ApprovalRequired {
            id: None,
            message: refusal(&grants, method, target, now),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Grant>> {
        // The guarded code cannot panic midway, so a poisoned lock still holds
        // consistent data; recover it rather than fail every later call.
        self.grants
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The gateway asks the tool call's grants before each state change.
impl StateChangeGate for CallGrants {
    fn authorize(&self, method: &str, target: &MoRef) -> Result<String, VsError> {
        CallGrants::authorize(self, method, target, Instant::now())
    }
}

/// How close a grant came to allowing the call; the closest one is explained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Closeness {
    Neither,
    MethodOnly,
    TargetOnly,
    ExpiredMatch,
    UsedMatch,
}

fn closeness(g: &Grant, method: &str, target: &MoRef, now: Instant) -> Closeness {
    match (g.methods.contains(method), g.targets.contains(target)) {
        (true, true) if g.is_expired(now) => Closeness::ExpiredMatch,
        // Called only after no grant could be spent, so an unexpired grant
        // covering both has already been used for them.
        (true, true) => Closeness::UsedMatch,
        (false, true) => Closeness::TargetOnly,
        (true, false) => Closeness::MethodOnly,
        (false, false) => Closeness::Neither,
    }
}

/// The message for a refused call: what grant would have been needed and why
/// the ones held do not do.
fn refusal(grants: &[Grant], method: &str, target: &MoRef, now: Instant) -> String {
    let m = clip(method);
    let t = clip(&target.to_string());
    // The last of the closest grants, i.e. the most recent relevant one.
    let Some((how, g)) = grants
        .iter()
        .map(|g| (closeness(g, method, target, now), g))
        .max_by_key(|(c, _)| *c)
    else {
        return format!(
            "{m} on {t} changes state and no approval grant is held in this tool call; call approval.request for method {m} on target {t} first"
        );
    };
    let id = &g.id;
    let why = match how {
        Closeness::UsedMatch => format!(
            "grant {id} was already used for {m} on {t}; a grant allows each method once per target, so request a new grant to do it again"
        ),
        Closeness::ExpiredMatch => {
            let ago = now.saturating_duration_since(g.expires_at).as_secs();
            format!("grant {id} for {m} on {t} expired {ago}s ago; request a new grant")
        }
        Closeness::TargetOnly => format!(
            "grant {id} does not cover method {m}; it covers methods: {}; request a grant that lists {m}",
            list(&g.methods)
        ),
        Closeness::MethodOnly => format!(
            "grant {id} covers other targets: {}; request a grant for {t}",
            list(&g.targets)
        ),
        Closeness::Neither => format!(
            "grant {id} covers neither method {m} nor target {t}; it covers methods: {} on targets: {}",
            list(&g.methods),
            list(&g.targets)
        ),
    };
    if grants.len() > 1 {
        format!(
            "none of the {} grants in this tool call allows {m} on {t}; closest: {why}",
            grants.len()
        )
    } else {
        why
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vm(id: &str) -> MoRef {
        MoRef::new("VirtualMachine", id)
    }

    fn grant(methods: &[&str], targets: &[MoRef], now: Instant) -> Grant {
        Grant::new(
            "policy:rule 1",
            methods.iter().map(|m| m.to_string()),
            targets.iter().cloned(),
            now,
            GRANT_TTL,
        )
    }

    fn refused(r: Result<String, VsError>) -> String {
        match r {
            Err(VsError::ApprovalRequired { id: None, message }) => message,
            other => panic!("expected ApprovalRequired, got {other:?}"),
        }
    }

    #[test]
    fn new_grant_fields() {
        let now = Instant::now();
        let g = grant(&["PowerOffVM_Task"], &[vm("vm-1")], now);
        assert_eq!(g.expires_at, now + GRANT_TTL);
        assert_eq!(g.expires_in(now), GRANT_TTL);
        assert!(g.used.is_empty());
        assert_ne!(g.id, grant(&[], &[], now).id);
        let absurd = Grant::new("x", [], [], now, Duration::MAX);
        assert!(absurd.is_expired(now));
    }

    #[test]
    fn covered_call_is_authorized_once() {
        let now = Instant::now();
        let calls = CallGrants::new();
        let g = grant(
            &["PowerOffVM_Task", "PowerOnVM_Task"],
            &[vm("vm-1"), vm("vm-2")],
            now,
        );
        let id = g.id.clone();
        calls.add(g);
        assert_eq!(
            calls
                .authorize("PowerOffVM_Task", &vm("vm-1"), now)
                .unwrap(),
            id
        );
        assert_eq!(
            calls
                .authorize("PowerOffVM_Task", &vm("vm-2"), now)
                .unwrap(),
            id
        );
        assert_eq!(
            calls.authorize("PowerOnVM_Task", &vm("vm-1"), now).unwrap(),
            id
        );
        let msg = refused(calls.authorize("PowerOffVM_Task", &vm("vm-1"), now));
        assert!(
            msg.contains(&id)
                && msg.contains("already used")
                && msg.contains("VirtualMachine:vm-1"),
            "{msg}"
        );
        assert_eq!(calls.snapshot()[0].used.len(), 3);
    }

    #[test]
    fn second_grant_allows_a_second_use() {
        let now = Instant::now();
        let calls = CallGrants::new();
        let first = grant(&["PowerOffVM_Task"], &[vm("vm-1")], now);
        let second = grant(&["PowerOffVM_Task"], &[vm("vm-1")], now);
        let (a, b) = (first.id.clone(), second.id.clone());
        calls.add(first);
        calls.add(second);
        assert_eq!(
            calls
                .authorize("PowerOffVM_Task", &vm("vm-1"), now)
                .unwrap(),
            a
        );
        assert_eq!(
            calls
                .authorize("PowerOffVM_Task", &vm("vm-1"), now)
                .unwrap(),
            b
        );
        let msg = refused(calls.authorize("PowerOffVM_Task", &vm("vm-1"), now));
        assert!(
            msg.contains("none of the 2 grants") && msg.contains("already used"),
            "{msg}"
        );
    }

    #[test]
    fn no_grant_at_all() {
        let msg =
            refused(CallGrants::new().authorize("PowerOffVM_Task", &vm("vm-1"), Instant::now()));
        assert!(
            msg.contains("no approval grant")
                && msg.contains("PowerOffVM_Task")
                && msg.contains("VirtualMachine:vm-1")
                && msg.contains("approval.request"),
            "{msg}"
        );
    }

    #[test]
    fn other_target_is_refused_and_listed() {
        let now = Instant::now();
        let calls = CallGrants::new();
        let g = grant(&["PowerOffVM_Task"], &[vm("vm-1"), vm("vm-3")], now);
        let id = g.id.clone();
        calls.add(g);
        let msg = refused(calls.authorize("PowerOffVM_Task", &vm("vm-2"), now));
        assert!(
            msg.contains(&id)
                && msg.contains("other targets: VirtualMachine:vm-1, VirtualMachine:vm-3")
                && msg.contains("for VirtualMachine:vm-2"),
            "{msg}"
        );
        // Same value, other type: not the same object.
        assert!(
            calls
                .authorize("PowerOffVM_Task", &MoRef::new("HostSystem", "vm-1"), now)
                .is_err()
        );
    }

    #[test]
    fn other_method_is_refused_and_listed() {
        let now = Instant::now();
        let calls = CallGrants::new();
        let g = grant(&["PowerOffVM_Task", "ShutdownGuest"], &[vm("vm-1")], now);
        let id = g.id.clone();
        calls.add(g);
        let msg = refused(calls.authorize("Destroy_Task", &vm("vm-1"), now));
        assert!(
            msg.contains(&id)
                && msg.contains("does not cover method Destroy_Task")
                && msg.contains("PowerOffVM_Task, ShutdownGuest"),
            "{msg}"
        );
    }

    #[test]
    fn neither_method_nor_target() {
        let now = Instant::now();
        let calls = CallGrants::new();
        calls.add(grant(&["PowerOnVM_Task"], &[vm("vm-1")], now));
        let msg = refused(calls.authorize("Destroy_Task", &vm("vm-9"), now));
        assert!(
            msg.contains("neither")
                && msg.contains("PowerOnVM_Task")
                && msg.contains("VirtualMachine:vm-1"),
            "{msg}"
        );
    }

    #[test]
    fn expired_grant_is_refused() {
        let now = Instant::now();
        let calls = CallGrants::new();
        let g = Grant::new(
            "operator:alice",
            ["PowerOffVM_Task".to_string()],
            [vm("vm-1")],
            now,
            Duration::from_secs(10),
        );
        let id = g.id.clone();
        calls.add(g);
        let msg = refused(calls.authorize(
            "PowerOffVM_Task",
            &vm("vm-1"),
            now + Duration::from_secs(15),
        ));
        assert!(msg.contains(&id) && msg.contains("expired 5s ago"), "{msg}");
        // Exactly at the expiry instant it is already expired.
        assert!(
            calls
                .authorize(
                    "PowerOffVM_Task",
                    &vm("vm-1"),
                    now + Duration::from_secs(10)
                )
                .is_err()
        );
        assert!(
            calls
                .authorize("PowerOffVM_Task", &vm("vm-1"), now + Duration::from_secs(9))
                .is_ok()
        );
    }

    #[test]
    fn hostile_method_names_are_clipped() {
        let now = Instant::now();
        let calls = CallGrants::new();
        let method = format!("X{}\nforged log line", "a".repeat(10_000));
        let msg = refused(calls.authorize(&method, &vm("vm-1"), now));
        assert!(msg.len() < 1_000 && !msg.contains('\n'), "{msg}");
    }

    #[test]
    fn call_grants_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<CallGrants>();
    }
}
