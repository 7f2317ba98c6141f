//! VirtualMachineSnapshot, a VM's own: the snapshot tree the VM carries and
//! the objects behind its nodes (`tree`), the snapshot methods of the VM and
//! of the snapshot objects (`methods`), and each object's derived child list
//! (`derive`). Snapshots live under `vm` because they change the VM's state
//! (reverting sets its power, hardware and host) while the VM's methods take,
//! revert and drop them: as siblings, the two would depend on each other.

mod derive;
mod methods;
mod tree;

pub(in crate::vsphere::sim) use derive::derive;
pub(in crate::vsphere::sim) use methods::invoke;
pub(super) use methods::{create, drop_all, remove_all, revert_current};
pub(in crate::vsphere::sim) use tree::{MAX_DEPTH, NewSnapshot, add, set_current};
