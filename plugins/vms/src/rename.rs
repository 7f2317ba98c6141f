//! `renameVm`: give a VM a new name in its folder.
//!
//! The new name is checked before anyone is asked to approve, with the same
//! rules as `cloneVm` (vSphere's 80-character limit, no other VM of that
//! name directly in the folder), then `Rename_Task` runs and the name is
//! read back.

use serde::Serialize;
use vmware_plugin_sdk::approval::Grant;
use vmware_plugin_sdk::prelude::*;

use crate::clone::{check_new_name, vms_named_in};
use crate::methods::RENAME;
use crate::target::{read_after, resolve_vm};

/// `renameVm`'s result: the one declaration of its fields.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RenameResult {
    /// Its managed object id.
    pub id: String,
    /// The name before.
    pub previous_name: String,
    /// The name read back after.
    pub name: Option<String>,
    /// Its folder's inventory path.
    pub folder: String,
    /// The grant that allowed it.
    pub approval: Grant,
}

/// Why `new_name` cannot be the name of `vm` in `folder`, given the VMs
/// directly in the folder under that name (`taken`).
pub fn refusal(vm: &Resolved, folder: &Resolved, new_name: &str, taken: &[Resolved]) -> Result<()> {
    if new_name == vm.name {
        return Err(Error::invalid_argument(format!(
            "VM '{}' ({}) is already named '{new_name}'",
            vm.name, vm.reference.value
        )));
    }
    let others: Vec<Resolved> = taken
        .iter()
        .filter(|other| other.reference != vm.reference)
        .cloned()
        .collect();
    check_new_name("newName", folder, new_name, &others)
}

/// Rename the VM named by `vm_argument` to `new_name`.
pub fn rename_vm(vm_argument: &str, new_name: &str) -> Result<RenameResult> {
    let vm = resolve_vm(vm_argument)?;
    let folder = vm
        .parent
        .as_ref()
        .and_then(|p| inventory::lookup(std::slice::from_ref(p)).pop().flatten())
        .ok_or_else(|| {
            Error::invalid_state(format!("VM '{}' has no folder in the index", vm.name))
        })?;
    refusal(&vm, &folder, new_name, &vms_named_in(&folder, new_name)?)?;

    let action = Action::new(
        "rename-vm",
        format!(
            "Rename VM '{}' ({}) in folder '{}': name '{}' → '{new_name}'",
            vm.name, vm.reference.value, folder.path, vm.name
        ),
    )
    .target(&vm.reference, &vm.name)
    .method(RENAME)
    .detail(json!({
        "vm": vm.path,
        "id": vm.reference.value,
        "name": { "before": vm.name, "after": new_name },
    }));
    let grant = approval::request(&action)?;
    vsphere::invoke(&vm.reference, RENAME, json!({ "newName": new_name }))?;

    let after = read_after(&vm, &["name"]);
    Ok(RenameResult {
        id: vm.reference.value,
        name: after.and_then(|o| o.get_str("name").map(str::to_string)),
        previous_name: vm.name,
        folder: folder.path,
        approval: grant,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(kind: &str, id: &str, name: &str, parent: Option<&MoRef>) -> Resolved {
        let reference = MoRef::new(kind, id);
        Resolved {
            reference: reference.clone(),
            name: name.into(),
            path: format!("DC0/vm/{name}"),
            parent: parent.cloned(),
            properties: Obj::new(reference),
        }
    }

    #[test]
    fn refuses_a_taken_name_its_own_name_and_long_names() {
        let folder = entry("Folder", "group-v3", "vm", None);
        let vm = entry("VirtualMachine", "vm-1", "db1", Some(&folder.reference));
        let other = entry("VirtualMachine", "vm-2", "db2", Some(&folder.reference));
        assert!(
            matches!(refusal(&vm, &folder, "db2", std::slice::from_ref(&other)),
                Err(Error::InvalidArgument(m)) if m.contains("already exists") && m.contains("vm-2") && m.contains("newName"))
        );
        assert!(
            matches!(refusal(&vm, &folder, "db1", std::slice::from_ref(&vm)),
                Err(Error::InvalidArgument(m)) if m.contains("already named"))
        );
        assert!(matches!(
            refusal(&vm, &folder, &"x".repeat(81), &[]),
            Err(Error::InvalidArgument(m)) if m.contains("at most 80")
        ));
        assert!(refusal(&vm, &folder, &"x".repeat(80), &[]).is_ok());
        assert!(refusal(&vm, &folder, "db3", &[]).is_ok());
    }
}
