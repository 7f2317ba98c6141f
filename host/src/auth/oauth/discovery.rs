//! Finding the issuer's JWKS: its authorization-server metadata, read from
//! the well-known addresses of RFC 8414 and OpenID Connect Discovery in the
//! order the MCP authorization spec gives, whose `issuer` must be the
//! configured one exactly (RFC 8414 §3.3), and whose `jwks_uri` is where
//! the signing keys are.

use serde::Deserialize;

/// The metadata fields the resource server uses.
#[derive(Debug, Clone, Deserialize)]
pub struct IssuerMetadata {
    /// The issuer identifier; must equal the configured one.
    pub issuer: String,
    /// Where the issuer's signing keys are published.
    pub jwks_uri: String,
}

/// The addresses to try for `issuer`'s metadata, in order: for an issuer
/// with a path, the path-inserted RFC 8414 and OpenID forms, then the
/// path-appended OpenID form; without a path, RFC 8414 then OpenID.
pub fn metadata_urls(issuer: &str) -> Vec<String> {
    let Ok(url) = reqwest::Url::parse(issuer) else {
        return Vec::new();
    };
    let origin = url.origin().ascii_serialization();
    let path = url.path().trim_end_matches('/');
    if path.is_empty() {
        vec![
            format!("{origin}/.well-known/oauth-authorization-server"),
            format!("{origin}/.well-known/openid-configuration"),
        ]
    } else {
        vec![
            format!("{origin}/.well-known/oauth-authorization-server{path}"),
            format!("{origin}/.well-known/openid-configuration{path}"),
            format!("{origin}{path}/.well-known/openid-configuration"),
        ]
    }
}

/// Fetch `issuer`'s metadata: the first well-known address that answers
/// with metadata for exactly this issuer. The error says what each address
/// answered.
pub async fn discover(http: &reqwest::Client, issuer: &str) -> Result<IssuerMetadata, String> {
    let mut tried = Vec::new();
    for url in metadata_urls(issuer) {
        match fetch(http, &url).await {
            Ok(meta) if meta.issuer == issuer => {
                // Keys fetched over plain http could be swapped in transit.
                if issuer.starts_with("https:") && !meta.jwks_uri.starts_with("https:") {
                    return Err(format!(
                        "the metadata of OAUTH_ISSUER={issuer:?} names a jwks_uri that is not https ({})",
                        meta.jwks_uri
                    ));
                }
                return Ok(meta);
            }
            Ok(meta) => tried.push(format!(
                "{url} names issuer {:?}, not {issuer:?}",
                meta.issuer
            )),
            Err(e) => tried.push(format!("{url}: {e}")),
        }
    }
    Err(format!(
        "no authorization-server metadata found for OAUTH_ISSUER={issuer:?} ({})",
        tried.join("; ")
    ))
}

async fn fetch(http: &reqwest::Client, url: &str) -> Result<IssuerMetadata, String> {
    let response = http.get(url).send().await.map_err(|e| e.to_string())?;
    if !response.status().is_success() {
        return Err(format!("HTTP {}", response.status().as_u16()));
    }
    response
        .json::<IssuerMetadata>()
        .await
        .map_err(|e| format!("not metadata with issuer and jwks_uri ({e})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_addresses_follow_the_mcp_order() {
        assert_eq!(
            metadata_urls("https://id.example.com"),
            [
                "https://id.example.com/.well-known/oauth-authorization-server",
                "https://id.example.com/.well-known/openid-configuration"
            ]
        );
        assert_eq!(
            metadata_urls("https://id.example.com/realms/ops/"),
            [
                "https://id.example.com/.well-known/oauth-authorization-server/realms/ops",
                "https://id.example.com/.well-known/openid-configuration/realms/ops",
                "https://id.example.com/realms/ops/.well-known/openid-configuration"
            ]
        );
    }
}
