//! The index itself: every watched object's name, parent and filterable
//! properties, with lookups by id, by name and by type kept beside it so
//! that resolving a name or an id never scans the inventory, and every
//! object's path kept in order ([`PathOrder`]) so that a page of a listing
//! never sorts it.

use std::collections::{BTreeSet, HashMap};

use serde_json::Value;

use crate::vsphere::{MoRef, ObjectUpdate, UpdateKind};

use super::kind::Kind;
use super::path_order::PathOrder;

/// One indexed object.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The object's reference.
    pub reference: MoRef,
    /// Its name, exactly as vSphere has it.
    pub name: String,
    /// Its parent; absent for the root folder.
    pub parent: Option<MoRef>,
    /// The other watched properties that are set, by path.
    pub attrs: HashMap<String, Value>,
}

/// An object's place in the index, as plugins see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The object's reference.
    pub reference: MoRef,
    /// Its name.
    pub name: String,
    /// Its inventory path, e.g. `DC0/vm/web/db1`.
    pub path: String,
    /// Its parent.
    pub parent: Option<MoRef>,
    /// The other indexed properties that are set, by path, in path order.
    pub properties: Vec<(String, Value)>,
}

/// Every watched object, with secondary lookups kept in step.
#[derive(Debug, Default, Clone)]
pub struct Index {
    nodes: HashMap<MoRef, Node>,
    by_name: HashMap<String, BTreeSet<MoRef>>,
    by_id: HashMap<String, BTreeSet<MoRef>>,
    by_type: HashMap<String, BTreeSet<MoRef>>,
    /// Each object's children by reference, whether or not the parent is
    /// indexed, so that a rename or move can re-path the subtree below it.
    children: HashMap<MoRef, BTreeSet<MoRef>>,
    order: PathOrder,
}

/// The deepest inventory tree walked; deeper chains (or a cycle in bad
/// data) stop there.
const MAX_DEPTH: usize = 64;

impl Index {
    /// An empty index.
    pub fn new() -> Self {
        Index::default()
    }

    /// How many objects the index holds.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the index holds nothing.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Apply one update from the backend's feed: an object entered, changed
    /// or left.
    pub fn apply(&mut self, update: &ObjectUpdate) {
        match update.kind {
            UpdateKind::Leave => self.remove(&update.reference),
            UpdateKind::Enter | UpdateKind::Modify => {
                let mut node = match self.nodes.get(&update.reference) {
                    Some(existing) if update.kind == UpdateKind::Modify => existing.clone(),
                    _ => Node {
                        reference: update.reference.clone(),
                        name: String::new(),
                        parent: None,
                        attrs: HashMap::new(),
                    },
                };
                for (path, value) in &update.changes {
                    match (path.as_str(), value) {
                        ("name", Some(v)) => node.name = v.as_str().unwrap_or_default().to_string(),
                        ("name", None) => node.name.clear(),
                        ("parent", v) => node.parent = v.as_ref().and_then(MoRef::from_json),
                        (_, Some(v)) => {
                            node.attrs.insert(path.clone(), v.clone());
                        }
                        (_, None) => {
                            node.attrs.remove(path);
                        }
                    }
                }
                self.insert(node);
            }
        }
    }

    /// Add or replace one object. Its path (and its subtree's) is recomputed
    /// only when its name or parent changed, so a property change costs
    /// O(log n) and a rename O(subtree).
    pub fn insert(&mut self, node: Node) {
        let repath = self
            .nodes
            .get(&node.reference)
            .is_none_or(|old| old.name != node.name || old.parent != node.parent);
        self.unlink(&node.reference);
        let r = node.reference.clone();
        self.by_name
            .entry(node.name.clone())
            .or_default()
            .insert(r.clone());
        self.by_id
            .entry(r.value.clone())
            .or_default()
            .insert(r.clone());
        self.by_type
            .entry(r.kind.clone())
            .or_default()
            .insert(r.clone());
        if let Some(parent) = &node.parent {
            self.children
                .entry(parent.clone())
                .or_default()
                .insert(r.clone());
        }
        self.nodes.insert(r.clone(), node);
        if repath {
            self.repath_below(&r);
        }
    }

    /// Forget one object; the paths below it change (they stop at the gap).
    pub fn remove(&mut self, reference: &MoRef) {
        if self.unlink(reference).is_some() {
            self.order.unset(reference);
            self.repath_below(reference);
        }
    }

    /// Take an object out of the node table and the secondary lookups (not
    /// the path order), returning it.
    fn unlink(&mut self, reference: &MoRef) -> Option<Node> {
        let old = self.nodes.remove(reference)?;
        for (map, key) in [
            (&mut self.by_name, old.name.as_str()),
            (&mut self.by_id, reference.value.as_str()),
            (&mut self.by_type, reference.kind.as_str()),
        ] {
            if let Some(set) = map.get_mut(key) {
                set.remove(reference);
                if set.is_empty() {
                    map.remove(key);
                }
            }
        }
        if let Some(parent) = &old.parent
            && let Some(set) = self.children.get_mut(parent)
        {
            set.remove(reference);
            if set.is_empty() {
                self.children.remove(parent);
            }
        }
        Some(old)
    }

    /// Recompute the recorded path of `top` (if indexed) and of every
    /// indexed object below it. A cycle in bad data is walked once.
    fn repath_below(&mut self, top: &MoRef) {
        let mut seen: BTreeSet<MoRef> = BTreeSet::new();
        let mut stack = vec![top.clone()];
        while let Some(r) = stack.pop() {
            if !seen.insert(r.clone()) {
                continue;
            }
            if let Some(path) = self.path_of(&r) {
                self.order.set(&r, path);
            }
            if let Some(children) = self.children.get(&r) {
                stack.extend(children.iter().cloned());
            }
        }
    }

    /// The path order every listing page is read from.
    pub fn order(&self) -> &PathOrder {
        &self.order
    }

    /// The indexed object, if known.
    pub fn get(&self, reference: &MoRef) -> Option<&Node> {
        self.nodes.get(reference)
    }

    /// The objects with exactly this name.
    pub fn named<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a Node> + 'a {
        self.nodes_of(self.by_name.get(name))
    }

    /// The objects with exactly this id (ids are unique per type).
    pub fn with_id<'a>(&'a self, id: &str) -> impl Iterator<Item = &'a Node> + 'a {
        self.nodes_of(self.by_id.get(id))
    }

    /// The nodes of the references a lookup table holds under one key.
    fn nodes_of<'a>(
        &'a self,
        refs: Option<&'a BTreeSet<MoRef>>,
    ) -> impl Iterator<Item = &'a Node> + 'a {
        refs.into_iter().flatten().filter_map(|r| self.nodes.get(r))
    }

    /// Every object of one of these managed object types, in reference order.
    pub fn of_types<'a>(&'a self, types: &'a [&'a str]) -> impl Iterator<Item = &'a Node> + 'a {
        types
            .iter()
            .filter_map(|t| self.by_type.get(*t))
            .flatten()
            .filter_map(|r| self.nodes.get(r))
    }

    /// Every object that is of `kind`.
    pub fn of_kind<'a>(&'a self, kind: Kind) -> impl Iterator<Item = &'a Node> + 'a {
        self.of_types(kind.types())
            .filter(move |n| self.is_kind(n, kind))
    }

    /// The object's ancestors, nearest first, up to and including the root folder.
    pub fn ancestors<'a>(&'a self, reference: &MoRef) -> impl Iterator<Item = &'a Node> + 'a {
        let mut next = self.nodes.get(reference).and_then(|n| n.parent.as_ref());
        let mut budget = MAX_DEPTH;
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

    /// The inventory path: the names of the object's ancestors below the
    /// root folder, then its own, joined by `/` (`DC0/vm/web/db1`). A chain
    /// that leaves the index stops there. `None` for an unknown object.
    pub fn path_of(&self, reference: &MoRef) -> Option<String> {
        let node = self.nodes.get(reference)?;
        let mut names = vec![node.name.as_str()];
        for ancestor in self.ancestors(reference) {
            if ancestor.parent.is_none() {
                break; // the root folder is not part of paths
            }
            names.push(ancestor.name.as_str());
        }
        names.reverse();
        Some(names.join("/"))
    }

    /// The object as plugins see it, if indexed.
    pub fn entry(&self, reference: &MoRef) -> Option<Entry> {
        let node = self.nodes.get(reference)?;
        Some(self.entry_of(node))
    }

    /// A node as plugins see it.
    pub fn entry_of(&self, node: &Node) -> Entry {
        self.entry_at(
            node,
            self.path_of(&node.reference)
                .unwrap_or_else(|| node.name.clone()),
        )
    }

    /// A node as plugins see it, its path already known.
    pub fn entry_at(&self, node: &Node, path: String) -> Entry {
        let mut properties: Vec<(String, Value)> = node
            .attrs
            .iter()
            .map(|(p, v)| (p.clone(), v.clone()))
            .collect();
        properties.sort_by(|a, b| a.0.cmp(&b.0));
        Entry {
            reference: node.reference.clone(),
            name: node.name.clone(),
            path,
            parent: node.parent.clone(),
            properties,
        }
    }

    /// Whether `ancestor` is the object or lies above it.
    pub fn is_within(&self, reference: &MoRef, ancestor: &MoRef) -> bool {
        reference == ancestor || self.ancestors(reference).any(|a| &a.reference == ancestor)
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

    /// Those of `nodes` that are of `kind` (see [`Self::is_kind`]).
    pub fn keep_kind<'a>(
        &self,
        nodes: impl Iterator<Item = &'a Node>,
        kind: Kind,
    ) -> Vec<&'a Node> {
        nodes.filter(|n| self.is_kind(n, kind)).collect()
    }

    /// Whether a node is of `kind` (its type, and for VM folders its place).
    pub fn is_kind(&self, node: &Node, kind: Kind) -> bool {
        if !kind.types().contains(&node.reference.kind.as_str()) {
            return false;
        }
        match kind {
            Kind::VmFolder => node.parent.is_some() && self.in_vm_tree(node),
            Kind::Container => {
                node.reference.kind == "Datacenter"
                    || (node.parent.is_some() && self.in_vm_tree(node))
            }
            _ => true,
        }
    }
}
