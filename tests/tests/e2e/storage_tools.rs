//! Issue 18's storage group end to end: `listDatastores` and
//! `getDatastoreInfo` over MCP, on the built-in simulator (`--demo`) and on
//! vcsim, where every field of every row is compared with what pyVmomi
//! reads; paging reaches each datastore once; filters narrow as they say;
//! an unknown datastore is `not_found` naming the close ones; and at 2,000
//! VMs no result is over 100 KB.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};
use vmware_mcp_e2e::tool_calls::{Client, all_pages, ok};
use vmware_mcp_e2e::{Server, ServerOptions, Vcsim, call, workspace_root};

const LIST: &str = "infra.vmware.storage.listDatastores";
const INFO: &str = "infra.vmware.storage.getDatastoreInfo";
const BROWSE: &str = "infra.vmware.storage.browseDatastore";

/// Every row of every page of listDatastores with `args`, checking the paging fields.
async fn all_rows(client: &Client, args: Value) -> Vec<Value> {
    all_pages(client, LIST, "datastores", args).await
}

fn names(rows: &[Value]) -> BTreeSet<String> {
    rows.iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect()
}

fn gb(bytes: i64) -> f64 {
    (bytes as f64 / (1u64 << 30) as f64 * 100.0).round() / 100.0
}

#[tokio::test(flavor = "multi_thread")]
async fn lists_filters_pages_and_shows_datastores_on_the_demo() {
    let server = Server::start("storage-demo", ServerOptions::demo());
    let client = server.client().await;

    let all = ok(&client, LIST, json!({})).await;
    assert_eq!(all["total"], 4);
    let rows = all["datastores"].as_array().unwrap().clone();
    assert_eq!(
        names(&rows),
        ["ds-dev-01", "ds-local-esx05", "ds-prod-01", "ds-prod-02"]
            .map(String::from)
            .into()
    );
    let row = |name: &str| rows.iter().find(|r| r["name"] == name).unwrap().clone();
    let prod = row("ds-prod-01");
    assert_eq!(prod["type"], "VMFS");
    assert_eq!(prod["capacityGB"], 4096.0);
    assert_eq!(prod["hostCount"], 3);
    assert_eq!(prod["accessible"], true);
    assert_eq!(prod["maintenanceMode"], "normal");
    assert!(prod["vmCount"].as_u64().unwrap() > 0);
    let (capacity, free) = (
        prod["capacityGB"].as_f64().unwrap(),
        prod["freeGB"].as_f64().unwrap(),
    );
    assert!(free > 0.0 && free < capacity);
    assert!((prod["provisionedGB"].as_f64().unwrap() - (capacity - free)).abs() < 0.02);
    assert_eq!(row("ds-dev-01")["type"], "NFS");
    assert_eq!(row("ds-dev-01")["hostCount"], 2);
    assert_eq!(row("ds-local-esx05")["hostCount"], 1);

    // Filters.
    let by = |args: Value| {
        let client = &client;
        async move { names(&all_rows(client, args).await) }
    };
    assert_eq!(
        by(json!({"type": "NFS"})).await,
        ["ds-dev-01".to_string()].into()
    );
    assert_eq!(
        by(json!({"cluster": "prod"})).await,
        ["ds-prod-01", "ds-prod-02"].map(String::from).into()
    );
    assert_eq!(
        by(json!({"cluster": "dev", "type": "VMFS"})).await,
        BTreeSet::new()
    );
    assert_eq!(
        by(json!({"name": "DS-PROD-*"})).await,
        ["ds-prod-01", "ds-prod-02"].map(String::from).into()
    );
    assert_eq!(by(json!({"datacenter": "DC0"})).await.len(), 4);

    // Paging: one at a time reaches each datastore once.
    let paged = all_rows(&client, json!({"limit": 1})).await;
    assert_eq!(paged, rows, "pages of one are the rows of the full list");
    let bad = call(&client, LIST, json!({"limit": 0})).await.unwrap();
    assert!(
        bad.is_error && bad.error_kind() == "invalid_argument",
        "{}",
        bad.text
    );

    // Detail.
    let info = ok(&client, INFO, json!({"datastoreName": "ds-prod-01"})).await;
    for (key, value) in prod.as_object().unwrap() {
        assert_eq!(
            &info[key], value,
            "getDatastoreInfo's {key} is listDatastores'"
        );
    }
    assert_eq!(info["path"], "DC0/datastore/ds-prod-01");
    let hosts: BTreeSet<&str> = info["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        hosts,
        ["esx-01.lab.local", "esx-02.lab.local", "esx-03.lab.local"].into()
    );
    assert_eq!(
        info["vms"].as_array().unwrap().len() as u64,
        prod["vmCount"].as_u64().unwrap()
    );
    assert!(
        info["url"]
            .as_str()
            .unwrap()
            .starts_with("ds:///vmfs/volumes/")
    );

    // Exact names: a near name is not found, and the message names the real one.
    let unknown = call(&client, INFO, json!({"datastoreName": "ds-prod-1"}))
        .await
        .unwrap();
    assert!(
        unknown.is_error && unknown.error_kind() == "not_found",
        "{}",
        unknown.text
    );
    assert!(
        unknown.error_message().contains("ds-prod-01"),
        "{}",
        unknown.text
    );
    let no_cluster = call(&client, LIST, json!({"cluster": "prd"}))
        .await
        .unwrap();
    assert!(
        no_cluster.is_error && no_cluster.error_kind() == "not_found",
        "{}",
        no_cluster.text
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn browses_a_datastore_without_approval_on_the_demo() {
    // The demo's default policy asks for every change: a browse that needed
    // approval would not answer at once.
    let server = Server::start("storage-browse-demo", ServerOptions::demo());
    let client = server.client().await;
    // A tool that invokes only reads is no request: its result is never "still pending".
    let tools = client.list_all_tools().await.expect("tools/list");
    let browse = tools
        .iter()
        .find(|t| t.name == BROWSE)
        .expect("browseDatastore listed");
    let output = serde_json::to_value(&browse.output_schema).unwrap();
    assert!(output.get("anyOf").is_none(), "{output}");
    assert_eq!(
        browse.annotations.as_ref().and_then(|a| a.read_only_hint),
        Some(true)
    );
    let info = ok(&client, INFO, json!({"datastoreName": "ds-prod-01"})).await;
    let vms: BTreeSet<String> = info["vms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap().to_string())
        .collect();
    let top = ok(&client, BROWSE, json!({"datastoreName": "ds-prod-01"})).await;
    assert_eq!(top["folder"], "[ds-prod-01]");
    let folders = top["files"].as_array().unwrap();
    assert!(folders.iter().all(|f| f["type"] == "folder"), "{top}");
    assert_eq!(names(folders), vms, "a folder per VM");
    let paged = all_pages(
        &client,
        BROWSE,
        "files",
        json!({"datastoreName": "ds-prod-01", "limit": 1}),
    )
    .await;
    assert_eq!(&paged, folders, "pages of one are the whole listing");

    let vm = vms.iter().next().unwrap().clone();
    let folder = ok(
        &client,
        BROWSE,
        json!({"datastoreName": "ds-prod-01", "path": vm}),
    )
    .await;
    assert_eq!(folder["folder"], format!("[ds-prod-01] {vm}"));
    let types: BTreeMap<String, String> = folder["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap().to_string(),
                f["type"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(types[&format!("{vm}.vmx")], "vmConfig", "{folder}");
    assert_eq!(types[&format!("{vm}.vmdk")], "vmDisk", "{folder}");
    assert_eq!(types["vmware.log"], "vmLog", "{folder}");
    assert!(
        folder["files"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["size"].as_i64().unwrap() > 0 && f["modified"].is_string())
    );
    let disks = ok(
        &client,
        BROWSE,
        json!({"datastoreName": "ds-prod-01", "path": vm, "pattern": "*.vmdk"}),
    )
    .await;
    assert!(!disks["files"].as_array().unwrap().is_empty());
    assert!(
        disks["files"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["type"] == "vmDisk"),
        "{disks}"
    );

    let missing = call(
        &client,
        BROWSE,
        json!({"datastoreName": "ds-prod-01", "path": "no-such-vm"}),
    )
    .await
    .unwrap();
    assert!(
        missing.is_error && missing.error_kind() == "not_found",
        "{}",
        missing.text
    );
    assert!(
        missing.error_message().contains("[ds-prod-01] no-such-vm"),
        "{}",
        missing.text
    );
    let unknown = call(&client, BROWSE, json!({"datastoreName": "ds-prod-1"}))
        .await
        .unwrap();
    assert!(
        unknown.is_error && unknown.error_kind() == "not_found",
        "{}",
        unknown.text
    );
    assert!(
        unknown.error_message().contains("ds-prod-01"),
        "{}",
        unknown.text
    );
    let first = ok(
        &client,
        BROWSE,
        json!({"datastoreName": "ds-prod-01", "limit": 1}),
    )
    .await;
    let cursor = first["nextCursor"].as_str().unwrap();
    let foreign = call(
        &client,
        BROWSE,
        json!({"datastoreName": "ds-prod-02", "cursor": cursor}),
    )
    .await
    .unwrap();
    assert!(
        foreign.is_error && foreign.error_kind() == "invalid_argument",
        "{}",
        foreign.text
    );
}

/// What pyVmomi reads of every datastore and cluster.
fn pyvmomi(sim: &Vcsim) -> Value {
    pyvmomi_with(sim, &[])
}

/// What pyVmomi's SearchDatastore_Task finds in `folder` of datastore `id`.
fn pyvmomi_browse(sim: &Vcsim, id: &str, folder: &str) -> Value {
    pyvmomi_with(sim, &["browse", id, folder])
}

fn pyvmomi_with(sim: &Vcsim, extra: &[&str]) -> Value {
    let out = std::process::Command::new("python3")
        .arg(workspace_root().join("tests/python/datastores.py"))
        .args([
            sim.endpoint.url.as_str(),
            sim.endpoint.username.as_str(),
            sim.endpoint.password.as_str(),
        ])
        .args(extra)
        .output()
        .expect("python3 runs (pip install pyvmomi)");
    assert!(
        out.status.success(),
        "datastores.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("datastores.py prints JSON")
}

/// The row listDatastores should show for what pyVmomi read.
fn expected_row(ds: &Value) -> Value {
    let capacity = ds["capacity"].as_i64().unwrap();
    let free = ds["freeSpace"].as_i64().unwrap();
    let uncommitted = ds["uncommitted"].as_i64().unwrap();
    json!({
        "name": ds["name"],
        "id": ds["id"],
        "type": ds["type"],
        "capacityGB": gb(capacity),
        "freeGB": gb(free),
        "freePercent": (free as f64 / capacity as f64 * 1000.0).round() / 10.0,
        "provisionedGB": gb(capacity - free + uncommitted),
        "accessible": ds["accessible"],
        "maintenanceMode": ds["maintenanceMode"],
        "hostCount": ds["hosts"].as_array().unwrap().len(),
        "vmCount": ds["vms"].as_array().unwrap().len(),
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn every_field_matches_pyvmomi_on_vcsim() {
    let sim = Vcsim::start("storage-vcsim", &["-model", "vpx", "-datacenters", "2"]);
    let truth = pyvmomi(&sim);
    let server = Server::start("storage-vcsim", sim.server_options());
    let client = server.client().await;

    let stores = truth["datastores"].as_array().unwrap();
    assert!(stores.len() >= 2, "vcsim has datastores: {truth}");
    let rows = all_rows(&client, json!({"limit": 1})).await;
    let by_id: BTreeMap<String, Value> = rows
        .iter()
        .map(|r| (r["id"].as_str().unwrap().to_string(), r.clone()))
        .collect();
    assert_eq!(by_id.len(), stores.len(), "each datastore once: {rows:?}");
    for ds in stores {
        let id = ds["id"].as_str().unwrap();
        assert_eq!(by_id[id], expected_row(ds), "row of {id}");

        let path = format!(
            "{}/datastore/{}",
            ds["datacenter"].as_str().unwrap(),
            ds["name"].as_str().unwrap()
        );
        let info = ok(&client, INFO, json!({"datastoreName": id})).await;
        for (key, value) in expected_row(ds).as_object().unwrap() {
            assert_eq!(&info[key], value, "getDatastoreInfo {id}: {key}");
        }
        assert_eq!(info["path"], path.as_str());
        assert_eq!(info["url"], ds["url"]);
        let ids = |key: &str| -> Vec<String> {
            let mut ids: Vec<String> = info[key]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| h["id"].as_str().unwrap().to_string())
                .collect();
            ids.sort();
            ids
        };
        assert_eq!(json!(ids("hosts")), ds["hosts"], "hosts of {id}");
        assert_eq!(json!(ids("vms")), ds["vms"], "vms of {id}");
        assert!(
            info["hosts"]
                .as_array()
                .unwrap()
                .iter()
                .all(|h| h["name"].is_string()),
            "{info}"
        );
        // By inventory path too.
        let by_path = ok(&client, INFO, json!({"datastoreName": path})).await;
        assert_eq!(by_path["id"], id);
    }

    // Datacenter and cluster filters against pyVmomi's answer.
    for dc in ["DC0", "DC1"] {
        let want: BTreeSet<&str> = stores
            .iter()
            .filter(|d| d["datacenter"] == dc)
            .map(|d| d["id"].as_str().unwrap())
            .collect();
        let got = all_rows(&client, json!({"datacenter": dc})).await;
        let got: BTreeSet<&str> = got.iter().map(|r| r["id"].as_str().unwrap()).collect();
        assert_eq!(got, want, "datacenter {dc}");
    }
    for cluster in truth["clusters"].as_array().unwrap() {
        let name = cluster["name"].as_str().unwrap();
        let got: BTreeSet<String> = all_rows(&client, json!({"cluster": name}))
            .await
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect();
        let want: BTreeSet<String> = cluster["datastores"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_str().unwrap().to_string())
            .collect();
        assert!(!want.is_empty(), "cluster {name} mounts datastores");
        assert_eq!(got, want, "cluster {name}");
    }
    let unknown = call(&client, INFO, json!({"datastoreName": "LocalDS_9"}))
        .await
        .unwrap();
    assert!(
        unknown.is_error && unknown.error_kind() == "not_found",
        "{}",
        unknown.text
    );
    assert!(
        unknown.error_message().contains("LocalDS_0"),
        "{}",
        unknown.text
    );

    // Browsing: the top of each datastore and its first folder, as pyVmomi's search finds them.
    let mut files_in_folders = 0;
    let mut tops = Vec::new();
    for ds in stores {
        let id = ds["id"].as_str().unwrap();
        let top = browse_matches(&sim, &client, id, "").await;
        tops.push(top.clone());
        if let Some(folder) = top.iter().find(|f| f["type"] == "folder") {
            let name = folder["name"].as_str().unwrap();
            files_in_folders += browse_matches(&sim, &client, id, name).await.len();
        }
    }
    assert!(files_in_folders > 0, "some VM folder was browsed: {tops:?}");
}

/// Browse `folder` of datastore `id` through the tool, page by page, and
/// compare each file with pyVmomi's; returns the rows.
async fn browse_matches(sim: &Vcsim, client: &Client, id: &str, folder: &str) -> Vec<Value> {
    let rows = all_pages(
        client,
        BROWSE,
        "files",
        json!({"datastoreName": id, "path": folder, "limit": 2}),
    )
    .await;
    let mut want: Vec<Value> = pyvmomi_browse(sim, id, folder).as_array().unwrap().clone();
    want.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    assert_eq!(
        rows.len(),
        want.len(),
        "{id} {folder:?}: {rows:?} vs {want:?}"
    );
    for (row, file) in rows.iter().zip(&want) {
        let type_name = file["type"].as_str().unwrap();
        let stem = type_name.strip_suffix("FileInfo").unwrap_or(type_name);
        let expected_type = match stem {
            "" => "file".to_string(),
            s => s[..1].to_ascii_lowercase() + &s[1..],
        };
        assert_eq!(row["name"], file["name"], "{id} {folder:?}");
        assert_eq!(
            row["type"],
            expected_type.as_str(),
            "{id} {folder:?}: {row}"
        );
        assert_eq!(row["size"], file["size"], "{id} {folder:?}: {row}");
        assert_eq!(
            row["modified"].is_string(),
            file["modified"] == true,
            "{id} {folder:?}: {row}"
        );
    }
    rows
}

#[tokio::test(flavor = "multi_thread")]
async fn no_result_over_100_kb_at_2000_vms() {
    let sim = Vcsim::with_2000_vms("storage-2000", &["-standalone", "1"]);
    let server = Server::start("storage-2000", sim.server_options());
    let client = server.client().await;
    let rows = all_rows(&client, json!({})).await;
    let vms: u64 = rows.iter().map(|r| r["vmCount"].as_u64().unwrap()).sum();
    assert!(vms >= 2000, "2,000 VMs on the datastores: {rows:?}");
    for row in &rows {
        let info = ok(&client, INFO, json!({"datastoreName": row["id"]})).await;
        assert!(info["vms"].as_array().unwrap().len() <= 200);
        assert_eq!(info["vmCount"], row["vmCount"]);
        let top = ok(&client, BROWSE, json!({"datastoreName": row["id"]})).await;
        assert!(top["returned"].as_u64().unwrap() <= 100, "one default page");
        assert!(top["total"].as_u64().unwrap() >= row["vmCount"].as_u64().unwrap().min(1000));
    }
}
