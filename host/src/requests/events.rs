//! One request as the layers below see it: the approval flow and the
//! vSphere gateway tell it what happens ([`ApprovalJournal`],
//! [`CallJournal`]), and the MCP layer tells it how the call ended. Each
//! event is written to the store before the call goes on.

use serde_json::Value;

use super::record::{AskedApproval, RequestDecision, RequestStatus, RequestTarget, RequestTask};
use super::service::{RequestHandle, WITHDRAWN_BY, refusal};
use crate::approval::journal::{ApprovalJournal, Verdict};
use crate::approval::pending::ApprovalRequest;
use crate::vocabulary::{MoRef, VsError};
use crate::vsphere::hooks::CallJournal;

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
            // Not a decision: the request stays pending for the restart.
            Verdict::Interrupted => return,
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
        self.service.touch(&self.id, |r| {
            if let Some(task) = &mut r.task {
                task.progress = Some(percent);
            }
        });
    }
}
