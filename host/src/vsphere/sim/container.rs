//! Container views, as vCenter's ViewManager builds them: which objects of a
//! type lie under a container, directly or at any depth, walking the same
//! edges vCenter walks (a datacenter's four folders, a compute resource's
//! hosts and root pool, a pool's child pools and VMs, a host's VMs).

use std::collections::HashSet;

use super::faults;
use super::model::Model;
use super::schema;
use crate::error::VsError;
use crate::vsphere::MoRef;

/// The objects a container view edge leads to from `id`.
fn edges(m: &Model, id: &str) -> Vec<String> {
    let Some(o) = m.get(id) else {
        return Vec::new();
    };
    match o.kind.as_str() {
        "Folder" => o.ref_ids("childEntity"),
        "Datacenter" => ["vmFolder", "hostFolder", "datastoreFolder", "networkFolder"]
            .iter()
            .filter_map(|p| o.ref_id(p))
            .collect(),
        "ComputeResource" | "ClusterComputeResource" => {
            let mut v = o.ref_ids("host");
            v.extend(o.ref_id("resourcePool"));
            v
        }
        "ResourcePool" => {
            let mut v = o.ref_ids("resourcePool");
            v.extend(o.ref_ids("vm"));
            v
        }
        "HostSystem" => o.ref_ids("vm"),
        _ => Vec::new(),
    }
}

/// The ids of the objects of `object_type` (or a subtype) under `root` (the
/// root folder when `None`), in vCenter's walk order without duplicates.
pub(super) fn view(
    m: &Model,
    object_type: &str,
    root: Option<&MoRef>,
    recursive: bool,
) -> Result<Vec<String>, VsError> {
    if object_type.is_empty() {
        return Err(VsError::InvalidArgument(
            "retrieve: the object type must not be empty".into(),
        ));
    }
    if !schema::is_view_type(object_type) {
        return Err(faults::invalid_argument(
            "type",
            &format!(
                "{object_type} is not a managed entity type a container view can collect; \
                 use e.g. VirtualMachine, HostSystem, ClusterComputeResource, ComputeResource, \
                 ResourcePool, Datastore, Network, Folder, Datacenter or ManagedEntity"
            ),
        ));
    }
    let root_id = match root {
        None => "group-d1".to_string(),
        Some(r) => {
            let o = m.resolve(r)?;
            if !schema::is_container_kind(&o.kind) {
                return Err(faults::invalid_argument(
                    "container",
                    &format!("a {} cannot be the container of a view", o.kind),
                ));
            }
            o.id.clone()
        }
    };
    let mut out = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    walk(m, &root_id, object_type, recursive, &mut out, &mut seen);
    Ok(out)
}

/// Pre-order walk from `root` (not included), iterative so that no inventory
/// depth can exhaust the stack.
fn walk(
    m: &Model,
    root: &str,
    object_type: &str,
    recursive: bool,
    out: &mut Vec<String>,
    seen: &mut HashSet<String>,
) {
    let mut visited: HashSet<String> = HashSet::from([root.to_string()]);
    let mut stack: Vec<std::vec::IntoIter<String>> = vec![edges(m, root).into_iter()];
    while let Some(top) = stack.last_mut() {
        let Some(child) = top.next() else {
            stack.pop();
            continue;
        };
        let Some(o) = m.get(&child) else { continue };
        if schema::kind_is_a(&o.kind, object_type) && seen.insert(child.clone()) {
            out.push(child.clone());
        }
        if recursive && visited.insert(child.clone()) {
            stack.push(edges(m, &child).into_iter());
        }
    }
}
