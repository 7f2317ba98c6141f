//! The summary of one host that both `listHosts` and `getHostInfo` show.
//!
//! A pure function over the collected properties, so the arithmetic
//! (capacity = MHz × cores, bytes to MB) and the null handling are tested.

use serde::Serialize;
use vmware_plugin_sdk::json::bytes_to_mb;
use vmware_plugin_sdk::paging::PageRow;
use vmware_plugin_sdk::prelude::*;

/// The host properties the summary reads; every one may be unset.
pub const SUMMARY_PROPS: [&str; 10] = [
    "name",
    "parent",
    "overallStatus",
    "runtime.connectionState",
    "runtime.powerState",
    "runtime.inMaintenanceMode",
    "summary.hardware",
    "summary.quickStats",
    "summary.config.product",
    "vm",
];

/// One host's summary, a row of `listHosts` and the first part of
/// `getHostInfo`: the one declaration of its fields (their output schemas
/// are derived from it).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HostSummary {
    /// The host's name.
    pub name: String,
    /// Its managed object id.
    pub id: String,
    /// Its inventory path.
    pub path: String,
    /// Its cluster's name; null for a standalone host.
    pub cluster: Option<String>,
    /// `connected`, `disconnected` or `notResponding`.
    pub connection_state: Option<String>,
    /// `poweredOn`, `poweredOff`, `standBy` or `unknown`.
    pub power_state: Option<String>,
    /// Whether it is in maintenance mode.
    pub in_maintenance_mode: Option<bool>,
    /// vCenter's health colour.
    pub overall_status: Option<String>,
    /// CPU cores, threads, MHz, usage and capacity.
    pub cpu: Cpu,
    /// Memory capacity and usage.
    pub memory: Memory,
    /// How many VMs it holds.
    pub vm_count: usize,
    /// The ESXi version.
    pub version: Option<String>,
    /// The ESXi product's full name.
    pub product: Option<String>,
}

/// A host's CPU.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Cpu {
    /// Physical cores.
    pub cores: Option<i64>,
    /// Hardware threads.
    pub threads: Option<i64>,
    /// One core's speed in MHz.
    pub mhz: Option<i64>,
    /// MHz in use.
    pub usage_mhz: Option<i64>,
    /// MHz × cores.
    pub capacity_mhz: Option<i64>,
}

/// A host's memory.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Memory {
    /// Installed memory in MB.
    #[serde(rename = "capacityMB")]
    pub capacity_mb: Option<i64>,
    /// Memory in use in MB.
    #[serde(rename = "usageMB")]
    pub usage_mb: Option<i64>,
}

impl PageRow for HostSummary {
    const ROWS: &'static str = "hosts";
}

/// One host's summary, naming its cluster from the inventory index.
pub fn summarize_with_names(host: &Obj, entry: &Resolved) -> HostSummary {
    let cluster = host
        .get_ref("parent")
        .filter(|p| p.kind == "ClusterComputeResource");
    let cluster_name = cluster.map(|c| {
        inventory::names(std::slice::from_ref(&c))
            .remove(&c)
            .unwrap_or(c.value)
    });
    summarize(host, &entry.path, cluster_name)
}

/// One host's summary at inventory path `path`. The cluster is the parent
/// when that is a `ClusterComputeResource` (null for a standalone host).
pub fn summarize(host: &Obj, path: &str, cluster: Option<String>) -> HostSummary {
    let cores = host.get_i64("summary.hardware.numCpuCores");
    let mhz = host.get_i64("summary.hardware.cpuMhz");
    let text = |path: &str| host.get_str(path).map(String::from);
    HostSummary {
        name: host.name().to_string(),
        id: host.reference.value.clone(),
        path: path.to_string(),
        cluster,
        connection_state: text("runtime.connectionState"),
        power_state: text("runtime.powerState"),
        in_maintenance_mode: host.get_bool("runtime.inMaintenanceMode"),
        overall_status: text("overallStatus"),
        cpu: Cpu {
            cores,
            threads: host.get_i64("summary.hardware.numCpuThreads"),
            mhz,
            usage_mhz: host.get_i64("summary.quickStats.overallCpuUsage"),
            capacity_mhz: mhz.zip(cores).map(|(m, c)| m.saturating_mul(c)),
        },
        memory: Memory {
            capacity_mb: host.get_i64("summary.hardware.memorySize").map(bytes_to_mb),
            usage_mb: host.get_i64("summary.quickStats.overallMemoryUsage"),
        },
        vm_count: host.get_refs("vm").len(),
        version: text("summary.config.product.version"),
        product: text("summary.config.product.fullName"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clustered_host_summary() {
        let host = Obj::new(MoRef::new("HostSystem", "host-12"))
            .with("name", json!("esx1"))
            .with("parent", MoRef::new("ClusterComputeResource", "domain-c7").to_json())
            .with("runtime.connectionState", json!("connected"))
            .with("runtime.inMaintenanceMode", json!(false))
            .with(
                "summary.hardware",
                json!({"_typeName": "HostHardwareSummary", "cpuMhz": 2000, "numCpuCores": 8, "numCpuThreads": 16, "memorySize": 34359738368_i64}),
            )
            .with("summary.quickStats", json!({"overallCpuUsage": 500, "overallMemoryUsage": 2048, "uptime": 3600}))
            .with("summary.config.product", json!({"version": "8.0.2", "fullName": "VMware ESXi 8.0.2"}))
            .with("vm", json!([MoRef::new("VirtualMachine", "vm-1").to_json()]));
        let summary =
            serde_json::to_value(summarize(&host, "DC0/host/C0/esx1", Some("C0".into()))).unwrap();
        assert_eq!(summary["path"], "DC0/host/C0/esx1");
        assert_eq!(summary["cluster"], "C0");
        assert_eq!(
            summary["cpu"],
            json!({"cores": 8, "threads": 16, "mhz": 2000, "usageMhz": 500, "capacityMhz": 16000})
        );
        assert_eq!(
            summary["memory"],
            json!({"capacityMB": 32768, "usageMB": 2048})
        );
        assert_eq!(summary["vmCount"], 1);
        assert_eq!(summary["version"], "8.0.2");
        assert_eq!(summary["inMaintenanceMode"], false);
        let keys: Vec<&str> = summary
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let schema = schema::output_for::<HostSummary>().unwrap();
        let required: Vec<&str> = schema["required"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(keys, required);
    }

    #[test]
    fn standalone_host_with_nothing_collected() {
        let host = Obj::new(MoRef::new("HostSystem", "host-13")).with(
            "parent",
            MoRef::new("ComputeResource", "domain-s9").to_json(),
        );
        let summary = serde_json::to_value(summarize(&host, "DC0/host/esx2/esx2", None)).unwrap();
        assert_eq!(summary["cluster"], Value::Null);
        assert_eq!(summary["path"], "DC0/host/esx2/esx2");
        assert_eq!(summary["cpu"]["capacityMhz"], Value::Null);
        assert_eq!(summary["memory"]["capacityMB"], Value::Null);
        assert_eq!(summary["vmCount"], 0);
    }
}
