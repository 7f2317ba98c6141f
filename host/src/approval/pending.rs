//! Pending approvals: the in-memory store between a tool call waiting for an
//! operator and the operator channels (admin API, CLI, web page) deciding.
//!
//! A waiting call [creates](PendingApprovals::create) an entry and receives
//! the decision on a one-shot channel; an operator
//! [decides](PendingApprovals::decide) by id. Each entry is decided once:
//! whichever of approve, deny, timeout or cancellation comes first wins, and
//! the others are told it is already decided. Decided entries are kept in a
//! bounded list of recent decisions so operators can see what happened.
//!
//! Every change of an approval's state (filed, approved, denied, timed out,
//! cancelled) goes through this store, so it is also where
//! [observers](ApprovalObserver) hear about them, once each and in order:
//! notifications to operators' chat and webhooks plug in here rather than
//! into each channel.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::sync::{oneshot, watch};

/// How many decided approvals are kept for `list` after they leave the
/// pending set; older ones are only in the audit trail.
const RECENT_CAPACITY: usize = 100;

/// Most approvals that may wait at once; more is a flood, not real work.
pub const MAX_PENDING: usize = 256;

/// Longest operator name kept, in characters.
pub const MAX_APPROVER_CHARS: usize = 100;

/// Longest reason kept, in characters.
pub const MAX_REASON_CHARS: usize = 2000;

/// Where an approval stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Waiting for an operator.
    Pending,
    /// An operator approved it.
    Approved,
    /// An operator denied it.
    Denied,
    /// Nobody decided in time.
    TimedOut,
    /// The tool call went away (client cancelled) before a decision.
    Cancelled,
}

impl Status {
    /// The snake_case label, as in JSON.
    pub fn label(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Approved => "approved",
            Status::Denied => "denied",
            Status::TimedOut => "timed_out",
            Status::Cancelled => "cancelled",
        }
    }
}

/// One target of an approval as operators see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct TargetView {
    /// The managed object type, e.g. `VirtualMachine`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The managed object id, e.g. `vm-42`.
    pub id: String,
    /// The name the host read from vSphere: what the policy and the operator judge.
    pub name: String,
    /// The name the plugin gave, shown only when it differs from the host's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plugin_name: Option<String>,
}

/// What a waiting call asks operators to decide; everything they need to
/// judge what would change.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct ApprovalRequest {
    /// The full MCP tool name.
    pub tool: String,
    /// The plugin's short operation name, e.g. `power-off`.
    pub operation: String,
    /// One human sentence saying what will change.
    pub summary: String,
    /// The objects that would change.
    pub targets: Vec<TargetView>,
    /// The vSphere methods the grant would allow.
    pub methods: Vec<String>,
    /// The tool's arguments or detail, redacted.
    pub arguments: Value,
    /// The requesting MCP session, when known.
    pub session: Option<String>,
    /// The tool call's correlation id.
    pub correlation_id: String,
    /// Who asked, as people read it (the token's name or e-mail, or a named
    /// token's label), when the token names someone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_by: Option<String>,
    /// The requester's stable id (OAuth subject or token label), which the
    /// distinct-approver rule compares approvers with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requester_identity: Option<String>,
    /// The MCP client (name and version) and OAuth client that asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requester_client: Option<String>,
}

/// An approval as the admin API shows it: the request plus its state.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApprovalView {
    /// The approval id operators use.
    pub id: String,
    /// Where it stands.
    pub status: Status,
    /// What is asked.
    #[serde(flatten)]
    pub request: ApprovalRequest,
    /// When it was created (RFC 3339, UTC).
    pub created_at: String,
    /// When the waiting call gives up (RFC 3339, UTC).
    pub expires_at: String,
    /// When it was decided.
    pub decided_at: Option<String>,
    /// Who decided: `operator:<name>`, `timeout`, `cancelled`.
    pub decided_by: Option<String>,
    /// The operator's reason.
    pub reason: Option<String>,
    /// Whether the requester is still connected and waiting for this call's
    /// answer: `false` once it was answered "still pending" and went away
    /// (it checks back with `requests.get`), so the operator decides knowing
    /// nobody is watching the call.
    pub requester_waiting: bool,
}

/// An operator's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OperatorDecision {
    /// Yes, optionally with a reason.
    Approve {
        /// Who approved.
        approver: String,
        /// Why, if given.
        reason: Option<String>,
    },
    /// No, with the reason the agent will be told.
    Deny {
        /// Who denied.
        approver: String,
        /// Why; required so the agent learns what to change.
        reason: String,
    },
}

/// The name recorded when an operator gives none (and has no named token).
pub const UNNAMED_APPROVER: &str = "unnamed";

/// Why a decision could not be recorded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DecideError {
    /// The policy requires a distinct approver and this one asked for it.
    #[error(
        "approval {0} was requested by {1}, who may not approve it: the policy sets require_distinct_approver, so another operator must decide"
    )]
    OwnRequest(String, String),
    /// The policy requires a distinct approver and this one gave no name.
    #[error(
        "the policy sets require_distinct_approver, so an approver must be named: give your name (\"approver\"), or use a named admin token (ADMIN_TOKENS_PATH)"
    )]
    Unnamed,
    /// No approval with that id is known (never was, or long forgotten).
    #[error("no approval with id {0:?} is known to this server")]
    NotFound(String),
    /// It was already decided; the view says how.
    #[error("approval {} is already {}", .0.id, .0.status.label())]
    AlreadyDecided(Box<ApprovalView>),
}

/// Told about every change of an approval's state: filed (`Pending`),
/// approved or denied by an operator, timed out, cancelled. A separate
/// trait so that whoever wants to hear about approvals (webhook
/// notifications) needs no hook in the channels, and the store needs to
/// know nothing about them.
pub trait ApprovalObserver: Send + Sync {
    /// `view` has just reached `view.status`. Called under the store's lock,
    /// so that observers see each approval's changes in order: it must not
    /// block or wait (hand the work to a queue), and must not call back
    /// into the store.
    fn changed(&self, view: &ApprovalView);
}

struct Entry {
    view: ApprovalView,
    reply: Option<oneshot::Sender<OperatorDecision>>,
}

#[derive(Default)]
struct Inner {
    pending: BTreeMap<String, Entry>,
    recent: VecDeque<ApprovalView>,
    observers: Vec<Arc<dyn ApprovalObserver>>,
}

impl Inner {
    fn tell(&self, view: &ApprovalView) {
        for observer in &self.observers {
            observer.changed(view);
        }
    }
}

/// The store. Shared by the operator approver and the admin API.
pub struct PendingApprovals {
    inner: Mutex<Inner>,
    changed: watch::Sender<u64>,
    distinct_approver: std::sync::atomic::AtomicBool,
}

impl Default for PendingApprovals {
    fn default() -> Self {
        Self::new()
    }
}

/// A created approval: its id and where its decision will arrive.
pub struct Waiting {
    /// The approval id.
    pub id: String,
    /// When it expires (RFC 3339, UTC).
    pub expires_at: String,
    /// Receives the operator's decision.
    pub decision: oneshot::Receiver<OperatorDecision>,
}

impl PendingApprovals {
    /// An empty store.
    pub fn new() -> Self {
        PendingApprovals {
            inner: Mutex::new(Inner::default()),
            changed: watch::channel(0).0,
            distinct_approver: Default::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // Nothing under the lock can panic midway; recover a poisoned lock.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn bump(&self) {
        self.changed.send_modify(|v| *v = v.wrapping_add(1));
    }

    /// Tell `observer` about every approval filed or ended from now on.
    pub fn observe(&self, observer: Arc<dyn ApprovalObserver>) {
        self.lock().observers.push(observer);
    }

    /// A receiver that changes whenever an approval is created or decided,
    /// so that a page or long poll can wake up instead of spinning.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// Create a pending approval that expires after `timeout`, under `id`
    /// (the request's, so that one id names it everywhere) or a new one.
    pub fn create(
        &self,
        request: ApprovalRequest,
        timeout: Duration,
        id: Option<&str>,
    ) -> Result<Waiting, crate::vocabulary::VsError> {
        let now = OffsetDateTime::now_utc();
        let expires = time::Duration::try_from(timeout)
            .ok()
            .and_then(|d| now.checked_add(d))
            .unwrap_or(now);
        let id = id
            .map(str::to_string)
            .unwrap_or_else(|| format!("apr-{}", &uuid::Uuid::new_v4().simple().to_string()[..16]));
        let (tx, rx) = oneshot::channel();
        {
            let mut inner = self.lock();
            if inner.pending.len() >= MAX_PENDING {
                return Err(crate::vocabulary::VsError::ApprovalRequired {
                    id: None,
                    message: format!(
                        "{MAX_PENDING} approvals are already waiting for an operator; try again once they are decided"
                    ),
                });
            }
            let view = ApprovalView {
                id: id.clone(),
                status: Status::Pending,
                request,
                created_at: rfc3339(now),
                expires_at: rfc3339(expires),
                decided_at: None,
                decided_by: None,
                reason: None,
                requester_waiting: true,
            };
            inner.tell(&view);
            inner.pending.insert(
                id.clone(),
                Entry {
                    view,
                    reply: Some(tx),
                },
            );
        }
        self.bump();
        Ok(Waiting {
            id,
            expires_at: rfc3339(expires),
            decision: rx,
        })
    }

    /// Refuse approvals by the requester themselves (`require_distinct_approver`).
    pub fn require_distinct_approver(&self, on: bool) {
        self.distinct_approver
            .store(on, std::sync::atomic::Ordering::Relaxed);
    }

    fn check_distinct(
        &self,
        id: &str,
        request: &ApprovalRequest,
        approver: &str,
    ) -> Result<(), DecideError> {
        if !self
            .distinct_approver
            .load(std::sync::atomic::Ordering::Relaxed)
        {
            return Ok(());
        }
        let approver = approver.trim();
        if approver.is_empty() || approver == UNNAMED_APPROVER {
            return Err(DecideError::Unnamed);
        }
        let requester = crate::principal::Principal {
            id: request.requester_identity.clone().unwrap_or_default(),
            name: request.requested_by.clone(),
            client_id: None,
        };
        if requester.is(approver) {
            return Err(DecideError::OwnRequest(
                id.to_string(),
                requester.label().to_string(),
            ));
        }
        Ok(())
    }

    /// Record an operator's decision and wake the waiting call.
    pub fn decide(
        &self,
        id: &str,
        decision: OperatorDecision,
    ) -> Result<ApprovalView, DecideError> {
        let (status, by, reason) = match &decision {
            OperatorDecision::Approve { approver, reason } => {
                (Status::Approved, approver.clone(), reason.clone())
            }
            OperatorDecision::Deny { approver, reason } => {
                (Status::Denied, approver.clone(), Some(reason.clone()))
            }
        };
        let view = {
            let mut inner = self.lock();
            if let (OperatorDecision::Approve { approver, .. }, Some(entry)) =
                (&decision, inner.pending.get(id))
            {
                self.check_distinct(id, &entry.view.request, approver)?;
            }
            let Some(mut entry) = inner.pending.remove(id) else {
                return Err(match inner.recent.iter().find(|v| v.id == id) {
                    Some(v) => DecideError::AlreadyDecided(Box::new(v.clone())),
                    None => DecideError::NotFound(id.to_string()),
                });
            };
            if let Some(reply) = entry.reply.take() {
                // The waiter holds the receiver until it has removed the
                // entry itself, so this send reaches it.
                let _ = reply.send(decision);
            }
            entry.view.status = status;
            entry.view.decided_by = Some(format!("operator:{by}"));
            entry.view.reason = reason;
            entry.view.decided_at = Some(rfc3339(OffsetDateTime::now_utc()));
            inner.tell(&entry.view);
            remember(&mut inner, entry.view.clone());
            entry.view
        };
        self.bump();
        Ok(view)
    }

    /// End a wait without an operator decision (`TimedOut` or `Cancelled`).
    /// Returns `false` when an operator decided first, in which case the
    /// decision is waiting on the receiver.
    pub fn close(&self, id: &str, status: Status) -> bool {
        let closed = {
            let mut inner = self.lock();
            match inner.pending.remove(id) {
                Some(mut entry) => {
                    entry.view.status = status;
                    entry.view.decided_by = Some(status.label().replace('_', " "));
                    entry.view.decided_at = Some(rfc3339(OffsetDateTime::now_utc()));
                    inner.tell(&entry.view);
                    remember(&mut inner, entry.view);
                    true
                }
                None => false,
            }
        };
        if closed {
            self.bump();
        }
        closed
    }

    /// The requester of approval `id` disconnected from its call (it was
    /// answered with the request id and stopped waiting).
    pub fn requester_left(&self, id: &str) {
        let changed = {
            let mut inner = self.lock();
            match inner.pending.get_mut(id) {
                Some(entry) if entry.view.requester_waiting => {
                    entry.view.requester_waiting = false;
                    true
                }
                _ => false,
            }
        };
        if changed {
            self.bump();
        }
    }

    /// One approval, pending or recently decided.
    pub fn get(&self, id: &str) -> Option<ApprovalView> {
        let inner = self.lock();
        inner
            .pending
            .get(id)
            .map(|e| e.view.clone())
            .or_else(|| inner.recent.iter().find(|v| v.id == id).cloned())
    }

    /// Pending approvals (oldest first) and recently decided ones (newest first).
    pub fn list(&self) -> (Vec<ApprovalView>, Vec<ApprovalView>) {
        let inner = self.lock();
        let mut pending: Vec<ApprovalView> =
            inner.pending.values().map(|e| e.view.clone()).collect();
        pending.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        (pending, inner.recent.iter().cloned().collect())
    }
}

fn remember(inner: &mut Inner, view: ApprovalView) {
    inner.recent.push_front(view);
    inner.recent.truncate(RECENT_CAPACITY);
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

/// `text` with control characters removed and cut to `max` characters, for
/// operator names and reasons that end up in messages, logs and the audit.
pub fn sanitize(text: &str, max: usize) -> String {
    text.trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(max)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> ApprovalRequest {
        ApprovalRequest {
            tool: "infra.vmware.vms.powerOffVm".into(),
            operation: "power-off".into(),
            summary: "Power off web-1".into(),
            targets: vec![TargetView {
                kind: "VirtualMachine".into(),
                id: "vm-1".into(),
                name: "web-1".into(),
                plugin_name: None,
            }],
            methods: vec!["PowerOffVM_Task".into()],
            arguments: serde_json::json!({"vmName": "web-1"}),
            session: Some("s-1".into()),
            correlation_id: "c-1".into(),
            requested_by: None,
            requester_identity: None,
            requester_client: None,
        }
    }

    #[tokio::test]
    async fn a_distinct_approver_is_required_when_the_policy_says_so() {
        let store = PendingApprovals::new();
        store.require_distinct_approver(true);
        let asked = ApprovalRequest {
            requested_by: Some("alice@example.com".into()),
            requester_identity: Some("u-alice".into()),
            ..request()
        };
        let w = store.create(asked, Duration::from_secs(60), None).unwrap();
        let approve = |who: &str| OperatorDecision::Approve {
            approver: who.into(),
            reason: None,
        };
        for own in ["alice@example.com", "U-ALICE"] {
            assert!(
                matches!(
                    store.decide(&w.id, approve(own)),
                    Err(DecideError::OwnRequest(..))
                ),
                "{own}"
            );
        }
        assert_eq!(
            store.decide(&w.id, approve(UNNAMED_APPROVER)),
            Err(DecideError::Unnamed)
        );
        assert_eq!(store.get(&w.id).unwrap().status, Status::Pending);
        // Another operator approves.
        let view = store.decide(&w.id, approve("bob")).unwrap();
        assert_eq!(view.decided_by.as_deref(), Some("operator:bob"));
    }

    #[tokio::test]
    async fn approve_reaches_the_waiter_once() {
        let store = PendingApprovals::new();
        let w = store
            .create(request(), Duration::from_secs(60), None)
            .unwrap();
        assert_eq!(store.list().0.len(), 1);
        assert_eq!(store.get(&w.id).unwrap().status, Status::Pending);
        let view = store
            .decide(
                &w.id,
                OperatorDecision::Approve {
                    approver: "alice".into(),
                    reason: None,
                },
            )
            .unwrap();
        assert_eq!(view.status, Status::Approved);
        assert_eq!(view.decided_by.as_deref(), Some("operator:alice"));
        assert!(matches!(
            w.decision.await.unwrap(),
            OperatorDecision::Approve { .. }
        ));
        // A second decision is refused and says how it was decided.
        match store.decide(
            &w.id,
            OperatorDecision::Deny {
                approver: "bob".into(),
                reason: "no".into(),
            },
        ) {
            Err(DecideError::AlreadyDecided(v)) => assert_eq!(v.status, Status::Approved),
            other => panic!("{other:?}"),
        }
        let (pending, recent) = store.list();
        assert!(pending.is_empty());
        assert_eq!(recent[0].id, w.id);
    }

    #[tokio::test]
    async fn timeout_and_decision_race_has_one_winner() {
        let store = PendingApprovals::new();
        let w = store
            .create(request(), Duration::from_secs(60), None)
            .unwrap();
        assert!(store.close(&w.id, Status::TimedOut));
        assert!(matches!(
            store.decide(
                &w.id,
                OperatorDecision::Approve {
                    approver: "a".into(),
                    reason: None
                }
            ),
            Err(DecideError::AlreadyDecided(_))
        ));
        assert_eq!(store.get(&w.id).unwrap().status, Status::TimedOut);

        let w2 = store
            .create(request(), Duration::from_secs(60), None)
            .unwrap();
        store
            .decide(
                &w2.id,
                OperatorDecision::Deny {
                    approver: "b".into(),
                    reason: "not now".into(),
                },
            )
            .unwrap();
        // The waiter's timeout fires just after: the decision stands.
        assert!(!store.close(&w2.id, Status::TimedOut));
        assert!(matches!(
            w2.decision.await.unwrap(),
            OperatorDecision::Deny { .. }
        ));
    }

    #[test]
    fn unknown_ids_are_not_found() {
        let store = PendingApprovals::new();
        assert!(matches!(
            store.decide(
                "apr-nope",
                OperatorDecision::Approve {
                    approver: "a".into(),
                    reason: None
                }
            ),
            Err(DecideError::NotFound(_))
        ));
        assert!(store.get("apr-nope").is_none());
    }

    #[test]
    fn the_store_is_bounded() {
        let store = PendingApprovals::new();
        let mut held = Vec::new();
        for _ in 0..MAX_PENDING {
            held.push(
                store
                    .create(request(), Duration::from_secs(60), None)
                    .unwrap(),
            );
        }
        assert!(
            store
                .create(request(), Duration::from_secs(60), None)
                .is_err()
        );
        for w in &held {
            store.close(&w.id, Status::Cancelled);
        }
        assert_eq!(store.list().1.len(), RECENT_CAPACITY);
    }

    #[test]
    fn views_serialize_flat() {
        let store = PendingApprovals::new();
        let w = store
            .create(request(), Duration::from_secs(5), None)
            .unwrap();
        let v = serde_json::to_value(store.get(&w.id).unwrap()).unwrap();
        assert_eq!(v["status"], "pending");
        assert_eq!(v["tool"], "infra.vmware.vms.powerOffVm");
        assert_eq!(v["targets"][0]["name"], "web-1");
        assert!(v["expires_at"].as_str().unwrap() > v["created_at"].as_str().unwrap());
    }

    #[test]
    fn sanitize_strips_controls_and_bounds() {
        assert_eq!(sanitize("  a\nb\u{7}c ", 10), "abc");
        assert_eq!(sanitize(&"x".repeat(50), 5), "xxxxx");
    }
}
