//! The checks and state changes a VM's methods share with its snapshots'
//! (power, host, networks), below both so that neither module reaches into
//! the other for them.

use serde_json::Value;
use time::OffsetDateTime;

use super::faults;
use super::model::{Model, Object, Power, fmt_time};
use crate::vocabulary::VsError;

/// The VM's host must be connected for anything but renaming.
pub(super) fn require_connected(m: &Model, vm_id: &str) -> Result<(), VsError> {
    let o = m.try_get(vm_id)?;
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
    let h = m.try_get(host_id)?;
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

pub(super) fn require_power(o: &Object, needed: Power) -> Result<(), VsError> {
    let p = o.power();
    if p == needed {
        Ok(())
    } else {
        Err(faults::invalid_power_state(needed.as_str(), p.as_str()))
    }
}
