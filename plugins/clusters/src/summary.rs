//! The summary of one cluster that both `listClusters` and
//! `getClusterInfo` show.
//!
//! Capacity is the cluster's own `summary`; use is the sum of its hosts'
//! `summary.quickStats`, and the VM count the sum of their `vm` lists (a
//! cluster has no VM list of its own). Pure functions over the collected
//! properties, so the arithmetic and the gaps are tested.

use serde::Serialize;
use vmware_plugin_sdk::paging::PageRow;
use vmware_plugin_sdk::prelude::*;

/// The cluster properties the summary reads; every one may be unset.
pub const CLUSTER_PROPS: [&str; 4] = ["name", "configurationEx", "summary", "host"];

/// The host properties a cluster's use and VM count are summed from.
pub const HOST_PROPS: [&str; 2] = ["vm", "summary.quickStats"];

/// Bytes in a GiB.
const GIB: f64 = (1u64 << 30) as f64;

/// One cluster's summary, a row of `listClusters` and the first part of
/// `getClusterInfo`: the one declaration of its fields.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterSummary {
    /// Name.
    pub name: String,
    /// Id.
    pub id: String,
    /// Hosts in it.
    pub host_count: usize,
    /// VMs on its hosts.
    pub vm_count: usize,
    /// DRS enabled (`configurationEx.drsConfig.enabled`; unset is off).
    pub drs: bool,
    /// DRS automation level: manual, partiallyAutomated or fullyAutomated.
    pub drs_level: Option<String>,
    /// vSphere HA enabled (`configurationEx.dasConfig.enabled`; unset is off).
    pub ha: bool,
    /// CPU capacity in MHz (`summary.totalCpu`).
    pub cpu_mhz: i64,
    /// CPU in use in MHz: the hosts' `overallCpuUsage`.
    pub cpu_used_mhz: i64,
    /// Memory capacity in GB (`summary.totalMemory`).
    #[serde(rename = "memoryGB")]
    pub memory_gb: f64,
    /// Memory in use in GB: the hosts' `overallMemoryUsage` (MB).
    #[serde(rename = "memoryUsedGB")]
    pub memory_used_gb: f64,
}

impl PageRow for ClusterSummary {
    const ROWS: &'static str = "clusters";
}

/// Bytes to GB, to two decimals.
fn gb(bytes: i64) -> f64 {
    (bytes as f64 / GIB * 100.0).round() / 100.0
}

/// MB to GB, to two decimals.
fn mb_to_gb(mb: i64) -> f64 {
    gb(mb.saturating_mul(1 << 20))
}

/// One cluster's summary; `hosts` are its hosts as read with
/// [`HOST_PROPS`], and its name is the index's when the object has none.
pub fn summarize(cluster: &Obj, name: &str, hosts: &[&Obj]) -> ClusterSummary {
    let sum = |path: &str| hosts.iter().filter_map(|h| h.get_i64(path)).sum::<i64>();
    let text = |path: &str| cluster.get_str(path).map(String::from);
    ClusterSummary {
        name: name.to_string(),
        id: cluster.reference.value.clone(),
        host_count: cluster.get_refs("host").len(),
        vm_count: hosts.iter().map(|h| h.get_refs("vm").len()).sum(),
        drs: cluster
            .get_bool("configurationEx.drsConfig.enabled")
            .unwrap_or(false),
        drs_level: text("configurationEx.drsConfig.defaultVmBehavior"),
        ha: cluster
            .get_bool("configurationEx.dasConfig.enabled")
            .unwrap_or(false),
        cpu_mhz: cluster.get_i64("summary.totalCpu").unwrap_or(0),
        cpu_used_mhz: sum("summary.quickStats.overallCpuUsage"),
        memory_gb: gb(cluster.get_i64("summary.totalMemory").unwrap_or(0)),
        memory_used_gb: mb_to_gb(sum("summary.quickStats.overallMemoryUsage")),
    }
}

/// Read the hosts of `clusters` (all of them, in one request).
pub fn read_hosts(clusters: &[Obj]) -> Result<Vec<Obj>> {
    let refs: Vec<MoRef> = clusters.iter().flat_map(|c| c.get_refs("host")).collect();
    if refs.is_empty() {
        return Ok(Vec::new());
    }
    vsphere::read(&refs, &HOST_PROPS)
}

/// The hosts of `cluster` among `hosts`.
pub fn hosts_of<'a>(cluster: &Obj, hosts: &'a [Obj]) -> Vec<&'a Obj> {
    let members = cluster.get_refs("host");
    hosts
        .iter()
        .filter(|h| members.contains(&h.reference))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GB: i64 = 1 << 30;

    #[test]
    fn sums_hosts_and_reads_the_settings() {
        let host = |id: &str, cpu: i64, mem: i64, vms: usize| {
            let vm_refs: Vec<Value> = (0..vms)
                .map(|i| MoRef::new("VirtualMachine", format!("vm-{id}-{i}")).to_json())
                .collect();
            Obj::new(MoRef::new("HostSystem", id))
                .with("vm", json!(vm_refs))
                .with(
                    "summary.quickStats",
                    json!({"overallCpuUsage": cpu, "overallMemoryUsage": mem}),
                )
        };
        let hosts = [host("host-1", 1000, 2048, 2), host("host-2", 500, 1024, 1)];
        let cluster = Obj::new(MoRef::new("ClusterComputeResource", "domain-c7"))
            .with(
                "configurationEx",
                json!({"_typeName": "ClusterConfigInfoEx",
                       "drsConfig": {"enabled": true, "defaultVmBehavior": "fullyAutomated"},
                       "dasConfig": {"enabled": false}}),
            )
            .with(
                "summary",
                json!({"totalCpu": 8000, "effectiveCpu": 7000, "totalMemory": 64 * GB, "effectiveMemory": 32768}),
            )
            .with("host", json!(hosts.iter().map(|h| h.reference.to_json()).collect::<Vec<_>>()));
        let row =
            serde_json::to_value(summarize(&cluster, "prod", &hosts_of(&cluster, &hosts))).unwrap();
        assert_eq!(
            row,
            json!({"name": "prod", "id": "domain-c7", "hostCount": 2, "vmCount": 3, "drs": true,
                   "drsLevel": "fullyAutomated", "ha": false, "cpuMhz": 8000, "cpuUsedMhz": 1500,
                   "memoryGB": 64.0, "memoryUsedGB": 3.0})
        );
        let bare = summarize(
            &Obj::new(MoRef::new("ClusterComputeResource", "domain-c9")),
            "x",
            &[],
        );
        assert_eq!(
            (bare.drs, bare.drs_level, bare.cpu_mhz, bare.host_count),
            (false, None, 0, 0)
        );
    }
}
