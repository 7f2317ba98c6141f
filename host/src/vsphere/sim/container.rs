//! Container views, as vCenter's ViewManager builds them: which objects of a
//! type lie under a container, directly or at any depth, walking the same
//! edges vCenter walks (a datacenter's four folders, a compute resource's
//! hosts and root pool, a pool's child pools and VMs, a host's VMs).

use std::collections::HashSet;

use super::faults;
use super::model::Model;
use super::schema;
use crate::vocabulary::VsError;
use crate::vsphere::MoRef;

/// The objects a container view edge leads to from `id`: the inventory's
/// parent-to-child links as vCenter walks them, which `FindChild` follows too.
pub(super) fn edges(m: &Model, id: &str) -> Vec<String> {
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

/// Behaviour tests through the `Backend` trait, as a plugin sees it: every
/// method's effect, every fault, and that a fault leaves the inventory as it was.
#[cfg(test)]
mod backend_tests {
    use crate::vocabulary::VsError;
    use crate::vsphere::sim::test_support::*;
    use crate::vsphere::sim::*;

    #[tokio::test]
    async fn container_views_scope_like_vcenter() {
        let s = sim();
        let dev = find(&s, "DC0/vm/dev");
        let direct = retrieve(&s, "VirtualMachine", Some(&dev), false, &["name"])
            .await
            .unwrap_or_default();
        let deep = retrieve(&s, "VirtualMachine", Some(&dev), true, &["name"])
            .await
            .unwrap_or_default();
        assert_eq!(direct.len(), 4);
        assert_eq!(deep.len(), 7, "dev and dev/team-a");
        let folders = retrieve(&s, "Folder", Some(&dev), false, &["name"])
            .await
            .unwrap_or_default();
        assert_eq!(folders.len(), 1);

        // A cluster holds its hosts, its pools and the VMs on them.
        let prod = find(&s, "DC0/host/prod");
        let hosts = retrieve(&s, "HostSystem", Some(&prod), false, &[])
            .await
            .unwrap_or_default();
        assert_eq!(hosts.len(), 3);
        let prod_vms = retrieve(&s, "VirtualMachine", Some(&prod), true, &[])
            .await
            .unwrap_or_default();
        let web01 = find(&s, "DC0/vm/web/web-01");
        let legacy = find(&s, "DC0/vm/infra/legacy-01");
        assert!(prod_vms.iter().any(|o| o.reference == web01));
        assert!(!prod_vms.iter().any(|o| o.reference == legacy));
        let mut refs: Vec<&MoRef> = prod_vms.iter().map(|o| &o.reference).collect();
        refs.sort();
        refs.dedup();
        assert_eq!(
            refs.len(),
            prod_vms.len(),
            "no duplicates though VMs are reachable via hosts and pools"
        );
        let pools = retrieve(&s, "ResourcePool", Some(&prod), true, &["name"])
            .await
            .unwrap_or_default();
        assert_eq!(pools.len(), 3, "Resources, web-tier, db-tier");

        // A datacenter's direct children are its four folders.
        let dc = find(&s, "DC0");
        assert!(
            retrieve(&s, "VirtualMachine", Some(&dc), false, &[])
                .await
                .unwrap_or_default()
                .is_empty()
        );
        assert_eq!(
            retrieve(&s, "Folder", Some(&dc), false, &[])
                .await
                .unwrap_or_default()
                .len(),
            4
        );

        // Type hierarchy: ComputeResource includes clusters, ManagedEntity everything.
        let entities = retrieve(&s, "ManagedEntity", None, true, &["name"])
            .await
            .unwrap_or_default();
        let vms = all(&s, "VirtualMachine", &[]).await.len();
        let host_count = all(&s, "HostSystem", &[]).await.len();
        assert!(entities.len() > vms + host_count);

        // Faults.
        let r = retrieve(&s, "Bogus", None, true, &[]).await;
        assert!(
            matches!(&r, Err(VsError::Fault(f)) if f.type_name == "InvalidArgument" && f.message.contains("Bogus")),
            "{r:?}"
        );
        let r = retrieve(
            &s,
            "VirtualMachine",
            Some(&MoRef::new("Folder", "group-v9999")),
            true,
            &[],
        )
        .await;
        assert!(
            matches!(&r, Err(VsError::Fault(f)) if f.type_name == "ManagedObjectNotFound"),
            "{r:?}"
        );
        let r = retrieve(&s, "VirtualMachine", Some(&web01), true, &[]).await;
        assert!(
            matches!(&r, Err(VsError::Fault(f)) if f.type_name == "InvalidArgument"),
            "{r:?}"
        );
        let r = retrieve(
            &s,
            "VirtualMachine",
            Some(&MoRef::new("HostSystem", web01.value.clone())),
            true,
            &[],
        )
        .await;
        assert!(
            matches!(&r, Err(VsError::Fault(f)) if f.type_name == "ManagedObjectNotFound"),
            "wrong type: {r:?}"
        );
    }
}
