//! Endpoint security for the MCP routes: a bearer token, an Origin allowlist,
//! and the start-up rule that a non-loopback bind needs a token.

use std::net::IpAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// A secret read from a file: never printed, compared in constant time.
#[derive(Clone)]
pub struct Secret(Arc<str>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl Secret {
    /// Read a secret file, trimming one trailing newline (as `echo` and editors
    /// leave); an empty or white-space-only file is an error naming `variable`.
    pub fn from_file(variable: &str, path: &std::path::Path) -> anyhow::Result<Secret> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            anyhow::anyhow!(
                "{variable}={}: cannot read the secret file: {e}",
                path.display()
            )
        })?;
        let trimmed = text
            .strip_suffix('\n')
            .map(|t| t.strip_suffix('\r').unwrap_or(t))
            .unwrap_or(&text);
        anyhow::ensure!(
            !trimmed.is_empty(),
            "{variable}={}: the secret file is empty",
            path.display()
        );
        // A token of only white space can never be presented (clients and
        // this server trim it from the header), so every request would get
        // 401: refuse it at start instead.
        anyhow::ensure!(
            !trimmed.trim().is_empty(),
            "{variable}={}: the secret file holds only white space; write the token into it",
            path.display()
        );
        Ok(Secret(Arc::from(trimmed)))
    }

    /// Build from a string (tests and derived secrets).
    pub fn new(value: &str) -> Secret {
        Secret(Arc::from(value))
    }

    /// The secret's text, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Constant-time equality, so a token cannot be guessed byte by byte from timing.
    pub fn matches(&self, candidate: &str) -> bool {
        let a = self.0.as_bytes();
        let b = candidate.as_bytes();
        let mut diff = a.len() ^ b.len();
        for i in 0..a.len().max(b.len()) {
            diff |= (*a.get(i).unwrap_or(&0) ^ *b.get(i).unwrap_or(&0)) as usize;
        }
        diff == 0
    }
}

/// What the MCP routes require of a request.
#[derive(Clone, Debug, Default)]
pub struct AccessPolicy {
    /// The bearer token clients must send; `None` means no authentication.
    pub token: Option<Secret>,
    /// Origins allowed to call (`scheme://host[:port]`); empty allows any or none sent.
    pub allowed_origins: Vec<String>,
}

/// Whether `bind` is a loopback address or name.
pub fn is_loopback(bind: &str) -> bool {
    let host = bind.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<IpAddr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false)
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
        "refusing to serve MCP on non-loopback address {bind} without a bearer token: set MCP_AUTH_TOKEN_SECRET_PATH to a file holding the token, bind to 127.0.0.1, or set MCP_ALLOW_UNAUTHENTICATED=true to accept the risk"
    )
}

/// Axum middleware enforcing the Origin allowlist (403) and the bearer token (401).
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
    if let Some(token) = &policy.token {
        let presented = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            });
        if !presented.is_some_and(|p| token.matches(p.trim())) {
            tracing::warn!(path = %request.uri().path(), had_credentials = presented.is_some(), "request refused: missing or wrong bearer token");
            let mut response = (
                StatusCode::UNAUTHORIZED,
                "a valid bearer token is required (Authorization: Bearer <token>)\n",
            )
                .into_response();
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"vmware-mcp\""),
            );
            return response;
        }
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

    #[test]
    fn secrets_compare_exactly_and_never_print() {
        let s = Secret::new("tok-123");
        assert!(s.matches("tok-123"));
        assert!(!s.matches("tok-12") && !s.matches("tok-1234") && !s.matches(""));
        assert_eq!(format!("{s:?}"), "Secret(***)");
    }

    #[test]
    fn secret_files_lose_one_trailing_newline() {
        let dir = std::env::temp_dir().join(format!("vmware-mcp-secret-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("s");
        std::fs::write(&p, "abc\n").unwrap();
        assert!(Secret::from_file("X", &p).unwrap().matches("abc"));
        std::fs::write(&p, "").unwrap();
        assert!(
            Secret::from_file("X", &p)
                .unwrap_err()
                .to_string()
                .contains("empty")
        );
        std::fs::write(&p, " \t\n\n").unwrap();
        let blank = Secret::from_file("X", &p).unwrap_err().to_string();
        assert!(
            blank.starts_with("X=") && blank.contains("only white space"),
            "{blank}"
        );
        let missing = Secret::from_file("X", &dir.join("nope"))
            .unwrap_err()
            .to_string();
        assert!(
            missing.starts_with("X=") && missing.contains("cannot read"),
            "{missing}"
        );
    }
}
