//! VirtualMachine, and the snapshots that belong to it, one module per
//! concern: the guest OSes a VM may run (`guest`); what describes a VM to
//! build and building it (`params`, `build`, `devices`); what it consumes
//! (`usage`); the properties vSphere derives for it (`derive`); its state
//! rules and placement (`state`); its methods (`methods`, with `clone`,
//! `migrate` and `reconfigure`); and its snapshots (`snapshot`).

mod build;
mod clone;
mod derive;
mod devices;
mod guest;
mod methods;
mod migrate;
mod params;
mod reconfigure;
pub(super) mod snapshot;
mod state;
mod usage;

pub(super) use build::build;
pub(super) use derive::derive;
pub(super) use guest::{guest_full_name, known_guest_ids};
pub(super) use methods::invoke;
pub(super) use params::{VmHardware, VmIdentity, VmParams, VmPlacement, VmRuntime};
pub(super) use state::{host_can_run_vms, host_serves};
pub(super) use usage::{committed_bytes, cpu_usage_mhz, host_memory_mb, memory_mb};
