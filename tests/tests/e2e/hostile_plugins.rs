//! A hostile plugin cannot bypass the host's approval gate, and a plugin
//! that loops, exhausts memory or traps becomes a tool error while the
//! server keeps serving.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use vmware_mcp_e2e::{Server, ServerOptions, TestPlugin, call, plugin_dir, scratch_file};

fn start(name: &str) -> Server {
    let policy = scratch_file(name, "policy.toml", "default = \"allow\"\n");
    Server::start(
        name,
        ServerOptions::demo()
            .arg("--plugins")
            .arg(
                plugin_dir("hostile-plugin-dir", &[TestPlugin::Hostile])
                    .display()
                    .to_string(),
            )
            .env("APPROVAL_POLICY_PATH", policy)
            .env("PLUGIN_CPU_MS", "1000")
            .env("PLUGIN_MEMORY_MB", "32"),
    )
}

async fn two_powered_on_vms(
    client: &rmcp::service::RunningService<rmcp::RoleClient, ()>,
) -> (String, String) {
    let list = call(client, "infra.vmware.vms.listVMs", json!({}))
        .await
        .unwrap();
    let on: Vec<String> = list.json["vms"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["powerState"] == "poweredOn")
        .map(|v| v["id"].as_str().unwrap().to_string())
        .collect();
    assert!(on.len() >= 2, "{}", list.json);
    (on[0].clone(), on[1].clone())
}

async fn power_state(
    client: &rmcp::service::RunningService<rmcp::RoleClient, ()>,
    id: &str,
) -> Value {
    call(client, "infra.vmware.vms.getVMInfo", json!({"vmName": id}))
        .await
        .unwrap()
        .json["powerState"]
        .clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_host_refuses_state_changes_the_plugin_holds_no_grant_for() {
    let server = start("hostile-gate");
    let client = server.client().await;
    let (a, b) = two_powered_on_vms(&client).await;

    let sneaky = call(
        &client,
        "infra.vmware.hostile.powerOffWithoutApproval",
        json!({"vmId": a}),
    )
    .await
    .unwrap();
    assert!(sneaky.is_error, "{}", sneaky.text);
    assert_eq!(sneaky.error_kind(), "approval_required", "{}", sneaky.text);
    assert_eq!(power_state(&client, &a).await, "poweredOn");

    let swapped = call(
        &client,
        "infra.vmware.hostile.grantForAThenPowerOffB",
        json!({"vmA": a, "vmB": b}),
    )
    .await
    .unwrap();
    assert!(swapped.is_error, "{}", swapped.text);
    assert_eq!(
        swapped.error_kind(),
        "approval_required",
        "{}",
        swapped.text
    );
    assert!(
        swapped.error_message().contains(&b),
        "the refusal names the uncovered target: {}",
        swapped.text
    );
    assert_eq!(power_state(&client, &b).await, "poweredOn");
    assert_eq!(
        power_state(&client, &a).await,
        "poweredOn",
        "the grant for A was not used either"
    );

    let replay = call(
        &client,
        "infra.vmware.hostile.replayGrant",
        json!({"vmId": a}),
    )
    .await
    .unwrap();
    assert!(
        replay.is_error,
        "the second use of a single-use grant is refused: {}",
        replay.text
    );
    assert_eq!(replay.error_kind(), "approval_required", "{}", replay.text);
    client.cancel().await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn loops_memory_bombs_and_traps_end_as_tool_errors_and_the_server_keeps_serving() {
    let server = start("hostile-limits");
    let client = server.client().await;

    let started = Instant::now();
    let spin = call(&client, "infra.vmware.hostile.spin", json!({}))
        .await
        .unwrap();
    assert!(spin.is_error, "{}", spin.text);
    assert_eq!(spin.error_kind(), "timeout", "{}", spin.text);
    assert!(
        spin.error_message().contains("hostile"),
        "the error names the plugin: {}",
        spin.text
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "stopped near its 1 s CPU limit, took {:?}",
        started.elapsed()
    );
    let echo = call(
        &client,
        "infra.vmware.hostile.echo",
        json!({"after": "spin"}),
    )
    .await
    .unwrap();
    assert!(!echo.is_error, "{}", echo.text);

    let bomb = call(&client, "infra.vmware.hostile.memoryBomb", json!({}))
        .await
        .unwrap();
    assert!(bomb.is_error, "{}", bomb.text);
    assert!(
        bomb.error_message().contains("hostile") && bomb.error_message().contains("memory"),
        "{}",
        bomb.text
    );
    let list = call(&client, "infra.vmware.vms.listVMs", json!({}))
        .await
        .unwrap();
    assert!(
        !list.is_error,
        "another tool works after the memory bomb: {}",
        list.text
    );

    let trap = call(&client, "infra.vmware.hostile.trap", json!({}))
        .await
        .unwrap();
    assert!(
        trap.is_error && trap.error_message().contains("hostile"),
        "{}",
        trap.text
    );
    let hosts = call(&client, "infra.vmware.hosts.listHosts", json!({}))
        .await
        .unwrap();
    assert!(!hosts.is_error, "{}", hosts.text);

    let metrics = call(&client, "infra.vmware.getMetrics", json!({}))
        .await
        .unwrap();
    let failures: f64 = metrics.json["counters"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            c["name"] == "vmware_mcp_plugin_failures_total" && c["labels"]["plugin"] == "hostile"
        })
        .map(|c| c["value"].as_f64().unwrap())
        .sum();
    assert!(failures >= 3.0, "plugin failures counted: {}", metrics.json);
    client.cancel().await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn plugins_get_no_environment_arguments_files_or_network() {
    let server = start("hostile-sandbox");
    let client = server.client().await;
    let probe = call(&client, "infra.vmware.hostile.probeSandbox", json!({}))
        .await
        .unwrap();
    assert!(!probe.is_error, "{}", probe.text);
    let p = &probe.json;
    assert_eq!(p["envVars"], 0, "no environment: {p}");
    assert_eq!(p["args"], 0, "no arguments: {p}");
    for attempt in [
        "readRoot",
        "readPasswd",
        "readCwd",
        "writeFile",
        "tcpConnect",
        "udpBind",
        "resolve",
    ] {
        assert_eq!(
            p[attempt]["ok"], false,
            "{attempt} must fail in the sandbox: {p}"
        );
    }
    assert!(!std::path::Path::new("/tmp/hostile-plugin-was-here").exists());
    client.cancel().await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn broken_and_clashing_components_are_reported_at_start_and_skipped() {
    // The vms group a second time (its tool names clash) and a file that is no component.
    let dir = plugin_dir("plugin-load-errors", &[TestPlugin::Vms]);
    std::fs::write(dir.join("garbage.wasm"), b"this is not a component").unwrap();
    let server = Server::start(
        "plugin-load-errors",
        ServerOptions::demo()
            .arg("--plugins")
            .arg(dir.display().to_string()),
    );
    let errors: Vec<Value> = server
        .log_lines()
        .into_iter()
        .filter(|l| l["level"] == "ERROR")
        .collect();
    let garbage = errors
        .iter()
        .find(|l| l["plugin"].as_str().unwrap_or("").ends_with("garbage.wasm"))
        .unwrap_or_else(|| panic!("the broken component is reported: {errors:?}"));
    assert!(
        garbage["error"]
            .as_str()
            .unwrap()
            .contains("not a valid wasm component"),
        "{garbage}"
    );
    let clash = errors
        .iter()
        .find(|l| {
            l["plugin"]
                .as_str()
                .unwrap_or("")
                .ends_with(TestPlugin::Vms.file_name())
        })
        .unwrap_or_else(|| panic!("the clash is reported: {errors:?}"));
    assert!(
        clash["error"]
            .as_str()
            .unwrap()
            .contains("infra.vmware.vms.")
            && clash["error"]
                .as_str()
                .unwrap()
                .contains("already provides"),
        "{clash}"
    );
    // The built-in groups still serve.
    let client = server.client().await;
    assert_eq!(
        client.list_all_tools().await.unwrap().len(),
        vmware_mcp_e2e::conformance::TOOLS.len()
    );
    assert!(
        !call(&client, "infra.vmware.vms.listVMs", json!({}))
            .await
            .unwrap()
            .is_error
    );
    client.cancel().await.ok();
}
