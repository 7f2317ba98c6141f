//! Resource pools: their construction (a compute resource's root pool
//! `Resources` and pools below it), their methods (`Rename_Task` and
//! `Destroy_Task`, which moves child pools and VMs up to the parent pool as
//! vCenter does; the root pool allows neither) and their derived child pool
//! and VM lists, summary and runtime (what the VMs in and below use).

use serde_json::{Value, json};

use super::args::Call;
use super::derive::{Changes, Links, refs};
use super::model::{Meta, Model, Object, reference};
use super::{entity, faults, host, vm};
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

/// The VMs in the pool `id` and in every pool below it.
fn vms_below(m: &Model, links: &Links, id: &str) -> Vec<String> {
    let mut vms = links.pool_vms.get(id).cloned().unwrap_or_default();
    for child in links.children_of_kind(m, id, "ResourcePool") {
        vms.extend(vms_below(m, links, &child));
    }
    vms
}

/// One resource's `ResourcePoolResourceUsage`: `used` of at most `max`
/// (no reservations are simulated).
fn usage(used: i64, max: i64) -> Value {
    json!({
        "_typeName": "ResourcePoolResourceUsage",
        "reservationUsed": 0,
        "reservationUsedForVm": 0,
        "unreservedForPool": max,
        "unreservedForVm": max,
        "overallUsage": used,
        "maxUsage": max,
    })
}

/// `runtime`: CPU (MHz) and memory (bytes) the running VMs in and below the
/// pool use, of what its owner's hosts offer.
fn runtime(m: &Model, links: &Links, o: &Object) -> Value {
    let vms: Vec<&Object> = vms_below(m, links, &o.id)
        .iter()
        .filter_map(|id| m.get(id))
        .collect();
    let cpu: i64 = vms.iter().map(|v| vm::cpu_usage_mhz(m, v)).sum();
    let memory: i64 = vms.iter().map(|v| vm::host_memory_mb(v)).sum::<i64>() * 1024 * 1024;
    let (max_cpu, max_memory) = o
        .ref_id("owner")
        .map(|owner| host::effective_capacity(m, &links.children_of_kind(m, &owner, "HostSystem")))
        .unwrap_or((0, 0));
    json!({
        "_typeName": "ResourcePoolRuntimeInfo",
        "overallStatus": o.str("overallStatus").unwrap_or("green"),
        "cpu": usage(cpu, max_cpu),
        "memory": usage(memory, max_memory),
    })
}

/// A pool's derived child pool and VM lists, summary and runtime.
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
    out.set(o, "runtime", runtime(m, links, o));
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

    #[tokio::test]
    async fn a_pools_runtime_counts_the_running_vms_in_and_below_it() {
        let s = sim();
        let root = find(&s, "DC0/host/prod/Resources");
        let tier = find(&s, "DC0/host/prod/Resources/web-tier");
        let used = |pool| {
            let s = &s;
            async move {
                read(s, pool, "runtime.cpu.overallUsage")
                    .await
                    .and_then(|v| v.as_i64())
                    .unwrap()
            }
        };
        let (root_cpu, tier_cpu) = (used(&root).await, used(&tier).await);
        assert!(tier_cpu > 0, "web-tier runs VMs");
        assert!(
            root_cpu >= tier_cpu,
            "the root pool counts web-tier's VMs too"
        );
        let max = read(&s, &root, "runtime.cpu.maxUsage").await.unwrap();
        assert!(max.as_i64().unwrap() > root_cpu);
        for vm in ref_values(read(&s, &tier, "vm").await) {
            let vm = crate::vsphere::MoRef::new("VirtualMachine", vm);
            if read(&s, &vm, "runtime.powerState").await == Some(json!("poweredOn")) {
                ok(&s, &vm, "PowerOffVM_Task", json!({})).await;
            }
        }
        assert_eq!(used(&tier).await, 0, "no VM of web-tier runs");
        assert_eq!(used(&root).await, root_cpu - tier_cpu);
    }
}
