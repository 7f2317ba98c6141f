//! The operators' web page in a real headless browser: a pending approval
//! appears on `/approvals` saying who asked (the named MCP token's label and
//! the MCP client), clicking Approve completes the waiting tool call,
//! and a screenshot is kept as a test artefact
//! (`target/e2e/artifacts/approvals.png`).
//!
//! Needs Debian's `chromium` and `playwright-core` in `target/npm` (both
//! installed by `.ci/run`: `apt-get install chromium`,
//! `npm install --prefix target/npm playwright-core`).

use std::path::Path;
use std::process::Command;

use rmcp::ServiceExt;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::{Value, json};
use vmware_mcp_e2e::admin::{self, Operator, TOKEN};
use vmware_mcp_e2e::{Server, call, node_modules, scratch_dir, scratch_file, workspace_root};

const OFF: &str = "infra.vmware.vms.powerOffVm";

#[tokio::test(flavor = "multi_thread")]
async fn clicking_approve_on_the_page_completes_the_waiting_call() {
    let chromium = Path::new("/usr/bin/chromium");
    let node_modules = node_modules();
    assert!(
        chromium.is_file(),
        "{} is missing: apt-get install chromium (as .ci/run does)",
        chromium.display()
    );
    assert!(
        node_modules.join("playwright-core").is_dir(),
        "playwright-core is missing: npm install --prefix target/npm playwright-core (as .ci/run does)"
    );
    let name = "appr-browser";
    // The agent has a named MCP token: the page says who asked.
    let agent_token = "browser-agent-token-31";
    let hash: String = <sha2::Sha256 as sha2::Digest>::digest(agent_token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let tokens = scratch_file(
        name,
        "mcp-tokens.toml",
        &format!("[[token]]\nlabel = \"ci-agent\"\nsha256 = \"{hash}\"\n"),
    );
    let server = Server::start(
        name,
        admin::options(name, 120).env("MCP_TOKENS_PATH", tokens),
    );
    let op = Operator::of(&server, name);
    let transport = StreamableHttpClientTransport::from_config(
        StreamableHttpClientTransportConfig::with_uri(server.mcp_url()).auth_header(agent_token),
    );
    let client = ().serve(transport).await.expect("MCP client connects");
    let list = call(&client, "infra.vmware.vms.listVMs", json!({}))
        .await
        .unwrap()
        .json;
    let vms = list["vms"].as_array().unwrap();
    let vm = vms
        .iter()
        .filter(|v| v["powerState"] == "poweredOn")
        .map(|v| v["name"].as_str().unwrap().to_string())
        .find(|n| vms.iter().filter(|v| v["name"] == n.as_str()).count() == 1)
        .unwrap();

    let artifacts = scratch_dir("artifacts");
    let screenshot = artifacts.join("approvals.png");
    let _ = std::fs::remove_file(&screenshot);
    let profile = scratch_dir(name).join("chromium-profile");
    let _ = std::fs::remove_dir_all(&profile);
    let script = workspace_root().join("tests/browser/approvals.cjs");
    let mut browser = Command::new("node");
    browser
        .arg(&script)
        .env("NODE_PATH", &node_modules)
        .env("ADMIN_URL", &op.url)
        .env("ADMIN_TOKEN", TOKEN)
        .env("TOOL", OFF)
        .env("VM", &vm)
        .env("SCREENSHOT", &screenshot)
        .env("USER_DATA_DIR", &profile);
    let driving = tokio::task::spawn_blocking(move || browser.output().expect("node runs"));

    let outcome = call(&client, OFF, json!({"vmName": vm})).await.unwrap();
    let out = driving.await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the browser script failed:\n{stdout}\n{}\nserver log:\n{}",
        String::from_utf8_lossy(&out.stderr),
        server.log_text()
    );
    let seen: Value =
        serde_json::from_str(stdout.lines().last().unwrap_or("")).expect("one JSON line");

    assert!(
        !outcome.is_error,
        "the call approved on the page succeeds: {}",
        outcome.text
    );
    assert_eq!(
        call(&client, "infra.vmware.vms.getVMInfo", json!({"vmName": vm}))
            .await
            .unwrap()
            .json["powerState"],
        "poweredOff",
        "second read"
    );
    // What the operator read: tool, target, method, arguments, and who asked.
    let text = seen["text"].as_str().unwrap();
    for part in [
        "Requested by",
        "ci-agent via rmcp",
        OFF,
        vm.as_str(),
        "PowerOffVM_Task",
        "VirtualMachine",
        "powerState",
    ] {
        assert!(text.contains(part), "the card shows {part}: {text}");
    }
    let id = seen["id"].as_str().unwrap();
    assert!(
        seen["rowText"].as_str().unwrap().contains("approved"),
        "{seen}"
    );
    assert_eq!(seen["tokenKeptInSession"], true);
    // Signed in by the banner's link, the operator is asked for a name once.
    assert_eq!(seen["nameKept"], "banner-operator", "{seen}");
    assert_eq!(
        seen["whoAfterName"], "signed in as banner-operator",
        "{seen}"
    );
    assert_eq!(
        seen["external"],
        json!([]),
        "the page loads nothing from elsewhere"
    );
    assert_eq!(
        seen["consoleErrors"].as_array().map(|a| a
            .iter()
            .filter(|e| !e.as_str().unwrap_or("").contains("401"))
            .count()),
        Some(0),
        "{seen}"
    );
    let (_, view) = op.get(&format!("/api/approvals/{id}"), Some(TOKEN)).await;
    assert_eq!(view["decided_by"], "operator:browser-operator");
    assert_eq!(view["reason"], "approved from the browser test");
    let png = std::fs::read(&screenshot).expect("the screenshot artefact");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "a real screenshot"
    );
    client.cancel().await.ok();
}
