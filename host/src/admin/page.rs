//! The operators' web page at `/approvals`: one self-contained HTML file
//! (inline script and style, no external assets) built into the binary.
//!
//! The page itself holds no data, so it is served without the token; it asks
//! the operator for the admin token once, keeps it in `sessionStorage`, and
//! calls the token-protected `/api/approvals` routes. A strict Content
//! Security Policy allows only its own inline code and same-origin requests.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// The page, embedded at build time.
const PAGE: &str = include_str!("page.html");

/// Only inline script and style, requests to this origin, nothing else.
const CSP: &str = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Serve the page.
pub async fn page() -> Response {
    let mut response = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], PAGE).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
