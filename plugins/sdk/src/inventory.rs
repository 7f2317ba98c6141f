//! Resolving what a caller typed to one inventory object.
//!
//! Tools accept a VM, host, folder or cluster as a plain name, an inventory
//! path (`DC0/vm/web/db1`, as vSphere's `FindByInventoryPath` reads it:
//! datacenter, then its `vm` or `host` folder, then folders or clusters, then
//! the object) or a managed object id (`vm-42`). An [`Inventory`] is an index
//! of names and parents built from a handful of `retrieve` calls ([`load`]);
//! resolution over it is pure and unit-tested, and reports `ambiguous` with
//! every candidate's path, or `not-found` with close names.

use std::collections::BTreeMap;

use crate::error::{Candidate, Error, Result};
use crate::moref::MoRef;
use crate::object::Obj;

/// The container types every index holds, so that any object's inventory
/// path can be built: folders, datacenters, and compute resources (which
/// include clusters, the parents of hosts).
pub const STRUCTURAL_TYPES: [&str; 3] = ["Folder", "Datacenter", "ComputeResource"];

/// The properties the index reads of every object.
pub const INDEX_PROPERTIES: [&str; 2] = ["name", "parent"];

/// Build an index of the structural types plus `types` (e.g.
/// `["VirtualMachine"]`), one `retrieve` per type from the root folder,
/// recursively, reading only `name` and `parent`.
pub fn load(types: &[&str]) -> Result<Inventory> {
    let mut inventory = Inventory::new();
    let mut wanted: Vec<&str> = STRUCTURAL_TYPES.to_vec();
    for t in types {
        if !wanted.contains(t) {
            wanted.push(t);
        }
    }
    for object_type in wanted {
        let objects = crate::vsphere::retrieve(object_type, None, true, &INDEX_PROPERTIES)?;
        inventory.add_objects(&objects);
    }
    Ok(inventory)
}

/// What kind of object an argument names, which decides the candidates and
/// the words used in errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A `VirtualMachine` (templates included).
    VirtualMachine,
    /// A `HostSystem`.
    HostSystem,
    /// Any `Folder`.
    Folder,
    /// A `Folder` in a datacenter's VM tree (below its `vm` folder, or that
    /// folder itself): where VMs can be created.
    VmFolder,
    /// A `Datacenter`.
    Datacenter,
    /// A `ClusterComputeResource`.
    Cluster,
    /// A VM folder (as [`Kind::VmFolder`]) or a `Datacenter`: what can
    /// scope a listing of VMs. Host, datastore and network folders are left
    /// out so that a plain name like `web` does not become ambiguous.
    Container,
}

impl Kind {
    /// The words for this kind in messages, e.g. `virtual machine`.
    pub fn label(self) -> &'static str {
        match self {
            Kind::VirtualMachine => "virtual machine",
            Kind::HostSystem => "host",
            Kind::Folder => "folder",
            Kind::VmFolder => "VM folder",
            Kind::Datacenter => "datacenter",
            Kind::Cluster => "cluster",
            Kind::Container => "VM folder or datacenter",
        }
    }

    /// An example inventory path for this kind, for error messages.
    pub fn path_example(self) -> &'static str {
        match self {
            Kind::VirtualMachine => "DC0/vm/folder/vm-name",
            Kind::HostSystem => "DC0/host/cluster/host-name",
            Kind::Cluster => "DC0/host/cluster",
            Kind::Datacenter => "DC0",
            Kind::Folder | Kind::VmFolder | Kind::Container => "DC0/vm/folder",
        }
    }

    /// The managed object type to add to [`load`] so that objects of this
    /// kind are indexed (structural types are always indexed).
    pub fn index_type(self) -> &'static str {
        match self {
            Kind::VirtualMachine => "VirtualMachine",
            Kind::HostSystem => "HostSystem",
            Kind::Folder | Kind::VmFolder | Kind::Container => "Folder",
            Kind::Datacenter => "Datacenter",
            Kind::Cluster => "ComputeResource",
        }
    }
}

/// One indexed object: what the index knows of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// The object's reference.
    pub reference: MoRef,
    /// Its name.
    pub name: String,
    /// Its parent, absent for the root folder (or when not collected).
    pub parent: Option<MoRef>,
}

/// The object an argument resolved to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// Its reference.
    pub reference: MoRef,
    /// Its name.
    pub name: String,
    /// Its inventory path, e.g. `DC0/vm/web/db1`.
    pub path: String,
    /// Its parent (folder for a VM, compute resource for a host), for cheap
    /// follow-up reads of just this object.
    pub parent: Option<MoRef>,
}

/// An index of names and parents, for inventory paths and name resolution.
#[derive(Debug, Clone, Default)]
pub struct Inventory {
    nodes: BTreeMap<MoRef, Node>,
}

impl Inventory {
    /// An empty index.
    pub fn new() -> Self {
        Inventory::default()
    }

    /// Add or replace one object.
    pub fn insert(&mut self, node: Node) {
        self.nodes.insert(node.reference.clone(), node);
    }

    /// Add collected objects that carry `name` (and usually `parent`).
    pub fn add_objects(&mut self, objects: &[Obj]) {
        for object in objects {
            self.insert(Node {
                reference: object.reference.clone(),
                name: object.name().to_string(),
                parent: object.get_ref("parent"),
            });
        }
    }

    /// The indexed object, if known.
    pub fn get(&self, reference: &MoRef) -> Option<&Node> {
        self.nodes.get(reference)
    }

    /// The object's name, if known.
    pub fn name_of(&self, reference: &MoRef) -> Option<&str> {
        self.nodes.get(reference).map(|n| n.name.as_str())
    }

    /// The objects whose parent is `parent`, in reference order.
    pub fn children<'a>(&'a self, parent: &'a MoRef) -> impl Iterator<Item = &'a Node> + 'a {
        self.nodes
            .values()
            .filter(move |n| n.parent.as_ref() == Some(parent))
    }

    /// The inventory path: the names of the object's ancestors below the
    /// root folder, then its own, joined by `/` (`DC0/vm/web/db1`). A chain
    /// that leaves the index stops there. `None` for an unknown object.
    pub fn path_of(&self, reference: &MoRef) -> Option<String> {
        let node = self.nodes.get(reference)?;
        let mut names = vec![node.name.as_str()];
        let mut next = node.parent.as_ref();
        // Each step moves to a distinct node unless the data has a cycle;
        // the bound keeps a cycle from looping forever.
        for _ in 0..self.nodes.len() {
            let Some(ancestor) = next.and_then(|r| self.nodes.get(r)) else {
                break;
            };
            if ancestor.parent.is_none() {
                break; // the root folder is not part of paths
            }
            names.push(ancestor.name.as_str());
            next = ancestor.parent.as_ref();
        }
        names.reverse();
        Some(names.join("/"))
    }

    /// The nearest `Datacenter` above the object, if indexed.
    pub fn datacenter_of(&self, reference: &MoRef) -> Option<&Node> {
        self.ancestors(reference)
            .find(|n| n.reference.kind == "Datacenter")
    }

    fn ancestors<'a>(&'a self, reference: &MoRef) -> impl Iterator<Item = &'a Node> + 'a {
        let mut next = self.nodes.get(reference).and_then(|n| n.parent.as_ref());
        let mut budget = self.nodes.len();
        std::iter::from_fn(move || {
            if budget == 0 {
                return None;
            }
            budget -= 1;
            let node = self.nodes.get(next?)?;
            next = node.parent.as_ref();
            Some(node)
        })
    }

    /// Whether a folder lies in a datacenter's VM tree. A folder whose
    /// datacenter is not indexed is given the benefit of the doubt.
    fn in_vm_tree(&self, folder: &Node) -> bool {
        let mut below = folder;
        for ancestor in self.ancestors(&folder.reference) {
            if ancestor.reference.kind == "Datacenter" {
                return below.name == "vm";
            }
            below = ancestor;
        }
        true
    }

    fn is_kind(&self, node: &Node, kind: Kind) -> bool {
        let t = node.reference.kind.as_str();
        match kind {
            Kind::VirtualMachine => t == "VirtualMachine",
            Kind::HostSystem => t == "HostSystem",
            Kind::Folder => t == "Folder",
            Kind::VmFolder => t == "Folder" && node.parent.is_some() && self.in_vm_tree(node),
            Kind::Datacenter => t == "Datacenter",
            Kind::Cluster => t == "ClusterComputeResource",
            Kind::Container => t == "Datacenter" || self.is_kind(node, Kind::VmFolder),
        }
    }

    /// Every indexed object of a kind.
    pub fn of_kind(&self, kind: Kind) -> Vec<&Node> {
        self.nodes
            .values()
            .filter(|n| self.is_kind(n, kind))
            .collect()
    }

    /// Resolve an argument to one object of `kind`: first as a managed
    /// object id (`vm-42`), then as an inventory path when it contains `/`,
    /// then as a plain name. Every match is exact, to the character: ` db1`
    /// and `db1` are two names, and nothing is trimmed or folded, so a
    /// state change can only land on the object the caller named. Several
    /// objects with that name is `ambiguous` (each candidate with its
    /// path); none is `not-found`, suggesting close names (case, white
    /// space, look-alikes) with their ids and paths; an empty argument is
    /// `invalid-argument`.
    pub fn resolve(&self, kind: Kind, argument: &str) -> Result<Resolved> {
        let query = argument;
        if query.is_empty() {
            return Err(Error::invalid_argument(format!(
                "the {} must be given as a name, inventory path or id; got an empty string",
                kind.label()
            )));
        }
        let candidates = self.of_kind(kind);
        if let Some(node) = candidates.iter().find(|n| n.reference.value == query) {
            return Ok(self.resolved(node));
        }
        if query.contains('/') {
            let wanted = query.trim_matches('/');
            let hits: Vec<&Node> = candidates
                .iter()
                .copied()
                .filter(|n| self.path_of(&n.reference).as_deref() == Some(wanted))
                .collect();
            if !hits.is_empty() {
                return self.one_of(hits);
            }
        }
        let hits: Vec<&Node> = candidates
            .iter()
            .copied()
            .filter(|n| n.name == query)
            .collect();
        if !hits.is_empty() {
            return self.one_of(hits);
        }
        Err(Error::not_found(self.not_found_message(
            kind,
            query,
            &candidates,
        )))
    }

    fn one_of(&self, mut hits: Vec<&Node>) -> Result<Resolved> {
        if hits.len() == 1 {
            return Ok(self.resolved(hits[0]));
        }
        hits.sort_by_key(|n| self.path_of(&n.reference));
        Err(Error::Ambiguous(
            hits.into_iter()
                .map(|n| Candidate {
                    ref_: n.reference.to_wit(),
                    path: self.path_of(&n.reference).unwrap_or_else(|| n.name.clone()),
                })
                .collect(),
        ))
    }

    fn resolved(&self, node: &Node) -> Resolved {
        Resolved {
            reference: node.reference.clone(),
            name: node.name.clone(),
            path: self
                .path_of(&node.reference)
                .unwrap_or_else(|| node.name.clone()),
            parent: node.parent.clone(),
        }
    }

    fn not_found_message(&self, kind: Kind, query: &str, candidates: &[&Node]) -> String {
        let label = kind.label();
        let how = if query.contains('/') {
            "at inventory path"
        } else {
            "named"
        };
        let mut message = format!(
            "no {label} {how} {} (names match exactly, including case and white space; give a name, an inventory path like {}, or an id)",
            crate::suggest::shown(query),
            kind.path_example()
        );
        let wanted_path = query.trim_matches('/');
        let elsewhere: Vec<String> = self
            .nodes
            .values()
            .filter(|n| !candidates.iter().any(|c| c.reference == n.reference))
            .filter(|n| {
                n.name == query
                    || n.reference.value == query
                    || self.path_of(&n.reference).as_deref() == Some(wanted_path)
            })
            .take(3)
            .map(|n| {
                let path = self.path_of(&n.reference).unwrap_or_default();
                format!("{} {} ({})", n.reference.kind, path, n.reference.value)
            })
            .collect();
        if !elsewhere.is_empty() {
            message.push_str(&format!(
                "; {} names something that is not a {label}: {}",
                crate::suggest::shown(query),
                elsewhere.join(", ")
            ));
        }
        if candidates.is_empty() {
            message.push_str(&format!("; the inventory has no {label}s"));
            return message;
        }
        let last_segment = query.trim_matches('/').rsplit('/').next().unwrap_or(query);
        let names: Vec<&str> = candidates.iter().map(|n| n.name.as_str()).collect();
        let close = crate::suggest::close_matches(last_segment, &names, 5);
        if !close.is_empty() {
            let mut near: Vec<&&Node> = candidates
                .iter()
                .filter(|n| close.contains(&n.name.as_str()))
                .collect();
            near.sort_by_key(|n| close.iter().position(|c| *c == n.name));
            let shown: Vec<String> = near
                .into_iter()
                .take(5)
                .map(|n| {
                    let path = self.path_of(&n.reference).unwrap_or_default();
                    format!(
                        "{} ({}, {})",
                        crate::suggest::shown(&n.name),
                        n.reference.value,
                        path
                    )
                })
                .collect();
            message.push_str(&format!("; did you mean: {}", shown.join(", ")));
        }
        message
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(kind: &str, value: &str, name: &str, parent: Option<(&str, &str)>) -> Node {
        Node {
            reference: MoRef::new(kind, value),
            name: name.to_string(),
            parent: parent.map(|(k, v)| MoRef::new(k, v)),
        }
    }

    /// Two datacenters (one inside a folder), clusters, a standalone host,
    /// nested VM folders and duplicate VM names across them.
    fn inventory() -> Inventory {
        let mut inv = Inventory::new();
        for n in [
            node("Folder", "group-d1", "Datacenters", None),
            node(
                "Datacenter",
                "datacenter-2",
                "DC0",
                Some(("Folder", "group-d1")),
            ),
            node(
                "Folder",
                "group-v3",
                "vm",
                Some(("Datacenter", "datacenter-2")),
            ),
            node(
                "Folder",
                "group-h4",
                "host",
                Some(("Datacenter", "datacenter-2")),
            ),
            node("Folder", "group-v5", "web", Some(("Folder", "group-v3"))),
            node("Folder", "group-v6", "db", Some(("Folder", "group-v5"))),
            node("Folder", "group-h9", "web", Some(("Folder", "group-h4"))),
            node(
                "ClusterComputeResource",
                "domain-c7",
                "C0",
                Some(("Folder", "group-h4")),
            ),
            node(
                "ComputeResource",
                "domain-s8",
                "esx-standalone",
                Some(("Folder", "group-h4")),
            ),
            node(
                "HostSystem",
                "host-10",
                "esx1",
                Some(("ClusterComputeResource", "domain-c7")),
            ),
            node(
                "HostSystem",
                "host-11",
                "esx-standalone",
                Some(("ComputeResource", "domain-s8")),
            ),
            node(
                "VirtualMachine",
                "vm-42",
                "db1",
                Some(("Folder", "group-v6")),
            ),
            node(
                "VirtualMachine",
                "vm-43",
                "app",
                Some(("Folder", "group-v5")),
            ),
            node(
                "VirtualMachine",
                "vm-44",
                "app",
                Some(("Folder", "group-v3")),
            ),
            node("Folder", "group-d20", "emea", Some(("Folder", "group-d1"))),
            node(
                "Datacenter",
                "datacenter-21",
                "DC1",
                Some(("Folder", "group-d20")),
            ),
            node(
                "Folder",
                "group-v22",
                "vm",
                Some(("Datacenter", "datacenter-21")),
            ),
            node(
                "VirtualMachine",
                "vm-50",
                "db1-clone",
                Some(("Folder", "group-v22")),
            ),
        ] {
            inv.insert(n);
        }
        inv
    }

    fn vm(value: &str) -> MoRef {
        MoRef::new("VirtualMachine", value)
    }

    #[test]
    fn paths_skip_the_root_folder() {
        let inv = inventory();
        assert_eq!(
            inv.path_of(&vm("vm-42")).as_deref(),
            Some("DC0/vm/web/db/db1")
        );
        assert_eq!(
            inv.path_of(&MoRef::new("HostSystem", "host-11")).as_deref(),
            Some("DC0/host/esx-standalone/esx-standalone")
        );
        assert_eq!(
            inv.path_of(&vm("vm-50")).as_deref(),
            Some("emea/DC1/vm/db1-clone")
        );
        assert_eq!(
            inv.path_of(&MoRef::new("Datacenter", "datacenter-2"))
                .as_deref(),
            Some("DC0")
        );
        assert_eq!(inv.path_of(&vm("vm-999")), None);
        assert_eq!(
            inv.datacenter_of(&vm("vm-50")).map(|n| n.name.as_str()),
            Some("DC1")
        );
    }

    #[test]
    fn paths_tolerate_missing_ancestors_and_cycles() {
        let mut inv = Inventory::new();
        inv.insert(node(
            "VirtualMachine",
            "vm-1",
            "lonely",
            Some(("Folder", "group-gone")),
        ));
        inv.insert(node("VirtualMachine", "vm-2", "orphan", None));
        inv.insert(node("Folder", "a", "A", Some(("Folder", "b"))));
        inv.insert(node("Folder", "b", "B", Some(("Folder", "a"))));
        assert_eq!(inv.path_of(&vm("vm-1")).as_deref(), Some("lonely"));
        assert_eq!(inv.path_of(&vm("vm-2")).as_deref(), Some("orphan"));
        assert!(inv.path_of(&MoRef::new("Folder", "a")).is_some());
    }

    #[test]
    fn resolves_by_id_path_and_name() {
        let inv = inventory();
        let by_id = inv.resolve(Kind::VirtualMachine, "vm-42").unwrap();
        assert_eq!(by_id.name, "db1");
        assert_eq!(by_id.path, "DC0/vm/web/db/db1");
        assert_eq!(by_id.parent, Some(MoRef::new("Folder", "group-v6")));
        assert!(matches!(
            inv.resolve(Kind::VirtualMachine, " db1 "),
            Err(Error::NotFound(m)) if m.contains("did you mean: 'db1' (vm-42, DC0/vm/web/db/db1)")
        ));
        assert_eq!(
            inv.resolve(Kind::VirtualMachine, "DC0/vm/web/app")
                .unwrap()
                .reference,
            vm("vm-43")
        );
        assert_eq!(
            inv.resolve(Kind::VirtualMachine, "/DC0/vm/app/")
                .unwrap()
                .reference,
            vm("vm-44")
        );
        assert_eq!(
            inv.resolve(Kind::HostSystem, "esx1").unwrap().path,
            "DC0/host/C0/esx1"
        );
        assert_eq!(
            inv.resolve(Kind::Cluster, "C0").unwrap().reference,
            MoRef::new("ClusterComputeResource", "domain-c7")
        );
        assert_eq!(inv.resolve(Kind::Cluster, "domain-c7").unwrap().name, "C0");
        assert_eq!(
            inv.resolve(Kind::Container, "DC1").unwrap().reference.kind,
            "Datacenter"
        );
        assert_eq!(
            inv.resolve(Kind::Folder, "group-v5").unwrap().path,
            "DC0/vm/web"
        );
    }

    #[test]
    fn duplicate_names_are_ambiguous_with_paths() {
        let inv = inventory();
        match inv.resolve(Kind::VirtualMachine, "app") {
            Err(Error::Ambiguous(candidates)) => {
                let paths: Vec<&str> = candidates.iter().map(|c| c.path.as_str()).collect();
                assert_eq!(paths, ["DC0/vm/app", "DC0/vm/web/app"]);
                assert_eq!(candidates[0].ref_.value, "vm-44");
                assert_eq!(candidates[0].ref_.type_, "VirtualMachine");
            }
            other => panic!("expected ambiguous, got {other:?}"),
        }
        // Plain folder names are ambiguous across trees, but a VM folder is not.
        assert!(
            matches!(inv.resolve(Kind::Folder, "web"), Err(Error::Ambiguous(c)) if c.len() == 2)
        );
        assert_eq!(
            inv.resolve(Kind::VmFolder, "web").unwrap().reference.value,
            "group-v5"
        );
        assert_eq!(
            inv.resolve(Kind::Container, "web").unwrap().reference.value,
            "group-v5"
        );
        assert_eq!(
            inv.resolve(Kind::Container, "emea")
                .unwrap()
                .reference
                .value,
            "group-d20"
        );
        assert_eq!(
            inv.resolve(Kind::Container, "DC1").unwrap().reference.kind,
            "Datacenter"
        );
        assert!(
            matches!(inv.resolve(Kind::VmFolder, "vm"), Err(Error::Ambiguous(c)) if c.len() == 2)
        );
        assert_eq!(
            inv.resolve(Kind::VmFolder, "emea/DC1/vm")
                .unwrap()
                .reference
                .value,
            "group-v22"
        );
        // Paths are full, as FindByInventoryPath reads them: datacenter folders included.
        assert!(
            matches!(inv.resolve(Kind::VmFolder, "DC1/vm"), Err(Error::NotFound(m)) if m.contains("emea/DC1/vm"))
        );
    }

    #[test]
    fn missing_names_are_not_found_with_suggestions() {
        let inv = inventory();
        let message = match inv.resolve(Kind::VirtualMachine, "DB1") {
            Err(Error::NotFound(message)) => message,
            other => panic!("expected not-found, got {other:?}"),
        };
        assert!(
            message.contains("no virtual machine named 'DB1'"),
            "{message}"
        );
        assert!(
            message.contains("'db1' (vm-42, DC0/vm/web/db/db1)"),
            "{message}"
        );
        assert!(message.contains("db1-clone"), "{message}");
        let by_path = match inv.resolve(Kind::VirtualMachine, "DC0/vm/db1") {
            Err(Error::NotFound(message)) => message,
            other => panic!("expected not-found, got {other:?}"),
        };
        assert!(
            by_path.contains("at inventory path 'DC0/vm/db1'"),
            "{by_path}"
        );
        assert!(by_path.contains("DC0/vm/web/db/db1"), "{by_path}");
        // The host folder is not a VM folder, and an id of the wrong kind is not
        // a match; the message says what the argument does name.
        assert!(matches!(inv.resolve(Kind::VmFolder, "group-h9"),
            Err(Error::NotFound(m)) if m.contains("not a VM folder: Folder DC0/host/web (group-h9)")));
        assert!(matches!(inv.resolve(Kind::HostSystem, "vm-42"),
            Err(Error::NotFound(m)) if m.contains("VirtualMachine DC0/vm/web/db/db1 (vm-42)")));
        assert!(matches!(inv.resolve(Kind::Cluster, "esx-standalone"),
            Err(Error::NotFound(m)) if m.contains("ComputeResource DC0/host/esx-standalone (domain-s8)")));
        assert!(matches!(
            inv.resolve(Kind::VirtualMachine, ""),
            Err(Error::InvalidArgument(_))
        ));
        assert!(matches!(
            inv.resolve(Kind::VirtualMachine, "  "),
            Err(Error::NotFound(_))
        ));
        let empty = Inventory::new();
        assert!(
            matches!(empty.resolve(Kind::HostSystem, "x"), Err(Error::NotFound(m)) if m.contains("has no hosts"))
        );
    }

    #[test]
    fn names_match_exactly_and_near_names_are_only_suggested() {
        let mut inv = inventory();
        inv.insert(node(
            "VirtualMachine",
            "vm-76",
            " db1",
            Some(("Folder", "group-v3")),
        ));
        assert_eq!(
            inv.resolve(Kind::VirtualMachine, "db1").unwrap().reference,
            vm("vm-42")
        );
        assert_eq!(
            inv.resolve(Kind::VirtualMachine, " db1").unwrap().reference,
            vm("vm-76")
        );
        for near in ["db1\t", "db1 ", "\u{00A0}db1", "DB1", "ԁb1"] {
            match inv.resolve(Kind::VirtualMachine, near) {
                Err(Error::NotFound(m)) => {
                    assert!(m.contains("'db1' (vm-42, DC0/vm/web/db/db1)"), "{m}");
                    assert!(m.contains("' db1' (vm-76, DC0/vm/ db1)"), "{m}");
                }
                other => panic!("{near:?} must not resolve: {other:?}"),
            }
        }
    }

    #[test]
    fn children_and_objects_from_collected_properties() {
        let mut inv = Inventory::new();
        inv.add_objects(&[
            Obj::new(MoRef::new("VirtualMachine", "vm-1"))
                .with("name", serde_json::json!("a"))
                .with("parent", MoRef::new("Folder", "group-v3").to_json()),
            Obj::new(MoRef::new("VirtualMachine", "vm-2")).with("name", serde_json::json!("b")),
        ]);
        let folder = MoRef::new("Folder", "group-v3");
        let children: Vec<&str> = inv.children(&folder).map(|n| n.name.as_str()).collect();
        assert_eq!(children, ["a"]);
        assert_eq!(inv.name_of(&vm("vm-2")), Some("b"));
    }
}
