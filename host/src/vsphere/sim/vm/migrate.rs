//! `MigrateVM_Task` and `RelocateVM_Task`: moving a VM to another host,
//! resource pool or both (and with a relocation, datastore), as vCenter
//! checks it (the host must see the VM's datastores and networks; only DRS
//! picks a host when none is given). A running VM that changes host counts
//! as a vMotion of the target cluster; a datastore move takes the VM's files.

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

/// Check a `VirtualMachineMovePriority`, when given.
fn check_priority(priority: Option<&str>) -> Result<(), VsError> {
    if priority.is_some_and(|p| !["defaultPriority", "highPriority", "lowPriority"].contains(&p)) {
        return Err(faults::invalid_argument(
            "priority",
            "must be defaultPriority, highPriority or lowPriority",
        ));
    }
    Ok(())
}

/// `MigrateVM_Task`.
pub(super) fn migrate(m: &mut Model, id: &str, a: &Args) -> Result<Value, VsError> {
    let pool = a.opt_reference("pool", &["ResourcePool"])?;
    let host = a.opt_reference("host", &["HostSystem"])?;
    check_priority(Some(a.string("priority")?))?;
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
    move_to(m, id, pool.as_ref(), host.as_ref(), None)
}

/// `RelocateVM_Task` with a spec of host, pool and datastore (any of them;
/// an empty spec moves nothing). Disk-level placement is not simulated.
pub(super) fn relocate(m: &mut Model, id: &str, a: &Args) -> Result<Value, VsError> {
    let spec = a.data("spec", "VirtualMachineRelocateSpec")?;
    spec.only(&["host", "pool", "datastore"])?;
    let pool = spec.opt_reference("pool", &["ResourcePool"])?;
    let host = spec.opt_reference("host", &["HostSystem"])?;
    let datastore = spec.opt_reference("datastore", &["Datastore"])?;
    check_priority(a.opt_string("priority")?)?;
    require_connected(m, id)?;
    let o = m.try_get(id)?;
    let current_host = o
        .ref_id("runtime.host")
        .ok_or_else(|| VsError::Internal(format!("{id} has no host")))?;
    // Without a host, a pool in the VM's own compute resource keeps its host.
    let host = match (&host, &pool) {
        (None, Some(p))
            if m.owner_of_pool(&m.resolve(p)?.id) == m.compute_of_host(&current_host) =>
        {
            Some(crate::vsphere::MoRef::new("HostSystem", &current_host))
        }
        (None, None) if datastore.is_some() => {
            Some(crate::vsphere::MoRef::new("HostSystem", &current_host))
        }
        _ => host,
    };
    if host.is_none() && pool.is_none() {
        return Ok(Value::Null);
    }
    move_to(m, id, pool.as_ref(), host.as_ref(), datastore.as_ref())
}

/// The VM's files moved to datastore `to` (named `to_name`): disks,
/// configuration and the `datastore` list.
fn move_files(o: &mut Object, to: &str, to_name: &str) {
    let rehome = |path: &str| match path.split_once("] ") {
        Some((_, rest)) => format!("[{to_name}] {rest}"),
        None => path.to_string(),
    };
    let mut devices = o
        .get("config.hardware.device")
        .cloned()
        .unwrap_or(Value::Null);
    for d in devices.as_array_mut().into_iter().flatten() {
        if let Some(b) = d.get_mut("backing").filter(|b| b.get("fileName").is_some()) {
            let file = rehome(b["fileName"].as_str().unwrap_or(""));
            b["fileName"] = Value::from(file);
            b["datastore"] = reference("Datastore", to);
        }
    }
    o.set("config.hardware.device", devices);
    for field in [
        "vmPathName",
        "snapshotDirectory",
        "suspendDirectory",
        "logDirectory",
    ] {
        let path = format!("config.files.{field}");
        if let Some(p) = o.str(&path).map(rehome) {
            o.set(&path, Value::from(p));
        }
    }
    o.set("datastore", Value::Array(vec![reference("Datastore", to)]));
}

/// Move the VM to `host` and/or `pool` (and its files to `datastore`), as
/// `MigrateVM_Task` and `RelocateVM_Task` check it.
fn move_to(
    m: &mut Model,
    id: &str,
    pool: Option<&crate::vsphere::MoRef>,
    host: Option<&crate::vsphere::MoRef>,
    datastore: Option<&crate::vsphere::MoRef>,
) -> Result<Value, VsError> {
    let o = m.try_get(id)?;
    let pool_owner = match &pool {
        Some(p) => {
            m.resolve(p)?;
            m.owner_of_pool(&p.value)
        }
        None => None,
    };
    let host_id = target_host(m, o, host, pool_owner.as_ref())?;
    let target_cr = m.compute_of_host(&host_id);
    if pool_owner.is_some() && pool_owner != target_cr {
        return Err(faults::invalid_argument(
            "host",
            "the host is not in the resource pool's cluster",
        ));
    }
    check_host_can_run(m, &host_id)?;
    let new_files = match datastore {
        Some(d) => Some((m.resolve(d)?.id.clone(), m.resolve(d)?.name().to_string())),
        None => None,
    };
    if let Some((ds, _)) = &new_files
        && !m
            .get(&host_id)
            .is_some_and(|h| h.ref_ids("datastore").contains(ds))
    {
        return Err(faults::invalid_argument(
            "datastore",
            "the datastore is not mounted on the target host",
        ));
    }
    if new_files.is_none() && !host_serves(m, o, &host_id) {
        return Err(faults::invalid_argument(
            "host",
            "the host does not see the virtual machine's datastores and networks",
        ));
    }
    if !o.ref_ids("network").iter().all(|n| {
        m.get(&host_id)
            .is_some_and(|h| h.ref_ids("network").contains(n))
    }) {
        return Err(faults::invalid_argument(
            "host",
            "the host does not have the virtual machine's networks",
        ));
    }
    let new_pool = pool_after(m, o, pool, target_cr.as_ref());
    let moved_running =
        o.power() == Power::On && o.ref_id("runtime.host").as_deref() != Some(host_id.as_str());
    let o = m.try_get_mut(id)?;
    o.set("runtime.host", reference("HostSystem", &host_id));
    if let Some(p) = new_pool {
        o.set("resourcePool", reference("ResourcePool", &p));
    }
    if let Some((ds, name)) = &new_files {
        move_files(o, ds, name);
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

    #[tokio::test]
    async fn relocate_moves_host_pool_and_files() {
        let s = sim();
        let vm = find(&s, "DC0/vm/web/web-01");
        let esx02 = find(&s, "DC0/host/prod/esx-02.lab.local");
        let spec = |fields: serde_json::Value| {
            let mut v = json!({"_typeName": "VirtualMachineRelocateSpec"});
            for (k, x) in fields.as_object().unwrap() {
                v[k] = x.clone();
            }
            json!({ "spec": v })
        };
        ok(
            &s,
            &vm,
            "RelocateVM_Task",
            spec(json!({"host": esx02.to_json()})),
        )
        .await;
        assert_eq!(
            read(&s, &vm, "runtime.host")
                .await
                .and_then(|v| MoRef::from_json(&v)),
            Some(esx02.clone())
        );
        // A datastore the host does not mount, a host of another cluster
        // without its networks, and fields not simulated change nothing.
        let esx05 = find(&s, "DC0/host/esx-05.lab.local/esx-05.lab.local");
        fails_unchanged(
            &s,
            &vm,
            "RelocateVM_Task",
            spec(json!({"host": esx05.to_json()})),
            "InvalidArgument",
        )
        .await;
        fails_unchanged(
            &s,
            &vm,
            "RelocateVM_Task",
            spec(json!({"diskMoveType": "moveAllDiskBackingsAndDisallowSharing"})),
            "NotSupported",
        )
        .await;
        let ds = read(&s, &esx02, "datastore").await.unwrap();
        let current = read(&s, &vm, "datastore").await.unwrap();
        let other = ds
            .as_array()
            .unwrap()
            .iter()
            .filter_map(MoRef::from_json)
            .find(|d| {
                !current
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter_map(MoRef::from_json)
                    .any(|c| &c == d)
            });
        let other = other.expect("esx-02 mounts a datastore web-01 is not on");
        ok(
            &s,
            &vm,
            "RelocateVM_Task",
            spec(json!({"datastore": other.to_json()})),
        )
        .await;
        let now = read(&s, &vm, "datastore").await.unwrap();
        assert_eq!(
            now.as_array()
                .unwrap()
                .iter()
                .filter_map(MoRef::from_json)
                .collect::<Vec<_>>(),
            std::slice::from_ref(&other)
        );
        let name = read_str(&s, &other, "name").await;
        assert!(
            read_str(&s, &vm, "config.files.vmPathName")
                .await
                .starts_with(&format!("[{name}] "))
        );
    }
}
