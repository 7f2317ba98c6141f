//! Finding the VM a tool acts on and reading its current properties.
//!
//! Every VM tool starts the same way: resolve the argument to one VM (name,
//! path or id) through the host's inventory index, then read a few
//! properties of just that VM in one targeted read. Keeping it here keeps
//! the tools to their own logic.

use vmware_plugin_sdk::prelude::*;

/// Resolve a VM argument (exact name, inventory path or id).
pub fn resolve_vm(argument: &str) -> Result<Resolved> {
    inventory::resolve(Kind::VirtualMachine, argument)
}

/// Read `properties` of the resolved VM, and nothing else.
pub fn read_vm(vm: &Resolved, properties: &[&str]) -> Result<Obj> {
    vsphere::read_one(&vm.reference, properties)
}

/// Re-read one property after an action, for the result. The action has
/// already happened, so a failed read is logged and shown as null rather
/// than failing the call.
pub fn read_after(vm: &Resolved, properties: &[&str]) -> Option<Obj> {
    match read_vm(vm, properties) {
        Ok(object) => Some(object),
        Err(err) => {
            vmware_plugin_sdk::log::warn!(
                "could not re-read the VM after the action",
                vm = vm.reference.value,
                error = err.message(),
            );
            None
        }
    }
}

/// The VM's `runtime.powerState`, or `unknown` when vSphere did not say.
pub fn power_state(vm: &Obj) -> String {
    vm.get_str("runtime.powerState")
        .unwrap_or("unknown")
        .to_string()
}
