//! The HTTP face of the server: MCP over Streamable HTTP at `/mcp`, and the
//! unauthenticated liveness probe at `/healthz`.

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tokio_util::sync::CancellationToken;

use crate::mcp::handler::{App, McpHandler};

/// Build the router. `allowed_hosts` guards against DNS rebinding; when the
/// server binds a non-loopback address the operator lists the names clients use.
pub fn router(app: Arc<App>, allowed_hosts: Vec<String>, shutdown: CancellationToken) -> Router {
    let mut config = StreamableHttpServerConfig::default();
    config.cancellation_token = shutdown;
    if !allowed_hosts.is_empty() {
        config = config.with_allowed_hosts(allowed_hosts);
    }
    let handler = McpHandler::new(app);
    let service = StreamableHttpService::new(move || Ok(handler.clone()), Arc::new(LocalSessionManager::default()), config);
    Router::new().nest_service("/mcp", service).route("/healthz", get(|| async { "ok\n" }))
}
