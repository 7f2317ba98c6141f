//! Folders: what each kind holds (its `childType` and id prefix, as in
//! vCenter), their construction, their methods (`CreateFolder`,
//! `Rename_Task`, `Destroy_Task`) and their derived `childEntity`. The root
//! folder and a datacenter's four folders are vCenter's own: they can be
//! neither renamed nor destroyed.

use serde_json::{Value, json};

use super::args::{Args, Call};
use super::derive::{Changes, Links, refs};
use super::model::{Meta, Model, Object, reference};
use super::{entity, faults};
use crate::vocabulary::VsError;

/// What a folder holds; decides its id prefix and `childType`, as in vCenter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FolderKind {
    /// The root folder or a folder of datacenters (`group-d`).
    Datacenters,
    /// A datacenter's VM folder or one below it (`group-v`).
    Vm,
    /// A datacenter's host folder or one below it (`group-h`).
    Host,
    /// A datacenter's datastore folder or one below it (`group-s`).
    Datastore,
    /// A datacenter's network folder or one below it (`group-n`).
    Network,
}

impl FolderKind {
    fn prefix(self) -> &'static str {
        match self {
            FolderKind::Datacenters => "group-d",
            FolderKind::Vm => "group-v",
            FolderKind::Host => "group-h",
            FolderKind::Datastore => "group-s",
            FolderKind::Network => "group-n",
        }
    }

    fn child_types(self) -> Value {
        match self {
            FolderKind::Datacenters => json!(["Folder", "Datacenter"]),
            FolderKind::Vm => json!(["Folder", "VirtualMachine", "VirtualApp"]),
            FolderKind::Host => json!(["Folder", "ComputeResource"]),
            FolderKind::Datastore => json!(["Folder", "Datastore", "StoragePod"]),
            FolderKind::Network => json!(["Folder", "Network", "DistributedVirtualSwitch"]),
        }
    }

    /// The kind of a folder from its `childType`, so that methods creating
    /// objects in a folder can tell whether it may hold them.
    pub(super) fn of(model: &Model, folder: &str) -> Option<FolderKind> {
        let o = model.get(folder).filter(|o| o.kind == "Folder")?;
        let types: Vec<&str> = match o.get("childType") {
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        [
            FolderKind::Vm,
            FolderKind::Host,
            FolderKind::Datastore,
            FolderKind::Network,
            FolderKind::Datacenters,
        ]
        .into_iter()
        .find(|k| match k {
            FolderKind::Vm => types.contains(&"VirtualMachine"),
            FolderKind::Host => types.contains(&"ComputeResource"),
            FolderKind::Datastore => types.contains(&"Datastore"),
            FolderKind::Network => types.contains(&"Network"),
            FolderKind::Datacenters => types.contains(&"Datacenter"),
        })
    }
}

/// The root folder `group-d1`, named `Datacenters` as in vCenter: the first
/// object of every inventory.
pub(super) fn build_root(m: &mut Model) -> String {
    let mut p = entity::props("Datacenters", None);
    p.insert("childType".into(), FolderKind::Datacenters.child_types());
    m.insert("Folder", "group-d1".into(), p, Meta::None);
    "group-d1".into()
}

/// A folder of `kind` named `name` under `parent`, for fixtures and `CreateFolder`.
pub(super) fn build(m: &mut Model, name: &str, parent: &str, kind: FolderKind) -> String {
    let id = m.alloc_id(kind.prefix());
    let mut p = entity::props(name, Some(&reference("Folder", parent)));
    p.insert("childType".into(), kind.child_types());
    m.insert("Folder", id.clone(), p, Meta::None);
    id
}

/// True for folders vCenter manages itself: the root folder and a datacenter's four folders.
fn is_system_folder(m: &Model, id: &str) -> bool {
    match m.parent(id) {
        None => true,
        Some(p) => m.get(&p).is_some_and(|o| o.kind == "Datacenter"),
    }
}

/// Call a `Folder` method.
pub(super) fn invoke(m: &mut Model, call: &Call) -> Result<Value, VsError> {
    let id = call.id();
    if call.method == "CreateFolder" {
        return create_folder(m, id, &call.params(&["name"])?);
    }
    let rules = entity::Rules {
        rename_refusal: is_system_folder(m, id)
            .then_some("the root folder and a datacenter's own folders cannot be renamed"),
        destroy,
    };
    entity::invoke(m, call, rules)
}

/// `CreateFolder`: a folder of the parent's kind, named by vCenter's rules.
fn create_folder(m: &mut Model, id: &str, a: &Args) -> Result<Value, VsError> {
    let raw = a.string("name")?;
    let kind = FolderKind::of(m, id)
        .ok_or_else(|| VsError::Internal(format!("folder {id} has no child types")))?;
    let name = entity::check_new_name(m, id, raw, None)?;
    let new_id = build(m, &name, id, kind);
    Ok(reference("Folder", &new_id))
}

/// `Destroy_Task`: empty folders only, and none of vCenter's own.
fn destroy(m: &mut Model, id: &str) -> Result<(), VsError> {
    if is_system_folder(m, id) {
        return Err(faults::not_supported(
            "the root folder and a datacenter's own folders cannot be destroyed",
        ));
    }
    if !m.children(id).is_empty() {
        return Err(faults::not_supported(
            "the simulated inventory destroys empty folders only; move or destroy what the folder holds first",
        ));
    }
    m.remove(id);
    Ok(())
}

/// A folder's derived `childEntity`: the entities whose parent it is.
pub(super) fn derive(m: &Model, links: &Links, o: &Object, out: &mut Changes) {
    out.set(o, "childEntity", refs(m, links.children.get(&o.id)));
}

/// Behaviour tests through the `Backend` trait, as a plugin sees it: every
/// method's effect, every fault, and that a fault leaves the inventory as it was.
#[cfg(test)]
mod backend_tests {
    use serde_json::json;

    use crate::vsphere::sim::test_support::*;
    use crate::vsphere::sim::*;

    #[tokio::test]
    async fn folders_are_created_and_destroyed_empty() {
        let s = sim();
        let vmf = find(&s, "DC0/vm");
        let r = ok(&s, &vmf, "CreateFolder", json!({"name": "ops"})).await;
        let ops = MoRef::from_json(&r).unwrap_or_else(|| panic!("folder ref"));
        assert_eq!(s.inventory_path(&ops).as_deref(), Some("DC0/vm/ops"));
        fails_unchanged(
            &s,
            &vmf,
            "CreateFolder",
            json!({"name": "ops"}),
            "DuplicateName",
        )
        .await;
        fails_unchanged(
            &s,
            &find(&s, "DC0/vm/web"),
            "Destroy_Task",
            json!({}),
            "NotSupported",
        )
        .await;
        ok(&s, &ops, "Destroy_Task", json!({})).await;
        assert!(s.find_by_path("DC0/vm/ops").is_none());
    }
}
