//! `vmware-mcp plugin new | test`: the tool-group author's commands. They
//! never serve and never talk to a vCenter: `new` writes a crate, `test`
//! runs a component in the host's sandbox against the simulated inventory.

use std::process::ExitCode;

use crate::config::{PluginAction, PluginArgs};

/// Run a plugin subcommand.
pub async fn run(args: &PluginArgs) -> ExitCode {
    match &args.action {
        PluginAction::New { name, dir, source } => {
            super::plugin_new::run(name, dir, source.as_deref())
        }
        #[cfg(feature = "harness")]
        PluginAction::Test {
            component,
            inventory,
            cases,
        } => super::plugin_test::run(component, inventory.as_deref(), cases).await,
        #[cfg(not(feature = "harness"))]
        PluginAction::Test { .. } => {
            eprintln!(
                "vmware-mcp plugin test: this vmware-mcp is a server build, without the tool-group \
                 test harness; build the author's one from the checkout with \
                 `cargo install --path host --features harness` (or `cargo run -p vmware-mcp \
                 --features harness -- plugin test ...`)"
            );
            ExitCode::from(2)
        }
    }
}
