//! Issue 5: correlation ids through logs and results, Prometheus metrics,
//! endpoint security, probes and graceful shutdown, all against the real binary.

use std::process::Command;

use reqwest::StatusCode;
use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::{Value, json};
use vmware_mcp_e2e::{Server, ServerOptions, call, scratch_file, workspace_root};

fn lines_with(server: &Server, id: &str) -> Vec<Value> {
    server
        .log_lines()
        .into_iter()
        .filter(|l| l["correlation_id"] == id)
        .collect()
}

fn python(script: &str, args: &[&str]) -> Value {
    let out = Command::new("python3")
        .arg(workspace_root().join("tests/python").join(script))
        .args(args)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{script} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the script prints JSON")
}

#[tokio::test(flavor = "multi_thread")]
async fn one_call_shares_one_correlation_id_across_host_plugin_and_vsphere_lines() {
    let policy = scratch_file("ops-correlation", "policy.toml", "default = \"allow\"\n");
    let server = Server::start(
        "ops-correlation",
        ServerOptions::demo().env("APPROVAL_POLICY_PATH", policy),
    );
    let client = server.client().await;

    // A client-supplied id in _meta is used end to end.
    let mut params = CallToolRequestParams::new("infra.vmware.vms.powerOffVm");
    params.arguments = Some(json!({"vmName": "web-01"}).as_object().unwrap().clone());
    let mut meta = rmcp::model::RequestMetaObject::default();
    meta.insert("correlation_id".into(), json!("client-corr-0001"));
    params.meta = Some(meta);
    let result = client.call_tool(params).await.expect("call");
    assert_ne!(result.is_error, Some(true), "{:?}", result.content);
    assert_eq!(
        result.meta.as_ref().unwrap().0["correlation_id"],
        "client-corr-0001"
    );
    let lines = lines_with(&server, "client-corr-0001");
    let messages: Vec<&str> = lines.iter().filter_map(|l| l["message"].as_str()).collect();
    assert!(
        messages.contains(&"tool call started") && messages.contains(&"tool call finished"),
        "{messages:?}"
    );
    let vsphere = lines
        .iter()
        .find(|l| l["message"] == "vsphere call" && l["method"] == "PowerOffVM_Task")
        .unwrap_or_else(|| panic!("the vSphere call is logged with the id: {messages:?}"));
    assert_eq!(vsphere["outcome"], "ok");
    assert!(
        vsphere["object"]
            .as_str()
            .unwrap()
            .starts_with("VirtualMachine:"),
        "{vsphere}"
    );
    assert!(vsphere["duration_ms"].is_number());
    assert!(
        vsphere["task_id"]
            .as_str()
            .is_some_and(|t| t.starts_with("task-")),
        "the task id is logged: {vsphere}"
    );
    let plugin = lines
        .iter()
        .find(|l| l["target"] == "plugin")
        .unwrap_or_else(|| panic!("a plugin line carries the id: {messages:?}"));
    assert_eq!(plugin["plugin"], "vms");
    assert!(
        plugin["plugin_version"]
            .as_str()
            .is_some_and(|v| !v.is_empty()),
        "{plugin}"
    );
    for l in &lines {
        for key in ["timestamp", "level", "message", "target"] {
            assert!(l.get(key).is_some(), "every line has {key}: {l}");
        }
    }

    // Without an id, one is generated, returned, and shared by that call's lines.
    let generated = call(
        &client,
        "infra.vmware.vms.getVMInfo",
        json!({"vmName": "web-01"}),
    )
    .await
    .unwrap();
    let id = generated.meta["correlation_id"]
        .as_str()
        .expect("a generated id")
        .to_string();
    assert!(id.len() >= 16 && id != "client-corr-0001");
    assert!(
        lines_with(&server, &id)
            .iter()
            .any(|l| l["message"] == "vsphere call")
    );
    client.cancel().await.ok();

    // The X-Correlation-ID header is honoured too.
    let mut headers = std::collections::HashMap::new();
    headers.insert(
        http::HeaderName::from_static("x-correlation-id"),
        http::HeaderValue::from_static("header-corr-0002"),
    );
    let transport = StreamableHttpClientTransport::from_config(
        StreamableHttpClientTransportConfig::with_uri(server.mcp_url()).custom_headers(headers),
    );
    let client = ().serve(transport).await.expect("client with header");
    let r = call(&client, "infra.vmware.hosts.listHosts", json!({}))
        .await
        .unwrap();
    assert_eq!(r.meta["correlation_id"], "header-corr-0002");
    assert!(
        lines_with(&server, "header-corr-0002")
            .iter()
            .any(|l| l["message"] == "vsphere call")
    );
    client.cancel().await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_parse_as_prometheus_text_and_move_as_tools_are_called() {
    // No approval channel, so the refused power-off answers at once.
    let server = Server::start("ops-metrics", ServerOptions::demo().env("ADMIN_API", "off"));
    let url = format!("{}/metrics", server.base_url);
    let before = python("parse_metrics.py", &[&url]);
    assert!(
        before["contentType"]
            .as_str()
            .unwrap()
            .starts_with("text/plain"),
        "{before}"
    );
    assert_eq!(before["families"]["vmware_mcp_uptime_seconds"], "gauge");
    assert_eq!(
        before["families"]["vmware_mcp_plugin_info"], "gauge",
        "loaded plugins are exported: {before}"
    );
    let calls_key = "vmware_mcp_tool_calls_total{outcome=\"ok\",tool=\"infra.vmware.vms.listVMs\"}";
    assert!(before["samples"].get(calls_key).is_none());

    let client = server.client().await;
    for _ in 0..3 {
        assert!(
            !call(&client, "infra.vmware.vms.listVMs", json!({}))
                .await
                .unwrap()
                .is_error
        );
    }
    let refused = call(
        &client,
        "infra.vmware.vms.powerOffVm",
        json!({"vmName": "web-01"}),
    )
    .await
    .unwrap();
    assert!(refused.is_error);
    let after = python("parse_metrics.py", &[&url]);
    assert_eq!(
        after["families"]["vmware_mcp_tool_calls"], "counter",
        "{after}"
    );
    assert_eq!(after["samples"][calls_key], 3.0, "{after}");
    assert_eq!(
        after["samples"]["vmware_mcp_tool_calls_total{outcome=\"approval_required\",tool=\"infra.vmware.vms.powerOffVm\"}"],
        1.0
    );
    assert_eq!(
        after["families"]["vmware_mcp_tool_call_duration_seconds"],
        "histogram"
    );
    assert_eq!(
        after["samples"]["vmware_mcp_tool_call_duration_seconds_count{tool=\"infra.vmware.vms.listVMs\"}"],
        3.0
    );
    // listVMs pages come from the inventory index (no vSphere call); the
    // refused powerOffVm read its VM before asking for approval.
    assert!(after["samples"]["vmware_mcp_vsphere_calls_total{method=\"RetrievePropertiesEx\",outcome=\"ok\"}"].as_f64().unwrap() >= 1.0);
    assert!(
        after["samples"]["vmware_mcp_uptime_seconds{}"]
            .as_f64()
            .unwrap()
            >= before["samples"]["vmware_mcp_uptime_seconds{}"]
                .as_f64()
                .unwrap()
    );
    client.cancel().await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn bearer_token_origin_check_and_open_probes() {
    let token = "test-mcp-token-7c1e";
    let token_file = scratch_file("ops-security", "mcp-token", &format!("{token}\n"));
    let server = Server::start(
        "ops-security",
        ServerOptions::demo()
            .env("MCP_AUTH_TOKEN_SECRET_PATH", token_file)
            .env("MCP_ALLOWED_ORIGINS", "https://console.example.com"),
    );
    let http = reqwest::Client::new();
    let init = json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}});
    let post = |auth: Option<String>, origin: Option<&str>| {
        let mut r = http
            .post(format!("{}/mcp", server.base_url))
            .header("Accept", "application/json, text/event-stream")
            .json(&init);
        if let Some(a) = auth {
            r = r.header("Authorization", a);
        }
        if let Some(o) = origin {
            r = r.header("Origin", o);
        }
        r.send()
    };
    assert_eq!(
        post(None, None).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    let wrong = post(Some("Bearer not-the-token".into()), None)
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(wrong.headers().get("www-authenticate").is_some());
    assert_eq!(
        post(
            Some(format!("Bearer {token}")),
            Some("https://evil.example.net")
        )
        .await
        .unwrap()
        .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post(
            Some(format!("Bearer {token}")),
            Some("https://console.example.com")
        )
        .await
        .unwrap()
        .status(),
        StatusCode::OK
    );
    assert_eq!(
        post(Some(format!("Bearer {token}")), None)
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        http.get(format!("{}/metrics", server.base_url))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );

    // A real client with the token works.
    let transport = StreamableHttpClientTransport::from_config(
        StreamableHttpClientTransportConfig::with_uri(server.mcp_url()).auth_header(token),
    );
    let client = ().serve(transport).await.expect("authorized client");
    assert!(
        !call(&client, "infra.vmware.vms.listVMs", json!({}))
            .await
            .unwrap()
            .is_error
    );
    client.cancel().await.ok();

    // Probes need no token and reveal nothing sensitive.
    let health = http
        .get(format!("{}/healthz", server.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    let ready = http
        .get(format!("{}/readyz", server.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    let body = ready.text().await.unwrap();
    let parsed: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(parsed["ready"], true);
    assert_eq!(
        parsed["pluginsLoaded"], 7,
        "vms, hosts, storage, events, perf, networks and clusters"
    );
    assert!(
        !body.contains(token) && !body.contains("/"),
        "nothing sensitive in /readyz: {body}"
    );
    assert!(
        !server.log_text().contains(token),
        "the token never reaches the log"
    );
}

#[test]
fn refuses_to_start_on_a_public_address_without_a_token() {
    let (code, output) = Server::run_to_exit(ServerOptions::demo().env("MCP_BIND", "0.0.0.0"));
    assert_ne!(code, Some(0), "{output}");
    assert!(
        output.contains("refusing to serve MCP on non-loopback address 0.0.0.0")
            && output.contains("MCP_AUTH_TOKEN_SECRET_PATH"),
        "{output}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn unauthenticated_public_bind_needs_the_explicit_flag_and_is_loud() {
    let server = Server::start(
        "ops-allow-unauth",
        ServerOptions::demo()
            .env("MCP_BIND", "0.0.0.0")
            .env("MCP_ALLOW_UNAUTHENTICATED", "true"),
    );
    let warned = server.log_lines().iter().any(|l| {
        l["level"] == "WARN"
            && l["message"]
                .as_str()
                .unwrap_or("")
                .contains("WITHOUT authentication")
    });
    assert!(warned, "{}", server.log_text());
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_stops_the_server_cleanly() {
    let mut server = Server::start("ops-sigterm", ServerOptions::demo());
    let client = server.client().await;
    assert!(
        !call(&client, "infra.vmware.vms.listVMs", json!({}))
            .await
            .unwrap()
            .is_error
    );
    drop(client);
    let status = server.terminate();
    assert_eq!(
        status,
        Some(0),
        "exit status after SIGTERM; log:\n{}",
        server.log_text()
    );
    // The server's own lines: rmcp's session tasks end on the same signal
    // and may log their end ("serve finished") after ours.
    let messages: Vec<String> = server
        .log_lines()
        .iter()
        .filter(|l| !l["target"].as_str().unwrap_or("").starts_with("rmcp"))
        .filter_map(|l| l["message"].as_str().map(str::to_string))
        .collect();
    assert!(
        messages.iter().any(|m| m.starts_with("shutdown requested")),
        "{messages:?}"
    );
    assert_eq!(
        messages.last().map(String::as_str),
        Some("vmware-mcp stopped"),
        "{messages:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_logs_out_of_vcenter() {
    let sim = vmware_mcp_e2e::Vcsim::start("ops-sigterm-vcsim", &["-model", "vpx"]);
    let mut server = Server::start("ops-sigterm-vcsim", sim.server_options());
    let client = server.client().await;
    assert!(
        !call(&client, "infra.vmware.vms.listVMs", json!({}))
            .await
            .unwrap()
            .is_error
    );
    drop(client);
    assert_eq!(server.terminate(), Some(0), "{}", server.log_text());
    let messages: Vec<String> = server
        .log_lines()
        .iter()
        .filter_map(|l| l["message"].as_str().map(str::to_string))
        .collect();
    let logout = messages
        .iter()
        .position(|m| m == "logged out of vCenter")
        .unwrap_or_else(|| panic!("the session is logged out: {messages:?}"));
    let stopped = messages
        .iter()
        .position(|m| m == "vmware-mcp stopped")
        .expect("stopped");
    assert!(logout < stopped);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_python_sdk_agrees() {
    let server = Server::start("ops-python", ServerOptions::demo());
    let summary = python("mcp_client_check.py", &[&server.mcp_url()]);
    assert_eq!(
        summary["tools"].as_array().unwrap().len(),
        vmware_mcp_e2e::conformance::TOOLS.len(),
        "{summary}"
    );
    assert_eq!(summary["listIsError"], false);
    assert!(summary["listCount"].as_u64().unwrap() >= 15);
    assert_eq!(summary["missingIsError"], true);
    assert_eq!(
        summary["sdkWarnings"],
        serde_json::json!([]),
        "the SDK accepts every answer, the session's DELETE included: {summary}"
    );
    assert!(
        summary["missingText"]
            .as_str()
            .unwrap()
            .contains("no-such-vm"),
        "{summary}"
    );
}
