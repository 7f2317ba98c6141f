//! Issue 2 end to end: the real binary with `--demo`, an rmcp client over
//! Streamable HTTP, every tool called, every effect checked by a second read.

use serde_json::{Value, json};
use vmware_mcp_e2e::{Server, ServerOptions, call, scratch_file};

const SEED_TOOLS: &[&str] = &[
    "infra.vmware.vms.listVMs",
    "infra.vmware.vms.getVMInfo",
    "infra.vmware.vms.powerOnVm",
    "infra.vmware.vms.powerOffVm",
    "infra.vmware.vms.rebootVm",
    "infra.vmware.vms.createSnapshot",
    "infra.vmware.vms.revertToSnapshot",
    "infra.vmware.vms.deleteSnapshot",
    "infra.vmware.vms.cloneVm",
    "infra.vmware.hosts.listHosts",
    "infra.vmware.hosts.getHostInfo",
    "infra.vmware.hosts.enterMaintenanceMode",
    "infra.vmware.hosts.exitMaintenanceMode",
    "infra.vmware.getMetrics",
];

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

fn snapshot_names(tree: &Value, out: &mut Vec<String>) {
    for node in tree.as_array().into_iter().flatten() {
        out.push(node["name"].as_str().unwrap_or_default().to_string());
        snapshot_names(&node["children"], out);
    }
}

fn snapshots_of(info: &Value) -> Vec<String> {
    let mut names = Vec::new();
    snapshot_names(&info["snapshots"], &mut names);
    names
}

#[tokio::test(flavor = "multi_thread")]
async fn lists_the_fourteen_tools_with_schemas_and_annotations() {
    let server = Server::start("demo-list-tools", ServerOptions::demo());
    let client = server.client().await;
    let tools = client.list_all_tools().await.expect("tools/list");
    let mut names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    names.sort();
    let mut expected = SEED_TOOLS.to_vec();
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
    assert!(
        by_name("infra.vmware.vms.listVMs").output_schema.is_some(),
        "listVMs declares an output schema"
    );
    client.cancel().await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn every_tool_works_and_its_effect_is_visible_on_a_second_read() {
    let server = Server::start(
        "demo-every-tool",
        ServerOptions::demo().env("APPROVAL_POLICY_PATH", allow_all_policy("demo-every-tool")),
    );
    let client = server.client().await;

    // Reads.
    let all = call(&client, "infra.vmware.vms.listVMs", json!({}))
        .await
        .unwrap();
    assert!(!all.is_error, "{}", all.text);
    assert!(
        all.json["count"].as_u64().unwrap() >= 15,
        "demo has at least 15 VMs: {}",
        all.json
    );
    assert_eq!(all.meta["demo"], true);
    assert!(
        all.text.contains("no vCenter is in use"),
        "demo results say so: {}",
        all.text
    );
    let row = &all.json["vms"][0];
    for field in [
        "name",
        "id",
        "powerState",
        "host",
        "folder",
        "cpu",
        "memoryMB",
        "guestOS",
    ] {
        assert!(row.get(field).is_some(), "listVMs row has {field}: {row}");
    }
    let web = call(
        &client,
        "infra.vmware.vms.listVMs",
        json!({"folder": "web"}),
    )
    .await
    .unwrap();
    assert!(!web.is_error, "{}", web.text);
    assert!(web.json["count"].as_u64().unwrap() < all.json["count"].as_u64().unwrap());
    assert!(
        web.json["vms"]
            .as_array()
            .unwrap()
            .iter()
            .all(|v| v["folder"].as_str().unwrap().contains("web")),
        "{}",
        web.json
    );

    let hosts = call(&client, "infra.vmware.hosts.listHosts", json!({}))
        .await
        .unwrap();
    assert!(!hosts.is_error, "{}", hosts.text);
    assert!(hosts.json["count"].as_u64().unwrap() >= 5, "{}", hosts.json);

    // Power off, then getVMInfo says poweredOff; power on again.
    let on_vm = all.json["vms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| {
            v["powerState"] == "poweredOn"
                && vm_names(&all.json)
                    .iter()
                    .filter(|n| **n == v["name"])
                    .count()
                    == 1
        })
        .expect("a powered-on VM with a unique name");
    let vm = on_vm["name"].as_str().unwrap().to_string();
    let off = call(
        &client,
        "infra.vmware.vms.powerOffVm",
        json!({"vmName": vm}),
    )
    .await
    .unwrap();
    assert!(!off.is_error, "{}", off.text);
    let info = call(&client, "infra.vmware.vms.getVMInfo", json!({"vmName": vm}))
        .await
        .unwrap();
    assert_eq!(info.json["powerState"], "poweredOff", "{}", info.json);
    let again = call(
        &client,
        "infra.vmware.vms.powerOffVm",
        json!({"vmName": vm}),
    )
    .await
    .unwrap();
    assert!(again.is_error, "powering off a powered-off VM fails");
    let on = call(&client, "infra.vmware.vms.powerOnVm", json!({"vmName": vm}))
        .await
        .unwrap();
    assert!(!on.is_error, "{}", on.text);
    let info = call(&client, "infra.vmware.vms.getVMInfo", json!({"vmName": vm}))
        .await
        .unwrap();
    assert_eq!(info.json["powerState"], "poweredOn");
    let reboot = call(&client, "infra.vmware.vms.rebootVm", json!({"vmName": vm}))
        .await
        .unwrap();
    assert!(!reboot.is_error, "{}", reboot.text);
    let info = call(&client, "infra.vmware.vms.getVMInfo", json!({"vmName": vm}))
        .await
        .unwrap();
    assert_eq!(
        info.json["powerState"], "poweredOn",
        "a reboot leaves the VM on"
    );

    // Snapshots: create two nested, revert to the first, delete both.
    for (name, desc) in [("before-upgrade", "first"), ("after-upgrade", "second")] {
        let r = call(
            &client,
            "infra.vmware.vms.createSnapshot",
            json!({"vmName": vm, "snapshotName": name, "description": desc}),
        )
        .await
        .unwrap();
        assert!(!r.is_error, "{}", r.text);
    }
    let info = call(&client, "infra.vmware.vms.getVMInfo", json!({"vmName": vm}))
        .await
        .unwrap();
    let names = snapshots_of(&info.json);
    assert!(
        names.contains(&"before-upgrade".to_string())
            && names.contains(&"after-upgrade".to_string()),
        "{}",
        info.json
    );
    let revert = call(
        &client,
        "infra.vmware.vms.revertToSnapshot",
        json!({"vmName": vm, "snapshotName": "before-upgrade"}),
    )
    .await
    .unwrap();
    assert!(!revert.is_error, "{}", revert.text);
    let info = call(&client, "infra.vmware.vms.getVMInfo", json!({"vmName": vm}))
        .await
        .unwrap();
    assert_eq!(
        info.json["currentSnapshot"], "before-upgrade",
        "revert moves the current snapshot: {}",
        info.json
    );
    for name in ["after-upgrade", "before-upgrade"] {
        let d = call(
            &client,
            "infra.vmware.vms.deleteSnapshot",
            json!({"vmName": vm, "snapshotName": name}),
        )
        .await
        .unwrap();
        assert!(!d.is_error, "{}", d.text);
        let info = call(&client, "infra.vmware.vms.getVMInfo", json!({"vmName": vm}))
            .await
            .unwrap();
        assert!(
            !snapshots_of(&info.json).contains(&name.to_string()),
            "{name} deleted: {}",
            info.json
        );
    }
    let missing = call(
        &client,
        "infra.vmware.vms.deleteSnapshot",
        json!({"vmName": vm, "snapshotName": "no-such-snapshot"}),
    )
    .await
    .unwrap();
    assert!(
        missing.is_error && missing.error_kind() == "not_found",
        "{}",
        missing.text
    );

    // Clone into a folder; it appears there.
    let clone = call(
        &client,
        "infra.vmware.vms.cloneVm",
        json!({"sourceVmName": vm, "newVmName": "e2e-clone-01", "targetFolder": "dev"}),
    )
    .await
    .unwrap();
    assert!(!clone.is_error, "{}", clone.text);
    let dev = call(
        &client,
        "infra.vmware.vms.listVMs",
        json!({"folder": "dev"}),
    )
    .await
    .unwrap();
    assert!(
        vm_names(&dev.json).contains(&"e2e-clone-01".to_string()),
        "{}",
        dev.json
    );
    let twice = call(
        &client,
        "infra.vmware.vms.cloneVm",
        json!({"sourceVmName": vm, "newVmName": "e2e-clone-01", "targetFolder": "dev"}),
    )
    .await
    .unwrap();
    assert!(
        twice.is_error,
        "a second clone with the same name in the same folder fails"
    );

    // Maintenance mode toggles on a host of the DRS cluster `prod` (its VMs migrate).
    let prod = call(
        &client,
        "infra.vmware.hosts.listHosts",
        json!({"clusterName": "prod"}),
    )
    .await
    .unwrap();
    assert!(!prod.is_error, "{}", prod.text);
    assert!(
        prod.json["hosts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["cluster"] == "prod"),
        "{}",
        prod.json
    );
    assert!(prod.json["count"].as_u64().unwrap() < hosts.json["count"].as_u64().unwrap());
    let host = prod.json["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["inMaintenanceMode"] == false && h["vmCount"].as_u64().unwrap_or(0) > 0)
        .expect("a prod host with VMs")["name"]
        .as_str()
        .unwrap()
        .to_string();
    let enter = call(
        &client,
        "infra.vmware.hosts.enterMaintenanceMode",
        json!({"hostName": host}),
    )
    .await
    .unwrap();
    assert!(!enter.is_error, "{}", enter.text);
    let h = call(
        &client,
        "infra.vmware.hosts.getHostInfo",
        json!({"hostName": host}),
    )
    .await
    .unwrap();
    assert_eq!(h.json["inMaintenanceMode"], true, "{}", h.json);
    let exit = call(
        &client,
        "infra.vmware.hosts.exitMaintenanceMode",
        json!({"hostName": host}),
    )
    .await
    .unwrap();
    assert!(!exit.is_error, "{}", exit.text);
    let h = call(
        &client,
        "infra.vmware.hosts.getHostInfo",
        json!({"hostName": host}),
    )
    .await
    .unwrap();
    assert_eq!(h.json["inMaintenanceMode"], false);

    // A host of the non-DRS cluster `dev` with running VMs cannot enter, as in vCenter, and stays as it was.
    let dev_hosts = call(
        &client,
        "infra.vmware.hosts.listHosts",
        json!({"clusterName": "dev"}),
    )
    .await
    .unwrap();
    let busy = dev_hosts.json["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["vmCount"].as_u64().unwrap_or(0) > 0)
        .expect("a busy dev host")["name"]
        .as_str()
        .unwrap()
        .to_string();
    let refused = call(
        &client,
        "infra.vmware.hosts.enterMaintenanceMode",
        json!({"hostName": busy}),
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
        json!({"hostName": busy}),
    )
    .await
    .unwrap();
    assert_eq!(h.json["inMaintenanceMode"], false);

    // Metrics counted the calls.
    let metrics = call(&client, "infra.vmware.getMetrics", json!({}))
        .await
        .unwrap();
    assert!(!metrics.is_error, "{}", metrics.text);
    let counted: f64 = metrics.json["counters"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            c["name"] == "vmware_mcp_tool_calls_total"
                && c["labels"]["tool"] == "infra.vmware.vms.getVMInfo"
        })
        .map(|c| c["value"].as_f64().unwrap())
        .sum();
    assert!(counted >= 7.0, "getVMInfo calls counted: {}", metrics.json);
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
