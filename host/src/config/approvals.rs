//! The arguments of `vmware-mcp approvals`, the operator's command line for
//! a running server's admin API (run by [`crate::cli::approvals`]).

use clap::{Args, Subcommand};

/// Arguments of `vmware-mcp approvals`.
#[derive(Debug, Args)]
pub struct ApprovalsArgs {
    /// The running server's admin API.
    #[arg(
        long,
        env = "ADMIN_URL",
        default_value = "http://127.0.0.1:5006",
        global = true
    )]
    pub admin_url: String,
    /// The admin token itself, when no file is given (`--admin-token-file`
    /// / `ADMIN_TOKEN_SECRET_PATH` takes precedence). Prefer the environment
    /// variable: a command-line value is visible to other users in `ps`.
    #[arg(long, env = "ADMIN_TOKEN", hide_env_values = true, global = true)]
    pub admin_token: Option<String>,
    /// Print the admin API's JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// What to do.
    #[command(subcommand)]
    pub action: ApprovalsAction,
}

/// The approvals subcommands.
#[derive(Debug, Subcommand)]
pub enum ApprovalsAction {
    /// List pending approvals and recent decisions.
    List,
    /// Show one approval in full.
    Show {
        /// The approval id, e.g. req-1a2b3c4d5e6f7a8b (the request id the agent was given).
        id: String,
    },
    /// Approve a pending approval: the waiting tool call goes on.
    Approve {
        /// The approval id.
        id: String,
        /// Why (recorded in the audit trail).
        #[arg(long)]
        reason: Option<String>,
        /// Your name, recorded with the decision (default: $USER).
        #[arg(long, env = "USER", hide_env = true)]
        approver: Option<String>,
    },
    /// Deny a pending approval: the waiting tool call fails with the reason.
    Deny {
        /// The approval id.
        id: String,
        /// Why; the agent is told.
        #[arg(long)]
        reason: String,
        /// Your name, recorded with the decision (default: $USER).
        #[arg(long, env = "USER", hide_env = true)]
        approver: Option<String>,
    },
}
