//! Endpoint security for the MCP routes: bearer tokens (checked by
//! [`crate::auth`]: named tokens, the shared token, OAuth access tokens),
//! an Origin allowlist, and the start-up rule that a non-loopback bind
//! needs a token.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::auth::Authenticator;

/// What the MCP routes require of a request.
#[derive(Clone, Debug, Default)]
pub struct AccessPolicy {
    /// The credentials clients must present; none configured means no authentication.
    pub auth: Arc<Authenticator>,
    /// Origins allowed to call (`scheme://host[:port]`); empty allows any or none sent.
    pub allowed_origins: Vec<String>,
}

/// Whether `bind` is a loopback address or name (one rule for the MCP
/// bind, the admin bind and the OAuth issuer).
pub fn is_loopback(bind: &str) -> bool {
    crate::auth::oauth::settings::is_loopback(bind)
}

/// Refuse to serve a non-loopback address without a token, unless explicitly allowed.
pub fn check_bind(bind: &str, has_token: bool, allow_unauthenticated: bool) -> anyhow::Result<()> {
    if is_loopback(bind) || has_token {
        return Ok(());
    }
    if allow_unauthenticated {
        tracing::warn!(
            bind,
            "SECURITY: serving MCP on a non-loopback address WITHOUT authentication because MCP_ALLOW_UNAUTHENTICATED=true; anyone who can reach this port can operate vSphere within the approval policy"
        );
        return Ok(());
    }
    anyhow::bail!(
        "refusing to serve MCP on non-loopback address {bind} without a bearer token: set MCP_AUTH_TOKEN_SECRET_PATH to a file holding the token (or MCP_TOKENS_PATH, or OAUTH_ISSUER), bind to 127.0.0.1, or set MCP_ALLOW_UNAUTHENTICATED=true to accept the risk"
    )
}

/// Axum middleware enforcing the Origin allowlist (403) and the credentials
/// (401, or 403 for a token without the read scope); the caller's identity
/// is put into the request's extensions.
pub async fn enforce(
    State(policy): State<Arc<AccessPolicy>>,
    request: Request<Body>,
    next: Next,
) -> Response {
    if let Some(origin) = request.headers().get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("");
        if !policy.allowed_origins.is_empty()
            && !policy
                .allowed_origins
                .iter()
                .any(|o| o.eq_ignore_ascii_case(origin))
        {
            tracing::warn!(origin, "request refused: Origin not in MCP_ALLOWED_ORIGINS");
            return (StatusCode::FORBIDDEN, format!("Origin {origin} is not allowed; allowed origins are set with MCP_ALLOWED_ORIGINS\n")).into_response();
        }
    }
    let mut request = request;
    match policy
        .auth
        .check(request.headers(), request.uri().path())
        .await
    {
        Ok(Some(identity)) => {
            request.extensions_mut().insert(identity);
        }
        Ok(None) => {}
        Err(refusal) => return *refusal,
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_detection() {
        for b in ["127.0.0.1", "::1", "[::1]", "localhost", "127.1.2.3"] {
            assert!(is_loopback(b), "{b}");
        }
        for b in ["0.0.0.0", "10.0.0.5", "::", "example.com"] {
            assert!(!is_loopback(b), "{b}");
        }
    }

    #[test]
    fn non_loopback_without_token_is_refused_unless_allowed() {
        let e = check_bind("0.0.0.0", false, false).unwrap_err().to_string();
        assert!(
            e.contains("MCP_AUTH_TOKEN_SECRET_PATH") && e.contains("MCP_ALLOW_UNAUTHENTICATED"),
            "{e}"
        );
        assert!(check_bind("0.0.0.0", true, false).is_ok());
        assert!(check_bind("0.0.0.0", false, true).is_ok());
        assert!(check_bind("127.0.0.1", false, false).is_ok());
    }
}
