//! The admin API's routes: list, show, approve and deny pending approvals,
//! behind the admin bearer token; plus the web page.
//!
//! | route | what |
//! |---|---|
//! | `GET /api/approvals` | `{"pending": [...], "recent": [...]}` |
//! | `GET /api/approvals/{id}` | one approval |
//! | `POST /api/approvals/{id}/approve` | body `{"reason"?, "approver"?}` |
//! | `POST /api/approvals/{id}/deny` | body `{"reason", "approver"?}`; reason required |
//! | `GET /approvals` | the web page (static; it asks for the token) |
//!
//! Errors are JSON `{"error": "..."}`: 401 without a valid token, 404 for an
//! unknown id, 409 when already decided (with the approval), 400 for a bad body,
//! 403 when the policy's `require_distinct_approver` refuses the approver.
//!
//! A decision made with a named admin token (`ADMIN_TOKENS_PATH`) is recorded
//! under the token's label, whatever name the body gives; with the shared
//! token, under the body's `approver` (the operator's own word).

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::page;
use crate::approval::pending::{
    DecideError, MAX_APPROVER_CHARS, MAX_REASON_CHARS, OperatorDecision, PendingApprovals, sanitize,
};
use crate::auth::named_tokens::NamedTokens;
use crate::config::Secret;
use crate::serving::bearer;

/// The name recorded when an operator gives none.
const UNNAMED: &str = crate::approval::pending::UNNAMED_APPROVER;

/// The tokens the admin API accepts.
#[derive(Debug, Clone)]
pub struct AdminTokens {
    /// The shared admin token (`ADMIN_TOKEN_SECRET_PATH`, or the demo's).
    pub shared: Secret,
    /// Each operator's own token (`ADMIN_TOKENS_PATH`), by label.
    pub named: NamedTokens,
}

impl AdminTokens {
    /// Only the shared token.
    pub fn shared(token: Secret) -> AdminTokens {
        AdminTokens {
            shared: token,
            named: NamedTokens::default(),
        }
    }
}

/// The operator a named admin token names, put into the request's extensions.
#[derive(Debug, Clone)]
struct Operator(String);

/// Build the admin router.
pub fn router(pending: Arc<PendingApprovals>, tokens: AdminTokens) -> Router {
    let api = Router::new()
        .route("/api/approvals", get(list))
        .route("/api/approvals/{id}", get(show))
        .route("/api/approvals/{id}/approve", post(approve))
        .route("/api/approvals/{id}/deny", post(deny))
        .with_state(pending)
        .layer(middleware::from_fn_with_state(
            Arc::new(tokens),
            require_token,
        ));
    Router::new()
        .route("/", get(|| async { Redirect::to("/approvals") }))
        .route("/approvals", get(page::page))
        .merge(api)
        .fallback(|| async {
            error(
                StatusCode::NOT_FOUND,
                "no such admin route; see /approvals and /api/approvals",
            )
        })
}

/// A JSON error body with `status`.
fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

/// 401 unless the request carries the admin token; API answers are never cached.
async fn require_token(
    State(tokens): State<Arc<AdminTokens>>,
    mut request: Request<Body>,
    next: Next,
) -> Response {
    let presented = bearer::presented(request.headers());
    let named = presented.and_then(|p| tokens.named.find(p.trim()));
    if let Some(identity) = named {
        request
            .extensions_mut()
            .insert(Operator(identity.principal.id.clone()));
    } else if !presented.is_some_and(|p| tokens.shared.matches(p.trim())) {
        tracing::warn!(path = %request.uri().path(), had_credentials = presented.is_some(), "admin API request refused: missing or wrong admin token");
        let mut response = error(
            StatusCode::UNAUTHORIZED,
            "a valid admin token is required (Authorization: Bearer <token from ADMIN_TOKEN_SECRET_PATH>)",
        );
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"vmware-mcp-admin\""),
        );
        return response;
    }
    let mut response = next.run(request).await;
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn list(State(pending): State<Arc<PendingApprovals>>) -> Response {
    let (pending, recent) = pending.list();
    Json(json!({ "pending": pending, "recent": recent })).into_response()
}

async fn show(State(pending): State<Arc<PendingApprovals>>, Path(id): Path<String>) -> Response {
    match pending.get(&id) {
        Some(view) => Json(view).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            format!(
                "no approval with id {:?} is known to this server",
                sanitize(&id, 80)
            ),
        ),
    }
}

/// The body of approve and deny.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DecisionBody {
    reason: Option<String>,
    approver: Option<String>,
}

/// Parse a decision body; an empty body is an empty decision.
fn body(bytes: &Bytes, operator: Option<&Operator>) -> Result<(String, Option<String>), String> {
    let parsed: DecisionBody = if bytes.iter().all(u8::is_ascii_whitespace) {
        DecisionBody::default()
    } else {
        serde_json::from_slice(bytes).map_err(|e| {
            format!(
                "the body must be JSON like {{\"reason\": \"...\", \"approver\": \"alice\"}}: {e}"
            )
        })?
    };
    let approver = operator
        .map(|o| o.0.clone())
        .or(parsed.approver)
        .map(|a| sanitize(&a, MAX_APPROVER_CHARS))
        .filter(|a| !a.is_empty())
        .unwrap_or_else(|| UNNAMED.to_string());
    let reason = parsed
        .reason
        .map(|r| sanitize(&r, MAX_REASON_CHARS))
        .filter(|r| !r.is_empty());
    Ok((approver, reason))
}

fn decide(pending: &PendingApprovals, id: &str, decision: OperatorDecision) -> Response {
    match pending.decide(id, decision) {
        Ok(view) => {
            tracing::info!(approval_id = %view.id, status = view.status.label(), decided_by = view.decided_by.as_deref().unwrap_or(""), "approval decided through the admin API");
            Json(view).into_response()
        }
        Err(DecideError::NotFound(_)) => error(
            StatusCode::NOT_FOUND,
            format!(
                "no approval with id {:?} is known to this server",
                sanitize(id, 80)
            ),
        ),
        Err(e @ DecideError::OwnRequest(..)) => {
            tracing::warn!(approval_id = %sanitize(id, 80), "approval refused: the approver asked for it (require_distinct_approver)");
            error(StatusCode::FORBIDDEN, e.to_string())
        }
        Err(e @ DecideError::Unnamed) => error(StatusCode::BAD_REQUEST, e.to_string()),
        Err(DecideError::AlreadyDecided(view)) => {
            let message = format!("approval {} is already {}", view.id, view.status.label());
            (
                StatusCode::CONFLICT,
                Json(json!({ "error": message, "approval": view })),
            )
                .into_response()
        }
    }
}

async fn approve(
    State(pending): State<Arc<PendingApprovals>>,
    Path(id): Path<String>,
    operator: Option<axum::Extension<Operator>>,
    bytes: Bytes,
) -> Response {
    match body(&bytes, operator.as_deref()) {
        Ok((approver, reason)) => decide(
            &pending,
            &id,
            OperatorDecision::Approve { approver, reason },
        ),
        Err(problem) => error(StatusCode::BAD_REQUEST, problem),
    }
}

async fn deny(
    State(pending): State<Arc<PendingApprovals>>,
    Path(id): Path<String>,
    operator: Option<axum::Extension<Operator>>,
    bytes: Bytes,
) -> Response {
    match body(&bytes, operator.as_deref()) {
        Ok((approver, Some(reason))) => {
            decide(&pending, &id, OperatorDecision::Deny { approver, reason })
        }
        Ok((_, None)) => error(
            StatusCode::BAD_REQUEST,
            "a denial needs a reason (the agent is told it): send {\"reason\": \"...\"}",
        ),
        Err(problem) => error(StatusCode::BAD_REQUEST, problem),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    use crate::approval::pending::{ApprovalRequest, Status};

    async fn send(
        router: &Router,
        method: &str,
        uri: &str,
        token: Option<&str>,
        body: &str,
    ) -> (StatusCode, serde_json::Value) {
        use tower::ServiceExt;
        let mut builder = axum::http::Request::builder().method(method).uri(uri);
        if let Some(t) = token {
            builder = builder.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let response = router
            .clone()
            .oneshot(builder.body(Body::from(body.to_string())).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        )
    }

    fn request() -> ApprovalRequest {
        ApprovalRequest {
            tool: "infra.vmware.vms.powerOffVm".into(),
            operation: "power-off".into(),
            summary: "Power off web-1".into(),
            targets: vec![],
            methods: vec!["PowerOffVM_Task".into()],
            arguments: json!({}),
            session: None,
            correlation_id: "c".into(),
            requested_by: None,
            requester_identity: None,
            requester_client: None,
        }
    }

    #[tokio::test]
    async fn the_api_needs_the_token_and_decides_once() {
        let store = Arc::new(PendingApprovals::new());
        let router = router(store.clone(), AdminTokens::shared(Secret::new("s3cret")));
        let w = store
            .create(request(), Duration::from_secs(60), None)
            .unwrap();
        for token in [None, Some("wrong"), Some("s3cre")] {
            let (status, _) = send(&router, "GET", "/api/approvals", token, "").await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{token:?}");
            let (status, _) = send(
                &router,
                "POST",
                &format!("/api/approvals/{}/approve", w.id),
                token,
                "",
            )
            .await;
            assert_eq!(status, StatusCode::UNAUTHORIZED);
        }
        assert_eq!(store.get(&w.id).unwrap().status, Status::Pending);
        let (status, list) = send(&router, "GET", "/api/approvals", Some("s3cret"), "").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(list["pending"][0]["id"], w.id.as_str());
        let (status, _) = send(
            &router,
            "POST",
            &format!("/api/approvals/{}/deny", w.id),
            Some("s3cret"),
            "{}",
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "deny needs a reason");
        let (status, _) = send(
            &router,
            "POST",
            &format!("/api/approvals/{}/approve", w.id),
            Some("s3cret"),
            "{\"nope\":1}",
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (status, view) = send(
            &router,
            "POST",
            &format!("/api/approvals/{}/approve", w.id),
            Some("s3cret"),
            r#"{"approver":"alice","reason":"ok"}"#,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(view["status"], "approved");
        assert_eq!(view["decided_by"], "operator:alice");
        let (status, again) = send(
            &router,
            "POST",
            &format!("/api/approvals/{}/deny", w.id),
            Some("s3cret"),
            r#"{"reason":"late"}"#,
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(again["approval"]["status"], "approved");
        let (status, _) = send(
            &router,
            "GET",
            "/api/approvals/apr-unknown",
            Some("s3cret"),
            "",
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn the_page_is_served_without_the_token() {
        let router = router(
            Arc::new(PendingApprovals::new()),
            AdminTokens::shared(Secret::new("t")),
        );
        use tower::ServiceExt;
        let response = router
            .oneshot(
                axum::http::Request::builder()
                    .uri("/approvals")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let csp = response
            .headers()
            .get(header::CONTENT_SECURITY_POLICY)
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        assert!(csp.contains("default-src 'none'"), "{csp}");
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        let html = String::from_utf8(bytes.to_vec()).unwrap();
        assert!(
            html.contains("/api/approvals")
                && !html.contains("http://")
                && !html.contains("https://"),
            "self-contained"
        );
    }
}
