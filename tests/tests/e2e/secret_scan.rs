//! No secret appears anywhere: drive every tool against vcsim with a vCenter
//! password, an MCP token and an admin token configured, then scan the
//! server's whole output, the audit trail and every tool result for them.

use rmcp::ServiceExt;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::json;
use vmware_mcp_e2e::conformance::{Flavor, run_all};
use vmware_mcp_e2e::{Server, Vcsim, call, scratch_dir, scratch_file};

const VCENTER_PASSWORD: &str = "Vc-Pa55-q7Zr2-secret";
const MCP_TOKEN: &str = "mcp-tok-5Hk9-secret";
const ADMIN_TOKEN: &str = "admin-tok-3Jw8-secret";

#[tokio::test(flavor = "multi_thread")]
async fn no_password_or_token_appears_in_logs_audit_or_results() {
    let name = "secret-scan";
    let sim = Vcsim::start(name, &["-model", "vpx", "-password", VCENTER_PASSWORD]);
    assert_eq!(sim.endpoint.password, VCENTER_PASSWORD);
    let audit = scratch_dir(name).join("audit.jsonl");
    let _ = std::fs::remove_file(&audit);
    let options = sim
        .server_options()
        .env(
            "APPROVAL_POLICY_PATH",
            scratch_file(name, "policy.toml", "default = \"allow\"\n"),
        )
        .env(
            "MCP_AUTH_TOKEN_SECRET_PATH",
            scratch_file(name, "mcp-token", MCP_TOKEN),
        )
        .env(
            "ADMIN_TOKEN_SECRET_PATH",
            scratch_file(name, "admin-token", ADMIN_TOKEN),
        )
        .env("AUDIT_LOG_PATH", audit.display().to_string())
        .env("LOG_LEVEL", "debug");
    let server = Server::start(name, options);
    let transport = StreamableHttpClientTransport::from_config(
        StreamableHttpClientTransportConfig::with_uri(server.mcp_url()).auth_header(MCP_TOKEN),
    );
    let client = ().serve(transport).await.expect("authorized client");

    // Every tool, plus failures that echo input back.
    run_all(
        &client,
        Flavor {
            name: "vcsim-vpx",
            clone_supported: true,
            guest_reboot: false,
        },
    )
    .await;
    let mut results = Vec::new();
    for (tool, args) in [
        ("infra.vmware.vms.getVMInfo", json!({"vmName": 7})),
        (
            "infra.vmware.vms.getVMInfo",
            json!({"vmName": "no-such-vm"}),
        ),
        (
            "infra.vmware.hosts.getHostInfo",
            json!({"hostName": "no-such-host"}),
        ),
        ("infra.vmware.getMetrics", json!({})),
    ] {
        results.push(
            call(&client, tool, args)
                .await
                .map(|r| format!("{} {}", r.text, r.meta))
                .unwrap_or_else(|e| e),
        );
    }
    client.cancel().await.ok();
    let mut server = server;
    server.terminate();

    let log = server.log_text();
    assert!(
        log.lines().count() > 50,
        "the scan covers a real log ({} lines)",
        log.lines().count()
    );
    assert!(
        log.contains("vsphere call"),
        "the log holds the vSphere calls"
    );
    let audit_text = std::fs::read_to_string(&audit).unwrap_or_default();
    for secret in [VCENTER_PASSWORD, MCP_TOKEN, ADMIN_TOKEN] {
        assert!(!log.contains(secret), "a secret leaked into the server log");
        assert!(
            !audit_text.contains(secret),
            "a secret leaked into the audit trail"
        );
        for r in &results {
            assert!(!r.contains(secret), "a secret leaked into a tool result");
        }
    }
}
