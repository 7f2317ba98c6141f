//! The vim25 methods the group invokes, each named once: the tool that
//! uses one declares it (`ToolSpec::invokes`), its approval names it and its
//! handler invokes it, all through the same constant.

use vmware_plugin_sdk::Method;

/// Power a VM on.
pub const POWER_ON: Method = Method::new("VirtualMachine", "PowerOnVM_Task");
/// Power a VM off (pull the plug).
pub const POWER_OFF: Method = Method::new("VirtualMachine", "PowerOffVM_Task");
/// Ask the guest to restart (needs VMware Tools).
pub const REBOOT_GUEST: Method = Method::new("VirtualMachine", "RebootGuest");
/// Hard-reset a VM.
pub const RESET: Method = Method::new("VirtualMachine", "ResetVM_Task");
/// Take a snapshot.
pub const CREATE_SNAPSHOT: Method = Method::new("VirtualMachine", "CreateSnapshot_Task");
/// Revert a VM to one of its snapshots.
pub const REVERT_TO_SNAPSHOT: Method =
    Method::new("VirtualMachineSnapshot", "RevertToSnapshot_Task");
/// Delete a snapshot (and optionally its children).
pub const REMOVE_SNAPSHOT: Method = Method::new("VirtualMachineSnapshot", "RemoveSnapshot_Task");
/// Clone a VM or template.
pub const CLONE_VM: Method = Method::new("VirtualMachine", "CloneVM_Task");
/// Rename a VM.
pub const RENAME: Method = Method::new("VirtualMachine", "Rename_Task");
/// Delete a VM with its files.
pub const DESTROY: Method = Method::new("VirtualMachine", "Destroy_Task");
/// Change a VM's CPUs and memory.
pub const RECONFIGURE: Method = Method::new("VirtualMachine", "ReconfigVM_Task");
/// Move a VM to another host, datastore or resource pool.
pub const RELOCATE: Method = Method::new("VirtualMachine", "RelocateVM_Task");
