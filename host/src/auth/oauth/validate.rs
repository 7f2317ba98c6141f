//! Checking one access token: a JWT signed by the issuer's key (RS256 or
//! ES256, the key found by `kid`), not expired nor not yet valid (with the
//! configured clock skew), from the configured issuer, for this server's
//! audience, with a subject. What it yields is the caller's [`Identity`].

use std::time::Duration;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};
use serde_json::Value;

use crate::auth::identity::Identity;
use crate::auth::oauth::keys::{KeyCache, KeyError};
use crate::auth::oauth::settings::OAuthSettings;
use crate::auth::scopes;
use crate::principal::Principal;

/// Why a token is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// The token is not valid here (401 `invalid_token`); the text says why
    /// without repeating the token.
    #[error("{0}")]
    Invalid(String),
    /// The issuer could not be asked for its keys (503).
    #[error("{0}")]
    Unavailable(String),
}

/// Validates access tokens for one issuer and audience.
pub struct Validator {
    settings: OAuthSettings,
    keys: KeyCache,
}

impl Validator {
    /// A validator fetching keys with `http`.
    pub fn new(settings: OAuthSettings, http: reqwest::Client) -> Validator {
        let keys = KeyCache::new(http, &settings.issuer, settings.jwks_min_refresh);
        Validator { settings, keys }
    }

    /// The HTTP client the validator needs: bounded waits, no redirects.
    pub fn http_client() -> anyhow::Result<reqwest::Client> {
        reqwest::Client::builder()
            .user_agent(concat!("vmware-mcp/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| anyhow::anyhow!("OAuth: cannot build the HTTP client: {e}"))
    }

    /// The settings checked against.
    pub fn settings(&self) -> &OAuthSettings {
        &self.settings
    }

    /// Whether `token` looks like a JWT (three base64url parts), so that
    /// other bearer tokens are not sent through JWT validation.
    pub fn looks_like_jwt(token: &str) -> bool {
        let parts: Vec<&str> = token.split('.').collect();
        parts.len() == 3
            && parts.iter().all(|p| {
                p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            })
            && !parts[0].is_empty()
            && !parts[1].is_empty()
    }

    /// The identity `token` proves, or why it proves none.
    pub async fn validate(&self, token: &str) -> Result<Identity, TokenError> {
        let invalid = |m: &str| TokenError::Invalid(m.to_string());
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| invalid("the access token is not a well-formed JWT"))?;
        if !matches!(header.alg, Algorithm::RS256 | Algorithm::ES256) {
            return Err(TokenError::Invalid(format!(
                "the access token is signed with {:?}; RS256 and ES256 are accepted",
                header.alg
            )));
        }
        let keys = self
            .keys
            .keys_for(header.kid.as_deref())
            .await
            .map_err(|e| match e {
                KeyError::UnknownKid(kid) => TokenError::Invalid(format!(
                    "the access token is signed with a key (kid {}) the issuer does not publish",
                    clip(&kid)
                )),
                KeyError::Unavailable(m) => TokenError::Unavailable(m),
            })?;
        let mut last = invalid("the access token's signature does not verify");
        for key in keys.iter().filter(|k| k.algorithm == header.alg) {
            match jsonwebtoken::decode::<Value>(token, &key.key, &self.validation(header.alg)) {
                Ok(data) => return identity(&data.claims),
                Err(e) => last = explain(e.kind(), &self.settings),
            }
        }
        Err(last)
    }

    fn validation(&self, algorithm: Algorithm) -> Validation {
        let mut v = Validation::new(algorithm);
        v.leeway = self.settings.leeway.as_secs();
        v.validate_nbf = true;
        v.set_issuer(&[&self.settings.issuer]);
        v.set_audience(&[&self.settings.audience]);
        v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        v
    }
}

/// The identity a validated token's claims name.
fn identity(claims: &Value) -> Result<Identity, TokenError> {
    let text = |name: &str| {
        claims
            .get(name)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(clip)
    };
    let id = text("sub")
        .ok_or_else(|| TokenError::Invalid("the access token has no subject (sub)".to_string()))?;
    Ok(Identity {
        principal: Principal {
            id,
            name: text("email")
                .or_else(|| text("preferred_username"))
                .or_else(|| text("name")),
            client_id: text("client_id").or_else(|| text("azp")),
        },
        scopes: Some(scopes::granted(claims)),
    })
}

fn explain(kind: &ErrorKind, settings: &OAuthSettings) -> TokenError {
    let m = match kind {
        ErrorKind::ExpiredSignature => "the access token has expired".to_string(),
        ErrorKind::ImmatureSignature => "the access token is not valid yet (nbf)".to_string(),
        ErrorKind::InvalidAudience => format!(
            "the access token is not for this server: its audience must be {}",
            settings.audience
        ),
        ErrorKind::InvalidIssuer => {
            format!("the access token was not issued by {}", settings.issuer)
        }
        ErrorKind::MissingRequiredClaim(c) => {
            format!("the access token has no {c} claim")
        }
        ErrorKind::InvalidSignature => "the access token's signature does not verify".to_string(),
        _ => "the access token is not valid".to_string(),
    };
    TokenError::Invalid(m)
}

/// A claim or key id shortened to what logs and pages may hold.
fn clip(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(128).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_identity_takes_subject_name_and_client() {
        let i = identity(&json!({"sub": "u-1", "email": "alice@example.com", "azp": "claude", "scope": "vmware.read"}))
            .unwrap();
        assert_eq!(i.principal.id, "u-1");
        assert_eq!(i.principal.label(), "alice@example.com");
        assert_eq!(i.principal.client_id.as_deref(), Some("claude"));
        assert!(i.may("vmware.read") && !i.may("vmware.operate"));
        assert!(identity(&json!({"sub": " "})).is_err());
    }

    #[test]
    fn only_jwt_shaped_tokens_are_validated() {
        assert!(Validator::looks_like_jwt("eyJh.eyJz.c2ln"));
        assert!(!Validator::looks_like_jwt("a-static-token"));
        assert!(!Validator::looks_like_jwt("a.b"));
        assert!(!Validator::looks_like_jwt("a.b.c d"));
    }
}
