//! What the SOAP client needs to reach and log in to vCenter, built from the
//! server's configuration ([`VcenterArgs`]) or field by field in tests.

use std::path::PathBuf;
use std::time::Duration;

use crate::config::{Secret, VcenterArgs};
use crate::vocabulary::VsError;

/// Everything [`super::SoapBackend::connect`] needs.
#[derive(Debug, Clone)]
pub struct SoapConfig {
    /// `VCENTER_HOST`: `host`, `host:port` or `https://host[:port][/sdk]`
    /// (`http://` only when explicit).
    pub host: String,
    /// `VCENTER_USER`, e.g. `administrator@vsphere.local`.
    pub user: String,
    /// The password, read from `VCENTER_PASSWORD_SECRET_PATH`.
    pub password: Secret,
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
    pub fn new(host: impl Into<String>, user: impl Into<String>, password: Secret) -> Self {
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

    /// The client settings for the configured vCenter: every required
    /// setting present, the password read from its secret file.
    pub fn from_args(args: &VcenterArgs) -> Result<Self, VsError> {
        fn need<'a>(value: &'a Option<String>, name: &str) -> Result<&'a str, VsError> {
            value
                .as_deref()
                .filter(|v| !v.trim().is_empty())
                .ok_or_else(|| VsError::InvalidArgument(format!("{name} is not set")))
        }
        let host = need(&args.host, "VCENTER_HOST")?;
        let user = need(&args.user, "VCENTER_USER")?;
        let password_file = args.password_file.as_deref().ok_or_else(|| {
            VsError::InvalidArgument("VCENTER_PASSWORD_SECRET_PATH is not set".into())
        })?;
        let password = Secret::from_file("VCENTER_PASSWORD_SECRET_PATH", password_file)
            .map_err(|e| VsError::InvalidArgument(e.to_string()))?;
        let mut cfg = SoapConfig::new(host, user, password);
        cfg.ignore_ssl = args.ignore_ssl;
        cfg.ca_file = args.ca_file.clone();
        cfg.connect_timeout = Duration::from_secs(args.connect_timeout_secs);
        cfg.request_timeout = Duration::from_secs(args.request_timeout_secs);
        cfg.task_timeout = Duration::from_secs(args.task_timeout_secs);
        Ok(cfg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_never_prints() {
        let p = Secret::new("hunter2");
        assert_eq!(format!("{p:?} {p}"), "Secret(***) ***");
        let cfg = SoapConfig::new("vc", "u", p);
        assert!(!format!("{cfg:?}").contains("hunter2"));
    }

    #[test]
    fn from_args_reads_the_secret_file_and_names_what_is_missing() {
        use clap::Parser;
        let dir = std::env::temp_dir().join(format!("soap-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("pw");
        std::fs::write(&file, "s3cret\r\n").unwrap();
        let file_arg = file.display().to_string();
        let cli = crate::config::Cli::try_parse_from([
            "vmware-mcp",
            "--vcenter-host",
            "vc01",
            "--vcenter-user",
            "admin",
            "--vcenter-password-secret-path",
            &file_arg,
            "--vcenter-ignore-ssl",
            "--vcenter-ca-file",
            "/etc/ca.pem",
            "--vcenter-task-timeout-secs",
            "90",
        ])
        .unwrap();
        let cfg = SoapConfig::from_args(&cli.vcenter).unwrap();
        assert_eq!(cfg.password.expose(), "s3cret");
        assert!(cfg.ignore_ssl);
        assert_eq!(
            cfg.ca_file.as_deref(),
            Some(std::path::Path::new("/etc/ca.pem"))
        );
        assert_eq!(cfg.task_timeout, Duration::from_secs(90));
        let mut no_user = cli.vcenter.clone();
        no_user.user = None;
        let missing = SoapConfig::from_args(&no_user).unwrap_err();
        assert!(missing.to_string().contains("VCENTER_USER"), "{missing}");
        std::fs::write(&file, "\n").unwrap();
        let empty = SoapConfig::from_args(&cli.vcenter).unwrap_err().to_string();
        assert!(
            empty.contains("VCENTER_PASSWORD_SECRET_PATH=") && empty.contains("empty"),
            "{empty}"
        );
        std::fs::remove_dir_all(&dir).ok();
    }
}
