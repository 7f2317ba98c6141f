//! Reading a request body within limits: at most `max_bytes` (a declared
//! `Content-Length` over it is refused before anything is read) and within
//! `read_timeout`, so a body can hold neither memory nor a connection for
//! long. Each port renders the refusal in its own format (JSON-RPC on `/mcp`,
//! `{"error": …}` on the admin API).

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use futures::StreamExt;

/// Limits on a request body.
#[derive(Clone, Copy, Debug)]
pub struct BodyLimits {
    /// The largest body accepted, in bytes.
    pub max_bytes: usize,
    /// How long the whole body may take to arrive.
    pub read_timeout: Duration,
}

/// Why a body was not read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyError {
    /// It is (or says it is) larger than `max_bytes`.
    TooLarge,
    /// It did not arrive within `read_timeout`.
    TimedOut,
    /// The connection failed while it was read.
    Broken,
}

/// Read the whole body within `limits`, stopping as soon as it passes
/// `max_bytes`; a declared length over the limit is refused unread.
pub async fn read_limited(
    headers: &HeaderMap,
    body: Body,
    limits: BodyLimits,
) -> Result<Bytes, BodyError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limits.max_bytes) {
        return Err(BodyError::TooLarge);
    }
    tokio::time::timeout(
        limits.read_timeout,
        collect(body, limits.max_bytes, declared),
    )
    .await
    .unwrap_or(Err(BodyError::TimedOut))
}

async fn collect(body: Body, max: usize, declared: Option<usize>) -> Result<Bytes, BodyError> {
    let mut collected = Vec::with_capacity(declared.unwrap_or(0).min(max));
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| BodyError::Broken)?;
        if chunk.len() > max - collected.len() {
            return Err(BodyError::TooLarge);
        }
        collected.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(collected))
}

/// Ask hyper to close the connection after this response: the rest of an
/// unread body is not worth draining.
pub fn close_after(response: &mut Response) {
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(max_bytes: usize) -> BodyLimits {
        BodyLimits {
            max_bytes,
            read_timeout: Duration::from_millis(200),
        }
    }

    #[tokio::test]
    async fn bodies_are_read_up_to_the_limit_and_a_declared_excess_unread() {
        let none = HeaderMap::new();
        let read = read_limited(&none, Body::from("12345"), limits(5)).await;
        assert_eq!(read.unwrap(), Bytes::from("12345"));
        let over = read_limited(&none, Body::from("123456"), limits(5)).await;
        assert_eq!(over.unwrap_err(), BodyError::TooLarge);
        let mut declared = HeaderMap::new();
        declared.insert(header::CONTENT_LENGTH, HeaderValue::from_static("6"));
        let unread = read_limited(&declared, Body::from(""), limits(5)).await;
        assert_eq!(unread.unwrap_err(), BodyError::TooLarge);
    }

    #[tokio::test]
    async fn a_body_that_never_ends_times_out() {
        let (_sender, stream) =
            futures::channel::mpsc::unbounded::<Result<Bytes, std::io::Error>>();
        let body = Body::from_stream(stream);
        let read = read_limited(&HeaderMap::new(), body, limits(5)).await;
        assert_eq!(read.unwrap_err(), BodyError::TimedOut);
    }
}
