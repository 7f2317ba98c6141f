//! Snapshots by name are unambiguous (issue 15, point 2), against vcsim
//! (with pyVmomi making same-named snapshots behind the server's back) and
//! the demo simulator:
//! - revert and delete with a name two snapshots share are `ambiguous`,
//!   listing each with its path, id and creation time, and change nothing;
//! - both take a tree path or an id instead;
//! - create refuses a name the VM already has;
//! - 20 concurrent creates of one name make 1 snapshot and 19 clear errors.

use std::sync::Arc;

use serde_json::{Value, json};
use vmware_mcp_e2e::vsphere_driver::Driver;
use vmware_mcp_e2e::{CallOutcome, Server, ServerOptions, Vcsim, call, scratch_file};

type Client = rmcp::service::RunningService<rmcp::RoleClient, ()>;

const ALLOW: &str = "default = \"allow\"\n";

async fn tool(client: &Client, name: &str, args: Value) -> CallOutcome {
    call(client, &format!("infra.vmware.vms.{name}"), args)
        .await
        .expect("the call reaches the server")
}

/// The candidates of an `ambiguous` error as (id, label) pairs.
fn candidates(outcome: &CallOutcome) -> Vec<(String, String)> {
    assert!(
        outcome.is_error && outcome.error_kind() == "ambiguous",
        "expected ambiguous: {}",
        outcome.text
    );
    outcome.json["error"]["candidates"]
        .as_array()
        .expect("ambiguous lists candidates")
        .iter()
        .map(|c| {
            assert_eq!(c["type"], "VirtualMachineSnapshot", "{c}");
            (
                c["id"].as_str().unwrap().to_string(),
                c["path"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Revert and delete by a shared name are refused, each candidate shown
/// with its path, id and creation time. `shared` maps id → path.
async fn shared_name_is_ambiguous(
    client: &Client,
    vm: &str,
    name: &str,
    shared: &[(String, String)],
) {
    for verb in ["revertToSnapshot", "deleteSnapshot"] {
        let outcome = tool(client, verb, json!({"vmName": vm, "snapshotName": name})).await;
        let listed = candidates(&outcome);
        assert_eq!(listed.len(), shared.len(), "{verb}: {}", outcome.text);
        for (id, path) in shared {
            let (_, label) = listed
                .iter()
                .find(|(listed_id, _)| listed_id == id)
                .unwrap_or_else(|| panic!("{verb}: {id} is not listed: {}", outcome.text));
            assert!(
                label.starts_with(&format!("{path} ({id}, taken 20")),
                "{verb}: {id} is listed with its path, id and creation time: {label}"
            );
        }
        assert!(
            outcome.error_message().contains(&shared[0].1),
            "the message names the paths: {}",
            outcome.text
        );
    }
}

/// Fire 20 creates of `name` at once; return (successes, errors).
async fn twenty_concurrent_creates(
    client: Arc<Client>,
    vm: &str,
    name: &str,
) -> (usize, Vec<CallOutcome>) {
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let (client, vm, name) = (client.clone(), vm.to_string(), name.to_string());
        calls.spawn(async move {
            tool(
                &client,
                "createSnapshot",
                json!({"vmName": vm, "snapshotName": name}),
            )
            .await
        });
    }
    let (mut made, mut refused) = (0, Vec::new());
    while let Some(outcome) = calls.join_next().await {
        let outcome = outcome.expect("the call task ran");
        if outcome.is_error {
            refused.push(outcome);
        } else {
            made += 1;
        }
    }
    (made, refused)
}

/// Every refusal is `invalid_argument` naming the VM (as called: name or id) and the name.
fn assert_refused_as_duplicates(refused: &[CallOutcome], vm: &str, name: &str) {
    for outcome in refused {
        assert_eq!(outcome.error_kind(), "invalid_argument", "{}", outcome.text);
        assert!(
            outcome.error_message().contains(vm)
                && outcome
                    .error_message()
                    .contains(&format!("already has a snapshot named '{name}'")),
            "a clear reason: {}",
            outcome.text
        );
    }
}

/// The driver's view of a VM's snapshots: (current id, [(path, id)]).
fn snapshots(driver: &mut Driver, vm: &str) -> (Option<String>, Vec<(String, String)>) {
    let answer: Value = serde_json::from_str(&driver.run(&format!("snapshots {vm}"))).unwrap();
    let tree = answer["tree"]
        .as_array()
        .unwrap()
        .iter()
        .map(|pair| {
            (
                pair[0].as_str().unwrap().to_string(),
                pair[1].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (answer["current"].as_str().map(str::to_string), tree)
}

#[tokio::test(flavor = "multi_thread")]
async fn same_named_snapshots_made_behind_the_servers_back_are_never_guessed_at_on_vcsim() {
    let sim = Vcsim::start("snapshot-names", &["-model", "vpx", "-vms", "1"]);
    let policy = scratch_file("snapshot-names", "policy.toml", ALLOW);
    let server = Server::start(
        "snapshot-names",
        sim.server_options().env("APPROVAL_POLICY_PATH", policy),
    );
    let client = server.client().await;
    let vm = vmware_mcp_e2e::first_vm(&client, json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut driver = Driver::start(&sim);
    let older = driver.run(&format!("snapshot {vm} s1"));
    let newer = driver.run(&format!("snapshot {vm} s1"));
    let (current, tree) = snapshots(&mut driver, &vm);
    let shared: Vec<(String, String)> = tree
        .iter()
        .filter(|(path, _)| path.rsplit('/').next() == Some("s1"))
        .map(|(path, id)| (id.clone(), path.clone()))
        .collect();
    assert_eq!(
        shared.len(),
        2,
        "pyVmomi made two snapshots named s1: {tree:?}"
    );
    let newer_path = shared
        .iter()
        .find(|(id, _)| id == &newer)
        .unwrap()
        .1
        .clone();

    shared_name_is_ambiguous(&client, &vm, "s1", &shared).await;
    assert_eq!(
        snapshots(&mut driver, &vm),
        (current.clone(), tree.clone()),
        "an ambiguous revert or delete changes nothing"
    );

    // The older one by its id, the newer one by its path.
    let reverted = tool(
        &client,
        "revertToSnapshot",
        json!({"vmName": vm, "snapshotName": older}),
    )
    .await;
    assert!(!reverted.is_error, "{}", reverted.text);
    assert_eq!(reverted.json["snapshot"]["id"], older.as_str());
    assert_eq!(
        snapshots(&mut driver, &vm).0.as_deref(),
        Some(older.as_str())
    );
    let reverted = tool(
        &client,
        "revertToSnapshot",
        json!({"vmName": vm, "snapshotName": newer_path}),
    )
    .await;
    assert!(!reverted.is_error, "{}", reverted.text);
    assert_eq!(reverted.json["snapshot"]["id"], newer.as_str());

    // A create of a name the VM has is refused, and nothing is made.
    let again = tool(
        &client,
        "createSnapshot",
        json!({"vmName": vm, "snapshotName": "s1"}),
    )
    .await;
    assert_refused_as_duplicates(std::slice::from_ref(&again), &vm, "s1");
    assert_eq!(snapshots(&mut driver, &vm).1.len(), tree.len());

    // Delete one by id; the other is then plain `s1` again.
    let deleted = tool(
        &client,
        "deleteSnapshot",
        json!({"vmName": vm, "snapshotName": older}),
    )
    .await;
    assert!(!deleted.is_error, "{}", deleted.text);
    let left = tool(
        &client,
        "revertToSnapshot",
        json!({"vmName": vm, "snapshotName": "s1"}),
    )
    .await;
    assert!(!left.is_error, "{}", left.text);
    assert_eq!(left.json["snapshot"]["id"], newer.as_str());

    let client = Arc::new(client);
    let (made, refused) = twenty_concurrent_creates(client.clone(), &vm, "c1").await;
    let named_c1 = snapshots(&mut driver, &vm)
        .1
        .iter()
        .filter(|(path, _)| path.rsplit('/').next() == Some("c1"))
        .count();
    println!(
        "20 concurrent creates on vcsim: {made} made, {} refused, {named_c1} snapshot(s) named c1",
        refused.len()
    );
    assert_eq!((made, refused.len(), named_c1), (1, 19, 1));
    assert_refused_as_duplicates(&refused, &vm, "c1");
}

const FIXTURE: &str = r#"{
  "datacenters": [{
    "name": "DC0",
    "datastores": [{ "name": "ds1" }],
    "clusters": [{ "name": "C0", "hosts": [{ "name": "esx1" }] }],
    "vms": [
      { "name": "db1", "host": "esx1", "power": "poweredOff", "snapshots": [
        { "name": "s1", "children": [{ "name": "s1", "current": true }] },
        { "name": "other" }
      ] }
    ]
  }]
}"#;

/// The snapshots getVMInfo shows, flattened to (path, id, current).
fn demo_tree(info: &Value) -> Vec<(String, String, bool)> {
    fn walk(nodes: &Value, prefix: &str, out: &mut Vec<(String, String, bool)>) {
        for node in nodes.as_array().into_iter().flatten() {
            let name = node["name"].as_str().unwrap();
            let path = if prefix.is_empty() {
                name.to_string()
            } else {
                format!("{prefix}/{name}")
            };
            out.push((
                path.clone(),
                node["id"].as_str().unwrap().to_string(),
                node["current"] == true,
            ));
            walk(&node["children"], &path, out);
        }
    }
    let mut out = Vec::new();
    walk(&info["snapshots"], "", &mut out);
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn same_named_snapshots_are_ambiguous_and_creates_are_serialized_in_the_demo() {
    let fixture = scratch_file("snapshot-names-demo", "inventory.json", FIXTURE);
    let policy = scratch_file("snapshot-names-demo", "policy.toml", ALLOW);
    let server = Server::start(
        "snapshot-names-demo",
        ServerOptions::demo()
            .arg("--inventory")
            .arg(fixture)
            .env("APPROVAL_POLICY_PATH", policy),
    );
    let client = server.client().await;
    let info = || async {
        tool(&client, "getVMInfo", json!({"vmName": "db1"}))
            .await
            .json
    };
    let before = demo_tree(&info().await);
    let shared: Vec<(String, String)> = before
        .iter()
        .filter(|(path, _, _)| path == "s1" || path == "s1/s1")
        .map(|(path, id, _)| (id.clone(), path.clone()))
        .collect();
    assert_eq!(shared.len(), 2, "{before:?}");

    shared_name_is_ambiguous(&client, "db1", "s1", &shared).await;
    assert_eq!(demo_tree(&info().await), before, "nothing changed");

    let root = &shared.iter().find(|(_, path)| path == "s1").unwrap().0;
    let reverted = tool(
        &client,
        "revertToSnapshot",
        json!({"vmName": "db1", "snapshotName": root}),
    )
    .await;
    assert!(!reverted.is_error, "{}", reverted.text);
    assert_eq!(&reverted.json["snapshot"]["id"], root.as_str());
    let child = tool(
        &client,
        "deleteSnapshot",
        json!({"vmName": "db1", "snapshotName": "s1/s1"}),
    )
    .await;
    assert!(!child.is_error, "{}", child.text);
    assert_eq!(child.json["deleted"]["path"], "s1/s1");

    let again = tool(
        &client,
        "createSnapshot",
        json!({"vmName": "db1", "snapshotName": "other"}),
    )
    .await;
    assert_refused_as_duplicates(std::slice::from_ref(&again), "db1", "other");

    let client = Arc::new(client);
    let (made, refused) = twenty_concurrent_creates(client.clone(), "db1", "c1").await;
    let after = demo_tree(
        &tool(&client, "getVMInfo", json!({"vmName": "db1"}))
            .await
            .json,
    );
    let named_c1 = after
        .iter()
        .filter(|(path, _, _)| path.rsplit('/').next() == Some("c1"))
        .count();
    assert_eq!((made, refused.len(), named_c1), (1, 19, 1), "{after:?}");
    assert_refused_as_duplicates(&refused, "db1", "c1");
}
