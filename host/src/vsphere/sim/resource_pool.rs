//! Resource pools: their construction (a compute resource's root pool
//! `Resources` and pools below it), their methods (`Rename_Task` and
//! `Destroy_Task`, which moves child pools and VMs up to the parent pool as
//! vCenter does; the root pool allows neither) and their derived child pool
//! and VM lists and summary.

use serde_json::{Value, json};

use super::args::Call;
use super::derive::{Changes, Links, refs};
use super::model::{Meta, Model, Object, reference};
use super::{entity, faults, vm};
use crate::vocabulary::VsError;

fn allocation(shares: i64, expandable: bool) -> Value {
    json!({
        "_typeName": "ResourceAllocationInfo",
        "reservation": 0,
        "expandableReservation": expandable,
        "limit": -1,
        "shares": { "_typeName": "SharesInfo", "shares": shares, "level": "normal" },
        "overheadLimit": 0,
    })
}

/// A resource pool named `name` whose parent is `parent` (kind, id) and whose
/// owner is the compute resource `owner`.
pub(super) fn build(m: &mut Model, name: &str, parent: (&str, &str), owner: &str) -> String {
    let id = m.alloc_id("resgroup");
    let owner_kind = m
        .get(owner)
        .map(|o| o.kind.clone())
        .unwrap_or_else(|| parent.0.to_string());
    let mut p = entity::props(name, Some(&reference(parent.0, parent.1)));
    p.insert("owner".into(), reference(&owner_kind, owner));
    p.insert(
        "config".into(),
        json!({
            "_typeName": "ResourceConfigSpec",
            "entity": reference("ResourcePool", &id),
            "cpuAllocation": allocation(4000, true),
            "memoryAllocation": allocation(163840, true),
        }),
    );
    m.insert("ResourcePool", id.clone(), p, Meta::None);
    id
}

/// True for a compute resource's root pool, whose parent is the compute resource.
fn is_root(m: &Model, parent: &str) -> bool {
    m.get(parent)
        .is_some_and(|p| p.kind.ends_with("ComputeResource"))
}

/// Call a `ResourcePool` method.
pub(super) fn invoke(m: &mut Model, call: &Call) -> Result<Value, VsError> {
    let parent = m.try_get(call.id())?.ref_id("parent").unwrap_or_default();
    let rules = entity::Rules {
        rename_refusal: is_root(m, &parent).then_some("the root resource pool cannot be renamed"),
        destroy,
    };
    entity::invoke(m, call, rules)
}

/// `Destroy_Task`: as in vCenter, child pools and VMs move up to the parent pool.
fn destroy(m: &mut Model, id: &str) -> Result<(), VsError> {
    let parent = m.try_get(id)?.ref_id("parent").unwrap_or_default();
    if is_root(m, &parent) {
        return Err(faults::not_supported(
            "the root resource pool cannot be destroyed",
        ));
    }
    let pools = m.children(id);
    let vms: Vec<String> = m
        .objects()
        .filter(|v| v.kind == "VirtualMachine" && v.ref_id("resourcePool").as_deref() == Some(id))
        .map(|v| v.id.clone())
        .collect();
    for p in pools {
        m.try_get_mut(&p)?
            .set("parent", reference("ResourcePool", &parent));
    }
    for v in vms {
        m.try_get_mut(&v)?
            .set("resourcePool", reference("ResourcePool", &parent));
    }
    m.remove(id);
    Ok(())
}

/// A pool's derived child pool and VM lists and its summary.
pub(super) fn derive(m: &Model, links: &Links, o: &Object, out: &mut Changes) {
    let pools = links.children_of_kind(m, &o.id, "ResourcePool");
    out.set(o, "resourcePool", refs(m, Some(&pools)));
    let vms = links.pool_vms.get(&o.id);
    out.set(o, "vm", refs(m, vms));
    let configured: i64 = vms
        .into_iter()
        .flatten()
        .filter_map(|id| m.get(id))
        .map(vm::memory_mb)
        .sum();
    let mut summary = json!({ "_typeName": "ResourcePoolSummary", "name": o.name(), "configuredMemoryMB": configured });
    if let (Some(c), Value::Object(s)) = (o.get("config"), &mut summary) {
        s.insert("config".into(), c.clone());
    }
    out.set(o, "summary", summary);
}

/// Behaviour tests through the `Backend` trait, as a plugin sees it: every
/// method's effect, every fault, and that a fault leaves the inventory as it was.
#[cfg(test)]
mod backend_tests {
    use serde_json::json;

    use crate::vsphere::sim::test_support::*;

    #[tokio::test]
    async fn destroying_a_pool_moves_its_vms_to_the_parent_pool() {
        let s = sim();
        let tier = find(&s, "DC0/host/prod/Resources/web-tier");
        let vms = ref_values(read(&s, &tier, "vm").await);
        ok(&s, &tier, "Destroy_Task", json!({})).await;
        let root = find(&s, "DC0/host/prod/Resources");
        let now = ref_values(read(&s, &root, "vm").await);
        assert!(vms.iter().all(|v| now.contains(v)));
    }
}
