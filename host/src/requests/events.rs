//! One request as the layers below see it: the approval flow and the
//! vSphere gateway tell it what happens ([`ApprovalJournal`],
//! [`CallJournal`]), and the MCP layer tells it how the call ended. Each
//! event is written to the store before the call goes on.

use std::sync::Arc;

use serde_json::Value;

use super::record::{
    AskedApproval, RequestDecision, RequestError, RequestStatus, RequestTarget, RequestTask,
};
use super::{Request, RequestService, refusal};
use crate::approval::journal::{ApprovalJournal, Verdict};
use crate::approval::pending::ApprovalRequest;
use crate::vocabulary::{MoRef, VsError};
use crate::vsphere::hooks::CallJournal;

/// Who a withdrawal by the requester is recorded as.
const WITHDRAWN_BY: &str = "requester";

/// A handle on one request, cheap to clone.
#[derive(Clone)]
pub struct RequestHandle {
    id: String,
    service: Arc<RequestService>,
}

impl std::fmt::Debug for RequestHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RequestHandle({})", self.id)
    }
}

impl RequestHandle {
    pub(super) fn new(id: String, service: Arc<RequestService>) -> Self {
        RequestHandle { id, service }
    }

    /// The request id (`req-…`).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The request as it stands.
    pub fn current(&self) -> Option<Request> {
        self.service.get(&self.id).ok().flatten()
    }

    /// Apply a change; a store failure is logged (the caller's own record
    /// of the event, the audit trail and the log, still stands).
    fn note(&self, what: &str, change: impl FnOnce(&mut Request)) {
        if let Err(e) = self.service.update(&self.id, change) {
            tracing::error!(request_id = %self.id, event = what, error = %e, "the request store could not record an event");
        }
    }

    /// The tool call ended: its result, or why it failed. The final status
    /// follows from the approval's decision where there was one.
    pub fn finish(&self, outcome: &Result<Value, VsError>) {
        self.note("finished", |r| {
            r.waiting_for = None;
            match outcome {
                Ok(value) => {
                    r.status = RequestStatus::Succeeded;
                    r.result = Some(value.clone());
                }
                Err(e) => {
                    r.status = match r.decision.as_ref().map(|d| d.verdict.as_str()) {
                        Some("denied") => RequestStatus::Denied,
                        Some("expired") => RequestStatus::Expired,
                        Some("cancelled") if r.sent_at.is_none() => RequestStatus::Cancelled,
                        _ => RequestStatus::Failed,
                    };
                    r.error = Some(RequestError {
                        kind: e.kind().to_string(),
                        message: e.to_string(),
                    });
                }
            }
        });
    }

    /// End it as `status` for a reason that is not the tool's own result:
    /// a restart that interrupted it, a vCenter task that says how it ended.
    pub fn settle(&self, status: RequestStatus, kind: &str, message: String) {
        self.note("settled", |r| {
            r.status = status;
            r.waiting_for = None;
            r.error = Some(RequestError {
                kind: kind.to_string(),
                message,
            });
        });
    }

    /// The requester withdrew it before anything was sent.
    pub fn withdraw(&self, reason: Option<&str>) {
        self.note("withdrawn", |r| {
            if r.sent_at.is_none() {
                r.decision = Some(RequestDecision {
                    verdict: "cancelled".into(),
                    by: WITHDRAWN_BY.to_string(),
                    at: super::record::now_rfc3339(),
                    reason: reason.map(str::to_string),
                });
            }
        });
    }
}

impl ApprovalJournal for RequestHandle {
    fn request_id(&self) -> &str {
        &self.id
    }

    fn targets(&self, targets: &[(MoRef, String)]) {
        self.note("targets", |r| {
            for (reference, name) in targets {
                if r.targets.iter().any(|t| t.id == reference.value) {
                    continue;
                }
                r.targets.push(RequestTarget {
                    kind: reference.kind.clone(),
                    id: reference.value.clone(),
                    name: name.clone(),
                    path: None,
                });
            }
        });
    }

    fn awaiting(&self, waiting_for: &str, asked: &ApprovalRequest, expires_at: &str) {
        self.note("awaiting approval", |r| {
            r.status = RequestStatus::PendingApproval;
            r.waiting_for = Some(waiting_for.to_string());
            r.approval = Some(AskedApproval {
                asked: serde_json::to_value(asked).unwrap_or(Value::Null),
                expires_at: expires_at.to_string(),
            });
        });
    }

    fn decided(&self, verdict: Verdict, by: &str, reason: Option<&str>) {
        let label = match verdict {
            Verdict::Approved => "approved",
            Verdict::Denied => "denied",
            Verdict::TimedOut => "expired",
            Verdict::Cancelled => "cancelled",
            Verdict::Unavailable => "unavailable",
        };
        self.note("decided", |r| {
            let withdrawn = r.decision.as_ref().is_some_and(|d| d.by == WITHDRAWN_BY);
            if withdrawn {
                return; // the requester's withdrawal counts, whatever came after
            }
            r.decision = Some(RequestDecision {
                verdict: label.to_string(),
                by: by.to_string(),
                at: super::record::now_rfc3339(),
                reason: reason.map(str::to_string),
            });
            r.waiting_for = None;
            if verdict == Verdict::Approved {
                r.status = RequestStatus::Approved;
            }
        });
    }
}

impl CallJournal for RequestHandle {
    fn request_id(&self) -> &str {
        &self.id
    }

    fn sending(&self, method: &str, target: &MoRef) -> Result<(), VsError> {
        let withdrawn = self.current().is_some_and(|r| {
            r.sent_at.is_none() && r.decision.is_some_and(|d| d.verdict == "cancelled")
        });
        if withdrawn {
            return Err(VsError::Cancelled(format!(
                "request {} was withdrawn by its requester; {method} on {target} was not sent",
                self.id
            )));
        }
        self.service
            .update(&self.id, |r| {
                r.status = RequestStatus::Running;
                if r.sent_at.is_none() {
                    r.sent_at = Some(super::record::now_rfc3339());
                }
                r.task = None;
                r.waiting_for = Some(format!("vCenter: {method} on {target}"));
            })
            .map(|_| ())
            .map_err(refusal)
    }

    fn task_started(&self, task: &str) {
        self.note("task started", |r| {
            let method = r
                .waiting_for
                .as_deref()
                .and_then(|w| w.strip_prefix("vCenter: "))
                .and_then(|w| w.split(' ').next())
                .unwrap_or("")
                .to_string();
            r.waiting_for = Some(format!("vCenter task {task} ({method})"));
            r.task = Some(RequestTask {
                id: task.to_string(),
                method,
                progress: None,
            });
        });
    }

    fn task_progress(&self, percent: u32) {
        // Progress is frequent and worth little after a restart: it updates
        // the copy waiters see, and reaches the store with the next event.
        if let Some(sender) = self.service.live().get(&self.id) {
            sender.send_modify(|r| {
                if let Some(task) = &mut r.task {
                    task.progress = Some(percent);
                }
            });
        }
    }
}
