//! What one request is: a state-changing tool call with one id (`req-…`)
//! that the agent's result, the approvals page, the CLI, the audit trail and
//! the logs all show, and that outlives the HTTP exchange that made it.

use serde::{Deserialize, Serialize};

pub use crate::principal::Principal;
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Where a request stands. The first three are under way; the rest are
/// final and never change again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    /// The tool is running and has not sent a change (or asked) yet.
    Running,
    /// Waiting for an operator's (or the user's) decision.
    PendingApproval,
    /// Approved; the tool goes on to send the change.
    Approved,
    /// Done: the change was made.
    Succeeded,
    /// Done: the tool or vSphere failed (the error says which and why).
    Failed,
    /// Refused by the policy, an operator or the user.
    Denied,
    /// Nobody decided in time.
    Expired,
    /// Withdrawn by the requester before anything was sent.
    Cancelled,
    /// The server stopped while a change was under way and vCenter could
    /// not say how it ended; it is never sent again.
    OutcomeUnknown,
}

impl RequestStatus {
    /// Every status, for argument schemas and error messages.
    pub const ALL: [RequestStatus; 9] = [
        RequestStatus::Running,
        RequestStatus::PendingApproval,
        RequestStatus::Approved,
        RequestStatus::Succeeded,
        RequestStatus::Failed,
        RequestStatus::Denied,
        RequestStatus::Expired,
        RequestStatus::Cancelled,
        RequestStatus::OutcomeUnknown,
    ];

    /// The snake_case label, as in JSON and in the store.
    pub fn label(self) -> &'static str {
        match self {
            RequestStatus::Running => "running",
            RequestStatus::PendingApproval => "pending_approval",
            RequestStatus::Approved => "approved",
            RequestStatus::Succeeded => "succeeded",
            RequestStatus::Failed => "failed",
            RequestStatus::Denied => "denied",
            RequestStatus::Expired => "expired",
            RequestStatus::Cancelled => "cancelled",
            RequestStatus::OutcomeUnknown => "outcome_unknown",
        }
    }

    /// The status a label names.
    pub fn parse(label: &str) -> Option<RequestStatus> {
        Self::ALL.into_iter().find(|s| s.label() == label)
    }

    /// Whether nothing will change it any more.
    pub fn is_final(self) -> bool {
        !matches!(
            self,
            RequestStatus::Running | RequestStatus::PendingApproval | RequestStatus::Approved
        )
    }
}

/// Who asked: what the MCP client said of itself and how it reached us.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requester {
    /// The client's name from `initialize` (`clientInfo.name`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_name: Option<String>,
    /// The client's version from `initialize`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_version: Option<String>,
    /// The MCP session, when the transport has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// The identity the bearer token names, where known: an OAuth token's
    /// subject or a named token's label (see [`Principal`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    /// The person's name or e-mail from the OAuth token, for people to read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_name: Option<String>,
    /// The OAuth client the token was issued to (`client_id` or `azp`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_client: Option<String>,
    /// The call's correlation id.
    pub correlation_id: String,
}

impl Requester {
    /// Who the request's token named, as recorded.
    pub fn principal(&self) -> Option<Principal> {
        self.identity.as_ref().map(|id| Principal {
            id: id.clone(),
            name: self.identity_name.clone(),
            client_id: self.identity_client.clone(),
        })
    }

    /// The key requests are listed by: a requester sees only its own. The
    /// token's identity when there is one, else the MCP session.
    pub fn owner(&self) -> String {
        match (&self.identity, &self.session) {
            (Some(identity), _) => format!("identity:{identity}"),
            (None, Some(session)) => format!("session:{session}"),
            (None, None) => "anonymous".to_string(),
        }
    }
}

/// One object the request changes, as vCenter named it when asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestTarget {
    /// The managed object type, e.g. `VirtualMachine`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The managed object id, e.g. `vm-42`.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its inventory path, when the index knows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// Who decided, when and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestDecision {
    /// `approved` or `denied` (`expired` and `cancelled` are statuses).
    pub verdict: String,
    /// `policy`, `operator:<name>`, `user:<client>`…
    pub by: String,
    /// When (RFC 3339, UTC).
    pub at: String,
    /// The decider's reason, if given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A failure as the agent sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestError {
    /// The error kind (`not_found`, `approval_denied`…).
    pub kind: String,
    /// What went wrong, and what to do.
    pub message: String,
}

/// The vCenter task a request started, for following it and for
/// reconciling after a restart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestTask {
    /// The task's id, e.g. `task-123`.
    pub id: String,
    /// The vSphere method that started it.
    pub method: String,
    /// Percent done, as vCenter last said.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progress: Option<u32>,
}

/// The question operators were asked about a request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AskedApproval {
    /// The approval as the page shows it (tool, summary, targets, methods…).
    pub asked: Value,
    /// When the question lapses (RFC 3339, UTC).
    pub expires_at: String,
}

/// One request, as stored and as `requests.get` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Request {
    /// `req-` and 16 hex digits.
    pub id: String,
    /// The full MCP tool name.
    pub tool: String,
    /// The tool's arguments, as the agent sent them.
    pub arguments: Value,
    /// What it changes, once the tool has named it.
    #[serde(default)]
    pub targets: Vec<RequestTarget>,
    /// Who asked.
    pub requester: Requester,
    /// Where it stands.
    pub status: RequestStatus,
    /// What it waits for now, in words, while it is under way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting_for: Option<String>,
    /// The vCenter task it started, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<RequestTask>,
    /// When its first change was sent to vCenter (the intent was recorded
    /// first); `None` means nothing was ever sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<String>,
    /// What operators were asked, kept so that a restart can ask again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<AskedApproval>,
    /// The approval decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<RequestDecision>,
    /// The tool's result, when it succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    /// The failure, when it did not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<RequestError>,
    /// When it was made (RFC 3339, UTC).
    pub created_at: String,
    /// When it last changed.
    pub updated_at: String,
}

impl Request {
    /// A new request, running, made now.
    pub fn new(tool: &str, arguments: Value, requester: Requester) -> Request {
        let now = now_rfc3339();
        Request {
            id: new_id(),
            tool: tool.to_string(),
            arguments,
            targets: Vec::new(),
            requester,
            status: RequestStatus::Running,
            waiting_for: None,
            task: None,
            sent_at: None,
            approval: None,
            decision: None,
            result: None,
            error: None,
            created_at: now.clone(),
            updated_at: now,
        }
    }

    /// The request as someone other than its requester may see it: how it
    /// stands and who decided, but nothing of what it was asked to do
    /// (arguments, targets, the approval's detail) or what it returned.
    pub fn for_others(&self) -> Value {
        serde_json::json!({
            "id": self.id,
            "tool": self.tool,
            "status": self.status,
            "decision": self.decision.as_ref().map(|d| serde_json::json!({
                "verdict": d.verdict, "by": d.by, "at": d.at
            })),
            "error": self.error.as_ref().map(|e| serde_json::json!({"kind": e.kind})),
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "note": "another requester's request: only its status is shown",
        })
    }
}

/// A fresh request id.
pub fn new_id() -> String {
    format!("req-{}", &uuid::Uuid::new_v4().simple().to_string()[..16])
}

/// Whether `text` has the shape of a request id.
pub fn is_request_id(text: &str) -> bool {
    text.strip_prefix("req-")
        .is_some_and(|hex| hex.len() == 16 && hex.chars().all(|c| c.is_ascii_hexdigit()))
}

/// Now, as stored.
pub fn now_rfc3339() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_through_their_labels_and_json() {
        for status in RequestStatus::ALL {
            assert_eq!(RequestStatus::parse(status.label()), Some(status));
            let json = serde_json::to_value(status).unwrap();
            assert_eq!(json, status.label());
        }
        assert!(RequestStatus::Succeeded.is_final());
        assert!(!RequestStatus::PendingApproval.is_final());
    }

    #[test]
    fn ids_have_one_shape() {
        let id = new_id();
        assert!(is_request_id(&id), "{id}");
        assert!(!is_request_id("apr-0123456789abcdef"));
        assert!(!is_request_id("req-xyz"));
    }

    #[test]
    fn others_see_no_arguments_or_result() {
        let mut r = Request::new(
            "infra.vmware.vms.powerOffVm",
            serde_json::json!({"vmName": "payroll-vm"}),
            Requester::default(),
        );
        r.result = Some(serde_json::json!({"powerStateNow": "poweredOff"}));
        r.targets.push(RequestTarget {
            kind: "VirtualMachine".into(),
            id: "vm-1".into(),
            name: "payroll-vm".into(),
            path: None,
        });
        let seen = r.for_others();
        assert!(!seen.to_string().contains("payroll-vm"), "{seen}");
        assert!(!seen.to_string().contains("powerStateNow"), "{seen}");
        assert_eq!(seen["id"], r.id.as_str());
    }
}
