//! The settings of who may call: named MCP and admin tokens, and OAuth 2.1
//! access tokens (checked by [`crate::auth`]).

use std::path::PathBuf;

use clap::Args;

/// The scope every call needs, unless `OAUTH_READ_SCOPE` names another.
pub const DEFAULT_READ_SCOPE: &str = "vmware.read";
/// The scope a state change needs as well, unless `OAUTH_OPERATE_SCOPE` names another.
pub const DEFAULT_OPERATE_SCOPE: &str = "vmware.operate";

/// Authentication settings of the MCP and admin ports.
#[derive(Debug, Args)]
pub struct AuthArgs {
    /// A TOML file of named MCP tokens: `[[token]]` tables with a `label`
    /// (the agent's identity) and the token's `sha256`, optionally `scopes`.
    #[arg(long = "mcp-tokens-file", env = "MCP_TOKENS_PATH", value_name = "FILE")]
    pub mcp_tokens: Option<PathBuf>,
    /// A TOML file of named admin tokens, as for `MCP_TOKENS_PATH`: a
    /// decision made with one is recorded under its label.
    #[arg(
        long = "admin-tokens-file",
        env = "ADMIN_TOKENS_PATH",
        value_name = "FILE"
    )]
    pub admin_tokens: Option<PathBuf>,
    /// The OAuth 2.1 authorization server whose JWT access tokens `/mcp`
    /// accepts (its issuer identifier, https).
    #[arg(long, env = "OAUTH_ISSUER", value_name = "URL")]
    pub oauth_issuer: Option<String>,
    /// The audience an access token must be for (default: `MCP_PUBLIC_URL`, RFC 8707).
    #[arg(long, env = "OAUTH_AUDIENCE", value_name = "AUDIENCE")]
    pub oauth_audience: Option<String>,
    /// The scope every call needs.
    #[arg(long, env = "OAUTH_READ_SCOPE", default_value = DEFAULT_READ_SCOPE)]
    pub oauth_read_scope: String,
    /// The scope a state-changing tool call needs as well.
    #[arg(long, env = "OAUTH_OPERATE_SCOPE", default_value = DEFAULT_OPERATE_SCOPE)]
    pub oauth_operate_scope: String,
    /// Accept an `http://` issuer on a loopback address (tests, local providers).
    #[arg(long, env = "OAUTH_ALLOW_HTTP_ISSUER", default_value_t = false, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub oauth_allow_http_issuer: bool,
    /// The clock skew allowed on a token's `exp` and `nbf`, in seconds.
    #[arg(long, env = "OAUTH_CLOCK_SKEW_SECS", default_value_t = 60)]
    pub oauth_clock_skew_secs: u64,
    /// The least time between two fetches of the issuer's keys for a token
    /// signed by an unknown key id, in seconds.
    #[arg(long, env = "OAUTH_JWKS_MIN_REFRESH_SECS", default_value_t = 30)]
    pub oauth_jwks_min_refresh_secs: u64,
    /// This server's MCP endpoint as clients reach it
    /// (`https://vmware-mcp.example.com/mcp`): the OAuth resource identifier
    /// and default audience; by default `http://<MCP_BIND>:<MCP_PORT>/mcp`.
    #[arg(long, env = "MCP_PUBLIC_URL", value_name = "URL")]
    pub mcp_public_url: Option<String>,
}
