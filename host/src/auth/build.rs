//! The MCP port's [`Authenticator`] from the settings, checked at start: a
//! bad tokens file, a plain-http issuer or a bad URL stops the server with
//! an error naming the setting, rather than refusing every call later.

use std::time::Duration;

use crate::auth::layer::Authenticator;
use crate::auth::named_tokens::NamedTokens;
use crate::auth::oauth::{OAuthSettings, Validator};
use crate::auth::scopes::ScopeNames;
use crate::config::{Cli, Secret};

/// The credentials `/mcp` accepts, as `cli` configures them; `port` is the
/// MCP port bound (for the default public URL when `MCP_PORT` is 0).
pub fn mcp_authenticator(cli: &Cli, port: u16) -> anyhow::Result<Authenticator> {
    let shared = cli
        .auth_token_file
        .as_deref()
        .map(|p| Secret::from_file("MCP_AUTH_TOKEN_SECRET_PATH", p))
        .transpose()?;
    let named = match cli.auth.mcp_tokens.as_deref() {
        Some(path) => NamedTokens::load("MCP_TOKENS_PATH", path)?,
        None => NamedTokens::default(),
    };
    let oauth = match cli.auth.oauth_issuer.as_deref() {
        Some(issuer) => {
            let settings = oauth_settings(cli, issuer, port)?;
            tracing::info!(issuer = %settings.issuer, audience = %settings.audience, read_scope = %settings.scopes.read, operate_scope = %settings.scopes.operate, "OAuth access tokens accepted on /mcp");
            Some(Validator::new(settings, Validator::http_client()?))
        }
        None => None,
    };
    if !named.is_empty() {
        tracing::info!(
            tokens = named.len(),
            "named MCP tokens loaded from MCP_TOKENS_PATH"
        );
    }
    Ok(Authenticator {
        shared,
        named,
        oauth,
    })
}

/// The admin port's named tokens (`ADMIN_TOKENS_PATH`), if configured.
pub fn admin_tokens(cli: &Cli) -> anyhow::Result<Option<NamedTokens>> {
    cli.auth
        .admin_tokens
        .as_deref()
        .map(|path| NamedTokens::load("ADMIN_TOKENS_PATH", path))
        .transpose()
}

fn oauth_settings(cli: &Cli, issuer: &str, port: u16) -> anyhow::Result<OAuthSettings> {
    let resource = match cli.auth.mcp_public_url.clone() {
        Some(url) => url,
        None => {
            let url = default_public_url(&cli.bind, port);
            if !crate::auth::oauth::settings::is_loopback(&cli.bind) {
                tracing::warn!(resource = %url, "MCP_PUBLIC_URL is not set: the OAuth resource and default audience is the bound address, which remote clients may not use; set MCP_PUBLIC_URL to /mcp as clients reach it");
            }
            url
        }
    };
    let mut settings = OAuthSettings::new(
        issuer,
        cli.auth.oauth_audience.as_deref(),
        &resource,
        cli.auth.oauth_allow_http_issuer,
    )?;
    let scope = |setting: &str, value: &str| -> anyhow::Result<String> {
        let value = value.trim();
        if value.is_empty() || value.contains(char::is_whitespace) || value.contains('"') {
            anyhow::bail!(
                "{setting}={value:?} is not a scope name; give one name without spaces or quotes, like vmware.read"
            );
        }
        Ok(value.to_string())
    };
    settings.scopes = ScopeNames {
        read: scope("OAUTH_READ_SCOPE", &cli.auth.oauth_read_scope)?,
        operate: scope("OAUTH_OPERATE_SCOPE", &cli.auth.oauth_operate_scope)?,
    };
    settings.leeway = Duration::from_secs(cli.auth.oauth_clock_skew_secs);
    settings.jwks_min_refresh = Duration::from_secs(cli.auth.oauth_jwks_min_refresh_secs);
    Ok(settings)
}

/// `http://<bind>:<port>/mcp`, the MCP URL when no public one is set.
fn default_public_url(bind: &str, port: u16) -> String {
    let host = match bind {
        "0.0.0.0" | "::" | "[::]" => "localhost".to_string(),
        b if b.contains(':') && !b.starts_with('[') => format!("[{b}]"),
        b => b.to_string(),
    };
    format!("http://{host}:{port}/mcp")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_public_url_is_the_bound_address() {
        assert_eq!(
            default_public_url("127.0.0.1", 5005),
            "http://127.0.0.1:5005/mcp"
        );
        assert_eq!(default_public_url("::1", 5005), "http://[::1]:5005/mcp");
        assert_eq!(default_public_url("0.0.0.0", 80), "http://localhost:80/mcp");
    }
}
