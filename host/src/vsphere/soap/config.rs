//! How to reach and log in to vCenter: [`SoapConfig`] and the [`Password`]
//! wrapper that keeps the secret out of logs and errors.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::VsError;

/// A password. Its `Debug` and `Display` print `***`, so a config or an error
/// that holds one can be logged without leaking it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Wrap a password.
    pub fn new(secret: impl Into<String>) -> Self {
        Password(secret.into())
    }

    /// Read a password from a secret file (e.g. a mounted Kubernetes secret),
    /// trimming one trailing newline (`\n` or `\r\n`), as editors and
    /// `echo` add one. The error names the file, never its content.
    pub fn from_file(path: &Path) -> Result<Self, VsError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            VsError::InvalidArgument(format!(
                "cannot read the password file {}: {e}",
                path.display()
            ))
        })?;
        let text = text
            .strip_suffix('\n')
            .map(|t| t.strip_suffix('\r').unwrap_or(t))
            .unwrap_or(&text);
        if text.is_empty() {
            return Err(VsError::InvalidArgument(format!(
                "the password file {} is empty",
                path.display()
            )));
        }
        Ok(Password(text.to_string()))
    }

    /// The secret itself, for the one place that sends it (Login).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

impl std::fmt::Display for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// Everything [`super::SoapBackend::connect`] needs. Built from the
/// environment by [`SoapConfig::from_env`], or field by field in tests.
#[derive(Debug, Clone)]
pub struct SoapConfig {
    /// `VCENTER_HOST`: `host`, `host:port` or `https://host[:port][/sdk]`
    /// (`http://` only when explicit).
    pub host: String,
    /// `VCENTER_USER`, e.g. `administrator@vsphere.local`.
    pub user: String,
    /// The password, read from `VCENTER_PASSWORD_SECRET_PATH`.
    pub password: Password,
    /// `VCENTER_IGNORE_SSL=true`: skip certificate verification (insecure; logged as a warning).
    pub ignore_ssl: bool,
    /// `VCENTER_CA_FILE`: a PEM bundle trusted in addition to the system roots.
    pub ca_file: Option<PathBuf>,
    /// `VCENTER_CONNECT_TIMEOUT_SECS`: TCP + TLS connect timeout.
    pub connect_timeout: Duration,
    /// `VCENTER_REQUEST_TIMEOUT_SECS`: how long one SOAP request may wait
    /// for its reply. Short by default (30 s) so that a stalled vCenter
    /// gives the agent a clear `timeout` well within its MCP session.
    pub request_timeout: Duration,
    /// `VCENTER_TASK_TIMEOUT_SECS`: how long a task may run before the call
    /// returns [`VsError::Timeout`] (the task itself runs on in vCenter).
    pub task_timeout: Duration,
    /// `maxObjects` per RetrievePropertiesEx page.
    pub page_size: u32,
}

impl SoapConfig {
    /// A config with the default timeouts (connect 10 s, request 30 s,
    /// task 30 min), verification on, and pages of 1,000 objects.
    pub fn new(host: impl Into<String>, user: impl Into<String>, password: Password) -> Self {
        SoapConfig {
            host: host.into(),
            user: user.into(),
            password,
            ignore_ssl: false,
            ca_file: None,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            task_timeout: Duration::from_secs(30 * 60),
            page_size: 1000,
        }
    }

    /// Read `VCENTER_HOST`, `VCENTER_USER`, `VCENTER_PASSWORD_SECRET_PATH`,
    /// `VCENTER_IGNORE_SSL`, `VCENTER_CA_FILE` and the three
    /// `VCENTER_*_TIMEOUT_SECS`.
    pub fn from_env() -> Result<Self, VsError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// [`SoapConfig::from_env`] over any variable source (for tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, VsError> {
        let need = |k: &str| {
            get(k)
                .filter(|v| !v.trim().is_empty())
                .ok_or_else(|| VsError::InvalidArgument(format!("{k} is not set")))
        };
        let host = need("VCENTER_HOST")?;
        let user = need("VCENTER_USER")?;
        let password = Password::from_file(Path::new(&need("VCENTER_PASSWORD_SECRET_PATH")?))?;
        let mut cfg = SoapConfig::new(host, user, password);
        cfg.ignore_ssl = match get("VCENTER_IGNORE_SSL").map(|v| v.trim().to_ascii_lowercase()) {
            None => false,
            Some(v) => match v.as_str() {
                "" | "0" | "false" | "no" | "off" => false,
                "1" | "true" | "yes" | "on" => true,
                _ => {
                    return Err(VsError::InvalidArgument(format!(
                        "VCENTER_IGNORE_SSL must be true or false, not '{v}'"
                    )));
                }
            },
        };
        cfg.ca_file = get("VCENTER_CA_FILE")
            .filter(|v| !v.trim().is_empty())
            .map(PathBuf::from);
        for (name, slot, max) in [
            (
                "VCENTER_CONNECT_TIMEOUT_SECS",
                &mut cfg.connect_timeout,
                600,
            ),
            (
                "VCENTER_REQUEST_TIMEOUT_SECS",
                &mut cfg.request_timeout,
                3600,
            ),
            ("VCENTER_TASK_TIMEOUT_SECS", &mut cfg.task_timeout, 86_400),
        ] {
            if let Some(secs) = seconds(&get, name, max)? {
                *slot = Duration::from_secs(secs);
            }
        }
        Ok(cfg)
    }
}

/// A whole number of seconds from 1 to `max`, if the variable is set.
fn seconds(
    get: &impl Fn(&str) -> Option<String>,
    name: &str,
    max: u64,
) -> Result<Option<u64>, VsError> {
    let Some(raw) = get(name).filter(|v| !v.trim().is_empty()) else {
        return Ok(None);
    };
    match raw.trim().parse::<u64>() {
        Ok(secs) if (1..=max).contains(&secs) => Ok(Some(secs)),
        _ => Err(VsError::InvalidArgument(format!(
            "{name} must be a whole number of seconds from 1 to {max}, not '{}'",
            raw.chars().take(32).collect::<String>()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn password_never_prints() {
        let p = Password::new("hunter2");
        assert_eq!(format!("{p:?} {p}"), "*** ***");
        let cfg = SoapConfig::new("vc", "u", p);
        assert!(!format!("{cfg:?}").contains("hunter2"));
    }

    #[test]
    fn from_env_reads_the_secret_file() {
        let dir = std::env::temp_dir().join(format!("soap-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("pw");
        std::fs::write(&file, "s3cret\r\n").unwrap();
        let vars: HashMap<&str, String> = HashMap::from([
            ("VCENTER_HOST", "vc01".to_string()),
            ("VCENTER_USER", "admin".to_string()),
            ("VCENTER_PASSWORD_SECRET_PATH", file.display().to_string()),
            ("VCENTER_IGNORE_SSL", "TRUE".to_string()),
            ("VCENTER_CA_FILE", "/etc/ca.pem".to_string()),
        ]);
        let cfg = SoapConfig::from_lookup(|k| vars.get(k).cloned()).unwrap();
        assert_eq!(cfg.password.expose(), "s3cret");
        assert!(cfg.ignore_ssl);
        assert_eq!(cfg.ca_file.as_deref(), Some(Path::new("/etc/ca.pem")));
        let missing = SoapConfig::from_lookup(|k| {
            (k != "VCENTER_USER")
                .then(|| vars.get(k).cloned())
                .flatten()
        })
        .unwrap_err();
        assert!(missing.to_string().contains("VCENTER_USER"));
        std::fs::write(&file, "s3cret").unwrap();
        assert_eq!(Password::from_file(&file).unwrap().expose(), "s3cret");
        std::fs::write(&file, "\n").unwrap();
        let empty = Password::from_file(&file).unwrap_err();
        assert!(empty.to_string().contains("empty"));
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn timeouts_come_from_the_environment_and_bad_ones_are_refused() {
        let dir = std::env::temp_dir().join(format!("soap-timeouts-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("pw");
        std::fs::write(&file, "pw\n").unwrap();
        let vars = |extra: &[(&str, &str)]| {
            let mut m: HashMap<String, String> = HashMap::from([
                ("VCENTER_HOST".to_string(), "vc01".to_string()),
                ("VCENTER_USER".to_string(), "u".to_string()),
                (
                    "VCENTER_PASSWORD_SECRET_PATH".to_string(),
                    file.display().to_string(),
                ),
            ]);
            for (k, v) in extra {
                m.insert(k.to_string(), v.to_string());
            }
            m
        };
        let defaults = SoapConfig::from_lookup(|k| vars(&[]).get(k).cloned()).unwrap();
        assert_eq!(defaults.connect_timeout, Duration::from_secs(10));
        assert_eq!(defaults.request_timeout, Duration::from_secs(30));
        let set = vars(&[
            ("VCENTER_CONNECT_TIMEOUT_SECS", "3"),
            ("VCENTER_REQUEST_TIMEOUT_SECS", "7"),
            ("VCENTER_TASK_TIMEOUT_SECS", "90"),
        ]);
        let cfg = SoapConfig::from_lookup(|k| set.get(k).cloned()).unwrap();
        assert_eq!(
            (cfg.connect_timeout, cfg.request_timeout, cfg.task_timeout),
            (
                Duration::from_secs(3),
                Duration::from_secs(7),
                Duration::from_secs(90)
            )
        );
        for bad in ["0", "-1", "soon", "99999999"] {
            let v = vars(&[("VCENTER_REQUEST_TIMEOUT_SECS", bad)]);
            let e = SoapConfig::from_lookup(|k| v.get(k).cloned()).unwrap_err();
            assert!(
                e.to_string()
                    .contains("VCENTER_REQUEST_TIMEOUT_SECS must be a whole number"),
                "{e}"
            );
        }
    }
}
