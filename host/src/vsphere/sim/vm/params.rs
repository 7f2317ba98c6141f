//! What describes a VM to build, whatever describes it (a fixture entry or
//! a clone of another VM): its place in the inventory, hardware, guest, power
//! state and identity, grouped as vCenter groups them in the VM's properties.

use crate::vsphere::sim::model::{Power, VmMeta};

/// Where a VM sits in the inventory and what it uses.
#[derive(Debug, Clone)]
pub(in crate::vsphere::sim) struct VmPlacement {
    /// The VM folder's id.
    pub folder: String,
    /// The host's id.
    pub host: String,
    /// The resource pool's id; `None` for a template.
    pub pool: Option<String>,
    /// The datastore holding its files.
    pub datastore: String,
    /// The networks of its NICs, one NIC each.
    pub networks: Vec<String>,
}

/// A VM's virtual hardware.
#[derive(Debug, Clone)]
pub(in crate::vsphere::sim) struct VmHardware {
    /// vCPUs.
    pub num_cpu: i64,
    /// Cores per socket.
    pub cores_per_socket: i64,
    /// Memory in MB.
    pub memory_mb: i64,
    /// Disk sizes in KB, one virtual disk each.
    pub disks_kb: Vec<i64>,
    /// `bios` or `efi`.
    pub firmware: String,
}

/// A VM's power state and the times `runtime` reports with it.
#[derive(Debug, Clone)]
pub(in crate::vsphere::sim) struct VmRuntime {
    /// Power state.
    pub power: Power,
    /// `runtime.bootTime`, RFC 3339, shown when powered on or suspended.
    pub boot_time: Option<String>,
    /// `runtime.suspendTime`, RFC 3339, shown when suspended.
    pub suspend_time: Option<String>,
}

/// The ids and date that make a VM itself rather than a copy.
#[derive(Debug, Clone)]
pub(in crate::vsphere::sim) struct VmIdentity {
    /// `config.uuid` (BIOS UUID).
    pub uuid: String,
    /// `config.instanceUuid` (vCenter's id).
    pub instance_uuid: String,
    /// `config.createDate`, RFC 3339.
    pub create_date: String,
}

/// Everything needed to add a VM, whatever describes it (a fixture or a clone).
#[derive(Debug, Clone)]
pub(in crate::vsphere::sim) struct VmParams {
    /// Its (escaped) name.
    pub name: String,
    /// Where it sits and what it uses.
    pub placement: VmPlacement,
    /// Its virtual hardware.
    pub hardware: VmHardware,
    /// The guest OS id.
    pub guest_id: String,
    /// The guest OS display name.
    pub guest_full_name: String,
    /// Whether it is a template.
    pub template: bool,
    /// Its notes.
    pub annotation: Option<String>,
    /// Its power state.
    pub runtime: VmRuntime,
    /// Its ids.
    pub identity: VmIdentity,
    /// The guest's behaviour.
    pub meta: VmMeta,
}
