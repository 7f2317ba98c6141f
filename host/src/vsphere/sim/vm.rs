//! VirtualMachine methods with vCenter's preconditions and faults: power
//! operations, guest operations, cloning, renaming, destroying, templates and
//! migration. Every method checks everything before it changes anything, so a
//! fault leaves the inventory as it was.

use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::args::Args;
use super::build::{self, FolderKind, VmParams};
use super::model::{Meta, Model, Power, fmt_time, reference};
use super::vm_state::{
    check_host_can_run, check_same_compute, host_serves, require_connected, require_power,
    set_power,
};
use super::{derive, entity, faults, snapshot};
use crate::vocabulary::VsError;
use crate::vsphere::MoRef;

/// The methods of `VirtualMachine` the simulator implements.
pub(super) const METHODS: &[&str] = &[
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
    "MarkAsTemplate",
    "MarkAsVirtualMachine",
    "Rename_Task",
    "Destroy_Task",
];

/// Call a `VirtualMachine` method.
pub(super) fn invoke(
    m: &mut Model,
    target: &MoRef,
    method: &str,
    args: &Map<String, Value>,
    now: OffsetDateTime,
) -> Result<Value, VsError> {
    let id = target.value.as_str();
    match method {
        "PowerOnVM_Task" => power_on(m, id, &Args::new(method, args, &["host"])?, now),
        "PowerOffVM_Task" => {
            Args::new(method, args, &[])?;
            require_connected(m, id)?;
            let o = m.try_get(id)?;
            if o.power() == Power::Off {
                return Err(faults::invalid_power_state("poweredOff", "poweredOff"));
            }
            set_power(m.try_get_mut(id)?, Power::Off, now, false);
            Ok(Value::Null)
        }
        "SuspendVM_Task" => {
            Args::new(method, args, &[])?;
            require_connected(m, id)?;
            require_power(m.try_get(id)?, Power::On)?;
            set_power(m.try_get_mut(id)?, Power::Suspended, now, false);
            Ok(Value::Null)
        }
        "ResetVM_Task" => {
            Args::new(method, args, &[])?;
            require_connected(m, id)?;
            require_power(m.try_get(id)?, Power::On)?;
            set_power(m.try_get_mut(id)?, Power::On, now, true);
            Ok(Value::Null)
        }
        "RebootGuest" | "ShutdownGuest" => {
            Args::new(method, args, &[])?;
            require_connected(m, id)?;
            let o = m.try_get(id)?;
            require_power(o, Power::On)?;
            if !derive::tools_running(o) {
                return Err(faults::tools_unavailable());
            }
            let o = m.try_get_mut(id)?;
            if method == "RebootGuest" {
                set_power(o, Power::On, now, true);
            } else {
                set_power(o, Power::Off, now, false);
            }
            Ok(Value::Null)
        }
        "CreateSnapshot_Task" => snapshot::create(
            m,
            id,
            &Args::new(method, args, &["name", "description", "memory", "quiesce"])?,
            now,
        ),
        "RevertToCurrentSnapshot_Task" => snapshot::revert_current(
            m,
            id,
            &Args::new(method, args, &["host", "suppressPowerOn"])?,
            now,
        ),
        "RemoveAllSnapshots_Task" => {
            snapshot::remove_all(m, id, &Args::new(method, args, &["consolidate", "spec"])?)
        }
        "CloneVM_Task" => clone_vm(
            m,
            id,
            &Args::new(method, args, &["folder", "name", "spec"])?,
            now,
        ),
        "MigrateVM_Task" => migrate(
            m,
            id,
            &Args::new(method, args, &["pool", "host", "priority", "state"])?,
        ),
        "MarkAsTemplate" => {
            Args::new(method, args, &[])?;
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
        "MarkAsVirtualMachine" => mark_as_vm(m, id, &Args::new(method, args, &["pool", "host"])?),
        "Rename_Task" => {
            let a = Args::new(method, args, &["newName"])?;
            let name = entity::rename(m, id, a.string("newName")?)?;
            m.try_get_mut(id)?.set("config.name", Value::from(name));
            Ok(Value::Null)
        }
        "Destroy_Task" => {
            Args::new(method, args, &[])?;
            require_connected(m, id)?;
            let o = m.try_get(id)?;
            if o.power() == Power::On {
                return Err(faults::invalid_power_state("poweredOff", "poweredOn"));
            }
            snapshot::drop_all(m, id);
            m.remove(id);
            Ok(Value::Null)
        }
        _ => Err(faults::method_not_found(target, method, METHODS)),
    }
}

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
    // vSphere: the host must be in the VM's compute resource; an incompatible one is ignored.
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

fn migrate(m: &mut Model, id: &str, a: &Args) -> Result<Value, VsError> {
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
    let host_id = match &host {
        Some(h) => {
            m.resolve(h)?;
            h.value.clone()
        }
        None => {
            // Only DRS picks a host; otherwise vCenter wants one.
            let owner = pool_owner.clone().unwrap_or_default();
            let drs = m
                .get(&owner)
                .is_some_and(|c| c.flag("configurationEx.drsConfig.enabled"));
            if !drs {
                return Err(faults::invalid_argument(
                    "host",
                    "required unless the resource pool's cluster has DRS enabled",
                ));
            }
            m.children(&owner)
                .into_iter()
                .find(|h| {
                    m.get(h)
                        .is_some_and(|x| x.kind == "HostSystem" && derive::host_effective(x))
                        && host_serves(m, o, h)
                })
                .ok_or_else(|| {
                    faults::invalid_argument(
                        "pool",
                        "no host in the resource pool's cluster can run the virtual machine",
                    )
                })?
        }
    };
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
    let source_cr = o.ref_id("runtime.host").and_then(|h| m.compute_of_host(&h));
    let new_pool = match (&pool, o.flag("config.template")) {
        (_, true) => None,
        (Some(p), false) => Some(p.value.clone()),
        (None, false) if source_cr == target_cr => o.ref_id("resourcePool"),
        (None, false) => target_cr
            .as_ref()
            .and_then(|c| m.get(c))
            .and_then(|c| c.ref_id("resourcePool")),
    };
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

fn clone_vm(m: &mut Model, id: &str, a: &Args, now: OffsetDateTime) -> Result<Value, VsError> {
    let folder = a.reference("folder", &["Folder"])?;
    let raw_name = a.string("name")?;
    let spec = a.data("spec", "VirtualMachineCloneSpec")?;
    let loc = spec.data("location", "VirtualMachineRelocateSpec")?;
    let pool = loc.opt_reference("pool", &["ResourcePool"])?;
    let host = loc.opt_reference("host", &["HostSystem"])?;
    let datastore = loc.opt_reference("datastore", &["Datastore"])?;
    loc.opt_reference("folder", &["Folder"])?;
    loc.opt_string("diskMoveType")?;
    let template = spec.boolean("template")?;
    let power_on = spec.boolean("powerOn")?;
    let from_snapshot = spec.opt_reference("snapshot", &["VirtualMachineSnapshot"])?;
    spec.opt_boolean("memory")?;
    if spec
        .opt_data("customization", "CustomizationSpec")?
        .is_some()
    {
        return Err(faults::not_supported(
            "the simulated inventory does not run guest customization",
        ));
    }
    let config = spec.opt_data("config", "VirtualMachineConfigSpec")?;
    let (mut cpu_override, mut mem_override, mut notes) = (None, None, None);
    if let Some(c) = &config {
        cpu_override = c.opt_int("numCPUs")?;
        mem_override = c.opt_int("memoryMB")?;
        notes = c.opt_string("annotation")?;
    }

    require_connected(m, id)?;
    let src = m.try_get(id)?;
    let folder_obj = m.resolve(&folder)?;
    if FolderKind::of(m, &folder_obj.id) != Some(FolderKind::Vm) {
        return Err(faults::not_supported(&format!(
            "folder {} cannot hold virtual machines",
            folder_obj.name()
        )));
    }
    let name = entity::check_new_name(m, &folder_obj.id, raw_name, None)?;
    let hardware = match &from_snapshot {
        Some(s) => {
            let so = m.resolve(s)?;
            if so.ref_id("vm").as_deref() != Some(id) {
                return Err(faults::invalid_argument(
                    "spec.snapshot",
                    "the snapshot belongs to another virtual machine",
                ));
            }
            so.get("config.hardware").cloned()
        }
        None => src.get("config.hardware").cloned(),
    }
    .unwrap_or(Value::Null);

    // Placement: pool, host, datastore.
    let src_host = src
        .ref_id("runtime.host")
        .ok_or_else(|| VsError::Internal(format!("{id} has no host")))?;
    let pool_id = match &pool {
        Some(p) => Some(m.resolve(p)?.id.clone()),
        None => src.ref_id("resourcePool"),
    };
    if pool_id.is_none() && !template {
        return Err(faults::invalid_argument(
            "spec.location.pool",
            "a virtual machine cloned from a template needs a resource pool",
        ));
    }
    let owner = pool_id.as_deref().and_then(|p| m.owner_of_pool(p));
    let host_id = match &host {
        Some(h) => {
            m.resolve(h)?;
            if owner.is_some() && m.compute_of_host(&h.value) != owner {
                return Err(faults::invalid_argument(
                    "spec.location.host",
                    "the host is not in the resource pool's cluster",
                ));
            }
            h.value.clone()
        }
        None if owner.is_none() || m.compute_of_host(&src_host) == owner => src_host.clone(),
        None => {
            let owner = owner.clone().unwrap_or_default();
            m.children(&owner)
                .into_iter()
                .find(|h| {
                    m.get(h)
                        .is_some_and(|x| x.kind == "HostSystem" && derive::host_effective(x))
                })
                .ok_or_else(|| {
                    faults::invalid_argument(
                        "spec.location.host",
                        "no usable host in the resource pool's cluster",
                    )
                })?
        }
    };
    check_host_can_run(m, &host_id)?;
    let ds_id = match &datastore {
        Some(d) => m.resolve(d)?.id.clone(),
        None => src
            .ref_ids("datastore")
            .into_iter()
            .next()
            .ok_or_else(|| VsError::Internal(format!("{id} has no datastore")))?,
    };
    if !m
        .get(&host_id)
        .is_some_and(|h| h.ref_ids("datastore").contains(&ds_id))
    {
        return Err(faults::invalid_argument(
            "spec.location.datastore",
            "the datastore is not mounted on the target host",
        ));
    }

    // The same hardware, new identity.
    let devices: &[Value] = match hardware.get("device") {
        Some(Value::Array(d)) => d,
        _ => &[],
    };
    let disks_kb: Vec<i64> = devices
        .iter()
        .filter(|d| d.get("_typeName").and_then(Value::as_str) == Some("VirtualDisk"))
        .filter_map(|d| d.get("capacityInKB").and_then(Value::as_i64))
        .collect();
    let networks: Vec<String> = devices
        .iter()
        .filter_map(|d| {
            d.get("backing")
                .and_then(|b| b.get("network"))
                .and_then(MoRef::from_json)
        })
        .map(|r| r.value)
        .collect();
    let num_cpu =
        cpu_override.unwrap_or_else(|| hardware.get("numCPU").and_then(Value::as_i64).unwrap_or(1));
    let memory_mb = mem_override.unwrap_or_else(|| {
        hardware
            .get("memoryMB")
            .and_then(Value::as_i64)
            .unwrap_or(1024)
    });
    if num_cpu < 1 || memory_mb < 4 {
        return Err(faults::invalid_argument(
            "spec.config",
            "numCPUs must be at least 1 and memoryMB at least 4",
        ));
    }
    let cores = hardware
        .get("numCoresPerSocket")
        .and_then(Value::as_i64)
        .unwrap_or(1)
        .max(1);
    let mut meta = src
        .vm_meta()
        .cloned()
        .ok_or_else(|| VsError::Internal(format!("{id} has no guest facts")))?;
    meta.ip = None;
    meta.next_snapshot_id = 1;
    let result_on = power_on && !template;
    let params = VmParams {
        name,
        folder: folder_obj.id.clone(),
        host: host_id,
        pool: if template { None } else { pool_id },
        datastore: ds_id,
        networks,
        num_cpu,
        cores_per_socket: if num_cpu % cores == 0 { cores } else { 1 },
        memory_mb,
        guest_id: src
            .str("config.guestId")
            .unwrap_or("otherGuest64")
            .to_string(),
        guest_full_name: src.str("config.guestFullName").unwrap_or("").to_string(),
        disks_kb,
        template,
        annotation: notes
            .map(str::to_string)
            .or_else(|| src.str("config.annotation").map(str::to_string)),
        firmware: src.str("config.firmware").unwrap_or("efi").to_string(),
        power: if result_on { Power::On } else { Power::Off },
        boot_time: Some(fmt_time(now)),
        suspend_time: None,
        uuid: uuid::Uuid::new_v4().to_string(),
        instance_uuid: uuid::Uuid::new_v4().to_string(),
        create_date: fmt_time(now),
        meta,
    };
    let new_id = build::vm(m, &params);
    Ok(reference("VirtualMachine", &new_id))
}

/// Behaviour tests through the `Backend` trait, as a plugin sees it: every method's effect, every fault, and that a fault leaves the inventory as it
/// was.
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
    async fn clone_into_a_folder() {
        let s = sim();
        let src = find(&s, "DC0/vm/web/web-04");
        let dev = find(&s, "DC0/vm/dev");
        let spec = json!({"_typeName": "VirtualMachineCloneSpec", "location": {"_typeName": "VirtualMachineRelocateSpec"}, "powerOn": false, "template": false});
        let r = ok(
            &s,
            &src,
            "CloneVM_Task",
            json!({"folder": dev.to_json(), "name": "web-04-copy", "spec": spec}),
        )
        .await;
        let copy = MoRef::from_json(&r).unwrap_or_else(|| panic!("a VM reference"));
        assert_eq!(copy.kind, "VirtualMachine");
        assert_eq!(
            s.inventory_path(&copy).as_deref(),
            Some("DC0/vm/dev/web-04-copy")
        );
        assert_eq!(
            read_str(&s, &copy, "runtime.powerState").await,
            "poweredOff"
        );
        assert_eq!(
            read(&s, &copy, "config.hardware.numCPU").await,
            Some(json!(4))
        );
        assert_eq!(
            read(&s, &copy, "config.hardware.memoryMB").await,
            Some(json!(8192))
        );
        assert_ne!(
            read_str(&s, &copy, "config.uuid").await,
            read_str(&s, &src, "config.uuid").await
        );
        let devs = read(&s, &copy, "config.hardware.device")
            .await
            .unwrap_or_default();
        let disks = devs
            .as_array()
            .into_iter()
            .flatten()
            .filter(|d| d["_typeName"] == "VirtualDisk")
            .count();
        assert_eq!(disks, 2);
        assert_eq!(
            read(&s, &copy, "network").await,
            read(&s, &src, "network").await
        );
        assert!(ref_values(read(&s, &dev, "childEntity").await).contains(&copy.value));
        let host = MoRef::from_json(&read(&s, &copy, "runtime.host").await.unwrap_or_default())
            .unwrap_or_else(|| panic!("host"));
        assert!(ref_values(read(&s, &host, "vm").await).contains(&copy.value));
        assert_eq!(
            read(&s, &copy, "resourcePool").await,
            read(&s, &src, "resourcePool").await
        );

        // Same name in the same folder.
        let e = fails_unchanged(
            &s,
            &src,
            "CloneVM_Task",
            json!({"folder": dev.to_json(), "name": "web-04-copy", "spec": {"location": {}, "powerOn": false, "template": false}}),
            "DuplicateName",
        )
        .await;
        if let VsError::Fault(f) = e {
            assert_eq!(f.detail["object"]["value"], copy.value);
        }
        // Not a VM folder.
        let hostf = find(&s, "DC0/host");
        fails_unchanged(&s, &src, "CloneVM_Task", json!({"folder": hostf.to_json(), "name": "x", "spec": {"location": {}, "powerOn": false, "template": false}}), "NotSupported").await;
        // A template needs a pool to become a VM; with one, powerOn works.
        let tpl = find(&s, "DC0/vm/templates/tpl-ubuntu-22.04");
        fails_unchanged(&s, &tpl, "CloneVM_Task", json!({"folder": dev.to_json(), "name": "from-tpl", "spec": {"location": {}, "powerOn": true, "template": false}}), "InvalidArgument").await;
        let pool = find(&s, "DC0/host/prod/Resources/web-tier");
        let r = ok(&s, &tpl, "CloneVM_Task", json!({"folder": dev.to_json(), "name": "from-tpl", "spec": {"location": {"pool": pool.to_json()}, "powerOn": true, "template": false}})).await;
        let from_tpl = MoRef::from_json(&r).unwrap_or_else(|| panic!("ref"));
        assert_eq!(
            read_str(&s, &from_tpl, "runtime.powerState").await,
            "poweredOn"
        );
        assert_eq!(
            read(&s, &from_tpl, "config.template").await,
            Some(json!(false))
        );
        assert!(ref_values(read(&s, &pool, "vm").await).contains(&from_tpl.value));
        // Misspelt spec fields are reported.
        let r = call(&s, &src, "CloneVM_Task", json!({"folder": dev.to_json(), "name": "y", "spec": {"locaton": {}, "powerOn": false, "template": false}})).await;
        assert!(
            matches!(&r, Err(VsError::InvalidArgument(m)) if m.contains("spec.locaton")),
            "{r:?}"
        );
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
