//! VirtualMachine methods with vCenter's preconditions and faults: power
//! operations, guest operations, cloning, renaming, destroying, templates and
//! migration. Every method checks everything before it changes anything, so a
//! fault leaves the inventory as it was.

use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::args::Args;
use super::build::{self, FolderKind, VmParams};
use super::model::{Meta, Model, Object, Power, fmt_time, reference};
use super::{derive, entity, faults, snapshot};
use crate::error::VsError;
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

/// The VM's host must be connected for anything but renaming.
pub(super) fn require_connected(m: &Model, vm_id: &str) -> Result<(), VsError> {
    let o = m.expect(vm_id)?;
    let connected = o
        .ref_id("runtime.host")
        .and_then(|h| m.get(&h))
        .is_some_and(|h| h.str("runtime.connectionState") == Some("connected"));
    if connected {
        Ok(())
    } else {
        Err(faults::fault(
            "InvalidState",
            "The operation is not allowed in the current connection state of the virtual machine.",
            serde_json::json!({}),
        ))
    }
}

/// A host can run (or receive) a VM only when connected, powered on and not in maintenance mode.
pub(super) fn check_host_can_run(m: &Model, host_id: &str) -> Result<(), VsError> {
    let h = m.expect(host_id)?;
    let r = h.moref();
    if h.str("runtime.connectionState") != Some("connected") {
        return Err(faults::invalid_host_state(
            &r,
            &format!("host {} is not connected", h.name()),
        ));
    }
    if h.str("runtime.powerState") != Some("poweredOn") {
        return Err(faults::invalid_host_state(
            &r,
            &format!("host {} is not powered on", h.name()),
        ));
    }
    if h.flag("runtime.inMaintenanceMode") {
        return Err(faults::invalid_host_state(
            &r,
            &format!("host {} is in maintenance mode", h.name()),
        ));
    }
    Ok(())
}

/// `host_id` must be in the compute resource the VM's host is in.
pub(super) fn check_same_compute(
    m: &Model,
    vm_id: &str,
    host_id: &str,
    param: &str,
) -> Result<(), VsError> {
    let current = m
        .expect(vm_id)?
        .ref_id("runtime.host")
        .and_then(|h| m.compute_of_host(&h));
    if current.is_some() && current == m.compute_of_host(host_id) {
        Ok(())
    } else {
        Err(faults::invalid_argument(
            param,
            "the host is not in the virtual machine's cluster or compute resource",
        ))
    }
}

/// True when `host` mounts every datastore and has every network the VM uses.
pub(super) fn host_serves(m: &Model, vm: &Object, host_id: &str) -> bool {
    let Some(h) = m.get(host_id) else {
        return false;
    };
    let ds = h.ref_ids("datastore");
    let nets = h.ref_ids("network");
    vm.ref_ids("datastore").iter().all(|d| ds.contains(d))
        && vm.ref_ids("network").iter().all(|n| nets.contains(n))
}

/// Change the power state with its side effects on `runtime`: the boot time
/// is set on a fresh boot, the suspend time while suspended.
pub(super) fn set_power(o: &mut Object, p: Power, now: OffsetDateTime, fresh_boot: bool) {
    let was = o.power();
    o.set("runtime.powerState", Value::from(p.as_str()));
    match p {
        Power::On => {
            if fresh_boot || was == Power::Off || o.get("runtime.bootTime").is_none() {
                o.set("runtime.bootTime", Value::from(fmt_time(now)));
            }
            o.unset("runtime.suspendTime");
        }
        Power::Off => {
            o.unset("runtime.bootTime");
            o.unset("runtime.suspendTime");
        }
        Power::Suspended => {
            if o.get("runtime.bootTime").is_none() {
                o.set("runtime.bootTime", Value::from(fmt_time(now)));
            }
            o.set("runtime.suspendTime", Value::from(fmt_time(now)));
        }
    }
}

/// Make `network` list the networks the NICs are backed by.
pub(super) fn sync_networks(o: &mut Object) {
    let mut nets: Vec<Value> = Vec::new();
    if let Some(Value::Array(devs)) = o.get("config.hardware.device") {
        for d in devs {
            if let Some(n) = d.get("backing").and_then(|b| b.get("network"))
                && !nets.contains(n)
            {
                nets.push(n.clone());
            }
        }
    }
    o.set("network", Value::Array(nets));
}

fn require_power(o: &Object, needed: Power) -> Result<(), VsError> {
    let p = o.power();
    if p == needed {
        Ok(())
    } else {
        Err(faults::invalid_power_state(needed.as_str(), p.as_str()))
    }
}

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
            let o = m.expect(id)?;
            if o.power() == Power::Off {
                return Err(faults::invalid_power_state("poweredOff", "poweredOff"));
            }
            set_power(m.expect_mut(id)?, Power::Off, now, false);
            Ok(Value::Null)
        }
        "SuspendVM_Task" => {
            Args::new(method, args, &[])?;
            require_connected(m, id)?;
            require_power(m.expect(id)?, Power::On)?;
            set_power(m.expect_mut(id)?, Power::Suspended, now, false);
            Ok(Value::Null)
        }
        "ResetVM_Task" => {
            Args::new(method, args, &[])?;
            require_connected(m, id)?;
            require_power(m.expect(id)?, Power::On)?;
            set_power(m.expect_mut(id)?, Power::On, now, true);
            Ok(Value::Null)
        }
        "RebootGuest" | "ShutdownGuest" => {
            Args::new(method, args, &[])?;
            require_connected(m, id)?;
            let o = m.expect(id)?;
            require_power(o, Power::On)?;
            if !derive::tools_running(o) {
                return Err(faults::tools_unavailable());
            }
            let o = m.expect_mut(id)?;
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
            let o = m.expect(id)?;
            if o.flag("config.template") {
                return Err(faults::not_supported(
                    "the virtual machine is already a template",
                ));
            }
            require_power(o, Power::Off)?;
            let o = m.expect_mut(id)?;
            o.set("config.template", Value::Bool(true));
            o.unset("resourcePool");
            Ok(Value::Null)
        }
        "MarkAsVirtualMachine" => mark_as_vm(m, id, &Args::new(method, args, &["pool", "host"])?),
        "Rename_Task" => {
            let a = Args::new(method, args, &["newName"])?;
            let name = entity::rename(m, id, a.string("newName")?)?;
            m.expect_mut(id)?.set("config.name", Value::from(name));
            Ok(Value::Null)
        }
        "Destroy_Task" => {
            Args::new(method, args, &[])?;
            require_connected(m, id)?;
            let o = m.expect(id)?;
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
    let o = m.expect(id)?;
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
    let o = m.expect_mut(id)?;
    o.set("runtime.host", reference("HostSystem", &run_on));
    set_power(o, Power::On, now, false);
    Ok(Value::Null)
}

fn mark_as_vm(m: &mut Model, id: &str, a: &Args) -> Result<Value, VsError> {
    let pool = a.reference("pool", &["ResourcePool"])?;
    let host = a.opt_reference("host", &["HostSystem"])?;
    let o = m.expect(id)?;
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
    let o = m.expect_mut(id)?;
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
    let o = m.expect(id)?;
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
    let o = m.expect_mut(id)?;
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
    let src = m.expect(id)?;
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
