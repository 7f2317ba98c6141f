//! `reconfigureVm`: change a VM's CPU count and memory.
//!
//! What is asked is checked against the VM before anyone is asked to
//! approve: at least one change, and a running VM only grows, and only what
//! it has hot-add enabled for. The approval states each change before →
//! after ("CPUs 2 → 4"); the values are read back after `ReconfigVM_Task`.

use serde::Serialize;
use vmware_plugin_sdk::approval::Grant;
use vmware_plugin_sdk::prelude::*;

use crate::methods::RECONFIGURE;
use crate::target::{power_state, read_after, read_vm, resolve_vm};

/// The VM properties a reconfiguration decision needs.
const CONFIG_PROPS: [&str; 6] = [
    "name",
    "runtime.powerState",
    "config.hardware.numCPU",
    "config.hardware.memoryMB",
    "config.cpuHotAddEnabled",
    "config.memoryHotAddEnabled",
];

/// What the VM has now, as far as a reconfiguration is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Current {
    /// Whether it is powered on.
    pub running: bool,
    /// Its virtual CPUs.
    pub num_cpus: i64,
    /// Its memory in MB.
    pub memory_mb: i64,
    /// `config.cpuHotAddEnabled`.
    pub cpu_hot_add: bool,
    /// `config.memoryHotAddEnabled`.
    pub memory_hot_add: bool,
}

/// The changes to make: only the values that differ from the current ones.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    /// The new CPU count, if it changes.
    pub num_cpus: Option<i64>,
    /// The new memory size in MB, if it changes.
    pub memory_mb: Option<i64>,
    /// Each change as the approver reads it: `CPUs 2 → 4`.
    pub changes: Vec<String>,
}

/// Check one requested value against the current one on a running VM.
fn check_running(what: &str, from: i64, to: i64, hot_add: bool, flag: &str) -> Result<()> {
    if to < from {
        return Err(Error::invalid_state(format!(
            "the VM is powered on and {what} cannot shrink while it runs ({from} → {to}); power it off first"
        )));
    }
    if to > from && !hot_add {
        return Err(Error::invalid_state(format!(
            "the VM is powered on without {what} hot-add ({flag} is false), so {what} cannot grow ({from} → {to}) while it runs; power it off first"
        )));
    }
    Ok(())
}

/// Work out the reconfiguration, or why it cannot be done.
pub fn plan(current: Current, num_cpus: Option<i64>, memory_mb: Option<i64>) -> Result<Plan> {
    if num_cpus.is_none() && memory_mb.is_none() {
        return Err(Error::invalid_argument("give numCPUs, memoryMB or both"));
    }
    if num_cpus.is_some_and(|n| n < 1) {
        return Err(Error::invalid_argument("numCPUs must be at least 1"));
    }
    if memory_mb.is_some_and(|m| m < 4 || m % 4 != 0) {
        return Err(Error::invalid_argument(
            "memoryMB must be a positive multiple of 4",
        ));
    }
    let mut out = Plan::default();
    if let Some(to) = num_cpus.filter(|n| *n != current.num_cpus) {
        if current.running {
            check_running(
                "CPU",
                current.num_cpus,
                to,
                current.cpu_hot_add,
                "cpuHotAddEnabled",
            )?;
        }
        out.num_cpus = Some(to);
        out.changes
            .push(format!("CPUs {} → {to}", current.num_cpus));
    }
    if let Some(to) = memory_mb.filter(|m| *m != current.memory_mb) {
        if current.running {
            check_running(
                "memory",
                current.memory_mb,
                to,
                current.memory_hot_add,
                "memoryHotAddEnabled",
            )?;
        }
        out.memory_mb = Some(to);
        out.changes
            .push(format!("memory {} MB → {to} MB", current.memory_mb));
    }
    if out.changes.is_empty() {
        return Err(Error::invalid_argument(format!(
            "the VM already has {} CPU(s) and {} MB of memory; nothing to change",
            current.num_cpus, current.memory_mb
        )));
    }
    Ok(out)
}

/// The `spec` argument of `ReconfigVM_Task` for `plan`.
pub fn config_spec(plan: &Plan) -> Value {
    let mut spec = json!({ "_typeName": "VirtualMachineConfigSpec" });
    if let Some(n) = plan.num_cpus {
        spec["numCPUs"] = json!(n);
    }
    if let Some(m) = plan.memory_mb {
        spec["memoryMB"] = json!(m);
    }
    spec
}

/// `reconfigureVm`'s result: the one declaration of its fields.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReconfigureResult {
    /// The VM's name.
    pub vm: String,
    /// Its managed object id.
    pub id: String,
    /// What changed, before → after.
    pub changes: Vec<String>,
    /// The CPU count read back after.
    #[serde(rename = "numCPUs")]
    pub num_cpus: Option<i64>,
    /// The memory in MB read back after.
    #[serde(rename = "memoryMB")]
    pub memory_mb: Option<i64>,
    /// The grant that allowed it.
    pub approval: Grant,
}

/// Reconfigure the VM named by `vm_argument`.
pub fn reconfigure_vm(
    vm_argument: &str,
    num_cpus: Option<i64>,
    memory_mb: Option<i64>,
) -> Result<ReconfigureResult> {
    let vm = resolve_vm(vm_argument)?;
    let before = read_vm(&vm, &CONFIG_PROPS)?;
    let current = Current {
        running: power_state(&before) == "poweredOn",
        num_cpus: before.get_i64("config.hardware.numCPU").unwrap_or(0),
        memory_mb: before.get_i64("config.hardware.memoryMB").unwrap_or(0),
        cpu_hot_add: before.get_bool("config.cpuHotAddEnabled").unwrap_or(false),
        memory_hot_add: before
            .get_bool("config.memoryHotAddEnabled")
            .unwrap_or(false),
    };
    let plan = plan(current, num_cpus, memory_mb).map_err(|err| match err {
        Error::InvalidState(m) => {
            Error::invalid_state(format!("VM '{}' ({}): {m}", vm.name, vm.reference.value))
        }
        other => other,
    })?;

    let action = Action::new(
        "reconfigure-vm",
        format!(
            "Reconfigure VM '{}' ({}): {}",
            vm.name,
            vm.reference.value,
            plan.changes.join(", ")
        ),
    )
    .target(&vm.reference, &vm.name)
    .method(RECONFIGURE)
    .detail(json!({
        "vm": vm.path,
        "id": vm.reference.value,
        "running": current.running,
        "changes": plan.changes,
    }));
    let grant = approval::request(&action)?;
    vsphere::invoke(
        &vm.reference,
        RECONFIGURE,
        json!({ "spec": config_spec(&plan) }),
    )?;

    let after = read_after(&vm, &["config.hardware.numCPU", "config.hardware.memoryMB"]);
    Ok(ReconfigureResult {
        vm: vm.name,
        id: vm.reference.value,
        changes: plan.changes,
        num_cpus: after
            .as_ref()
            .and_then(|o| o.get_i64("config.hardware.numCPU")),
        memory_mb: after
            .as_ref()
            .and_then(|o| o.get_i64("config.hardware.memoryMB")),
        approval: grant,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFF: Current = Current {
        running: false,
        num_cpus: 2,
        memory_mb: 4096,
        cpu_hot_add: false,
        memory_hot_add: false,
    };

    #[test]
    fn states_each_change_before_and_after() {
        let p = plan(OFF, Some(4), Some(8192)).unwrap();
        assert_eq!(p.changes, ["CPUs 2 → 4", "memory 4096 MB → 8192 MB"]);
        assert_eq!(
            config_spec(&p),
            json!({"_typeName": "VirtualMachineConfigSpec", "numCPUs": 4, "memoryMB": 8192})
        );
        // An unchanged value is left out; a powered-off VM may shrink.
        let p = plan(OFF, Some(2), Some(2048)).unwrap();
        assert_eq!(p.changes, ["memory 4096 MB → 2048 MB"]);
        assert_eq!(config_spec(&p).get("numCPUs"), None);
    }

    #[test]
    fn refuses_nothing_to_do_and_bad_values() {
        for (cpus, mem) in [
            (None, None),
            (Some(0), None),
            (None, Some(1001)),
            (Some(2), Some(4096)),
        ] {
            assert!(
                matches!(plan(OFF, cpus, mem), Err(Error::InvalidArgument(_))),
                "{cpus:?} {mem:?}"
            );
        }
    }

    #[test]
    fn a_running_vm_grows_only_with_hot_add() {
        let on = Current {
            running: true,
            ..OFF
        };
        assert!(matches!(plan(on, Some(4), None),
            Err(Error::InvalidState(m)) if m.contains("without CPU hot-add") && m.contains("2 → 4")));
        assert!(matches!(plan(on, None, Some(8192)),
            Err(Error::InvalidState(m)) if m.contains("memoryHotAddEnabled")));
        let hot = Current {
            cpu_hot_add: true,
            memory_hot_add: true,
            ..on
        };
        assert!(plan(hot, Some(4), Some(8192)).is_ok());
        assert!(matches!(plan(hot, Some(1), None),
            Err(Error::InvalidState(m)) if m.contains("cannot shrink")));
    }
}
