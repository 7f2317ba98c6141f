//! The VirtualMachine methods with vCenter's preconditions and faults: power
//! and guest operations, templates, renaming and destroying, with cloning,
//! migration, reconfiguration and snapshots dispatched to their own modules. Every method
//! checks everything before it changes anything, so a fault leaves the
//! inventory as it was.

use serde_json::Value;
use time::OffsetDateTime;

use super::state::{
    check_host_can_run, check_same_compute, host_serves, require_connected, require_power,
    set_power, tools_running,
};
use super::{clone, migrate, reconfigure, snapshot};
use crate::vocabulary::VsError;
use crate::vsphere::sim::args::{Args, Call};
use crate::vsphere::sim::model::{Model, Power, reference};
use crate::vsphere::sim::{entity, faults};

/// The methods of `VirtualMachine` the simulator implements.
const METHODS: &[&str] = &[
    "PowerOnVM_Task",
    "PowerOffVM_Task",
    "ResetVM_Task",
    "SuspendVM_Task",
    "RebootGuest",
    "ShutdownGuest",
    "CreateSnapshot_Task",
    "RevertToCurrentSnapshot_Task",
    "RemoveAllSnapshots_Task",
    "CloneVM_Task",
    "MigrateVM_Task",
    "RelocateVM_Task",
    "ReconfigVM_Task",
    "MarkAsTemplate",
    "MarkAsVirtualMachine",
    "Rename_Task",
    "Destroy_Task",
];

/// Call a `VirtualMachine` method.
pub(in crate::vsphere::sim) fn invoke(m: &mut Model, call: &Call) -> Result<Value, VsError> {
    let (id, now) = (call.id(), call.now);
    match call.method {
        "PowerOnVM_Task" => power_on(m, id, &call.params(&["host"])?, now),
        "PowerOffVM_Task" => {
            call.params(&[])?;
            change_power(m, id, Power::Off, now)
        }
        "SuspendVM_Task" => {
            call.params(&[])?;
            change_power(m, id, Power::Suspended, now)
        }
        "ResetVM_Task" => {
            call.params(&[])?;
            change_power(m, id, Power::On, now)
        }
        "RebootGuest" | "ShutdownGuest" => {
            call.params(&[])?;
            guest_power(m, id, call.method == "RebootGuest", now)
        }
        "CreateSnapshot_Task" => {
            let a = call.params(&["name", "description", "memory", "quiesce"])?;
            snapshot::create(m, id, &a, now)
        }
        "RevertToCurrentSnapshot_Task" => {
            let a = call.params(&["host", "suppressPowerOn"])?;
            snapshot::revert_current(m, id, &a, now)
        }
        "RemoveAllSnapshots_Task" => {
            snapshot::remove_all(m, id, &call.params(&["consolidate", "spec"])?)
        }
        "CloneVM_Task" => clone::clone_vm(m, id, &call.params(&["folder", "name", "spec"])?, now),
        "MigrateVM_Task" => {
            migrate::migrate(m, id, &call.params(&["pool", "host", "priority", "state"])?)
        }
        "RelocateVM_Task" => migrate::relocate(m, id, &call.params(&["spec", "priority"])?),
        "ReconfigVM_Task" => reconfigure::reconfigure(m, id, &call.params(&["spec"])?),
        "MarkAsTemplate" => {
            call.params(&[])?;
            mark_as_template(m, id)
        }
        "MarkAsVirtualMachine" => mark_as_vm(m, id, &call.params(&["pool", "host"])?),
        "Rename_Task" => {
            let name = entity::rename(m, id, entity::new_name(call)?)?;
            m.try_get_mut(id)?.set("config.name", Value::from(name));
            Ok(Value::Null)
        }
        "Destroy_Task" => {
            call.params(&[])?;
            destroy(m, id)
        }
        _ => Err(call.not_found(METHODS)),
    }
}

/// `PowerOnVM_Task`: on its host, or on `host` when that is in the VM's
/// compute resource (vSphere ignores an incompatible one for a powered-off VM).
fn power_on(m: &mut Model, id: &str, a: &Args, now: OffsetDateTime) -> Result<Value, VsError> {
    let host = a.opt_reference("host", &["HostSystem"])?;
    require_connected(m, id)?;
    let o = m.try_get(id)?;
    if o.flag("config.template") {
        return Err(faults::invalid_state("a template cannot be powered on"));
    }
    if o.power() == Power::On {
        return Err(faults::invalid_power_state("poweredOn", "poweredOn"));
    }
    let current = o
        .ref_id("runtime.host")
        .ok_or_else(|| VsError::Internal(format!("{id} has no host")))?;
    let mut run_on = current.clone();
    if let Some(h) = &host {
        m.resolve(h)?;
        check_same_compute(m, id, &h.value, "host")?;
        if o.power() == Power::Off && host_serves(m, o, &h.value) {
            run_on = h.value.clone();
        }
    }
    check_host_can_run(m, &run_on)?;
    let o = m.try_get_mut(id)?;
    o.set("runtime.host", reference("HostSystem", &run_on));
    set_power(o, Power::On, now, false);
    Ok(Value::Null)
}

/// `PowerOffVM_Task` (from on or suspended), `SuspendVM_Task` and
/// `ResetVM_Task` (from on only), by the state each leads `to`.
fn change_power(m: &mut Model, id: &str, to: Power, now: OffsetDateTime) -> Result<Value, VsError> {
    require_connected(m, id)?;
    let o = m.try_get(id)?;
    if to == Power::Off {
        if o.power() == Power::Off {
            return Err(faults::invalid_power_state("poweredOff", "poweredOff"));
        }
    } else {
        require_power(o, Power::On)?;
    }
    // A reset is a fresh boot; the other changes keep the boot time rules of `set_power`.
    set_power(m.try_get_mut(id)?, to, now, to == Power::On);
    Ok(Value::Null)
}

/// `RebootGuest` and `ShutdownGuest`: VMware Tools must run in the guest.
fn guest_power(
    m: &mut Model,
    id: &str,
    reboot: bool,
    now: OffsetDateTime,
) -> Result<Value, VsError> {
    require_connected(m, id)?;
    let o = m.try_get(id)?;
    require_power(o, Power::On)?;
    if !tools_running(o) {
        return Err(faults::tools_unavailable());
    }
    let o = m.try_get_mut(id)?;
    if reboot {
        set_power(o, Power::On, now, true);
    } else {
        set_power(o, Power::Off, now, false);
    }
    Ok(Value::Null)
}

/// `MarkAsTemplate`: a powered-off VM leaves its resource pool.
fn mark_as_template(m: &mut Model, id: &str) -> Result<Value, VsError> {
    let o = m.try_get(id)?;
    if o.flag("config.template") {
        return Err(faults::not_supported(
            "the virtual machine is already a template",
        ));
    }
    require_power(o, Power::Off)?;
    let o = m.try_get_mut(id)?;
    o.set("config.template", Value::Bool(true));
    o.unset("resourcePool");
    Ok(Value::Null)
}

/// `MarkAsVirtualMachine`: a template joins `pool`, on `host` or its own
/// host, which must be in the pool's compute resource.
fn mark_as_vm(m: &mut Model, id: &str, a: &Args) -> Result<Value, VsError> {
    let pool = a.reference("pool", &["ResourcePool"])?;
    let host = a.opt_reference("host", &["HostSystem"])?;
    let o = m.try_get(id)?;
    if !o.flag("config.template") {
        return Err(faults::not_supported(
            "the virtual machine is not a template",
        ));
    }
    m.resolve(&pool)?;
    let owner = m.owner_of_pool(&pool.value);
    let host_id = match &host {
        Some(h) => {
            m.resolve(h)?;
            h.value.clone()
        }
        None => o
            .ref_id("runtime.host")
            .ok_or_else(|| VsError::Internal(format!("{id} has no host")))?,
    };
    if m.compute_of_host(&host_id) != owner {
        return Err(faults::invalid_argument(
            "host",
            "the host is not in the resource pool's cluster or compute resource",
        ));
    }
    let o = m.try_get_mut(id)?;
    o.set("config.template", Value::Bool(false));
    o.set("resourcePool", reference("ResourcePool", &pool.value));
    o.set("runtime.host", reference("HostSystem", &host_id));
    Ok(Value::Null)
}

/// `Destroy_Task`: a VM that is not running goes, with its snapshots.
fn destroy(m: &mut Model, id: &str) -> Result<Value, VsError> {
    require_connected(m, id)?;
    if m.try_get(id)?.power() == Power::On {
        return Err(faults::invalid_power_state("poweredOff", "poweredOn"));
    }
    snapshot::drop_all(m, id);
    m.remove(id);
    Ok(Value::Null)
}

/// Behaviour tests through the `Backend` trait, as a plugin sees it: every
/// method's effect, every fault, and that a fault leaves the inventory as it was.
#[cfg(test)]
mod backend_tests {
    use serde_json::{Value, json};

    use crate::vocabulary::VsError;
    use crate::vsphere::sim::test_support::*;
    use crate::vsphere::sim::*;

    #[tokio::test]
    async fn power_operations_change_state_and_guest_info() {
        let s = sim();
        let vm = find(&s, "DC0/vm/web/web-01");
        let host = MoRef::from_json(&read(&s, &vm, "runtime.host").await.unwrap_or_default())
            .unwrap_or_else(|| panic!("host"));
        let cpu_before = read(&s, &host, "summary.quickStats.overallCpuUsage")
            .await
            .and_then(|v| v.as_i64())
            .unwrap_or(0);

        assert_eq!(ok(&s, &vm, "PowerOffVM_Task", json!({})).await, Value::Null);
        assert_eq!(read_str(&s, &vm, "runtime.powerState").await, "poweredOff");
        assert_eq!(
            read_str(&s, &vm, "summary.runtime.powerState").await,
            "poweredOff"
        );
        assert_eq!(read(&s, &vm, "guest.ipAddress").await, None);
        assert_eq!(
            read(&s, &vm, "summary.quickStats.overallCpuUsage").await,
            Some(json!(0))
        );
        let cpu_after = read(&s, &host, "summary.quickStats.overallCpuUsage")
            .await
            .and_then(|v| v.as_i64())
            .unwrap_or(0);
        assert!(
            cpu_after < cpu_before,
            "host load drops: {cpu_before} → {cpu_after}"
        );
        let e = fails_unchanged(&s, &vm, "PowerOffVM_Task", json!({}), "InvalidPowerState").await;
        if let VsError::Fault(f) = e {
            assert_eq!(f.detail["existingState"], "poweredOff");
            assert!(f.message.contains("Powered off"), "{}", f.message);
        }
        fails_unchanged(&s, &vm, "SuspendVM_Task", json!({}), "InvalidPowerState").await;
        fails_unchanged(&s, &vm, "ResetVM_Task", json!({}), "InvalidPowerState").await;
        fails_unchanged(&s, &vm, "RebootGuest", json!({}), "InvalidPowerState").await;
        fails_unchanged(&s, &vm, "ShutdownGuest", json!({}), "InvalidPowerState").await;

        ok(&s, &vm, "PowerOnVM_Task", json!({})).await;
        assert_eq!(read_str(&s, &vm, "runtime.powerState").await, "poweredOn");
        assert_eq!(read_str(&s, &vm, "guest.ipAddress").await, "10.10.1.11");
        assert!(read(&s, &vm, "runtime.bootTime").await.is_some());
        fails_unchanged(&s, &vm, "PowerOnVM_Task", json!({}), "InvalidPowerState").await;

        ok(&s, &vm, "SuspendVM_Task", json!({})).await;
        assert_eq!(read_str(&s, &vm, "runtime.powerState").await, "suspended");
        assert!(read(&s, &vm, "runtime.suspendTime").await.is_some());
        fails_unchanged(&s, &vm, "SuspendVM_Task", json!({}), "InvalidPowerState").await;
        ok(&s, &vm, "PowerOnVM_Task", json!({})).await;
        assert_eq!(read(&s, &vm, "runtime.suspendTime").await, None);

        ok(&s, &vm, "ResetVM_Task", json!({})).await;
        assert_eq!(read_str(&s, &vm, "runtime.powerState").await, "poweredOn");
        ok(&s, &vm, "ShutdownGuest", json!({})).await;
        assert_eq!(read_str(&s, &vm, "runtime.powerState").await, "poweredOff");
    }

    #[tokio::test]
    async fn guest_operations_need_running_tools() {
        let s = sim();
        let vm = find(&s, "DC0/vm/dev/dev-db-01");
        assert_eq!(
            read_str(&s, &vm, "guest.toolsStatus").await,
            "toolsNotRunning"
        );
        fails_unchanged(&s, &vm, "RebootGuest", json!({}), "ToolsUnavailable").await;
        fails_unchanged(&s, &vm, "ShutdownGuest", json!({}), "ToolsUnavailable").await;

        let web = find(&s, "DC0/vm/web/web-02");
        let boot = read_str(&s, &web, "runtime.bootTime").await;
        ok(&s, &web, "RebootGuest", json!({})).await;
        assert_eq!(read_str(&s, &web, "runtime.powerState").await, "poweredOn");
        assert_ne!(
            read_str(&s, &web, "runtime.bootTime").await,
            boot,
            "a reboot sets a new boot time"
        );
    }

    #[tokio::test]
    async fn templates_cannot_power_on() {
        let s = sim();
        let tpl = find(&s, "DC0/vm/templates/tpl-ubuntu-22.04");
        assert_eq!(read(&s, &tpl, "config.template").await, Some(json!(true)));
        assert_eq!(read(&s, &tpl, "resourcePool").await, None);
        fails_unchanged(&s, &tpl, "PowerOnVM_Task", json!({}), "InvalidState").await;
    }

    #[tokio::test]
    async fn destroy_requires_power_off() {
        let s = sim();
        let vm = find(&s, "DC0/vm/web/web-02");
        let host = MoRef::from_json(&read(&s, &vm, "runtime.host").await.unwrap_or_default())
            .unwrap_or_else(|| panic!("host"));
        fails_unchanged(&s, &vm, "Destroy_Task", json!({}), "InvalidPowerState").await;
        ok(&s, &vm, "PowerOffVM_Task", json!({})).await;
        ok(&s, &vm, "Destroy_Task", json!({})).await;
        assert!(s.find_by_path("DC0/vm/web/web-02").is_none());
        assert!(!ref_values(read(&s, &host, "vm").await).contains(&vm.value));
        assert!(
            !ref_values(read(&s, &find(&s, "DC0/vm/web"), "childEntity").await).contains(&vm.value)
        );
        assert_eq!(
            fault_type(&call(&s, &vm, "PowerOnVM_Task", json!({})).await),
            "ManagedObjectNotFound"
        );

        // A snapshotted VM takes its snapshots with it.
        let db2 = find(&s, "DC0/vm/db/db-02");
        let snap = MoRef::from_json(&tree(&s, &db2).await["rootSnapshotList"][0]["snapshot"])
            .unwrap_or_else(|| panic!("snapshot"));
        ok(&s, &db2, "PowerOffVM_Task", json!({})).await;
        ok(&s, &db2, "Destroy_Task", json!({})).await;
        assert_eq!(
            fault_type(&call(&s, &snap, "RevertToSnapshot_Task", json!({})).await),
            "ManagedObjectNotFound"
        );
    }

    #[tokio::test]
    async fn rename_checks_names() {
        let s = sim();
        let vm = find(&s, "DC0/vm/web/web-03");
        ok(&s, &vm, "Rename_Task", json!({"newName": "web-03-old"})).await;
        assert_eq!(read_str(&s, &vm, "name").await, "web-03-old");
        assert_eq!(read_str(&s, &vm, "config.name").await, "web-03-old");
        assert_eq!(read_str(&s, &vm, "summary.config.name").await, "web-03-old");
        fails_unchanged(
            &s,
            &vm,
            "Rename_Task",
            json!({"newName": "web-01"}),
            "DuplicateName",
        )
        .await;
        fails_unchanged(
            &s,
            &vm,
            "Rename_Task",
            json!({"newName": ""}),
            "InvalidName",
        )
        .await;
        ok(&s, &vm, "Rename_Task", json!({"newName": "a/b"})).await;
        assert_eq!(read_str(&s, &vm, "name").await, "a%2fb");
        assert_eq!(s.find_by_path("DC0/vm/web/a%2fb"), Some(vm.clone()));
        let r = call(&s, &vm, "Rename_Task", json!({})).await;
        assert!(
            matches!(&r, Err(VsError::InvalidArgument(m)) if m.contains("`newName`")),
            "{r:?}"
        );
        // Folders rename too; a datacenter's own folders do not.
        let web = find(&s, "DC0/vm/web");
        ok(&s, &web, "Rename_Task", json!({"newName": "frontend"})).await;
        assert!(s.find_by_path("DC0/vm/frontend/web-01").is_some());
        fails_unchanged(
            &s,
            &find(&s, "DC0/vm"),
            "Rename_Task",
            json!({"newName": "x"}),
            "NotSupported",
        )
        .await;
    }

    #[tokio::test]
    async fn power_on_with_a_host_moves_the_vm_within_its_cluster() {
        let s = sim();
        let vm = find(&s, "DC0/vm/web/web-03");
        let esx02 = find(&s, "DC0/host/prod/esx-02.lab.local");
        ok(&s, &vm, "PowerOnVM_Task", json!({"host": esx02.to_json()})).await;
        assert_eq!(
            read(&s, &vm, "runtime.host")
                .await
                .and_then(|v| MoRef::from_json(&v)),
            Some(esx02)
        );
        // A host of another cluster is refused.
        let other = find(&s, "DC0/vm/web/web-01");
        ok(&s, &other, "PowerOffVM_Task", json!({})).await;
        let esx04 = find(&s, "DC0/host/dev/esx-04.lab.local");
        fails_unchanged(
            &s,
            &other,
            "PowerOnVM_Task",
            json!({"host": esx04.to_json()}),
            "InvalidArgument",
        )
        .await;
    }
}
