//! What `/mcp` answers before rmcp sees a request, so that HTTP status codes
//! are the ones JSON-RPC and MCP clients expect and a body cannot hold
//! memory or a connection for long:
//!
//! - a POST body is read within the body timeout (408 otherwise) and up to
//!   the size limit (413 otherwise), by [`crate::serving::body`];
//! - a body that is not JSON gets 400 with a JSON-RPC parse error (-32700);
//! - a JSON array (a batch, removed from MCP in 2025-06-18) gets 400 with an
//!   invalid-request error (-32600) saying batches are not supported;
//! - JSON that is not a JSON-RPC message gets 400 with -32600 (rmcp says 415);
//! - DELETE of a session is answered 204 (rmcp says 202, on which the Python
//!   SDK warns).
//!
//! Error bodies never repeat the input.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::serving::body::{BodyError, BodyLimits, close_after, read_limited};

/// JSON-RPC's code for a body that is not JSON.
pub const PARSE_ERROR: i64 = -32700;
/// JSON-RPC's code for JSON that is not an acceptable request.
pub const INVALID_REQUEST: i64 = -32600;

/// Axum middleware applying the rules above to `/mcp`.
pub async fn guard(
    State(limits): State<Arc<BodyLimits>>,
    request: Request,
    next: Next,
) -> Response {
    match *request.method() {
        Method::DELETE => {
            let mut response = next.run(request).await;
            if response.status() == StatusCode::ACCEPTED {
                *response.status_mut() = StatusCode::NO_CONTENT;
                *response.body_mut() = Body::empty();
                response.headers_mut().remove(header::CONTENT_TYPE);
                response.headers_mut().remove(header::CONTENT_LENGTH);
            }
            response
        }
        Method::POST if is_json(&request) => {
            let (parts, body) = request.into_parts();
            let bytes = match read_limited(&parts.headers, body, *limits).await {
                Err(BodyError::TooLarge) => return too_large(limits.max_bytes),
                Err(BodyError::TimedOut) => return body_timeout(limits.read_timeout),
                Err(BodyError::Broken) => {
                    return closing(
                        StatusCode::BAD_REQUEST,
                        "the request body could not be read\n",
                    );
                }
                Ok(bytes) => bytes,
            };
            if let Some(answer) = refuse_unparseable(&bytes) {
                return answer;
            }
            let response = next
                .run(Request::from_parts(parts, Body::from(bytes)))
                .await;
            if response.status() == StatusCode::UNSUPPORTED_MEDIA_TYPE {
                // The body is JSON with the right Content-Type, so rmcp's 415
                // means it is not a JSON-RPC message it knows.
                return rpc_error(
                    StatusCode::BAD_REQUEST,
                    INVALID_REQUEST,
                    "Invalid Request: the body is JSON but not a JSON-RPC 2.0 request, notification or response",
                );
            }
            response
        }
        _ => next.run(request).await,
    }
}

/// The parse-error or batch answer for a body, or `None` when it is one JSON
/// object (or other value) for rmcp to read.
pub fn refuse_unparseable(body: &[u8]) -> Option<Response> {
    if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(body) {
        // serde_json's message names a line and column, never the input.
        return Some(rpc_error(
            StatusCode::BAD_REQUEST,
            PARSE_ERROR,
            &format!("Parse error: the body is not valid JSON ({e})"),
        ));
    }
    if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return Some(rpc_error(
            StatusCode::BAD_REQUEST,
            INVALID_REQUEST,
            "Invalid Request: JSON-RPC batches are not supported (MCP removed them in 2025-06-18); send one message per request",
        ));
    }
    None
}

fn is_json(request: &Request) -> bool {
    request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case("application/json")
        })
}

fn too_large(max: usize) -> Response {
    let mut response = rpc_error(
        StatusCode::PAYLOAD_TOO_LARGE,
        INVALID_REQUEST,
        &format!("Invalid Request: the body exceeds {max} bytes (MCP_MAX_REQUEST_BYTES)"),
    );
    close_after(&mut response);
    response
}

fn body_timeout(timeout: Duration) -> Response {
    closing(
        StatusCode::REQUEST_TIMEOUT,
        &format!(
            "the request body did not arrive within {} s (MCP_BODY_TIMEOUT_SECS)\n",
            timeout.as_secs_f64()
        ),
    )
}

fn closing(status: StatusCode, text: &str) -> Response {
    let mut response = (status, text.to_string()).into_response();
    close_after(&mut response);
    response
}

/// A JSON-RPC error response with a null id (the request's id is unknown).
pub fn rpc_error(status: StatusCode, code: i64, message: &str) -> Response {
    (
        status,
        axum::Json(json!({
            "jsonrpc": "2.0",
            "id": null,
            "error": { "code": code, "message": message },
        })),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_pass_and_garbage_or_batches_are_refused() {
        assert!(refuse_unparseable(br#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#).is_none());
        let garbage = refuse_unparseable(b"{not json").unwrap();
        assert_eq!(garbage.status(), StatusCode::BAD_REQUEST);
        let batch = refuse_unparseable(br#" [{"jsonrpc":"2.0","id":1,"method":"ping"}]"#).unwrap();
        assert_eq!(batch.status(), StatusCode::BAD_REQUEST);
    }
}
