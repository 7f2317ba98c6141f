//! The operate scope, checked before a state-changing tool call reaches the
//! MCP handler: a `tools/call` of a tool that makes approval requests, from
//! a caller whose token lacks the operate scope, is answered HTTP 403 with
//! `WWW-Authenticate: Bearer error="insufficient_scope"` naming the scopes
//! (the MCP authorization spec's step-up challenge, which MCP clients
//! handle by asking for a token with more scopes). No request, approval or
//! audit line is made for it. Runs after [`crate::mcp::jsonrpc_guard`], so
//! the body is already read and bounded.

use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use serde_json::Value;

use crate::auth::identity::Identity;
use crate::auth::layer::Authenticator;

/// What the gate needs: the credentials (for the scope names and the
/// challenge) and which tools change state.
#[derive(Clone)]
pub struct ScopeGate {
    /// The MCP port's authenticator.
    pub auth: Arc<Authenticator>,
    /// Whether a tool (by full name) may change state.
    pub changes_state: Arc<dyn Fn(&str) -> bool + Send + Sync>,
    /// The JSON-RPC methods that call a tool (`tools/call`, and any alias
    /// the MCP port accepts), whose `params.name` is the tool.
    pub call_methods: &'static [&'static str],
}

/// Axum middleware refusing state-changing calls without the operate scope.
pub async fn gate(State(gate): State<ScopeGate>, request: Request, next: Next) -> Response {
    let operate = gate.auth.operate_scope();
    let lacking = request
        .extensions()
        .get::<Identity>()
        .is_some_and(|i| !i.may(operate));
    if !lacking || request.method() != Method::POST {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let bytes = match to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(_) => return next.run(Request::from_parts(parts, Body::empty())).await,
    };
    let message: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let method = message.get("method").and_then(Value::as_str);
    let tool = method
        .is_some_and(|m| gate.call_methods.contains(&m))
        .then(|| message.pointer("/params/name").and_then(Value::as_str))
        .flatten();
    if let Some(tool) = tool.filter(|t| (gate.changes_state)(t)) {
        let who = Identity::of_extensions(&parts.extensions)
            .map(|i| i.principal.label().to_string())
            .unwrap_or_default();
        tracing::warn!(identity = %who, tool, scope = operate, "tool call refused before any request: the token lacks the operate scope");
        let read = gate.auth.read_scope();
        return gate
            .auth
            .insufficient_scope(&[read, operate], &format!("the state-changing tool {tool}"));
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}
