//! The MCP port's authentication: which bearer tokens are accepted, and the
//! answer to a request without an acceptable one. A token is tried against
//! the named tokens, then the shared token, then (when it is a JWT and
//! OAuth is configured) the issuer's keys; the caller's [`Identity`] (none
//! for the shared token, which names nobody) goes into the request's
//! extensions. Refusals are logged with the reason, never with the token.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::auth::identity::Identity;
use crate::auth::named_tokens::NamedTokens;
use crate::auth::oauth::{TokenError, Validator, metadata};
use crate::config::Secret;
use crate::serving::bearer;

/// The accepted credentials.
#[derive(Default)]
pub struct Authenticator {
    /// The one shared token (`MCP_AUTH_TOKEN_SECRET_PATH`).
    pub shared: Option<Secret>,
    /// Each agent's own token (`MCP_TOKENS_PATH`).
    pub named: NamedTokens,
    /// OAuth access tokens (`OAUTH_ISSUER`).
    pub oauth: Option<Validator>,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("shared", &self.shared.is_some())
            .field("named", &self.named.len())
            .field("oauth", &self.oauth.as_ref().map(|v| &v.settings().issuer))
            .finish()
    }
}

impl Authenticator {
    /// Whether any credential is required at all.
    pub fn is_enabled(&self) -> bool {
        self.shared.is_some() || !self.named.is_empty() || self.oauth.is_some()
    }

    /// Check a request's credentials: `Ok(identity)` to let it through
    /// (`None` for the shared token or when nothing is required), or the
    /// refusal to send.
    pub async fn check(
        &self,
        headers: &HeaderMap,
        path: &str,
    ) -> Result<Option<Identity>, Box<Response>> {
        if !self.is_enabled() {
            return Ok(None);
        }
        let Some(token) = bearer::presented(headers) else {
            tracing::warn!(
                path,
                had_credentials = false,
                "request refused: no bearer token"
            );
            return Err(Box::new(self.unauthorized(None)));
        };
        if let Some(identity) = self.named.find(token) {
            return self.with_read_scope(identity.clone(), path);
        }
        if self.shared.as_ref().is_some_and(|s| s.matches(token)) {
            return Ok(None);
        }
        let refusal = match &self.oauth {
            Some(oauth) if Validator::looks_like_jwt(token) => match oauth.validate(token).await {
                Ok(identity) => return self.with_read_scope(identity, path),
                Err(e) => e,
            },
            Some(_) => TokenError::Invalid(
                "the bearer token is neither a listed token nor a JWT access token".into(),
            ),
            None => TokenError::Invalid("the bearer token is not one this server accepts".into()),
        };
        match refusal {
            TokenError::Invalid(why) => {
                tracing::warn!(path, had_credentials = true, reason = %why, "request refused: bad bearer token");
                Err(Box::new(self.unauthorized(Some(&why))))
            }
            TokenError::Unavailable(why) => {
                tracing::error!(path, reason = %why, "request refused: the OAuth issuer's keys cannot be read");
                Err(Box::new((
                    StatusCode::SERVICE_UNAVAILABLE,
                    [(header::RETRY_AFTER, "5")],
                    "the server cannot check access tokens right now: its identity provider does not answer; retry shortly\n",
                )
                    .into_response()))
            }
        }
    }

    /// The identity, when its token grants the read scope; else the 403.
    fn with_read_scope(
        &self,
        identity: Identity,
        path: &str,
    ) -> Result<Option<Identity>, Box<Response>> {
        let read = self.read_scope();
        if identity.may(read) {
            return Ok(Some(identity));
        }
        tracing::warn!(path, identity = %identity.principal.label(), scope = read, "request refused: the token lacks the read scope");
        Err(Box::new(self.insufficient_scope(&[read], "any call")))
    }

    /// The name of the read scope.
    pub fn read_scope(&self) -> &str {
        self.oauth
            .as_ref()
            .map_or(crate::auth::scopes::DEFAULT_READ, |o| {
                &o.settings().scopes.read
            })
    }

    /// The name of the operate scope.
    pub fn operate_scope(&self) -> &str {
        self.oauth
            .as_ref()
            .map_or(crate::auth::scopes::DEFAULT_OPERATE, |o| {
                &o.settings().scopes.operate
            })
    }

    /// The 403 for a token without `needed`, with the challenge clients follow.
    pub fn insufficient_scope(&self, needed: &[&str], what: &str) -> Response {
        match &self.oauth {
            Some(oauth) => metadata::insufficient_scope(oauth.settings(), needed, what),
            None => {
                let scope = needed.join(" ");
                let mut r = (
                    StatusCode::FORBIDDEN,
                    format!("{what} needs the scopes {scope}; this token's entry in MCP_TOKENS_PATH does not list them\n"),
                )
                    .into_response();
                if let Ok(v) = HeaderValue::from_str(&format!(
                    "Bearer realm=\"vmware-mcp\", error=\"insufficient_scope\", scope=\"{scope}\""
                )) {
                    r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
                }
                r
            }
        }
    }

    fn unauthorized(&self, bad: Option<&str>) -> Response {
        if let Some(oauth) = &self.oauth {
            return metadata::unauthorized(oauth.settings(), bad);
        }
        let mut response = (
            StatusCode::UNAUTHORIZED,
            "a valid bearer token is required (Authorization: Bearer <token>)\n",
        )
            .into_response();
        let value = if bad.is_some() {
            "Bearer realm=\"vmware-mcp\", error=\"invalid_token\""
        } else {
            "Bearer realm=\"vmware-mcp\""
        };
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(value));
        response
    }
}
