//! The arguments of `vmware-mcp plugin new | test`, the tool-group author's
//! commands (run by [`crate::cli::plugin`]).

use std::path::PathBuf;

use clap::{Args, Subcommand};

/// Arguments of `vmware-mcp plugin`.
#[derive(Debug, Args)]
pub struct PluginArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: PluginAction,
}

/// The plugin subcommands.
#[derive(Debug, Subcommand)]
pub enum PluginAction {
    /// Create a new tool-group crate: a read-only and an approval-gated tool,
    /// a fixture inventory, test cases, tests and a README.
    New {
        /// The group's name (also the crate's): lower-case letters, digits and `-`,
        /// starting with a letter, e.g. `vm-power`.
        name: String,
        /// The directory to create the crate in (as DIR/NAME).
        #[arg(long, value_name = "DIR", default_value = ".")]
        dir: PathBuf,
        /// The vmware-mcp source checkout whose plugins/sdk (and host, for the
        /// tests) the crate depends on; default: the one this binary was built from.
        #[arg(long, value_name = "DIR")]
        source: Option<PathBuf>,
    },
    /// Run a component's test cases in the host's sandbox against the
    /// simulated inventory; exits non-zero when any case fails.
    Test {
        /// The tool-group component, built for wasm32-wasip2.
        component: PathBuf,
        /// The inventory fixture to serve (default: the built-in demo inventory).
        #[arg(long, value_name = "FIXTURE")]
        inventory: Option<PathBuf>,
        /// The cases file (TOML, `[[case]]` tables).
        cases: PathBuf,
    },
}
