//! `MigrateVM_Task`: moving a VM to another host, resource pool or both, as
//! vCenter checks it (the host must see the VM's datastores and networks;
//! only DRS picks a host when none is given). A running VM that changes host
//! counts as a vMotion of the target cluster.

use serde_json::Value;

use super::state::{check_host_can_run, drs_pick, host_serves, require_connected};
use crate::vocabulary::VsError;
use crate::vsphere::sim::args::Args;
use crate::vsphere::sim::faults;
use crate::vsphere::sim::model::{Meta, Model, Object, Power, reference};

/// The host a migration goes to: the one given, or the one DRS picks in the
/// pool's cluster (vCenter wants a host when the cluster has no DRS).
fn target_host(
    m: &Model,
    vm: &Object,
    host: Option<&crate::vsphere::MoRef>,
    pool_owner: Option<&String>,
) -> Result<String, VsError> {
    if let Some(h) = host {
        m.resolve(h)?;
        return Ok(h.value.clone());
    }
    let owner = pool_owner.cloned().unwrap_or_default();
    let drs = m
        .get(&owner)
        .is_some_and(|c| c.flag("configurationEx.drsConfig.enabled"));
    if !drs {
        return Err(faults::invalid_argument(
            "host",
            "required unless the resource pool's cluster has DRS enabled",
        ));
    }
    drs_pick(m, &owner, |h| host_serves(m, vm, h)).ok_or_else(|| {
        faults::invalid_argument(
            "pool",
            "no host in the resource pool's cluster can run the virtual machine",
        )
    })
}

/// The pool after the move: the one given; a template has none; otherwise
/// the VM keeps its pool within its cluster and takes the root pool of another.
fn pool_after(
    m: &Model,
    vm: &Object,
    pool: Option<&crate::vsphere::MoRef>,
    target_cr: Option<&String>,
) -> Option<String> {
    let source_cr = vm
        .ref_id("runtime.host")
        .and_then(|h| m.compute_of_host(&h));
    match (pool, vm.flag("config.template")) {
        (_, true) => None,
        (Some(p), false) => Some(p.value.clone()),
        (None, false) if source_cr.as_ref() == target_cr => vm.ref_id("resourcePool"),
        (None, false) => target_cr
            .and_then(|c| m.get(c))
            .and_then(|c| c.ref_id("resourcePool")),
    }
}

/// `MigrateVM_Task`.
pub(super) fn migrate(m: &mut Model, id: &str, a: &Args) -> Result<Value, VsError> {
    let pool = a.opt_reference("pool", &["ResourcePool"])?;
    let host = a.opt_reference("host", &["HostSystem"])?;
    let priority = a.string("priority")?;
    if !["defaultPriority", "highPriority", "lowPriority"].contains(&priority) {
        return Err(faults::invalid_argument(
            "priority",
            "must be defaultPriority, highPriority or lowPriority",
        ));
    }
    let state = a.opt_string("state")?;
    require_connected(m, id)?;
    let o = m.try_get(id)?;
    if let Some(s) = state
        && s != o.power().as_str()
    {
        return Err(faults::invalid_power_state(s, o.power().as_str()));
    }
    if pool.is_none() && host.is_none() {
        return Err(faults::invalid_argument(
            "host",
            "give a host, a resource pool, or both",
        ));
    }
    let pool_owner = match &pool {
        Some(p) => {
            m.resolve(p)?;
            m.owner_of_pool(&p.value)
        }
        None => None,
    };
    let host_id = target_host(m, o, host.as_ref(), pool_owner.as_ref())?;
    let target_cr = m.compute_of_host(&host_id);
    if pool_owner.is_some() && pool_owner != target_cr {
        return Err(faults::invalid_argument(
            "host",
            "the host is not in the resource pool's cluster",
        ));
    }
    check_host_can_run(m, &host_id)?;
    if !host_serves(m, o, &host_id) {
        return Err(faults::invalid_argument(
            "host",
            "the host does not see the virtual machine's datastores and networks",
        ));
    }
    let new_pool = pool_after(m, o, pool.as_ref(), target_cr.as_ref());
    let moved_running =
        o.power() == Power::On && o.ref_id("runtime.host").as_deref() != Some(host_id.as_str());
    let o = m.try_get_mut(id)?;
    o.set("runtime.host", reference("HostSystem", &host_id));
    if let Some(p) = new_pool {
        o.set("resourcePool", reference("ResourcePool", &p));
    }
    if moved_running
        && let Some(Meta::Compute(c)) = target_cr.and_then(|c| m.get_mut(&c)).map(|c| &mut c.meta)
    {
        c.vmotions += 1;
    }
    Ok(Value::Null)
}

/// Behaviour tests through the `Backend` trait, as a plugin sees it: every
/// method's effect, every fault, and that a fault leaves the inventory as it was.
#[cfg(test)]
mod backend_tests {
    use serde_json::json;

    use crate::vsphere::sim::test_support::*;
    use crate::vsphere::sim::*;

    #[tokio::test]
    async fn migrate_moves_a_running_vm() {
        let s = sim();
        let vm = find(&s, "DC0/vm/web/web-01");
        let esx03 = find(&s, "DC0/host/prod/esx-03.lab.local");
        ok(
            &s,
            &vm,
            "MigrateVM_Task",
            json!({"host": esx03.to_json(), "priority": "defaultPriority"}),
        )
        .await;
        assert_eq!(
            read(&s, &vm, "runtime.host")
                .await
                .and_then(|v| MoRef::from_json(&v)),
            Some(esx03)
        );
        let esx05 = find(&s, "DC0/host/esx-05.lab.local/esx-05.lab.local");
        fails_unchanged(
            &s,
            &vm,
            "MigrateVM_Task",
            json!({"host": esx05.to_json(), "priority": "defaultPriority"}),
            "InvalidArgument",
        )
        .await;
    }
}
