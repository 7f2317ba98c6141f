//! What the approval flow tells the durable request behind a call: the
//! targets it named, that a person is being asked, and the decision. The
//! request lives in another layer; this port keeps approval from depending
//! on it, as [`ClientPort`](super::client::ClientPort) does for the client.

use std::sync::Arc;

use super::pending::ApprovalRequest;
use crate::vocabulary::MoRef;

/// Hears how one call's approval goes.
pub trait ApprovalJournal: Send + Sync {
    /// The request's id: pending approvals are filed under it, so the
    /// agent, the page, the CLI and the audit trail share one id.
    fn request_id(&self) -> &str;
    /// The objects the action changes, as the host named them.
    fn targets(&self, targets: &[(MoRef, String)]);
    /// A person is being asked `asked`, until `expires_at` (RFC 3339);
    /// `waiting_for` says who and how. Kept so that the same question can
    /// be put again after a restart.
    fn awaiting(&self, waiting_for: &str, asked: &ApprovalRequest, expires_at: &str);
    /// How it was decided, by whom, and why.
    fn decided(&self, verdict: Verdict, by: &str, reason: Option<&str>);
}

/// A call's approval journal, if it has a request behind it.
#[derive(Clone, Default)]
pub struct ApprovalTrail(pub Option<Arc<dyn ApprovalJournal>>);

impl ApprovalTrail {
    /// The request id approvals are filed under, if any.
    pub fn request_id(&self) -> Option<&str> {
        self.0.as_deref().map(ApprovalJournal::request_id)
    }
}

impl std::fmt::Debug for ApprovalTrail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.request_id() {
            Some(id) => write!(f, "ApprovalTrail({id})"),
            None => f.write_str("ApprovalTrail(none)"),
        }
    }
}

/// How a refusal came about, for the audit trail and the approvals metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Approved (by policy, an operator or the client's user).
    Approved,
    /// Refused by policy, an operator or the client's user.
    Denied,
    /// Nobody decided within the approval timeout.
    TimedOut,
    /// The tool call was cancelled while it waited.
    Cancelled,
    /// Nobody could be asked (no channel configured or reachable).
    Unavailable,
    /// The server stopped before anyone decided; the request stays pending
    /// and is asked again after the restart.
    Interrupted,
}

impl Verdict {
    /// The label used in the audit trail and the `decision` metric label.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Approved => "approved",
            Verdict::Denied => "denied",
            Verdict::TimedOut => "timed_out",
            Verdict::Cancelled => "cancelled",
            Verdict::Unavailable => "unavailable",
            Verdict::Interrupted => "interrupted",
        }
    }
}
