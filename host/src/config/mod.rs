//! Configuration from flags and environment variables, in one place so the
//! README's table and the code cannot drift apart.

mod approvals;
mod auth;
mod plugin;
mod privileges;
mod secret;
mod vcenter;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

pub use approvals::{ApprovalsAction, ApprovalsArgs};
pub use auth::{AuthArgs, DEFAULT_OPERATE_SCOPE, DEFAULT_READ_SCOPE};
pub use plugin::{PluginAction, PluginArgs};
pub use privileges::PrivilegesArgs;
pub use secret::{Secret, SecretFileError};
pub use vcenter::VcenterArgs;

/// vmware-mcp: an MCP server for VMware vSphere with sandboxed wasm tool groups.
#[derive(Debug, Parser)]
#[command(name = "vmware-mcp", version, about)]
pub struct Cli {
    /// Serve the built-in simulated inventory instead of a vCenter (also
    /// after a subcommand: `vmware-mcp tools --demo`).
    #[arg(long, global = true)]
    pub demo: bool,
    /// Serve a simulated inventory loaded from this JSON fixture (implies --demo).
    #[arg(long, env = "DEMO_INVENTORY_PATH", value_name = "FILE")]
    pub inventory: Option<PathBuf>,
    /// Serve MCP on stdin/stdout instead of HTTP.
    #[arg(long)]
    pub stdio: bool,
    /// Also load every `*.wasm` tool-group component in this directory.
    #[arg(
        long = "plugins",
        env = "PLUGINS_DIR",
        value_name = "DIR",
        global = true
    )]
    pub plugins_dir: Option<PathBuf>,
    /// Load the components this TOML file lists, each pinned by its sha256
    /// digest and optionally narrowed to fewer methods (instead of `--plugins`).
    #[arg(
        long = "plugins-file",
        env = "PLUGINS_FILE",
        value_name = "FILE",
        global = true,
        conflicts_with = "plugins_dir"
    )]
    pub plugins_file: Option<PathBuf>,
    /// Address to bind the HTTP server to.
    #[arg(long, env = "MCP_BIND", default_value = "127.0.0.1")]
    pub bind: String,
    /// Port to serve MCP on.
    #[arg(long, env = "MCP_PORT", default_value_t = 5005)]
    pub port: u16,
    /// Host names clients may use in the Host header (DNS-rebinding guard); loopback names by default.
    #[arg(long, env = "MCP_ALLOWED_HOSTS", value_delimiter = ',')]
    pub allowed_hosts: Vec<String>,
    /// A file holding the bearer token `/mcp` and `/metrics` require.
    #[arg(long, env = "MCP_AUTH_TOKEN_SECRET_PATH", value_name = "FILE")]
    pub auth_token_file: Option<PathBuf>,
    /// Allow a non-loopback bind without a token (logged loudly).
    #[arg(long, env = "MCP_ALLOW_UNAUTHENTICATED", default_value_t = false, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub allow_unauthenticated: bool,
    /// Browser origins allowed to call `/mcp`, comma-separated (`https://app.example.com`); others get 403.
    #[arg(long, env = "MCP_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,
    /// How long a client may take to send a request's headers (and how long an idle
    /// keep-alive connection is kept), in seconds: slow or half-sent requests are closed.
    #[arg(long, env = "MCP_HEADER_TIMEOUT_SECS", default_value_t = 10)]
    pub header_timeout_secs: u64,
    /// How long a client may take to send a request's body, in seconds.
    #[arg(long, env = "MCP_BODY_TIMEOUT_SECS", default_value_t = 10)]
    pub body_timeout_secs: u64,
    /// The largest request body accepted on `/mcp`, in bytes (1 MiB fits any tool call).
    #[arg(long, env = "MCP_MAX_REQUEST_BYTES", default_value_t = 1 << 20)]
    pub max_request_bytes: usize,
    /// Most open HTTP connections on the MCP port (a small reserve above it serves only probes).
    #[arg(long, env = "MCP_MAX_CONNECTIONS", default_value_t = 4096)]
    pub max_connections: usize,
    /// Most tool calls executing at once; more are refused with a `busy` tool error.
    #[arg(long, env = "MCP_MAX_CONCURRENT_CALLS", default_value_t = 64)]
    pub max_concurrent_calls: usize,
    /// How long shutdown waits for in-flight calls, in seconds.
    #[arg(long, env = "SHUTDOWN_GRACE_SECS", default_value_t = 30)]
    pub shutdown_grace_secs: u64,
    /// The approval policy TOML file; absent means every state change asks.
    #[arg(long, env = "APPROVAL_POLICY_PATH", value_name = "FILE")]
    pub approval_policy: Option<PathBuf>,
    /// How long a state change waits for an operator's (or the user's) decision, in seconds.
    #[arg(long, env = "APPROVAL_TIMEOUT_SECS", default_value_t = 120)]
    pub approval_timeout_secs: u64,
    /// Let the MCP client's user approve through elicitation (off: any client can claim a person answered).
    #[arg(long, env = "APPROVAL_ELICITATION", default_value_t = false, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub approval_elicitation: bool,
    /// Where to POST a notification on each new approval, decision and
    /// expiry (one receiver; list more as `[[notify]]` in the policy file).
    /// Its path may hold a token (Slack, Teams): it is never logged.
    #[arg(
        long,
        env = "APPROVAL_WEBHOOK_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub approval_webhook_url: Option<String>,
    /// The webhook's format: `json` (signed, the default), `slack` or `teams`.
    #[arg(long, env = "APPROVAL_WEBHOOK_FORMAT", value_name = "FORMAT")]
    pub approval_webhook_format: Option<String>,
    /// A file holding the key the `json` webhook's HMAC-SHA256 signature is made with.
    #[arg(long, env = "APPROVAL_WEBHOOK_SECRET_PATH", value_name = "FILE")]
    pub approval_webhook_secret_path: Option<PathBuf>,
    /// The admin API's address as operators reach it (`https://vmware-mcp.example.com:5006`),
    /// for the links in notifications; by default the address it listens on.
    #[arg(long, env = "PUBLIC_ADMIN_URL", value_name = "URL")]
    pub public_admin_url: Option<String>,
    /// The append-only JSON Lines audit trail of approval decisions and state-changing vSphere calls.
    #[arg(long, env = "AUDIT_LOG_PATH", value_name = "FILE")]
    pub audit_log: Option<PathBuf>,
    /// Where durable state lives (the requests database): default
    /// `$XDG_STATE_HOME/vmware-mcp`, else `~/.local/state/vmware-mcp`.
    #[arg(long, env = "STATE_DIR", value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// How long a state-changing call waits for its result before it answers
    /// with its request id and what it waits for (under the 60 s that common
    /// clients wait by default); the request goes on either way.
    #[arg(long, env = "CALL_WAIT_SECS", default_value_t = 45)]
    pub call_wait_secs: u64,
    /// How long finished requests are kept: `7d`, `12h`, `30m` or seconds.
    #[arg(long, env = "REQUEST_RETENTION", default_value = "7d", value_parser = parse_retention)]
    pub request_retention: std::time::Duration,
    /// Address the admin API (operator approvals) binds to.
    #[arg(long, env = "ADMIN_BIND", default_value = "127.0.0.1")]
    pub admin_bind: String,
    /// Port of the admin API (`0` picks a free one and logs it).
    #[arg(long, env = "ADMIN_PORT", default_value_t = 5006)]
    pub admin_port: u16,
    /// A file holding the admin API's bearer token; without it the admin API does not run.
    #[arg(
        long,
        env = "ADMIN_TOKEN_SECRET_PATH",
        value_name = "FILE",
        global = true
    )]
    pub admin_token_file: Option<PathBuf>,
    /// Whether the admin API runs: `auto` (when an admin token file is
    /// given, and under `--demo` also without one, with a token generated
    /// for the run) or `off` (never; operators cannot approve).
    #[arg(long, env = "ADMIN_API", value_enum, default_value_t = AdminApi::Auto)]
    pub admin_api: AdminApi,
    /// Allow the admin API on a non-loopback address.
    #[arg(long, env = "ADMIN_ALLOW_REMOTE", default_value_t = false, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub admin_allow_remote: bool,
    /// Most open HTTP connections on the admin port (a small reserve above it
    /// serves only `/healthz`); half-sent requests are evicted first.
    #[arg(long, env = "ADMIN_MAX_CONNECTIONS", default_value_t = 256)]
    pub admin_max_connections: usize,
    /// How long a client of the admin port may take to send a request's
    /// headers (and how long an idle keep-alive connection is kept), in seconds.
    #[arg(long, env = "ADMIN_HEADER_TIMEOUT_SECS", default_value_t = 10)]
    pub admin_header_timeout_secs: u64,
    /// How long a client of the admin port may take to send a request's body, in seconds.
    #[arg(long, env = "ADMIN_BODY_TIMEOUT_SECS", default_value_t = 10)]
    pub admin_body_timeout_secs: u64,
    /// Log filter, e.g. `info` or `vmware_mcp=debug`.
    #[arg(long, env = "LOG_LEVEL", default_value = "info")]
    pub log_level: String,
    /// `json` (one object per line) or `pretty`.
    #[arg(long, env = "LOG_FORMAT", default_value = "json")]
    pub log_format: String,
    /// Where compiled plugins are cached (default: `$XDG_CACHE_HOME/vmware-mcp` or `~/.cache/vmware-mcp`).
    #[arg(long, env = "PLUGIN_CACHE_DIR", value_name = "DIR")]
    pub plugin_cache_dir: Option<PathBuf>,
    /// Memory limit per plugin instance, in MiB.
    #[arg(long, env = "PLUGIN_MEMORY_MB", default_value_t = 64)]
    pub plugin_memory_mb: usize,
    /// Guest CPU time limit per tool call, in milliseconds.
    #[arg(long, env = "PLUGIN_CPU_MS", default_value_t = 5000)]
    pub plugin_cpu_ms: u64,
    /// The largest component file loaded from `--plugins` or `--plugins-file`,
    /// in bytes (64 MiB); a larger file is refused before it is read.
    #[arg(long, env = "PLUGIN_MAX_BYTES", default_value_t = 64 << 20)]
    pub plugin_max_bytes: u64,
    /// Named tokens and OAuth.
    #[command(flatten)]
    pub auth: AuthArgs,
    /// The vCenter to serve (not needed with `--demo`).
    #[command(flatten)]
    pub vcenter: VcenterArgs,
    /// An operator command instead of serving.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Where compiled plugins are cached when `PLUGIN_CACHE_DIR` is not set:
/// `$XDG_CACHE_HOME/vmware-mcp`, else `$HOME/.cache/vmware-mcp`, else the
/// system temp dir (also for the plugin test harness, which has no `Cli`).
pub fn default_plugin_cache_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(d).join("vmware-mcp");
    }
    if let Some(h) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        return PathBuf::from(h).join(".cache").join("vmware-mcp");
    }
    std::env::temp_dir().join("vmware-mcp-cache")
}

/// Where durable state lives when `STATE_DIR` is not set:
/// `$XDG_STATE_HOME/vmware-mcp`, else `$HOME/.local/state/vmware-mcp`, else
/// a folder in the system temp dir.
pub fn default_state_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("XDG_STATE_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(d).join("vmware-mcp");
    }
    if let Some(h) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        return PathBuf::from(h).join(".local/state/vmware-mcp");
    }
    std::env::temp_dir().join("vmware-mcp-state")
}

/// A retention like `7d`, `12h`, `30m`, `90s` or plain seconds.
fn parse_retention(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((at, _)) => text.split_at(at),
        None => (text, "s"),
    };
    let seconds_per = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => 0,
    };
    match number.parse::<u64>() {
        Ok(n) if seconds_per > 0 && n > 0 => Ok(std::time::Duration::from_secs(
            n.saturating_mul(seconds_per),
        )),
        _ => Err(format!(
            "{text:?} is not a retention; give a positive number of days, hours, minutes or seconds, like 7d, 12h, 30m or 3600"
        )),
    }
}

/// When the admin API (operator approvals) runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AdminApi {
    /// With an admin token file; in the demo, with a generated token.
    Auto,
    /// Never.
    Off,
}

/// Commands other than serving.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the tool list as JSON and exit (useful to check plugins load).
    Tools,
    /// List, show, approve or deny pending approvals on a running server (via its admin API).
    Approvals(ApprovalsArgs),
    /// Create a tool-group crate (`plugin new`) or test a component against the simulator (`plugin test`).
    Plugin(PluginArgs),
    /// Print the vSphere privileges the loaded groups need, and a role definition, and exit.
    Privileges(PrivilegesArgs),
}

impl Cli {
    /// Where compiled plugins are cached: `PLUGIN_CACHE_DIR`, else
    /// `$XDG_CACHE_HOME/vmware-mcp`, else `$HOME/.cache/vmware-mcp`, else
    /// the system temp dir.
    pub fn plugin_cache_dir(&self) -> PathBuf {
        self.plugin_cache_dir
            .clone()
            .unwrap_or_else(default_plugin_cache_dir)
    }

    /// Where durable state lives: `STATE_DIR`, else [`default_state_dir`].
    pub fn state_dir(&self) -> PathBuf {
        self.state_dir.clone().unwrap_or_else(default_state_dir)
    }

    /// Whether the simulated inventory is to be served.
    pub fn wants_demo(&self) -> bool {
        self.demo || self.inventory.is_some()
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::Cli;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("vmware-mcp").chain(args.iter().copied()))
    }

    #[test]
    fn defaults_are_the_documented_timeouts() {
        let cli = parse(&[]).unwrap();
        assert_eq!(cli.vcenter.connect_timeout_secs, 10);
        assert_eq!(cli.vcenter.request_timeout_secs, 30);
        assert_eq!(cli.vcenter.task_timeout_secs, 1800);
        assert!(!cli.vcenter.ignore_ssl);
    }

    #[test]
    fn out_of_range_timeouts_and_non_booleans_are_refused_with_the_range() {
        let e = parse(&["--vcenter-task-timeout-secs", "0"])
            .unwrap_err()
            .to_string();
        assert!(e.contains("1..=86400"), "{e}");
        let e = parse(&["--vcenter-connect-timeout-secs", "ten"])
            .unwrap_err()
            .to_string();
        assert!(e.contains("ten"), "{e}");
        let e = parse(&["--vcenter-ignore-ssl", "maybe"])
            .unwrap_err()
            .to_string();
        assert!(e.contains("maybe"), "{e}");
        assert!(
            parse(&["--vcenter-ignore-ssl", "yes"])
                .unwrap()
                .vcenter
                .ignore_ssl
        );
    }

    #[test]
    fn a_blank_host_is_not_a_vcenter() {
        assert!(
            !parse(&["--vcenter-host", " "])
                .unwrap()
                .vcenter
                .is_configured()
        );
        assert!(
            parse(&["--vcenter-host", "vc1"])
                .unwrap()
                .vcenter
                .is_configured()
        );
    }
}
