//! HostSystem: a host's construction (`build`), the summary vSphere derives
//! for it from its hardware and the VMs it runs (`derive`), its methods
//! (`methods`) and maintenance mode as vCenter runs it (`maintenance`).
//! Hosts sit above VMs: they read what VMs use and move them, while the rules
//! for placing a VM on a host belong to the VM (`vm::state`).

mod build;
mod derive;
mod maintenance;
mod methods;

pub(super) use build::{HostHardware, HostParams, HostRuntime, build};
pub(super) use derive::{derive, effective_capacity};
pub(super) use methods::invoke;
