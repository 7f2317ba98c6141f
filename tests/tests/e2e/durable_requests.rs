//! Durable requests (issue 16) with real clients on `--demo`, an operator
//! approving through the real CLI:
//! - the TypeScript SDK with its default options (it gives up at 60 s) gets
//!   a normal answer in time, with the request id the page and the CLI
//!   show; approved after 70 s, the request runs once, and `requests.get`
//!   says it succeeded;
//! - the Inspector CLI with its default timeout gets no "Request timed out";
//! - a pending request survives SIGTERM and SIGKILL under the same id, and
//!   runs once when approved after the restart;
//! - a withdrawn request cannot be approved (409), and nothing changes;
//! - a clone running on vcsim when the server is killed is reconciled from
//!   its vCenter task after the restart, and not sent again.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use vmware_mcp_e2e::admin::{self, Operator, audit_records, final_request};
use vmware_mcp_e2e::{
    Server, Vcsim, call, first_vm, inspector_cli, node_modules, scratch_dir, scratch_file,
    workspace_root,
};

type Client = rmcp::service::RunningService<rmcp::RoleClient, ()>;

const POWER_OFF: &str = "infra.vmware.vms.powerOffVm";

/// Run the TypeScript SDK client script; its one line of JSON.
fn ts_call(url: &str, tool: &str, arguments: &Value) -> Value {
    let out = Command::new("node")
        .arg(workspace_root().join("tests/node/ts_call.cjs"))
        .args([url, tool, &arguments.to_string()])
        .env("NODE_PATH", node_modules())
        .output()
        .expect("node runs (tools/test.sh installs @modelcontextprotocol/sdk into target/npm)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
        panic!(
            "the TypeScript client printed no JSON ({e}): {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// A running VM's name.
async fn running_vm(client: &Client) -> String {
    first_vm(client, json!({"powerState": "poweredOn"})).await["name"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn power_state(client: &Client, vm: &str) -> String {
    let info = call(client, "infra.vmware.vms.getVMInfo", json!({"vmName": vm}))
        .await
        .unwrap();
    info.json["powerState"]
        .as_str()
        .or_else(|| info.json["runtime"]["powerState"].as_str())
        .unwrap_or_else(|| panic!("no power state in {}", info.text))
        .to_string()
}

/// How many PowerOffVM_Task calls the audit trail records as sent.
fn power_offs_sent(audit: &Path) -> usize {
    audit_records(audit)
        .iter()
        .filter(|r| r["method"] == "PowerOffVM_Task" && r["outcome"] == "ok")
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_that_gives_up_at_60_s_gets_an_answer_and_the_request_runs_once_approved_after_70_s()
 {
    let name = "durable-ts-client";
    let audit = scratch_dir(name).join("audit.jsonl");
    let _ = std::fs::remove_file(&audit);
    let server = Server::start(
        name,
        admin::options(name, 600).env("AUDIT_LOG_PATH", audit.display().to_string()),
    );
    let operator = Operator::of(&server, name);
    let client = server.client().await;
    let vm = running_vm(&client).await;

    let started = Instant::now();
    let url = server.mcp_url();
    let arguments = json!({"vmName": vm});
    let answer = tokio::task::spawn_blocking(move || ts_call(&url, POWER_OFF, &arguments))
        .await
        .unwrap();
    assert_eq!(answer["ok"], true, "no error, no timeout: {answer}");
    let elapsed = answer["elapsedMs"].as_u64().unwrap();
    assert!(elapsed < 60_000, "answered within 60 s, took {elapsed} ms");
    let result = &answer["result"];
    assert_ne!(result["isError"], true, "{answer}");
    let pending = &result["structuredContent"];
    assert_eq!(pending["status"], "pending_approval", "{answer}");
    let id = pending["requestId"].as_str().unwrap().to_string();
    assert!(id.starts_with("req-"), "{id}");
    assert_eq!(result["_meta"]["requestId"], id.as_str(), "{answer}");
    assert!(
        pending["message"]
            .as_str()
            .unwrap()
            .contains("infra.vmware.requests.get"),
        "{answer}"
    );

    // One id: the page's API and the CLI show the same.
    let listed = operator.wait_for_pending(POWER_OFF).await;
    assert_eq!(listed["id"], id.as_str(), "{listed}");
    assert_eq!(
        listed["requester_waiting"], false,
        "the page knows the requester went away: {listed}"
    );
    let (code, stdout, stderr) = operator.cli(&["list"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains(&id), "{stdout}");

    let approve_at = started + Duration::from_secs(70);
    tokio::time::sleep_until(approve_at.into()).await;
    let (code, _, stderr) = operator.cli(&["approve", &id]);
    assert_eq!(code, Some(0), "{stderr}");

    let done = final_request(&client, &id).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["decision"]["by"], "operator:e2e-operator", "{done}");
    assert_eq!(power_state(&client, &vm).await, "poweredOff");
    assert_eq!(power_offs_sent(&audit), 1, "sent once");
    let records = audit_records(&audit);
    assert!(
        records.iter().any(|r| r["approval_id"] == id.as_str()),
        "the audit trail names the request: {records:?}"
    );
    client.cancel().await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_inspector_cli_with_its_default_timeout_gets_the_pending_answer() {
    let name = "durable-inspector";
    let server = Server::start(name, admin::options(name, 600));
    let client = server.client().await;
    let vm = running_vm(&client).await;
    let tool_arg = format!("vmName={vm}");
    let out = inspector_cli(
        &server.mcp_url(),
        &[
            "--method",
            "tools/call",
            "--tool-name",
            POWER_OFF,
            "--tool-arg",
            &tool_arg,
        ],
    )
    .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stdout.contains("timed out") && !stderr.contains("timed out"),
        "{stdout}\n{stderr}"
    );
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("pending_approval"), "{stdout}");
    assert!(stdout.contains("req-"), "{stdout}");
    client.cancel().await.ok();
}

/// Options for a restartable demo server: its own state dir and audit file.
fn restartable(
    name: &str,
    state: &Path,
    audit: &Path,
    call_wait_secs: u64,
) -> vmware_mcp_e2e::ServerOptions {
    admin::options(name, 600)
        .env("STATE_DIR", state.display().to_string())
        .env("AUDIT_LOG_PATH", audit.display().to_string())
        .env("CALL_WAIT_SECS", call_wait_secs.to_string())
}

/// A pending request, a restart by `signal`, and the approval after it.
/// With `client_waiting`, the client is still waiting for its answer when
/// the server stops: the server's stop is not the client's cancel.
async fn restart_keeps_a_pending_request(name: &str, signal: &str, client_waiting: bool) {
    let state = scratch_dir(name).join("kept-state");
    let audit = scratch_dir(name).join("audit.jsonl");
    let _ = std::fs::remove_dir_all(&state);
    let _ = std::fs::remove_file(&audit);
    let wait = if client_waiting { 600 } else { 2 };
    let mut server = Server::start(name, restartable(name, &state, &audit, wait));
    let operator = Operator::of(&server, name);
    let client = server.client().await;
    let vm = running_vm(&client).await;
    let calling = {
        let vm = vm.clone();
        tokio::spawn(async move {
            let answer = call(&client, POWER_OFF, json!({"vmName": vm})).await;
            (client, answer)
        })
    };
    let id = operator.wait_for_pending(POWER_OFF).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    if !client_waiting {
        let (client, answer) = calling.await.unwrap();
        let answer = answer.unwrap();
        assert_eq!(answer.json["status"], "pending_approval", "{}", answer.text);
        assert_eq!(answer.json["requestId"], id.as_str(), "{}", answer.text);
        client.cancel().await.ok();
    }

    let status = Command::new("kill")
        .args([signal, &server.pid().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    server.terminate();

    let server = Server::start(name, restartable(name, &state, &audit, wait));
    let operator = Operator::of(&server, name);
    let pending = operator.wait_for_pending(POWER_OFF).await;
    assert_eq!(
        pending["id"],
        id.as_str(),
        "still pending under the same id"
    );
    let client = server.client().await;
    assert_eq!(power_state(&client, &vm).await, "poweredOn", "not run yet");
    let (code, _, stderr) = operator.cli(&["approve", &id]);
    assert_eq!(code, Some(0), "{stderr}");
    let done = final_request(&client, &id).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(power_state(&client, &vm).await, "poweredOff");
    assert_eq!(power_offs_sent(&audit), 1, "run once");
    client.cancel().await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pending_request_survives_sigterm_while_its_client_waits_and_runs_once_when_approved() {
    restart_keeps_a_pending_request("durable-sigterm", "-TERM", true).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pending_request_survives_sigkill_and_runs_once_when_approved() {
    restart_keeps_a_pending_request("durable-sigkill", "-KILL", false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_withdrawn_request_cannot_be_approved_and_nothing_changes() {
    let name = "durable-cancel";
    let server = Server::start(name, admin::options(name, 600).env("CALL_WAIT_SECS", "2"));
    let operator = Operator::of(&server, name);
    let client = server.client().await;
    let vm = running_vm(&client).await;
    let answer = call(&client, POWER_OFF, json!({"vmName": vm}))
        .await
        .unwrap();
    let id = answer.json["requestId"].as_str().unwrap().to_string();
    operator.wait_for_pending(POWER_OFF).await;

    let cancelled = call(
        &client,
        "infra.vmware.requests.cancel",
        json!({"requestId": id, "reason": "wrong VM"}),
    )
    .await
    .unwrap();
    assert!(!cancelled.is_error, "{}", cancelled.text);
    assert_eq!(cancelled.json["cancelled"], true, "{}", cancelled.text);

    let (status, body) = operator
        .get(&format!("/api/approvals/{id}"), Some(admin::TOKEN))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["status"], "cancelled",
        "the page shows it withdrawn: {body}"
    );
    let approve = reqwest::Client::new()
        .post(format!("{}/api/approvals/{id}/approve", operator.url))
        .bearer_auth(admin::TOKEN)
        .json(&json!({"approver": "late"}))
        .send()
        .await
        .unwrap();
    assert_eq!(approve.status().as_u16(), 409);
    let done = final_request(&client, &id).await;
    assert_eq!(done["status"], "cancelled", "{done}");
    assert_eq!(power_state(&client, &vm).await, "poweredOn");

    // Another requester sees the status, not the arguments, and cannot cancel.
    let other = server.client().await;
    let seen = call(
        &other,
        "infra.vmware.requests.get",
        json!({"requestId": id}),
    )
    .await
    .unwrap();
    assert_eq!(seen.json["status"], "cancelled", "{}", seen.text);
    assert!(!seen.text.contains(&vm), "{}", seen.text);
    let mine = call(&other, "infra.vmware.requests.list", json!({}))
        .await
        .unwrap();
    assert_eq!(mine.json["returned"], 0, "{}", mine.text);
    client.cancel().await.ok();
    other.cancel().await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_clone_running_when_the_server_is_killed_is_reconciled_from_its_task_and_not_sent_again()
{
    let name = "durable-clone-sigkill";
    let sim = Vcsim::start(name, &["-model", "vpx", "-vms", "2", "-task-delay", "6s"]);
    let state = scratch_dir(name).join("kept-state");
    let _ = std::fs::remove_dir_all(&state);
    let policy = scratch_file(name, "policy.toml", "default = \"allow\"\n");
    let options = || {
        sim.server_options()
            .env("APPROVAL_POLICY_PATH", policy.clone())
            .env("STATE_DIR", state.display().to_string())
            .env("CALL_WAIT_SECS", "2")
    };
    let mut server = Server::start(name, options());
    let client = server.client().await;
    let source = first_vm(&client, json!({})).await["name"]
        .as_str()
        .unwrap()
        .to_string();
    let answer = call(
        &client,
        "infra.vmware.vms.cloneVm",
        json!({"sourceVmName": source, "newVmName": "cloned-once", "targetFolder": "vm"}),
    )
    .await
    .unwrap();
    assert!(!answer.is_error, "{}", answer.text);
    assert_eq!(answer.json["status"], "running", "{}", answer.text);
    let id = answer.json["requestId"].as_str().unwrap().to_string();
    // The vCenter task is on record before the server dies.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let got = call(
            &client,
            "infra.vmware.requests.get",
            json!({"requestId": id}),
        )
        .await
        .unwrap();
        if got.json["task"]["id"].is_string() {
            break;
        }
        assert!(Instant::now() < deadline, "no task recorded: {}", got.text);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A change already sent cannot be withdrawn; its task is cancelled only
    // where vSphere allows it, and otherwise the answer says why not (vcsim
    // 0.24 has no CancelTask and marks tasks not cancelable).
    let cancel = call(
        &client,
        "infra.vmware.requests.cancel",
        json!({"requestId": id}),
    )
    .await
    .unwrap();
    assert_eq!(cancel.json["cancelled"], false, "{}", cancel.text);
    let task = cancel.json["message"].as_str().unwrap_or_default();
    assert!(
        task.contains("task-"),
        "the answer names the task: {}",
        cancel.text
    );
    Command::new("kill")
        .args(["-KILL", &server.pid().to_string()])
        .status()
        .unwrap();
    server.terminate();

    let server = Server::start(name, options());
    let client = server.client().await;
    let done = final_request(&client, &id).await;
    assert_eq!(
        done["status"], "succeeded",
        "reconciled from the task: {done}"
    );
    let clones = call(
        &client,
        "infra.vmware.vms.listVMs",
        json!({"name": "cloned-once"}),
    )
    .await
    .unwrap();
    assert_eq!(clones.json["total"], 1, "cloned once: {}", clones.text);
    assert!(
        server
            .log_text()
            .contains("request taken up after a restart"),
        "the restart took the request up"
    );
    client.cancel().await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn progress_strictly_increases_over_the_approval_wait_and_the_vcenter_task() {
    use rmcp::ServiceExt;
    use rmcp::model::{CallToolRequestParams, NumberOrString, ProgressToken, RequestMetaObject};
    use vmware_mcp_e2e::helpers::ProgressRecorder;

    let name = "durable-progress";
    let sim = Vcsim::start(name, &["-model", "vpx", "-vms", "2", "-task-delay", "3s"]);
    let server = Server::start(
        name,
        sim.server_options().env("ADMIN_PORT", "0").env(
            "ADMIN_TOKEN_SECRET_PATH",
            admin::token_file(name).display().to_string(),
        ),
    );
    let operator = Operator::of(&server, name);
    let recorder = ProgressRecorder::default();
    let client = recorder
        .clone()
        .serve(rmcp::transport::StreamableHttpClientTransport::from_uri(
            server.mcp_url(),
        ))
        .await
        .expect("client");
    let plain = server.client().await;
    let vm = first_vm(&plain, json!({"powerState": "poweredOn"})).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    plain.cancel().await.ok();
    let approve = tokio::spawn(async move {
        let pending = operator.wait_for_pending(POWER_OFF).await;
        // Three progress ticks of the wait.
        tokio::time::sleep(Duration::from_secs(12)).await;
        let id = pending["id"].as_str().unwrap().to_string();
        tokio::task::spawn_blocking(move || operator.cli(&["approve", &id]))
            .await
            .unwrap()
    });
    let mut params = CallToolRequestParams::new(POWER_OFF);
    params.arguments = Some(json!({"vmName": vm}).as_object().unwrap().clone());
    params.meta = Some(RequestMetaObject::with_progress_token(ProgressToken(
        NumberOrString::String("off-1".into()),
    )));
    let result = client.call_tool(params).await.expect("powerOffVm");
    assert_ne!(result.is_error, Some(true), "{:?}", result.content);
    assert_eq!(approve.await.unwrap().0, Some(0));

    let seen = recorder.seen.lock().unwrap().clone();
    let values: Vec<f64> = seen.iter().map(|p| p.progress).collect();
    assert!(
        values.windows(2).all(|w| w[0] < w[1]),
        "strictly increasing: {values:?}"
    );
    assert!(
        seen.iter().all(|p| p.total == Some(100.0)),
        "one scale: {seen:?}"
    );
    let messages: Vec<&str> = seen.iter().filter_map(|p| p.message.as_deref()).collect();
    assert!(
        messages
            .iter()
            .filter(|m| m.contains("waiting for operator approval req-"))
            .count()
            >= 2,
        "the wait says what it waits for: {messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("PowerOffVM_Task")),
        "the task says what it waits for: {messages:?}"
    );
    assert_eq!(values.last(), Some(&100.0), "{values:?}");
    client.cancel().await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_typescript_task_stream_gets_its_result_after_the_approval() {
    let name = "durable-ts-tasks";
    let server = Server::start(name, admin::options(name, 600));
    let operator = Operator::of(&server, name);
    let client = server.client().await;
    let vm = running_vm(&client).await;
    let url = server.mcp_url();
    let arguments = json!({"vmName": vm});
    let streamed = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(workspace_root().join("tests/node/ts_tasks_stream.cjs"))
            .args([url.as_str(), POWER_OFF, &arguments.to_string()])
            .env("NODE_PATH", node_modules())
            .output()
            .expect("node runs")
    });
    let pending = operator.wait_for_pending(POWER_OFF).await;
    let id = pending["id"].as_str().unwrap().to_string();
    // Long enough for several polls of a working task.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let (code, _, stderr) = operator.cli(&["approve", &id]);
    assert_eq!(code, Some(0), "{stderr}");
    let out = streamed.await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let messages: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        messages[0]["execution"]["taskSupport"], "optional",
        "{stdout}"
    );
    let kinds: Vec<&str> = messages.iter().filter_map(|m| m["type"].as_str()).collect();
    assert_eq!(kinds.get(1), Some(&"taskCreated"), "{stdout}");
    let created = &messages[1]["task"];
    assert_eq!(
        created["taskId"],
        id.as_str(),
        "the task is the request: {stdout}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m["type"] == "taskStatus" && m["task"]["status"] == "working"),
        "{stdout}"
    );
    let result = messages
        .iter()
        .find(|m| m["type"] == "result")
        .unwrap_or_else(|| panic!("no result: {stdout}"));
    assert_ne!(result["result"]["isError"], true, "{stdout}");
    assert_eq!(kinds.last(), Some(&"done"), "{stdout}");
    assert_eq!(power_state(&client, &vm).await, "poweredOff");
    client.cancel().await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_declaring_the_tasks_extension_gets_a_task_to_poll_and_cancel() {
    use rmcp::ServiceExt;
    use rmcp::model::{
        CallToolRequestParams, CallToolResponse, CancelTaskParams, ClientCapabilities,
        ClientConfig, GetTaskParams, RequestMetaObject, TaskStatus,
    };

    let name = "durable-tasks-extension";
    let server = Server::start(name, admin::options(name, 600));
    let operator = Operator::of(&server, name);
    let plain = server.client().await;
    let vms = call(
        &plain,
        "infra.vmware.vms.listVMs",
        json!({"powerState": "poweredOn", "limit": 2}),
    )
    .await
    .unwrap();
    let names: Vec<String> = vms.json["vms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap().to_string())
        .collect();
    let mut info = ClientConfig::default();
    info.capabilities = ClientCapabilities::builder().enable_tasks().build();
    let client = info
        .serve(rmcp::transport::StreamableHttpClientTransport::from_uri(
            server.mcp_url(),
        ))
        .await
        .expect("client");
    // The extension is declared on each request, as 2026-07-28 clients do.
    let start = |vm: &str| {
        let mut params = CallToolRequestParams::new(POWER_OFF);
        params.arguments = Some(json!({"vmName": vm}).as_object().unwrap().clone());
        let mut meta = RequestMetaObject::default();
        meta.set_client_capabilities(ClientCapabilities::builder().enable_tasks().build());
        params.meta = Some(meta);
        params
    };
    let task_of = |response: CallToolResponse| match response {
        CallToolResponse::Task(created) => created.task,
        other => panic!("a task, not {other:?}"),
    };

    // One withdrawn through tasks/cancel: approving it afterwards is a 409.
    let first = task_of(client.call_tool_once(start(&names[0])).await.unwrap());
    assert!(first.task_id.starts_with("req-"), "{first:?}");
    operator.wait_for_pending(POWER_OFF).await;
    let polled = client
        .get_task(GetTaskParams::new(&first.task_id))
        .await
        .unwrap();
    assert_eq!(polled.task.status(), TaskStatus::Working, "{polled:?}");
    client
        .cancel_task(CancelTaskParams::new(&first.task_id))
        .await
        .unwrap();
    // Cancellation is cooperative: the status follows within moments.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let polled = client
            .get_task(GetTaskParams::new(&first.task_id))
            .await
            .unwrap();
        if polled.task.status() == TaskStatus::Cancelled {
            break;
        }
        assert!(Instant::now() < deadline, "not cancelled: {polled:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (code, _, _) = operator.cli(&["approve", &first.task_id]);
    assert_ne!(code, Some(0), "a withdrawn request cannot be approved");

    // One approved: the task completes with the tool's result.
    let second = task_of(client.call_tool_once(start(&names[1])).await.unwrap());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let pending = operator.get("/api/approvals", Some(admin::TOKEN)).await.1;
        if pending["pending"]
            .as_array()
            .is_some_and(|p| p.iter().any(|a| a["id"] == second.task_id.as_str()))
        {
            break;
        }
        assert!(Instant::now() < deadline, "never pending: {pending}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (code, _, stderr) = operator.cli(&["approve", &second.task_id]);
    assert_eq!(code, Some(0), "{stderr}");
    let deadline = Instant::now() + Duration::from_secs(30);
    let done = loop {
        let polled = client
            .get_task(GetTaskParams::new(&second.task_id))
            .await
            .unwrap();
        if polled.task.status() == TaskStatus::Completed {
            break polled;
        }
        assert!(Instant::now() < deadline, "not completed: {polled:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let wire = serde_json::to_value(&done).unwrap();
    assert_ne!(wire["result"]["isError"], true, "{wire}");
    assert_eq!(power_state(&plain, &names[0]).await, "poweredOn");
    assert_eq!(power_state(&plain, &names[1]).await, "poweredOff");
    client.cancel().await.ok();
    plain.cancel().await.ok();
}
