//! Issue 2's approval acceptance: the host refuses state changes without a
//! covering grant, whatever the plugin does, and honours the policy file.

use serde_json::{Value, json};
use vmware_mcp_e2e::{Server, ServerOptions, call, scratch_file};

/// Every state-changing seed tool with arguments that would succeed if allowed.
fn state_changes(on_vm: &str, off_vm: &str, host: &str) -> Vec<(&'static str, Value)> {
    vec![
        ("infra.vmware.vms.powerOffVm", json!({"vmName": on_vm})),
        ("infra.vmware.vms.powerOnVm", json!({"vmName": off_vm})),
        ("infra.vmware.vms.rebootVm", json!({"vmName": on_vm})),
        (
            "infra.vmware.vms.createSnapshot",
            json!({"vmName": on_vm, "snapshotName": "gate-test"}),
        ),
        (
            "infra.vmware.vms.cloneVm",
            json!({"sourceVmName": on_vm, "newVmName": "gate-clone", "targetFolder": "dev"}),
        ),
        (
            "infra.vmware.hosts.enterMaintenanceMode",
            json!({"hostName": host}),
        ),
        // The demo's db-01 has a snapshot tree, and esx-06 is in maintenance.
        (
            "infra.vmware.vms.revertToSnapshot",
            json!({"vmName": "db-01", "snapshotName": "base"}),
        ),
        (
            "infra.vmware.vms.deleteSnapshot",
            json!({"vmName": "db-01", "snapshotName": "pre-upgrade"}),
        ),
        (
            "infra.vmware.hosts.exitMaintenanceMode",
            json!({"hostName": "esx-06.lab.local"}),
        ),
    ]
}

async fn inventory_snapshot(
    client: &rmcp::service::RunningService<rmcp::RoleClient, ()>,
) -> (Value, Value) {
    let vms = call(client, "infra.vmware.vms.listVMs", json!({}))
        .await
        .unwrap();
    let hosts = call(client, "infra.vmware.hosts.listHosts", json!({}))
        .await
        .unwrap();
    (vms.json, hosts.json)
}

/// The snapshot tree of the demo VM the snapshot tools are refused on.
async fn db01_snapshots(client: &rmcp::service::RunningService<rmcp::RoleClient, ()>) -> Value {
    let info = call(
        client,
        "infra.vmware.vms.getVMInfo",
        json!({"vmName": "db-01"}),
    )
    .await
    .unwrap();
    assert!(
        info.json["snapshots"]
            .as_array()
            .is_some_and(|s| !s.is_empty()),
        "{}",
        info.text
    );
    json!([info.json["snapshots"], info.json["currentSnapshot"]])
}

fn unique_vm(list: &Value, state: &str) -> String {
    let vms = list["vms"].as_array().unwrap();
    vms.iter()
        .filter(|v| v["powerState"] == state)
        .map(|v| v["name"].as_str().unwrap().to_string())
        .find(|n| vms.iter().filter(|v| v["name"] == n.as_str()).count() == 1)
        .unwrap_or_else(|| panic!("a uniquely named {state} VM in {list}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_policy_every_state_change_is_refused_and_nothing_changes() {
    // No operator either: the demo's operator page is turned off.
    let server = Server::start(
        "gate-no-policy",
        ServerOptions::demo().env("ADMIN_API", "off"),
    );
    let client = server.client().await;
    let (vms, hosts) = inventory_snapshot(&client).await;
    let on_vm = unique_vm(&vms, "poweredOn");
    let off_vm = unique_vm(&vms, "poweredOff");
    let host = hosts["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| !h["cluster"].is_null())
        .unwrap()["name"]
        .as_str()
        .unwrap()
        .to_string();
    let snapshots = db01_snapshots(&client).await;
    let tools = state_changes(&on_vm, &off_vm, &host);
    assert_eq!(tools.len(), 9, "every state-changing seed tool");
    for (tool, args) in tools {
        let r = call(&client, tool, args).await.unwrap();
        assert!(
            r.is_error,
            "{tool} must be refused without approval: {}",
            r.text
        );
        assert_eq!(r.error_kind(), "approval_required", "{tool}: {}", r.text);
    }
    assert_eq!(
        inventory_snapshot(&client).await,
        (vms, hosts),
        "the inventory is unchanged"
    );
    assert_eq!(
        db01_snapshots(&client).await,
        snapshots,
        "the snapshot tree is unchanged"
    );
    client.cancel().await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rule_allowing_power_on_for_dev_vms_is_honoured_both_ways() {
    let policy = scratch_file(
        "gate-dev-rule",
        "policy.toml",
        "default = \"deny\"\n\n[[rules]]\ntools = [\"infra.vmware.vms.powerOnVm\"]\ntargets = [\"dev-*\"]\ndecision = \"allow\"\n",
    );
    let server = Server::start(
        "gate-dev-rule",
        ServerOptions::demo().env("APPROVAL_POLICY_PATH", policy),
    );
    let client = server.client().await;
    let (vms, _) = inventory_snapshot(&client).await;
    let off: Vec<&Value> = vms["vms"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["powerState"] == "poweredOff")
        .collect();
    let dev = off
        .iter()
        .find(|v| v["name"].as_str().unwrap().starts_with("dev-"))
        .expect("a powered-off dev-* VM in the demo")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let other = off
        .iter()
        .find(|v| !v["name"].as_str().unwrap().starts_with("dev-"))
        .expect("a powered-off non-dev VM in the demo")["id"]
        .as_str()
        .unwrap()
        .to_string();

    let allowed = call(
        &client,
        "infra.vmware.vms.powerOnVm",
        json!({"vmName": dev}),
    )
    .await
    .unwrap();
    assert!(
        !allowed.is_error,
        "dev-* power on is allowed: {}",
        allowed.text
    );
    let info = call(
        &client,
        "infra.vmware.vms.getVMInfo",
        json!({"vmName": dev}),
    )
    .await
    .unwrap();
    assert_eq!(info.json["powerState"], "poweredOn");

    let refused = call(
        &client,
        "infra.vmware.vms.powerOnVm",
        json!({"vmName": other}),
    )
    .await
    .unwrap();
    assert!(refused.is_error, "{}", refused.text);
    assert_eq!(refused.error_kind(), "approval_denied", "{}", refused.text);
    let info = call(
        &client,
        "infra.vmware.vms.getVMInfo",
        json!({"vmName": other}),
    )
    .await
    .unwrap();
    assert_eq!(
        info.json["powerState"], "poweredOff",
        "the refused VM is unchanged"
    );

    // The rule covers only powerOnVm: powering the dev VM off again is denied.
    let off_again = call(
        &client,
        "infra.vmware.vms.powerOffVm",
        json!({"vmName": dev}),
    )
    .await
    .unwrap();
    assert_eq!(
        off_again.error_kind(),
        "approval_denied",
        "{}",
        off_again.text
    );
    client.cancel().await.ok();
}
