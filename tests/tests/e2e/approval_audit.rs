//! The audit trail: one JSON line per approval decision and per
//! state-changing vSphere call, flushed before the call returns, free of
//! secrets, and kept across a restart (appended, never truncated).

use serde_json::{Value, json};
use vmware_mcp_e2e::admin::{self, Operator, audit_records};
use vmware_mcp_e2e::{Server, call, scratch_dir, scratch_file};

const OFF: &str = "infra.vmware.vms.powerOffVm";
const ON: &str = "infra.vmware.vms.powerOnVm";

async fn vm_named(
    client: &rmcp::service::RunningService<rmcp::RoleClient, ()>,
    state: &str,
) -> String {
    let list = call(client, "infra.vmware.vms.listVMs", json!({}))
        .await
        .unwrap()
        .json;
    let vms = list["vms"].as_array().unwrap();
    vms.iter()
        .filter(|v| v["powerState"] == state)
        .map(|v| v["name"].as_str().unwrap().to_string())
        .find(|n| vms.iter().filter(|v| v["name"] == n.as_str()).count() == 1)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_decision_and_state_change_is_audited_and_the_trail_survives_a_restart() {
    let name = "appr-audit";
    let audit = scratch_dir(name).join("audit.jsonl");
    let _ = std::fs::remove_file(&audit);
    // dev-* power-ons are allowed by policy; everything else asks an operator.
    let policy = scratch_file(
        name,
        "policy.toml",
        "default = \"ask\"\n\n[[rules]]\ntools = [\"infra.vmware.vms.powerOnVm\"]\ntargets = [\"dev-*\"]\ndecision = \"allow\"\n",
    );
    let options = || {
        admin::options(name, 60)
            .env("AUDIT_LOG_PATH", audit.display().to_string())
            .env("APPROVAL_POLICY_PATH", policy.clone())
    };

    // First run: an operator approves a power-off.
    let mut server = Server::start(name, options());
    let op = Operator::of(&server, name);
    let client = server.client().await;
    let vm = vm_named(&client, "poweredOn").await;
    let (outcome, approval_id) = tokio::join!(call(&client, OFF, json!({"vmName": vm})), async {
        let id = op.wait_for_pending(OFF).await["id"]
            .as_str()
            .unwrap()
            .to_string();
        let op = op.clone();
        let id2 = id.clone();
        let (code, _, err) = tokio::task::spawn_blocking(move || {
            op.cli(&[
                "approve",
                &id2,
                "--reason",
                "run one",
                "--approver",
                "alice",
            ])
        })
        .await
        .unwrap();
        assert_eq!(code, Some(0), "{err}");
        id
    });
    let outcome = outcome.unwrap();
    assert!(!outcome.is_error, "{}", outcome.text);
    let correlation = outcome.meta["correlation_id"].as_str().unwrap().to_string();
    // Flushed before the call returned: the lines are there now.
    let first = audit_records(&audit);
    assert_eq!(
        first.len(),
        3,
        "one decision, the call's intent, and the call: {first:?}"
    );
    let decision = &first[0];
    assert_eq!(decision["event"], "approval_decision");
    assert_eq!(decision["decision"], "approved");
    assert_eq!(decision["decided_by"], "operator:alice");
    assert_eq!(decision["channel"], "operator");
    assert_eq!(decision["approval_id"], approval_id.as_str());
    assert_eq!(decision["reason"], "run one");
    assert_eq!(decision["tool"], OFF);
    assert_eq!(decision["targets"][0]["name"], vm.as_str());
    assert_eq!(decision["methods"], json!(["PowerOffVM_Task"]));
    assert_eq!(decision["correlation_id"], correlation.as_str());
    assert!(decision["ts"].as_str().unwrap().ends_with('Z'));
    // The intent is on disk before the change is sent.
    let intent = &first[1];
    assert_eq!(intent["event"], "vsphere_intent");
    assert_eq!(intent["method"], "PowerOffVM_Task");
    assert_eq!(intent["grant_id"], decision["grant_id"]);
    assert_eq!(intent["request_id"], approval_id.as_str());
    let change = &first[2];
    assert_eq!(change["event"], "vsphere_call");
    assert_eq!(change["request_id"], approval_id.as_str());
    assert_eq!(change["method"], "PowerOffVM_Task");
    assert_eq!(change["target"], decision["targets"][0]["ref"]);
    assert_eq!(change["outcome"], "ok");
    assert_eq!(change["grant_id"], decision["grant_id"]);
    assert!(
        change["task_id"]
            .as_str()
            .is_some_and(|t| t.starts_with("task-")),
        "{change}"
    );
    assert_eq!(change["correlation_id"], correlation.as_str());
    assert!(change["duration_ms"].is_u64());
    client.cancel().await.ok();
    assert_eq!(server.terminate(), Some(0));

    // Second run on the same file: a policy-allowed change is appended; reads are not audited.
    let server = Server::start(name, options());
    let client = server.client().await;
    let list = call(&client, "infra.vmware.vms.listVMs", json!({}))
        .await
        .unwrap()
        .json;
    let dev = list["vms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| {
            v["powerState"] == "poweredOff" && v["name"].as_str().unwrap().starts_with("dev-")
        })
        .expect("a powered-off dev VM")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let allowed = call(&client, ON, json!({"vmName": dev})).await.unwrap();
    assert!(!allowed.is_error, "{}", allowed.text);
    let all = audit_records(&audit);
    assert_eq!(
        &all[..3],
        &first[..],
        "the first run's lines are kept as they were"
    );
    assert_eq!(all.len(), 6, "{all:?}");
    assert_eq!(all[3]["decision"], "approved");
    assert_eq!(all[3]["decided_by"], "policy:rule 1");
    assert_eq!(all[3]["channel"], "policy");
    assert!(all[3]["approval_id"].is_null());
    assert_eq!(all[4]["event"], "vsphere_intent");
    assert_eq!(all[5]["method"], "PowerOnVM_Task");
    assert_eq!(all[5]["target"], format!("VirtualMachine:{dev}"));
    assert_eq!(all[5]["grant_id"], all[3]["grant_id"]);

    // No secret ever reaches the file, and every line is one JSON object.
    let text = std::fs::read_to_string(&audit).unwrap();
    assert!(
        !text.contains(admin::TOKEN),
        "the admin token is not in the audit trail"
    );
    assert_eq!(text.lines().count(), all.len());
    assert!(all.iter().all(|r| r.is_object() && r["ts"].is_string()));

    // The decisions are counted by decision in the metrics.
    let metrics = call(&client, "infra.vmware.getMetrics", json!({}))
        .await
        .unwrap()
        .json;
    let approvals: Vec<&Value> = metrics["counters"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["name"] == "vmware_mcp_approvals_total")
        .collect();
    assert!(
        approvals
            .iter()
            .any(|c| c["labels"]["decision"] == "approved" && c["labels"]["channel"] == "policy"),
        "{approvals:?}"
    );
    client.cancel().await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn against_vcsim_the_audit_names_the_vsphere_task() {
    let name = "appr-audit-vcsim";
    let audit = scratch_dir(name).join("audit.jsonl");
    let _ = std::fs::remove_file(&audit);
    let sim = vmware_mcp_e2e::Vcsim::start(name, &["-model", "vpx"]);
    let server = Server::start(
        name,
        sim.server_options()
            .env(
                "APPROVAL_POLICY_PATH",
                scratch_file(name, "policy.toml", "default = \"allow\"\n"),
            )
            .env("AUDIT_LOG_PATH", audit.display().to_string()),
    );
    let client = server.client().await;
    let list = call(&client, "infra.vmware.vms.listVMs", json!({}))
        .await
        .unwrap()
        .json;
    let vm = list["vms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["powerState"] == "poweredOn")
        .expect("a powered-on VM")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let off = call(&client, OFF, json!({"vmName": vm})).await.unwrap();
    assert!(!off.is_error, "{}", off.text);
    let records = audit_records(&audit);
    let change = records
        .iter()
        .find(|r| r["event"] == "vsphere_call" && r["method"] == "PowerOffVM_Task")
        .unwrap_or_else(|| panic!("{records:?}"));
    assert_eq!(change["outcome"], "ok");
    assert!(
        change["task_id"]
            .as_str()
            .is_some_and(|t| t.starts_with("task-")),
        "the vCenter task is named: {change}"
    );
    client.cancel().await.ok();
}

/// Issue 15, point 7: an audit trail that cannot be opened stops the start
/// with an error that names the OS error once (it used to say it twice).
#[test]
fn an_unopenable_audit_trail_names_the_os_error_once() {
    let name = "audit-unopenable";
    // A directory where the file should be: "Is a directory".
    let dir = scratch_dir(name).join("audit.jsonl");
    std::fs::create_dir_all(&dir).unwrap();
    let (code, output) = Server::run_to_exit(
        vmware_mcp_e2e::ServerOptions::demo().env("AUDIT_LOG_PATH", dir.display().to_string()),
    );
    assert_ne!(code, Some(0), "{output}");
    let said = output
        .lines()
        .find(|l| l.starts_with("vmware-mcp: "))
        .unwrap_or_else(|| panic!("no `vmware-mcp:` line:\n{output}"));
    assert!(said.contains("audit.jsonl"), "{said}");
    assert_eq!(said.matches("(os error ").count(), 1, "{said}");
}
