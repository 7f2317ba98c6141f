//! A VM's derived properties: `runtime` following its host, NICs connected
//! while it runs, what VMware Tools reports (`guest`, the heartbeat), the
//! roots of its snapshot tree, and its `summary` with quick statistics and
//! storage use.

use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::devices::{self, is_disk, is_nic};
use super::guest::guest_family;
use super::state::tools_running;
use super::usage;
use crate::vsphere::sim::derive::Changes;
use crate::vsphere::sim::model::{Model, Object, Power, Tools, fmt_time, seconds_since};

/// VMware Tools' status fields, as `guest` and `summary.guest` both report them.
struct ToolsStatus {
    status: &'static str,
    version_status: &'static str,
    version_status2: &'static str,
    running_status: &'static str,
    version: &'static str,
}

impl ToolsStatus {
    fn of(vm: &Object) -> ToolsStatus {
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
        ToolsStatus {
            status,
            version_status,
            version_status2,
            running_status,
            version,
        }
    }

    /// Insert the four status fields both `guest` and `summary.guest` carry.
    fn insert_statuses(&self, into: &mut Map<String, Value>) {
        into.insert("toolsStatus".into(), json!(self.status));
        into.insert("toolsVersionStatus".into(), json!(self.version_status));
        into.insert("toolsVersionStatus2".into(), json!(self.version_status2));
        into.insert("toolsRunningStatus".into(), json!(self.running_status));
    }
}

/// What the guest reports, computed once for `guest` and `summary.guest`.
struct Guest<'a> {
    id: &'a str,
    full_name: &'a str,
    tools: ToolsStatus,
    /// Tools run in the guest: only then does it report names and addresses.
    running: bool,
    ip: Option<String>,
    host_name: Option<String>,
}

impl<'a> Guest<'a> {
    fn of(o: &'a Object) -> Guest<'a> {
        let running = tools_running(o);
        let meta = o.vm_meta().filter(|_| running);
        Guest {
            id: o.str("config.guestId").unwrap_or("otherGuest"),
            full_name: o.str("config.guestFullName").unwrap_or(""),
            tools: ToolsStatus::of(o),
            running,
            ip: meta.and_then(|x| x.ip.clone()),
            host_name: meta.and_then(|x| x.host_name.clone()),
        }
    }

    /// Insert the host name and IP address, where the guest reports them.
    fn insert_identity(&self, into: &mut Map<String, Value>) {
        if let Some(h) = &self.host_name {
            into.insert("hostName".into(), json!(h));
        }
        if let Some(ip) = &self.ip {
            into.insert("ipAddress".into(), json!(ip));
        }
    }
}

/// `runtime`: the connection state follows the host; limits follow the hardware.
fn runtime(m: &Model, o: &Object) -> Value {
    let connected = o
        .ref_id("runtime.host")
        .and_then(|h| m.get(&h))
        .is_some_and(|h| h.str("runtime.connectionState") == Some("connected"));
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
            json!(usage::num_cpu(o) * usage::host_mhz(m, o)),
        );
        r.insert("maxMemoryUsage".into(), json!(usage::memory_mb(o)));
    }
    runtime
}

/// The device list with NICs connected while the VM runs.
fn devices_connected(o: &Object) -> Vec<Value> {
    let on = o.power() == Power::On;
    devices::of_vm(o)
        .iter()
        .map(|d| {
            let mut d = d.clone();
            if is_nic(&d)
                && let Some(Value::Object(c)) = d.get_mut("connectable")
            {
                c.insert("connected".into(), json!(on));
            }
            d
        })
        .collect()
}

/// `guest.net`: the first NIC, as the guest reports it.
fn guest_nic(nic: &Value, ip: Option<&String>) -> Value {
    let mut n = Map::new();
    n.insert("_typeName".into(), json!("GuestNicInfo"));
    if let Some(net) = nic.get("backing").and_then(|b| b.get("deviceName")) {
        n.insert("network".into(), net.clone());
    }
    if let Some(ip) = ip {
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
    json!([Value::Object(n)])
}

/// `guest`: what VMware Tools reports.
fn guest_info(o: &Object, g: &Guest, first_nic: Option<&Value>) -> Value {
    let mut guest = Map::new();
    guest.insert("_typeName".into(), json!("GuestInfo"));
    g.tools.insert_statuses(&mut guest);
    guest.insert("toolsVersion".into(), json!(g.tools.version));
    if o.vm_meta().is_some_and(|x| x.tools != Tools::NotInstalled) {
        let install = if g.id.starts_with("win") {
            "guestToolsTypeMSI"
        } else {
            "guestToolsTypeOpenVMTools"
        };
        guest.insert("toolsInstallType".into(), json!(install));
    }
    guest.insert("guestId".into(), json!(g.id));
    if !g.full_name.is_empty() {
        guest.insert("guestFullName".into(), json!(g.full_name));
    }
    if g.running {
        guest.insert("guestFamily".into(), json!(guest_family(g.id)));
        g.insert_identity(&mut guest);
        if let Some(nic) = first_nic {
            guest.insert("net".into(), guest_nic(nic, g.ip.as_ref()));
        }
    }
    guest.insert(
        "guestState".into(),
        json!(if g.running { "running" } else { "notRunning" }),
    );
    guest.insert("guestOperationsReady".into(), json!(g.running));
    guest.insert("interactiveGuestOperationsReady".into(), json!(false));
    guest.insert("guestStateChangeSupported".into(), json!(g.running));
    guest.insert("hwVersion".into(), json!(hw_version(o)));
    Value::Object(guest)
}

fn hw_version(o: &Object) -> &str {
    o.str("config.version").unwrap_or("vmx-21")
}

/// `summary.guest`.
fn guest_summary(o: &Object, g: &Guest) -> Value {
    let mut gs = Map::new();
    gs.insert("_typeName".into(), json!("VirtualMachineGuestSummary"));
    gs.insert("guestId".into(), json!(g.id));
    if !g.full_name.is_empty() {
        gs.insert("guestFullName".into(), json!(g.full_name));
    }
    g.tools.insert_statuses(&mut gs);
    g.insert_identity(&mut gs);
    gs.insert("hwVersion".into(), json!(hw_version(o)));
    Value::Object(gs)
}

/// `summary.config`, counting the NICs and disks in `devs`.
fn config_summary(o: &Object, g: &Guest, devs: &[Value]) -> Value {
    let mut cs = json!({
        "_typeName": "VirtualMachineConfigSummary",
        "name": o.name(),
        "template": o.flag("config.template"),
        "vmPathName": o.str("config.files.vmPathName").unwrap_or(""),
        "memorySizeMB": usage::memory_mb(o),
        "cpuReservation": 0,
        "memoryReservation": 0,
        "numCpu": usage::num_cpu(o),
        "numEthernetCards": devs.iter().filter(|d| is_nic(d)).count(),
        "numVirtualDisks": devs.iter().filter(|d| is_disk(d)).count(),
        "uuid": o.str("config.uuid").unwrap_or(""),
        "instanceUuid": o.str("config.instanceUuid").unwrap_or(""),
        "guestId": g.id,
        "installBootRequired": false,
        "tpmPresent": false,
        "hwVersion": hw_version(o),
    });
    if let Value::Object(c) = &mut cs {
        if !g.full_name.is_empty() {
            c.insert("guestFullName".into(), json!(g.full_name));
        }
        if let Some(a) = o.str("config.annotation") {
            c.insert("annotation".into(), json!(a));
        }
    }
    cs
}

/// `summary.quickStats`: load while the VM is on.
fn quick_stats(m: &Model, o: &Object, heartbeat: &str, now: OffsetDateTime) -> Value {
    let on = o.power() == Power::On;
    let cpu = usage::cpu_usage_mhz(m, o);
    let host_mem = usage::host_memory_mb(o);
    json!({
        "_typeName": "VirtualMachineQuickStats",
        "overallCpuUsage": cpu,
        "overallCpuDemand": cpu,
        "overallCpuReadiness": 0,
        "guestMemoryUsage": usage::guest_memory_mb(o),
        "hostMemoryUsage": host_mem,
        "guestHeartbeatStatus": heartbeat,
        "distributedCpuEntitlement": cpu,
        "distributedMemoryEntitlement": host_mem,
        "staticCpuEntitlement": 0,
        "staticMemoryEntitlement": 0,
        "grantedMemory": if on { usage::memory_mb(o) } else { 0 },
        "privateMemory": host_mem,
        "sharedMemory": 0,
        "swappedMemory": 0,
        "balloonedMemory": 0,
        "consumedOverheadMemory": if on { 32 } else { 0 },
        "compressedMemory": 0,
        "uptimeSeconds": if on { seconds_since(o.str("runtime.bootTime"), now) } else { 0 },
    })
}

/// The roots of the snapshot tree, for `rootSnapshot`.
fn root_snapshots(o: &Object) -> Value {
    let roots: Vec<Value> = match o.get("snapshot.rootSnapshotList") {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|n| n.get("snapshot").cloned())
            .collect(),
        _ => Vec::new(),
    };
    Value::Array(roots)
}

/// A VM's derived properties.
pub(in crate::vsphere::sim) fn derive(
    m: &Model,
    o: &Object,
    now: OffsetDateTime,
    out: &mut Changes,
) {
    let runtime = runtime(m, o);
    out.set(o, "runtime", runtime.clone());
    let devs = devices_connected(o);
    out.set(o, "config.hardware.device", Value::Array(devs.clone()));
    let guest = Guest::of(o);
    let first_nic = devs.iter().find(|d| is_nic(d));
    out.set(o, "guest", guest_info(o, &guest, first_nic));
    let heartbeat = if guest.running { "green" } else { "gray" };
    out.set(o, "guestHeartbeatStatus", json!(heartbeat));
    out.set(o, "rootSnapshot", root_snapshots(o));
    let committed = usage::committed_bytes(o);
    let summary = json!({
        "_typeName": "VirtualMachineSummary",
        "vm": o.moref().to_json(),
        "runtime": runtime,
        "guest": guest_summary(o, &guest),
        "config": config_summary(o, &guest, &devs),
        "storage": {
            "_typeName": "VirtualMachineStorageSummary",
            "committed": committed,
            "uncommitted": 0,
            "unshared": committed,
            "timestamp": fmt_time(now),
        },
        "quickStats": quick_stats(m, o, heartbeat, now),
        "overallStatus": o.str("overallStatus").unwrap_or("green"),
    });
    out.set(o, "summary", summary);
}
