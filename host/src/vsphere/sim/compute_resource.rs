//! Compute resources: clusters (`ClusterComputeResource`, with DRS and HA
//! settings) and the compute resource each standalone host sits in. This is
//! their construction, each with its root resource pool `Resources`, and
//! their derived host, datastore and network lists and capacity summary.
//! Their methods are the generic entity ones.

use serde_json::{Map, Value, json};

use super::derive::{Changes, Links, refs};
use super::model::{ComputeMeta, Meta, Model, Object, reference};
use super::{entity, resource_pool, vm};

/// A cluster's DRS and HA switches.
#[derive(Debug, Clone, Copy)]
pub(super) struct ClusterConfig {
    /// DRS enabled (fully automated): evacuates hosts entering maintenance mode.
    pub drs: bool,
    /// vSphere HA enabled.
    pub ha: bool,
}

/// A cluster's `configurationEx` and `configuration` properties.
fn insert_cluster_config(p: &mut Map<String, Value>, c: ClusterConfig) {
    let drs = json!({
        "_typeName": "ClusterDrsConfigInfo",
        "enabled": c.drs,
        "enableVmBehaviorOverrides": true,
        "defaultVmBehavior": "fullyAutomated",
        "vmotionRate": 3,
    });
    let das = json!({
        "_typeName": "ClusterDasConfigInfo",
        "enabled": c.ha,
        "vmMonitoring": "vmMonitoringDisabled",
        "hostMonitoring": "enabled",
        "failoverLevel": 1,
        "admissionControlEnabled": c.ha,
    });
    p.insert(
        "configurationEx".into(),
        json!({
            "_typeName": "ClusterConfigInfoEx",
            "vmSwapPlacement": "vmDirectory",
            "dasConfig": das,
            "drsConfig": drs,
        }),
    );
    p.insert(
        "configuration".into(),
        json!({ "_typeName": "ClusterConfigInfo", "dasConfig": das, "drsConfig": drs }),
    );
}

/// A cluster (`domain-c…`) or, without a cluster config, a standalone host's
/// compute resource (`domain-s…`), with its root resource pool `Resources`.
/// Returns the compute resource's and the root pool's ids.
pub(super) fn build(
    m: &mut Model,
    name: &str,
    parent: &str,
    cluster: Option<ClusterConfig>,
) -> (String, String) {
    let (kind, id) = match cluster {
        Some(_) => ("ClusterComputeResource", m.alloc_id("domain-c")),
        None => ("ComputeResource", m.alloc_id("domain-s")),
    };
    let mut p = entity::props(name, Some(&reference("Folder", parent)));
    match cluster {
        Some(c) => insert_cluster_config(&mut p, c),
        None => {
            p.insert(
                "configurationEx".into(),
                json!({ "_typeName": "ComputeResourceConfigInfo", "vmSwapPlacement": "vmDirectory" }),
            );
        }
    }
    m.insert(kind, id.clone(), p, Meta::Compute(ComputeMeta::default()));
    let pool = resource_pool::build(m, "Resources", (kind, &id), &id);
    if let Some(o) = m.get_mut(&id) {
        o.set("resourcePool", reference("ResourcePool", &pool));
    }
    (id, pool)
}

/// The ids `prop` lists on any of `hosts`, once each, in creation order.
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

/// The hosts' capacity, all of it and what hosts that can run VMs offer.
#[derive(Default)]
struct Capacity {
    total_cpu: i64,
    total_mem: i64,
    cores: i64,
    threads: i64,
    eff_cpu: i64,
    eff_mem: i64,
    eff_hosts: i64,
}

impl Capacity {
    fn of(m: &Model, hosts: &[String]) -> Capacity {
        let mut c = Capacity::default();
        for h in hosts.iter().filter_map(|id| m.get(id)) {
            let mhz = h.host_meta().map(|x| x.cpu_mhz).unwrap_or(0);
            let cores = h.int("hardware.cpuInfo.numCpuCores").unwrap_or(0);
            let mem = h.int("hardware.memorySize").unwrap_or(0);
            c.total_cpu += mhz * cores;
            c.total_mem += mem;
            c.cores += cores;
            c.threads += h.int("hardware.cpuInfo.numCpuThreads").unwrap_or(0);
            if vm::host_can_run_vms(h) {
                c.eff_hosts += 1;
                c.eff_cpu += mhz * cores;
                c.eff_mem += mem / (1024 * 1024);
            }
        }
        c
    }
}

/// The `summary`: a `ComputeResourceSummary`, with a cluster's own fields on clusters.
fn summary(o: &Object, host_count: usize, c: &Capacity) -> Value {
    let mut summary = json!({
        "_typeName": "ComputeResourceSummary",
        "totalCpu": c.total_cpu,
        "totalMemory": c.total_mem,
        "numCpuCores": c.cores,
        "numCpuThreads": c.threads,
        "effectiveCpu": c.eff_cpu,
        "effectiveMemory": c.eff_mem,
        "numHosts": host_count,
        "numEffectiveHosts": c.eff_hosts,
        "overallStatus": o.str("overallStatus").unwrap_or("green"),
    });
    if o.kind == "ClusterComputeResource"
        && let Value::Object(s) = &mut summary
    {
        s.insert("_typeName".into(), json!("ClusterComputeResourceSummary"));
        let ha = o.flag("configurationEx.dasConfig.enabled");
        s.insert(
            "currentFailoverLevel".into(),
            json!(if ha && c.eff_hosts > 1 { 1 } else { 0 }),
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
    summary
}

/// A compute resource's derived host, datastore and network lists and summary.
pub(super) fn derive(m: &Model, links: &Links, o: &Object, out: &mut Changes) {
    let hosts = links.children_of_kind(m, &o.id, "HostSystem");
    out.set(o, "host", refs(m, Some(&hosts)));
    let datastores = union_of(m, &hosts, "datastore");
    out.set(o, "datastore", refs(m, Some(&datastores)));
    let networks = union_of(m, &hosts, "network");
    out.set(o, "network", refs(m, Some(&networks)));
    out.set(
        o,
        "summary",
        summary(o, hosts.len(), &Capacity::of(m, &hosts)),
    );
}
