//! HTTP(S) to the SDK endpoint: one pooled reqwest client with rustls, the
//! session cookie, the SOAPAction version, and a request counter.
//!
//! The counter exists so tests (and metrics) can check that the number of
//! round trips grows with pages and tasks, not with objects.

use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, COOKIE, SET_COOKIE};

use super::config::SoapConfig;
use super::endpoint::Endpoint;
use crate::vocabulary::VsError;

/// The cookie vCenter keeps a SOAP session in.
pub const SESSION_COOKIE: &str = "vmware_soap_session";

/// The largest reply accepted; a bigger one is an error, not an out-of-memory.
const MAX_REPLY_BYTES: usize = 512 * 1024 * 1024;

/// One HTTP reply.
#[derive(Debug)]
pub struct HttpReply {
    /// The HTTP status.
    pub status: u16,
    /// The body as text.
    pub body: String,
    /// `vmware_soap_session=…` if the server set the session cookie.
    pub session_cookie: Option<String>,
}

/// The HTTP side of the client.
#[derive(Debug)]
pub struct Transport {
    client: reqwest::Client,
    endpoint: Endpoint,
    soap_action: RwLock<String>,
    requests: AtomicU64,
    connect_timeout: Duration,
    request_timeout: Duration,
}

/// The `name=value` part of a `Set-Cookie` header if it is the session cookie.
fn session_cookie(header: &str) -> Option<String> {
    let pair = header.split(';').next()?.trim();
    let (name, _) = pair.split_once('=')?;
    (name.trim() == SESSION_COOKIE).then(|| pair.to_string())
}

/// Every message in an error's source chain, joined.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        let m = s.to_string();
        if !parts.iter().any(|p| p.contains(&m)) {
            parts.push(m);
        }
        cur = s.source();
    }
    parts.join(": ")
}

impl Transport {
    /// Build the client: rustls with verification on unless `ignore_ssl`,
    /// the CA file's certificates added to the system roots.
    pub fn new(cfg: &SoapConfig, endpoint: Endpoint) -> Result<Self, VsError> {
        let mut builder = reqwest::Client::builder()
            .connect_timeout(cfg.connect_timeout)
            .pool_idle_timeout(Duration::from_secs(60))
            .user_agent(concat!("vmware-mcp/", env!("CARGO_PKG_VERSION")));
        if endpoint.is_plain_http() {
            tracing::warn!(url = %endpoint, "VCENTER_HOST uses plain http://: the password and session travel unencrypted");
        } else if cfg.ignore_ssl {
            tracing::warn!(url = %endpoint, "VCENTER_IGNORE_SSL is set: the vCenter certificate is not verified");
            builder = builder.tls_danger_accept_invalid_certs(true);
        }
        if let Some(path) = &cfg.ca_file {
            let pem = std::fs::read(path).map_err(|e| {
                VsError::InvalidArgument(format!(
                    "cannot read VCENTER_CA_FILE {}: {e}",
                    path.display()
                ))
            })?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                VsError::InvalidArgument(format!(
                    "VCENTER_CA_FILE {} is not a PEM bundle: {e}",
                    path.display()
                ))
            })?;
            if certs.is_empty() {
                return Err(VsError::InvalidArgument(format!(
                    "VCENTER_CA_FILE {} holds no certificate",
                    path.display()
                )));
            }
            builder = builder.tls_certs_merge(certs);
        }
        let client = builder.build().map_err(|e| {
            VsError::Internal(format!("cannot build the HTTPS client: {}", chain(&e)))
        })?;
        Ok(Transport {
            client,
            endpoint,
            soap_action: RwLock::new("\"urn:vim25\"".into()),
            requests: AtomicU64::new(0),
            connect_timeout: cfg.connect_timeout,
            request_timeout: cfg.request_timeout,
        })
    }

    /// The endpoint this transport talks to.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// Use `urn:vim25/<version>` as SOAPAction from now on.
    pub fn set_api_version(&self, version: &str) {
        if let Ok(mut a) = self.soap_action.write() {
            *a = format!("\"urn:vim25/{version}\"");
        }
    }

    /// The number of HTTP requests sent so far.
    pub fn request_count(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// The default per-request timeout.
    pub fn request_timeout(&self) -> Duration {
        self.request_timeout
    }

    fn map_error(&self, e: reqwest::Error, timeout: Duration) -> VsError {
        let e = e.without_url();
        let text = chain(&e);
        let url = &self.endpoint;
        // A timed-out request's connection is dropped with it, never reused.
        if e.is_timeout() && e.is_connect() {
            return VsError::Timeout(format!(
                "could not connect to {url} within {} s (VCENTER_CONNECT_TIMEOUT_SECS)",
                self.connect_timeout.as_secs()
            ));
        }
        if e.is_timeout() {
            return VsError::Timeout(format!(
                "no reply from {url} within {} s; vCenter may be stalled or overloaded",
                timeout.as_secs()
            ));
        }
        let lower = text.to_ascii_lowercase();
        if lower.contains("certificate")
            || lower.contains("unknownissuer")
            || lower.contains("invalid peer")
        {
            return VsError::Internal(format!(
                "TLS certificate verification failed for {url}: {text}. Set VCENTER_CA_FILE to a PEM file with the CA \
                 that signed the vCenter certificate, or VCENTER_IGNORE_SSL=true to skip verification (insecure)"
            ));
        }
        if e.is_connect() {
            return VsError::unreachable(format!("cannot connect to {url}: {text}"));
        }
        VsError::unreachable(format!("the HTTP request to {url} failed: {text}"))
    }

    async fn read_body(
        &self,
        mut resp: reqwest::Response,
        timeout: Duration,
    ) -> Result<String, VsError> {
        let mut body: Vec<u8> = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| self.map_error(e, timeout))? {
            if body.len() + chunk.len() > MAX_REPLY_BYTES {
                return Err(VsError::Internal(format!(
                    "the reply from {} is larger than {MAX_REPLY_BYTES} bytes",
                    self.endpoint
                )));
            }
            body.extend_from_slice(&chunk);
        }
        String::from_utf8(body).map_err(|_| {
            VsError::Internal(format!("the reply from {} is not UTF-8", self.endpoint))
        })
    }

    /// POST a SOAP envelope with the session cookie (if any). `timeout`
    /// overrides the default request timeout.
    pub async fn post(
        &self,
        envelope: String,
        cookie: Option<&str>,
        timeout: Option<Duration>,
    ) -> Result<HttpReply, VsError> {
        let timeout = timeout.unwrap_or(self.request_timeout);
        let action = self
            .soap_action
            .read()
            .map(|a| a.clone())
            .unwrap_or_else(|_| "\"urn:vim25\"".into());
        let mut req = self
            .client
            .post(self.endpoint.url.clone())
            .timeout(timeout)
            .header(CONTENT_TYPE, "text/xml; charset=utf-8")
            .header("SOAPAction", action)
            .body(envelope);
        if let Some(c) = cookie {
            req = req.header(COOKIE, c);
        }
        self.requests.fetch_add(1, Ordering::Relaxed);
        let resp = req.send().await.map_err(|e| self.map_error(e, timeout))?;
        let status = resp.status().as_u16();
        let session_cookie = resp
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(session_cookie);
        let body = self.read_body(resp, timeout).await?;
        Ok(HttpReply {
            status,
            body,
            session_cookie,
        })
    }

    /// GET a file next to the SDK (e.g. `vimServiceVersions.xml`); `None` if
    /// the server does not have it.
    pub async fn get_sibling(&self, file: &str) -> Result<Option<String>, VsError> {
        let timeout = self.request_timeout.min(Duration::from_secs(60));
        self.requests.fetch_add(1, Ordering::Relaxed);
        let resp = self
            .client
            .get(self.endpoint.sibling(file))
            .timeout(timeout)
            .send()
            .await
            .map_err(|e| self.map_error(e, timeout))?;
        if !resp.status().is_success() {
            return Ok(None);
        }
        self.read_body(resp, timeout).await.map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_session_cookie() {
        assert_eq!(
            session_cookie(r#"vmware_soap_session="52ab"; Path=/; HttpOnly; Secure;"#).as_deref(),
            Some(r#"vmware_soap_session="52ab""#)
        );
        assert_eq!(
            session_cookie("vmware_soap_session=abc; HttpOnly").as_deref(),
            Some("vmware_soap_session=abc")
        );
        assert_eq!(session_cookie("other=1; Path=/"), None);
        assert_eq!(session_cookie(""), None);
    }
}
