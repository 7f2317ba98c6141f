//! What the MCP port tells clients about its authorization: the
//! protected-resource metadata (RFC 9728) at
//! `/.well-known/oauth-protected-resource` (and the same with the MCP path
//! appended, `/.well-known/oauth-protected-resource/mcp`), and the
//! `WWW-Authenticate` challenges of RFC 6750 §3 that point clients at it:
//! 401 without a token or with a bad one, 403 `insufficient_scope` where a
//! scope is missing (MCP clients ask the user for the scopes it names).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::auth::oauth::settings::OAuthSettings;

/// The well-known path of the metadata.
pub const WELL_KNOWN: &str = "/.well-known/oauth-protected-resource";

/// The metadata document.
pub fn document(settings: &OAuthSettings) -> Value {
    json!({
        "resource": settings.resource,
        "authorization_servers": [settings.issuer],
        "scopes_supported": [settings.scopes.read, settings.scopes.operate],
        "bearer_methods_supported": ["header"],
        "resource_name": "vmware-mcp",
    })
}

/// Axum handler serving [`document`].
pub async fn serve(State(settings): State<Arc<OAuthSettings>>) -> Response {
    (
        [(header::CACHE_CONTROL, "max-age=300")],
        Json(document(&settings)),
    )
        .into_response()
}

/// The 401 for a request without a token (`error` absent) or with a bad one.
pub fn unauthorized(settings: &OAuthSettings, bad: Option<&str>) -> Response {
    let mut params = Vec::new();
    if let Some(description) = bad {
        params.push("error=\"invalid_token\"".to_string());
        params.push(format!("error_description=\"{}\"", quoted(description)));
    }
    params.push(format!(
        "resource_metadata=\"{}\"",
        quoted(&settings.resource_metadata_url())
    ));
    params.push(format!("scope=\"{}\"", quoted(&settings.scopes.read)));
    let text = match bad {
        Some(why) => format!("the bearer token is refused: {why}\n"),
        None => "a bearer token is required (Authorization: Bearer <access token>); the resource metadata says where to get one\n".to_string(),
    };
    challenge(StatusCode::UNAUTHORIZED, &params, text)
}

/// The 403 for a token without `needed` (all the scopes the call needs).
pub fn insufficient_scope(settings: &OAuthSettings, needed: &[&str], what: &str) -> Response {
    let scope = needed.join(" ");
    let params = vec![
        "error=\"insufficient_scope\"".to_string(),
        format!("scope=\"{}\"", quoted(&scope)),
        format!(
            "resource_metadata=\"{}\"",
            quoted(&settings.resource_metadata_url())
        ),
        format!(
            "error_description=\"{}\"",
            quoted(&format!("{what} needs the scopes {scope}"))
        ),
    ];
    challenge(
        StatusCode::FORBIDDEN,
        &params,
        format!("{what} needs the scopes {scope}; the token lacks one of them\n"),
    )
}

fn challenge(status: StatusCode, params: &[String], text: String) -> Response {
    let value = format!("Bearer {}", params.join(", "));
    let mut response = (status, text).into_response();
    if let Ok(v) = HeaderValue::from_str(&value) {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    response
}

/// Text made safe inside a quoted-string: no quotes, backslashes or controls.
fn quoted(text: &str) -> String {
    text.chars()
        .map(|c| if c == '"' || c == '\\' { '\'' } else { c })
        .filter(|c| !c.is_control() && c.is_ascii())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> OAuthSettings {
        OAuthSettings::new(
            "https://id.example.com",
            None,
            "https://mcp.example.com/mcp",
            false,
        )
        .unwrap()
    }

    fn www(response: &Response) -> String {
        response.headers()[header::WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .to_string()
    }

    #[test]
    fn challenges_name_the_metadata_and_the_scope() {
        let s = settings();
        let r = unauthorized(&s, None);
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            www(&r),
            "Bearer resource_metadata=\"https://mcp.example.com/.well-known/oauth-protected-resource/mcp\", scope=\"vmware.read\""
        );
        let r = unauthorized(&s, Some("the \"token\" has expired"));
        let w = www(&r);
        assert!(
            w.starts_with(
                "Bearer error=\"invalid_token\", error_description=\"the 'token' has expired\""
            ),
            "{w}"
        );
        let r = insufficient_scope(&s, &["vmware.read", "vmware.operate"], "x");
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert!(www(&r).starts_with("Bearer error=\"insufficient_scope\", scope=\"vmware.read vmware.operate\", resource_metadata="));
    }
}
