//! The summary of one host that both `listHosts` and `getHostInfo` show.
//!
//! A pure function over the collected properties, so the arithmetic
//! (capacity = MHz × cores, bytes to MB) and the null handling are tested.

use vmware_plugin_sdk::json::bytes_to_mb;
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

/// The summary's JSON Schema properties, for the tools' output schemas.
pub fn schema_properties() -> Vec<(&'static str, Value)> {
    vec![
        ("name", schema::of("string")),
        ("id", schema::of("string")),
        ("path", schema::of("string")),
        ("cluster", schema::nullable("string")),
        ("connectionState", schema::nullable("string")),
        ("powerState", schema::nullable("string")),
        ("inMaintenanceMode", schema::nullable("boolean")),
        ("overallStatus", schema::nullable("string")),
        (
            "cpu",
            schema::result_object(&[
                ("cores", schema::nullable("integer")),
                ("threads", schema::nullable("integer")),
                ("mhz", schema::nullable("integer")),
                ("usageMhz", schema::nullable("integer")),
                ("capacityMhz", schema::nullable("integer")),
            ]),
        ),
        (
            "memory",
            schema::result_object(&[
                ("capacityMB", schema::nullable("integer")),
                ("usageMB", schema::nullable("integer")),
            ]),
        ),
        ("vmCount", schema::of("integer")),
        ("version", schema::nullable("string")),
        ("product", schema::nullable("string")),
    ]
}

/// One host's summary, naming its cluster from the inventory index.
pub fn summarize_with_names(host: &Obj, entry: &Resolved) -> Value {
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
pub fn summarize(host: &Obj, path: &str, cluster: Option<String>) -> Value {
    let cores = host.get_i64("summary.hardware.numCpuCores");
    let mhz = host.get_i64("summary.hardware.cpuMhz");
    json!({
        "name": host.name(),
        "id": host.reference.value,
        "path": path,
        "cluster": cluster,
        "connectionState": host.get_str("runtime.connectionState"),
        "powerState": host.get_str("runtime.powerState"),
        "inMaintenanceMode": host.get_bool("runtime.inMaintenanceMode"),
        "overallStatus": host.get_str("overallStatus"),
        "cpu": {
            "cores": cores,
            "threads": host.get_i64("summary.hardware.numCpuThreads"),
            "mhz": mhz,
            "usageMhz": host.get_i64("summary.quickStats.overallCpuUsage"),
            "capacityMhz": mhz.zip(cores).map(|(m, c)| m.saturating_mul(c)),
        },
        "memory": {
            "capacityMB": host.get_i64("summary.hardware.memorySize").map(bytes_to_mb),
            "usageMB": host.get_i64("summary.quickStats.overallMemoryUsage"),
        },
        "vmCount": host.get_refs("vm").len(),
        "version": host.get_str("summary.config.product.version"),
        "product": host.get_str("summary.config.product.fullName"),
    })
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
        let summary = summarize(&host, "DC0/host/C0/esx1", Some("C0".into()));
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
        let schema_keys: Vec<&str> = schema_properties().iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, schema_keys);
    }

    #[test]
    fn standalone_host_with_nothing_collected() {
        let host = Obj::new(MoRef::new("HostSystem", "host-13")).with(
            "parent",
            MoRef::new("ComputeResource", "domain-s9").to_json(),
        );
        let summary = summarize(&host, "DC0/host/esx2/esx2", None);
        assert_eq!(summary["cluster"], Value::Null);
        assert_eq!(summary["path"], "DC0/host/esx2/esx2");
        assert_eq!(summary["cpu"]["capacityMhz"], Value::Null);
        assert_eq!(summary["memory"]["capacityMB"], Value::Null);
        assert_eq!(summary["vmCount"], 0);
    }
}
