//! A VM's state rules, shared by its methods, its snapshots' and the hosts'
//! that move it: the preconditions (host connected, power state, tools
//! running), the power transitions with their side effects on `runtime`, and
//! placement (which hosts can run a VM at all, and which can run this one).

use serde_json::Value;
use time::OffsetDateTime;

use super::devices;
use crate::vocabulary::VsError;
use crate::vsphere::sim::faults;
use crate::vsphere::sim::model::{Model, Object, Power, Tools, fmt_time};

/// The VM's host must be connected for anything but renaming.
pub(in crate::vsphere::sim) fn require_connected(m: &Model, vm_id: &str) -> Result<(), VsError> {
    let o = m.try_get(vm_id)?;
    let connected = o
        .ref_id("runtime.host")
        .and_then(|h| m.get(&h))
        .is_some_and(|h| h.str("runtime.connectionState") == Some("connected"));
    if connected {
        Ok(())
    } else {
        Err(faults::not_connected("virtual machine"))
    }
}

/// The VM must be in the power state `needed`, or `InvalidPowerState`.
pub(in crate::vsphere::sim) fn require_power(o: &Object, needed: Power) -> Result<(), VsError> {
    let p = o.power();
    if p == needed {
        Ok(())
    } else {
        Err(faults::invalid_power_state(needed.as_str(), p.as_str()))
    }
}

/// True while VMware Tools runs in the guest (the VM is on and tools are
/// installed and started): guest operations and quiesced snapshots need it.
pub(in crate::vsphere::sim) fn tools_running(vm: &Object) -> bool {
    vm.power() == Power::On
        && vm
            .vm_meta()
            .is_some_and(|m| matches!(m.tools, Tools::Running | Tools::Old))
}

/// Why a host cannot run VMs (`None` when it can): it must be connected,
/// powered on and out of maintenance mode.
fn unfit_to_run(h: &Object) -> Option<&'static str> {
    if h.str("runtime.connectionState") != Some("connected") {
        Some("is not connected")
    } else if h.str("runtime.powerState") != Some("poweredOn") {
        Some("is not powered on")
    } else if h.flag("runtime.inMaintenanceMode") {
        Some("is in maintenance mode")
    } else {
        None
    }
}

/// True for a host that can run VMs, as DRS and a cluster's effective
/// capacity count them.
pub(in crate::vsphere::sim) fn host_can_run_vms(h: &Object) -> bool {
    unfit_to_run(h).is_none()
}

/// A host can run (or receive) a VM only when it can run VMs at all;
/// otherwise `InvalidHostState` says why.
pub(in crate::vsphere::sim) fn check_host_can_run(m: &Model, host_id: &str) -> Result<(), VsError> {
    let h = m.try_get(host_id)?;
    match unfit_to_run(h) {
        None => Ok(()),
        Some(why) => Err(faults::invalid_host_state(
            &h.moref(),
            &format!("host {} {why}", h.name()),
        )),
    }
}

/// `host_id` must be in the compute resource the VM's host is in.
pub(in crate::vsphere::sim) fn check_same_compute(
    m: &Model,
    vm_id: &str,
    host_id: &str,
    param: &str,
) -> Result<(), VsError> {
    let current = m
        .try_get(vm_id)?
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
pub(in crate::vsphere::sim) fn host_serves(m: &Model, vm: &Object, host_id: &str) -> bool {
    let Some(h) = m.get(host_id) else {
        return false;
    };
    let ds = h.ref_ids("datastore");
    let nets = h.ref_ids("network");
    vm.ref_ids("datastore").iter().all(|d| ds.contains(d))
        && vm.ref_ids("network").iter().all(|n| nets.contains(n))
}

/// The first host of the compute resource `owner` that can run VMs and
/// passes `also`: the host DRS would pick when the caller names none.
pub(super) fn drs_pick(m: &Model, owner: &str, also: impl Fn(&str) -> bool) -> Option<String> {
    m.children(owner).into_iter().find(|h| {
        m.get(h)
            .is_some_and(|x| x.kind == "HostSystem" && host_can_run_vms(x))
            && also(h)
    })
}

/// Change the power state with its side effects on `runtime`: the boot time
/// is set on a fresh boot, the suspend time while suspended.
pub(in crate::vsphere::sim) fn set_power(
    o: &mut Object,
    p: Power,
    now: OffsetDateTime,
    fresh_boot: bool,
) {
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

/// Make `network` list the networks the NICs are backed by, after the
/// hardware changed (a snapshot revert).
pub(in crate::vsphere::sim) fn sync_networks(o: &mut Object) {
    let mut nets: Vec<Value> = Vec::new();
    for n in devices::nic_networks(devices::of_vm(o)) {
        if !nets.contains(n) {
            nets.push(n.clone());
        }
    }
    o.set("network", Value::Array(nets));
}
