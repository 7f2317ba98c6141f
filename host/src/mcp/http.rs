//! The HTTP face of the server: MCP over Streamable HTTP at `/mcp` (behind
//! the access policy), Prometheus metrics at `/metrics` (same policy), and
//! the unauthenticated probes `/healthz` and `/readyz`, which reveal nothing
//! sensitive.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router, middleware};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::mcp::handler::{App, McpHandler};
use crate::mcp::security::{AccessPolicy, enforce};

/// Build the router. `allowed_hosts` guards against DNS rebinding (empty allows any Host).
pub fn router(
    app: Arc<App>,
    access: AccessPolicy,
    allowed_hosts: Vec<String>,
    shutdown: CancellationToken,
) -> Router {
    let mut config = StreamableHttpServerConfig::default();
    config.cancellation_token = shutdown;
    config = config.with_allowed_hosts(allowed_hosts);
    let handler = McpHandler::new(app.clone());
    let mut sessions = LocalSessionManager::default();
    sessions.session_config.keep_alive = Some(app.session_idle);
    let service =
        StreamableHttpService::new(move || Ok(handler.clone()), Arc::new(sessions), config);
    let protected = Router::new()
        .nest_service("/mcp", service)
        .route("/metrics", get(metrics))
        .with_state(app.clone())
        .layer(middleware::from_fn_with_state(Arc::new(access), enforce));
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .with_state(app)
        .merge(protected)
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

async fn readyz(State(app): State<Arc<App>>) -> impl IntoResponse {
    let backend_ready = app.services.gateway.backend().is_ready().await;
    let plugins = app.registry.plugin_count();
    let index = app.services.inventory.status();
    // The index follows vCenter's update stream, so it is also the probe
    // that notices a stalled or unreachable vCenter within seconds.
    let vsphere = match (backend_ready, index.state) {
        (false, _) => "down",
        (true, "live") => "up",
        (true, "stalled") => "stalled",
        (true, "starting") => "starting",
        (true, _) => "down",
    };
    let ready = vsphere == "up" && plugins > 0;
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(json!({
            "ready": ready,
            "vsphere": vsphere,
            "pluginsLoaded": plugins,
            "inventory": { "state": index.state, "live": index.live, "objects": index.objects, "reason": index.reason },
        })),
    )
}
