//! The HTTP face of the server: MCP over Streamable HTTP at `/mcp` (behind
//! the access policy), Prometheus metrics at `/metrics` (same policy), and
//! the unauthenticated probes `/healthz` and `/readyz`, which reveal nothing
//! sensitive, and, with OAuth, the protected-resource metadata at
//! `/.well-known/oauth-protected-resource` (also with `/mcp` appended). A
//! state-changing `tools/call` without the operate scope is refused by
//! [`crate::auth::scope_gate`] before rmcp sees it. `/mcp` also goes through [`crate::mcp::jsonrpc_guard`] (body
//! limits and JSON-RPC status codes). Connections are admitted and held by
//! [`crate::serving`], as on the admin port; [`PROBES`] are the paths its
//! head-room above the connection cap may reach.

use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Router, middleware};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tokio_util::sync::CancellationToken;

use crate::app::App;
use crate::auth::oauth::metadata;
use crate::auth::scope_gate::{self, ScopeGate};
use crate::mcp::call_limit::CallLimit;
use crate::mcp::handler::McpHandler;
use crate::mcp::jsonrpc_guard;
use crate::mcp::legacy_tasks;
use crate::mcp::readiness;
use crate::mcp::security::{AccessPolicy, enforce};
use crate::serving::body::BodyLimits;

/// The probes: unauthenticated, cheap, and reachable in the connection head-room.
pub const PROBES: &[&str] = &["/healthz", "/readyz"];

/// What bounds the work one request can cause.
#[derive(Clone, Debug)]
pub struct RequestLimits {
    /// Size and time limits on a request body.
    pub body: BodyLimits,
    /// The cap on concurrently executing tool calls.
    pub calls: CallLimit,
}

/// Build the router. `allowed_hosts` guards against DNS rebinding (empty allows any Host).
pub fn router(
    app: Arc<App>,
    access: AccessPolicy,
    allowed_hosts: Vec<String>,
    limits: RequestLimits,
    shutdown: CancellationToken,
) -> Router {
    let mut config = StreamableHttpServerConfig::default();
    config.cancellation_token = shutdown.clone();
    config = config
        .with_allowed_hosts(allowed_hosts)
        .with_max_request_body_bytes(limits.body.max_bytes);
    let handler = McpHandler::new(app.clone())
        .with_call_limit(limits.calls)
        .with_server_stopping(shutdown);
    let mut sessions = LocalSessionManager::default();
    sessions.session_config.keep_alive = Some(app.session_idle);
    let service =
        StreamableHttpService::new(move || Ok(handler.clone()), Arc::new(sessions), config);
    let gate = ScopeGate {
        auth: access.auth.clone(),
        changes_state: {
            let app = app.clone();
            Arc::new(move |tool: &str| app.registry.get(tool).is_some_and(|e| e.makes_requests))
        },
        call_methods: &["tools/call", legacy_tasks::CALL],
    };
    let well_known = access
        .auth
        .oauth
        .as_ref()
        .map(|oauth| Arc::new(oauth.settings().clone()));
    let protected = Router::new()
        .nest_service("/mcp", service)
        .route("/metrics", get(metrics))
        .with_state(app.clone())
        .layer(middleware::from_fn_with_state(
            legacy_tasks::Translation::new(app.clone()),
            legacy_tasks::translate,
        ))
        .layer(middleware::from_fn_with_state(gate, scope_gate::gate))
        .layer(middleware::from_fn_with_state(
            Arc::new(limits.body),
            jsonrpc_guard::guard,
        ))
        .layer(middleware::from_fn_with_state(Arc::new(access), enforce));
    let mut open = Router::new();
    if let Some(settings) = well_known {
        // The bare address, the MCP path's and the public URL's (behind a
        // proxy that serves /mcp under another path), each once.
        let paths: std::collections::BTreeSet<String> = [
            metadata::WELL_KNOWN.to_string(),
            format!("{}/mcp", metadata::WELL_KNOWN),
            format!(
                "{}{}",
                metadata::WELL_KNOWN,
                resource_path(&settings.resource)
            ),
        ]
        .into();
        for path in &paths {
            open = open.route(path, get(metadata::serve));
        }
        let open = open.with_state(settings);
        return probes(app).merge(open).merge(protected);
    }
    probes(app).merge(protected)
}

/// The resource URL's path (`/mcp`), for the path-suffixed metadata address.
fn resource_path(resource: &str) -> String {
    reqwest::Url::parse(resource)
        .map(|u| u.path().trim_end_matches('/').to_string())
        .unwrap_or_default()
}

fn probes(app: Arc<App>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route(
            "/readyz",
            get(readiness::readyz).with_state(readiness::Readiness::new(app.clone())),
        )
        .with_state(app)
}

async fn metrics(State(app): State<Arc<App>>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        app.metrics_text(),
    )
}
