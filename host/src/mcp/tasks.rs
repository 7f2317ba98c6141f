//! MCP Tasks, backed by durable requests: a task's id is its request's id
//! (`req-…`), so a task survives restarts as the request does, and the
//! approvals page, the CLI and `requests.get` speak of the same thing.
//!
//! Two forms are served from the same requests:
//! - the 2026-07-28 extension `io.modelcontextprotocol/tasks`, natively
//!   through rmcp (`tasks/get`, `tasks/update`, `tasks/cancel`), for clients
//!   that declare it;
//! - the 2025-11-25 `tasks` utility that the TypeScript SDK's
//!   `client.experimental.tasks` speaks, whose wire shapes rmcp 3.11 no longer
//!   models: [`crate::mcp::legacy_tasks`] translates those requests into
//!   custom methods answered here in the 2025 shapes.
//!
//! A request waiting for an operator is `working` with a status message
//! naming the approval (nothing is asked of the client itself, so it is not
//! `input_required`); a request the policy, an operator or vCenter refused
//! is `completed` with an error result (a task's `failed` is for protocol
//! errors); a withdrawn one is `cancelled`.

use rmcp::model::{CallToolResult, DetailedTask, JsonObject, Task, TaskPayload, TaskStatus};
use serde_json::{Value, json};

use crate::app::App;
use crate::mcp::result::{ResultMeta, recorded_failure, success};
use crate::requests::{Request, RequestStatus};

/// How often clients are asked to poll a task, in milliseconds.
pub const POLL_INTERVAL_MS: u64 = 2000;

/// The `_meta` key a 2025-11-25 task result names its task under.
pub const RELATED_TASK: &str = "io.modelcontextprotocol/related-task";

/// A request as a task sees it.
pub enum TaskView {
    /// Under way; what it waits for.
    Working(String),
    /// Finished, with the tool result (an error result for a refusal).
    Completed(Box<CallToolResult>),
    /// Withdrawn before anything was sent.
    Cancelled(String),
}

impl TaskView {
    /// How `request` stands, as a task.
    pub fn of(request: &Request, app: &App) -> TaskView {
        let meta = ResultMeta {
            correlation_id: &request.requester.correlation_id,
            demo: app.demo,
            request_id: Some(&request.id),
        };
        match request.status {
            status if !status.is_final() => TaskView::Working(format!(
                "{} {}: {}",
                request.id,
                status.label(),
                request.waiting_for.as_deref().unwrap_or("running")
            )),
            RequestStatus::Cancelled => {
                TaskView::Cancelled(format!("{} was withdrawn; nothing was changed", request.id))
            }
            RequestStatus::Succeeded => {
                let structured = app
                    .registry
                    .get(&request.tool)
                    .is_some_and(|e| e.output_schema.is_some());
                let value = request.result.clone().unwrap_or(Value::Null);
                TaskView::Completed(Box::new(success(value, structured, &meta)))
            }
            _ => {
                let (kind, message) = request
                    .error
                    .as_ref()
                    .map(|e| (e.kind.as_str(), e.message.as_str()))
                    .unwrap_or(("internal", "the request ended without a recorded error"));
                TaskView::Completed(Box::new(recorded_failure(kind, message, &meta)))
            }
        }
    }

    fn status_message(&self) -> String {
        match self {
            TaskView::Working(message) | TaskView::Cancelled(message) => message.clone(),
            TaskView::Completed(result) if result.is_error == Some(true) => {
                "finished with an error: see the result".into()
            }
            TaskView::Completed(_) => "finished".into(),
        }
    }

    /// The 2026-07-28 task with its payload.
    pub fn detailed(&self, request: &Request) -> DetailedTask {
        let task = Task::new(
            &request.id,
            TaskStatus::Working,
            &request.created_at,
            &request.updated_at,
        )
        .with_status_message(self.status_message())
        .with_poll_interval_ms(POLL_INTERVAL_MS);
        let payload = match self {
            TaskView::Working(_) => TaskPayload::Working,
            TaskView::Cancelled(_) => TaskPayload::Cancelled,
            TaskView::Completed(result) => TaskPayload::Completed {
                result: as_object(result),
            },
        };
        DetailedTask::new(task, payload)
    }

    /// The 2025-11-25 `Task` object.
    pub fn legacy(&self, request: &Request) -> Value {
        let status = match self {
            TaskView::Working(_) => "working",
            TaskView::Completed(_) => "completed",
            TaskView::Cancelled(_) => "cancelled",
        };
        json!({
            "taskId": request.id,
            "status": status,
            "statusMessage": self.status_message(),
            "createdAt": request.created_at,
            "lastUpdatedAt": request.updated_at,
            "ttl": null,
            "pollInterval": POLL_INTERVAL_MS,
        })
    }
}

/// A tool result as the JSON object a task carries.
pub fn as_object(result: &CallToolResult) -> JsonObject {
    match serde_json::to_value(result) {
        Ok(Value::Object(map)) => map,
        _ => JsonObject::new(),
    }
}
