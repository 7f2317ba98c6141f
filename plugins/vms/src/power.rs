//! `powerOnVm`, `powerOffVm` and `rebootVm`.
//!
//! Each checks the current power state first, so a no-op is reported as
//! `invalid_state` without bothering an approver; then asks for approval
//! naming the exact method(s); then invokes and reads the state back.

use serde::Serialize;
use vmware_plugin_sdk::approval::Grant;
use vmware_plugin_sdk::prelude::*;

use crate::methods::{POWER_OFF, POWER_ON, REBOOT_GUEST, RESET};
use crate::target::{power_state, read_after, read_vm, resolve_vm};

/// What a power tool does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PowerAction {
    /// `PowerOnVM_Task`.
    On,
    /// `PowerOffVM_Task`.
    Off,
    /// `RebootGuest` when VMware Tools runs, otherwise `ResetVM_Task`.
    Reboot,
}

/// The VM properties a power decision needs.
const STATE_PROPS: [&str; 4] = [
    "name",
    "runtime.powerState",
    "config.template",
    "guest.toolsRunningStatus",
];

/// The power tools' result: the one declaration of its fields (the output
/// schema is derived from it).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PowerResult {
    /// The VM's name.
    pub vm: String,
    /// Its managed object id.
    pub id: String,
    /// Its inventory path.
    pub path: String,
    /// What was done; a reboot reports `reset` when it fell back to one.
    pub action: Acted,
    /// The vim25 method invoked.
    pub method: String,
    /// The power state before.
    pub previous_state: String,
    /// The power state read back after.
    pub power_state: Option<String>,
    /// The grant that allowed it.
    pub approval: Grant,
    /// Why a reboot became a reset, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// What a power tool did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Acted {
    /// `PowerOnVM_Task`.
    PowerOn,
    /// `PowerOffVM_Task`.
    PowerOff,
    /// `RebootGuest`.
    Reboot,
    /// `ResetVM_Task`.
    Reset,
}

/// The methods a power action may call, given whether VMware Tools runs.
/// A reboot with Tools asks for both methods: a failed guest reboot falls
/// back to a reset.
pub fn methods_for(action: PowerAction, tools_running: bool) -> Vec<Method> {
    match action {
        PowerAction::On => vec![POWER_ON],
        PowerAction::Off => vec![POWER_OFF],
        PowerAction::Reboot if tools_running => vec![REBOOT_GUEST, RESET],
        PowerAction::Reboot => vec![RESET],
    }
}

/// Why the VM's current state rules the action out, if it does.
pub fn refusal(
    action: PowerAction,
    name: &str,
    id: &str,
    state: &str,
    template: bool,
) -> Option<String> {
    if template {
        return Some(format!(
            "'{name}' ({id}) is a template; templates cannot be powered on, off or rebooted"
        ));
    }
    match action {
        PowerAction::On if state == "poweredOn" => {
            Some(format!("VM '{name}' ({id}) is already poweredOn"))
        }
        PowerAction::Off if state == "poweredOff" => {
            Some(format!("VM '{name}' ({id}) is already poweredOff"))
        }
        PowerAction::Reboot if state != "poweredOn" => Some(format!(
            "VM '{name}' ({id}) is {state}; only a powered-on VM can be rebooted"
        )),
        _ => None,
    }
}

/// Run a power action on the VM named by `vm_argument`.
pub fn change_power(vm_argument: &str, action: PowerAction) -> Result<PowerResult> {
    let vm = resolve_vm(vm_argument)?;
    let before = read_vm(&vm, &STATE_PROPS)?;
    let previous_state = power_state(&before);
    let template = before.get_bool("config.template").unwrap_or(false);
    if let Some(reason) = refusal(
        action,
        &vm.name,
        &vm.reference.value,
        &previous_state,
        template,
    ) {
        return Err(Error::invalid_state(reason));
    }
    let tools_running = before.get_str("guest.toolsRunningStatus") == Some("guestToolsRunning");
    let methods = methods_for(action, tools_running);

    let (operation, verb) = match action {
        PowerAction::On => ("power-on", "Power on"),
        PowerAction::Off => ("power-off", "Power off"),
        PowerAction::Reboot if tools_running => {
            ("reboot", "Reboot (guest restart, or reset if that fails)")
        }
        PowerAction::Reboot => ("reboot", "Reset (VMware Tools is not running)"),
    };
    let mut request = Action::new(
        operation,
        format!(
            "{verb} VM '{}' ({}) at {}",
            vm.name, vm.reference.value, vm.path
        ),
    )
    .target(&vm.reference, &vm.name)
    .detail(json!({
        "vm": vm.path,
        "id": vm.reference.value,
        "powerState": previous_state,
        "toolsRunning": tools_running,
    }));
    for method in &methods {
        request = request.method(*method);
    }
    let grant = approval::request(&request)?;

    let (method, note) = match action {
        PowerAction::On => {
            vsphere::invoke(&vm.reference, POWER_ON, json!({}))?;
            (POWER_ON, None)
        }
        PowerAction::Off => {
            vsphere::invoke(&vm.reference, POWER_OFF, json!({}))?;
            (POWER_OFF, None)
        }
        PowerAction::Reboot => reboot(&vm, tools_running)?,
    };
    let acted = match method {
        POWER_ON => Acted::PowerOn,
        POWER_OFF => Acted::PowerOff,
        REBOOT_GUEST => Acted::Reboot,
        _ => Acted::Reset,
    };

    let after = read_after(&vm, &["runtime.powerState"]);
    Ok(PowerResult {
        vm: vm.name,
        id: vm.reference.value,
        path: vm.path,
        action: acted,
        method: method.name().to_string(),
        previous_state,
        power_state: after.as_ref().map(power_state),
        approval: grant,
        note,
    })
}

/// Faults of `RebootGuest` that mean "no guest reboot here" rather than "do
/// not touch this VM": Tools stopped meanwhile, the guest or server does not
/// support it (simulators may lack the method altogether).
pub fn guest_reboot_unavailable(fault_type: &str) -> bool {
    matches!(
        fault_type,
        "ToolsUnavailable" | "ToolsUnavailableFault" | "NotSupported" | "MethodNotFound"
    )
}

/// Reboot the guest when Tools runs; reset otherwise, or when the guest
/// reboot is unavailable after all (see [`guest_reboot_unavailable`]).
/// Returns the method used and a note when it was a reset.
fn reboot(vm: &Resolved, tools_running: bool) -> Result<(Method, Option<String>)> {
    if tools_running {
        match vsphere::invoke(&vm.reference, REBOOT_GUEST, json!({})) {
            Ok(_) => return Ok((REBOOT_GUEST, None)),
            Err(err) if err.fault_type().is_some_and(guest_reboot_unavailable) => {
                vmware_plugin_sdk::log::warn!(
                    "guest reboot failed, resetting instead",
                    vm = vm.reference.value,
                    error = err.message(),
                );
                vsphere::invoke(&vm.reference, RESET, json!({}))?;
                return Ok((
                    RESET,
                    Some(format!(
                        "the guest reboot was refused ({}), so the VM was hard reset (ResetVM_Task) instead",
                        err.message()
                    )),
                ));
            }
            Err(err) => return Err(err),
        }
    }
    vsphere::invoke(&vm.reference, RESET, json!({}))?;
    Ok((
        RESET,
        Some("VMware Tools is not running, so the VM was hard reset (ResetVM_Task) rather than rebooted from the guest".into()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_no_ops_and_templates() {
        assert!(
            refusal(PowerAction::On, "db1", "vm-1", "poweredOn", false)
                .unwrap()
                .contains("already poweredOn")
        );
        assert!(
            refusal(PowerAction::Off, "db1", "vm-1", "poweredOff", false)
                .unwrap()
                .contains("already poweredOff")
        );
        assert!(
            refusal(PowerAction::Reboot, "db1", "vm-1", "suspended", false)
                .unwrap()
                .contains("is suspended")
        );
        assert!(
            refusal(PowerAction::On, "t", "vm-2", "poweredOff", true)
                .unwrap()
                .contains("template")
        );
        assert_eq!(
            refusal(PowerAction::On, "db1", "vm-1", "suspended", false),
            None
        );
        assert_eq!(
            refusal(PowerAction::Off, "db1", "vm-1", "suspended", false),
            None
        );
        assert_eq!(
            refusal(PowerAction::Reboot, "db1", "vm-1", "poweredOn", false),
            None
        );
    }

    #[test]
    fn only_unavailable_guest_reboots_fall_back_to_reset() {
        assert!(guest_reboot_unavailable("ToolsUnavailable"));
        assert!(guest_reboot_unavailable("MethodNotFound"));
        assert!(!guest_reboot_unavailable("InvalidState"));
        assert!(!guest_reboot_unavailable("NoPermission"));
    }

    #[test]
    fn approval_names_every_method_that_may_run() {
        assert_eq!(methods_for(PowerAction::On, true), [POWER_ON]);
        assert_eq!(methods_for(PowerAction::Off, false), [POWER_OFF]);
        assert_eq!(
            methods_for(PowerAction::Reboot, true),
            [REBOOT_GUEST, RESET]
        );
        assert_eq!(methods_for(PowerAction::Reboot, false), [RESET]);
    }
}
