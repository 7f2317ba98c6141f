//! Behaviour tests of the simulated vCenter through the `Backend` trait, as a
//! plugin sees it: every method's effect, every fault, and that a fault
//! leaves the inventory exactly as it was.

use std::time::Duration;

use serde_json::{Map, Value, json};

use super::*;
use crate::error::VsError;

fn sim() -> SimBackend {
    SimBackend::demo().with_task_delay(Duration::ZERO)
}

fn ctx() -> CallContext {
    CallContext {
        correlation_id: "test".into(),
        ..Default::default()
    }
}

fn args(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn find(s: &SimBackend, path: &str) -> MoRef {
    s.find_by_path(path)
        .unwrap_or_else(|| panic!("{path} is in the demo inventory"))
}

async fn call(s: &SimBackend, target: &MoRef, method: &str, a: Value) -> Result<Value, VsError> {
    s.invoke(&ctx(), target, method, &args(a)).await
}

async fn ok(s: &SimBackend, target: &MoRef, method: &str, a: Value) -> Value {
    match call(s, target, method, a).await {
        Ok(v) => v,
        Err(e) => panic!("{method} on {target} failed: {e}"),
    }
}

fn fault_type(r: &Result<Value, VsError>) -> String {
    match r {
        Err(VsError::Fault(f)) => f.type_name.clone(),
        other => format!("not a fault: {other:?}"),
    }
}

async fn all(s: &SimBackend, kind: &str, props: &[&str]) -> Vec<ObjectContent> {
    retrieve(s, kind, None, true, props)
        .await
        .unwrap_or_else(|e| panic!("retrieve {kind}: {e}"))
}

async fn retrieve(
    s: &SimBackend,
    kind: &str,
    root: Option<&MoRef>,
    recursive: bool,
    props: &[&str],
) -> Result<Vec<ObjectContent>, VsError> {
    let spec = RetrieveSpec {
        object_type: kind.into(),
        root: root.cloned(),
        recursive,
        properties: props.iter().map(|p| p.to_string()).collect(),
    };
    s.retrieve(&ctx(), &spec).await
}

/// One property of one object, `None` when unset.
async fn read(s: &SimBackend, r: &MoRef, path: &str) -> Option<Value> {
    let kind = if r.kind == "ClusterComputeResource" {
        "ComputeResource"
    } else {
        r.kind.as_str()
    };
    let found = all(s, kind, &[path])
        .await
        .into_iter()
        .find(|o| &o.reference == r)?;
    found
        .properties
        .into_iter()
        .find(|(p, _)| p == path)
        .map(|(_, v)| v)
}

async fn read_str(s: &SimBackend, r: &MoRef, path: &str) -> String {
    read(s, r, path)
        .await
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn ref_values(v: Option<Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(MoRef::from_json)
            .map(|r| r.value)
            .collect(),
        _ => Vec::new(),
    }
}

fn snapshot_of(s: &SimBackend) -> Model {
    s.lock().clone()
}

/// Run a call that must fail with `fault` and leave the inventory untouched.
async fn fails_unchanged(
    s: &SimBackend,
    target: &MoRef,
    method: &str,
    a: Value,
    fault: &str,
) -> VsError {
    let before = snapshot_of(s);
    let r = call(s, target, method, a).await;
    assert_eq!(fault_type(&r), fault, "{method} on {target}: {r:?}");
    assert!(
        snapshot_of(s) == before,
        "{method} on {target} changed the inventory although it failed"
    );
    match r {
        Err(e) => e,
        Ok(_) => unreachable!(),
    }
}

fn root_folder() -> MoRef {
    MoRef::new("Folder", "group-d1")
}

fn search_index() -> MoRef {
    MoRef::new("SearchIndex", "SearchIndex")
}

// ---------------------------------------------------------------- inventory

#[tokio::test]
async fn demo_inventory_has_the_promised_shape() {
    let s = sim();
    assert!(s.is_simulated());
    assert_eq!(all(&s, "Datacenter", &[]).await.len(), 1);
    let clusters = all(
        &s,
        "ClusterComputeResource",
        &["name", "host", "configurationEx"],
    )
    .await;
    assert_eq!(clusters.len(), 2);
    let computes = all(&s, "ComputeResource", &[]).await;
    assert_eq!(computes.len(), 3, "two clusters and one standalone host");
    let hosts = all(&s, "HostSystem", &["name"]).await;
    assert!(hosts.len() >= 5, "{} hosts", hosts.len());
    let vms = all(
        &s,
        "VirtualMachine",
        &["name", "config.template", "runtime.powerState"],
    )
    .await;
    assert!(vms.len() >= 15, "{} VMs", vms.len());
    let states: Vec<String> = vms
        .iter()
        .filter_map(|o| o.properties.iter().find(|(p, _)| p == "runtime.powerState"))
        .map(|(_, v)| v.to_string())
        .collect();
    for st in ["poweredOn", "poweredOff", "suspended"] {
        assert!(states.iter().any(|x| x.contains(st)), "some VM is {st}");
    }
    // The prod cluster has DRS and three hosts.
    let prod = find(&s, "DC0/host/prod");
    assert_eq!(ref_values(read(&s, &prod, "host").await).len(), 3);
    assert_eq!(
        read(&s, &prod, "configurationEx.drsConfig.enabled").await,
        Some(json!(true))
    );
    // Folders, the ambiguous name, nested snapshot trees.
    for p in [
        "DC0/vm/web/web-01",
        "DC0/vm/db/db-01",
        "DC0/vm/dev/dev-app-01",
        "DC0/vm/dev/team-a/team-a-build-01",
    ] {
        find(&s, p);
    }
    let a = find(&s, "DC0/vm/web/app-01");
    let b = find(&s, "DC0/vm/dev/app-01");
    assert_ne!(a, b);
    let names: Vec<&ObjectContent> = vms
        .iter()
        .filter(|o| {
            o.properties
                .iter()
                .any(|(p, v)| p == "name" && v == "app-01")
        })
        .collect();
    assert_eq!(names.len(), 2);
    let db1 = find(&s, "DC0/vm/db/db-01");
    let tree = read(&s, &db1, "snapshot").await.unwrap_or_default();
    assert_eq!(tree["rootSnapshotList"][0]["name"], "base");
    assert_eq!(
        tree["rootSnapshotList"][0]["childSnapshotList"][0]["childSnapshotList"][0]["name"],
        "post-upgrade"
    );
    // Service content.
    let sc = s.service_content(&ctx()).await.unwrap_or_default();
    assert_eq!(sc["rootFolder"]["value"], "group-d1");
    assert_eq!(sc["about"]["apiType"], "VirtualCenter");
    assert_eq!(sc["about"]["apiVersion"], "8.0.3.0");
    assert_eq!(sc["searchIndex"]["type"], "SearchIndex");
}

#[tokio::test]
async fn inverse_links_are_consistent() {
    let s = sim();
    let vms = all(
        &s,
        "VirtualMachine",
        &[
            "runtime.host",
            "resourcePool",
            "datastore",
            "parent",
            "summary.vm",
        ],
    )
    .await;
    for vm in &vms {
        let get = |p: &str| {
            vm.properties
                .iter()
                .find(|(k, _)| k == p)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(
            get("summary.vm")
                .and_then(|v| MoRef::from_json(&v))
                .as_ref(),
            Some(&vm.reference)
        );
        let host = get("runtime.host")
            .and_then(|v| MoRef::from_json(&v))
            .unwrap_or_else(|| panic!("{} has a host", vm.reference));
        assert!(ref_values(read(&s, &host, "vm").await).contains(&vm.reference.value));
        if let Some(pool) = get("resourcePool").and_then(|v| MoRef::from_json(&v)) {
            assert!(ref_values(read(&s, &pool, "vm").await).contains(&vm.reference.value));
        }
        let parent = get("parent")
            .and_then(|v| MoRef::from_json(&v))
            .unwrap_or_else(|| panic!("{} has a parent", vm.reference));
        assert!(ref_values(read(&s, &parent, "childEntity").await).contains(&vm.reference.value));
        for ds in ref_values(get("datastore")) {
            assert!(
                ref_values(read(&s, &MoRef::new("Datastore", ds), "vm").await)
                    .contains(&vm.reference.value)
            );
        }
    }
}

// ---------------------------------------------------------------- retrieve

#[tokio::test]
async fn retrieve_reads_paths_in_order_and_omits_unset() {
    let s = sim();
    let web01 = find(&s, "DC0/vm/web/web-01");
    let props = [
        "runtime.powerState",
        "config.hardware.numCPU",
        "name",
        "guest.ipAddress",
        "snapshot",
        "summary.quickStats.overallCpuUsage",
    ];
    let got = retrieve(
        &s,
        "VirtualMachine",
        Some(&find(&s, "DC0/vm/web")),
        false,
        &props,
    )
    .await
    .unwrap_or_default();
    let o = got
        .iter()
        .find(|o| o.reference == web01)
        .unwrap_or_else(|| panic!("web-01 in its folder"));
    let keys: Vec<&str> = o.properties.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        [
            "runtime.powerState",
            "config.hardware.numCPU",
            "name",
            "guest.ipAddress",
            "summary.quickStats.overallCpuUsage"
        ]
    );
    assert_eq!(o.properties[0].1, json!("poweredOn"));
    assert_eq!(o.properties[1].1, json!(2));
    assert_eq!(o.properties[3].1, json!("10.10.1.11"));
    assert!(o.properties[4].1.as_i64().unwrap_or(0) > 0);

    // A powered-off VM reports no guest IP and no boot time.
    let web03 = find(&s, "DC0/vm/web/web-03");
    assert_eq!(read(&s, &web03, "guest.ipAddress").await, None);
    assert_eq!(read(&s, &web03, "runtime.bootTime").await, None);
    assert_eq!(
        read_str(&s, &web03, "guest.toolsRunningStatus").await,
        "guestToolsNotRunning"
    );
    assert_eq!(
        read_str(&s, &web01, "guest.toolsRunningStatus").await,
        "guestToolsRunning"
    );
    assert_eq!(read_str(&s, &web01, "guest.guestState").await, "running");

    // Devices: a controller, a disk and a NIC with vSphere's shapes.
    let devices = read(&s, &web01, "config.hardware.device")
        .await
        .unwrap_or_default();
    let types: Vec<&str> = devices
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["_typeName"].as_str())
        .collect();
    assert!(
        types.contains(&"VirtualDisk") && types.contains(&"VirtualVmxnet3"),
        "{types:?}"
    );
    let disk = devices
        .as_array()
        .into_iter()
        .flatten()
        .find(|d| d["_typeName"] == "VirtualDisk")
        .cloned()
        .unwrap_or_default();
    assert_eq!(disk["capacityInKB"], json!(40 * 1024 * 1024));
    assert_eq!(
        disk["backing"]["fileName"],
        "[ds-prod-01] web-01/web-01.vmdk"
    );
    let net = read(&s, &web01, "guest.net").await.unwrap_or_default();
    assert_eq!(net[0]["ipAddress"][0], "10.10.1.11");
    assert_eq!(net[0]["network"], "prod-web");

    // Summaries mirror their sources.
    assert_eq!(
        read_str(&s, &web01, "summary.runtime.powerState").await,
        "poweredOn"
    );
    assert_eq!(
        read(&s, &web01, "summary.config.numCpu").await,
        Some(json!(2))
    );
    assert_eq!(
        read(&s, &web01, "summary.config.memorySizeMB").await,
        Some(json!(4096))
    );
    assert_eq!(
        read_str(&s, &web01, "summary.config.vmPathName").await,
        "[ds-prod-01] web-01/web-01.vmx"
    );
    assert_eq!(
        read_str(&s, &web01, "config.guestFullName").await,
        "Ubuntu Linux (64-bit)"
    );
    assert!(
        read(&s, &web01, "summary.storage.committed")
            .await
            .and_then(|v| v.as_i64())
            .unwrap_or(0)
            > 40 * 1024 * 1024 * 1024
    );

    // Hosts, clusters, datastores.
    let esx01 = find(&s, "DC0/host/prod/esx-01.lab.local");
    assert_eq!(
        read(&s, &esx01, "summary.hardware.numCpuCores").await,
        Some(json!(64))
    );
    assert_eq!(
        read(&s, &esx01, "hardware.memorySize").await,
        Some(json!(512i64 * 1024 * 1024 * 1024))
    );
    assert_eq!(
        read_str(&s, &esx01, "summary.config.product.version").await,
        "8.0.3"
    );
    assert_eq!(
        read(&s, &esx01, "runtime.inMaintenanceMode").await,
        Some(json!(false))
    );
    assert!(
        read(&s, &esx01, "summary.quickStats.overallCpuUsage")
            .await
            .and_then(|v| v.as_i64())
            .unwrap_or(0)
            > 0
    );
    let prod = find(&s, "DC0/host/prod");
    assert_eq!(read(&s, &prod, "summary.numHosts").await, Some(json!(3)));
    assert_eq!(
        read(&s, &prod, "summary.numEffectiveHosts").await,
        Some(json!(3))
    );
    let ds = find(&s, "DC0/datastore/ds-prod-01");
    assert_eq!(read_str(&s, &ds, "summary.type").await, "VMFS");
    let free = read(&s, &ds, "summary.freeSpace")
        .await
        .and_then(|v| v.as_i64())
        .unwrap_or(0);
    assert!(
        (free - 2200 * (1 << 30)).abs() < 1 << 20,
        "free space as in the fixture: {free}"
    );
    assert_eq!(
        read(&s, &ds, "host")
            .await
            .and_then(|h| h.as_array().map(Vec::len)),
        Some(3)
    );
}

#[tokio::test]
async fn bad_property_paths_are_invalid_property() {
    let s = sim();
    for p in [
        "bogus",
        "runtime.bogus",
        "config.hardware.device.key",
        "runtime.host.name",
        "snapshot.nope",
    ] {
        let r = retrieve(&s, "VirtualMachine", None, true, &["name", p]).await;
        match r {
            Err(VsError::Fault(f)) => {
                assert_eq!(f.type_name, "InvalidProperty", "{p}");
                assert_eq!(f.detail["name"], p);
            }
            other => panic!("{p}: {other:?}"),
        }
    }
    // A real property that is unset is not an error.
    let r = retrieve(
        &s,
        "HostSystem",
        None,
        true,
        &["name", "runtime.bootTime", "summary.managementServerIp"],
    )
    .await;
    assert!(r.is_ok(), "{r:?}");
}

#[tokio::test]
async fn container_views_scope_like_vcenter() {
    let s = sim();
    let dev = find(&s, "DC0/vm/dev");
    let direct = retrieve(&s, "VirtualMachine", Some(&dev), false, &["name"])
        .await
        .unwrap_or_default();
    let deep = retrieve(&s, "VirtualMachine", Some(&dev), true, &["name"])
        .await
        .unwrap_or_default();
    assert_eq!(direct.len(), 4);
    assert_eq!(deep.len(), 7, "dev and dev/team-a");
    let folders = retrieve(&s, "Folder", Some(&dev), false, &["name"])
        .await
        .unwrap_or_default();
    assert_eq!(folders.len(), 1);

    // A cluster holds its hosts, its pools and the VMs on them.
    let prod = find(&s, "DC0/host/prod");
    let hosts = retrieve(&s, "HostSystem", Some(&prod), false, &[])
        .await
        .unwrap_or_default();
    assert_eq!(hosts.len(), 3);
    let prod_vms = retrieve(&s, "VirtualMachine", Some(&prod), true, &[])
        .await
        .unwrap_or_default();
    let web01 = find(&s, "DC0/vm/web/web-01");
    let legacy = find(&s, "DC0/vm/infra/legacy-01");
    assert!(prod_vms.iter().any(|o| o.reference == web01));
    assert!(!prod_vms.iter().any(|o| o.reference == legacy));
    let mut refs: Vec<&MoRef> = prod_vms.iter().map(|o| &o.reference).collect();
    refs.sort();
    refs.dedup();
    assert_eq!(
        refs.len(),
        prod_vms.len(),
        "no duplicates though VMs are reachable via hosts and pools"
    );
    let pools = retrieve(&s, "ResourcePool", Some(&prod), true, &["name"])
        .await
        .unwrap_or_default();
    assert_eq!(pools.len(), 3, "Resources, web-tier, db-tier");

    // A datacenter's direct children are its four folders.
    let dc = find(&s, "DC0");
    assert!(
        retrieve(&s, "VirtualMachine", Some(&dc), false, &[])
            .await
            .unwrap_or_default()
            .is_empty()
    );
    assert_eq!(
        retrieve(&s, "Folder", Some(&dc), false, &[])
            .await
            .unwrap_or_default()
            .len(),
        4
    );

    // Type hierarchy: ComputeResource includes clusters, ManagedEntity everything.
    let entities = retrieve(&s, "ManagedEntity", None, true, &["name"])
        .await
        .unwrap_or_default();
    let vms = all(&s, "VirtualMachine", &[]).await.len();
    let host_count = all(&s, "HostSystem", &[]).await.len();
    assert!(entities.len() > vms + host_count);

    // Faults.
    let r = retrieve(&s, "Bogus", None, true, &[]).await;
    assert!(
        matches!(&r, Err(VsError::Fault(f)) if f.type_name == "InvalidArgument" && f.message.contains("Bogus")),
        "{r:?}"
    );
    let r = retrieve(
        &s,
        "VirtualMachine",
        Some(&MoRef::new("Folder", "group-v9999")),
        true,
        &[],
    )
    .await;
    assert!(
        matches!(&r, Err(VsError::Fault(f)) if f.type_name == "ManagedObjectNotFound"),
        "{r:?}"
    );
    let r = retrieve(&s, "VirtualMachine", Some(&web01), true, &[]).await;
    assert!(
        matches!(&r, Err(VsError::Fault(f)) if f.type_name == "InvalidArgument"),
        "{r:?}"
    );
    let r = retrieve(
        &s,
        "VirtualMachine",
        Some(&MoRef::new("HostSystem", web01.value.clone())),
        true,
        &[],
    )
    .await;
    assert!(
        matches!(&r, Err(VsError::Fault(f)) if f.type_name == "ManagedObjectNotFound"),
        "wrong type: {r:?}"
    );
}

// ---------------------------------------------------------------- power

#[tokio::test]
async fn power_operations_change_state_and_guest_info() {
    let s = sim();
    let vm = find(&s, "DC0/vm/web/web-01");
    let host = MoRef::from_json(&read(&s, &vm, "runtime.host").await.unwrap_or_default())
        .unwrap_or_else(|| panic!("host"));
    let cpu_before = read(&s, &host, "summary.quickStats.overallCpuUsage")
        .await
        .and_then(|v| v.as_i64())
        .unwrap_or(0);

    assert_eq!(ok(&s, &vm, "PowerOffVM_Task", json!({})).await, Value::Null);
    assert_eq!(read_str(&s, &vm, "runtime.powerState").await, "poweredOff");
    assert_eq!(
        read_str(&s, &vm, "summary.runtime.powerState").await,
        "poweredOff"
    );
    assert_eq!(read(&s, &vm, "guest.ipAddress").await, None);
    assert_eq!(
        read(&s, &vm, "summary.quickStats.overallCpuUsage").await,
        Some(json!(0))
    );
    let cpu_after = read(&s, &host, "summary.quickStats.overallCpuUsage")
        .await
        .and_then(|v| v.as_i64())
        .unwrap_or(0);
    assert!(
        cpu_after < cpu_before,
        "host load drops: {cpu_before} → {cpu_after}"
    );
    let e = fails_unchanged(&s, &vm, "PowerOffVM_Task", json!({}), "InvalidPowerState").await;
    if let VsError::Fault(f) = e {
        assert_eq!(f.detail["existingState"], "poweredOff");
        assert!(f.message.contains("Powered off"), "{}", f.message);
    }
    fails_unchanged(&s, &vm, "SuspendVM_Task", json!({}), "InvalidPowerState").await;
    fails_unchanged(&s, &vm, "ResetVM_Task", json!({}), "InvalidPowerState").await;
    fails_unchanged(&s, &vm, "RebootGuest", json!({}), "InvalidPowerState").await;
    fails_unchanged(&s, &vm, "ShutdownGuest", json!({}), "InvalidPowerState").await;

    ok(&s, &vm, "PowerOnVM_Task", json!({})).await;
    assert_eq!(read_str(&s, &vm, "runtime.powerState").await, "poweredOn");
    assert_eq!(read_str(&s, &vm, "guest.ipAddress").await, "10.10.1.11");
    assert!(read(&s, &vm, "runtime.bootTime").await.is_some());
    fails_unchanged(&s, &vm, "PowerOnVM_Task", json!({}), "InvalidPowerState").await;

    ok(&s, &vm, "SuspendVM_Task", json!({})).await;
    assert_eq!(read_str(&s, &vm, "runtime.powerState").await, "suspended");
    assert!(read(&s, &vm, "runtime.suspendTime").await.is_some());
    fails_unchanged(&s, &vm, "SuspendVM_Task", json!({}), "InvalidPowerState").await;
    ok(&s, &vm, "PowerOnVM_Task", json!({})).await;
    assert_eq!(read(&s, &vm, "runtime.suspendTime").await, None);

    ok(&s, &vm, "ResetVM_Task", json!({})).await;
    assert_eq!(read_str(&s, &vm, "runtime.powerState").await, "poweredOn");
    ok(&s, &vm, "ShutdownGuest", json!({})).await;
    assert_eq!(read_str(&s, &vm, "runtime.powerState").await, "poweredOff");
}

#[tokio::test]
async fn guest_operations_need_running_tools() {
    let s = sim();
    let vm = find(&s, "DC0/vm/dev/dev-db-01");
    assert_eq!(
        read_str(&s, &vm, "guest.toolsStatus").await,
        "toolsNotRunning"
    );
    fails_unchanged(&s, &vm, "RebootGuest", json!({}), "ToolsUnavailable").await;
    fails_unchanged(&s, &vm, "ShutdownGuest", json!({}), "ToolsUnavailable").await;

    let web = find(&s, "DC0/vm/web/web-02");
    let boot = read_str(&s, &web, "runtime.bootTime").await;
    ok(&s, &web, "RebootGuest", json!({})).await;
    assert_eq!(read_str(&s, &web, "runtime.powerState").await, "poweredOn");
    assert_ne!(
        read_str(&s, &web, "runtime.bootTime").await,
        boot,
        "a reboot sets a new boot time"
    );
}

#[tokio::test]
async fn templates_cannot_power_on() {
    let s = sim();
    let tpl = find(&s, "DC0/vm/templates/tpl-ubuntu-22.04");
    assert_eq!(read(&s, &tpl, "config.template").await, Some(json!(true)));
    assert_eq!(read(&s, &tpl, "resourcePool").await, None);
    fails_unchanged(&s, &tpl, "PowerOnVM_Task", json!({}), "InvalidState").await;
}

// ---------------------------------------------------------------- snapshots

async fn tree(s: &SimBackend, vm: &MoRef) -> Value {
    read(s, vm, "snapshot").await.unwrap_or(Value::Null)
}

fn names_at(list: &Value) -> Vec<String> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n["name"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn nested_snapshots_create_revert_remove() {
    let s = sim();
    let vm = find(&s, "DC0/vm/dev/dev-app-02");
    assert_eq!(read(&s, &vm, "snapshot").await, None);

    let s1 = ok(
        &s,
        &vm,
        "CreateSnapshot_Task",
        json!({"name": "s1", "description": "first", "memory": false, "quiesce": false}),
    )
    .await;
    let s1 = MoRef::from_json(&s1).unwrap_or_else(|| panic!("a snapshot reference"));
    assert_eq!(s1.kind, "VirtualMachineSnapshot");
    let s2 = MoRef::from_json(
        &ok(
            &s,
            &vm,
            "CreateSnapshot_Task",
            json!({"name": "s2", "memory": false, "quiesce": false}),
        )
        .await,
    )
    .unwrap_or_else(|| panic!("ref"));
    let t = tree(&s, &vm).await;
    assert_eq!(t["currentSnapshot"]["value"], s2.value);
    assert_eq!(names_at(&t["rootSnapshotList"]), ["s1"]);
    assert_eq!(
        names_at(&t["rootSnapshotList"][0]["childSnapshotList"]),
        ["s2"]
    );
    assert_eq!(t["rootSnapshotList"][0]["description"], "first");
    assert_eq!(t["rootSnapshotList"][0]["state"], "poweredOff");
    assert_eq!(
        ref_values(read(&s, &vm, "rootSnapshot").await),
        vec![s1.value.clone()]
    );

    // Revert to s1, then a new snapshot becomes a second child of s1.
    ok(&s, &s1, "RevertToSnapshot_Task", json!({})).await;
    assert_eq!(tree(&s, &vm).await["currentSnapshot"]["value"], s1.value);
    let s3 = MoRef::from_json(
        &ok(
            &s,
            &vm,
            "CreateSnapshot_Task",
            json!({"name": "s3", "memory": false, "quiesce": false}),
        )
        .await,
    )
    .unwrap_or_else(|| panic!("ref"));
    let t = tree(&s, &vm).await;
    assert_eq!(
        names_at(&t["rootSnapshotList"][0]["childSnapshotList"]),
        ["s2", "s3"]
    );

    // Remove s1 alone: its children move up.
    ok(
        &s,
        &s1,
        "RemoveSnapshot_Task",
        json!({"removeChildren": false}),
    )
    .await;
    let t = tree(&s, &vm).await;
    assert_eq!(names_at(&t["rootSnapshotList"]), ["s2", "s3"]);
    assert_eq!(t["currentSnapshot"]["value"], s3.value);
    assert_eq!(
        fault_type(&call(&s, &s1, "RevertToSnapshot_Task", json!({})).await),
        "ManagedObjectNotFound"
    );
    assert_eq!(
        ref_values(read(&s, &vm, "rootSnapshot").await),
        vec![s2.value.clone(), s3.value.clone()]
    );

    // Removing the current snapshot at the top level leaves no current one.
    ok(
        &s,
        &s3,
        "RemoveSnapshot_Task",
        json!({"removeChildren": true}),
    )
    .await;
    let t = tree(&s, &vm).await;
    assert_eq!(names_at(&t["rootSnapshotList"]), ["s2"]);
    assert!(t.get("currentSnapshot").is_none(), "{t}");
    fails_unchanged(
        &s,
        &vm,
        "RevertToCurrentSnapshot_Task",
        json!({}),
        "NotFound",
    )
    .await;

    ok(&s, &vm, "RemoveAllSnapshots_Task", json!({})).await;
    assert_eq!(read(&s, &vm, "snapshot").await, None);
    assert_eq!(
        ref_values(read(&s, &vm, "rootSnapshot").await),
        Vec::<String>::new()
    );
    assert_eq!(
        fault_type(
            &call(
                &s,
                &s2,
                "RemoveSnapshot_Task",
                json!({"removeChildren": true})
            )
            .await
        ),
        "ManagedObjectNotFound"
    );
}

#[tokio::test]
async fn snapshot_objects_link_to_their_children() {
    let s = sim();
    let vm = find(&s, "DC0/vm/db/db-01");
    let t = tree(&s, &vm).await;
    let pre = MoRef::from_json(&t["rootSnapshotList"][0]["childSnapshotList"][0]["snapshot"])
        .unwrap_or_else(|| panic!("pre-upgrade"));
    let post = t["rootSnapshotList"][0]["childSnapshotList"][0]["childSnapshotList"][0]["snapshot"]
        .clone();
    assert_eq!(t["currentSnapshot"], post);
    let base =
        MoRef::from_json(&t["rootSnapshotList"][0]["snapshot"]).unwrap_or_else(|| panic!("base"));
    // The snapshot object knows its VM and children.
    let kids = {
        let m = s.lock();
        m.get(&base.value)
            .map(|o| o.ref_ids("childSnapshot"))
            .unwrap_or_default()
    };
    assert_eq!(kids, vec![pre.value.clone()]);

    let before = snapshot_of(&s);
    let r = call(&s, &pre, "RemoveSnapshot_Task", json!({})).await;
    assert!(
        matches!(&r, Err(VsError::InvalidArgument(m)) if m.contains("`removeChildren`")),
        "{r:?}"
    );
    assert!(snapshot_of(&s) == before);
}

#[tokio::test]
async fn removing_a_middle_snapshot_keeps_the_rest() {
    let s = sim();
    let vm = find(&s, "DC0/vm/db/db-01");
    let t = tree(&s, &vm).await;
    let pre = MoRef::from_json(&t["rootSnapshotList"][0]["childSnapshotList"][0]["snapshot"])
        .unwrap_or_else(|| panic!("pre-upgrade"));
    ok(
        &s,
        &pre,
        "RemoveSnapshot_Task",
        json!({"removeChildren": false, "consolidate": true}),
    )
    .await;
    let t = tree(&s, &vm).await;
    assert_eq!(names_at(&t["rootSnapshotList"]), ["base"]);
    assert_eq!(
        names_at(&t["rootSnapshotList"][0]["childSnapshotList"]),
        ["post-upgrade"]
    );
    assert_eq!(
        t["currentSnapshot"], t["rootSnapshotList"][0]["childSnapshotList"][0]["snapshot"],
        "current unchanged"
    );
}

#[tokio::test]
async fn revert_follows_the_snapshot_power_state() {
    let s = sim();
    let vm = find(&s, "DC0/vm/web/web-02");
    // Taken while on without memory: reverting powers the VM off.
    let cold = MoRef::from_json(
        &ok(
            &s,
            &vm,
            "CreateSnapshot_Task",
            json!({"name": "cold", "memory": false, "quiesce": true}),
        )
        .await,
    )
    .unwrap_or_else(|| panic!("ref"));
    assert_eq!(tree(&s, &vm).await["rootSnapshotList"][0]["quiesced"], true);
    // Taken while on with memory: reverting leaves it on.
    let warm = MoRef::from_json(
        &ok(
            &s,
            &vm,
            "CreateSnapshot_Task",
            json!({"name": "warm", "memory": true, "quiesce": false}),
        )
        .await,
    )
    .unwrap_or_else(|| panic!("ref"));
    assert_eq!(
        tree(&s, &vm).await["rootSnapshotList"][0]["childSnapshotList"][0]["state"],
        "poweredOn"
    );

    ok(&s, &cold, "RevertToSnapshot_Task", json!({})).await;
    assert_eq!(read_str(&s, &vm, "runtime.powerState").await, "poweredOff");
    ok(&s, &warm, "RevertToSnapshot_Task", json!({})).await;
    assert_eq!(read_str(&s, &vm, "runtime.powerState").await, "poweredOn");
    ok(&s, &vm, "PowerOffVM_Task", json!({})).await;
    ok(
        &s,
        &vm,
        "RevertToCurrentSnapshot_Task",
        json!({"suppressPowerOn": true}),
    )
    .await;
    assert_eq!(read_str(&s, &vm, "runtime.powerState").await, "suspended");

    // Quiescing needs tools.
    let dev_db = find(&s, "DC0/vm/dev/dev-db-01");
    fails_unchanged(
        &s,
        &dev_db,
        "CreateSnapshot_Task",
        json!({"name": "q", "memory": false, "quiesce": true}),
        "ToolsUnavailable",
    )
    .await;
    // Templates take no snapshots.
    let tpl = find(&s, "DC0/vm/templates/tpl-win2022");
    fails_unchanged(
        &s,
        &tpl,
        "CreateSnapshot_Task",
        json!({"name": "x", "memory": false, "quiesce": false}),
        "NotSupported",
    )
    .await;
}

// ---------------------------------------------------------------- clone, destroy, rename

#[tokio::test]
async fn clone_into_a_folder() {
    let s = sim();
    let src = find(&s, "DC0/vm/web/web-04");
    let dev = find(&s, "DC0/vm/dev");
    let spec = json!({"_typeName": "VirtualMachineCloneSpec", "location": {"_typeName": "VirtualMachineRelocateSpec"}, "powerOn": false, "template": false});
    let r = ok(
        &s,
        &src,
        "CloneVM_Task",
        json!({"folder": dev.to_json(), "name": "web-04-copy", "spec": spec}),
    )
    .await;
    let copy = MoRef::from_json(&r).unwrap_or_else(|| panic!("a VM reference"));
    assert_eq!(copy.kind, "VirtualMachine");
    assert_eq!(
        s.inventory_path(&copy).as_deref(),
        Some("DC0/vm/dev/web-04-copy")
    );
    assert_eq!(
        read_str(&s, &copy, "runtime.powerState").await,
        "poweredOff"
    );
    assert_eq!(
        read(&s, &copy, "config.hardware.numCPU").await,
        Some(json!(4))
    );
    assert_eq!(
        read(&s, &copy, "config.hardware.memoryMB").await,
        Some(json!(8192))
    );
    assert_ne!(
        read_str(&s, &copy, "config.uuid").await,
        read_str(&s, &src, "config.uuid").await
    );
    let devs = read(&s, &copy, "config.hardware.device")
        .await
        .unwrap_or_default();
    let disks = devs
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| d["_typeName"] == "VirtualDisk")
        .count();
    assert_eq!(disks, 2);
    assert_eq!(
        read(&s, &copy, "network").await,
        read(&s, &src, "network").await
    );
    assert!(ref_values(read(&s, &dev, "childEntity").await).contains(&copy.value));
    let host = MoRef::from_json(&read(&s, &copy, "runtime.host").await.unwrap_or_default())
        .unwrap_or_else(|| panic!("host"));
    assert!(ref_values(read(&s, &host, "vm").await).contains(&copy.value));
    assert_eq!(
        read(&s, &copy, "resourcePool").await,
        read(&s, &src, "resourcePool").await
    );

    // Same name in the same folder.
    let e = fails_unchanged(
        &s,
        &src,
        "CloneVM_Task",
        json!({"folder": dev.to_json(), "name": "web-04-copy", "spec": {"location": {}, "powerOn": false, "template": false}}),
        "DuplicateName",
    )
    .await;
    if let VsError::Fault(f) = e {
        assert_eq!(f.detail["object"]["value"], copy.value);
    }
    // Not a VM folder.
    let hostf = find(&s, "DC0/host");
    fails_unchanged(&s, &src, "CloneVM_Task", json!({"folder": hostf.to_json(), "name": "x", "spec": {"location": {}, "powerOn": false, "template": false}}), "NotSupported").await;
    // A template needs a pool to become a VM; with one, powerOn works.
    let tpl = find(&s, "DC0/vm/templates/tpl-ubuntu-22.04");
    fails_unchanged(&s, &tpl, "CloneVM_Task", json!({"folder": dev.to_json(), "name": "from-tpl", "spec": {"location": {}, "powerOn": true, "template": false}}), "InvalidArgument").await;
    let pool = find(&s, "DC0/host/prod/Resources/web-tier");
    let r = ok(&s, &tpl, "CloneVM_Task", json!({"folder": dev.to_json(), "name": "from-tpl", "spec": {"location": {"pool": pool.to_json()}, "powerOn": true, "template": false}})).await;
    let from_tpl = MoRef::from_json(&r).unwrap_or_else(|| panic!("ref"));
    assert_eq!(
        read_str(&s, &from_tpl, "runtime.powerState").await,
        "poweredOn"
    );
    assert_eq!(
        read(&s, &from_tpl, "config.template").await,
        Some(json!(false))
    );
    assert!(ref_values(read(&s, &pool, "vm").await).contains(&from_tpl.value));
    // Misspelt spec fields are reported.
    let r = call(&s, &src, "CloneVM_Task", json!({"folder": dev.to_json(), "name": "y", "spec": {"locaton": {}, "powerOn": false, "template": false}})).await;
    assert!(
        matches!(&r, Err(VsError::InvalidArgument(m)) if m.contains("spec.locaton")),
        "{r:?}"
    );
}

#[tokio::test]
async fn destroy_requires_power_off() {
    let s = sim();
    let vm = find(&s, "DC0/vm/web/web-02");
    let host = MoRef::from_json(&read(&s, &vm, "runtime.host").await.unwrap_or_default())
        .unwrap_or_else(|| panic!("host"));
    fails_unchanged(&s, &vm, "Destroy_Task", json!({}), "InvalidPowerState").await;
    ok(&s, &vm, "PowerOffVM_Task", json!({})).await;
    ok(&s, &vm, "Destroy_Task", json!({})).await;
    assert!(s.find_by_path("DC0/vm/web/web-02").is_none());
    assert!(!ref_values(read(&s, &host, "vm").await).contains(&vm.value));
    assert!(
        !ref_values(read(&s, &find(&s, "DC0/vm/web"), "childEntity").await).contains(&vm.value)
    );
    assert_eq!(
        fault_type(&call(&s, &vm, "PowerOnVM_Task", json!({})).await),
        "ManagedObjectNotFound"
    );

    // A snapshotted VM takes its snapshots with it.
    let db2 = find(&s, "DC0/vm/db/db-02");
    let snap = MoRef::from_json(&tree(&s, &db2).await["rootSnapshotList"][0]["snapshot"])
        .unwrap_or_else(|| panic!("snapshot"));
    ok(&s, &db2, "PowerOffVM_Task", json!({})).await;
    ok(&s, &db2, "Destroy_Task", json!({})).await;
    assert_eq!(
        fault_type(&call(&s, &snap, "RevertToSnapshot_Task", json!({})).await),
        "ManagedObjectNotFound"
    );
}

#[tokio::test]
async fn rename_checks_names() {
    let s = sim();
    let vm = find(&s, "DC0/vm/web/web-03");
    ok(&s, &vm, "Rename_Task", json!({"newName": "web-03-old"})).await;
    assert_eq!(read_str(&s, &vm, "name").await, "web-03-old");
    assert_eq!(read_str(&s, &vm, "config.name").await, "web-03-old");
    assert_eq!(read_str(&s, &vm, "summary.config.name").await, "web-03-old");
    fails_unchanged(
        &s,
        &vm,
        "Rename_Task",
        json!({"newName": "web-01"}),
        "DuplicateName",
    )
    .await;
    fails_unchanged(
        &s,
        &vm,
        "Rename_Task",
        json!({"newName": ""}),
        "InvalidName",
    )
    .await;
    ok(&s, &vm, "Rename_Task", json!({"newName": "a/b"})).await;
    assert_eq!(read_str(&s, &vm, "name").await, "a%2fb");
    assert_eq!(s.find_by_path("DC0/vm/web/a%2fb"), Some(vm.clone()));
    let r = call(&s, &vm, "Rename_Task", json!({})).await;
    assert!(
        matches!(&r, Err(VsError::InvalidArgument(m)) if m.contains("`newName`")),
        "{r:?}"
    );
    // Folders rename too; a datacenter's own folders do not.
    let web = find(&s, "DC0/vm/web");
    ok(&s, &web, "Rename_Task", json!({"newName": "frontend"})).await;
    assert!(s.find_by_path("DC0/vm/frontend/web-01").is_some());
    fails_unchanged(
        &s,
        &find(&s, "DC0/vm"),
        "Rename_Task",
        json!({"newName": "x"}),
        "NotSupported",
    )
    .await;
}

// ---------------------------------------------------------------- maintenance

#[tokio::test]
async fn maintenance_in_a_drs_cluster_migrates_running_vms() {
    let s = sim();
    let esx01 = find(&s, "DC0/host/prod/esx-01.lab.local");
    let before = ref_values(read(&s, &esx01, "vm").await);
    let running: Vec<String> = {
        let m = s.lock();
        before
            .iter()
            .filter(|v| m.get(v).is_some_and(|o| o.power() == model::Power::On))
            .cloned()
            .collect()
    };
    assert!(running.len() >= 2, "esx-01 runs VMs: {running:?}");
    ok(
        &s,
        &esx01,
        "EnterMaintenanceMode_Task",
        json!({"timeout": 0}),
    )
    .await;
    assert_eq!(
        read(&s, &esx01, "runtime.inMaintenanceMode").await,
        Some(json!(true))
    );
    let after = ref_values(read(&s, &esx01, "vm").await);
    for v in &running {
        assert!(!after.contains(v), "{v} left esx-01");
        let vm = MoRef::new("VirtualMachine", v.clone());
        let h = MoRef::from_json(&read(&s, &vm, "runtime.host").await.unwrap_or_default())
            .unwrap_or_else(|| panic!("host"));
        assert_ne!(h, esx01);
        assert!(ref_values(read(&s, &h, "vm").await).contains(v));
        assert_eq!(read_str(&s, &vm, "runtime.powerState").await, "poweredOn");
    }
    // The powered-off template stays without evacuatePoweredOffVms.
    let tpl = find(&s, "DC0/vm/templates/tpl-win2022");
    assert!(after.contains(&tpl.value));
    let prod = find(&s, "DC0/host/prod");
    assert_eq!(
        read(&s, &prod, "summary.numEffectiveHosts").await,
        Some(json!(2))
    );
    assert_eq!(
        read(&s, &prod, "summary.numVmotions").await,
        Some(json!(running.len()))
    );

    fails_unchanged(
        &s,
        &esx01,
        "EnterMaintenanceMode_Task",
        json!({"timeout": 0}),
        "InvalidState",
    )
    .await;
    ok(
        &s,
        &esx01,
        "ExitMaintenanceMode_Task",
        json!({"timeout": 0}),
    )
    .await;
    assert_eq!(
        read(&s, &esx01, "runtime.inMaintenanceMode").await,
        Some(json!(false))
    );
    fails_unchanged(
        &s,
        &esx01,
        "ExitMaintenanceMode_Task",
        json!({"timeout": 0}),
        "InvalidState",
    )
    .await;
}

#[tokio::test]
async fn maintenance_evacuates_powered_off_vms_on_request() {
    let s = sim();
    let esx03 = find(&s, "DC0/host/prod/esx-03.lab.local");
    ok(
        &s,
        &esx03,
        "EnterMaintenanceMode_Task",
        json!({"timeout": 60, "evacuatePoweredOffVms": true}),
    )
    .await;
    assert_eq!(
        ref_values(read(&s, &esx03, "vm").await),
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn maintenance_fails_when_vms_cannot_leave() {
    let s = sim();
    // A standalone host with a running VM.
    let esx05 = find(&s, "DC0/host/esx-05.lab.local/esx-05.lab.local");
    let e = fails_unchanged(
        &s,
        &esx05,
        "EnterMaintenanceMode_Task",
        json!({"timeout": 0}),
        "Timedout",
    )
    .await;
    assert!(e.to_string().contains("legacy-01"), "{e}");
    // A cluster without DRS.
    let esx04 = find(&s, "DC0/host/dev/esx-04.lab.local");
    fails_unchanged(
        &s,
        &esx04,
        "EnterMaintenanceMode_Task",
        json!({"timeout": 0}),
        "Timedout",
    )
    .await;
    // Once the VM is off the standalone host can enter; then the VM cannot start there.
    let legacy = find(&s, "DC0/vm/infra/legacy-01");
    ok(&s, &legacy, "PowerOffVM_Task", json!({})).await;
    ok(
        &s,
        &esx05,
        "EnterMaintenanceMode_Task",
        json!({"timeout": 0}),
    )
    .await;
    let e = fails_unchanged(&s, &legacy, "PowerOnVM_Task", json!({}), "InvalidHostState").await;
    if let VsError::Fault(f) = e {
        assert_eq!(f.detail["host"]["value"], esx05.value);
    }
    // esx-06 is in maintenance mode in the fixture.
    let esx06 = find(&s, "DC0/host/dev/esx-06.lab.local");
    assert_eq!(
        read(&s, &esx06, "runtime.inMaintenanceMode").await,
        Some(json!(true))
    );
    fails_unchanged(
        &s,
        &esx06,
        "EnterMaintenanceMode_Task",
        json!({"timeout": 0}),
        "InvalidState",
    )
    .await;
}

#[tokio::test]
async fn drs_cannot_evacuate_vms_on_local_storage() {
    let fixture = r#"{"datacenters": [{"name": "DC", "datastores": [{"name": "shared"}, {"name": "local-a"}],
        "networks": ["net"],
        "clusters": [{"name": "c", "drs": true, "hosts": [
            {"name": "a", "datastores": ["shared", "local-a"]}, {"name": "b", "datastores": ["shared"]}]}],
        "vms": [{"name": "pinned", "host": "a", "datastore": "local-a", "power": "poweredOn"},
                {"name": "mobile", "host": "a", "datastore": "shared", "power": "poweredOn"}]}]}"#;
    let s = SimBackend::from_fixture_json(fixture)
        .unwrap_or_else(|e| panic!("{e}"))
        .with_task_delay(Duration::ZERO);
    let a = find(&s, "DC/host/c/a");
    let e = fails_unchanged(
        &s,
        &a,
        "EnterMaintenanceMode_Task",
        json!({"timeout": 30}),
        "Timedout",
    )
    .await;
    assert!(e.to_string().contains("pinned"), "{e}");
    ok(&s, &find(&s, "DC/vm/pinned"), "PowerOffVM_Task", json!({})).await;
    ok(&s, &a, "EnterMaintenanceMode_Task", json!({"timeout": 30})).await;
    let mobile = find(&s, "DC/vm/mobile");
    assert_eq!(
        read(&s, &mobile, "runtime.host")
            .await
            .and_then(|v| MoRef::from_json(&v)),
        Some(find(&s, "DC/host/c/b"))
    );
}

// ---------------------------------------------------------------- search

#[tokio::test]
async fn search_index_finds_by_path_and_more() {
    let s = sim();
    let si = search_index();
    let r = ok(
        &s,
        &si,
        "FindByInventoryPath",
        json!({"inventoryPath": "DC0/vm/web/web-01"}),
    )
    .await;
    assert_eq!(MoRef::from_json(&r), Some(find(&s, "DC0/vm/web/web-01")));
    assert_eq!(
        MoRef::from_json(&r).map(|x| x.kind),
        Some("VirtualMachine".into())
    );
    let a = ok(
        &s,
        &si,
        "FindByInventoryPath",
        json!({"inventoryPath": "DC0/vm/web/app-01"}),
    )
    .await;
    let b = ok(
        &s,
        &si,
        "FindByInventoryPath",
        json!({"inventoryPath": "DC0/vm/dev/app-01"}),
    )
    .await;
    assert_ne!(a, b);
    assert_eq!(
        ok(
            &s,
            &si,
            "FindByInventoryPath",
            json!({"inventoryPath": "DC0/vm/web/nope"})
        )
        .await,
        Value::Null
    );
    assert_eq!(
        ok(&s, &si, "FindByInventoryPath", json!({"inventoryPath": ""})).await,
        Value::Null
    );
    let dc = ok(
        &s,
        &si,
        "FindByInventoryPath",
        json!({"inventoryPath": "DC0"}),
    )
    .await;
    assert_eq!(dc["type"], "Datacenter");
    let h = ok(
        &s,
        &si,
        "FindByInventoryPath",
        json!({"inventoryPath": "DC0/host/prod/esx-02.lab.local"}),
    )
    .await;
    assert_eq!(h["type"], "HostSystem");
    let pool = ok(
        &s,
        &si,
        "FindByInventoryPath",
        json!({"inventoryPath": "DC0/host/prod/Resources/db-tier"}),
    )
    .await;
    assert_eq!(pool["type"], "ResourcePool");

    let web = find(&s, "DC0/vm/web");
    let c = ok(
        &s,
        &si,
        "FindChild",
        json!({"entity": web.to_json(), "name": "web-02"}),
    )
    .await;
    assert_eq!(MoRef::from_json(&c), Some(find(&s, "DC0/vm/web/web-02")));
    assert_eq!(
        ok(
            &s,
            &si,
            "FindChild",
            json!({"entity": web.to_json(), "name": "db-01"})
        )
        .await,
        Value::Null
    );
    fails_unchanged(
        &s,
        &si,
        "FindChild",
        json!({"entity": {"type": "Folder", "value": "group-v999"}, "name": "x"}),
        "ManagedObjectNotFound",
    )
    .await;

    let web01 = find(&s, "DC0/vm/web/web-01");
    let uuid = read_str(&s, &web01, "config.uuid").await;
    let r = ok(
        &s,
        &si,
        "FindByUuid",
        json!({"uuid": uuid, "vmSearch": true}),
    )
    .await;
    assert_eq!(MoRef::from_json(&r), Some(web01.clone()));
    let iuuid = read_str(&s, &web01, "config.instanceUuid").await;
    let r = ok(
        &s,
        &si,
        "FindByUuid",
        json!({"uuid": iuuid, "vmSearch": true, "instanceUuid": true}),
    )
    .await;
    assert_eq!(MoRef::from_json(&r), Some(web01.clone()));
    let r = ok(
        &s,
        &si,
        "FindByIp",
        json!({"ip": "10.10.1.11", "vmSearch": true}),
    )
    .await;
    assert_eq!(MoRef::from_json(&r), Some(web01.clone()));
    let r = ok(
        &s,
        &si,
        "FindByDnsName",
        json!({"dnsName": "web-01.lab.local", "vmSearch": true}),
    )
    .await;
    assert_eq!(MoRef::from_json(&r), Some(web01.clone()));
    let r = ok(
        &s,
        &si,
        "FindAllByDnsName",
        json!({"dnsName": "esx-01.lab.local", "vmSearch": false}),
    )
    .await;
    assert_eq!(r.as_array().map(Vec::len), Some(1));
    let r = ok(
        &s,
        &si,
        "FindByDatastorePath",
        json!({"datacenter": find(&s, "DC0").to_json(), "path": "[ds-prod-01] web-01/web-01.vmx"}),
    )
    .await;
    assert_eq!(MoRef::from_json(&r), Some(web01));
}

// ---------------------------------------------------------------- call errors

#[tokio::test]
async fn call_errors_name_the_method_and_argument() {
    let s = sim();
    let vm = find(&s, "DC0/vm/web/web-01");
    let e = fails_unchanged(&s, &vm, "FlyToTheMoon_Task", json!({}), "MethodNotFound").await;
    assert!(
        e.to_string().contains("FlyToTheMoon_Task") && e.to_string().contains("VirtualMachine"),
        "{e}"
    );
    fails_unchanged(
        &s,
        &find(&s, "DC0/host/prod/esx-01.lab.local"),
        "PowerOnVM_Task",
        json!({}),
        "MethodNotFound",
    )
    .await;
    fails_unchanged(
        &s,
        &MoRef::new("VirtualMachine", "vm-99999"),
        "PowerOnVM_Task",
        json!({}),
        "ManagedObjectNotFound",
    )
    .await;

    let r = call(
        &s,
        &vm,
        "CreateSnapshot_Task",
        json!({"name": "x", "memory": "yes", "quiesce": false}),
    )
    .await;
    assert!(
        matches!(&r, Err(VsError::InvalidArgument(m)) if m.contains("`memory`") && m.contains("true or false")),
        "{r:?}"
    );
    let r = call(
        &s,
        &vm,
        "CreateSnapshot_Task",
        json!({"memory": false, "quiesce": false}),
    )
    .await;
    assert!(
        matches!(&r, Err(VsError::InvalidArgument(m)) if m.contains("`name`")),
        "{r:?}"
    );
    let r = call(&s, &vm, "PowerOnVM_Task", json!({"host": "esx-01"})).await;
    assert!(
        matches!(&r, Err(VsError::InvalidArgument(m)) if m.contains("`host`") && m.contains("HostSystem")),
        "{r:?}"
    );
    let r = call(&s, &vm, "PowerOffVM_Task", json!({"force": true})).await;
    assert!(
        matches!(&r, Err(VsError::InvalidArgument(m)) if m.contains("`force`")),
        "{r:?}"
    );
    let r = call(
        &s,
        &find(&s, "DC0/host/prod/esx-01.lab.local"),
        "EnterMaintenanceMode_Task",
        json!({}),
    )
    .await;
    assert!(
        matches!(&r, Err(VsError::InvalidArgument(m)) if m.contains("`timeout`")),
        "{r:?}"
    );
    // A host given by reference must exist.
    fails_unchanged(
        &s,
        &find(&s, "DC0/vm/web/web-03"),
        "PowerOnVM_Task",
        json!({"host": {"type": "HostSystem", "value": "host-9999"}}),
        "ManagedObjectNotFound",
    )
    .await;
}

#[tokio::test]
async fn power_on_with_a_host_moves_the_vm_within_its_cluster() {
    let s = sim();
    let vm = find(&s, "DC0/vm/web/web-03");
    let esx02 = find(&s, "DC0/host/prod/esx-02.lab.local");
    ok(&s, &vm, "PowerOnVM_Task", json!({"host": esx02.to_json()})).await;
    assert_eq!(
        read(&s, &vm, "runtime.host")
            .await
            .and_then(|v| MoRef::from_json(&v)),
        Some(esx02)
    );
    // A host of another cluster is refused.
    let other = find(&s, "DC0/vm/web/web-01");
    ok(&s, &other, "PowerOffVM_Task", json!({})).await;
    let esx04 = find(&s, "DC0/host/dev/esx-04.lab.local");
    fails_unchanged(
        &s,
        &other,
        "PowerOnVM_Task",
        json!({"host": esx04.to_json()}),
        "InvalidArgument",
    )
    .await;
}

#[tokio::test]
async fn folders_and_pools() {
    let s = sim();
    let vmf = find(&s, "DC0/vm");
    let r = ok(&s, &vmf, "CreateFolder", json!({"name": "ops"})).await;
    let ops = MoRef::from_json(&r).unwrap_or_else(|| panic!("folder ref"));
    assert_eq!(s.inventory_path(&ops).as_deref(), Some("DC0/vm/ops"));
    fails_unchanged(
        &s,
        &vmf,
        "CreateFolder",
        json!({"name": "ops"}),
        "DuplicateName",
    )
    .await;
    fails_unchanged(
        &s,
        &find(&s, "DC0/vm/web"),
        "Destroy_Task",
        json!({}),
        "NotSupported",
    )
    .await;
    ok(&s, &ops, "Destroy_Task", json!({})).await;
    assert!(s.find_by_path("DC0/vm/ops").is_none());
    // Destroying a pool moves its VMs to the parent pool.
    let tier = find(&s, "DC0/host/prod/Resources/web-tier");
    let vms = ref_values(read(&s, &tier, "vm").await);
    ok(&s, &tier, "Destroy_Task", json!({})).await;
    let root = find(&s, "DC0/host/prod/Resources");
    let now = ref_values(read(&s, &root, "vm").await);
    assert!(vms.iter().all(|v| now.contains(v)));
}

#[tokio::test]
async fn migrate_moves_a_running_vm() {
    let s = sim();
    let vm = find(&s, "DC0/vm/web/web-01");
    let esx03 = find(&s, "DC0/host/prod/esx-03.lab.local");
    ok(
        &s,
        &vm,
        "MigrateVM_Task",
        json!({"host": esx03.to_json(), "priority": "defaultPriority"}),
    )
    .await;
    assert_eq!(
        read(&s, &vm, "runtime.host")
            .await
            .and_then(|v| MoRef::from_json(&v)),
        Some(esx03)
    );
    let esx05 = find(&s, "DC0/host/esx-05.lab.local/esx-05.lab.local");
    fails_unchanged(
        &s,
        &vm,
        "MigrateVM_Task",
        json!({"host": esx05.to_json(), "priority": "defaultPriority"}),
        "InvalidArgument",
    )
    .await;
}

#[tokio::test]
async fn service_instance_and_shared_handles() {
    let s = sim();
    let si = MoRef::new("ServiceInstance", "ServiceInstance");
    let content = ok(&s, &si, "RetrieveServiceContent", json!({})).await;
    assert_eq!(content["rootFolder"], root_folder().to_json());
    let t = ok(&s, &si, "CurrentTime", json!({})).await;
    assert!(t.as_str().is_some_and(|x| x.contains('T')));
    // A clone of the backend is another session to the same vCenter.
    let other = s.clone();
    let vm = find(&s, "DC0/vm/web/web-01");
    ok(&other, &vm, "PowerOffVM_Task", json!({})).await;
    assert_eq!(read_str(&s, &vm, "runtime.powerState").await, "poweredOff");
}

#[tokio::test]
async fn tasks_take_a_little_time() {
    let s = SimBackend::demo().with_task_delay(Duration::from_millis(20));
    let vm = find(&s, "DC0/vm/web/web-03");
    let start = std::time::Instant::now();
    ok(&s, &vm, "PowerOnVM_Task", json!({})).await;
    assert!(start.elapsed() >= Duration::from_millis(20));
}

// ---------------------------------------------------------------- fixtures

fn fixture_error(text: &str) -> FixtureError {
    match SimBackend::from_fixture_json(text) {
        Ok(_) => panic!("fixture should not load: {text}"),
        Err(e) => e,
    }
}

#[test]
fn fixture_errors_name_the_entry() {
    let base = |vms: &str| {
        format!(
            r#"{{"datacenters": [{{"name": "DC", "datastores": [{{"name": "ds"}}], "networks": ["n"],
                "clusters": [{{"name": "c", "hosts": [{{"name": "h1"}}]}}], "vms": [{vms}]}}]}}"#
        )
    };
    assert!(SimBackend::from_fixture_json(&base(r#"{"name": "ok", "host": "h1"}"#)).is_ok());

    let e = fixture_error(&base(r#"{"name": "a", "host": "h9"}"#));
    assert!(
        e.entry.contains("vms[0] \"a\"") && e.message.contains("unknown host `h9`"),
        "{e}"
    );
    let e = fixture_error(&base(
        r#"{"name": "a", "host": "h1"}, {"name": "a", "host": "h1"}"#,
    ));
    assert!(
        e.entry.contains("vms[1]") && e.message.contains("already holds"),
        "{e}"
    );
    let e = fixture_error(&base(r#"{"name": "a", "host": "h1", "power": "on"}"#));
    assert!(e.message.contains("unknown variant `on`"), "{e}");
    let e = fixture_error(&base(r#"{"name": "a", "host": "h1", "cpus": 2}"#));
    assert!(e.message.contains("unknown field `cpus`"), "{e}");
    let e = fixture_error(&base(r#"{"name": "a", "host": "h1", "datastore": "nope"}"#));
    assert!(e.message.contains("unknown datastore `nope`"), "{e}");
    let e = fixture_error(&base(r#"{"name": "a", "host": "h1", "guestId": "dos"}"#));
    assert!(e.message.contains("unknown guestId `dos`"), "{e}");
    let e = fixture_error(&base(
        r#"{"name": "a", "host": "h1", "template": true, "power": "poweredOn"}"#,
    ));
    assert!(e.message.contains("template"), "{e}");
    let e = fixture_error(&base(
        r#"{"name": "a", "host": "h1", "snapshots": [{"name": "s", "current": true, "children": [{"name": "t", "current": true}]}]}"#,
    ));
    assert!(
        e.entry.contains("children[0] \"t\"") && e.message.contains("current"),
        "{e}"
    );
    let e = fixture_error(&base(
        r#"{"name": "a", "host": "h1", "snapshots": [{"name": "s", "createTime": "yesterday"}]}"#,
    ));
    assert!(e.message.contains("RFC 3339"), "{e}");
    let e = fixture_error(&base(
        r#"{"name": "a", "host": "h1", "resourcePool": "gold"}"#,
    ));
    assert!(e.message.contains("resource pool `gold`"), "{e}");
    let e = fixture_error(
        r#"{"datacenters": [{"name": "DC", "datastores": [{"name": "ds"}],
        "clusters": [{"name": "c", "hosts": [{"name": "h1", "datastores": ["other"]}]}]}]}"#,
    );
    assert!(
        e.entry.contains("hosts[0] \"h1\"") && e.message.contains("unknown datastore `other`"),
        "{e}"
    );
    let e = fixture_error("{\"datacenters\": [");
    assert!(
        e.entry.contains("JSON") && e.message.contains("line"),
        "{e}"
    );
    let e = fixture_error(
        r#"{"datacenters": [{"name": "DC", "hosts": [{"name": "h"}, {"name": "h"}]}]}"#,
    );
    assert!(e.entry.contains("hosts[1]"), "{e}");
}

#[test]
fn fixture_files_load_and_report_the_file() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/demo-inventory.json");
    assert!(SimBackend::from_fixture_file(path).is_ok());
    let e = SimBackend::from_fixture_file("/nonexistent/inventory.json")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        e.contains("/nonexistent/inventory.json") && e.contains("cannot read"),
        "{e}"
    );
}

#[tokio::test]
async fn fixture_built_inventory_has_defaults() {
    let s = SimBackend::from_fixture_json(
        r#"{"datacenters": [{"name": "Lab", "folder": "EU/Paris", "datastores": [{"name": "ds", "capacityGB": 100, "freeGB": 80}],
            "networks": ["VM Network"], "hosts": [{"name": "esx"}],
            "vms": [{"name": "v/1", "host": "esx", "power": "poweredOn", "ip": "10.0.0.1"}]}]}"#,
    )
    .unwrap_or_else(|e| panic!("{e}"))
    .with_task_delay(Duration::ZERO);
    let vm = find(&s, "EU/Paris/Lab/vm/v%2f1");
    assert_eq!(read_str(&s, &vm, "guest.ipAddress").await, "10.0.0.1");
    assert_eq!(
        read(&s, &vm, "config.hardware.numCPU").await,
        Some(json!(1))
    );
    assert_eq!(
        read(&s, &vm, "network")
            .await
            .and_then(|n| n.as_array().map(Vec::len)),
        Some(1)
    );
    let cr = find(&s, "EU/Paris/Lab/host/esx");
    assert_eq!(cr.kind, "ComputeResource");
    assert_eq!(read(&s, &cr, "summary.numHosts").await, Some(json!(1)));
}

#[tokio::test]
async fn disconnected_hosts_maintenance_reverts_and_deep_trees() {
    let s = SimBackend::from_fixture_json(
        r#"{"datacenters": [{"name": "DC", "datastores": [{"name": "ds"}], "networks": ["n"],
            "hosts": [{"name": "gone", "connectionState": "disconnected"}, {"name": "up"}],
            "vms": [{"name": "lost", "host": "gone", "power": "poweredOn", "snapshots": [{"name": "s"}]},
                    {"name": "warm", "host": "up", "snapshots": [{"name": "live", "memory": true}]},
                    {"name": "deep", "host": "up"}]}]}"#,
    )
    .unwrap_or_else(|e| panic!("{e}"))
    .with_task_delay(Duration::ZERO);

    // A VM on a disconnected host shows it and refuses operations, but can be renamed.
    let lost = find(&s, "DC/vm/lost");
    assert_eq!(
        read_str(&s, &lost, "runtime.connectionState").await,
        "disconnected"
    );
    fails_unchanged(&s, &lost, "PowerOffVM_Task", json!({}), "InvalidState").await;
    fails_unchanged(
        &s,
        &lost,
        "RemoveAllSnapshots_Task",
        json!({}),
        "InvalidState",
    )
    .await;
    ok(&s, &lost, "Rename_Task", json!({"newName": "lost-renamed"})).await;
    let gone = find(&s, "DC/host/gone/gone");
    fails_unchanged(
        &s,
        &gone,
        "EnterMaintenanceMode_Task",
        json!({"timeout": 0}),
        "InvalidState",
    )
    .await;
    assert_eq!(read_str(&s, &gone, "overallStatus").await, "gray");

    // Reverting to a powered-on snapshot needs a host that can run the VM.
    let warm = find(&s, "DC/vm/warm");
    let up = find(&s, "DC/host/up/up");
    ok(&s, &up, "EnterMaintenanceMode_Task", json!({"timeout": 0})).await;
    fails_unchanged(
        &s,
        &warm,
        "RevertToCurrentSnapshot_Task",
        json!({}),
        "InvalidHostState",
    )
    .await;
    ok(
        &s,
        &warm,
        "RevertToCurrentSnapshot_Task",
        json!({"suppressPowerOn": true}),
    )
    .await;
    assert_eq!(read_str(&s, &warm, "runtime.powerState").await, "suspended");
    ok(&s, &up, "ExitMaintenanceMode_Task", json!({"timeout": 0})).await;
    ok(&s, &warm, "PowerOffVM_Task", json!({})).await;
    ok(&s, &warm, "RevertToCurrentSnapshot_Task", json!({})).await;
    assert_eq!(read_str(&s, &warm, "runtime.powerState").await, "poweredOn");

    // vSphere allows 32 levels of snapshots.
    let deep = find(&s, "DC/vm/deep");
    for i in 0..32 {
        ok(
            &s,
            &deep,
            "CreateSnapshot_Task",
            json!({"name": format!("s{i}"), "memory": false, "quiesce": false}),
        )
        .await;
    }
    fails_unchanged(
        &s,
        &deep,
        "CreateSnapshot_Task",
        json!({"name": "one-too-many", "memory": false, "quiesce": false}),
        "TooManySnapshotLevels",
    )
    .await;
    let t = tree(&s, &deep).await;
    let ids: Vec<i64> = {
        let mut out = Vec::new();
        let mut cur = t["rootSnapshotList"].clone();
        while let Some(n) = cur.get(0).cloned() {
            out.push(n["id"].as_i64().unwrap_or(0));
            cur = n["childSnapshotList"].clone();
        }
        out
    };
    assert_eq!(
        ids,
        (1..=32).collect::<Vec<i64>>(),
        "tree ids count up per VM"
    );
}
