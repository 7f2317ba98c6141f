//! Issue 8's safety fix: names match exactly. With two VMs `db1` and ` db1`
//! (and two hosts `esx1` and `esx1 `), every tool acts on exactly the one
//! named, and a near name (a trailing tab, another case) is not found, with
//! the close names offered as "did you mean" candidates carrying their ids
//! and paths.

use serde_json::{Value, json};
use vmware_mcp_e2e::{Server, ServerOptions, call, scratch_file};

const FIXTURE: &str = r#"{
  "datacenters": [{
    "name": "DC0",
    "datastores": [{ "name": "ds1" }],
    "clusters": [{
      "name": "C0", "drs": true,
      "hosts": [{ "name": "esx1" }, { "name": "esx1 " }, { "name": "esx2" }]
    }],
    "vmFolders": ["dev"],
    "vms": [
      { "name": "db1", "host": "esx2", "power": "poweredOn", "snapshots": [{ "name": "base", "current": true }] },
      { "name": " db1", "host": "esx2", "power": "poweredOn", "snapshots": [{ "name": "base", "current": true }] }
    ]
  }]
}"#;

type Client = rmcp::service::RunningService<rmcp::RoleClient, ()>;

async fn ok(client: &Client, tool: &str, args: Value) -> Value {
    let r = call(client, tool, args.clone()).await.unwrap();
    assert!(!r.is_error, "{tool} {args}: {}", r.text);
    r.json
}

async fn info(client: &Client, vm: &str) -> Value {
    ok(client, "infra.vmware.vms.getVMInfo", json!({"vmName": vm})).await
}

/// What the tools could change on a VM: power state and snapshot names.
async fn state(client: &Client, vm: &str) -> (Value, Value) {
    let i = info(client, vm).await;
    (i["powerState"].clone(), i["snapshots"].clone())
}

#[tokio::test(flavor = "multi_thread")]
async fn each_tool_acts_on_exactly_the_vm_or_host_named() {
    let fixture = scratch_file("exact-names", "inventory.json", FIXTURE);
    let policy = scratch_file("exact-names", "policy.toml", "default = \"allow\"\n");
    let server = Server::start(
        "exact-names",
        ServerOptions::default()
            .arg("--inventory")
            .arg(fixture)
            .env("APPROVAL_POLICY_PATH", policy),
    );
    let client = server.client().await;

    let plain = info(&client, "db1").await;
    let spaced = info(&client, " db1").await;
    assert_eq!(plain["name"], "db1");
    assert_eq!(spaced["name"], " db1");
    assert_ne!(plain["id"], spaced["id"], "two distinct VMs");
    let plain_id = plain["id"].as_str().unwrap().to_string();
    let spaced_id = spaced["id"].as_str().unwrap().to_string();

    for (named, id, other) in [("db1", &plain_id, " db1"), (" db1", &spaced_id, "db1")] {
        let untouched = state(&client, other).await;
        let steps = [
            ("infra.vmware.vms.powerOffVm", json!({"vmName": named})),
            ("infra.vmware.vms.powerOnVm", json!({"vmName": named})),
            ("infra.vmware.vms.rebootVm", json!({"vmName": named})),
            (
                "infra.vmware.vms.createSnapshot",
                json!({"vmName": named, "snapshotName": "exact"}),
            ),
            (
                "infra.vmware.vms.revertToSnapshot",
                json!({"vmName": named, "snapshotName": "base"}),
            ),
            (
                "infra.vmware.vms.deleteSnapshot",
                json!({"vmName": named, "snapshotName": "exact"}),
            ),
        ];
        for (tool, args) in steps {
            let result = ok(&client, tool, args.clone()).await;
            assert!(
                result.to_string().contains(&format!("\"{id}\"")),
                "{tool} on {named:?} must report {id}: {result}"
            );
            assert_eq!(
                state(&client, other).await,
                untouched,
                "{tool} on {named:?} left {other:?} alone"
            );
        }
        // Reverting to `base` (taken powered off) left it off: power it on,
        // then off, and the other VM keeps its state throughout.
        if info(&client, named).await["powerState"] == "poweredOff" {
            ok(
                &client,
                "infra.vmware.vms.powerOnVm",
                json!({"vmName": named}),
            )
            .await;
        }
        let untouched = state(&client, other).await;
        let powered_off = ok(
            &client,
            "infra.vmware.vms.powerOffVm",
            json!({"vmName": named}),
        )
        .await;
        assert!(powered_off.to_string().contains(id.as_str()));
        assert_eq!(info(&client, named).await["powerState"], "poweredOff");
        assert_eq!(
            state(&client, other).await,
            untouched,
            "{other:?} unchanged"
        );
        ok(
            &client,
            "infra.vmware.vms.powerOnVm",
            json!({"vmName": named}),
        )
        .await;
    }

    let clone = ok(
        &client,
        "infra.vmware.vms.cloneVm",
        json!({"sourceVmName": " db1", "newVmName": "copy", "targetFolder": "dev"}),
    )
    .await;
    assert_eq!(clone["source"]["id"], spaced_id.as_str(), "{clone}");

    // Hosts: `esx1 ` (trailing space) and `esx1` are two hosts.
    let host = ok(
        &client,
        "infra.vmware.hosts.enterMaintenanceMode",
        json!({"hostName": "esx1 "}),
    )
    .await;
    assert_eq!(host["host"], "esx1 ", "{host}");
    let hosts = ok(&client, "infra.vmware.hosts.listHosts", json!({})).await;
    let in_maintenance: Vec<&str> = hosts["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["inMaintenanceMode"] == true)
        .map(|h| h["name"].as_str().unwrap())
        .collect();
    assert_eq!(in_maintenance, ["esx1 "], "{hosts}");

    // Near names are not found; the close names are offered with ids and paths.
    for near in ["db1\t", "DB1", "db1\u{00A0}", "\u{0434}b1"] {
        let before = (state(&client, "db1").await, state(&client, " db1").await);
        let r = call(
            &client,
            "infra.vmware.vms.powerOffVm",
            json!({"vmName": near}),
        )
        .await
        .unwrap();
        assert!(r.is_error, "{near:?} must not resolve: {}", r.text);
        assert_eq!(r.error_kind(), "not_found", "{}", r.text);
        let message = r.error_message();
        assert!(message.contains("did you mean"), "{message}");
        assert!(
            message.contains(&format!("'db1' ({plain_id}, DC0/vm/db1)")),
            "{message}"
        );
        assert!(
            message.contains(&format!("' db1' ({spaced_id}, DC0/vm/ db1)")),
            "{message}"
        );
        assert_eq!(
            (state(&client, "db1").await, state(&client, " db1").await),
            before,
            "nothing changed for {near:?}"
        );
    }
    client.cancel().await.ok();
}
