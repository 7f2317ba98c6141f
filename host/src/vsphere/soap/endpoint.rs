//! `VCENTER_HOST` → the SDK URL.
//!
//! Operators write the host in many shapes (`vc01`, `vc01:8443`,
//! `https://vc01/sdk`); all of them mean the same HTTPS endpoint. Plain HTTP
//! is honoured only when asked for explicitly, since it exposes the password.

use reqwest::Url;

use crate::vocabulary::VsError;

/// Where the SOAP endpoint is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The full SDK URL, e.g. `https://vc01.example.com/sdk`.
    pub url: Url,
}

impl Endpoint {
    /// True when the endpoint is plain HTTP (no TLS), which callers warn about.
    pub fn is_plain_http(&self) -> bool {
        self.url.scheme() == "http"
    }

    /// A URL next to the SDK, e.g. `/sdk/vimServiceVersions.xml`.
    pub fn sibling(&self, file: &str) -> Url {
        let mut u = self.url.clone();
        let path = format!("{}/{file}", u.path().trim_end_matches('/'));
        u.set_path(&path);
        u
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.url.fmt(f)
    }
}

/// Parse `host`, `host:port`, `[v6]:port`, `https://host[:port][/path]` or an
/// explicit `http://…`. The path defaults to `/sdk`. Credentials in the URL
/// are refused (and never echoed back).
pub fn parse_endpoint(input: &str) -> Result<Endpoint, VsError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(VsError::InvalidArgument(
            "VCENTER_HOST is empty; set it to the vCenter or ESXi host name".into(),
        ));
    }
    if s.contains('@') {
        return Err(VsError::InvalidArgument(
            "VCENTER_HOST must not contain credentials (user@host); use VCENTER_USER and VCENTER_PASSWORD_SECRET_PATH".into(),
        ));
    }
    let with_scheme = if s.contains("://") {
        s.to_string()
    } else if s.matches(':').count() > 1 && !s.starts_with('[') {
        // A bare IPv6 address.
        format!("https://[{s}]")
    } else {
        format!("https://{s}")
    };
    let mut url = Url::parse(&with_scheme).map_err(|e| {
        VsError::InvalidArgument(format!("VCENTER_HOST '{s}' is not a host or URL: {e}"))
    })?;
    match url.scheme() {
        "https" | "http" => {}
        other => {
            return Err(VsError::InvalidArgument(format!(
                "VCENTER_HOST: unsupported scheme '{other}' (use https)"
            )));
        }
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(VsError::InvalidArgument(format!(
            "VCENTER_HOST '{s}' has no host name"
        )));
    }
    if url.path().is_empty() || url.path() == "/" {
        url.set_path("/sdk");
    }
    url.set_query(None);
    url.set_fragment(None);
    Ok(Endpoint { url })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> String {
        parse_endpoint(s).unwrap().url.to_string()
    }

    #[test]
    fn accepted_shapes() {
        assert_eq!(url("vc01.example.com"), "https://vc01.example.com/sdk");
        assert_eq!(url(" vc01:8443 "), "https://vc01:8443/sdk");
        assert_eq!(url("https://vc01"), "https://vc01/sdk");
        assert_eq!(url("https://vc01:443/sdk"), "https://vc01/sdk");
        assert_eq!(
            url("https://10.0.0.5:9443/sdk/"),
            "https://10.0.0.5:9443/sdk/"
        );
        assert_eq!(url("[fd00::1]:8443"), "https://[fd00::1]:8443/sdk");
        assert_eq!(url("fd00::1"), "https://[fd00::1]/sdk");
        let plain = parse_endpoint("http://127.0.0.1:8989").unwrap();
        assert!(plain.is_plain_http());
        assert_eq!(plain.url.as_str(), "http://127.0.0.1:8989/sdk");
        assert_eq!(
            plain.sibling("vimServiceVersions.xml").as_str(),
            "http://127.0.0.1:8989/sdk/vimServiceVersions.xml"
        );
        assert!(!parse_endpoint("vc01").unwrap().is_plain_http());
    }

    #[test]
    fn refused_shapes() {
        for bad in [
            "",
            "   ",
            "ftp://vc01",
            "https://",
            "root:secret@vc01",
            "https://root:secret@vc01/sdk",
        ] {
            let err = parse_endpoint(bad).unwrap_err();
            assert!(matches!(err, VsError::InvalidArgument(_)), "{bad}: {err:?}");
            assert!(
                !err.to_string().contains("secret"),
                "credentials echoed: {err}"
            );
        }
    }
}
