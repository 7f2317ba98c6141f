//! `CloneVM_Task`: a new VM with the source's hardware (or a snapshot's) and
//! guest, a new identity, placed by the clone spec's location or beside the
//! source, built as a fixture VM is. Every argument and placement is checked
//! before the clone is created.

use serde_json::Value;
use time::OffsetDateTime;

use super::build;
use super::devices;
use super::params::{VmHardware, VmIdentity, VmParams, VmPlacement, VmRuntime};
use super::state::{check_host_can_run, drs_pick, require_connected};
use crate::vocabulary::VsError;
use crate::vsphere::MoRef;
use crate::vsphere::sim::args::Args;
use crate::vsphere::sim::folder::FolderKind;
use crate::vsphere::sim::model::{Model, Object, Power, fmt_time, reference};
use crate::vsphere::sim::{entity, faults};

/// What a `CloneVM_Task` call asks for, read and type-checked before
/// anything in the inventory is looked at.
struct CloneRequest<'a> {
    folder: MoRef,
    name: &'a str,
    pool: Option<MoRef>,
    host: Option<MoRef>,
    datastore: Option<MoRef>,
    template: bool,
    power_on: bool,
    snapshot: Option<MoRef>,
    num_cpu: Option<i64>,
    memory_mb: Option<i64>,
    annotation: Option<&'a str>,
}

impl<'a> CloneRequest<'a> {
    fn read(a: &Args<'a>) -> Result<CloneRequest<'a>, VsError> {
        let folder = a.reference("folder", &["Folder"])?;
        let name = a.string("name")?;
        let spec = a.data("spec", "VirtualMachineCloneSpec")?;
        let loc = spec.data("location", "VirtualMachineRelocateSpec")?;
        let pool = loc.opt_reference("pool", &["ResourcePool"])?;
        let host = loc.opt_reference("host", &["HostSystem"])?;
        let datastore = loc.opt_reference("datastore", &["Datastore"])?;
        loc.opt_reference("folder", &["Folder"])?;
        loc.opt_string("diskMoveType")?;
        let template = spec.boolean("template")?;
        let power_on = spec.boolean("powerOn")?;
        let snapshot = spec.opt_reference("snapshot", &["VirtualMachineSnapshot"])?;
        spec.opt_boolean("memory")?;
        if spec
            .opt_data("customization", "CustomizationSpec")?
            .is_some()
        {
            return Err(faults::not_supported(
                "the simulated inventory does not run guest customization",
            ));
        }
        let mut request = CloneRequest {
            folder,
            name,
            pool,
            host,
            datastore,
            template,
            power_on,
            snapshot,
            num_cpu: None,
            memory_mb: None,
            annotation: None,
        };
        if let Some(c) = spec.opt_data("config", "VirtualMachineConfigSpec")? {
            request.num_cpu = c.opt_int("numCPUs")?;
            request.memory_mb = c.opt_int("memoryMB")?;
            request.annotation = c.opt_string("annotation")?;
        }
        Ok(request)
    }
}

/// The folder to clone into, which must hold VMs, and the clone's checked name.
fn target_folder(m: &Model, req: &CloneRequest) -> Result<(String, String), VsError> {
    let folder = m.resolve(&req.folder)?;
    if FolderKind::of(m, &folder.id) != Some(FolderKind::Vm) {
        return Err(faults::not_supported(&format!(
            "folder {} cannot hold virtual machines",
            folder.name()
        )));
    }
    let name = entity::check_new_name(m, &folder.id, req.name, None)?;
    Ok((folder.id.clone(), name))
}

/// The hardware to copy: the source's, or that captured by one of its snapshots.
fn source_hardware(m: &Model, src: &Object, req: &CloneRequest) -> Result<Value, VsError> {
    let hardware = match &req.snapshot {
        Some(s) => {
            let so = m.resolve(s)?;
            if so.ref_id("vm").as_deref() != Some(src.id.as_str()) {
                return Err(faults::invalid_argument(
                    "spec.snapshot",
                    "the snapshot belongs to another virtual machine",
                ));
            }
            so.get("config.hardware").cloned()
        }
        None => src.get("config.hardware").cloned(),
    };
    Ok(hardware.unwrap_or(Value::Null))
}

/// The clone's host: the one asked for (in the pool's cluster), else the
/// source's when it is in that cluster, else the first usable one there.
fn target_host(
    m: &Model,
    src_host: &str,
    owner: Option<&String>,
    req: &CloneRequest,
) -> Result<String, VsError> {
    match &req.host {
        Some(h) => {
            m.resolve(h)?;
            if owner.is_some() && m.compute_of_host(&h.value).as_ref() != owner {
                return Err(faults::invalid_argument(
                    "spec.location.host",
                    "the host is not in the resource pool's cluster",
                ));
            }
            Ok(h.value.clone())
        }
        None if owner.is_none() || m.compute_of_host(src_host).as_ref() == owner => {
            Ok(src_host.to_string())
        }
        None => {
            drs_pick(m, owner.map(String::as_str).unwrap_or_default(), |_| true).ok_or_else(|| {
                faults::invalid_argument(
                    "spec.location.host",
                    "no usable host in the resource pool's cluster",
                )
            })
        }
    }
}

/// Pool, host and datastore of the clone, each checked as vCenter does.
fn placement(
    m: &Model,
    src: &Object,
    req: &CloneRequest,
) -> Result<(Option<String>, String, String), VsError> {
    let id = &src.id;
    let src_host = src
        .ref_id("runtime.host")
        .ok_or_else(|| VsError::Internal(format!("{id} has no host")))?;
    let pool_id = match &req.pool {
        Some(p) => Some(m.resolve(p)?.id.clone()),
        None => src.ref_id("resourcePool"),
    };
    if pool_id.is_none() && !req.template {
        return Err(faults::invalid_argument(
            "spec.location.pool",
            "a virtual machine cloned from a template needs a resource pool",
        ));
    }
    let owner = pool_id.as_deref().and_then(|p| m.owner_of_pool(p));
    let host_id = target_host(m, &src_host, owner.as_ref(), req)?;
    check_host_can_run(m, &host_id)?;
    let ds_id = match &req.datastore {
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
    Ok((pool_id, host_id, ds_id))
}

/// The clone's hardware: the copied disks and sizes, with the spec's CPU and
/// memory overrides, which must be sane.
fn clone_hardware(
    src: &Object,
    hardware: &Value,
    req: &CloneRequest,
) -> Result<VmHardware, VsError> {
    let int = |field: &str, default: i64| {
        hardware
            .get(field)
            .and_then(Value::as_i64)
            .unwrap_or(default)
    };
    let disks_kb: Vec<i64> = devices::of_hardware(hardware)
        .iter()
        .filter(|d| devices::is_disk(d))
        .filter_map(|d| d.get("capacityInKB").and_then(Value::as_i64))
        .collect();
    let num_cpu = req.num_cpu.unwrap_or_else(|| int("numCPU", 1));
    let memory_mb = req.memory_mb.unwrap_or_else(|| int("memoryMB", 1024));
    if num_cpu < 1 || memory_mb < 4 {
        return Err(faults::invalid_argument(
            "spec.config",
            "numCPUs must be at least 1 and memoryMB at least 4",
        ));
    }
    let cores = int("numCoresPerSocket", 1).max(1);
    Ok(VmHardware {
        num_cpu,
        cores_per_socket: if num_cpu % cores == 0 { cores } else { 1 },
        memory_mb,
        disks_kb,
        firmware: src.str("config.firmware").unwrap_or("efi").to_string(),
    })
}

/// `CloneVM_Task`: returns the new VM's reference.
pub(super) fn clone_vm(
    m: &mut Model,
    id: &str,
    a: &Args,
    now: OffsetDateTime,
) -> Result<Value, VsError> {
    let req = CloneRequest::read(a)?;
    require_connected(m, id)?;
    let src = m.try_get(id)?;
    let (folder, name) = target_folder(m, &req)?;
    let hardware = source_hardware(m, src, &req)?;
    let (pool, host, datastore) = placement(m, src, &req)?;
    let networks = devices::nic_network_ids(devices::of_hardware(&hardware));
    let hardware = clone_hardware(src, &hardware, &req)?;
    let mut meta = src
        .vm_meta()
        .cloned()
        .ok_or_else(|| VsError::Internal(format!("{id} has no guest facts")))?;
    meta.ip = None;
    meta.next_snapshot_id = 1;
    let power = if req.power_on && !req.template {
        Power::On
    } else {
        Power::Off
    };
    let params = VmParams {
        name,
        placement: VmPlacement {
            folder,
            host,
            pool: if req.template { None } else { pool },
            datastore,
            networks,
        },
        hardware,
        guest_id: src
            .str("config.guestId")
            .unwrap_or("otherGuest64")
            .to_string(),
        guest_full_name: src.str("config.guestFullName").unwrap_or("").to_string(),
        template: req.template,
        annotation: req
            .annotation
            .map(str::to_string)
            .or_else(|| src.str("config.annotation").map(str::to_string)),
        runtime: VmRuntime {
            power,
            boot_time: Some(fmt_time(now)),
            suspend_time: None,
        },
        identity: VmIdentity {
            uuid: uuid::Uuid::new_v4().to_string(),
            instance_uuid: uuid::Uuid::new_v4().to_string(),
            create_date: fmt_time(now),
        },
        meta,
    };
    let new_id = build::build(m, &params);
    Ok(reference("VirtualMachine", &new_id))
}

/// Behaviour tests through the `Backend` trait, as a plugin sees it: every
/// method's effect, every fault, and that a fault leaves the inventory as it was.
#[cfg(test)]
mod backend_tests {
    use serde_json::json;

    use crate::vocabulary::VsError;
    use crate::vsphere::sim::test_support::*;
    use crate::vsphere::sim::*;

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
}
