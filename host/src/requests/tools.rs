//! The host's request tools, served like `getMetrics`:
//! `infra.vmware.requests.get`, `.list` and `.cancel`. They are how an
//! agent whose client stopped waiting learns how its request ended, and
//! how it withdraws one. A requester sees only its own requests' arguments
//! and results, and lists and cancels only its own.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::record::is_request_id;
use super::record::{Request, RequestStatus};
use super::service::RequestService;
use crate::approval::pending::{PendingApprovals, Status};
use crate::vocabulary::{MoRef, VsError};
use crate::vsphere::{Backend, CallContext, task_info};

/// `infra.vmware.requests.get`.
pub const GET_TOOL: &str = "infra.vmware.requests.get";
/// `infra.vmware.requests.list`.
pub const LIST_TOOL: &str = "infra.vmware.requests.list";
/// `infra.vmware.requests.cancel`.
pub const CANCEL_TOOL: &str = "infra.vmware.requests.cancel";

/// The default and largest `requests.list` page.
const DEFAULT_LIMIT: usize = 20;
const MAX_LIMIT: usize = 100;

/// Which request tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestTool {
    /// One request's status, decision and result.
    Get,
    /// The caller's requests.
    List,
    /// Withdraw a request.
    Cancel,
}

impl RequestTool {
    /// Every request tool with its full name.
    pub const ALL: [(RequestTool, &str); 3] = [
        (RequestTool::Get, GET_TOOL),
        (RequestTool::List, LIST_TOOL),
        (RequestTool::Cancel, CANCEL_TOOL),
    ];

    /// What it does, for the model.
    pub fn description(self) -> &'static str {
        match self {
            RequestTool::Get => {
                "How a state-changing request stands: status (pending_approval, approved, running, succeeded, failed, denied, expired, cancelled, outcome_unknown), what it waits for, the decision, and the result or error. Use it with the requestId a tool answered with when it could not finish in time."
            }
            RequestTool::List => {
                "Your own requests, newest first, optionally of one status; paged with limit and cursor."
            }
            RequestTool::Cancel => {
                "Withdraw one of your requests while it waits for approval (nothing is changed), or cancel its vCenter task where vSphere allows it."
            }
        }
    }

    /// Its input schema.
    pub fn input_schema(self) -> Value {
        let id = json!({"type": "string", "pattern": "^req-[0-9a-f]{16}$"});
        let statuses: Vec<&str> = RequestStatus::ALL.iter().map(|s| s.label()).collect();
        match self {
            RequestTool::Get => json!({
                "type": "object", "additionalProperties": false,
                "properties": {"requestId": id}, "required": ["requestId"]
            }),
            RequestTool::List => json!({
                "type": "object", "additionalProperties": false,
                "properties": {
                    "status": {"type": "string", "enum": statuses},
                    "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
                    "cursor": {"type": "string"}
                }
            }),
            RequestTool::Cancel => json!({
                "type": "object", "additionalProperties": false,
                "properties": {"requestId": id, "reason": {"type": "string", "maxLength": 2000}},
                "required": ["requestId"]
            }),
        }
    }

    /// Whether it only reads.
    pub fn read_only(self) -> bool {
        self != RequestTool::Cancel
    }
}

/// What the request tools work on.
pub struct RequestTools {
    /// The requests.
    pub requests: Arc<RequestService>,
    /// Pending approvals, withdrawn by `cancel`.
    pub pending: Option<Arc<PendingApprovals>>,
    /// vCenter, asked to cancel a running task.
    pub backend: Option<Arc<dyn Backend>>,
}

impl RequestTools {
    /// Serve `tool` for the requester `owner` with checked `arguments`.
    pub async fn call(
        &self,
        tool: RequestTool,
        owner: &str,
        arguments: &Map<String, Value>,
    ) -> Result<Value, VsError> {
        match tool {
            RequestTool::Get => {
                let request = self.find(owner, arguments, false)?;
                Ok(shown(&request, owner))
            }
            RequestTool::List => self.list(owner, arguments),
            RequestTool::Cancel => self.cancel(owner, arguments).await,
        }
    }

    fn find(
        &self,
        owner: &str,
        arguments: &Map<String, Value>,
        must_own: bool,
    ) -> Result<Request, VsError> {
        let id = arguments
            .get("requestId")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !is_request_id(id) {
            return Err(VsError::InvalidArgument(format!(
                "requestId must be an id like req-0123456789abcdef, as a state-changing tool answered; got {id:?}"
            )));
        }
        let request = self
            .requests
            .get(id)
            .map_err(|e| VsError::Internal(e.to_string()))?
            .ok_or_else(|| {
                VsError::NotFound(format!(
                    "no request {id} is known to this server (requests are kept for REQUEST_RETENTION after they end)"
                ))
            })?;
        if must_own && request.requester.owner() != owner {
            return Err(VsError::ApprovalDenied {
                id: Some(request.id),
                message: format!(
                    "request {id} was made by another requester; only its requester can cancel it"
                ),
            });
        }
        Ok(request)
    }

    fn list(&self, owner: &str, arguments: &Map<String, Value>) -> Result<Value, VsError> {
        let limit = arguments
            .get("limit")
            .and_then(Value::as_u64)
            .map(|l| (l as usize).clamp(1, MAX_LIMIT))
            .unwrap_or(DEFAULT_LIMIT);
        let status = match arguments.get("status").and_then(Value::as_str) {
            None => None,
            Some(label) => Some(
                RequestStatus::parse(label)
                    .ok_or_else(|| VsError::InvalidArgument(format!("unknown status {label:?}")))?,
            ),
        };
        let cursor = arguments.get("cursor").and_then(Value::as_str);
        let before = match cursor {
            None => None,
            Some(c) => Some(c.split_once('|').filter(|(_, id)| is_request_id(id)).ok_or_else(|| {
                VsError::InvalidArgument(format!(
                    "cursor {c:?} is not one requests.list gave; pass back nextCursor unchanged, or leave it out for the first page"
                ))
            })?),
        };
        let page = self
            .requests
            .list(Some(owner), status, before, limit)
            .map_err(|e| VsError::Internal(e.to_string()))?;
        let next = page
            .more
            .then(|| page.requests.last())
            .flatten()
            .map(|r| format!("{}|{}", r.created_at, r.id));
        let rows: Vec<Value> = page.requests.iter().map(summary).collect();
        let mut out = json!({"returned": rows.len(), "requests": rows});
        if let Some(next) = next {
            out["nextCursor"] = json!(next);
        }
        Ok(out)
    }

    async fn cancel(&self, owner: &str, arguments: &Map<String, Value>) -> Result<Value, VsError> {
        let request = self.find(owner, arguments, true)?;
        let reason = arguments.get("reason").and_then(Value::as_str);
        let id = request.id.clone();
        match request.status {
            RequestStatus::PendingApproval | RequestStatus::Running
                if request.sent_at.is_none() =>
            {
                if let Some(handle) = self.requests.handle(&id) {
                    handle.withdraw(reason);
                }
                let closed = self
                    .pending
                    .as_ref()
                    .is_some_and(|p| p.close(&id, Status::Cancelled));
                Ok(json!({
                    "requestId": id,
                    "cancelled": true,
                    "message": if closed {
                        "withdrawn: the pending approval is closed, approving it now fails, and nothing was changed"
                    } else {
                        "withdrawn: nothing had been sent to vCenter, and nothing will be"
                    }
                }))
            }
            status if status.is_final() => Ok(json!({
                "requestId": id,
                "cancelled": false,
                "status": status.label(),
                "message": format!("request {id} already ended ({}); there is nothing to cancel", status.label())
            })),
            _ => {
                let (cancelled, message) = match &request.task {
                    Some(task) => self.cancel_task(&request, &task.id).await,
                    None => (
                        false,
                        format!(
                            "request {id} is sending its change to vCenter and has no vCenter task to cancel yet; check back with {GET_TOOL}"
                        ),
                    ),
                };
                Ok(json!({
                    "requestId": id,
                    "cancelled": cancelled,
                    "status": request.status.label(),
                    "message": message,
                }))
            }
        }
    }

    /// Cancel the vCenter task a request started, where vSphere allows it
    /// (`CancelTask` on a task whose `info.cancelable` is true); otherwise
    /// say why not. Whether it was cancelled, and what happened, in words.
    async fn cancel_task(&self, request: &Request, task_id: &str) -> (bool, String) {
        let Some(backend) = &self.backend else {
            return (false, "this server has no vCenter to ask".into());
        };
        let ctx = CallContext {
            correlation_id: request.requester.correlation_id.clone(),
            ..CallContext::default()
        };
        let info = match task_info(backend.as_ref(), &ctx, task_id).await {
            Ok(info) => info,
            Err(e) => {
                return (
                    false,
                    format!("vCenter task {task_id} could not be read: {e}"),
                );
            }
        };
        let task = MoRef::new("Task", task_id);
        let Some(info) = info else {
            return (
                false,
                format!("vCenter no longer knows task {task_id}; check back with {GET_TOOL}"),
            );
        };
        if info.get("cancelable").and_then(Value::as_bool) != Some(true) {
            return (
                false,
                format!(
                    "vCenter task {task_id} ({}) cannot be cancelled: vSphere marks it not cancelable; it runs to its end, check back with {GET_TOOL}",
                    info.get("descriptionId")
                        .and_then(Value::as_str)
                        .unwrap_or("its method")
                ),
            );
        }
        match backend.invoke(&ctx, &task, "CancelTask", &Map::new()).await {
            Ok(_) => {
                tracing::info!(request_id = %request.id, task = task_id, "vCenter task cancelled at the requester's request");
                (
                    true,
                    format!(
                        "cancellation of vCenter task {task_id} requested; vSphere ends it as cancelled where it still can, check back with {GET_TOOL}"
                    ),
                )
            }
            Err(e) => (
                false,
                format!("vSphere refused to cancel task {task_id}: {e}"),
            ),
        }
    }
}

/// A request as `requests.get` shows it to `owner`.
fn shown(request: &Request, owner: &str) -> Value {
    if request.requester.owner() == owner {
        serde_json::to_value(request).unwrap_or(Value::Null)
    } else {
        request.for_others()
    }
}

/// One row of `requests.list`.
fn summary(r: &Request) -> Value {
    json!({
        "requestId": r.id,
        "tool": r.tool,
        "status": r.status.label(),
        "targets": r.targets,
        "createdAt": r.created_at,
        "updatedAt": r.updated_at,
    })
}
