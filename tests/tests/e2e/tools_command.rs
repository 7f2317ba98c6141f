//! `vmware-mcp tools` prints the registered tools as JSON on stdout and
//! nothing else (its logs go to stderr), so it can be piped into `jq`; and
//! without a vCenter it says to add `--demo`.

use std::process::{Command, Stdio};

use serde_json::Value;
use vmware_mcp_e2e::server::binary;
use vmware_mcp_e2e::workspace_root;

fn tools(args: &[&str]) -> std::process::Output {
    Command::new(binary())
        .arg("tools")
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LOG_LEVEL", "debug")
        .env(
            "PLUGIN_CACHE_DIR",
            workspace_root().join("target/e2e/plugin-cache"),
        )
        .stdin(Stdio::null())
        .output()
        .expect("running vmware-mcp tools")
}

#[test]
fn stdout_is_the_tool_list_as_json_and_logs_go_to_stderr() {
    let out = tools(&["--demo"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    let names: Vec<&str> = listed
        .as_array()
        .expect("a JSON array of tools")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert!(names.contains(&"infra.vmware.vms.listVMs"), "{names:?}");
    assert_eq!(
        names.len(),
        vmware_mcp_e2e::conformance::TOOLS.len(),
        "{names:?}"
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("plugin loaded"),
        "the logs went to stderr"
    );
}

#[test]
fn without_a_vcenter_it_says_to_add_demo() {
    let out = tools(&[]);
    assert!(!out.status.success());
    assert!(
        out.stdout.is_empty(),
        "nothing but JSON ever goes to stdout"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--demo"), "{err}");
}
