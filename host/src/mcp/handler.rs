//! The rmcp server handler: lists the registry's tools and runs calls
//! through argument checks, the plugin runtime, metrics and logging.

use std::sync::Arc;
use std::time::Instant;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, Implementation, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::{Map, Value};

use crate::app::App;
use crate::approval::client::ClientLink;
use crate::approval::grants::CallGrants;
use crate::mcp::call_limit::CallLimit;
use crate::mcp::link::{CallOrigin, Elicitable, McpClient, elicitable};
use crate::mcp::mrtr::{self, ParkedCalls};
use crate::mcp::result::{ResultMeta, failure, success};
use crate::mcp::tool_list::mcp_tools;
use crate::registry::ToolTarget;
use crate::runtime::CallError;
use crate::runtime::state::CallEnv;
use crate::telemetry::metrics::names;
use crate::vocabulary::VsError;
use crate::vsphere::CallContext;

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
}

impl McpHandler {
    /// A handler over the shared app, with the default call limit.
    pub fn new(app: Arc<App>) -> Self {
        McpHandler {
            app,
            limit: CallLimit::default(),
            parked: ParkedCalls::default(),
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
            client,
        } = origin;
        let client = client
            .map(|c| ClientLink::new(Arc::new(c)))
            .unwrap_or_default();
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
                                progress: client.task_progress_hook(),
                                ..Default::default()
                            },
                            session,
                            client,
                            grants: CallGrants::default(),
                            locks: Default::default(),
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
            Ok(value) => success(value, entry.output_schema.is_some(), &meta),
            Err(e) => failure(&e, &meta),
        })
    }
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
            client: Some(McpClient::of(&request, &context)),
        };
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
}
