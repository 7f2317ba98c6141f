//! Least privilege for the vSphere service account: `vmware-mcp privileges`
//! prints the exact privileges the loaded tool groups need (from their
//! capability manifests and the schema's method privileges) with a ready
//! role definition, and at start-up against a real vCenter the server
//! compares them with what the session's role holds ([`check`]).

pub mod check;
pub mod requirements;
pub mod role;

use std::process::ExitCode;
use std::time::Duration;

use crate::config::{Cli, PrivilegesArgs};
use crate::plugins_file::PluginsFile;
use crate::runtime::cache::ComponentCache;
use crate::runtime::limits::PluginLimits;
use crate::runtime::{PluginRuntime, sources};

/// Load the groups the server would load (built-ins plus `--plugins` or
/// `--plugins-file`), with no vCenter and no server, and print what they need.
pub fn run(cli: &Cli, args: &PrivilegesArgs) -> ExitCode {
    match render(cli, args) {
        Ok(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("vmware-mcp privileges: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn render(cli: &Cli, args: &PrivilegesArgs) -> anyhow::Result<String> {
    let file = cli
        .plugins_file
        .as_deref()
        .map(PluginsFile::load)
        .transpose()?;
    let runtime = PluginRuntime::new(
        PluginLimits {
            memory_bytes: cli.plugin_memory_mb.max(1) << 20,
            guest_cpu: Duration::from_millis(cli.plugin_cpu_ms.max(1)),
        },
        ComponentCache::new(Some(cli.plugin_cache_dir())),
    )?;
    let plugins = sources::load_all(
        &runtime,
        sources::collect(
            cli.plugins_dir.as_deref(),
            file.as_ref(),
            cli.plugin_max_bytes,
        )?,
    )?;
    let req = requirements::requirements(&plugins);
    let groups: Vec<String> = plugins
        .iter()
        .map(|p| format!("{} {}", p.identity.group, p.identity.version))
        .collect();
    if args.json {
        let value = serde_json::json!({
            "groups": groups,
            "privileges": req.privileges,
            "unresolved": req.unresolved,
            "govc": role::govc(&args.role_name, &req),
            "powercli": role::powercli(&args.role_name, &req),
        });
        return Ok(serde_json::to_string_pretty(&value)?);
    }
    Ok(role::text(&args.role_name, &groups, &req))
}
