//! Issue 18's VM changes: `renameVm`, `deleteVm`, `reconfigureVm` and
//! `migrateVm`, against vcsim with pyVmomi reading every effect back:
//! - with a policy that grants, each change takes effect, and its approval
//!   states what it does (before → after; the disks and snapshots deleted);
//! - the refusals (a name taken in the folder, deleting a running VM, growing
//!   a running VM without hot-add, no target) change nothing and ask no
//!   approval;
//! - without a policy the gate refuses all four and nothing changes.
//!
//! And the same changes on the built-in simulator (`--demo`).

use serde_json::{Value, json};
use vmware_mcp_e2e::admin::{self, audit_records};
use vmware_mcp_e2e::vsphere_driver::Driver;
use vmware_mcp_e2e::{CallOutcome, Server, ServerOptions, Vcsim, call, scratch_dir, scratch_file};

type Client = rmcp::service::RunningService<rmcp::RoleClient, ()>;

async fn tool(client: &Client, name: &str, args: Value) -> CallOutcome {
    call(client, &format!("infra.vmware.vms.{name}"), args)
        .await
        .expect("the call reaches the server")
}

async fn ok(client: &Client, name: &str, args: Value) -> Value {
    let r = tool(client, name, args.clone()).await;
    assert!(!r.is_error, "{name} {args}: {}", r.text);
    r.json
}

/// The VMs of a listing by name → id.
async fn vm_ids(client: &Client) -> Vec<(String, String)> {
    ok(client, "listVMs", json!({})).await["vms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["name"].as_str().unwrap().to_string(),
                v["id"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn id_of(vms: &[(String, String)], name: &str) -> String {
    vms.iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("{name} in {vms:?}"))
        .1
        .clone()
}

/// What pyVmomi sees of a VM (`"gone"` once deleted).
fn seen(driver: &mut Driver, id: &str) -> Value {
    let answer = driver.run(&format!("vm {id}"));
    if answer == "gone" {
        return Value::from("gone");
    }
    serde_json::from_str(&answer).unwrap()
}

/// The approval decisions on the audit trail.
fn decisions(audit: &std::path::Path) -> Vec<Value> {
    audit_records(audit)
        .into_iter()
        .filter(|r| r["event"] == "approval_decision")
        .collect()
}

/// A refused call: its kind and message, and that it changed nothing and
/// asked no approval.
async fn refused(
    client: &Client,
    driver: &mut Driver,
    audit: &std::path::Path,
    (name, args): (&str, Value),
    kind: &str,
    says: &str,
) {
    let id = args["vmName"].as_str().unwrap().to_string();
    let (before, asked) = (seen(driver, &id), decisions(audit).len());
    let r = tool(client, name, args.clone()).await;
    assert!(r.is_error, "{name} {args} must be refused: {}", r.text);
    assert_eq!(r.error_kind(), kind, "{name} {args}: {}", r.text);
    assert!(
        r.error_message().contains(says),
        "{name} {args}: {}",
        r.text
    );
    assert_eq!(seen(driver, &id), before, "{name} {args} changed nothing");
    assert_eq!(
        decisions(audit).len(),
        asked,
        "{name} {args} asked no approval"
    );
}

/// The last approval's summary, checked to be for `tool`.
fn last_summary(audit: &std::path::Path, tool: &str) -> String {
    let all = decisions(audit);
    let last = all.last().expect("an approval was asked");
    assert_eq!(last["tool"], format!("infra.vmware.vms.{tool}"), "{last}");
    assert_eq!(last["decision"], "approved", "{last}");
    last["summary"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn each_change_takes_effect_and_each_refusal_changes_nothing_on_vcsim() {
    let name = "vm-changes";
    let sim = Vcsim::start(name, &["-model", "vpx"]);
    let audit = scratch_dir(name).join("audit.jsonl");
    let _ = std::fs::remove_file(&audit);
    let policy = scratch_file(name, "policy.toml", "default = \"allow\"\n");
    let server = Server::start(
        name,
        sim.server_options()
            .env("APPROVAL_POLICY_PATH", policy)
            .env("AUDIT_LOG_PATH", audit.display().to_string()),
    );
    let client = server.client().await;
    let mut driver = Driver::start(&sim);
    let vms = vm_ids(&client).await;
    let (vm0, vm1) = (id_of(&vms, "DC0_C0_RP0_VM0"), id_of(&vms, "DC0_C0_RP0_VM1"));
    let a = &audit;

    // renameVm: a name another VM of the folder holds, and over 80 characters.
    for (new_name, says) in [
        ("DC0_C0_RP0_VM1", "already exists in folder"),
        (&"x".repeat(81)[..], "at most 80"),
    ] {
        let args = json!({"vmName": vm0, "newName": new_name});
        refused(
            &client,
            &mut driver,
            a,
            ("renameVm", args),
            "invalid_argument",
            says,
        )
        .await;
    }
    let renamed = ok(
        &client,
        "renameVm",
        json!({"vmName": vm0, "newName": "web-renamed"}),
    )
    .await;
    assert_eq!(renamed["name"], "web-renamed");
    assert_eq!(renamed["previousName"], "DC0_C0_RP0_VM0");
    assert_eq!(seen(&mut driver, &vm0)["name"], "web-renamed");
    assert!(
        last_summary(a, "renameVm").contains("'DC0_C0_RP0_VM0' → 'web-renamed'"),
        "{:?}",
        decisions(a)
    );

    // reconfigureVm: vcsim's VMs run without hot-add.
    let before = seen(&mut driver, &vm0);
    assert_eq!(before["power"], "poweredOn");
    let cpus = before["numCPU"].as_i64().unwrap();
    let args = json!({"vmName": vm0, "numCPUs": cpus + 1});
    refused(
        &client,
        &mut driver,
        a,
        ("reconfigureVm", args),
        "invalid_state",
        "hot-add",
    )
    .await;
    let args = json!({"vmName": vm0});
    refused(
        &client,
        &mut driver,
        a,
        ("reconfigureVm", args),
        "invalid_argument",
        "numCPUs",
    )
    .await;
    driver.run(&format!("poweroff {vm0}"));
    let memory = before["memoryMB"].as_i64().unwrap();
    let changed = ok(
        &client,
        "reconfigureVm",
        json!({"vmName": vm0, "numCPUs": cpus + 3, "memoryMB": memory * 2}),
    )
    .await;
    assert_eq!(changed["numCPUs"], cpus + 3);
    assert_eq!(changed["memoryMB"], memory * 2);
    let after = seen(&mut driver, &vm0);
    assert_eq!(
        (after["numCPU"].as_i64(), after["memoryMB"].as_i64()),
        (Some(cpus + 3), Some(memory * 2))
    );
    assert!(
        last_summary(a, "reconfigureVm").contains(&format!(
            "CPUs {cpus} → {}, memory {memory} MB → {} MB",
            cpus + 3,
            memory * 2
        )),
        "{:?}",
        decisions(a)
    );

    // migrateVm: no target; then to another host of the cluster.
    let args = json!({"vmName": vm1});
    refused(
        &client,
        &mut driver,
        a,
        ("migrateVm", args),
        "invalid_argument",
        "targetHost",
    )
    .await;
    let from = seen(&mut driver, &vm1)["host"]
        .as_str()
        .unwrap()
        .to_string();
    let to = ["DC0_C0_H0", "DC0_C0_H1", "DC0_C0_H2"]
        .into_iter()
        .find(|h| *h != from)
        .unwrap();
    let moved = ok(
        &client,
        "migrateVm",
        json!({"vmName": vm1, "targetHost": to}),
    )
    .await;
    assert_eq!(moved["host"], to);
    assert_eq!(seen(&mut driver, &vm1)["host"], to);
    assert!(
        last_summary(a, "migrateVm").contains(&format!("host {from} → {to}")),
        "{:?}",
        decisions(a)
    );

    // deleteVm: a running VM is refused; a powered-off one goes, and its
    // approval lists its disks and snapshots.
    let args = json!({"vmName": vm1});
    refused(
        &client,
        &mut driver,
        a,
        ("deleteVm", args),
        "invalid_state",
        "power it off first",
    )
    .await;
    driver.run(&format!("snapshot {vm0} before-delete"));
    let deleted = ok(&client, "deleteVm", json!({"vmName": vm0})).await;
    assert_eq!(deleted["gone"], true, "{deleted}");
    assert_eq!(deleted["snapshots"], json!(["before-delete"]));
    assert_eq!(seen(&mut driver, &vm0), "gone");
    let summary = last_summary(a, "deleteVm");
    let disks = deleted["disks"].as_array().unwrap();
    assert!(!disks.is_empty(), "{deleted}");
    assert!(
        summary.contains(&format!("{} disk(s): ", disks.len()))
            && summary.contains(disks[0]["file"].as_str().unwrap())
            && summary.contains("1 snapshot(s): before-delete"),
        "{summary}"
    );
    client.cancel().await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_policy_the_gate_refuses_every_vm_change_on_vcsim() {
    let name = "vm-changes-gate";
    let sim = Vcsim::start(name, &["-model", "vpx"]);
    let server = Server::start(name, sim.server_options().env("ADMIN_API", "off"));
    let client = server.client().await;
    let mut driver = Driver::start(&sim);
    let vms = vm_ids(&client).await;
    let (vm0, vm1) = (id_of(&vms, "DC0_C0_RP0_VM0"), id_of(&vms, "DC0_C0_RP0_VM1"));
    // Powered off, so that nothing but the gate stands in the way.
    driver.run(&format!("poweroff {vm0}"));
    let before = (seen(&mut driver, &vm0), seen(&mut driver, &vm1));
    let from = before.1["host"].as_str().unwrap();
    let to = ["DC0_C0_H0", "DC0_C0_H1"]
        .into_iter()
        .find(|h| *h != from)
        .unwrap();
    for (name, args) in [
        (
            "renameVm",
            json!({"vmName": vm0, "newName": "gate-renamed"}),
        ),
        ("reconfigureVm", json!({"vmName": vm0, "numCPUs": 4})),
        ("migrateVm", json!({"vmName": vm1, "targetHost": to})),
        ("deleteVm", json!({"vmName": vm0})),
    ] {
        let r = tool(&client, name, args).await;
        assert!(r.is_error, "{name} must be refused: {}", r.text);
        assert_eq!(r.error_kind(), "approval_required", "{name}: {}", r.text);
    }
    assert_eq!(
        (seen(&mut driver, &vm0), seen(&mut driver, &vm1)),
        before,
        "nothing changed"
    );
    client.cancel().await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_changes_work_on_the_demo_simulator() {
    let policy = scratch_file("vm-changes-demo", "policy.toml", "default = \"allow\"\n");
    let server = Server::start(
        "vm-changes-demo",
        ServerOptions::demo().env("APPROVAL_POLICY_PATH", policy),
    );
    let client = server.client().await;
    let info = |vm: &'static str| {
        let client = &client;
        async move { ok(client, "getVMInfo", json!({"vmName": vm})).await }
    };

    let r = tool(
        &client,
        "renameVm",
        json!({"vmName": "web-03", "newName": "web-01"}),
    )
    .await;
    assert_eq!(r.error_kind(), "invalid_argument", "{}", r.text);
    ok(
        &client,
        "renameVm",
        json!({"vmName": "web-03", "newName": "web-03b"}),
    )
    .await;
    assert_eq!(info("web-03b").await["name"], "web-03b");

    // web-01 runs without hot-add; off, it grows.
    let r = tool(
        &client,
        "reconfigureVm",
        json!({"vmName": "web-01", "numCPUs": 16}),
    )
    .await;
    assert_eq!(r.error_kind(), "invalid_state", "{}", r.text);
    let r = tool(&client, "deleteVm", json!({"vmName": "web-01"})).await;
    assert!(
        r.error_message().contains("power it off first"),
        "{}",
        r.text
    );
    ok(&client, "powerOffVm", json!({"vmName": "web-01"})).await;
    ok(
        &client,
        "reconfigureVm",
        json!({"vmName": "web-01", "numCPUs": 16, "memoryMB": 2048}),
    )
    .await;
    let hw = &info("web-01").await["hardware"];
    assert_eq!(
        (hw["numCPU"].clone(), hw["memoryMB"].clone()),
        (json!(16), json!(2048)),
        "{hw}"
    );

    let host = info("web-01").await["host"]["name"]
        .as_str()
        .unwrap()
        .to_string();
    let to = ["esx-02.lab.local", "esx-03.lab.local"]
        .into_iter()
        .find(|h| *h != host)
        .unwrap();
    let moved = ok(
        &client,
        "migrateVm",
        json!({"vmName": "web-01", "targetHost": to}),
    )
    .await;
    assert_eq!(moved["changes"], json!([format!("host {host} → {to}")]));
    assert_eq!(info("web-01").await["host"]["name"], to);
    let on = info("web-01").await["datastores"][0]["name"]
        .as_str()
        .unwrap()
        .to_string();
    let to_ds = if on == "ds-prod-01" {
        "ds-prod-02"
    } else {
        "ds-prod-01"
    };
    let moved = ok(
        &client,
        "migrateVm",
        json!({"vmName": "web-01", "targetDatastore": to_ds, "targetHost": to}),
    )
    .await;
    assert_eq!(
        moved["changes"],
        json!([format!("datastore {on} → {to_ds}")])
    );
    assert_eq!(moved["datastores"], json!([to_ds]));
    assert_eq!(info("web-01").await["datastores"][0]["name"], to_ds);

    let deleted = ok(&client, "deleteVm", json!({"vmName": "web-01"})).await;
    assert_eq!(deleted["gone"], true, "{deleted}");
    let r = tool(&client, "getVMInfo", json!({"vmName": "web-01"})).await;
    assert_eq!(r.error_kind(), "not_found", "{}", r.text);
    client.cancel().await.ok();
}

/// Ask approval for `tool` on `--demo` (the call answers "pending" within
/// CALL_WAIT_SECS), approve it through the CLI, and wait until it is final.
async fn approved(client: &Client, operator: &admin::Operator, tool_name: &str, args: Value) {
    let answer = tool(client, tool_name, args.clone()).await;
    assert_eq!(
        answer.json["status"], "pending_approval",
        "{tool_name} {args}: {}",
        answer.text
    );
    let id = answer.json["requestId"].as_str().unwrap().to_string();
    let (code, _, stderr) = operator.cli(&["approve", &id]);
    assert_eq!(code, Some(0), "{stderr}");
    let done = admin::final_request(client, &id).await;
    assert_eq!(done["status"], "succeeded", "{tool_name} {args}: {done}");
}

/// A VM change pending approval survives a SIGKILL. While it waits, its VM
/// is renamed away and another VM takes the name: approved after the
/// restart, the host refuses it as a mismatch and neither VM changes. Asked
/// by id, a change survives a SIGKILL and runs once when approved, its
/// intent on the audit trail before the call.
#[tokio::test(flavor = "multi_thread")]
async fn a_pending_change_survives_a_restart_and_never_follows_its_name_to_another_vm() {
    let name = "vm-change-restart";
    let state = scratch_dir(name).join("state");
    let audit = scratch_dir(name).join("audit.jsonl");
    let _ = std::fs::remove_dir_all(&state);
    let _ = std::fs::remove_file(&audit);
    let options = || {
        admin::options(name, 600)
            .env("STATE_DIR", state.display().to_string())
            .env("AUDIT_LOG_PATH", audit.display().to_string())
            .env("CALL_WAIT_SECS", "2")
    };
    let mut server = Server::start(name, options());
    let client = server.client().await;
    let all = ok(&client, "listVMs", json!({"limit": 500})).await;
    let rows = all["vms"].as_array().unwrap();
    let unique = |row: &&Value| rows.iter().filter(|r| r["name"] == row["name"]).count() == 1;
    let mut off = rows
        .iter()
        .filter(|r| r["powerState"] == "poweredOff" && r["template"] == false)
        .filter(unique);
    let (ours, other) = (off.next().unwrap(), off.next().unwrap());
    let (vm_name, vm_id) = (ours["name"].as_str().unwrap(), ours["id"].as_str().unwrap());
    let other_id = other["id"].as_str().unwrap();
    let cpus = |info: &Value| info["hardware"]["numCPU"].as_i64().unwrap();
    let before = cpus(&ok(&client, "getVMInfo", json!({"vmName": vm_id})).await);
    let other_before = cpus(&ok(&client, "getVMInfo", json!({"vmName": other_id})).await);

    let asked = tool(
        &client,
        "reconfigureVm",
        json!({"vmName": vm_name, "numCPUs": before + 1}),
    )
    .await;
    assert_eq!(asked.json["status"], "pending_approval", "{}", asked.text);
    let request = asked.json["requestId"].as_str().unwrap().to_string();
    client.cancel().await.ok();
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &server.pid().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    server.terminate();

    let server = Server::start(name, options());
    let operator = admin::Operator::of(&server, name);
    let client = server.client().await;
    let pending = operator
        .wait_for_pending("infra.vmware.vms.reconfigureVm")
        .await;
    assert_eq!(
        pending["id"],
        request.as_str(),
        "still pending under its id"
    );
    // The name moves to another VM while the change waits.
    let moved = format!("{vm_name}-old");
    approved(
        &client,
        &operator,
        "renameVm",
        json!({"vmName": vm_id, "newName": moved}),
    )
    .await;
    approved(
        &client,
        &operator,
        "renameVm",
        json!({"vmName": other_id, "newName": vm_name}),
    )
    .await;

    // Approved now, the name means another VM than the one it was asked
    // for: the host refuses the mismatch and neither VM changes.
    let (code, _, stderr) = operator.cli(&["approve", &request]);
    assert_eq!(code, Some(0), "{stderr}");
    let done = admin::final_request(&client, &request).await;
    assert_eq!(done["status"], "denied", "{done}");
    assert_eq!(done["decision"]["by"], "host:approval-mismatch", "{done}");
    let cpus_of = async |id: &str| cpus(&ok(&client, "getVMInfo", json!({"vmName": id})).await);
    assert_eq!(cpus_of(vm_id).await, before);
    assert_eq!(
        cpus_of(other_id).await,
        other_before,
        "the VM that took the name is untouched"
    );
    let reconfigures = |audit: &std::path::Path| -> Vec<Value> {
        admin::audit_records(audit)
            .into_iter()
            .filter(|r| r["method"] == "ReconfigVM_Task")
            .collect()
    };
    assert!(reconfigures(&audit).is_empty(), "nothing was sent");

    // Asked by id, the change survives a second SIGKILL and runs once when
    // approved, its intent on the trail before the call.
    let asked = tool(
        &client,
        "reconfigureVm",
        json!({"vmName": vm_id, "numCPUs": before + 1}),
    )
    .await;
    assert_eq!(asked.json["status"], "pending_approval", "{}", asked.text);
    let request = asked.json["requestId"].as_str().unwrap().to_string();
    client.cancel().await.ok();
    let mut server = server;
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &server.pid().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    server.terminate();
    let server = Server::start(name, options());
    let operator = admin::Operator::of(&server, name);
    let client = server.client().await;
    operator
        .wait_for_pending("infra.vmware.vms.reconfigureVm")
        .await;
    let (code, _, stderr) = operator.cli(&["approve", &request]);
    assert_eq!(code, Some(0), "{stderr}");
    let done = admin::final_request(&client, &request).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(
        cpus(&ok(&client, "getVMInfo", json!({"vmName": vm_id})).await),
        before + 1
    );
    let records = reconfigures(&audit);
    let events: Vec<&str> = records
        .iter()
        .map(|r| r["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        events,
        ["vsphere_intent", "vsphere_call"],
        "sent once, intent first: {records:?}"
    );
    assert!(
        records[1]["target"].as_str().unwrap().ends_with(vm_id),
        "{records:?}"
    );
    assert_eq!(records[1]["outcome"], "ok", "{records:?}");
    client.cancel().await.ok();
}
