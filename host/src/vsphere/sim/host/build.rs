//! Building a host as vCenter shows it: hardware, runtime state, the ESXi
//! product it runs, and the datastores and networks it sees. Only primary
//! properties are written; the summary is derived.

use serde_json::{Value, json};

use crate::vsphere::sim::entity;
use crate::vsphere::sim::model::{HostMeta, Meta, Model, fnv, reference, uuid_from};

/// A host's hardware, as `hardware.*` reports it.
#[derive(Debug, Clone)]
pub(in crate::vsphere::sim) struct HostHardware {
    /// `hardware.systemInfo.vendor`.
    pub vendor: String,
    /// `hardware.systemInfo.model`.
    pub model: String,
    /// CPU sockets.
    pub packages: i64,
    /// Physical cores in total.
    pub cores: i64,
    /// Hardware threads in total.
    pub threads: i64,
    /// Memory in bytes.
    pub memory_bytes: i64,
}

/// A host's state, as `runtime.*` reports it.
#[derive(Debug, Clone)]
pub(in crate::vsphere::sim) struct HostRuntime {
    /// `runtime.connectionState`.
    pub connection: String,
    /// `runtime.powerState`.
    pub power: String,
    /// `runtime.inMaintenanceMode`.
    pub maintenance: bool,
    /// `runtime.bootTime`, RFC 3339 (reported while powered on).
    pub boot_time: String,
}

/// Everything needed to add a host, whatever describes it (a fixture today).
#[derive(Debug, Clone)]
pub(in crate::vsphere::sim) struct HostParams {
    /// Its name (usually the FQDN).
    pub name: String,
    /// Its hardware.
    pub hardware: HostHardware,
    /// Its state.
    pub runtime: HostRuntime,
    /// ESXi version, e.g. `8.0.3`.
    pub version: String,
    /// ESXi build, e.g. `24022510`.
    pub build: String,
    /// Mounted datastores' ids.
    pub datastores: Vec<String>,
    /// Attached networks' ids.
    pub networks: Vec<String>,
    /// The CPU model and clock and the hypervisor's own load, which the summary shows.
    pub meta: HostMeta,
}

/// ESXi's `AboutInfo`, as `config.product` and `summary.config.product` show it.
fn esxi_about(version: &str, build: &str) -> Value {
    let major = version.split('.').next().unwrap_or("8");
    json!({
        "_typeName": "AboutInfo",
        "name": "VMware ESXi",
        "fullName": format!("VMware ESXi {version} build-{build}"),
        "vendor": "VMware, Inc.",
        "version": version,
        "build": build,
        "localeVersion": "INTL",
        "localeBuild": "000",
        "osType": "vmnix-x86",
        "productLineId": "embeddedEsx",
        "apiType": "HostAgent",
        "apiVersion": format!("{version}.0"),
        "licenseProductName": "VMware ESX Server",
        "licenseProductVersion": format!("{major}.0"),
    })
}

/// `runtime`: the boot time only while the host is powered on.
fn runtime(r: &HostRuntime) -> Value {
    let mut runtime = json!({
        "_typeName": "HostRuntimeInfo",
        "connectionState": r.connection,
        "powerState": r.power,
        "standbyMode": "none",
        "inMaintenanceMode": r.maintenance,
        "inQuarantineMode": false,
    });
    if r.power == "poweredOn"
        && let Value::Object(o) = &mut runtime
    {
        o.insert("bootTime".into(), json!(r.boot_time));
    }
    runtime
}

/// `hardware`, with a UUID and serial number stable for the host's name.
fn hardware(h: &HostParams) -> Value {
    let hw = &h.hardware;
    json!({
        "_typeName": "HostHardwareInfo",
        "systemInfo": {
            "_typeName": "HostSystemInfo",
            "vendor": hw.vendor,
            "model": hw.model,
            "uuid": uuid_from(&format!("host/{}", h.name)),
            "serialNumber": format!("SN{:010X}", fnv(7, &h.name) & 0xff_ffff_ffff),
        },
        "cpuInfo": {
            "_typeName": "HostCpuInfo",
            "numCpuPackages": hw.packages,
            "numCpuCores": hw.cores,
            "numCpuThreads": hw.threads,
            "hz": h.meta.cpu_mhz * 1_000_000,
        },
        "memorySize": hw.memory_bytes,
        "smcPresent": false,
    })
}

/// A host in the compute resource `parent` (a cluster or a standalone one).
pub(in crate::vsphere::sim) fn build(m: &mut Model, h: &HostParams, parent: &str) -> String {
    let id = m.alloc_id("host");
    let parent_kind = m
        .get(parent)
        .map(|o| o.kind.clone())
        .unwrap_or_else(|| "ComputeResource".into());
    let mut p = entity::props(&h.name, Some(&reference(&parent_kind, parent)));
    if h.runtime.connection != "connected" {
        p.insert("overallStatus".into(), json!("gray"));
    }
    p.insert("runtime".into(), runtime(&h.runtime));
    p.insert("hardware".into(), hardware(h));
    p.insert(
        "config".into(),
        json!({
            "_typeName": "HostConfigInfo",
            "host": reference("HostSystem", &id),
            "product": esxi_about(&h.version, &h.build),
        }),
    );
    let datastores = h.datastores.iter().map(|d| reference("Datastore", d));
    p.insert("datastore".into(), Value::Array(datastores.collect()));
    let networks = h.networks.iter().map(|n| reference("Network", n));
    p.insert("network".into(), Value::Array(networks.collect()));
    m.insert("HostSystem", id.clone(), p, Meta::Host(h.meta.clone()));
    id
}
