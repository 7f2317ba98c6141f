//! A host's derived properties: its `vm` list and its `summary` (hardware,
//! runtime, configuration and the quick statistics that add the hypervisor's
//! own load to what its running VMs use).

use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use crate::vsphere::sim::derive::{Changes, Links, refs};
use crate::vsphere::sim::model::{Model, Object, seconds_since};
use crate::vsphere::sim::{network, vm};

/// `summary.hardware`, from the hardware and the sim-only CPU facts.
fn hardware_summary(o: &Object) -> Value {
    let meta = o.host_meta();
    json!({
        "_typeName": "HostHardwareSummary",
        "vendor": o.str("hardware.systemInfo.vendor").unwrap_or(""),
        "model": o.str("hardware.systemInfo.model").unwrap_or(""),
        "uuid": o.str("hardware.systemInfo.uuid").unwrap_or(""),
        "memorySize": o.int("hardware.memorySize").unwrap_or(0),
        "cpuModel": meta.map(|x| x.cpu_model.as_str()).unwrap_or(""),
        "cpuMhz": meta.map(|x| x.cpu_mhz).unwrap_or(0),
        "numCpuPkgs": o.int("hardware.cpuInfo.numCpuPackages").unwrap_or(0),
        "numCpuCores": o.int("hardware.cpuInfo.numCpuCores").unwrap_or(0),
        "numCpuThreads": o.int("hardware.cpuInfo.numCpuThreads").unwrap_or(0),
        "numNics": 4,
        "numHBAs": 3,
    })
}

/// `summary.quickStats`: load and uptime while the host is connected and on.
fn quick_stats(m: &Model, o: &Object, vms: Option<&Vec<String>>, now: OffsetDateTime) -> Value {
    let mut quick = Map::new();
    quick.insert("_typeName".into(), json!("HostListSummaryQuickStats"));
    let running = o.str("runtime.connectionState") == Some("connected")
        && o.str("runtime.powerState") == Some("poweredOn");
    if running {
        let meta = o.host_meta();
        let mhz = meta.map(|x| x.cpu_mhz).unwrap_or(0);
        let cores = o.int("hardware.cpuInfo.numCpuCores").unwrap_or(0);
        let vm_objs: Vec<&Object> = vms
            .into_iter()
            .flatten()
            .filter_map(|id| m.get(id))
            .collect();
        let cpu = meta.map(|x| x.base_cpu_pct).unwrap_or(2) * mhz * cores / 100
            + vm_objs.iter().map(|v| vm::cpu_usage_mhz(m, v)).sum::<i64>();
        let mem = meta.map(|x| x.base_mem_mb).unwrap_or(2048)
            + vm_objs.iter().map(|v| vm::host_memory_mb(v)).sum::<i64>();
        quick.insert("overallCpuUsage".into(), json!(cpu));
        quick.insert("overallMemoryUsage".into(), json!(mem));
        quick.insert("distributedCpuFairness".into(), json!(1000));
        quick.insert("distributedMemoryFairness".into(), json!(1000));
        quick.insert(
            "uptime".into(),
            json!(seconds_since(o.str("runtime.bootTime"), now)),
        );
    }
    Value::Object(quick)
}

/// What those of `hosts` that can run VMs offer: CPU in MHz and memory in
/// bytes (the most a compute resource's root pool can use).
pub(in crate::vsphere::sim) fn effective_capacity(m: &Model, hosts: &[String]) -> (i64, i64) {
    hosts
        .iter()
        .filter_map(|id| m.get(id))
        .filter(|h| vm::host_can_run_vms(h))
        .map(|h| {
            let mhz = h.host_meta().map(|x| x.cpu_mhz).unwrap_or(0);
            let cores = h.int("hardware.cpuInfo.numCpuCores").unwrap_or(0);
            (mhz * cores, h.int("hardware.memorySize").unwrap_or(0))
        })
        .fold((0, 0), |(c, b), (mhz, bytes)| (c + mhz, b + bytes))
}

/// `summary.config`, with the ESXi product from `config.product`.
fn config_summary(o: &Object) -> Value {
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
    config
}

/// A host's derived `vm` list and `summary`.
pub(in crate::vsphere::sim) fn derive(
    m: &Model,
    links: &Links,
    o: &Object,
    now: OffsetDateTime,
    out: &mut Changes,
) {
    let vms = links.host_vms.get(&o.id);
    out.set(o, "vm", refs(m, vms));
    let mut summary = Map::new();
    summary.insert("_typeName".into(), json!("HostListSummary"));
    summary.insert("host".into(), o.moref().to_json());
    summary.insert("hardware".into(), hardware_summary(o));
    if let Some(r) = o.get("runtime") {
        summary.insert("runtime".into(), r.clone());
    }
    summary.insert("config".into(), config_summary(o));
    summary.insert("quickStats".into(), quick_stats(m, o, vms, now));
    summary.insert(
        "overallStatus".into(),
        json!(o.str("overallStatus").unwrap_or("green")),
    );
    summary.insert("rebootRequired".into(), json!(false));
    out.set(o, "summary", Value::Object(summary));
    out.set(o, "config.network", network::host_network_config(m, o));
}
