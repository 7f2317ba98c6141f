//! Building a VM as vCenter shows it: configuration, devices and files in a
//! directory of its own on its datastore, runtime state, and its place in the
//! inventory. Fixtures and `CloneVM_Task` both build through here, so that a
//! clone looks like a loaded VM. Only primary properties are written; the
//! summary, guest information and quick statistics are derived.

use serde_json::{Map, Value, json};

use super::devices;
use super::params::VmParams;
use crate::vsphere::sim::entity;
use crate::vsphere::sim::model::{Meta, Model, Power, reference};

/// A VM directory name on `datastore` not used by another VM, as vCenter
/// picks one (`name`, then `name_1`, …).
fn unique_dir(m: &Model, ds_name: &str, name: &str) -> String {
    let used = |dir: &str| {
        let prefix = format!("[{ds_name}] {dir}/");
        m.objects().any(|o| {
            o.kind == "VirtualMachine"
                && o.str("config.files.vmPathName")
                    .is_some_and(|p| p.starts_with(&prefix))
        })
    };
    if !used(name) {
        return name.to_string();
    }
    (1..)
        .map(|i| format!("{name}_{i}"))
        .find(|d| !used(d))
        .unwrap_or_else(|| name.to_string())
}

/// A VM's configuration (`VirtualMachineConfigInfo`).
fn config(p: &VmParams, devices: Vec<Value>, ds_name: &str, dir: &str) -> Value {
    let dir_path = format!("[{ds_name}] {dir}/");
    let hw = &p.hardware;
    let mut c = json!({
        "_typeName": "VirtualMachineConfigInfo",
        "changeVersion": p.identity.create_date,
        "modified": p.identity.create_date,
        "name": p.name,
        "guestFullName": p.guest_full_name,
        "version": "vmx-21",
        "uuid": p.identity.uuid,
        "createDate": p.identity.create_date,
        "instanceUuid": p.identity.instance_uuid,
        "template": p.template,
        "guestId": p.guest_id,
        "files": {
            "_typeName": "VirtualMachineFileInfo",
            "vmPathName": format!("{dir_path}{}.vmx", p.name),
            "snapshotDirectory": dir_path,
            "suspendDirectory": dir_path,
            "logDirectory": dir_path,
        },
        "hardware": {
            "_typeName": "VirtualHardware",
            "numCPU": hw.num_cpu,
            "numCoresPerSocket": hw.cores_per_socket,
            "memoryMB": hw.memory_mb,
            "virtualICH7MPresent": false,
            "virtualSMCPresent": false,
            "device": devices,
        },
        "cpuHotAddEnabled": false,
        "cpuHotRemoveEnabled": false,
        "memoryHotAddEnabled": false,
        "swapPlacement": "inherit",
        "firmware": hw.firmware,
    });
    if let (Some(a), Value::Object(o)) = (&p.annotation, &mut c)
        && !a.is_empty()
    {
        o.insert("annotation".into(), json!(a));
    }
    c
}

/// A VM's `runtime` (`VirtualMachineRuntimeInfo`).
fn runtime(p: &VmParams) -> Value {
    let r = &p.runtime;
    let mut runtime = Map::new();
    runtime.insert("_typeName".into(), json!("VirtualMachineRuntimeInfo"));
    runtime.insert("host".into(), reference("HostSystem", &p.placement.host));
    runtime.insert("connectionState".into(), json!("connected"));
    runtime.insert("powerState".into(), json!(r.power.as_str()));
    runtime.insert("faultToleranceState".into(), json!("notConfigured"));
    runtime.insert("toolsInstallerMounted".into(), json!(false));
    if r.power != Power::Off
        && let Some(t) = &r.boot_time
    {
        runtime.insert("bootTime".into(), json!(t));
    }
    if r.power == Power::Suspended
        && let Some(t) = &r.suspend_time
    {
        runtime.insert("suspendTime".into(), json!(t));
    }
    runtime.insert("suspendInterval".into(), json!(0));
    runtime.insert("numMksConnections".into(), json!(0));
    runtime.insert("consolidationNeeded".into(), json!(false));
    runtime.insert("onlineStandby".into(), json!(false));
    runtime.insert("paused".into(), json!(false));
    Value::Object(runtime)
}

/// A VM as described by `p`; returns its id.
pub(in crate::vsphere::sim) fn build(m: &mut Model, p: &VmParams) -> String {
    let id = m.alloc_id("vm");
    let ds_name = m.name(&p.placement.datastore).to_string();
    let dir = unique_dir(m, &ds_name, &p.name);
    let devs = devices::build(m, p, &ds_name, &dir);
    let mut props = entity::props(&p.name, Some(&reference("Folder", &p.placement.folder)));
    props.insert("config".into(), config(p, devs, &ds_name, &dir));
    props.insert("runtime".into(), runtime(p));
    if let Some(pool) = &p.placement.pool {
        props.insert("resourcePool".into(), reference("ResourcePool", pool));
    }
    props.insert(
        "datastore".into(),
        json!([reference("Datastore", &p.placement.datastore)]),
    );
    let mut nets: Vec<Value> = Vec::new();
    for n in &p.placement.networks {
        let r = reference("Network", n);
        if !nets.contains(&r) {
            nets.push(r);
        }
    }
    props.insert("network".into(), Value::Array(nets));
    m.insert(
        "VirtualMachine",
        id.clone(),
        props,
        Meta::Vm(p.meta.clone()),
    );
    id
}
