//! Tool schemas every client can take, and a tools/list a model can afford
//! (issue 17, point 3):
//! - the Inspector CLI 2.12's portability check (`--strict`) finds no error
//!   and no warning in any tool's input or output schema;
//! - tools/list stays under 1.1 KB per tool on average, since a client
//!   reads all of it into the model's context at the start of a session.

use vmware_mcp_e2e::{Server, ServerOptions, inspector_cli};

/// The average size budget of one tool in tools/list, in bytes.
const BYTES_PER_TOOL: usize = 1100;

#[tokio::test(flavor = "multi_thread")]
async fn the_inspector_finds_every_tool_schema_portable() {
    let server = Server::start("portable-schemas-inspector", ServerOptions::demo());
    let out = inspector_cli(&server.mcp_url(), &["--method", "tools/list", "--strict"]).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.contains("infra.vmware.vms.listVMs"),
        "the Inspector listed the tools: {stdout}"
    );
    // With --strict every finding is printed as "Warning: tool ..." or
    // "Error: tool ...", then a count; with none, nothing is printed.
    let findings: Vec<&str> = stderr
        .lines()
        .filter(|l| {
            l.starts_with("Warning:") || l.starts_with("Error:") || l.contains("portability")
        })
        .collect();
    assert!(
        findings.is_empty(),
        "schema portability findings:\n{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn tools_list_stays_under_its_budget_per_tool() {
    let server = Server::start("portable-schemas-budget", ServerOptions::demo());
    let client = server.client().await;
    let tools = client.list_all_tools().await.expect("tools/list");
    assert!(
        tools.len() >= 14,
        "the seed tools are listed: {}",
        tools.len()
    );
    let bytes = serde_json::to_string(&tools).unwrap().len();
    let per_tool = bytes / tools.len();
    let sizes: Vec<String> = tools
        .iter()
        .map(|t| format!("{} {} B", t.name, serde_json::to_string(t).unwrap().len()))
        .collect();
    eprintln!(
        "tools/list: {} tools, {bytes} B, {per_tool} B per tool",
        tools.len()
    );
    assert!(
        per_tool <= BYTES_PER_TOOL,
        "tools/list is {bytes} B for {} tools ({per_tool} B each, budget {BYTES_PER_TOOL}):\n{}",
        tools.len(),
        sizes.join("\n")
    );
    client.cancel().await.ok();
}
