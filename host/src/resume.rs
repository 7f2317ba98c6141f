//! Taking up unfinished requests after a restart. Nothing a caller was told
//! about is lost, and nothing is sent twice:
//! - a request whose change was already sent is reconciled from vCenter by
//!   its recorded task (`Task.info.state`), or marked `outcome_unknown`
//!   when vCenter cannot say; it is never sent again;
//! - a request waiting for approval waits again, under the same id, until
//!   its original expiry; once approved, the tool runs again with that
//!   decision, which covers exactly the targets and methods operators saw;
//! - a request approved but not yet sent runs again the same way;
//! - a request that was still preparing (nothing sent, nothing asked) ends
//!   as failed, saying that nothing changed.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::app::App;
use crate::approval::audit::{AuditTarget, DecisionRecord};
use crate::approval::gate::{Approved, Preapproval};
use crate::approval::journal::{ApprovalJournal, Verdict};
use crate::approval::pending::{ApprovalRequest, OperatorDecision, Status};
use crate::dispatch::{self, CallSetup};
use crate::registry::ToolTarget;
use crate::requests::{Request, RequestHandle, RequestStatus};
use crate::vocabulary::VsError;
use crate::vsphere::{CallContext, task_info};

/// How often a vCenter task still running after a restart is read again.
const TASK_POLL: Duration = Duration::from_secs(2);

/// How long a task still running after a restart is followed.
const TASK_FOLLOW_FOR: Duration = Duration::from_secs(6 * 3600);

/// Take up every unfinished request in the store.
pub async fn resume_unfinished(app: Arc<App>) {
    let unfinished = match app.requests.unfinished() {
        Ok(requests) => requests,
        Err(e) => {
            tracing::error!(error = %e, "cannot read unfinished requests after the restart");
            return;
        }
    };
    if !unfinished.is_empty() {
        tracing::info!(
            requests = unfinished.len(),
            "taking up requests left unfinished by the last run"
        );
    }
    for request in unfinished {
        let handle = app.requests.adopt(request.clone());
        tracing::info!(request_id = %request.id, status = request.status.label(), sent = request.sent_at.is_some(), "request taken up after a restart");
        if request.sent_at.is_some() {
            tokio::spawn(reconcile(app.clone(), handle, request));
            continue;
        }
        match request.status {
            RequestStatus::PendingApproval => ask_again(&app, handle, request),
            RequestStatus::Approved => match earlier_approval(&request) {
                Some(preapproval) => {
                    tokio::spawn(run_again(app.clone(), handle, request, preapproval));
                }
                None => handle.settle(
                    RequestStatus::Failed,
                    "internal",
                    "the server restarted after this request was approved, and the approval could not be read back; nothing was changed: call the tool again".into(),
                ),
            },
            _ => handle.settle(
                RequestStatus::Failed,
                "unavailable",
                "the server restarted while this request was still preparing, before it sent anything or asked for approval; nothing was changed: call the tool again".into(),
            ),
        }
    }
}

/// A request whose change was sent before the restart: how did it end?
async fn reconcile(app: Arc<App>, handle: RequestHandle, request: Request) {
    let Some(task) = request.task.clone() else {
        handle.settle(
            RequestStatus::OutcomeUnknown,
            "outcome_unknown",
            "the server stopped while this request's change was being sent, before vCenter named a task for it; whether it took effect is unknown. It will not be sent again: check the object in vCenter".into(),
        );
        return;
    };
    let backend = app.services.gateway.backend().clone();
    let ctx = CallContext {
        correlation_id: request.requester.correlation_id.clone(),
        ..Default::default()
    };
    let started = tokio::time::Instant::now();
    loop {
        let info = match task_info(backend.as_ref(), &ctx, &task.id).await {
            Ok(info) => info,
            Err(e) => {
                tracing::warn!(request_id = %request.id, task = %task.id, error = %e, "reading the task of a request taken up after a restart failed");
                None
            }
        };
        let Some(info) = info else {
            handle.settle(
                RequestStatus::OutcomeUnknown,
                "outcome_unknown",
                format!(
                    "the server stopped while vCenter task {} ({}) ran, and vCenter no longer knows the task; whether it took effect is unknown. It will not be sent again: check the object in vCenter",
                    task.id, task.method
                ),
            );
            return;
        };
        match info.get("state").and_then(Value::as_str) {
            Some("success") => {
                handle.finish(&Ok(json!({
                    "task": task.id,
                    "state": "success",
                    "result": info.get("result").cloned().unwrap_or(Value::Null),
                    "reconciled": "the server restarted while this task ran; vCenter says it succeeded",
                })));
                return;
            }
            Some("error") => {
                let message = info
                    .get("error")
                    .and_then(|e| e.get("localizedMessage"))
                    .and_then(Value::as_str)
                    .unwrap_or("vCenter reports the task failed");
                handle.settle(
                    RequestStatus::Failed,
                    "fault",
                    format!(
                        "vCenter task {} ({}) failed: {message}",
                        task.id, task.method
                    ),
                );
                return;
            }
            _ if started.elapsed() > TASK_FOLLOW_FOR => {
                handle.settle(
                    RequestStatus::OutcomeUnknown,
                    "outcome_unknown",
                    format!("vCenter task {} was still running {} hours after a restart; no longer followed", task.id, TASK_FOLLOW_FOR.as_secs() / 3600),
                );
                return;
            }
            _ => tokio::time::sleep(TASK_POLL).await,
        }
    }
}

/// The approval an operator gave before the restart, as a preapproval.
fn earlier_approval(request: &Request) -> Option<Preapproval> {
    let decision = request
        .decision
        .as_ref()
        .filter(|d| d.verdict == "approved")?;
    let asked: ApprovalRequest =
        serde_json::from_value(request.approval.as_ref()?.asked.clone()).ok()?;
    Some(preapproval(
        request,
        &asked,
        decision.by.clone(),
        decision.reason.clone(),
    ))
}

fn preapproval(
    request: &Request,
    asked: &ApprovalRequest,
    decided_by: String,
    reason: Option<String>,
) -> Preapproval {
    Preapproval {
        approved: Approved {
            decided_by,
            approval_id: Some(request.id.clone()),
            reason,
        },
        target_ids: asked.targets.iter().map(|t| t.id.clone()).collect(),
        methods: asked.methods.clone(),
    }
}

/// Put a pending approval back before operators, under the same id, until
/// its original expiry; act on the decision when it comes.
fn ask_again(app: &Arc<App>, handle: RequestHandle, request: Request) {
    let asked: Option<(ApprovalRequest, String)> = request.approval.as_ref().and_then(|a| {
        Some((
            serde_json::from_value(a.asked.clone()).ok()?,
            a.expires_at.clone(),
        ))
    });
    let (Some(pending), Some((asked, expires_at))) = (app.pending.clone(), asked) else {
        handle.settle(
            RequestStatus::Failed,
            "approval_required",
            "the server restarted while this request waited for approval, and it has no operator channel now (or the question could not be read back); nothing was changed".into(),
        );
        return;
    };
    let remaining = OffsetDateTime::parse(&expires_at, &Rfc3339)
        .ok()
        .map(|at| at - OffsetDateTime::now_utc())
        .and_then(|left| Duration::try_from(left).ok())
        .unwrap_or(Duration::ZERO);
    if remaining.is_zero() {
        handle.decided(Verdict::TimedOut, "timeout", None);
        audit_decision(app, &asked, &request.id, Verdict::TimedOut, "timeout", None);
        handle.finish(&Err(VsError::Timeout(format!(
            "approval {} expired at {expires_at} while the server was down, without a decision; nothing was changed",
            request.id
        ))));
        return;
    }
    let waiting = match pending.create(asked.clone(), remaining, Some(&request.id)) {
        Ok(waiting) => waiting,
        Err(e) => {
            handle.finish(&Err(e));
            return;
        }
    };
    let open = app
        .services
        .approvals
        .waiting_for(unanswered(&asked, &request.id));
    let app = app.clone();
    tokio::spawn(async move {
        let decision = tokio::select! {
            d = waiting.decision => d.ok(),
            _ = tokio::time::sleep(remaining) => None,
        };
        drop(open);
        let id = request.id.clone();
        match decision {
            Some(OperatorDecision::Approve { approver, reason }) => {
                let by = format!("operator:{approver}");
                handle.decided(Verdict::Approved, &by, reason.as_deref());
                let preapproval = preapproval(&request, &asked, by, reason);
                run_again(app, handle, request, preapproval).await;
            }
            Some(OperatorDecision::Deny { approver, reason }) => {
                let by = format!("operator:{approver}");
                handle.decided(Verdict::Denied, &by, Some(&reason));
                audit_decision(
                    &app,
                    &asked,
                    &id,
                    Verdict::Denied,
                    &by,
                    Some(reason.clone()),
                );
                handle.finish(&Err(VsError::ApprovalDenied {
                    id: Some(id.clone()),
                    message: format!("operator {approver} denied approval {id}: {reason}"),
                }));
            }
            None => {
                let status = if pending.close(&id, Status::TimedOut) {
                    Verdict::TimedOut
                } else {
                    Verdict::Cancelled
                };
                handle.decided(status, status.label(), None);
                audit_decision(&app, &asked, &id, status, status.label(), None);
                handle.finish(&Err(VsError::Timeout(format!(
                    "approval {id} ended without an operator's approval ({}); nothing was changed",
                    status.label()
                ))));
            }
        }
    });
}

/// The audit record of an approval asked again after a restart, before its
/// decision: the question as operators saw it, under the request's id.
fn unanswered(asked: &ApprovalRequest, id: &str) -> DecisionRecord {
    DecisionRecord {
        event: "approval_decision",
        approval_id: Some(id.to_string()),
        tool: asked.tool.clone(),
        operation: asked.operation.clone(),
        summary: asked.summary.clone(),
        targets: asked
            .targets
            .iter()
            .map(|t| AuditTarget {
                reference: format!("{}:{}", t.kind, t.id),
                name: t.name.clone(),
            })
            .collect(),
        methods: asked.methods.clone(),
        policy: "asked again after a restart".to_string(),
        correlation_id: asked.correlation_id.clone(),
        session: asked.session.clone(),
        ..DecisionRecord::default()
    }
}

/// Record a refusal of an approval asked again after a restart (an
/// approval is recorded by the gate when the tool runs again with it).
fn audit_decision(
    app: &App,
    asked: &ApprovalRequest,
    id: &str,
    verdict: Verdict,
    by: &str,
    reason: Option<String>,
) {
    let record = unanswered(asked, id);
    if let Err(e) = app
        .services
        .approvals
        .write_decision(record, verdict, by, reason)
    {
        tracing::error!(approval_id = %id, error = %e, "a decision on an approval asked again after a restart could not be written to the audit trail");
    }
}

/// Run the request's tool again with the decision operators already made.
async fn run_again(
    app: Arc<App>,
    handle: RequestHandle,
    request: Request,
    preapproval: Preapproval,
) {
    let Some(ToolTarget::Plugin { plugin, name }) =
        app.registry.get(&request.tool).map(|e| e.target.clone())
    else {
        handle.settle(
            RequestStatus::Failed,
            "not_found",
            format!(
                "tool {} is no longer served by this server; the approved request was not run and nothing was changed",
                request.tool
            ),
        );
        return;
    };
    tracing::info!(request_id = %request.id, tool = %request.tool, approved_by = %preapproval.approved.decided_by, "running an approved request taken up after a restart");
    let setup = CallSetup {
        correlation_id: request.requester.correlation_id.clone(),
        session: request.requester.session.clone(),
        principal: request.requester.principal(),
        request: Some(handle),
        preapproved: Some(preapproval),
        ..CallSetup::default()
    };
    let outcome = dispatch::run_plugin_call(
        &app,
        &plugin,
        &name,
        &request.tool,
        &request.arguments,
        setup,
    )
    .await;
    tracing::info!(request_id = %request.id, outcome = match &outcome { Ok(_) => "ok", Err(e) => e.kind() }, "request taken up after a restart finished");
}
