//! How to reach vCenter: host, user, the password's secret file, TLS trust
//! and the three timeouts. Read with the rest of the configuration (flags or
//! environment), so `--help` and the README list every setting in one place;
//! the SOAP client turns these into its own settings when it connects.

use std::path::PathBuf;

use clap::Args;

/// The vCenter settings; all optional here, so `--demo` needs none of them.
#[derive(Debug, Clone, Args)]
pub struct VcenterArgs {
    /// vCenter or ESXi: `host`, `host:port` or `https://host[:port][/sdk]`
    /// (`http://` only when explicit).
    #[arg(long = "vcenter-host", env = "VCENTER_HOST", value_name = "HOST")]
    pub host: Option<String>,
    /// The user to log in as, e.g. `administrator@vsphere.local`.
    #[arg(long = "vcenter-user", env = "VCENTER_USER", value_name = "USER")]
    pub user: Option<String>,
    /// The file holding the password (a mounted secret).
    #[arg(
        long = "vcenter-password-secret-path",
        env = "VCENTER_PASSWORD_SECRET_PATH",
        value_name = "FILE"
    )]
    pub password_file: Option<PathBuf>,
    /// Skip certificate verification (insecure; logged as a warning).
    #[arg(
        long = "vcenter-ignore-ssl",
        env = "VCENTER_IGNORE_SSL",
        default_value_t = false,
        action = clap::ArgAction::Set,
        num_args = 0..=1,
        default_missing_value = "true",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub ignore_ssl: bool,
    /// A PEM bundle trusted in addition to the system roots.
    #[arg(long = "vcenter-ca-file", env = "VCENTER_CA_FILE", value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// TCP + TLS connect timeout, in seconds.
    #[arg(
        long = "vcenter-connect-timeout-secs",
        env = "VCENTER_CONNECT_TIMEOUT_SECS",
        default_value_t = 10,
        value_parser = clap::value_parser!(u64).range(1..=600)
    )]
    pub connect_timeout_secs: u64,
    /// How long one SOAP request may wait for its reply: short, so that a
    /// stalled vCenter gives the agent a clear `timeout` within its session.
    #[arg(
        long = "vcenter-request-timeout-secs",
        env = "VCENTER_REQUEST_TIMEOUT_SECS",
        default_value_t = 30,
        value_parser = clap::value_parser!(u64).range(1..=3600)
    )]
    pub request_timeout_secs: u64,
    /// How long a task may run before the call returns a timeout (the task
    /// itself runs on in vCenter).
    #[arg(
        long = "vcenter-task-timeout-secs",
        env = "VCENTER_TASK_TIMEOUT_SECS",
        default_value_t = 1800,
        value_parser = clap::value_parser!(u64).range(1..=86_400)
    )]
    pub task_timeout_secs: u64,
}

impl VcenterArgs {
    /// Whether a vCenter is named at all (otherwise the server needs `--demo`).
    pub fn is_configured(&self) -> bool {
        self.host.as_deref().is_some_and(|h| !h.trim().is_empty())
    }
}
