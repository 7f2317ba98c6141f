//! The rmcp server handler: lists the registry's tools and runs calls
//! through argument checks, the plugin runtime, metrics and logging.

use std::sync::Arc;
use std::time::Instant;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, CancelTaskParams, CreateTaskResult,
    CustomRequest, CustomResult, ErrorCode, GetTaskParams, GetTaskResult, Implementation,
    ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, UpdateTaskParams,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::{Map, Value, json};

use crate::app::App;
use crate::approval::client::ClientLink;
use crate::dispatch::{self, CallSetup};
use crate::mcp::call_limit::CallLimit;
use crate::mcp::legacy_tasks;
use crate::mcp::link::{CallOrigin, Elicitable, McpClient, elicitable};
use crate::mcp::mrtr::{self, ParkedCalls};
use crate::mcp::result::{ResultMeta, failure, success};
use crate::mcp::tasks::{self, TaskView, as_object};
use crate::mcp::tool_list::mcp_tools;
use crate::registry::ToolTarget;
use crate::requests::tools::RequestTool;
use crate::requests::{Request, RequestStatus, Requester};
use crate::runtime::LoadedPlugin;
use crate::telemetry::metrics::names;
use crate::vocabulary::VsError;

/// The header a client may send its own correlation id in.
pub const CORRELATION_HEADER: &str = "x-correlation-id";

/// One MCP connection's handler (cheap to clone; state is in `App`, and the
/// call limit is shared by every clone).
#[derive(Clone)]
pub struct McpHandler {
    app: Arc<App>,
    limit: CallLimit,
    /// Calls waiting for their clients' answers (MRTR), shared by every
    /// clone, since a retry may come on another connection.
    parked: ParkedCalls,
    /// Cancelled when the server stops (see [`McpClient::with_server_stopping`]).
    stopping: Option<tokio_util::sync::CancellationToken>,
}

impl McpHandler {
    /// A handler over the shared app, with the default call limit.
    pub fn new(app: Arc<App>) -> Self {
        McpHandler {
            app,
            limit: CallLimit::default(),
            parked: ParkedCalls::default(),
            stopping: None,
        }
    }

    /// The same handler, told when the server stops: requests in flight
    /// then are not withdrawn, since their clients did not cancel them.
    pub fn with_server_stopping(mut self, stopping: tokio_util::sync::CancellationToken) -> Self {
        self.stopping = Some(stopping);
        self
    }

    /// The same handler with `limit` on concurrently executing tool calls
    /// (`MCP_MAX_CONCURRENT_CALLS`).
    pub fn with_call_limit(mut self, limit: CallLimit) -> Self {
        self.limit = limit;
        self
    }

    /// Run a call and shape its result; also used directly by tests.
    pub async fn run(
        &self,
        name: &str,
        arguments: Map<String, Value>,
        origin: CallOrigin,
    ) -> Result<CallToolResult, ErrorData> {
        let CallOrigin {
            correlation_id,
            session,
            client,
            principal,
        } = origin;
        let client = client
            .map(|c| ClientLink::new(Arc::new(c)))
            .unwrap_or_default();
        let app = &self.app;
        let Some(entry) = app.registry.get(name) else {
            return Err(ErrorData::invalid_params(
                format!(
                    "unknown tool `{}`; valid tools: {}",
                    vmware_vocabulary::quote::prefix(name),
                    app.registry.names().join(", ")
                ),
                None,
            ));
        };
        let meta = ResultMeta {
            correlation_id: &correlation_id,
            demo: app.demo,
            request_id: None,
        };
        let Some(_slot) = self.limit.try_enter() else {
            app.services.metrics.inc(
                names::TOOL_CALLS,
                vec![("tool", name.to_string()), ("outcome", "busy".to_string())],
            );
            tracing::warn!(correlation_id = %correlation_id, tool = name, limit = self.limit.max(), "tool call refused: server busy (MCP_MAX_CONCURRENT_CALLS)");
            return Ok(crate::mcp::result::busy(self.limit.max(), &meta));
        };
        let started = Instant::now();
        let requested_by = principal.as_ref().map(|p| p.label().to_string());
        tracing::info!(correlation_id = %correlation_id, tool = name, requested_by = requested_by.as_deref(), "tool call started");

        let checked =
            vmware_vocabulary::args::check(name, &entry.input_schema, &Value::Object(arguments));
        let mut request_id = None;
        let outcome: Result<Value, VsError> = match checked {
            Err(message) => Err(VsError::InvalidArgument(message)),
            Ok(arguments) => {
                let setup = CallSetup {
                    correlation_id: correlation_id.clone(),
                    session: session.clone(),
                    principal,
                    client,
                    ..CallSetup::default()
                };
                match &entry.target {
                    ToolTarget::Metrics => Ok(app.metrics_json()),
                    ToolTarget::Requests(tool) => {
                        app.request_tools()
                            .call(*tool, &requester(&setup).owner(), &arguments)
                            .await
                    }
                    ToolTarget::Plugin { plugin, name: tool } if entry.makes_requests => {
                        let answer = self
                            .run_request(plugin, tool, name, Value::Object(arguments), setup)
                            .await;
                        request_id = answer.0;
                        answer.1
                    }
                    ToolTarget::Plugin { plugin, name: tool } => {
                        dispatch::run_plugin_call(
                            app,
                            plugin,
                            tool,
                            name,
                            &Value::Object(arguments),
                            setup,
                        )
                        .await
                    }
                }
            }
        };
        let meta = ResultMeta {
            request_id: request_id.as_deref(),
            ..meta
        };
        let elapsed = started.elapsed();
        let outcome_label = match &outcome {
            Ok(_) => "ok",
            Err(e) => e.kind(),
        };
        app.services.metrics.inc(
            names::TOOL_CALLS,
            vec![
                ("tool", name.to_string()),
                ("outcome", outcome_label.to_string()),
            ],
        );
        app.services.metrics.observe(
            names::TOOL_SECONDS,
            vec![("tool", name.to_string())],
            elapsed,
        );
        match &outcome {
            Ok(_) => {
                tracing::info!(correlation_id = %correlation_id, tool = name, outcome = outcome_label, duration_ms = elapsed.as_millis() as u64, "tool call finished")
            }
            Err(e) => {
                tracing::warn!(correlation_id = %correlation_id, tool = name, outcome = outcome_label, duration_ms = elapsed.as_millis() as u64, error = %e, "tool call failed")
            }
        }
        Ok(match outcome {
            Ok(value) => success(value, entry.output_schema.is_some(), &meta),
            Err(e) => failure(&e, &meta),
        })
    }
}

impl McpHandler {
    /// Run a call of a tool that may change state as a durable request:
    /// record it, run it apart from this exchange, and answer with its
    /// result, or, when it is not done within `CALL_WAIT_SECS`, with its id
    /// and what it waits for (the client stops waiting; the request does not).
    async fn run_request(
        &self,
        plugin: &Arc<LoadedPlugin>,
        tool: &str,
        full_name: &str,
        arguments: Value,
        setup: CallSetup,
    ) -> (Option<String>, Result<Value, VsError>) {
        let client = setup.client.clone();
        let (id, running) = match self.start_request(plugin, tool, full_name, arguments, setup) {
            Ok(started) => started,
            Err(e) => return (None, Err(e)),
        };
        tokio::pin!(running);
        tokio::select! {
            joined = &mut running => {
                let outcome = joined.unwrap_or_else(|e| {
                    Err(VsError::Internal(format!("the call stopped unexpectedly: {e}")))
                });
                (Some(id), outcome)
            }
            _ = tokio::time::sleep(self.app.call_wait) => {
                client.detach();
                if let Some(pending) = &self.app.pending {
                    pending.requester_left(&id);
                }
                let request = self.app.requests.get(&id).ok().flatten();
                tracing::info!(request_id = %id, wait_secs = self.app.call_wait.as_secs(), "request still under way; the client was answered with its id");
                (Some(id.clone()), Ok(still_pending(&id, request.as_ref())))
            }
        }
    }

    /// Record a request for a call and run it apart from this exchange: its
    /// id, and the running call.
    fn start_request(
        &self,
        plugin: &Arc<LoadedPlugin>,
        tool: &str,
        full_name: &str,
        arguments: Value,
        setup: CallSetup,
    ) -> Result<(String, tokio::task::JoinHandle<Result<Value, VsError>>), VsError> {
        let handle = self
            .app
            .requests
            .create(full_name, arguments.clone(), requester(&setup))?;
        let id = handle.id().to_string();
        tracing::info!(correlation_id = %setup.correlation_id, request_id = %id, tool = full_name, requested_by = setup.principal.as_ref().map(|p| p.label()), "request created");
        let (app, plugin, tool, full_name) = (
            self.app.clone(),
            plugin.clone(),
            tool.to_string(),
            full_name.to_string(),
        );
        let setup = CallSetup {
            request: Some(handle),
            ..setup
        };
        let running = tokio::spawn(async move {
            dispatch::run_plugin_call(&app, &plugin, &tool, &full_name, &arguments, setup).await
        });
        Ok((id, running))
    }

    /// Start a call as a task (the client asked for one): a tool that may
    /// change state becomes a request running in the background, and its
    /// request is returned; any other tool runs now, and its result is
    /// returned as it is (a task is only worth it for long work).
    pub async fn start_task(
        &self,
        request: CallToolRequestParams,
        context: &RequestContext<RoleServer>,
    ) -> Result<Result<Request, CallToolResult>, ErrorData> {
        let origin = CallOrigin {
            correlation_id: correlation_id(&request, context),
            session: session_id(context),
            client: Some(
                McpClient::of(&request, context).with_server_stopping(self.stopping.clone()),
            ),
            principal: principal(context),
        };
        let arguments = request.arguments.clone().unwrap_or_default();
        let target = self
            .app
            .registry
            .get(&request.name)
            .filter(|e| e.makes_requests)
            .map(|e| (e.target.clone(), e.input_schema.clone()));
        let Some((ToolTarget::Plugin { plugin, name: tool }, schema)) = target else {
            return self.run(&request.name, arguments, origin).await.map(Err);
        };
        let meta = ResultMeta {
            correlation_id: &origin.correlation_id,
            demo: self.app.demo,
            request_id: None,
        };
        let checked =
            vmware_vocabulary::args::check(&request.name, &schema, &Value::Object(arguments));
        let arguments = match checked {
            Ok(arguments) => arguments,
            Err(message) => return Ok(Err(failure(&VsError::InvalidArgument(message), &meta))),
        };
        // The client follows the task, not this exchange: nothing is sent on it.
        let client = origin
            .client
            .map(|c| ClientLink::new(Arc::new(c)))
            .unwrap_or_default();
        client.detach();
        let setup = CallSetup {
            correlation_id: origin.correlation_id.clone(),
            session: origin.session,
            principal: origin.principal,
            client,
            ..CallSetup::default()
        };
        let started = self.start_request(
            &plugin,
            &tool,
            &request.name,
            Value::Object(arguments),
            setup,
        );
        match started {
            Ok((id, _running)) => self
                .app
                .requests
                .get(&id)
                .ok()
                .flatten()
                .map(Ok)
                .ok_or_else(|| ErrorData::internal_error(format!("request {id} vanished"), None)),
            Err(e) => Ok(Err(failure(&e, &meta))),
        }
    }

    /// A request by task id, as its requester or anyone holding the id.
    fn task_request(&self, task_id: &str) -> Result<Request, ErrorData> {
        self.app
            .requests
            .get(task_id)
            .map_err(|e| ErrorData::internal_error(e.to_string(), None))?
            .ok_or_else(|| {
                ErrorData::invalid_params(
                    format!("no task {task_id} is known to this server (task ids are request ids, req-…)"),
                    None,
                )
            })
    }

    /// Withdraw the request behind a task, for its requester.
    async fn cancel_request(
        &self,
        task_id: &str,
        context: &RequestContext<RoleServer>,
    ) -> Result<Request, ErrorData> {
        let owner = owner_of(context);
        let mut arguments = Map::new();
        arguments.insert("requestId".into(), json!(task_id));
        self.app
            .request_tools()
            .call(RequestTool::Cancel, &owner, &arguments)
            .await
            .map_err(|e| ErrorData::invalid_params(e.to_string(), None))?;
        self.task_request(task_id)
    }

    /// Answer one of the 2025-11-25 task methods that
    /// [`legacy_tasks`](crate::mcp::legacy_tasks) renamed.
    async fn legacy_task_method(
        &self,
        method: &str,
        params: Value,
        context: RequestContext<RoleServer>,
    ) -> Result<Value, ErrorData> {
        let task_id = params
            .get("taskId")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        match method {
            legacy_tasks::CALL => {
                let request: CallToolRequestParams =
                    serde_json::from_value(params).map_err(|e| {
                        ErrorData::invalid_params(format!("tools/call params: {e}"), None)
                    })?;
                match self.start_task(request, &context).await? {
                    Ok(request) => Ok(json!({
                        "task": TaskView::of(&request, &self.app).legacy(&request)
                    })),
                    Err(result) => serde_json::to_value(result)
                        .map_err(|e| ErrorData::internal_error(e.to_string(), None)),
                }
            }
            legacy_tasks::GET => {
                let request = self.task_request(&task_id)?;
                Ok(TaskView::of(&request, &self.app).legacy(&request))
            }
            legacy_tasks::RESULT => {
                let request = self.settled_request(&task_id).await?;
                match TaskView::of(&request, &self.app) {
                    TaskView::Completed(result) => {
                        let mut result = as_object(&result);
                        let meta = result.entry("_meta").or_insert_with(|| json!({}));
                        meta[tasks::RELATED_TASK] = json!({"taskId": task_id});
                        Ok(Value::Object(result))
                    }
                    TaskView::Cancelled(message) | TaskView::Working(message) => {
                        Err(ErrorData::invalid_params(message, None))
                    }
                }
            }
            legacy_tasks::CANCEL => {
                let request = self.cancel_request(&task_id, &context).await?;
                Ok(TaskView::of(&request, &self.app).legacy(&request))
            }
            legacy_tasks::LIST => {
                let owner = owner_of(&context);
                let page = self
                    .app
                    .requests
                    .list(Some(&owner), None, None, 100)
                    .map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
                let tasks: Vec<Value> = page
                    .requests
                    .iter()
                    .map(|r| TaskView::of(r, &self.app).legacy(r))
                    .collect();
                Ok(json!({"tasks": tasks}))
            }
            other => Err(ErrorData::new(
                ErrorCode::METHOD_NOT_FOUND,
                format!("unknown method {other}"),
                None,
            )),
        }
    }

    /// Wait (up to [`RESULT_WAIT`]) for a request to end, as `tasks/result`
    /// does; its record either way.
    async fn settled_request(&self, task_id: &str) -> Result<Request, ErrorData> {
        let request = self.task_request(task_id)?;
        let Some(mut watch) = self.app.requests.watch(task_id) else {
            return Ok(request);
        };
        let _ = tokio::time::timeout(RESULT_WAIT, watch.wait_for(|r| r.status.is_final())).await;
        self.task_request(task_id)
    }
}

/// How long `tasks/result` waits for an unfinished task before answering
/// that it is not done (under a client's 60 s request timeout).
const RESULT_WAIT: std::time::Duration = std::time::Duration::from_secs(40);

/// Who is asking, as the request records it.
fn requester(setup: &CallSetup) -> Requester {
    let principal = setup.principal.clone().unwrap_or_default();
    let named = setup.principal.is_some();
    Requester {
        client_name: setup.client.client_name(),
        client_version: setup.client.client_version(),
        session: setup.session.clone(),
        identity: named.then_some(principal.id),
        identity_name: principal.name,
        identity_client: principal.client_id,
        correlation_id: setup.correlation_id.clone(),
    }
}

/// Who the request's bearer token names, as [`crate::auth`] found it.
fn principal(context: &RequestContext<RoleServer>) -> Option<crate::principal::Principal> {
    context
        .extensions
        .get::<http::request::Parts>()
        .and_then(crate::auth::Identity::of)
        .map(|i| i.principal.clone())
}

/// The key this caller's requests are listed under: its identity, else its session.
fn owner_of(context: &RequestContext<RoleServer>) -> String {
    let principal = principal(context);
    Requester {
        session: session_id(context),
        identity: principal.map(|p| p.id),
        ..Requester::default()
    }
    .owner()
}

/// The answer for a request that is still under way.
fn still_pending(id: &str, request: Option<&Request>) -> Value {
    let status = request
        .map(|r| r.status)
        .filter(|s| !s.is_final())
        .unwrap_or(RequestStatus::Running);
    let waiting_for = request
        .and_then(|r| r.waiting_for.clone())
        .unwrap_or_else(|| "the tool to finish".into());
    json!({
        "status": status.label(),
        "requestId": id,
        "waitingFor": waiting_for,
        "message": format!(
            "Request {id} is not finished yet ({}: {waiting_for}). It goes on without you: do not call the tool again (that would make a second request); check back with {} {{\"requestId\": \"{id}\"}} in a minute, or cancel it with {}.",
            status.label(),
            crate::requests::tools::GET_TOOL,
            crate::requests::tools::CANCEL_TOOL
        ),
    })
}

/// The correlation id for a request: the client's `_meta.correlation_id`,
/// else its `X-Correlation-ID` header, else a new one.
fn correlation_id(request: &CallToolRequestParams, context: &RequestContext<RoleServer>) -> String {
    let from_meta = request
        .meta
        .as_ref()
        .and_then(|m| m.get("correlation_id"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let from_context_meta = context
        .meta
        .get("correlation_id")
        .and_then(Value::as_str)
        .map(str::to_string);
    let from_header = context
        .extensions
        .get::<http::request::Parts>()
        .and_then(|p| p.headers.get(CORRELATION_HEADER))
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    from_meta
        .or(from_context_meta)
        .or(from_header)
        .filter(|id| !id.is_empty() && id.len() <= 128 && id.chars().all(|c| c.is_ascii_graphic()))
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

fn session_id(context: &RequestContext<RoleServer>) -> Option<String> {
    context
        .extensions
        .get::<http::request::Parts>()
        .and_then(|p| p.headers.get("mcp-session-id"))
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

impl ServerHandler for McpHandler {
    fn get_info(&self) -> ServerConfig {
        let mut instructions = String::from(
            "vmware-mcp: inspect and operate VMware vSphere. Tools are named infra.vmware.<group>.<tool>. \
             VM, host, folder and cluster arguments accept a plain name, an inventory path (DC0/vm/web/db1) or an id (vm-42). \
             State-changing tools need an approval from the server's policy or an operator.",
        );
        if self.app.demo {
            instructions.push(' ');
            instructions.push_str(crate::mcp::result::DEMO_NOTICE);
        }
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_tasks()
                .build(),
        )
        .with_server_info(Implementation::new("vmware-mcp", env!("CARGO_PKG_VERSION")))
        .with_instructions(instructions)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(mcp_tools(
            &self.app.registry,
        )))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let origin = CallOrigin {
            correlation_id: correlation_id(&request, &context),
            session: session_id(&context),
            client: Some(
                McpClient::of(&request, &context).with_server_stopping(self.stopping.clone()),
            ),
            principal: principal(&context),
        };
        // A client that declares the Tasks extension on this very request
        // gets a task for a call that may change state, and follows the
        // request with tasks/get. A declaration at initialize alone is not
        // taken as a promise to handle a task in place of a result: clients
        // that make it (the Inspector CLI 2.12) still read plain results.
        let asks_for_task = request
            .meta
            .as_ref()
            .and_then(|m| m.client_capabilities())
            .or_else(|| context.meta.client_capabilities())
            .is_some_and(|c| c.supports_tasks());
        if asks_for_task {
            return Ok(match self.start_task(request, &context).await? {
                Ok(request) => {
                    let task = TaskView::of(&request, &self.app).detailed(&request).task;
                    CallToolResponse::Task(CreateTaskResult::new(task))
                }
                Err(result) => result.into(),
            });
        }
        let mrtr_capable = elicitable(&context) == Elicitable::Mrtr;
        if mrtr::applies(&request, mrtr_capable) {
            let handler = self.clone();
            return self
                .parked
                .call(request, origin, move |tool, arguments, origin| async move {
                    handler.run(&tool, arguments, origin).await
                })
                .await;
        }
        let arguments = request.arguments.clone().unwrap_or_default();
        self.run(&request.name, arguments, origin)
            .await
            .map(Into::into)
    }
    async fn get_task(
        &self,
        request: GetTaskParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetTaskResult, ErrorData> {
        let found = self.task_request(&request.task_id)?;
        Ok(GetTaskResult::new(
            TaskView::of(&found, &self.app).detailed(&found),
        ))
    }

    async fn update_task(
        &self,
        request: UpdateTaskParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.task_request(&request.task_id)?;
        Err(ErrorData::invalid_params(
            format!(
                "task {} asks for no input: an approval is decided by an operator, not through tasks/update",
                request.task_id
            ),
            None,
        ))
    }

    async fn cancel_task(
        &self,
        request: CancelTaskParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.cancel_request(&request.task_id, &context)
            .await
            .map(|_| ())
    }

    async fn on_custom_request(
        &self,
        request: CustomRequest,
        context: RequestContext<RoleServer>,
    ) -> Result<CustomResult, ErrorData> {
        let params = request.params.unwrap_or(Value::Null);
        self.legacy_task_method(&request.method, params, context)
            .await
            .map(CustomResult)
    }
}
