//! `cloneVm`: copy a VM or template into a VM folder under a new name.
//!
//! The source and folder are resolved through the host's inventory index,
//! which also shows whether the folder already holds a VM of that name
//! (rejected before anyone is asked to approve). The clone keeps the source's resource pool
//! and datastore (an empty relocate spec) and stays powered off.

use serde::Serialize;
use vmware_plugin_sdk::approval::Grant;
use vmware_plugin_sdk::prelude::*;

use crate::methods::CLONE_VM;

/// vSphere's limit on a VM name's length.
const MAX_NAME_CHARS: usize = 80;

/// `cloneVm`'s result: the one declaration of its fields (the output
/// schema is derived from it).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CloneResult {
    /// The new VM's name.
    pub vm: String,
    /// Its managed object id, when vCenter reported it.
    pub id: Option<String>,
    /// The folder it went into: its inventory path.
    pub folder: String,
    /// The folder's id.
    pub folder_id: String,
    /// The new VM's inventory path.
    pub path: String,
    /// The VM or template it was cloned from.
    pub source: Source,
    /// The grant that allowed it.
    pub approval: Grant,
}

/// The VM or template a clone was made from.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Source {
    /// Its name.
    pub name: String,
    /// Its managed object id.
    pub id: String,
    /// Its inventory path.
    pub path: String,
}

/// The `spec` argument of `CloneVM_Task`: same placement, powered off, not a template.
pub fn clone_spec() -> Value {
    json!({
        "_typeName": "VirtualMachineCloneSpec",
        "location": { "_typeName": "VirtualMachineRelocateSpec" },
        "powerOn": false,
        "template": false,
    })
}

/// The VMs named exactly `name` directly in `folder`.
pub fn vms_named_in(folder: &Resolved, name: &str) -> Result<Vec<Resolved>> {
    let query = inventory::Query::new(Kind::VirtualMachine)
        .within(&folder.reference)
        .filter("name", inventory::MatchOp::Equals, [name]);
    Ok(inventory::select(&query, 1000, None)?
        .entries
        .into_iter()
        .filter(|vm| vm.parent.as_ref() == Some(&folder.reference))
        .collect())
}

/// Check a new VM name (the argument `arg`) against vSphere's rules and the
/// VMs already directly in `folder` under that name (`taken`).
pub fn check_new_name(
    arg: &str,
    folder: &Resolved,
    new_name: &str,
    taken: &[Resolved],
) -> Result<()> {
    if new_name.is_empty() {
        return Err(Error::invalid_argument(format!("{arg} must not be empty")));
    }
    if new_name.chars().count() > MAX_NAME_CHARS {
        return Err(Error::invalid_argument(format!(
            "{arg} is {} characters long; vSphere allows at most {MAX_NAME_CHARS}",
            new_name.chars().count()
        )));
    }
    if let Some(existing) = taken.iter().find(|vm| vm.name == new_name) {
        return Err(Error::invalid_argument(format!(
            "a VM named '{new_name}' already exists in folder '{}' ({}); choose another {arg}",
            folder.path, existing.reference.value
        )));
    }
    Ok(())
}

/// Clone `source` as `new_name` into `target_folder`.
pub fn clone_vm(source: &str, new_name: &str, target_folder: &str) -> Result<CloneResult> {
    let source = inventory::resolve(Kind::VirtualMachine, source)?;
    let folder = inventory::resolve(Kind::VmFolder, target_folder)?;
    check_new_name(
        "newVmName",
        &folder,
        new_name,
        &vms_named_in(&folder, new_name)?,
    )?;

    let action = Action::new(
        "clone-vm",
        format!(
            "Clone VM '{}' ({}) as new VM '{new_name}' in folder '{}' ({}), powered off",
            source.name, source.reference.value, folder.path, folder.reference.value
        ),
    )
    .target(&source.reference, &source.name)
    .target(&folder.reference, &folder.name)
    .method(CLONE_VM)
    .detail(json!({
        "source": source.path,
        "sourceId": source.reference.value,
        "newVmName": new_name,
        "folder": folder.path,
        "folderId": folder.reference.value,
        "powerOn": false,
        "template": false,
    }));
    let grant = approval::request(&action)?;
    let task_result = vsphere::invoke(
        &source.reference,
        CLONE_VM,
        json!({ "folder": folder.reference.to_json(), "name": new_name, "spec": clone_spec() }),
    )?;

    let new_vm = MoRef::from_json(&task_result)
        .filter(|r| r.kind == "VirtualMachine")
        .or_else(|| {
            vms_named_in(&folder, new_name)
                .ok()
                .and_then(|vms| vms.into_iter().next())
                .map(|vm| vm.reference)
        });
    Ok(CloneResult {
        vm: new_name.to_string(),
        id: new_vm.map(|r| r.value),
        path: format!("{}/{new_name}", folder.path),
        folder: folder.path,
        folder_id: folder.reference.value,
        source: Source {
            name: source.name,
            id: source.reference.value,
            path: source.path,
        },
        approval: grant,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_taken_empty_and_long_names() {
        let folder_ref = MoRef::new("Folder", "group-v3");
        let taken = [Resolved {
            reference: MoRef::new("VirtualMachine", "vm-1"),
            name: "db1".into(),
            path: "DC0/vm/db1".into(),
            parent: Some(folder_ref.clone()),
            properties: Obj::new(MoRef::new("VirtualMachine", "vm-1")),
        }];
        let folder = Resolved {
            reference: folder_ref.clone(),
            name: "vm".into(),
            path: "DC0/vm".into(),
            parent: None,
            properties: Obj::new(folder_ref),
        };
        assert!(
            matches!(check_new_name("newVmName", &folder, "db1", &taken), Err(Error::InvalidArgument(m)) if m.contains("already exists in folder 'DC0/vm' (vm-1)"))
        );
        assert!(matches!(
            check_new_name("newVmName", &folder, "", &taken),
            Err(Error::InvalidArgument(_))
        ));
        assert!(matches!(
            check_new_name("newVmName", &folder, &"x".repeat(81), &taken),
            Err(Error::InvalidArgument(_))
        ));
        assert!(check_new_name("newVmName", &folder, "db2", &[]).is_ok());
        assert_eq!(
            clone_spec()["location"]["_typeName"],
            "VirtualMachineRelocateSpec"
        );
    }
}
