//! Recomputing every derived property after a change: one pass over the
//! inventory that hands each object to its managed type's `derive`, then
//! writes what they computed. It sits above every managed type (it calls
//! them all), apart from the shared machinery in `derive` that the types use.

use time::OffsetDateTime;

use super::derive::{Changes, Links};
use super::model::Model;
use super::{
    compute_resource, datacenter, datastore, folder, history, host, network, resource_pool, vm,
};

/// Recompute every derived property from the primary ones.
pub(super) fn resync(m: &mut Model, now: OffsetDateTime) {
    let links = Links::gather(m);
    let mut changes = Changes::default();
    for o in m.objects() {
        match o.kind.as_str() {
            "Folder" => folder::derive(m, &links, o, &mut changes),
            "Datacenter" => datacenter::derive(m, o, &mut changes),
            "ComputeResource" | "ClusterComputeResource" => {
                compute_resource::derive(m, &links, o, &mut changes)
            }
            "ResourcePool" => resource_pool::derive(m, &links, o, &mut changes),
            "HostSystem" => host::derive(m, &links, o, now, &mut changes),
            "VirtualMachine" => vm::derive(m, o, now, &mut changes),
            "VirtualMachineSnapshot" => vm::snapshot::derive(m, o, &mut changes),
            "Datastore" => datastore::derive(m, &links, o, now, &mut changes),
            "Network" | "DistributedVirtualPortgroup" => {
                network::derive(m, &links, o, &mut changes)
            }
            "EventHistoryCollector" | "TaskHistoryCollector" => {
                history::derive_latest_page(m, o, &mut changes)
            }
            _ => {}
        }
    }
    history::derive_triggered(m, &mut changes);
    changes.apply(m);
}

/// Recompute what the history alone decides (collectors' latest pages),
/// after a call that failed: the inventory stays exactly as it was.
pub(super) fn resync_history(m: &mut Model) {
    let mut changes = Changes::default();
    for o in m.objects() {
        if matches!(
            o.kind.as_str(),
            "EventHistoryCollector" | "TaskHistoryCollector"
        ) {
            history::derive_latest_page(m, o, &mut changes);
        }
    }
    changes.apply(m);
}
