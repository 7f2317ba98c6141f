//! `ReconfigVM_Task` for the CPU count, memory and their hot-add switches,
//! as vCenter checks it: sane values; a running VM only grows, and only
//! what hot-add is enabled for; the switches change only while it is off.
//! Any other field of the spec is refused as not supported, and a fault
//! leaves the VM as it was.

use serde_json::Value;

use super::state::require_connected;
use crate::vocabulary::VsError;
use crate::vsphere::sim::args::Args;
use crate::vsphere::sim::faults;
use crate::vsphere::sim::model::{Model, Object, Power};

/// The `VirtualMachineConfigSpec` fields the simulator applies.
const SUPPORTED: &[&str] = &[
    "numCPUs",
    "memoryMB",
    "cpuHotAddEnabled",
    "memoryHotAddEnabled",
];

/// What a spec asks for.
struct Request {
    num_cpus: Option<i64>,
    memory_mb: Option<i64>,
    cpu_hot_add: Option<bool>,
    memory_hot_add: Option<bool>,
}

impl Request {
    fn read(a: &Args) -> Result<Request, VsError> {
        let spec = a.data("spec", "VirtualMachineConfigSpec")?;
        spec.only(SUPPORTED)?;
        Ok(Request {
            num_cpus: spec.opt_int("numCPUs")?,
            memory_mb: spec.opt_int("memoryMB")?,
            cpu_hot_add: spec.opt_boolean("cpuHotAddEnabled")?,
            memory_hot_add: spec.opt_boolean("memoryHotAddEnabled")?,
        })
    }
}

/// A running VM may grow `what` from `from` to `to` only with hot-add on.
fn check_hot(what: &str, from: i64, to: i64, hot_add: bool) -> Result<(), VsError> {
    if to < from {
        return Err(faults::invalid_power_state("poweredOff", "poweredOn"));
    }
    if to > from && !hot_add {
        return Err(faults::invalid_state(&format!(
            "{what} hot-add is not enabled for the virtual machine, so its {what} cannot change while it is powered on"
        )));
    }
    Ok(())
}

/// Check the request against the VM as it is.
fn check(o: &Object, r: &Request) -> Result<(), VsError> {
    if r.num_cpus.is_some_and(|n| n < 1) {
        return Err(faults::invalid_argument("numCPUs", "must be at least 1"));
    }
    if r.memory_mb.is_some_and(|m| m < 4 || m % 4 != 0) {
        return Err(faults::invalid_argument(
            "memoryMB",
            "must be a positive multiple of 4",
        ));
    }
    if o.power() == Power::Off {
        return Ok(());
    }
    if r.cpu_hot_add.is_some() || r.memory_hot_add.is_some() {
        return Err(faults::invalid_power_state(
            "poweredOff",
            o.power().as_str(),
        ));
    }
    if o.power() == Power::Suspended {
        return Err(faults::invalid_power_state("poweredOff", "suspended"));
    }
    let cpus = o.int("config.hardware.numCPU").unwrap_or(1);
    let memory = o.int("config.hardware.memoryMB").unwrap_or(0);
    if let Some(n) = r.num_cpus {
        check_hot("CPU", cpus, n, o.flag("config.cpuHotAddEnabled"))?;
    }
    if let Some(mb) = r.memory_mb {
        check_hot("memory", memory, mb, o.flag("config.memoryHotAddEnabled"))?;
    }
    Ok(())
}

/// `ReconfigVM_Task`.
pub(super) fn reconfigure(m: &mut Model, id: &str, a: &Args) -> Result<Value, VsError> {
    let r = Request::read(a)?;
    require_connected(m, id)?;
    let o = m.try_get(id)?;
    if o.flag("config.template") {
        return Err(faults::invalid_state("a template cannot be reconfigured"));
    }
    check(o, &r)?;
    let cores = o
        .int("config.hardware.numCoresPerSocket")
        .unwrap_or(1)
        .max(1);
    let o = m.try_get_mut(id)?;
    if let Some(n) = r.num_cpus {
        o.set("config.hardware.numCPU", Value::from(n));
        if n % cores != 0 {
            o.set("config.hardware.numCoresPerSocket", Value::from(1));
        }
    }
    if let Some(mb) = r.memory_mb {
        o.set("config.hardware.memoryMB", Value::from(mb));
    }
    if let Some(on) = r.cpu_hot_add {
        o.set("config.cpuHotAddEnabled", Value::Bool(on));
    }
    if let Some(on) = r.memory_hot_add {
        o.set("config.memoryHotAddEnabled", Value::Bool(on));
    }
    Ok(Value::Null)
}

/// Behaviour tests through the `Backend` trait, as a plugin sees it: every
/// effect, every fault, and that a fault leaves the inventory as it was.
#[cfg(test)]
mod backend_tests {
    use serde_json::json;

    use crate::vsphere::sim::test_support::*;

    fn spec(fields: serde_json::Value) -> serde_json::Value {
        let mut s = json!({"_typeName": "VirtualMachineConfigSpec"});
        for (k, v) in fields.as_object().unwrap() {
            s[k] = v.clone();
        }
        json!({ "spec": s })
    }

    #[tokio::test]
    async fn reconfigure_changes_cpus_and_memory_as_vcenter_allows() {
        let s = sim();
        let vm = find(&s, "DC0/vm/web/web-01");
        assert_eq!(read_str(&s, &vm, "runtime.powerState").await, "poweredOn");
        let cpus = read(&s, &vm, "config.hardware.numCPU").await.unwrap();
        // Running without hot-add: no growth, no shrinking, no switching
        // hot-add on; then bad values and fields the simulator does not apply.
        let more = cpus.as_i64().unwrap() + 2;
        for (change, fault) in [
            (json!({"numCPUs": more}), "InvalidState"),
            (json!({"memoryMB": 65536}), "InvalidState"),
            (json!({"numCPUs": 1, "memoryMB": 4}), "InvalidPowerState"),
            (json!({"cpuHotAddEnabled": true}), "InvalidPowerState"),
            (json!({"memoryMB": 1001}), "InvalidArgument"),
            (json!({"numCPUs": 0}), "InvalidArgument"),
            (json!({"annotation": "x"}), "NotSupported"),
        ] {
            fails_unchanged(&s, &vm, "ReconfigVM_Task", spec(change), fault).await;
        }

        // Off: anything; with hot-add on, a running VM grows.
        ok(&s, &vm, "PowerOffVM_Task", json!({})).await;
        ok(&s, &vm, "ReconfigVM_Task", spec(json!({"numCPUs": 3, "memoryMB": 2048, "cpuHotAddEnabled": true, "memoryHotAddEnabled": true}))).await;
        assert_eq!(
            read(&s, &vm, "config.hardware.numCPU").await,
            Some(json!(3))
        );
        assert_eq!(read(&s, &vm, "summary.config.numCpu").await, Some(json!(3)));
        assert_eq!(
            read(&s, &vm, "config.hardware.memoryMB").await,
            Some(json!(2048))
        );
        assert_eq!(
            read(&s, &vm, "summary.config.memorySizeMB").await,
            Some(json!(2048))
        );
        ok(&s, &vm, "PowerOnVM_Task", json!({})).await;
        ok(
            &s,
            &vm,
            "ReconfigVM_Task",
            spec(json!({"numCPUs": 4, "memoryMB": 4096})),
        )
        .await;
        assert_eq!(
            read(&s, &vm, "config.hardware.numCPU").await,
            Some(json!(4))
        );
        fails_unchanged(
            &s,
            &vm,
            "ReconfigVM_Task",
            spec(json!({"numCPUs": 2})),
            "InvalidPowerState",
        )
        .await;
    }
}
