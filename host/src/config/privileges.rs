//! The arguments of `vmware-mcp privileges` (run by [`crate::privileges`]).

use clap::Args;

/// `vmware-mcp privileges [--plugins DIR | --plugins-file FILE]`.
#[derive(Debug, Clone, Args)]
pub struct PrivilegesArgs {
    /// The role name used in the printed role definitions.
    #[arg(long, default_value = "vmware-mcp")]
    pub role_name: String,
    /// Print JSON (privileges, who needs each, the role lines) instead of text.
    #[arg(long)]
    pub json: bool,
}
