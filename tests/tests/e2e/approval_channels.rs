//! Issue 4's operator channel acceptance: a state-changing call waits for an
//! operator; the real `vmware-mcp approvals` CLI approves or denies it, or
//! nobody does and it times out; every effect is checked by a second read.
//! Also: progress while waiting, the admin API's token and isolation from
//! the MCP port, the loopback rule, an invalid policy stopping the server,
//! and operator-approved grants staying single-use and single-target.

use std::time::{Duration, Instant};

use rmcp::model::CallToolRequestParams;
use rmcp::service::RunningService;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::{RoleClient, ServiceExt};
use serde_json::{Value, json};
use vmware_mcp_e2e::admin::{self, Operator, TOKEN};
use vmware_mcp_e2e::helpers::ProgressRecorder;
use vmware_mcp_e2e::{
    Server, ServerOptions, TestPlugin, call, plugin_dir, scratch_dir, scratch_file,
};

const OFF: &str = "infra.vmware.vms.powerOffVm";
const ON: &str = "infra.vmware.vms.powerOnVm";

type Client = RunningService<RoleClient, ()>;

/// A uniquely named VM in `state`.
async fn vm_in(client: &Client, state: &str, skip: &[&str]) -> String {
    let list = call(client, "infra.vmware.vms.listVMs", json!({}))
        .await
        .unwrap()
        .json;
    let vms = list["vms"].as_array().unwrap();
    vms.iter()
        .filter(|v| v["powerState"] == state)
        .map(|v| v["name"].as_str().unwrap().to_string())
        .filter(|n| !skip.contains(&n.as_str()))
        .find(|n| vms.iter().filter(|v| v["name"] == n.as_str()).count() == 1)
        .unwrap_or_else(|| panic!("a uniquely named {state} VM in {list}"))
}

async fn power_state<S: rmcp::service::Service<RoleClient>>(
    client: &RunningService<RoleClient, S>,
    vm: &str,
) -> Value {
    let mut p = CallToolRequestParams::new("infra.vmware.vms.getVMInfo");
    p.arguments = Some(json!({"vmName": vm}).as_object().unwrap().clone());
    let r = client.call_tool(p).await.expect("getVMInfo");
    r.structured_content.expect("structured getVMInfo")["powerState"].clone()
}

/// Run the CLI off the async threads (it blocks while the server answers).
async fn cli(op: &Operator, args: &[&str]) -> (Option<i32>, String, String) {
    let op = op.clone();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        op.cli(&refs)
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_operator_approves_through_the_cli_and_the_waiting_call_succeeds() {
    let name = "appr-cli-approve";
    let server = Server::start(name, admin::options(name, 60));
    let op = Operator::of(&server, name);
    let client = server.client().await;
    let vm = vm_in(&client, "poweredOn", &[]).await;

    let started = Instant::now();
    let (outcome, id) = tokio::join!(call(&client, OFF, json!({"vmName": vm})), async {
        let pending = op.wait_for_pending(OFF).await;
        let id = pending["id"].as_str().unwrap().to_string();
        assert_eq!(pending["status"], "pending");
        assert_eq!(pending["targets"][0]["name"], vm.as_str());
        assert_eq!(pending["methods"], json!(["PowerOffVM_Task"]));
        assert!(
            pending["correlation_id"]
                .as_str()
                .is_some_and(|c| !c.is_empty())
        );
        assert!(
            pending["session"].as_str().is_some(),
            "the MCP session is shown: {pending}"
        );
        // The VM is still on while the call waits.
        let (code, list, err) = cli(&op, &["list"]).await;
        assert_eq!(code, Some(0), "{err}");
        assert!(
            list.contains(&id) && list.contains(OFF) && list.contains(&vm),
            "{list}"
        );
        let (code, show, err) = cli(&op, &["show", &id]).await;
        assert_eq!(code, Some(0), "{err}");
        assert!(
            show.contains("PowerOffVM_Task") && show.contains(&vm) && show.contains("pending"),
            "{show}"
        );
        let (code, json_out, _) = cli(&op, &["--json", "show", &id]).await;
        assert_eq!(code, Some(0));
        let parsed: Value = serde_json::from_str(&json_out).expect("--json prints JSON");
        assert_eq!(parsed["id"], id.as_str());
        let (code, out, err) = cli(&op, &["approve", &id, "--reason", "planned maintenance"]).await;
        assert_eq!(code, Some(0), "{out}{err}");
        assert!(out.contains("approved") && out.contains(&id), "{out}");
        id
    });
    let outcome = outcome.unwrap();
    assert!(
        !outcome.is_error,
        "the approved call succeeds: {}",
        outcome.text
    );
    assert!(started.elapsed() < Duration::from_secs(50));
    assert_eq!(power_state(&client, &vm).await, "poweredOff", "second read");

    // The decision is recorded and cannot be taken twice.
    let (status, view) = op.get(&format!("/api/approvals/{id}"), Some(TOKEN)).await;
    assert_eq!(status, 200);
    assert_eq!(view["status"], "approved");
    assert_eq!(view["decided_by"], "operator:e2e-operator");
    assert_eq!(view["reason"], "planned maintenance");
    let (code, _, err) = cli(&op, &["deny", &id, "--reason", "too late"]).await;
    assert_ne!(code, Some(0));
    assert!(err.contains("already approved"), "{err}");
    client.cancel().await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_operator_denies_through_the_cli_and_the_call_fails_with_the_reason() {
    let name = "appr-cli-deny";
    let server = Server::start(name, admin::options(name, 60));
    let op = Operator::of(&server, name);
    let client = server.client().await;
    let vm = vm_in(&client, "poweredOff", &[]).await;

    let (outcome, id) = tokio::join!(call(&client, ON, json!({"vmName": vm})), async {
        let id = op.wait_for_pending(ON).await["id"]
            .as_str()
            .unwrap()
            .to_string();
        // `deny` without a reason is refused by the CLI itself.
        let (code, _, err) = cli(&op, &["deny", &id]).await;
        assert_eq!(code, Some(2), "{err}");
        assert!(err.contains("--reason"), "{err}");
        let (code, out, err) = cli(
            &op,
            &["deny", &id, "--reason", "capacity freeze until Monday"],
        )
        .await;
        assert_eq!(code, Some(0), "{out}{err}");
        assert!(out.contains("denied"), "{out}");
        id
    });
    let outcome = outcome.unwrap();
    assert!(outcome.is_error, "{}", outcome.text);
    assert_eq!(outcome.error_kind(), "approval_denied", "{}", outcome.text);
    assert!(
        outcome
            .error_message()
            .contains("capacity freeze until Monday")
            && outcome.error_message().contains("e2e-operator"),
        "{}",
        outcome.text
    );
    assert_eq!(outcome.json["error"]["approvalId"], id.as_str());
    assert_eq!(
        power_state(&client, &vm).await,
        "poweredOff",
        "nothing changed"
    );
    client.cancel().await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_approval_nobody_decides_times_out_with_its_id_and_nothing_changes() {
    let name = "appr-timeout";
    let server = Server::start(name, admin::options(name, 2));
    let op = Operator::of(&server, name);
    let client = server.client().await;
    let vm = vm_in(&client, "poweredOn", &[]).await;

    let started = Instant::now();
    let outcome = call(&client, OFF, json!({"vmName": vm})).await.unwrap();
    let waited = started.elapsed();
    assert!(outcome.is_error, "{}", outcome.text);
    assert_eq!(outcome.error_kind(), "timeout", "{}", outcome.text);
    assert!(
        waited >= Duration::from_secs(2) && waited < Duration::from_secs(20),
        "waited {waited:?}"
    );
    let (_, list) = op.get("/api/approvals", Some(TOKEN)).await;
    let decided = &list["recent"][0];
    let id = decided["id"].as_str().unwrap();
    assert_eq!(decided["status"], "timed_out");
    assert!(
        outcome.error_message().contains(id)
            && outcome.error_message().contains("nothing was changed"),
        "the error names approval {id}: {}",
        outcome.text
    );
    assert!(list["pending"].as_array().unwrap().is_empty());
    assert_eq!(
        power_state(&client, &vm).await,
        "poweredOn",
        "nothing changed"
    );
    // Approving after the timeout changes nothing either.
    let (code, _, err) = cli(&op, &["approve", id]).await;
    assert_ne!(code, Some(0));
    assert!(err.contains("already timed_out"), "{err}");
    assert_eq!(power_state(&client, &vm).await, "poweredOn");
    client.cancel().await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_waiting_call_tells_the_client_what_it_waits_for() {
    let name = "appr-progress";
    let server = Server::start(name, admin::options(name, 60));
    let op = Operator::of(&server, name);
    let recorder = ProgressRecorder::default();
    let client = recorder
        .clone()
        .serve(StreamableHttpClientTransport::from_uri(server.mcp_url()))
        .await
        .expect("client");
    let plain = server.client().await;
    let vm = vm_in(&plain, "poweredOn", &[]).await;

    let mut params = CallToolRequestParams::new(OFF);
    params.arguments = Some(json!({"vmName": vm}).as_object().unwrap().clone());
    let (result, id) = tokio::join!(client.call_tool(params), async {
        let id = op.wait_for_pending(OFF).await["id"]
            .as_str()
            .unwrap()
            .to_string();
        // Wait until the client has been told, then approve.
        let deadline = Instant::now() + Duration::from_secs(20);
        while !recorder
            .seen
            .lock()
            .unwrap()
            .iter()
            .any(|p| p.message.as_deref().is_some_and(|m| m.contains(&id)))
        {
            assert!(
                Instant::now() < deadline,
                "no progress notification named {id}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let (code, _, err) = cli(&op, &["approve", &id]).await;
        assert_eq!(code, Some(0), "{err}");
        id
    });
    let result = result.expect("powerOffVm");
    assert_ne!(result.is_error, Some(true), "{:?}", result.content);
    let seen = recorder.seen.lock().unwrap().clone();
    let waiting = seen
        .iter()
        .find(|p| p.message.as_deref().is_some_and(|m| m.contains(&id)))
        .unwrap();
    let message = waiting.message.as_deref().unwrap();
    assert!(
        message.starts_with(&format!("waiting for operator approval {id}: "))
            && message.contains(&vm),
        "{message}"
    );
    assert_eq!(power_state(&plain, &vm).await, "poweredOff");
    client.cancel().await.ok();
    plain.cancel().await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_admin_api_needs_its_token_and_is_not_on_the_mcp_port() {
    let name = "appr-admin-auth";
    let server = Server::start(name, admin::options(name, 60));
    let op = Operator::of(&server, name);
    assert_ne!(op.url, server.base_url, "a separate listener");
    let http = reqwest::Client::new();
    for path in ["/api/approvals", "/api/approvals/apr-x"] {
        for token in [None, Some("wrong-token"), Some("test-admin-token-5f2")] {
            let (status, body) = op.get(path, token).await;
            assert_eq!(status, 401, "{path} with {token:?}: {body}");
        }
    }
    for action in ["approve", "deny"] {
        let url = format!("{}/api/approvals/apr-x/{action}", op.url);
        let status = http
            .post(&url)
            .json(&json!({"reason": "x"}))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status.as_u16(), 401, "{url}");
        let status = http
            .post(&url)
            .bearer_auth("nope")
            .json(&json!({"reason": "x"}))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status.as_u16(), 401, "{url}");
    }
    let (status, _) = op.get("/api/approvals", Some(TOKEN)).await;
    assert_eq!(status, 200);

    // MCP clients cannot reach any admin route on the MCP port, even with the admin token.
    for path in [
        "/approvals",
        "/api/approvals",
        "/api/approvals/apr-x/approve",
    ] {
        let url = format!("{}{path}", server.base_url);
        let r = http.get(&url).bearer_auth(TOKEN).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 404, "{url}");
        let r = http.post(&url).bearer_auth(TOKEN).send().await.unwrap();
        assert!(
            [404, 405].contains(&r.status().as_u16()),
            "{url}: {}",
            r.status()
        );
    }

    // The CLI with a wrong token gets a clear 401.
    let wrong = scratch_file(name, "wrong-token", "not-the-token\n");
    let out = std::process::Command::new(vmware_mcp_e2e::server::binary())
        .args(["approvals", "list"])
        .env_clear()
        .env("ADMIN_URL", &op.url)
        .env("ADMIN_TOKEN_SECRET_PATH", &wrong)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("401") && err.contains("ADMIN_TOKEN_SECRET_PATH"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_admin_api_is_loopback_only_unless_allowed() {
    let name = "appr-admin-bind";
    let token = admin::token_file(name);
    let (code, out) = Server::run_to_exit(
        ServerOptions::demo()
            .env("ADMIN_TOKEN_SECRET_PATH", token.display().to_string())
            .env("ADMIN_BIND", "0.0.0.0")
            .env("ADMIN_PORT", "0"),
    );
    assert_ne!(code, Some(0), "{out}");
    assert!(
        out.contains("ADMIN_ALLOW_REMOTE") && out.contains("0.0.0.0"),
        "{out}"
    );
    // Without a token the admin API runs only in the demo (with a token
    // generated for the run): see demo_approvals.rs.
}

#[test]
fn an_invalid_policy_file_stops_the_server_naming_the_line() {
    let policy = scratch_file(
        "appr-bad-policy",
        "policy.toml",
        "default = \"ask\"\n\n[[rules]]\ntools = [\"infra.vmware.vms.*\"]\ndecision = \"allow\"\nwindows = [{ start = \"25:00\", end = \"04:00\" }]\n",
    );
    let (code, out) =
        Server::run_to_exit(ServerOptions::demo().env("APPROVAL_POLICY_PATH", policy.clone()));
    assert_ne!(code, Some(0), "{out}");
    assert!(
        out.contains("invalid approval policy") && out.contains(&policy) && out.contains("line 6"),
        "{out}"
    );
    assert!(!out.contains("serving MCP"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn operator_approved_grants_cannot_be_replayed_or_used_on_another_target() {
    let name = "appr-hostile";
    let audit = scratch_dir(name).join("audit.jsonl");
    let _ = std::fs::remove_file(&audit);
    let server = Server::start(
        name,
        admin::options(name, 60)
            .arg("--plugins")
            .arg(
                plugin_dir("appr-hostile-plugin-dir", &[TestPlugin::Hostile])
                    .display()
                    .to_string(),
            )
            .env("AUDIT_LOG_PATH", audit.display().to_string()),
    );
    let op = Operator::of(&server, name);
    let client = server.client().await;
    let list = call(&client, "infra.vmware.vms.listVMs", json!({}))
        .await
        .unwrap()
        .json;
    let on: Vec<String> = list["vms"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["powerState"] == "poweredOn")
        .map(|v| v["id"].as_str().unwrap().to_string())
        .collect();
    let (a, b) = (on[0].clone(), on[1].clone());

    // An operator approves one power-off of A; the plugin uses the grant twice.
    const REPLAY: &str = "infra.vmware.hostile.replayGrant";
    let (replay, _) = tokio::join!(call(&client, REPLAY, json!({"vmId": a})), async {
        let id = op.wait_for_pending(REPLAY).await["id"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(cli(&op, &["approve", &id]).await.0, Some(0));
    });
    let replay = replay.unwrap();
    assert!(
        replay.is_error,
        "the second use is refused: {}",
        replay.text
    );
    assert_eq!(replay.error_kind(), "approval_required", "{}", replay.text);
    assert!(
        replay.error_message().contains("already used"),
        "{}",
        replay.text
    );
    assert_eq!(
        power_state(&client, &a).await,
        "poweredOff",
        "the one approved use happened"
    );

    // An operator approves a power-off of B; the plugin powers off C instead.
    let c = on[2].clone();
    const SWAP: &str = "infra.vmware.hostile.grantForAThenPowerOffB";
    let (swap, _) = tokio::join!(call(&client, SWAP, json!({"vmA": b, "vmB": c})), async {
        let pending = op.wait_for_pending(SWAP).await;
        assert_eq!(
            pending["targets"][0]["id"],
            b.as_str(),
            "the operator sees the grant's target"
        );
        let id = pending["id"].as_str().unwrap().to_string();
        assert_eq!(cli(&op, &["approve", &id]).await.0, Some(0));
    });
    let swap = swap.unwrap();
    assert!(swap.is_error, "{}", swap.text);
    assert_eq!(swap.error_kind(), "approval_required", "{}", swap.text);
    assert!(swap.error_message().contains(&c), "{}", swap.text);
    assert_eq!(
        power_state(&client, &c).await,
        "poweredOn",
        "the other target is untouched"
    );
    assert_eq!(
        power_state(&client, &b).await,
        "poweredOn",
        "the grant's target was not used"
    );

    // The audit trail shows both decisions and every attempted state change.
    let records = admin::audit_records(&audit);
    let calls: Vec<&Value> = records
        .iter()
        .filter(|r| r["event"] == "vsphere_call")
        .collect();
    let outcomes: Vec<(&str, &str)> = calls
        .iter()
        .map(|r| {
            (
                r["target"].as_str().unwrap(),
                r["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    let (ta, tc) = (format!("VirtualMachine:{a}"), format!("VirtualMachine:{c}"));
    assert_eq!(
        outcomes,
        [
            (ta.as_str(), "ok"),
            (ta.as_str(), "approval_required"),
            (tc.as_str(), "approval_required")
        ],
        "{records:?}"
    );
    assert!(calls[0]["grant_id"].is_string() && calls[1]["grant_id"].is_null());
    assert_eq!(
        records
            .iter()
            .filter(|r| r["event"] == "approval_decision")
            .count(),
        2
    );
    client.cancel().await.ok();
}
