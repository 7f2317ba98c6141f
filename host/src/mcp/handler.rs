//! The rmcp server handler: lists the registry's tools and runs calls
//! through argument checks, the plugin runtime, metrics and logging.

use std::sync::Arc;
use std::time::Instant;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, Implementation, ListToolsResult,
    PaginatedRequestParams, ProgressNotificationParam, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::{Map, Value};

use crate::approval::client::ClientLink;
use crate::approval::grants::CallGrants;
use crate::error::VsError;
use crate::mcp::call_limit::CallLimit;
use crate::mcp::registry::{ToolRegistry, ToolTarget};
use crate::mcp::result::{ResultMeta, failure, success};
use crate::runtime::state::{CallEnv, HostServices};
use crate::runtime::{CallError, PluginRuntime};
use crate::telemetry::metrics::names;
use crate::vsphere::{CallContext, ProgressHook};

/// The header a client may send its own correlation id in.
pub const CORRELATION_HEADER: &str = "x-correlation-id";

/// Everything a call needs; shared by all MCP sessions.
pub struct App {
    /// Registered tools.
    pub registry: ToolRegistry,
    /// The wasm runtime.
    pub runtime: Arc<PluginRuntime>,
    /// Gateway, approvals, metrics.
    pub services: Arc<HostServices>,
    /// Whether the simulated inventory is in use.
    pub demo: bool,
    /// How long an MCP session may stay silent before it is closed: longer
    /// than the longest approval wait, so that a call waiting for an
    /// operator never loses its session (and its answer) to the idle limit.
    pub session_idle: std::time::Duration,
}

impl App {
    /// Copy the backend's own counters into the registry, then render it as JSON.
    pub fn metrics_json(&self) -> Value {
        self.refresh_backend_counters();
        self.services.metrics.to_json()
    }

    /// Copy the backend's own counters into the registry, then render Prometheus text.
    pub fn metrics_text(&self) -> String {
        self.refresh_backend_counters();
        self.services.metrics.to_prometheus()
    }

    fn refresh_backend_counters(&self) {
        let counters = self.services.gateway.backend().counters();
        let metrics = &self.services.metrics;
        metrics.set_total(names::RELOGINS, vec![], counters.relogins as f64);
        metrics.set_total(names::VCENTER_REQUESTS, vec![], counters.requests as f64);
        let index = self.services.inventory.status();
        metrics.set(names::INVENTORY_OBJECTS, vec![], index.objects as f64);
        metrics.set(
            names::INVENTORY_LIVE,
            vec![],
            if index.live { 1.0 } else { 0.0 },
        );
    }

    /// Release what the server holds outside the process (the vCenter session).
    pub async fn shutdown(&self) {
        self.services.gateway.backend().shutdown().await;
    }
}

/// One MCP connection's handler (cheap to clone; state is in `App`, and the
/// call limit is shared by every clone).
#[derive(Clone)]
pub struct McpHandler {
    app: Arc<App>,
    limit: CallLimit,
}

impl McpHandler {
    /// A handler over the shared app, with the default call limit.
    pub fn new(app: Arc<App>) -> Self {
        McpHandler {
            app,
            limit: CallLimit::default(),
        }
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
            progress,
            client,
        } = origin;
        let app = &self.app;
        let Some(entry) = app.registry.get(name) else {
            return Err(ErrorData::invalid_params(
                format!(
                    "unknown tool `{}`; valid tools: {}",
                    crate::mcp::quote::prefix(name),
                    app.registry.names().join(", ")
                ),
                None,
            ));
        };
        let meta = ResultMeta {
            correlation_id: &correlation_id,
            demo: app.demo,
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
        tracing::info!(correlation_id = %correlation_id, tool = name, "tool call started");

        let outcome: Result<Value, VsError> =
            match crate::mcp::args::check(name, &entry.input_schema, &Value::Object(arguments)) {
                Err(message) => Err(VsError::InvalidArgument(message)),
                Ok(arguments) => match &entry.target {
                    ToolTarget::Metrics => Ok(app.metrics_json()),
                    ToolTarget::Plugin { plugin, name: tool } => {
                        let env = Arc::new(CallEnv {
                            tool: name.to_string(),
                            ctx: CallContext {
                                correlation_id: correlation_id.clone(),
                                progress,
                            },
                            session,
                            client,
                            grants: CallGrants::default(),
                            services: app.services.clone(),
                            runtime: tokio::runtime::Handle::current(),
                        });
                        let args_text = Value::Object(arguments).to_string();
                        match app.runtime.call(plugin, tool, args_text, env).await {
                            Ok(text) => serde_json::from_str(&text).map_err(|e| {
                                VsError::Internal(format!(
                                    "plugin `{}` returned a result that is not JSON: {e}",
                                    plugin.identity.group
                                ))
                            }),
                            Err(CallError::Tool(e)) => Err(e),
                            Err(CallError::Plugin { kind, error }) => {
                                app.services.metrics.inc(
                                    names::PLUGIN_FAILURES,
                                    vec![
                                        ("plugin", plugin.identity.group.clone()),
                                        ("kind", kind.to_string()),
                                    ],
                                );
                                Err(error)
                            }
                        }
                    }
                },
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
            Ok(value) => success(value, entry.has_output_schema, &meta),
            Err(e) => failure(&e, &meta),
        })
    }
}

/// Who asked for a call and how to reach them while it runs.
#[derive(Debug, Default)]
pub struct CallOrigin {
    /// The correlation id (client-supplied or generated).
    pub correlation_id: String,
    /// The MCP session id, when the transport has sessions.
    pub session: Option<String>,
    /// Forwards vSphere task progress as MCP progress notifications, when the client asked for them.
    pub progress: Option<ProgressHook>,
    /// How approvals reach the client while the call waits (progress, elicitation, cancellation).
    pub client: ClientLink,
}

/// A hook sending MCP progress notifications, when the request carries a progress token.
fn progress_hook(
    request: &CallToolRequestParams,
    context: &RequestContext<RoleServer>,
) -> Option<ProgressHook> {
    let token = request
        .meta
        .as_ref()
        .and_then(|m| m.get_progress_token())
        .or_else(|| context.meta.get_progress_token())?;
    let peer = context.peer.clone();
    let runtime = tokio::runtime::Handle::current();
    Some(ProgressHook::new(move |percent, message| {
        let peer = peer.clone();
        let param = ProgressNotificationParam::new(token.clone(), f64::from(percent))
            .with_total(100.0)
            .with_message(message);
        runtime.spawn(async move {
            if let Err(e) = peer.notify_progress(param).await {
                tracing::debug!(error = %e, "could not send a progress notification");
            }
        });
    }))
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
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("vmware-mcp", env!("CARGO_PKG_VERSION")))
            .with_instructions(instructions)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.app.registry.tools()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let origin = CallOrigin {
            correlation_id: correlation_id(&request, &context),
            session: session_id(&context),
            progress: progress_hook(&request, &context),
            client: crate::mcp::link::client_link(&request, &context),
        };
        let mrtr_capable =
            crate::mcp::link::elicitable(&context) == crate::mcp::link::Elicitable::Mrtr;
        if crate::mcp::mrtr::applies(&request, mrtr_capable) {
            return crate::mcp::mrtr::call(self.clone(), request, origin).await;
        }
        let arguments = request.arguments.clone().unwrap_or_default();
        self.run(&request.name, arguments, origin)
            .await
            .map(Into::into)
    }
}
