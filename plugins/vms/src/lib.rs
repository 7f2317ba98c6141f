//! The `vms` tool group: list, inspect, power, snapshot, clone, rename,
//! delete, reconfigure and migrate virtual machines (MCP tools `infra.vmware.vms.*`).
//!
//! This file declares the tools and their argument types; each tool's work
//! lives in its own module. Every VM or folder argument accepts a name, an
//! inventory path (`DC0/vm/web/db1`) or an id (`vm-42`); every tool that
//! changes state asks the host for approval before it calls vSphere.

mod clone;
mod delete;
mod hardware;
mod info;
mod list;
mod methods;
mod migrate;
mod power;
mod reconfigure;
mod rename;
mod snapshot;
mod snapshot_tree;
mod target;

use serde::Deserialize;
use vmware_plugin_sdk::prelude::*;

/// How a VM argument is described in every input schema: briefly, since
/// the server's instructions say once what a name, path or id looks like.
const VM_ARG: &str = "The VM: name, inventory path or id.";

/// How a snapshot argument is described in every input schema.
const SNAPSHOT_ARG: &str =
    "The snapshot: name, path in the VM's snapshot tree (base/patched) or id.";

/// Arguments of tools that act on one VM.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct VmArgs {
    /// The VM.
    #[schemars(description = VM_ARG, length(min = 1))]
    vm_name: String,
}

/// `createSnapshot` arguments.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CreateSnapshotArgs {
    /// The VM.
    #[schemars(description = VM_ARG, length(min = 1))]
    vm_name: String,
    /// The new snapshot's name, which the VM must not already have.
    #[schemars(
        description = "The new snapshot's name; refused if the VM already has a snapshot of that name.",
        length(min = 1)
    )]
    snapshot_name: String,
    /// Free text stored with the snapshot.
    #[schemars(length(min = 1))]
    description: Option<String>,
}

/// `revertToSnapshot` and `deleteSnapshot` arguments.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SnapshotArgs {
    /// The VM.
    #[schemars(description = VM_ARG, length(min = 1))]
    vm_name: String,
    /// The snapshot within the VM's tree.
    #[schemars(description = SNAPSHOT_ARG, length(min = 1))]
    snapshot_name: String,
}

/// `cloneVm` arguments.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CloneArgs {
    /// The VM or template to copy: name, inventory path or id.
    #[schemars(length(min = 1))]
    source_vm_name: String,
    /// The new VM's name; must not exist in the target folder.
    #[schemars(length(min = 1))]
    new_vm_name: String,
    /// The VM folder to create it in: name, inventory path or id.
    #[schemars(length(min = 1))]
    target_folder: String,
}

/// `renameVm` arguments.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RenameArgs {
    /// The VM.
    #[schemars(description = VM_ARG, length(min = 1))]
    vm_name: String,
    /// The new name; must not exist in the VM's folder.
    #[schemars(length(min = 1, max = 80))]
    new_name: String,
}

/// `reconfigureVm` arguments.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ReconfigureArgs {
    /// The VM.
    #[schemars(description = VM_ARG, length(min = 1))]
    vm_name: String,
    /// The new number of virtual CPUs.
    #[serde(rename = "numCPUs")]
    #[schemars(range(min = 1))]
    num_cpus: Option<i64>,
    /// The new memory size in MB (a multiple of 4).
    #[serde(rename = "memoryMB")]
    #[schemars(range(min = 4))]
    memory_mb: Option<i64>,
}

/// `migrateVm` arguments.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct MigrateArgs {
    /// The VM.
    #[schemars(description = VM_ARG, length(min = 1))]
    vm_name: String,
    /// The host to move it to.
    #[schemars(length(min = 1))]
    target_host: Option<String>,
    /// The datastore to move its files to.
    #[schemars(length(min = 1))]
    target_datastore: Option<String>,
    /// The resource pool to move it to.
    #[schemars(length(min = 1))]
    target_resource_pool: Option<String>,
}

/// The group's tools; built on every call (cheap) because handlers are not `Sync`.
fn toolbox() -> Toolbox {
    Toolbox::new("vms", env!("CARGO_PKG_VERSION"))
        // Exactly the types the tools read; each tool declares the methods it
        // invokes. The host refuses anything else and derives the vSphere
        // role from these lists.
        .reads(&[
            "VirtualMachine",
            "Folder",
            "Datacenter",
            "HostSystem",
            "ClusterComputeResource",
            "Datastore",
            "ResourcePool",
        ])
        .tool(
            ToolSpec::new(
                "listVMs",
                "List virtual machines with power state, host, folder, CPU, memory, guest OS and IP address, \
                 a page at a time in inventory-path order (100 rows by default; pass nextCursor as cursor for the next page). \
                 Filter by folder or datacenter, name glob, power state, host, cluster or guest OS; `total` counts every match.",
            )
            .read_only(),
            |args: list::ListArgs| list::list_vms(&args),
        )
        .tool(
            ToolSpec::new(
                "getVMInfo",
                "Show one virtual machine in detail: power state, host, hardware (CPUs, memory, disks, NICs), guest OS and tools, \
                 snapshot tree, datastores, resource pool and overall status.",
            )
            .read_only(),
            |args: VmArgs| info::vm_info(&args.vm_name),
        )
        .tool(
            ToolSpec::new(
                "powerOnVm",
                "Power on a virtual machine (after approval). Fails with invalid_state if it is already powered on.",
            )
            .invokes(&[methods::POWER_ON])
            .idempotent(),
            |args: VmArgs| power::change_power(&args.vm_name, power::PowerAction::On),
        )
        .tool(
            ToolSpec::new(
                "powerOffVm",
                "Power off a virtual machine immediately, like pulling the plug (after approval). \
                 Fails with invalid_state if it is already powered off.",
            )
            .invokes(&[methods::POWER_OFF])
            .destructive()
            .idempotent(),
            |args: VmArgs| power::change_power(&args.vm_name, power::PowerAction::Off),
        )
        .tool(
            ToolSpec::new(
                "rebootVm",
                "Restart a powered-on virtual machine (after approval): a clean guest reboot when VMware Tools is running, \
                 otherwise a hard reset. The result says which was used.",
            )
            .invokes(&[methods::REBOOT_GUEST, methods::RESET])
            .destructive(),
            |args: VmArgs| power::change_power(&args.vm_name, power::PowerAction::Reboot),
        )
        .tool(
            ToolSpec::new(
                "createSnapshot",
                "Take a snapshot of a virtual machine's disks (no memory, no quiescing) after approval. \
                 A name the VM already has is refused, so names identify snapshots; concurrent creates on one VM run one at a time.",
            )
            .invokes(&[methods::CREATE_SNAPSHOT]),
            |args: CreateSnapshotArgs| {
                snapshot::create(&args.vm_name, &args.snapshot_name, args.description.as_deref())
            },
        )
        .tool(
            ToolSpec::new(
                "revertToSnapshot",
                "Revert a virtual machine to one of its snapshots (after approval); changes since the snapshot are lost. \
                 snapshotName is a name, a tree path (base/s1) or an id (snapshot-12); a name or path that fits several snapshots \
                 is refused as ambiguous, listing each one's path, id and creation time: pass the path or id instead.",
            )
            .invokes(&[methods::REVERT_TO_SNAPSHOT])
            .destructive(),
            |args: SnapshotArgs| snapshot::revert(&args.vm_name, &args.snapshot_name),
        )
        .tool(
            ToolSpec::new(
                "deleteSnapshot",
                "Delete one snapshot of a virtual machine, keeping its child snapshots (after approval). \
                 snapshotName is a name, a tree path (base/s1) or an id (snapshot-12); a name or path that fits several snapshots \
                 is refused as ambiguous, listing each one's path, id and creation time: pass the path or id instead.",
            )
            .invokes(&[methods::REMOVE_SNAPSHOT])
            .destructive(),
            |args: SnapshotArgs| snapshot::delete(&args.vm_name, &args.snapshot_name),
        )
        .tool(
            ToolSpec::new(
                "cloneVm",
                "Clone a virtual machine or template into a VM folder under a new name (after approval). \
                 The clone stays powered off and is placed with the source's resource pool and datastore.",
            )
            .invokes(&[methods::CLONE_VM]),
            |args: CloneArgs| clone::clone_vm(&args.source_vm_name, &args.new_vm_name, &args.target_folder),
        )
        .tool(
            ToolSpec::new(
                "renameVm",
                "Rename a virtual machine (after approval). Refused: a name another VM in its folder holds, or over 80 characters.",
            )
            .invokes(&[methods::RENAME])
            .idempotent(),
            |args: RenameArgs| rename::rename_vm(&args.vm_name, &args.new_name),
        )
        .tool(
            ToolSpec::new(
                "deleteVm",
                "Delete a powered-off virtual machine with its disks and snapshots (after approval, which lists them).",
            )
            .invokes(&[methods::DESTROY])
            .destructive(),
            |args: VmArgs| delete::delete_vm(&args.vm_name),
        )
        .tool(
            ToolSpec::new(
                "reconfigureVm",
                "Set a virtual machine's CPU count and/or memory (after approval). \
                 A running VM can only grow, with CPU or memory hot-add enabled.",
            )
            .invokes(&[methods::RECONFIGURE])
            .idempotent(),
            |args: ReconfigureArgs| reconfigure::reconfigure_vm(&args.vm_name, args.num_cpus, args.memory_mb),
        )
        .tool(
            ToolSpec::new(
                "migrateVm",
                "Move a virtual machine to another host, datastore and/or resource pool (after approval); \
                 give at least one target.",
            )
            .invokes(&[methods::RELOCATE])
            .idempotent(),
            |args: MigrateArgs| migrate::migrate_vm(
                &args.vm_name,
                args.target_host.as_deref(),
                args.target_datastore.as_deref(),
                args.target_resource_pool.as_deref(),
            ),
        )
}

vmware_plugin_sdk::export_tool_group!(toolbox);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declares_the_contracted_tools() {
        let toolbox = toolbox();
        let names: Vec<&str> = toolbox.specs().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "listVMs",
                "getVMInfo",
                "powerOnVm",
                "powerOffVm",
                "rebootVm",
                "createSnapshot",
                "revertToSnapshot",
                "deleteSnapshot",
                "cloneVm",
                "renameVm",
                "deleteVm",
                "reconfigureVm",
                "migrateVm"
            ]
        );
        let manifest = toolbox.manifest();
        assert_eq!(manifest.group, "vms");
        for tool in &manifest.tools {
            let schema: Value = serde_json::from_str(&tool.input_schema).unwrap();
            assert_eq!(schema["type"], "object", "{}", tool.name);
        }
        let read_only: Vec<&str> = manifest
            .tools
            .iter()
            .filter(|t| t.annotations.read_only)
            .map(|t| t.name.as_str())
            .collect();
        assert_eq!(read_only, ["listVMs", "getVMInfo"]);
        let destructive: Vec<&str> = manifest
            .tools
            .iter()
            .filter(|t| t.annotations.destructive)
            .map(|t| t.name.as_str())
            .collect();
        assert_eq!(
            destructive,
            [
                "powerOffVm",
                "rebootVm",
                "revertToSnapshot",
                "deleteSnapshot",
                "deleteVm"
            ]
        );
    }

    #[test]
    fn bad_arguments_fail_before_any_vsphere_call() {
        let toolbox = toolbox();
        for (tool, args) in [
            ("getVMInfo", "{}"),
            ("powerOnVm", r#"{"vmName": 42}"#),
            ("createSnapshot", r#"{"vmName": "a"}"#),
            (
                "cloneVm",
                r#"{"sourceVmName": "a", "newVmName": "b", "targetFolder": ["x"]}"#,
            ),
            ("listVMs", r#"{"folder": "x", "extra": 1}"#),
            ("renameVm", r#"{"vmName": "a"}"#),
            ("reconfigureVm", r#"{"vmName": "a", "numCpus": 2}"#),
            ("migrateVm", r#"{"vmName": "a", "targetHost": 1}"#),
        ] {
            assert!(
                matches!(toolbox.call(tool, args), Err(Error::InvalidArgument(_))),
                "{tool} {args}"
            );
        }
    }
}
