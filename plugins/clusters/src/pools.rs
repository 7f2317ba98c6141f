//! `listResourcePools`: one row per resource pool (vApps included), a page
//! at a time, in inventory-path order so a parent comes before its
//! children; `getClusterInfo` shows its cluster's pools the same way.

use serde::{Deserialize, Serialize};
use vmware_plugin_sdk::inventory::{Page, Query, select};
use vmware_plugin_sdk::paging::{PageRow, Paged, Paging};
use vmware_plugin_sdk::prelude::*;

/// Rows per page: 100 by default (about 35 KB of result), at most 500.
pub const PAGING: Paging = Paging {
    default: 100,
    max: 500,
};

/// The pool properties a row reads; every one may be unset.
pub const POOL_PROPS: [&str; 6] = ["name", "parent", "owner", "config", "runtime", "vm"];

/// Bytes in a MiB.
const MIB: i64 = 1 << 20;

/// `listResourcePools` arguments: the one declaration of them.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PoolArgs {
    /// Cluster: name, path or id.
    #[schemars(length(min = 1))]
    pub cluster_name: Option<String>,
    /// Rows per page, 1 to 500 (default 100).
    #[schemars(range(min = 1, max = PAGING.max), extend("default" = PAGING.default))]
    pub limit: Option<u32>,
    /// The nextCursor of the previous page, with the same filters.
    #[schemars(length(min = 1))]
    pub cursor: Option<String>,
}

/// One resource pool: where it sits, its CPU and memory allocation
/// (`config.cpuAllocation`, `config.memoryAllocation`) and what the VMs in
/// and below it use (`runtime`).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PoolSummary {
    /// Name.
    pub name: String,
    /// Id.
    pub id: String,
    /// Inventory path.
    pub path: String,
    /// The parent pool's id; null for a cluster's root pool.
    pub parent: Option<String>,
    /// The owning cluster or compute resource's name.
    pub cluster: Option<String>,
    /// CPU reservation in MHz.
    pub cpu_reservation: Option<i64>,
    /// CPU limit in MHz; -1 for none.
    pub cpu_limit: Option<i64>,
    /// CPU shares level: low, normal, high or custom.
    pub cpu_shares: Option<String>,
    /// Memory reservation in MB.
    pub mem_reservation: Option<i64>,
    /// Memory limit in MB; -1 for none.
    pub mem_limit: Option<i64>,
    /// Memory shares level.
    pub mem_shares: Option<String>,
    /// Whether reservations can grow into the parent's.
    pub expandable: Option<bool>,
    /// CPU in use in MHz (`runtime.cpu.overallUsage`).
    pub cpu_used: Option<i64>,
    /// Memory in use in MB (`runtime.memory.overallUsage`, bytes).
    pub mem_used: Option<i64>,
    /// VMs directly in it.
    pub vm_count: usize,
}

impl PageRow for PoolSummary {
    const ROWS: &'static str = "resourcePools";
}

/// One pool's row: `entry` is the index's, `owner` its cluster's name.
pub fn summarize(pool: &Obj, entry: &Resolved, owner: Option<String>) -> PoolSummary {
    let int = |path: &str| pool.get_i64(path);
    let text = |path: &str| pool.get_str(path).map(String::from);
    let parent = pool
        .get_ref("parent")
        .filter(|p| p.kind == "ResourcePool" || p.kind == "VirtualApp")
        .map(|p| p.value);
    PoolSummary {
        name: entry.name.clone(),
        id: pool.reference.value.clone(),
        path: entry.path.clone(),
        parent,
        cluster: owner,
        cpu_reservation: int("config.cpuAllocation.reservation"),
        cpu_limit: int("config.cpuAllocation.limit"),
        cpu_shares: text("config.cpuAllocation.shares.level"),
        mem_reservation: int("config.memoryAllocation.reservation"),
        mem_limit: int("config.memoryAllocation.limit"),
        mem_shares: text("config.memoryAllocation.shares.level"),
        expandable: pool.get_bool("config.cpuAllocation.expandableReservation"),
        cpu_used: int("runtime.cpu.overallUsage"),
        mem_used: int("runtime.memory.overallUsage").map(|b| b / MIB),
        vm_count: pool.get_refs("vm").len(),
    }
}

/// The rows of the pools a page selected, read in one request (owners
/// named through the index).
pub fn rows(page: &Page) -> Result<Vec<PoolSummary>> {
    let refs: Vec<MoRef> = page.entries.iter().map(|e| e.reference.clone()).collect();
    if refs.is_empty() {
        return Ok(Vec::new());
    }
    let pools = vsphere::read(&refs, &POOL_PROPS)?;
    let owners: Vec<MoRef> = pools.iter().filter_map(|p| p.get_ref("owner")).collect();
    let names = inventory::names(&owners);
    Ok(page
        .entries
        .iter()
        .filter_map(|entry| {
            pools
                .iter()
                .find(|p| p.reference == entry.reference)
                .map(|p| {
                    let owner = p.get_ref("owner").and_then(|o| names.get(&o).cloned());
                    summarize(p, entry, owner)
                })
        })
        .collect())
}

/// The pools of `cluster` (all of them with `None`), one page.
pub fn select_pools(cluster: Option<&MoRef>, limit: u32, cursor: Option<&str>) -> Result<Page> {
    let mut query = Query::new(Kind::ResourcePool);
    if let Some(cluster) = cluster {
        query = query.within(cluster);
    }
    select(&query, limit, cursor)
}

/// One page of resource pools.
pub fn list_pools(args: &PoolArgs) -> Result<Paged<PoolSummary>> {
    let limit = PAGING.limit(args.limit)?;
    let cluster = match &args.cluster_name {
        Some(c) => Some(inventory::resolve(Kind::Cluster, c)?.reference),
        None => None,
    };
    let page = select_pools(cluster.as_ref(), limit, args.cursor.as_deref())?;
    Ok(Paged::of(&page, rows(&page)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_allocations_and_the_parent_pool() {
        let reference = MoRef::new("ResourcePool", "resgroup-9");
        let alloc = |r: i64, l: i64, level: &str| {
            json!({"reservation": r, "limit": l, "expandableReservation": true,
                   "shares": {"shares": 4000, "level": level}})
        };
        let pool = Obj::new(reference.clone())
            .with("parent", MoRef::new("ResourcePool", "resgroup-8").to_json())
            .with(
                "config",
                json!({"cpuAllocation": alloc(500, -1, "high"), "memoryAllocation": alloc(1024, 4096, "normal")}),
            )
            .with("vm", json!([MoRef::new("VirtualMachine", "vm-1").to_json()]))
            .with(
                "runtime",
                json!({"cpu": {"overallUsage": 1200}, "memory": {"overallUsage": 3 * MIB * 1024}}),
            );
        let entry = Resolved {
            reference: reference.clone(),
            name: "web".into(),
            path: "DC0/host/prod/Resources/web".into(),
            parent: None,
            properties: Obj::new(reference),
        };
        let row = serde_json::to_value(summarize(&pool, &entry, Some("prod".into()))).unwrap();
        assert_eq!(
            row,
            json!({"name": "web", "id": "resgroup-9", "path": "DC0/host/prod/Resources/web",
                   "parent": "resgroup-8", "cluster": "prod", "cpuReservation": 500, "cpuLimit": -1,
                   "cpuShares": "high", "memReservation": 1024, "memLimit": 4096, "memShares": "normal",
                   "expandable": true, "cpuUsed": 1200, "memUsed": 3072, "vmCount": 1})
        );
        let root = Obj::new(MoRef::new("ResourcePool", "resgroup-1")).with(
            "parent",
            MoRef::new("ClusterComputeResource", "domain-c7").to_json(),
        );
        assert_eq!(summarize(&root, &entry, None).parent, None);
    }
}
