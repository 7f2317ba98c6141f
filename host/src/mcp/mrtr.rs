//! Approval by elicitation for clients on protocol 2026-07-28, which forbids
//! server-to-client requests: multi round-trip requests (SEP-2322).
//!
//! The tool call runs in its own task. When its approval needs the user's
//! answer, the elicitation approver hands the request over a channel; this
//! driver parks the running call under a random `requestState` handle and
//! answers the `tools/call` with an `InputRequiredResult`. The client asks
//! its user and retries the same call with the handle and its answer; the
//! driver delivers the answer to the waiting approver and goes on waiting for
//! the call to finish (or to need another answer).
//!
//! The handle is only a key into server-side memory (it carries no data, so
//! there is nothing to forge), is single-use, and is bound to the tool name.
//! A call that is never resumed ends by the approval timeout like any other
//! unanswered approval; its parked entry is swept later.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rmcp::ErrorData;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ElicitRequest, InputRequest,
    InputRequests, InputRequiredResult,
};
use serde_json::{Map, Value, json};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::mcp::link::{CallOrigin, ElicitationRoute, InputNeeded};

/// The key of the approval request in `inputRequests` / `inputResponses`.
pub const APPROVAL_KEY: &str = "approval";

/// Most calls parked at once, so unanswered calls cannot grow memory without bound.
const MAX_PARKED: usize = 1024;

/// How long a finished, never-resumed call stays parked before it is swept.
const SWEEP_AFTER: Duration = Duration::from_secs(600);

type CallTask = JoinHandle<Result<CallToolResult, ErrorData>>;

/// A call waiting for its client to come back with an answer.
struct Parked {
    tool: String,
    reply: oneshot::Sender<Value>,
    events: mpsc::Receiver<InputNeeded>,
    task: CallTask,
    parked_at: Instant,
}

/// Parked calls by handle, owned by the MCP server: one table serves every
/// session and every stateless request that may resume a call (cheap to
/// clone; clones share the table).
#[derive(Clone, Default)]
pub struct ParkedCalls {
    table: Arc<Mutex<HashMap<String, Parked>>>,
}

/// Whether this request is part of an MRTR exchange: a retry carrying a
/// handle, or a first call from a client that can be asked this way.
pub fn applies(request: &CallToolRequestParams, mrtr_capable: bool) -> bool {
    request.request_state.is_some() || mrtr_capable
}

impl ParkedCalls {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Parked>> {
        // Nothing panics while the table is held, so a poisoned lock is
        // still consistent.
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Run (or resume) a tool call for an MRTR-capable client; `run` runs
    /// the tool for a new call.
    pub async fn call<F, Fut>(
        &self,
        request: CallToolRequestParams,
        mut origin: CallOrigin,
        run: F,
    ) -> Result<CallToolResponse, ErrorData>
    where
        F: FnOnce(String, Map<String, Value>, CallOrigin) -> Fut,
        Fut: Future<Output = Result<CallToolResult, ErrorData>> + Send + 'static,
    {
        if let Some(state) = request.request_state.as_deref() {
            let entry = self.lock().remove(state);
            let Some(entry) = entry else {
                return Err(ErrorData::invalid_params(
                    "requestState is unknown, already used or expired; call the tool again without it",
                    None,
                ));
            };
            if entry.tool != request.name {
                let tool = entry.tool.clone();
                self.lock().insert(state.to_string(), entry);
                return Err(ErrorData::invalid_params(
                    format!(
                        "requestState belongs to a call of {tool}, not {}",
                        request.name
                    ),
                    None,
                ));
            }
            let answer = request
                .input_responses
                .as_ref()
                .and_then(|r| r.get(APPROVAL_KEY))
                .cloned()
                // No answer is no approval.
                .unwrap_or_else(|| json!({ "action": "cancel" }));
            let _ = entry.reply.send(answer);
            return self.drive(entry.tool, entry.events, entry.task).await;
        }
        let (tx, rx) = mpsc::channel(1);
        if let Some(client) = origin.client.as_mut() {
            client.route = ElicitationRoute::Mrtr(tx);
            // This request ends before the call does, so its cancellation must not end the call.
            client.cancelled = None;
        }
        let tool = request.name.to_string();
        let arguments = request.arguments.clone().unwrap_or_default();
        let task = tokio::spawn(run(tool.clone(), arguments, origin));
        self.drive(tool, rx, task).await
    }

    /// Wait for the call to finish or to need an answer from the client.
    async fn drive(
        &self,
        tool: String,
        mut events: mpsc::Receiver<InputNeeded>,
        mut task: CallTask,
    ) -> Result<CallToolResponse, ErrorData> {
        tokio::select! {
            done = &mut task => match done {
                Ok(result) => result.map(Into::into),
                Err(e) => Err(ErrorData::internal_error(format!("the tool call failed: {e}"), None)),
            },
            Some(need) = events.recv() => {
                let state = uuid::Uuid::new_v4().simple().to_string();
                let mut requests = InputRequests::new();
                requests.insert(
                    APPROVAL_KEY.to_string(),
                    InputRequest::Elicitation(ElicitRequest::new(need.request)),
                );
                self.park(state.clone(), Parked { tool, reply: need.reply, events, task, parked_at: Instant::now() })?;
                Ok(InputRequiredResult::new(Some(requests), Some(state)).into())
            }
        }
    }

    fn park(&self, state: String, entry: Parked) -> Result<(), ErrorData> {
        let mut table = self.lock();
        table.retain(|_, p| !(p.task.is_finished() && p.parked_at.elapsed() > SWEEP_AFTER));
        if table.len() >= MAX_PARKED {
            // Dropping the reply refuses the approval; the call ends with that refusal.
            return Err(ErrorData::internal_error(
                "too many tool calls are waiting for their clients' answers; try again later",
                None,
            ));
        }
        table.insert(state, entry);
        Ok(())
    }
}
