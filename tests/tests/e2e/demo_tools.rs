//! Issue 2 end to end on `--demo`: the tool list and schemas, the demo
//! inventory's own behaviour, names and ambiguity, and bad input. (Every tool
//! with its effect read back is `conformance.rs`.)

use serde_json::{Value, json};
use vmware_mcp_e2e::{Server, ServerOptions, call, scratch_file};

fn allow_all_policy(name: &str) -> String {
    scratch_file(name, "policy.toml", "default = \"allow\"\n")
}

fn vm_names(list: &Value) -> Vec<String> {
    list["vms"]
        .as_array()
        .expect("listVMs returns vms")
        .iter()
        .map(|v| v["name"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn lists_every_tool_with_schemas_and_annotations() {
    let server = Server::start("demo-list-tools", ServerOptions::demo());
    let client = server.client().await;
    let tools = client.list_all_tools().await.expect("tools/list");
    let mut names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    names.sort();
    // The one list of every tool, which the conformance suite runs too.
    let mut expected = vmware_mcp_e2e::conformance::TOOLS.to_vec();
    expected.sort();
    assert_eq!(names, expected);
    let by_name = |n: &str| tools.iter().find(|t| t.name == n).expect("tool present");
    let clone = by_name("infra.vmware.vms.cloneVm");
    let required: Vec<&str> = clone.input_schema["required"]
        .as_array()
        .expect("required list")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for arg in ["sourceVmName", "newVmName", "targetFolder"] {
        assert!(
            required.contains(&arg),
            "cloneVm requires {arg}: {required:?}"
        );
    }
    let snap = by_name("infra.vmware.vms.createSnapshot");
    assert!(snap.input_schema["properties"]["description"].is_object());
    assert_eq!(
        by_name("infra.vmware.vms.listVMs")
            .annotations
            .as_ref()
            .and_then(|a| a.read_only_hint),
        Some(true)
    );
    assert_eq!(
        by_name("infra.vmware.vms.powerOffVm")
            .annotations
            .as_ref()
            .and_then(|a| a.read_only_hint),
        Some(false)
    );
    assert_eq!(
        by_name("infra.vmware.vms.powerOffVm")
            .annotations
            .as_ref()
            .and_then(|a| a.destructive_hint),
        Some(true)
    );
    for (tool, destructive) in [
        ("renameVm", false),
        ("deleteVm", true),
        ("reconfigureVm", false),
        ("migrateVm", false),
    ] {
        let t = by_name(&format!("infra.vmware.vms.{tool}"));
        let hints = t.annotations.as_ref().expect("annotations");
        assert_eq!(hints.read_only_hint, Some(false), "{tool}");
        assert_eq!(hints.destructive_hint, Some(destructive), "{tool}");
        assert!(
            t.output_schema.is_some(),
            "{tool} declares an output schema"
        );
    }
    assert!(
        by_name("infra.vmware.vms.listVMs").output_schema.is_some(),
        "listVMs declares an output schema"
    );
    client.cancel().await.ok();
}

/// Every tool against `--demo` with effects checked by a second read is the
/// conformance suite (`conformance.rs`, run on the simulator and on
/// vcsim). This test covers what only the demo inventory has: its size, the
/// demo notice, nested folders and vCenter's DRS evacuation.
#[tokio::test(flavor = "multi_thread")]
async fn the_demo_inventory_behaves_like_a_vcenter_and_says_it_is_a_demo() {
    let server = Server::start(
        "demo-inventory",
        ServerOptions::demo().env("APPROVAL_POLICY_PATH", allow_all_policy("demo-inventory")),
    );
    assert!(
        server.log_lines().iter().any(|l| l["level"] == "WARN"
            && l["message"]
                .as_str()
                .unwrap_or("")
                .contains("NO vCenter is in use")),
        "the demo is announced loudly at start"
    );
    let client = server.client().await;

    let all = call(&client, "infra.vmware.vms.listVMs", json!({}))
        .await
        .unwrap();
    assert!(all.json["total"].as_u64().unwrap() >= 15, "{}", all.json);
    assert_eq!(all.meta["demo"], true);
    assert!(
        all.text.contains("no vCenter is in use"),
        "demo results say so: {}",
        all.text
    );
    let folders: std::collections::BTreeSet<&str> = all.json["vms"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["folder"].as_str())
        .collect();
    assert!(
        folders.len() >= 3,
        "VMs across several folders: {folders:?}"
    );

    // A folder scope includes its subfolders.
    let dev = call(
        &client,
        "infra.vmware.vms.listVMs",
        json!({"folder": "DC0/vm/dev"}),
    )
    .await
    .unwrap();
    let dev_folders: Vec<&str> = dev.json["vms"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["folder"].as_str())
        .collect();
    assert!(
        dev_folders.iter().all(|f| f.starts_with("DC0/vm/dev")),
        "{dev_folders:?}"
    );
    assert!(
        dev_folders.iter().any(|f| f.contains("team-a")),
        "nested folders are listed: {dev_folders:?}"
    );

    let hosts = call(&client, "infra.vmware.hosts.listHosts", json!({}))
        .await
        .unwrap();
    let rows = hosts.json["hosts"].as_array().unwrap().clone();
    assert!(rows.len() >= 5, "{}", hosts.json);
    let clusters: std::collections::BTreeSet<&str> =
        rows.iter().filter_map(|h| h["cluster"].as_str()).collect();
    assert!(clusters.len() >= 2, "{clusters:?}");
    assert!(
        rows.iter().any(|h| h["cluster"].is_null()),
        "one standalone host"
    );

    // In the DRS cluster `prod`, entering maintenance migrates the running VMs away.
    let prod = call(
        &client,
        "infra.vmware.hosts.listHosts",
        json!({"clusterName": "prod"}),
    )
    .await
    .unwrap();
    let busy = prod.json["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["vmCount"].as_u64().unwrap_or(0) > 0)
        .expect("a prod host with VMs")["name"]
        .as_str()
        .unwrap()
        .to_string();
    let before = call(
        &client,
        "infra.vmware.hosts.getHostInfo",
        json!({"hostName": busy}),
    )
    .await
    .unwrap()
    .json;
    let running: Vec<String> = before["vms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_string())
        .collect();
    let enter = call(
        &client,
        "infra.vmware.hosts.enterMaintenanceMode",
        json!({"hostName": busy}),
    )
    .await
    .unwrap();
    assert!(!enter.is_error, "{}", enter.text);
    for id in &running {
        let info = call(&client, "infra.vmware.vms.getVMInfo", json!({"vmName": id}))
            .await
            .unwrap()
            .json;
        if info["powerState"] == "poweredOn" {
            assert_ne!(
                info["host"]["name"],
                busy.as_str(),
                "a running VM left the host: {info}"
            );
        }
    }
    let exit = call(
        &client,
        "infra.vmware.hosts.exitMaintenanceMode",
        json!({"hostName": busy}),
    )
    .await
    .unwrap();
    assert!(!exit.is_error, "{}", exit.text);

    // Without DRS (cluster `dev`), a host with running VMs cannot enter, as in vCenter, and stays as it was.
    let dev_hosts = call(
        &client,
        "infra.vmware.hosts.listHosts",
        json!({"clusterName": "dev"}),
    )
    .await
    .unwrap();
    let stuck = dev_hosts.json["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["vmCount"].as_u64().unwrap_or(0) > 0 && h["inMaintenanceMode"] == false)
        .expect("a busy dev host")["name"]
        .as_str()
        .unwrap()
        .to_string();
    let refused = call(
        &client,
        "infra.vmware.hosts.enterMaintenanceMode",
        json!({"hostName": stuck}),
    )
    .await
    .unwrap();
    assert!(
        refused.is_error && refused.error_kind() == "vsphere_fault",
        "{}",
        refused.text
    );
    let h = call(
        &client,
        "infra.vmware.hosts.getHostInfo",
        json!({"hostName": stuck}),
    )
    .await
    .unwrap();
    assert_eq!(h.json["inMaintenanceMode"], false);

    // Metrics counted the calls.
    let metrics = call(&client, "infra.vmware.getMetrics", json!({}))
        .await
        .unwrap();
    let counted: f64 = metrics.json["counters"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            c["name"] == "vmware_mcp_tool_calls_total"
                && c["labels"]["tool"] == "infra.vmware.hosts.listHosts"
        })
        .map(|c| c["value"].as_f64().unwrap())
        .sum();
    assert_eq!(counted, 3.0, "listHosts calls counted: {}", metrics.json);
    client.cancel().await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn names_paths_ids_and_ambiguity() {
    let server = Server::start("demo-names", ServerOptions::demo());
    let client = server.client().await;
    let all = call(&client, "infra.vmware.vms.listVMs", json!({}))
        .await
        .unwrap();
    let names = vm_names(&all.json);
    let dup = names
        .iter()
        .find(|n| names.iter().filter(|m| m == n).count() > 1)
        .expect("the demo has an ambiguous VM name")
        .clone();
    let amb = call(
        &client,
        "infra.vmware.vms.getVMInfo",
        json!({"vmName": dup}),
    )
    .await
    .unwrap();
    assert!(amb.is_error);
    assert_eq!(amb.error_kind(), "ambiguous", "{}", amb.text);
    let candidates = amb.json["error"]["candidates"]
        .as_array()
        .expect("candidates listed");
    assert!(candidates.len() >= 2);
    let path = candidates[0]["path"].as_str().unwrap();
    assert!(
        path.contains('/'),
        "candidates carry inventory paths: {path}"
    );
    let by_path = call(
        &client,
        "infra.vmware.vms.getVMInfo",
        json!({"vmName": path}),
    )
    .await
    .unwrap();
    assert!(!by_path.is_error, "{}", by_path.text);
    let id = candidates[0]["id"].as_str().unwrap();
    let by_id = call(&client, "infra.vmware.vms.getVMInfo", json!({"vmName": id}))
        .await
        .unwrap();
    assert!(!by_id.is_error, "{}", by_id.text);
    assert_eq!(by_id.json["id"], by_path.json["id"]);
    let unknown = call(
        &client,
        "infra.vmware.vms.getVMInfo",
        json!({"vmName": "no-such-vm"}),
    )
    .await
    .unwrap();
    assert!(
        unknown.is_error && unknown.error_kind() == "not_found",
        "{}",
        unknown.text
    );
    assert!(unknown.error_message().contains("no-such-vm"));
    client.cancel().await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_gets_clear_errors_and_no_panic() {
    let server = Server::start("demo-bad-input", ServerOptions::demo());
    let client = server.client().await;
    let wrong_type = call(&client, "infra.vmware.vms.getVMInfo", json!({"vmName": 42}))
        .await
        .unwrap();
    assert!(
        wrong_type.is_error && wrong_type.error_kind() == "invalid_argument",
        "{}",
        wrong_type.text
    );
    assert!(
        wrong_type.error_message().contains("vmName")
            && wrong_type.error_message().contains("string"),
        "{}",
        wrong_type.text
    );
    let missing = call(
        &client,
        "infra.vmware.vms.createSnapshot",
        json!({"vmName": "web-01"}),
    )
    .await
    .unwrap();
    assert!(
        missing.is_error && missing.error_message().contains("snapshotName"),
        "{}",
        missing.text
    );
    let unknown_arg = call(
        &client,
        "infra.vmware.vms.listVMs",
        json!({"colour": "blue"}),
    )
    .await
    .unwrap();
    assert!(
        unknown_arg.is_error && unknown_arg.error_message().contains("colour"),
        "{}",
        unknown_arg.text
    );
    let unknown_tool = call(&client, "infra.vmware.vms.explode", json!({})).await;
    let message = unknown_tool.expect_err("an unknown tool is a protocol error");
    assert!(
        message.contains("infra.vmware.vms.explode")
            && message.contains("infra.vmware.vms.listVMs"),
        "{message}"
    );
    // Still serving, and nothing panicked.
    let ok = call(&client, "infra.vmware.vms.listVMs", json!({}))
        .await
        .unwrap();
    assert!(!ok.is_error);
    assert!(
        !server.log_text().contains("panicked"),
        "no panic in the log"
    );
    client.cancel().await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn stdio_serves_the_same_tools() {
    use rmcp::ServiceExt;
    use rmcp::transport::TokioChildProcess;
    let cache = vmware_mcp_e2e::workspace_root().join("target/e2e/plugin-cache");
    let mut command = tokio::process::Command::new(vmware_mcp_e2e::server::binary());
    command
        .args(["--demo", "--stdio"])
        .env("PLUGIN_CACHE_DIR", cache)
        .stderr(std::process::Stdio::null());
    let client =
        ().serve(TokioChildProcess::new(command).expect("spawn"))
            .await
            .expect("stdio client");
    let tools = client
        .list_all_tools()
        .await
        .expect("tools/list over stdio");
    assert_eq!(tools.len(), vmware_mcp_e2e::conformance::TOOLS.len());
    let result = client
        .call_tool({
            let mut p = rmcp::model::CallToolRequestParams::new("infra.vmware.vms.listVMs");
            p.arguments = Some(serde_json::Map::new());
            p
        })
        .await
        .expect("listVMs over stdio");
    assert_ne!(result.is_error, Some(true));
    assert!(
        result.structured_content.unwrap()["total"]
            .as_u64()
            .unwrap()
            >= 15
    );
    client.cancel().await.ok();
}
