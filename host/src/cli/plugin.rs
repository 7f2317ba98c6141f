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
        PluginAction::Test {
            component,
            inventory,
            cases,
        } => super::plugin_test::run(component, inventory.as_deref(), cases).await,
    }
}
