//! The properties vSphere computes rather than stores: inverse links
//! (`childEntity`, a host's `vm`, a datastore's `vm` and `host`), summaries,
//! guest information and quick statistics. They are recomputed from the
//! primary properties after every change, so no method can leave a link or a
//! summary stale.

use std::collections::HashMap;

use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::model::{Meta, Model, Object, Power, Tools, fmt_time, parse_time, reference};

/// The VM's configured memory in MB.
pub(super) fn vm_memory_mb(vm: &Object) -> i64 {
    vm.int("config.hardware.memoryMB").unwrap_or(0)
}

/// The VM's vCPUs.
pub(super) fn vm_num_cpu(vm: &Object) -> i64 {
    vm.int("config.hardware.numCPU").unwrap_or(0)
}

/// True while VMware Tools runs in the guest (the VM is on and tools are installed and started).
pub(super) fn tools_running(vm: &Object) -> bool {
    vm.power() == Power::On
        && vm
            .vm_meta()
            .is_some_and(|m| matches!(m.tools, Tools::Running | Tools::Old))
}

fn devices(vm: &Object) -> &[Value] {
    match vm.get("config.hardware.device") {
        Some(Value::Array(a)) => a,
        _ => &[],
    }
}

fn is_nic(d: &Value) -> bool {
    d.get("macAddress").is_some()
}

fn is_disk(d: &Value) -> bool {
    d.get("_typeName").and_then(Value::as_str) == Some("VirtualDisk")
}

/// Bytes the VM's files take on its datastore: disks, a few MB of
/// configuration and logs, and a swap or suspend file the size of its memory
/// while it is on or suspended.
pub(super) fn vm_committed(vm: &Object) -> i64 {
    let disks: i64 = devices(vm)
        .iter()
        .filter(|d| is_disk(d))
        .filter_map(|d| d.get("capacityInBytes").and_then(Value::as_i64))
        .sum();
    let memory = if vm.power() == Power::Off {
        0
    } else {
        vm_memory_mb(vm) * 1024 * 1024
    };
    disks + memory + 2 * 1024 * 1024
}

fn host_mhz(m: &Model, host: Option<&str>) -> i64 {
    host.and_then(|h| m.get(h))
        .and_then(Object::host_meta)
        .map(|h| h.cpu_mhz)
        .unwrap_or(2000)
}

/// The VM's CPU use in MHz (`summary.quickStats.overallCpuUsage`).
pub(super) fn vm_cpu_usage(m: &Model, vm: &Object) -> i64 {
    if vm.power() != Power::On {
        return 0;
    }
    let pct = vm.vm_meta().map(|x| x.cpu_pct).unwrap_or(10);
    vm_num_cpu(vm) * host_mhz(m, vm.ref_id("runtime.host").as_deref()) * pct / 100
}

/// Guest memory in use in MB (`summary.quickStats.guestMemoryUsage`).
fn vm_guest_mem(vm: &Object) -> i64 {
    if vm.power() != Power::On {
        return 0;
    }
    vm_memory_mb(vm) * vm.vm_meta().map(|x| x.mem_pct).unwrap_or(20) / 100
}

/// Host memory the VM consumes in MB (`summary.quickStats.hostMemoryUsage`).
pub(super) fn vm_host_mem(vm: &Object) -> i64 {
    if vm.power() != Power::On {
        return 0;
    }
    (vm_guest_mem(vm) + vm_memory_mb(vm) / 20 + 32).min(vm_memory_mb(vm) + 64)
}

fn seconds_since(t: Option<&str>, now: OffsetDateTime) -> i64 {
    t.and_then(parse_time)
        .map(|b| (now - b).whole_seconds().max(0))
        .unwrap_or(0)
}

/// Inverse links, gathered once per resync.
#[derive(Default)]
struct Index {
    children: HashMap<String, Vec<String>>,
    host_vms: HashMap<String, Vec<String>>,
    pool_vms: HashMap<String, Vec<String>>,
    ds_vms: HashMap<String, Vec<String>>,
    net_vms: HashMap<String, Vec<String>>,
    ds_hosts: HashMap<String, Vec<String>>,
    net_hosts: HashMap<String, Vec<String>>,
}

fn index(m: &Model) -> Index {
    let mut all: Vec<&Object> = m.objects().collect();
    all.sort_by_key(|o| o.seq);
    let mut ix = Index::default();
    for o in all {
        if let Some(p) = o.ref_id("parent") {
            ix.children.entry(p).or_default().push(o.id.clone());
        }
        match o.kind.as_str() {
            "VirtualMachine" => {
                if let Some(h) = o.ref_id("runtime.host") {
                    ix.host_vms.entry(h).or_default().push(o.id.clone());
                }
                if let Some(p) = o.ref_id("resourcePool") {
                    ix.pool_vms.entry(p).or_default().push(o.id.clone());
                }
                for d in o.ref_ids("datastore") {
                    ix.ds_vms.entry(d).or_default().push(o.id.clone());
                }
                for n in o.ref_ids("network") {
                    ix.net_vms.entry(n).or_default().push(o.id.clone());
                }
            }
            "HostSystem" => {
                for d in o.ref_ids("datastore") {
                    ix.ds_hosts.entry(d).or_default().push(o.id.clone());
                }
                for n in o.ref_ids("network") {
                    ix.net_hosts.entry(n).or_default().push(o.id.clone());
                }
            }
            _ => {}
        }
    }
    ix
}

fn refs(m: &Model, ids: Option<&Vec<String>>) -> Value {
    Value::Array(
        ids.into_iter()
            .flatten()
            .filter_map(|id| m.moref(id))
            .map(|r| r.to_json())
            .collect(),
    )
}

fn refs_where(m: &Model, ids: Option<&Vec<String>>, kind: &str) -> Value {
    Value::Array(
        ids.into_iter()
            .flatten()
            .filter_map(|id| m.get(id))
            .filter(|o| o.kind == kind)
            .map(Object::moref)
            .map(|r| r.to_json())
            .collect(),
    )
}

type Update = (String, &'static str, Option<Value>);

/// Recompute every derived property from the primary ones.
pub(super) fn resync(m: &mut Model, now: OffsetDateTime) {
    let ix = index(m);
    let mut updates: Vec<Update> = Vec::new();
    for o in m.objects() {
        match o.kind.as_str() {
            "Folder" => updates.push((
                o.id.clone(),
                "childEntity",
                Some(refs(m, ix.children.get(&o.id))),
            )),
            "Datacenter" => datacenter(m, o, &mut updates),
            "ComputeResource" | "ClusterComputeResource" => compute(m, &ix, o, &mut updates),
            "ResourcePool" => pool(m, &ix, o, &mut updates),
            "HostSystem" => host(m, &ix, o, now, &mut updates),
            "VirtualMachine" => vm(m, o, now, &mut updates),
            "VirtualMachineSnapshot" => snapshot(m, o, &mut updates),
            "Datastore" => datastore(m, &ix, o, now, &mut updates),
            "Network" => {
                updates.push((o.id.clone(), "host", Some(refs(m, ix.net_hosts.get(&o.id)))));
                updates.push((o.id.clone(), "vm", Some(refs(m, ix.net_vms.get(&o.id)))));
                updates.push((o.id.clone(), "summary.name", Some(json!(o.name()))));
            }
            _ => {}
        }
    }
    for (id, path, value) in updates {
        if let Some(o) = m.get_mut(&id) {
            match value {
                Some(v) => o.set(path, v),
                None => o.unset(path),
            }
        }
    }
}

fn datacenter(m: &Model, o: &Object, out: &mut Vec<Update>) {
    let under = |folder: Option<String>, kind: &str| -> Value {
        let Some(f) = folder else { return json!([]) };
        let ids: Vec<String> = m
            .ids_of_kind(kind)
            .into_iter()
            .filter(|id| m.is_within(id, &f))
            .collect();
        refs(m, Some(&ids))
    };
    out.push((
        o.id.clone(),
        "datastore",
        Some(under(o.ref_id("datastoreFolder"), "Datastore")),
    ));
    out.push((
        o.id.clone(),
        "network",
        Some(under(o.ref_id("networkFolder"), "Network")),
    ));
}

fn union_of(m: &Model, hosts: &[String], prop: &str) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for h in hosts {
        if let Some(ho) = m.get(h) {
            for d in ho.ref_ids(prop) {
                if !ids.contains(&d) {
                    ids.push(d);
                }
            }
        }
    }
    ids.sort_by_key(|id| m.get(id).map(|o| o.seq).unwrap_or(u64::MAX));
    ids
}

/// True for a host that can run VMs: connected, powered on, not in maintenance.
pub(super) fn host_effective(h: &Object) -> bool {
    h.str("runtime.connectionState") == Some("connected")
        && h.str("runtime.powerState") == Some("poweredOn")
        && !h.flag("runtime.inMaintenanceMode")
}

fn compute(m: &Model, ix: &Index, o: &Object, out: &mut Vec<Update>) {
    let hosts: Vec<String> = ix
        .children
        .get(&o.id)
        .into_iter()
        .flatten()
        .filter(|id| m.get(id).is_some_and(|h| h.kind == "HostSystem"))
        .cloned()
        .collect();
    out.push((o.id.clone(), "host", Some(refs(m, Some(&hosts)))));
    out.push((
        o.id.clone(),
        "datastore",
        Some(refs(m, Some(&union_of(m, &hosts, "datastore")))),
    ));
    out.push((
        o.id.clone(),
        "network",
        Some(refs(m, Some(&union_of(m, &hosts, "network")))),
    ));
    let (
        mut total_cpu,
        mut total_mem,
        mut cores,
        mut threads,
        mut eff_cpu,
        mut eff_mem,
        mut eff_hosts,
    ) = (0i64, 0i64, 0, 0, 0, 0, 0);
    for h in hosts.iter().filter_map(|id| m.get(id)) {
        let mhz = h.host_meta().map(|x| x.cpu_mhz).unwrap_or(0);
        let c = h.int("hardware.cpuInfo.numCpuCores").unwrap_or(0);
        let mem = h.int("hardware.memorySize").unwrap_or(0);
        total_cpu += mhz * c;
        total_mem += mem;
        cores += c;
        threads += h.int("hardware.cpuInfo.numCpuThreads").unwrap_or(0);
        if host_effective(h) {
            eff_hosts += 1;
            eff_cpu += mhz * c;
            eff_mem += mem / (1024 * 1024);
        }
    }
    let mut summary = json!({
        "_typeName": "ComputeResourceSummary",
        "totalCpu": total_cpu,
        "totalMemory": total_mem,
        "numCpuCores": cores,
        "numCpuThreads": threads,
        "effectiveCpu": eff_cpu,
        "effectiveMemory": eff_mem,
        "numHosts": hosts.len(),
        "numEffectiveHosts": eff_hosts,
        "overallStatus": o.str("overallStatus").unwrap_or("green"),
    });
    if o.kind == "ClusterComputeResource"
        && let Value::Object(s) = &mut summary
    {
        s.insert("_typeName".into(), json!("ClusterComputeResourceSummary"));
        let ha = o.flag("configurationEx.dasConfig.enabled");
        s.insert(
            "currentFailoverLevel".into(),
            json!(if ha && eff_hosts > 1 { 1 } else { 0 }),
        );
        let vmotions = match &o.meta {
            Meta::Compute(c) => c.vmotions,
            _ => 0,
        };
        s.insert("numVmotions".into(), json!(vmotions));
        if o.flag("configurationEx.drsConfig.enabled") {
            s.insert("drsScore".into(), json!(100));
        }
        s.insert(
            "clusterMaintenanceModeStatus".into(),
            json!("notInMaintenanceMode"),
        );
    }
    out.push((o.id.clone(), "summary", Some(summary)));
}

fn pool(m: &Model, ix: &Index, o: &Object, out: &mut Vec<Update>) {
    out.push((
        o.id.clone(),
        "resourcePool",
        Some(refs_where(m, ix.children.get(&o.id), "ResourcePool")),
    ));
    let vms = ix.pool_vms.get(&o.id);
    out.push((o.id.clone(), "vm", Some(refs(m, vms))));
    let configured: i64 = vms
        .into_iter()
        .flatten()
        .filter_map(|id| m.get(id))
        .map(vm_memory_mb)
        .sum();
    let mut summary = json!({ "_typeName": "ResourcePoolSummary", "name": o.name(), "configuredMemoryMB": configured });
    if let (Some(c), Value::Object(s)) = (o.get("config"), &mut summary) {
        s.insert("config".into(), c.clone());
    }
    out.push((o.id.clone(), "summary", Some(summary)));
}

fn host(m: &Model, ix: &Index, o: &Object, now: OffsetDateTime, out: &mut Vec<Update>) {
    let vms = ix.host_vms.get(&o.id);
    out.push((o.id.clone(), "vm", Some(refs(m, vms))));
    let meta = o.host_meta();
    let mhz = meta.map(|x| x.cpu_mhz).unwrap_or(0);
    let cores = o.int("hardware.cpuInfo.numCpuCores").unwrap_or(0);
    let hardware = json!({
        "_typeName": "HostHardwareSummary",
        "vendor": o.str("hardware.systemInfo.vendor").unwrap_or(""),
        "model": o.str("hardware.systemInfo.model").unwrap_or(""),
        "uuid": o.str("hardware.systemInfo.uuid").unwrap_or(""),
        "memorySize": o.int("hardware.memorySize").unwrap_or(0),
        "cpuModel": meta.map(|x| x.cpu_model.as_str()).unwrap_or(""),
        "cpuMhz": mhz,
        "numCpuPkgs": o.int("hardware.cpuInfo.numCpuPackages").unwrap_or(0),
        "numCpuCores": cores,
        "numCpuThreads": o.int("hardware.cpuInfo.numCpuThreads").unwrap_or(0),
        "numNics": 4,
        "numHBAs": 3,
    });
    let mut quick = Map::new();
    quick.insert("_typeName".into(), json!("HostListSummaryQuickStats"));
    let running = o.str("runtime.connectionState") == Some("connected")
        && o.str("runtime.powerState") == Some("poweredOn");
    if running {
        let vm_objs: Vec<&Object> = vms
            .into_iter()
            .flatten()
            .filter_map(|id| m.get(id))
            .collect();
        let cpu = meta.map(|x| x.base_cpu_pct).unwrap_or(2) * mhz * cores / 100
            + vm_objs.iter().map(|v| vm_cpu_usage(m, v)).sum::<i64>();
        let mem = meta.map(|x| x.base_mem_mb).unwrap_or(2048)
            + vm_objs.iter().map(|v| vm_host_mem(v)).sum::<i64>();
        quick.insert("overallCpuUsage".into(), json!(cpu));
        quick.insert("overallMemoryUsage".into(), json!(mem));
        quick.insert("distributedCpuFairness".into(), json!(1000));
        quick.insert("distributedMemoryFairness".into(), json!(1000));
        quick.insert(
            "uptime".into(),
            json!(seconds_since(o.str("runtime.bootTime"), now)),
        );
    }
    let mut config = json!({
        "_typeName": "HostConfigSummary",
        "name": o.name(),
        "port": 443,
        "vmotionEnabled": true,
        "faultToleranceEnabled": false,
    });
    if let (Some(p), Value::Object(c)) = (o.get("config.product"), &mut config) {
        c.insert("product".into(), p.clone());
    }
    let mut summary = Map::new();
    summary.insert("_typeName".into(), json!("HostListSummary"));
    summary.insert("host".into(), o.moref().to_json());
    summary.insert("hardware".into(), hardware);
    if let Some(r) = o.get("runtime") {
        summary.insert("runtime".into(), r.clone());
    }
    summary.insert("config".into(), config);
    summary.insert("quickStats".into(), Value::Object(quick));
    summary.insert(
        "overallStatus".into(),
        json!(o.str("overallStatus").unwrap_or("green")),
    );
    summary.insert("rebootRequired".into(), json!(false));
    out.push((o.id.clone(), "summary", Some(Value::Object(summary))));
}

fn tools_fields(
    vm: &Object,
) -> (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
) {
    let tools = vm.vm_meta().map(|x| x.tools).unwrap_or(Tools::NotInstalled);
    let running = tools_running(vm);
    let status = match (tools, running) {
        (Tools::NotInstalled, _) => "toolsNotInstalled",
        (_, false) => "toolsNotRunning",
        (Tools::Old, true) => "toolsOld",
        _ => "toolsOk",
    };
    let (version_status, version_status2, version) = match tools {
        Tools::NotInstalled => ("guestToolsNotInstalled", "guestToolsNotInstalled", "0"),
        Tools::Old => ("guestToolsNeedUpgrade", "guestToolsSupportedOld", "11365"),
        _ => ("guestToolsCurrent", "guestToolsCurrent", "12421"),
    };
    let running_status = if running {
        "guestToolsRunning"
    } else {
        "guestToolsNotRunning"
    };
    (
        status,
        version_status,
        version_status2,
        running_status,
        version,
    )
}

fn vm(m: &Model, o: &Object, now: OffsetDateTime, out: &mut Vec<Update>) {
    let host_id = o.ref_id("runtime.host");
    let host = host_id.as_deref().and_then(|h| m.get(h));
    let connected = host.is_some_and(|h| h.str("runtime.connectionState") == Some("connected"));
    let power = o.power();
    let running = tools_running(o);
    let meta = o.vm_meta();
    let guest_id = o.str("config.guestId").unwrap_or("otherGuest");
    let guest_full = o.str("config.guestFullName").unwrap_or("");
    let (tools_status, version_status, version_status2, running_status, version) = tools_fields(o);

    // runtime: connection state follows the host; limits follow the hardware.
    let mut runtime = o.get("runtime").cloned().unwrap_or_else(|| json!({}));
    if let Value::Object(r) = &mut runtime {
        r.insert(
            "connectionState".into(),
            json!(if connected {
                "connected"
            } else {
                "disconnected"
            }),
        );
        r.insert(
            "maxCpuUsage".into(),
            json!(vm_num_cpu(o) * host_mhz(m, host_id.as_deref())),
        );
        r.insert("maxMemoryUsage".into(), json!(vm_memory_mb(o)));
    }
    out.push((o.id.clone(), "runtime", Some(runtime.clone())));

    // NICs are connected while the VM runs.
    let devs: Vec<Value> = devices(o)
        .iter()
        .map(|d| {
            let mut d = d.clone();
            if is_nic(&d)
                && let Some(Value::Object(c)) = d.get_mut("connectable")
            {
                c.insert("connected".into(), json!(power == Power::On));
            }
            d
        })
        .collect();
    let nic_count = devs.iter().filter(|d| is_nic(d)).count();
    let disk_count = devs.iter().filter(|d| is_disk(d)).count();
    let first_nic = devs.iter().find(|d| is_nic(d)).cloned();
    out.push((
        o.id.clone(),
        "config.hardware.device",
        Some(Value::Array(devs)),
    ));

    // guest: what VMware Tools reports.
    let mut guest = Map::new();
    guest.insert("_typeName".into(), json!("GuestInfo"));
    guest.insert("toolsStatus".into(), json!(tools_status));
    guest.insert("toolsVersionStatus".into(), json!(version_status));
    guest.insert("toolsVersionStatus2".into(), json!(version_status2));
    guest.insert("toolsRunningStatus".into(), json!(running_status));
    guest.insert("toolsVersion".into(), json!(version));
    if meta.is_some_and(|x| x.tools != Tools::NotInstalled) {
        let install = if guest_id.starts_with("win") {
            "guestToolsTypeMSI"
        } else {
            "guestToolsTypeOpenVMTools"
        };
        guest.insert("toolsInstallType".into(), json!(install));
    }
    guest.insert("guestId".into(), json!(guest_id));
    if !guest_full.is_empty() {
        guest.insert("guestFullName".into(), json!(guest_full));
    }
    let ip = if running {
        meta.and_then(|x| x.ip.clone())
    } else {
        None
    };
    let host_name = if running {
        meta.and_then(|x| x.host_name.clone())
    } else {
        None
    };
    if running {
        guest.insert(
            "guestFamily".into(),
            json!(super::build::guest_family(guest_id)),
        );
        if let Some(h) = &host_name {
            guest.insert("hostName".into(), json!(h));
        }
        if let Some(ip) = &ip {
            guest.insert("ipAddress".into(), json!(ip));
        }
        if let Some(nic) = &first_nic {
            let mut n = Map::new();
            n.insert("_typeName".into(), json!("GuestNicInfo"));
            if let Some(net) = nic.get("backing").and_then(|b| b.get("deviceName")) {
                n.insert("network".into(), net.clone());
            }
            if let Some(ip) = &ip {
                n.insert("ipAddress".into(), json!([ip]));
            }
            if let Some(mac) = nic.get("macAddress") {
                n.insert("macAddress".into(), mac.clone());
            }
            n.insert("connected".into(), json!(true));
            n.insert(
                "deviceConfigId".into(),
                nic.get("key").cloned().unwrap_or(json!(4000)),
            );
            guest.insert("net".into(), json!([Value::Object(n)]));
        }
    }
    guest.insert(
        "guestState".into(),
        json!(if running { "running" } else { "notRunning" }),
    );
    guest.insert("guestOperationsReady".into(), json!(running));
    guest.insert("interactiveGuestOperationsReady".into(), json!(false));
    guest.insert("guestStateChangeSupported".into(), json!(running));
    guest.insert(
        "hwVersion".into(),
        json!(o.str("config.version").unwrap_or("vmx-21")),
    );
    out.push((o.id.clone(), "guest", Some(Value::Object(guest))));

    let heartbeat = if running { "green" } else { "gray" };
    out.push((o.id.clone(), "guestHeartbeatStatus", Some(json!(heartbeat))));

    // rootSnapshot: the roots of the snapshot tree.
    let roots: Vec<Value> = match o.get("snapshot.rootSnapshotList") {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|n| n.get("snapshot").cloned())
            .collect(),
        _ => Vec::new(),
    };
    out.push((o.id.clone(), "rootSnapshot", Some(Value::Array(roots))));

    // summary
    let mut gs = Map::new();
    gs.insert("_typeName".into(), json!("VirtualMachineGuestSummary"));
    gs.insert("guestId".into(), json!(guest_id));
    if !guest_full.is_empty() {
        gs.insert("guestFullName".into(), json!(guest_full));
    }
    gs.insert("toolsStatus".into(), json!(tools_status));
    gs.insert("toolsVersionStatus".into(), json!(version_status));
    gs.insert("toolsVersionStatus2".into(), json!(version_status2));
    gs.insert("toolsRunningStatus".into(), json!(running_status));
    if let Some(h) = &host_name {
        gs.insert("hostName".into(), json!(h));
    }
    if let Some(ip) = &ip {
        gs.insert("ipAddress".into(), json!(ip));
    }
    gs.insert(
        "hwVersion".into(),
        json!(o.str("config.version").unwrap_or("vmx-21")),
    );

    let mut cs = json!({
        "_typeName": "VirtualMachineConfigSummary",
        "name": o.name(),
        "template": o.flag("config.template"),
        "vmPathName": o.str("config.files.vmPathName").unwrap_or(""),
        "memorySizeMB": vm_memory_mb(o),
        "cpuReservation": 0,
        "memoryReservation": 0,
        "numCpu": vm_num_cpu(o),
        "numEthernetCards": nic_count,
        "numVirtualDisks": disk_count,
        "uuid": o.str("config.uuid").unwrap_or(""),
        "instanceUuid": o.str("config.instanceUuid").unwrap_or(""),
        "guestId": guest_id,
        "installBootRequired": false,
        "tpmPresent": false,
        "hwVersion": o.str("config.version").unwrap_or("vmx-21"),
    });
    if let Value::Object(c) = &mut cs {
        if !guest_full.is_empty() {
            c.insert("guestFullName".into(), json!(guest_full));
        }
        if let Some(a) = o.str("config.annotation") {
            c.insert("annotation".into(), json!(a));
        }
    }
    let committed = vm_committed(o);
    let cpu = vm_cpu_usage(m, o);
    let quick = json!({
        "_typeName": "VirtualMachineQuickStats",
        "overallCpuUsage": cpu,
        "overallCpuDemand": cpu,
        "overallCpuReadiness": 0,
        "guestMemoryUsage": vm_guest_mem(o),
        "hostMemoryUsage": vm_host_mem(o),
        "guestHeartbeatStatus": heartbeat,
        "distributedCpuEntitlement": cpu,
        "distributedMemoryEntitlement": vm_host_mem(o),
        "staticCpuEntitlement": 0,
        "staticMemoryEntitlement": 0,
        "grantedMemory": if power == Power::On { vm_memory_mb(o) } else { 0 },
        "privateMemory": vm_host_mem(o),
        "sharedMemory": 0,
        "swappedMemory": 0,
        "balloonedMemory": 0,
        "consumedOverheadMemory": if power == Power::On { 32 } else { 0 },
        "compressedMemory": 0,
        "uptimeSeconds": if power == Power::On { seconds_since(o.str("runtime.bootTime"), now) } else { 0 },
    });
    let summary = json!({
        "_typeName": "VirtualMachineSummary",
        "vm": o.moref().to_json(),
        "runtime": runtime,
        "guest": Value::Object(gs),
        "config": cs,
        "storage": {
            "_typeName": "VirtualMachineStorageSummary",
            "committed": committed,
            "uncommitted": 0,
            "unshared": committed,
            "timestamp": fmt_time(now),
        },
        "quickStats": quick,
        "overallStatus": o.str("overallStatus").unwrap_or("green"),
    });
    out.push((o.id.clone(), "summary", Some(summary)));
}

/// Snapshot id → ids of its children, over a VM's snapshot tree.
pub(super) fn snapshot_children(vm: &Object) -> HashMap<String, Vec<String>> {
    fn walk(list: &[Value], out: &mut HashMap<String, Vec<String>>) {
        for n in list {
            let Some(id) = n
                .get("snapshot")
                .and_then(crate::vsphere::MoRef::from_json)
                .map(|r| r.value)
            else {
                continue;
            };
            let kids: &[Value] = match n.get("childSnapshotList") {
                Some(Value::Array(a)) => a,
                _ => &[],
            };
            out.insert(
                id,
                kids.iter()
                    .filter_map(|k| k.get("snapshot").and_then(crate::vsphere::MoRef::from_json))
                    .map(|r| r.value)
                    .collect(),
            );
            walk(kids, out);
        }
    }
    let mut out = HashMap::new();
    if let Some(Value::Array(roots)) = vm.get("snapshot.rootSnapshotList") {
        walk(roots, &mut out);
    }
    out
}

fn snapshot(m: &Model, o: &Object, out: &mut Vec<Update>) {
    let kids = o
        .ref_id("vm")
        .and_then(|v| m.get(&v))
        .map(snapshot_children)
        .and_then(|mut map| map.remove(&o.id))
        .unwrap_or_default();
    let v: Vec<Value> = kids
        .iter()
        .map(|k| reference("VirtualMachineSnapshot", k))
        .collect();
    out.push((o.id.clone(), "childSnapshot", Some(Value::Array(v))));
}

fn datastore(m: &Model, ix: &Index, o: &Object, now: OffsetDateTime, out: &mut Vec<Update>) {
    let vms = ix.ds_vms.get(&o.id);
    out.push((o.id.clone(), "vm", Some(refs(m, vms))));
    let hosts: Vec<String> = ix.ds_hosts.get(&o.id).cloned().unwrap_or_default();
    let path = o
        .str("summary.url")
        .unwrap_or("")
        .trim_start_matches("ds://")
        .trim_end_matches('/')
        .to_string();
    let mounts: Vec<Value> = hosts
        .iter()
        .map(|h| {
            json!({
                "_typeName": "DatastoreHostMount",
                "key": reference("HostSystem", h),
                "mountInfo": {
                    "_typeName": "HostMountInfo",
                    "path": path,
                    "accessMode": "readWrite",
                    "mounted": true,
                    "accessible": true,
                },
            })
        })
        .collect();
    out.push((o.id.clone(), "host", Some(Value::Array(mounts))));
    let capacity = o.int("summary.capacity").unwrap_or(0);
    let other = match &o.meta {
        Meta::Datastore(d) => d.other_used,
        _ => 0,
    };
    let used: i64 = vms
        .into_iter()
        .flatten()
        .filter_map(|id| m.get(id))
        .map(vm_committed)
        .fold(0i64, i64::saturating_add);
    let free = capacity.saturating_sub(other).saturating_sub(used).max(0);
    out.push((o.id.clone(), "summary.freeSpace", Some(json!(free))));
    out.push((o.id.clone(), "summary.name", Some(json!(o.name()))));
    out.push((
        o.id.clone(),
        "summary.multipleHostAccess",
        Some(json!(hosts.len() > 1)),
    ));
    out.push((o.id.clone(), "info.freeSpace", Some(json!(free))));
    out.push((o.id.clone(), "info.name", Some(json!(o.name()))));
    out.push((o.id.clone(), "info.timestamp", Some(json!(fmt_time(now)))));
}
