//! One conformance suite for every backend: the built-in simulated inventory
//! and govmomi's vcsim (vCenter and ESXi models). It discovers the inventory
//! through the tools themselves and calls every tool, checking each effect
//! with a second read, so the stub host plugin authors test against is shown
//! to behave like the real thing.

use rmcp::RoleClient;
use rmcp::service::RunningService;
use serde_json::{Value, json};

use crate::server::{CallOutcome, call};

/// The MCP client type the suite drives.
pub type Client = RunningService<RoleClient, ()>;

/// What differs between backends, stated rather than hidden.
#[derive(Debug, Clone, Copy)]
pub struct Flavor {
    /// For messages.
    pub name: &'static str,
    /// vSphere can clone here (vCenter yes; a standalone ESXi no).
    pub clone_supported: bool,
    /// The guest has VMware Tools running, so a reboot is a guest reboot
    /// rather than a reset. vcsim 0.24 reports tools not running and does not
    /// implement RebootGuest at all (a simulator limitation), so there the tool
    /// falls back to ResetVM_Task.
    pub guest_reboot: bool,
}

async fn ok(client: &Client, tool: &str, args: Value) -> CallOutcome {
    let r = call(client, tool, args.clone())
        .await
        .unwrap_or_else(|e| panic!("{tool} {args}: protocol error {e}"));
    assert!(!r.is_error, "{tool} {args} failed: {}", r.text);
    r
}

async fn vm_info(client: &Client, vm: &str) -> Value {
    ok(client, "infra.vmware.vms.getVMInfo", json!({"vmName": vm}))
        .await
        .json
}

fn snapshot_tree_names(tree: &Value) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    fn walk(nodes: &Value, out: &mut Vec<(String, Vec<String>)>) {
        for n in nodes.as_array().into_iter().flatten() {
            let children = n["children"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| c["name"].as_str().unwrap_or_default().to_string())
                .collect();
            out.push((n["name"].as_str().unwrap_or_default().to_string(), children));
            walk(&n["children"], out);
        }
    }
    walk(tree, &mut out);
    out
}

/// The names in a VM's snapshot tree, read through getVMInfo.
async fn snapshot_names_of(client: &Client, vm: &str) -> Vec<String> {
    snapshot_tree_names(&vm_info(client, vm).await["snapshots"])
        .into_iter()
        .map(|(n, _)| n)
        .collect()
}

/// Every tool the server lists: the suite calls each of them below, except
/// the requests tools (served by the host; `durable_requests` covers them).
/// A new tool must be added here, and so to the suite.
pub const TOOLS: [&str; 34] = [
    "infra.vmware.vms.listVMs",
    "infra.vmware.vms.getVMInfo",
    "infra.vmware.vms.powerOnVm",
    "infra.vmware.vms.powerOffVm",
    "infra.vmware.vms.rebootVm",
    "infra.vmware.vms.createSnapshot",
    "infra.vmware.vms.revertToSnapshot",
    "infra.vmware.vms.deleteSnapshot",
    "infra.vmware.vms.cloneVm",
    "infra.vmware.vms.renameVm",
    "infra.vmware.vms.deleteVm",
    "infra.vmware.vms.reconfigureVm",
    "infra.vmware.vms.migrateVm",
    "infra.vmware.hosts.listHosts",
    "infra.vmware.hosts.getHostInfo",
    "infra.vmware.hosts.enterMaintenanceMode",
    "infra.vmware.hosts.exitMaintenanceMode",
    "infra.vmware.storage.listDatastores",
    "infra.vmware.storage.getDatastoreInfo",
    "infra.vmware.storage.browseDatastore",
    "infra.vmware.events.listEvents",
    "infra.vmware.events.listTasks",
    "infra.vmware.events.listAlarms",
    "infra.vmware.perf.getVMStats",
    "infra.vmware.perf.getHostStats",
    "infra.vmware.networks.listNetworks",
    "infra.vmware.networks.getNetworkInfo",
    "infra.vmware.clusters.listClusters",
    "infra.vmware.clusters.getClusterInfo",
    "infra.vmware.clusters.listResourcePools",
    "infra.vmware.getMetrics",
    "infra.vmware.requests.get",
    "infra.vmware.requests.list",
    "infra.vmware.requests.cancel",
];

/// Run every tool against whatever inventory the server has.
pub async fn run_all(client: &Client, flavor: Flavor) {
    let f = flavor.name;
    // Tools: exactly the ones this suite knows.
    let tools = client.list_all_tools().await.expect("tools/list");
    let mut listed: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    listed.sort();
    let mut known = TOOLS.to_vec();
    known.sort();
    assert_eq!(listed, known, "{f}: the suite covers every listed tool");

    // listVMs and the row shape.
    let all = ok(client, "infra.vmware.vms.listVMs", json!({})).await.json;
    let vms = all["vms"].as_array().expect("vms").clone();
    assert_eq!(all["total"].as_u64(), Some(vms.len() as u64));
    assert_eq!(all["returned"].as_u64(), Some(vms.len() as u64));
    assert!(
        all.get("nextCursor").is_none(),
        "{f}: one page holds the whole test inventory"
    );
    assert!(!vms.is_empty(), "{f}: the inventory has VMs");
    for row in &vms {
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
            assert!(
                row.get(field).is_some(),
                "{f}: listVMs row has {field}: {row}"
            );
        }
    }
    let unique = |state: &str| {
        vms.iter()
            .find(|v| {
                v["powerState"] == state
                    && v["template"] != true
                    && vms.iter().filter(|w| w["name"] == v["name"]).count() == 1
            })
            .cloned()
    };
    let vm_row =
        unique("poweredOn").unwrap_or_else(|| panic!("{f}: a uniquely named powered-on VM"));
    let vm = vm_row["name"].as_str().unwrap().to_string();
    let vm_id = vm_row["id"].as_str().unwrap().to_string();
    let folder = vm_row["folder"].as_str().unwrap().to_string();

    // Scoping by folder, and the three ways to name a VM.
    let scoped = ok(
        client,
        "infra.vmware.vms.listVMs",
        json!({"folder": folder}),
    )
    .await
    .json;
    assert!(
        scoped["vms"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["id"] == vm_id.as_str()),
        "{f}: {vm} listed in its folder {folder}"
    );
    let by_name = vm_info(client, &vm).await;
    let by_id = vm_info(client, &vm_id).await;
    let path = by_name["path"]
        .as_str()
        .expect("getVMInfo gives the inventory path")
        .to_string();
    let by_path = vm_info(client, &path).await;
    assert_eq!(by_name["id"], by_id["id"]);
    assert_eq!(by_name["id"], by_path["id"]);
    assert!(
        by_name["hardware"]["numCPU"].as_u64().unwrap_or(0) >= 1,
        "{f}: {by_name}"
    );
    let missing = call(
        client,
        "infra.vmware.vms.getVMInfo",
        json!({"vmName": "no-such-vm-anywhere"}),
    )
    .await
    .unwrap();
    assert!(
        missing.is_error && missing.error_kind() == "not_found",
        "{f}: {}",
        missing.text
    );

    // Power: off, off again (refused), on, reboot.
    let off = ok(client, "infra.vmware.vms.powerOffVm", json!({"vmName": vm})).await;
    assert_eq!(off.json["powerState"], "poweredOff");
    assert_eq!(
        vm_info(client, &vm).await["powerState"],
        "poweredOff",
        "{f}: a second read sees poweredOff"
    );
    let twice = call(client, "infra.vmware.vms.powerOffVm", json!({"vmName": vm}))
        .await
        .unwrap();
    assert!(
        twice.is_error && twice.error_kind() == "invalid_state",
        "{f}: {}",
        twice.text
    );
    ok(client, "infra.vmware.vms.powerOnVm", json!({"vmName": vm})).await;
    assert_eq!(vm_info(client, &vm).await["powerState"], "poweredOn");
    history(client, f, &vm_id).await;
    let reboot = ok(client, "infra.vmware.vms.rebootVm", json!({"vmName": vm})).await;
    let expected_method = if flavor.guest_reboot {
        "RebootGuest"
    } else {
        "ResetVM_Task"
    };
    assert_eq!(
        reboot.json["method"], expected_method,
        "{f}: {}",
        reboot.json
    );
    assert_eq!(
        vm_info(client, &vm).await["powerState"],
        "poweredOn",
        "{f}: a reboot leaves the VM on"
    );

    // Snapshots: nested create, revert, delete.
    ok(
        client,
        "infra.vmware.vms.createSnapshot",
        json!({"vmName": vm, "snapshotName": "conf-base", "description": "before"}),
    )
    .await;
    ok(
        client,
        "infra.vmware.vms.createSnapshot",
        json!({"vmName": vm, "snapshotName": "conf-next"}),
    )
    .await;
    let info = vm_info(client, &vm).await;
    let tree = snapshot_tree_names(&info["snapshots"]);
    let base = tree
        .iter()
        .find(|(n, _)| n == "conf-base")
        .unwrap_or_else(|| panic!("{f}: conf-base in {info}"));
    assert!(
        base.1.contains(&"conf-next".to_string()),
        "{f}: conf-next nests under conf-base: {}",
        info["snapshots"]
    );
    assert_eq!(info["currentSnapshot"], "conf-next");
    ok(
        client,
        "infra.vmware.vms.revertToSnapshot",
        json!({"vmName": vm, "snapshotName": "conf-base"}),
    )
    .await;
    assert_eq!(
        vm_info(client, &vm).await["currentSnapshot"],
        "conf-base",
        "{f}: revert moves the current snapshot"
    );
    ok(
        client,
        "infra.vmware.vms.deleteSnapshot",
        json!({"vmName": vm, "snapshotName": "conf-next"}),
    )
    .await;
    let names = snapshot_names_of(client, &vm).await;
    assert!(
        names.contains(&"conf-base".to_string()) && !names.contains(&"conf-next".to_string()),
        "{f}: {names:?}"
    );
    ok(
        client,
        "infra.vmware.vms.deleteSnapshot",
        json!({"vmName": vm, "snapshotName": "conf-base"}),
    )
    .await;
    let names = snapshot_names_of(client, &vm).await;
    assert!(!names.contains(&"conf-base".to_string()), "{f}: {names:?}");

    // Clone into the VM's folder.
    let clone = call(
        client,
        "infra.vmware.vms.cloneVm",
        json!({"sourceVmName": vm, "newVmName": "conf-clone", "targetFolder": folder}),
    )
    .await
    .unwrap();
    if flavor.clone_supported {
        assert!(!clone.is_error, "{f}: {}", clone.text);
        let listed = ok(
            client,
            "infra.vmware.vms.listVMs",
            json!({"folder": folder}),
        )
        .await
        .json;
        assert!(
            listed["vms"]
                .as_array()
                .unwrap()
                .iter()
                .any(|v| v["name"] == "conf-clone"),
            "{f}: the clone appears in {folder}"
        );
        let again = call(
            client,
            "infra.vmware.vms.cloneVm",
            json!({"sourceVmName": vm, "newVmName": "conf-clone", "targetFolder": folder}),
        )
        .await
        .unwrap();
        assert!(
            again.is_error,
            "{f}: a duplicate name in the folder is refused"
        );
    } else {
        assert!(
            clone.is_error,
            "{f}: cloning is not supported on a standalone host: {}",
            clone.text
        );
        assert!(
            clone.text.to_lowercase().contains("not supported")
                || clone.json["error"]["faultType"] == "NotSupported",
            "{f}: the error says so: {}",
            clone.text
        );
        let listed = ok(client, "infra.vmware.vms.listVMs", json!({})).await.json;
        assert!(
            !listed["vms"]
                .as_array()
                .unwrap()
                .iter()
                .any(|v| v["name"] == "conf-clone"),
            "{f}: nothing was created"
        );
    }

    vm_changes(client, flavor, &vm).await;

    // Hosts.
    let hosts = ok(client, "infra.vmware.hosts.listHosts", json!({}))
        .await
        .json;
    let rows = hosts["hosts"].as_array().expect("hosts").clone();
    assert!(!rows.is_empty());
    for row in &rows {
        for field in [
            "name",
            "id",
            "connectionState",
            "inMaintenanceMode",
            "cpu",
            "memory",
            "vmCount",
        ] {
            assert!(row.get(field).is_some(), "{f}: host row has {field}: {row}");
        }
    }
    let mut clusters: Vec<(String, usize)> = Vec::new();
    for row in &rows {
        if let Some(c) = row["cluster"].as_str() {
            match clusters.iter_mut().find(|(n, _)| n == c) {
                Some(e) => e.1 += 1,
                None => clusters.push((c.to_string(), 1)),
            }
        }
    }
    clusters.sort_by_key(|c| std::cmp::Reverse(c.1));
    let host = match clusters.first() {
        Some((cluster, count)) => {
            let scoped = ok(
                client,
                "infra.vmware.hosts.listHosts",
                json!({"clusterName": cluster}),
            )
            .await
            .json;
            assert_eq!(
                scoped["total"].as_u64(),
                Some(*count as u64),
                "{f}: listHosts scoped to {cluster}"
            );
            scoped["hosts"][0]["name"].as_str().unwrap().to_string()
        }
        None => rows[0]["name"].as_str().unwrap().to_string(),
    };
    let host_info = ok(
        client,
        "infra.vmware.hosts.getHostInfo",
        json!({"hostName": host}),
    )
    .await
    .json;
    assert_eq!(host_info["inMaintenanceMode"], false);
    assert!(
        host_info["cpu"]["cores"].as_u64().unwrap_or(0) >= 1,
        "{f}: {host_info}"
    );
    storage(client, f, &host_info).await;
    perf(client, f, &host, &host_info).await;
    network_tools(client, f).await;
    cluster_tools(client, f).await;

    // Maintenance mode: power off the host's VMs first, as an operator would
    // without DRS, so the same step is valid on every backend.
    for v in host_info["vms"].as_array().into_iter().flatten() {
        let id = v["id"].as_str().unwrap();
        if vm_info(client, id).await["powerState"] == "poweredOn" {
            ok(client, "infra.vmware.vms.powerOffVm", json!({"vmName": id})).await;
        }
    }
    ok(
        client,
        "infra.vmware.hosts.enterMaintenanceMode",
        json!({"hostName": host}),
    )
    .await;
    assert_eq!(
        ok(
            client,
            "infra.vmware.hosts.getHostInfo",
            json!({"hostName": host})
        )
        .await
        .json["inMaintenanceMode"],
        true,
        "{f}: in maintenance"
    );
    let again = call(
        client,
        "infra.vmware.hosts.enterMaintenanceMode",
        json!({"hostName": host}),
    )
    .await
    .unwrap();
    assert!(
        again.is_error && again.error_kind() == "invalid_state",
        "{f}: {}",
        again.text
    );
    ok(
        client,
        "infra.vmware.hosts.exitMaintenanceMode",
        json!({"hostName": host}),
    )
    .await;
    assert_eq!(
        ok(
            client,
            "infra.vmware.hosts.getHostInfo",
            json!({"hostName": host})
        )
        .await
        .json["inMaintenanceMode"],
        false,
        "{f}: out of maintenance"
    );

    // The host's metrics tool.
    let metrics = ok(client, "infra.vmware.getMetrics", json!({})).await.json;
    assert!(
        metrics["counters"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == "vmware_mcp_vsphere_calls_total"),
        "{f}: {metrics}"
    );
}

/// The VM changes (issue 18) on the clone, or where vSphere cannot clone on
/// `vm` powered off: rename, reconfigure, migrate (to another host of its
/// cluster when it has one) and delete, each effect read back.
async fn vm_changes(client: &Client, flavor: Flavor, vm: &str) {
    let f = flavor.name;
    let target = if flavor.clone_supported {
        "conf-clone".to_string()
    } else {
        ok(client, "infra.vmware.vms.powerOffVm", json!({"vmName": vm})).await;
        vm.to_string()
    };
    let id = vm_info(client, &target).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    ok(
        client,
        "infra.vmware.vms.renameVm",
        json!({"vmName": id, "newName": "conf-renamed"}),
    )
    .await;
    assert_eq!(vm_info(client, &id).await["name"], "conf-renamed", "{f}");

    let info = vm_info(client, &id).await;
    let cpus = info["hardware"]["numCPU"].as_i64().unwrap();
    let changed = ok(
        client,
        "infra.vmware.vms.reconfigureVm",
        json!({"vmName": id, "numCPUs": cpus + 1}),
    )
    .await
    .json;
    assert_eq!(
        changed["changes"],
        json!([format!("CPUs {cpus} → {}", cpus + 1)]),
        "{f}"
    );
    assert_eq!(
        vm_info(client, &id).await["hardware"]["numCPU"],
        cpus + 1,
        "{f}"
    );

    let host = info["host"]["name"].as_str().unwrap().to_string();
    let hosts = ok(client, "infra.vmware.hosts.listHosts", json!({}))
        .await
        .json;
    let rows = hosts["hosts"].as_array().unwrap();
    let cluster = rows.iter().find(|h| h["name"] == host.as_str()).unwrap()["cluster"].clone();
    let other = rows
        .iter()
        .find(|h| !cluster.is_null() && h["cluster"] == cluster && h["name"] != host.as_str())
        .map(|h| h["name"].as_str().unwrap().to_string());
    let same = call(
        client,
        "infra.vmware.vms.migrateVm",
        json!({"vmName": id, "targetHost": host}),
    )
    .await
    .unwrap();
    assert_eq!(same.error_kind(), "invalid_argument", "{f}: {}", same.text);
    if let Some(other) = other {
        ok(
            client,
            "infra.vmware.vms.migrateVm",
            json!({"vmName": id, "targetHost": other}),
        )
        .await;
        assert_eq!(
            vm_info(client, &id).await["host"]["name"],
            other.as_str(),
            "{f}"
        );
    }

    let deleted = ok(client, "infra.vmware.vms.deleteVm", json!({"vmName": id}))
        .await
        .json;
    assert_eq!(deleted["gone"], true, "{f}: {deleted}");
    let gone = call(client, "infra.vmware.vms.getVMInfo", json!({"vmName": id}))
        .await
        .unwrap();
    assert_eq!(gone.error_kind(), "not_found", "{f}: {}", gone.text);
}

/// Events, tasks and alarms: the power changes above on `vm` (an id) are in both
/// histories, newest first, and the alarm list answers in full.
async fn history(client: &Client, f: &str, vm: &str) {
    let events = ok(
        client,
        "infra.vmware.events.listEvents",
        json!({"entity": vm, "limit": 20}),
    )
    .await
    .json;
    let rows = events["events"].as_array().expect("events");
    assert!(
        rows.iter().any(|e| e["type"] == "VmPoweredOffEvent"),
        "{f}: the power-off is an event of {vm}: {events}"
    );
    let times: Vec<&str> = rows.iter().map(|e| e["time"].as_str().unwrap()).collect();
    assert!(
        times.windows(2).all(|w| w[0] >= w[1]),
        "{f}: newest first: {times:?}"
    );
    let tasks = ok(
        client,
        "infra.vmware.events.listTasks",
        json!({"entity": vm, "state": "success"}),
    )
    .await
    .json;
    assert!(
        tasks["tasks"]
            .as_array()
            .expect("tasks")
            .iter()
            .any(|t| t["entity"]["id"] == vm),
        "{f}: the power changes are tasks of {vm}: {tasks}"
    );
    let alarms = ok(client, "infra.vmware.events.listAlarms", json!({}))
        .await
        .json;
    assert_eq!(
        alarms["total"].as_u64(),
        alarms["alarms"].as_array().map(|a| a.len() as u64),
        "{f}: {alarms}"
    );
}

/// Datastores: the list pages, and each datastore of `host_info` shows the
/// list's row as its summary, with its hosts and VMs named.
async fn storage(client: &Client, f: &str, host_info: &Value) {
    const LIST: &str = "infra.vmware.storage.listDatastores";
    let all = ok(client, LIST, json!({})).await.json;
    let rows = all["datastores"].as_array().expect("datastores").clone();
    assert!(!rows.is_empty(), "{f}: the inventory has datastores");
    assert_eq!(all["total"].as_u64(), Some(rows.len() as u64));
    let first = ok(client, LIST, json!({"limit": 1})).await.json;
    assert_eq!(first["returned"], 1);
    assert_eq!(
        first["datastores"][0], rows[0],
        "{f}: the first page of one"
    );
    assert_eq!(first.get("nextCursor").is_some(), rows.len() > 1);
    let mounted = host_info["datastores"].as_array().expect("host datastores");
    assert!(!mounted.is_empty(), "{f}: the host mounts datastores");
    for ds in mounted {
        let id = ds["id"].as_str().unwrap();
        let info = ok(
            client,
            "infra.vmware.storage.getDatastoreInfo",
            json!({"datastoreName": id}),
        )
        .await
        .json;
        // (vcsim lists one mount for a datastore every host has, so the
        // host's own list is not checked against the datastore's.)
        let hosts = info["hosts"].as_array().unwrap();
        assert_eq!(hosts.len() as u64, info["hostCount"].as_u64().unwrap());
        assert!(hosts.iter().all(|h| h["name"].is_string()), "{f}: {info}");
        let row = rows.iter().find(|r| r["id"] == id).expect("listed");
        for (key, value) in row.as_object().unwrap() {
            assert_eq!(&info[key], value, "{f}: {id}'s {key}");
        }
        assert_eq!(
            info["vms"].as_array().unwrap().len() as u64,
            info["vmCount"].as_u64().unwrap(),
            "{f}: {id} names its VMs"
        );
        // Browsing is a read: it answers at once, with no approval.
        let top = ok(
            client,
            "infra.vmware.storage.browseDatastore",
            json!({"datastoreName": id}),
        )
        .await
        .json;
        assert_eq!(
            top["folder"],
            format!("[{}]", info["name"].as_str().unwrap()),
            "{f}: {top}"
        );
        assert_eq!(
            top["returned"].as_u64(),
            top["files"].as_array().map(|a| a.len() as u64),
            "{f}: {top}"
        );
    }
}

/// The counters both stats tools give, by vSphere name.
const PERF_COUNTERS: [&str; 10] = [
    "cpu.usage.average",
    "cpu.ready.summation",
    "mem.active.average",
    "mem.vmmemctl.average",
    "mem.swapped.average",
    "disk.read.average",
    "disk.write.average",
    "disk.maxTotalLatency.latest",
    "net.received.average",
    "net.transmitted.average",
];

/// One stats result's window and counters are consistent: `names` in
/// order, each with a unit and key, its latest and average at most its
/// maximum, at most `samples` samples of `interval` seconds.
fn check_stats(f: &str, stats: &Value, names: &[&str], interval: u64, samples: u64) {
    assert_eq!(stats["interval"], interval, "{f}: {stats}");
    let n = stats["samples"].as_u64().unwrap();
    assert!((1..=samples).contains(&n), "{f}: {n} samples: {stats}");
    assert!(
        stats["from"].as_str() <= stats["to"].as_str(),
        "{f}: {stats}"
    );
    let counters = stats["counters"].as_array().expect("counters");
    let listed: Vec<&str> = counters
        .iter()
        .map(|c| c["counter"].as_str().unwrap())
        .collect();
    assert_eq!(listed, names, "{f}: {stats}");
    for c in counters {
        assert!(
            c["key"].is_i64() && !c["unit"].as_str().unwrap().is_empty(),
            "{f}: {c}"
        );
        if let Some(max) = c["maximum"].as_f64() {
            assert!(c["latest"].as_f64().unwrap() <= max, "{f}: {c}");
            assert!(c["average"].as_f64().unwrap() <= max + 0.01, "{f}: {c}");
            assert!(c["average"].as_f64().unwrap() >= 0.0, "{f}: {c}");
        }
    }
}

/// Performance: a host's counters at the realtime rate, one of its VMs'
/// CPU over 5-minute samples, and a bad metric refused with the valid ones.
/// Both are reads: they answer at once, with no approval.
async fn perf(client: &Client, f: &str, host: &str, host_info: &Value) {
    let stats = ok(
        client,
        "infra.vmware.perf.getHostStats",
        json!({"hostName": host}),
    )
    .await
    .json;
    assert_eq!(stats["name"], host, "{f}: {stats}");
    check_stats(f, &stats, &PERF_COUNTERS, 20, 15);
    let cpu = stats["counters"][0]["maximum"].as_f64();
    assert!(
        cpu.is_some_and(|c| c > 0.0),
        "{f}: a running host uses CPU: {stats}"
    );
    let vm = &host_info["vms"][0];
    let args = json!({"vmName": vm["id"], "metrics": ["cpu"], "interval": "5m", "samples": 4});
    let stats = ok(client, "infra.vmware.perf.getVMStats", args).await.json;
    assert_eq!(stats["name"], vm["name"], "{f}: {stats}");
    check_stats(f, &stats, &PERF_COUNTERS[..2], 300, 4);
    let bad = call(
        client,
        "infra.vmware.perf.getVMStats",
        json!({"vmName": vm["id"], "metrics": ["gpu"]}),
    )
    .await
    .unwrap();
    assert!(
        bad.is_error && bad.text.contains("cpu, mem, disk, net"),
        "{f}: {}",
        bad.text
    );
}

/// A listing's first page of one: it is the full list's first row, and it
/// has a next page exactly when there are more rows. Returns every row.
async fn paged_rows(client: &Client, f: &str, tool: &str, key: &str, args: Value) -> Vec<Value> {
    let all = ok(client, tool, args.clone()).await.json;
    let rows = all[key].as_array().expect(key).clone();
    assert_eq!(
        all["total"].as_u64(),
        Some(rows.len() as u64),
        "{f}: {tool}"
    );
    assert_eq!(
        all["returned"].as_u64(),
        Some(rows.len() as u64),
        "{f}: {tool}"
    );
    let mut one = args;
    one["limit"] = json!(1);
    let first = ok(client, tool, one).await.json;
    assert_eq!(first["returned"].as_u64(), Some(rows.len().min(1) as u64));
    assert_eq!(
        first[key].get(0),
        rows.first(),
        "{f}: {tool}'s first page of one"
    );
    assert_eq!(
        first.get("nextCursor").is_some(),
        rows.len() > 1,
        "{f}: {tool}"
    );
    rows
}

/// Networks: the list pages, each network's detail repeats its row and
/// names its hosts and VMs, every port group names its switch, and a
/// standard network on a host names its vSwitch.
async fn network_tools(client: &Client, f: &str) {
    const LIST: &str = "infra.vmware.networks.listNetworks";
    const INFO: &str = "infra.vmware.networks.getNetworkInfo";
    let rows = paged_rows(client, f, LIST, "networks", json!({})).await;
    assert!(!rows.is_empty(), "{f}: the inventory has networks");
    for row in &rows {
        let id = row["id"].as_str().unwrap();
        let info = ok(client, INFO, json!({"networkName": id})).await.json;
        for (key, value) in row.as_object().unwrap() {
            assert_eq!(&info[key], value, "{f}: {id}'s {key}");
        }
        let hosts = info["hosts"].as_array().unwrap();
        assert_eq!(
            hosts.len() as u64,
            row["hostCount"].as_u64().unwrap(),
            "{f}: {info}"
        );
        assert!(hosts.iter().all(|h| h["name"].is_string()), "{f}: {info}");
        assert_eq!(
            info["vms"].as_array().unwrap().len() as u64,
            row["vmCount"].as_u64().unwrap().min(200),
            "{f}: {id} names its VMs"
        );
        let wired = row["type"] == "DistributedVirtualPortgroup"
            || (row["type"] == "Network" && !hosts.is_empty());
        if wired {
            assert!(row["switch"].is_string(), "{f}: {row}");
        }
    }
    let unknown = call(client, INFO, json!({"networkName": "no-such-net"}))
        .await
        .unwrap();
    assert_eq!(unknown.error_kind(), "not_found", "{f}: {}", unknown.text);
}

/// Clusters and pools: each cluster's detail repeats its row (but the
/// load, which moves), lists the hosts listHosts scopes to it and the pools
/// listResourcePools does, root pool first. (A standalone ESXi has no
/// clusters, only its root pool.)
async fn cluster_tools(client: &Client, f: &str) {
    const LIST: &str = "infra.vmware.clusters.listClusters";
    const INFO: &str = "infra.vmware.clusters.getClusterInfo";
    const POOLS: &str = "infra.vmware.clusters.listResourcePools";
    let rows = paged_rows(client, f, LIST, "clusters", json!({})).await;
    for row in &rows {
        let id = row["id"].as_str().unwrap();
        let info = ok(client, INFO, json!({"clusterName": id})).await.json;
        for (key, value) in row.as_object().unwrap() {
            if !key.ends_with("UsedMhz") && !key.ends_with("UsedGB") {
                assert_eq!(&info[key], value, "{f}: {id}'s {key}");
            }
        }
        let hosts = info["hosts"].as_array().unwrap();
        assert_eq!(
            hosts.len() as u64,
            row["hostCount"].as_u64().unwrap(),
            "{f}: {info}"
        );
        let scoped = ok(
            client,
            "infra.vmware.hosts.listHosts",
            json!({"clusterName": id}),
        )
        .await
        .json;
        assert_eq!(scoped["total"], row["hostCount"], "{f}: {id}'s hosts");
        let pools = info["resourcePools"].as_array().unwrap();
        assert_eq!(
            pools[0]["parent"],
            Value::Null,
            "{f}: the root pool first: {info}"
        );
        assert_eq!(pools[0]["cluster"], row["name"], "{f}: {info}");
        let listed = paged_rows(
            client,
            f,
            POOLS,
            "resourcePools",
            json!({"clusterName": id}),
        )
        .await;
        assert_eq!(&listed, pools, "{f}: {id}'s pools");
        assert_eq!(info["poolCount"].as_u64(), Some(listed.len() as u64));
    }
    let all = paged_rows(client, f, POOLS, "resourcePools", json!({})).await;
    assert!(
        all.iter().any(|p| p["parent"].is_null()),
        "{f}: every compute resource has a root pool"
    );
    let unknown = call(client, INFO, json!({"clusterName": "no-such-cluster"}))
        .await
        .unwrap();
    assert_eq!(unknown.error_kind(), "not_found", "{f}: {}", unknown.text);
}
