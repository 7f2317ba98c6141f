//! The admin port's front door: its settings for [`crate::serving`] (the
//! serving path it shares with the MCP port), the `/healthz` probe that the
//! head-room above the connection cap is kept for, and the body guard that
//! reads every request body within a size and a time limit before a route
//! sees it. Refusals are JSON `{"error": …}`, like every admin API answer.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use crate::serving::ServeOptions;
use crate::serving::body::{BodyError, BodyLimits, close_after, read_limited};
use crate::serving::connections::ConnectionLimits;

/// The largest admin request body: a decision is a reason and a name, a few
/// KiB at most, so 64 KiB is generous.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Connections kept above the cap for `/healthz`.
pub const PROBE_RESERVE: usize = 8;

/// The admin port's probe: unauthenticated, reveals nothing.
pub const PROBES: &[&str] = &["/healthz"];

/// How the admin port bounds connections and bodies.
#[derive(Clone, Copy, Debug)]
pub struct FrontDoor {
    /// How long a client may take to send a request head (`ADMIN_HEADER_TIMEOUT_SECS`).
    pub header_timeout: Duration,
    /// The body size and time limits (`ADMIN_BODY_TIMEOUT_SECS`).
    pub body: BodyLimits,
    /// Open connections admitted for any route (`ADMIN_MAX_CONNECTIONS`).
    pub max_connections: usize,
}

impl Default for FrontDoor {
    /// The defaults the configuration also has.
    fn default() -> Self {
        FrontDoor {
            header_timeout: Duration::from_secs(10),
            body: BodyLimits {
                max_bytes: MAX_BODY_BYTES,
                read_timeout: Duration::from_secs(10),
            },
            max_connections: 256,
        }
    }
}

impl FrontDoor {
    /// The settings from the configuration (a zero timeout or cap means the smallest, 1).
    pub fn from_cli(cli: &crate::config::Cli) -> FrontDoor {
        FrontDoor {
            header_timeout: Duration::from_secs(cli.admin_header_timeout_secs.max(1)),
            body: BodyLimits {
                max_bytes: MAX_BODY_BYTES,
                read_timeout: Duration::from_secs(cli.admin_body_timeout_secs.max(1)),
            },
            max_connections: cli.admin_max_connections.max(1),
        }
    }

    /// The options for [`crate::serving::serve`].
    pub fn serve_options(&self) -> ServeOptions {
        ServeOptions {
            header_timeout: self.header_timeout,
            limits: ConnectionLimits {
                max: self.max_connections,
                reserve: PROBE_RESERVE,
            },
            probes: PROBES,
            cap_setting: "ADMIN_MAX_CONNECTIONS",
        }
    }

    /// `router` with the probe and the body guard.
    pub fn wrap(&self, router: Router) -> Router {
        router
            .route("/healthz", get(|| async { "ok\n" }))
            .layer(middleware::from_fn_with_state(
                Arc::new(self.body),
                guard_body,
            ))
    }
}

/// Read the body within the limits, so no route waits on a slow body or
/// buffers a large one; 413 or 408 (closing the connection) otherwise.
async fn guard_body(
    State(limits): State<Arc<BodyLimits>>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let refusal = match read_limited(&parts.headers, body, *limits).await {
        Ok(bytes) => {
            return next
                .run(Request::from_parts(parts, Body::from(bytes)))
                .await;
        }
        Err(BodyError::TooLarge) => (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the request body exceeds {} bytes, the admin API's limit; a decision needs only {{\"reason\": \"...\", \"approver\": \"...\"}}",
                limits.max_bytes
            ),
        ),
        Err(BodyError::TimedOut) => (
            StatusCode::REQUEST_TIMEOUT,
            format!(
                "the request body did not arrive within {} s (ADMIN_BODY_TIMEOUT_SECS)",
                limits.read_timeout.as_secs_f64()
            ),
        ),
        Err(BodyError::Broken) => (
            StatusCode::BAD_REQUEST,
            "the request body could not be read".to_string(),
        ),
    };
    let mut response = (refusal.0, axum::Json(json!({ "error": refusal.1 }))).into_response();
    close_after(&mut response);
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower::ServiceExt;

    async fn send(router: &Router, request: Request) -> (StatusCode, String) {
        let response = router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }

    #[tokio::test]
    async fn bodies_are_bounded_and_the_probe_answers() {
        let mut front = FrontDoor::default();
        front.body.read_timeout = Duration::from_millis(200);
        let router = front.wrap(Router::new().route(
            "/echo",
            axum::routing::post(|body: String| async move { body }),
        ));
        let get = |uri: &str| Request::get(uri).body(Body::empty()).unwrap();
        assert_eq!(send(&router, get("/healthz")).await.0, StatusCode::OK);
        let small = Request::post("/echo").body(Body::from("hi")).unwrap();
        assert_eq!(send(&router, small).await, (StatusCode::OK, "hi".into()));
        let large = Request::post("/echo")
            .body(Body::from(vec![b'x'; MAX_BODY_BYTES + 1]))
            .unwrap();
        let (status, text) = send(&router, large).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{text}");
        assert!(text.contains("65536 bytes"), "{text}");
        let (_sender, stream) =
            futures::channel::mpsc::unbounded::<Result<axum::body::Bytes, std::io::Error>>();
        let slow = Request::post("/echo")
            .body(Body::from_stream(stream))
            .unwrap();
        let (status, text) = send(&router, slow).await;
        assert_eq!(status, StatusCode::REQUEST_TIMEOUT, "{text}");
        assert!(text.contains("ADMIN_BODY_TIMEOUT_SECS"), "{text}");
    }
}
