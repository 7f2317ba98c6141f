//! The OAuth settings, checked once at start: the issuer must be `https`
//! (plain `http` only on a loopback address, and only when
//! `OAUTH_ALLOW_HTTP_ISSUER` says so, for tests and local providers), and
//! the audience defaults to this server's public MCP URL (RFC 8707).

use std::time::Duration;

use crate::auth::scopes::ScopeNames;

/// What the OAuth resource server checks and publishes.
#[derive(Debug, Clone)]
pub struct OAuthSettings {
    /// The authorization server's issuer identifier (`OAUTH_ISSUER`).
    pub issuer: String,
    /// The `aud` a token must carry (`OAUTH_AUDIENCE`, default [`Self::resource`]).
    pub audience: String,
    /// This server's public MCP URL, its resource identifier.
    pub resource: String,
    /// The scope names.
    pub scopes: ScopeNames,
    /// The clock skew allowed on `exp` and `nbf`.
    pub leeway: Duration,
    /// The least time between two JWKS fetches for an unknown `kid`.
    pub jwks_min_refresh: Duration,
}

impl OAuthSettings {
    /// Check `issuer` and build the settings; `audience` defaults to `resource`.
    pub fn new(
        issuer: &str,
        audience: Option<&str>,
        resource: &str,
        allow_http_issuer: bool,
    ) -> anyhow::Result<OAuthSettings> {
        let issuer = issuer.trim().to_string();
        check_issuer(&issuer, allow_http_issuer)?;
        let resource_url = reqwest::Url::parse(resource).map_err(|e| {
            anyhow::anyhow!("MCP_PUBLIC_URL={resource:?} is not a URL ({e}); give the address clients reach /mcp at, like https://vmware-mcp.example.com/mcp")
        })?;
        if !matches!(resource_url.scheme(), "http" | "https") {
            anyhow::bail!(
                "MCP_PUBLIC_URL={resource:?} must be an http or https URL, like https://vmware-mcp.example.com/mcp"
            );
        }
        let audience = audience
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .unwrap_or(resource)
            .to_string();
        Ok(OAuthSettings {
            issuer,
            audience,
            resource: resource.to_string(),
            scopes: ScopeNames::default(),
            leeway: Duration::from_secs(60),
            jwks_min_refresh: Duration::from_secs(30),
        })
    }

    /// Where the protected-resource metadata is published: the well-known
    /// path with the resource's path appended (RFC 9728 §3.1).
    pub fn resource_metadata_url(&self) -> String {
        match reqwest::Url::parse(&self.resource) {
            Ok(url) => {
                let path = url.path().trim_end_matches('/');
                let origin = url.origin().ascii_serialization();
                format!("{origin}/.well-known/oauth-protected-resource{path}")
            }
            Err(_) => self.resource.clone(),
        }
    }
}

/// Whether `host` (a name, an IP address, or an IPv6 address in brackets)
/// is this machine: `localhost` or a loopback address.
pub fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn check_issuer(issuer: &str, allow_http: bool) -> anyhow::Result<()> {
    let url = reqwest::Url::parse(issuer).map_err(|e| {
        anyhow::anyhow!("OAUTH_ISSUER={issuer:?} is not a URL ({e}); give the issuer identifier, like https://login.example.com/realms/vsphere")
    })?;
    if url.query().is_some() || url.fragment().is_some() {
        anyhow::bail!("OAUTH_ISSUER={issuer:?} must have no query or fragment (RFC 8414 §2)");
    }
    match url.scheme() {
        "https" => Ok(()),
        "http" => {
            let loopback = is_loopback(url.host_str().unwrap_or_default());
            if allow_http && loopback {
                Ok(())
            } else if loopback {
                anyhow::bail!(
                    "OAUTH_ISSUER={issuer:?} is plain http: set OAUTH_ALLOW_HTTP_ISSUER=true to accept it on a loopback address (tests, local providers), or use https"
                )
            } else {
                anyhow::bail!(
                    "OAUTH_ISSUER={issuer:?} must be https (plain http is accepted only on a loopback address with OAUTH_ALLOW_HTTP_ISSUER=true)"
                )
            }
        }
        other => anyhow::bail!("OAUTH_ISSUER={issuer:?} has scheme {other}; it must be https"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issuer_must_be_https_unless_loopback_http_is_allowed() {
        let r = "https://mcp.example.com/mcp";
        assert!(OAuthSettings::new("https://id.example.com", None, r, false).is_ok());
        let e = OAuthSettings::new("http://id.example.com", None, r, true)
            .unwrap_err()
            .to_string();
        assert!(e.contains("must be https"), "{e}");
        let e = OAuthSettings::new("http://127.0.0.1:9", None, r, false)
            .unwrap_err()
            .to_string();
        assert!(e.contains("OAUTH_ALLOW_HTTP_ISSUER"), "{e}");
        assert!(OAuthSettings::new("http://127.0.0.1:9", None, r, true).is_ok());
        assert!(OAuthSettings::new("not a url", None, r, true).is_err());
    }

    #[test]
    fn the_audience_defaults_to_the_resource_and_metadata_sits_beside_it() {
        let s = OAuthSettings::new(
            "https://id.example.com",
            None,
            "https://mcp.example.com/mcp",
            false,
        )
        .unwrap();
        assert_eq!(s.audience, "https://mcp.example.com/mcp");
        assert_eq!(
            s.resource_metadata_url(),
            "https://mcp.example.com/.well-known/oauth-protected-resource/mcp"
        );
        let s = OAuthSettings::new(
            "https://id.example.com",
            Some("api://vmware"),
            "https://m/mcp",
            false,
        )
        .unwrap();
        assert_eq!(s.audience, "api://vmware");
    }
}
