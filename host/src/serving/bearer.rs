//! The one reading of an `Authorization: Bearer <token>` header, shared by the
//! MCP port and the admin API so they accept exactly the same requests. The
//! scheme is matched case-insensitively, as RFC 9110 §11.1 says auth schemes
//! are (`Bearer`, `bearer` and `BEARER` are one scheme); the token is taken
//! as sent, without surrounding white space.

use axum::http::{HeaderMap, header};

/// The bearer token a request presents, if its `Authorization` header uses
/// the Bearer scheme (in any case) and carries a token.
pub fn presented(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let value = value.trim_start();
    let (scheme, rest) = value.split_once([' ', '\t'])?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = rest.trim();
    (!token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn the_scheme_matches_in_any_case_and_the_token_as_sent() {
        for value in ["Bearer t0k", "bearer t0k", "BEARER t0k", "bEaReR   t0k  "] {
            assert_eq!(presented(&with(value)), Some("t0k"), "{value}");
        }
        assert_eq!(
            presented(&with("Bearer T0K")),
            Some("T0K"),
            "the token keeps its case"
        );
        for value in ["Basic dXNlcg==", "Bearer", "Bearer   ", "Bearert0k", "t0k"] {
            assert_eq!(presented(&with(value)), None, "{value}");
        }
        assert_eq!(presented(&HeaderMap::new()), None);
    }
}
