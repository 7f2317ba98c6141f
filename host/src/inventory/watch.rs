//! What the index watches, and the follower that keeps it current: one
//! update feed (a PropertyCollector filter read with `WaitForUpdatesEx` on
//! vCenter), applied batch by batch. When the feed breaks or stalls, the
//! follower marks the stream down (queries then fall back to direct reads),
//! logs it, and watches again with a growing pause.

use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use crate::process::release_free_memory;
use crate::vsphere::{MoRef, ObjectUpdate, UpdateKind, WatchSpec};

use super::InventoryService;
use super::kind::Kind;

/// How long one wait for updates lasts; a reply (even an empty one) within
/// it plus the transport's grace shows vCenter is alive.
pub const UPDATE_WAIT: Duration = Duration::from_secs(3);

/// A batch this large is followed by returning freed memory to the OS.
const LARGE_BATCH: usize = 1000;

/// The longest pause between attempts to watch again.
const MAX_BACKOFF: Duration = Duration::from_secs(8);

/// The managed object types the index holds (subtypes included: clusters
/// are compute resources, port groups are networks, vApps are pools).
pub const WATCHED_TYPES: [&str; 8] = [
    "Folder",
    "Datacenter",
    "ComputeResource",
    "ResourcePool",
    "VirtualMachine",
    "HostSystem",
    "Datastore",
    "Network",
];

/// The properties every indexed object carries.
const STRUCTURE: [&str; 2] = ["name", "parent"];

/// The indexed properties of VMs: what lists filter on and show.
const VM_PROPERTIES: [&str; 8] = [
    "runtime.powerState",
    "runtime.host",
    "config.guestFullName",
    "config.guestId",
    "config.template",
    "config.hardware.numCPU",
    "config.hardware.memoryMB",
    "guest.ipAddress",
];

/// The filterable properties of hosts.
const HOST_PROPERTIES: [&str; 2] = ["runtime.connectionState", "runtime.inMaintenanceMode"];

/// The properties of one type the index reads, beyond `name` and `parent`.
fn extra_properties(object_type: &str) -> &'static [&'static str] {
    match object_type {
        "VirtualMachine" => &VM_PROPERTIES,
        "HostSystem" => &HOST_PROPERTIES,
        _ => &[],
    }
}

/// The indexed properties a listing of `kind` can filter on, besides `name`.
pub fn indexed_properties(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::VirtualMachine => &VM_PROPERTIES,
        Kind::HostSystem => &HOST_PROPERTIES,
        _ => &[],
    }
}

/// The properties the index reads of an object of `object_type` (a subtype
/// reads what its base type reads).
pub fn properties_of(object_type: &str) -> Vec<String> {
    let base = match object_type {
        "ClusterComputeResource" => "ComputeResource",
        "VirtualApp" => "ResourcePool",
        "DistributedVirtualPortgroup" | "OpaqueNetwork" => "Network",
        other => other,
    };
    STRUCTURE
        .iter()
        .chain(extra_properties(base))
        .map(|p| p.to_string())
        .collect()
}

/// Whether the index holds objects of this type.
pub fn is_watched(object_type: &str) -> bool {
    WATCHED_TYPES.contains(&object_type)
        || matches!(
            object_type,
            "ClusterComputeResource"
                | "VirtualApp"
                | "DistributedVirtualPortgroup"
                | "OpaqueNetwork"
        )
}

/// The feed's specification: every watched type with its properties.
pub fn watch_spec() -> WatchSpec {
    WatchSpec {
        types: WATCHED_TYPES
            .iter()
            .map(|t| (t.to_string(), properties_of(t)))
            .collect(),
    }
}

/// Objects that both enter and leave in one batch. vCenter never sends
/// that, but govmomi's vcsim 0.24 does on `MoveIntoFolder_Task` (the moved
/// object's enter comes before its leave), so their final state is read
/// directly instead of trusting the order.
fn contested(batch: &[ObjectUpdate]) -> Vec<MoRef> {
    let mut out: Vec<MoRef> = batch
        .iter()
        .filter(|u| u.kind == UpdateKind::Leave)
        .filter(|leave| {
            batch
                .iter()
                .any(|u| u.kind == UpdateKind::Enter && u.reference == leave.reference)
        })
        .map(|u| u.reference.clone())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Follow the backend's feed for as long as the service lives.
pub async fn follow(service: Weak<InventoryService>) {
    let mut backoff = Duration::from_millis(250);
    loop {
        let Some(svc) = service.upgrade() else {
            return;
        };
        let started = Instant::now();
        match svc.backend.watch(&watch_spec()).await {
            Ok(mut feed) => {
                let outcome = run_feed(&svc, feed.as_mut()).await;
                feed.close().await;
                if let Err(reason) = outcome {
                    svc.stream_down(&reason);
                }
            }
            Err(e) => svc.stream_down(&format!("cannot watch the inventory: {e}")),
        }
        if started.elapsed() > Duration::from_secs(30) {
            backoff = Duration::from_millis(250);
        }
        drop(svc);
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// Apply batches until the feed breaks (`Err` with the reason) or the
/// service is gone (`Ok`).
async fn run_feed(
    svc: &Arc<InventoryService>,
    feed: &mut dyn crate::vsphere::UpdateFeed,
) -> Result<(), String> {
    let first = feed
        .next(UPDATE_WAIT)
        .await
        .map_err(|e| format!("reading the inventory failed: {e}"))?;
    svc.replace_all(&first);
    drop(first);
    // The first read is the largest burst the index causes: give its
    // transient memory (XML, JSON, update lists) back.
    release_free_memory();
    loop {
        if Arc::strong_count(svc) <= 1 {
            return Ok(()); // only the follower holds it: the server is gone
        }
        let batch = feed
            .next(UPDATE_WAIT)
            .await
            .map_err(|e| format!("the inventory update stream broke: {e}"))?;
        svc.mark_alive();
        if batch.is_empty() {
            continue;
        }
        let contested = contested(&batch);
        svc.apply(&batch);
        if batch.len() >= LARGE_BATCH {
            drop(batch);
            release_free_memory();
        }
        if !contested.is_empty() {
            tracing::debug!(objects = ?contested, "objects entered and left in one update set (a vcsim 0.24 bug on MoveIntoFolder_Task); reading them directly");
            svc.refresh(&contested).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(kind: UpdateKind, id: &str) -> ObjectUpdate {
        ObjectUpdate {
            kind,
            reference: MoRef::new("VirtualMachine", id),
            changes: vec![],
        }
    }

    #[test]
    fn an_object_entering_and_leaving_in_one_batch_is_contested() {
        let batch = [
            update(UpdateKind::Enter, "vm-1"),
            update(UpdateKind::Leave, "vm-1"),
            update(UpdateKind::Leave, "vm-2"),
            update(UpdateKind::Modify, "vm-3"),
        ];
        assert_eq!(contested(&batch), [MoRef::new("VirtualMachine", "vm-1")]);
    }

    #[test]
    fn subtypes_read_their_base_types_properties() {
        assert_eq!(properties_of("ClusterComputeResource"), ["name", "parent"]);
        assert!(properties_of("VirtualMachine").contains(&"runtime.host".to_string()));
        assert!(is_watched("DistributedVirtualPortgroup"));
        assert!(!is_watched("Task"));
    }
}
