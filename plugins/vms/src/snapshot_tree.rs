//! A VM's snapshot tree, and finding one snapshot in it.
//!
//! The `snapshot` property (`VirtualMachineSnapshotInfo`) nests
//! `VirtualMachineSnapshotTree` nodes. Snapshot names need not be unique, so a
//! snapshot argument may be a name, a path of names from the root
//! (`base/patched`) or the snapshot's id (`snapshot-7`), and a name that
//! matches several snapshots is `ambiguous` with each one's path.

use serde_json::{Value, json};
use vmware_plugin_sdk::error::Candidate;
use vmware_plugin_sdk::json::{as_array, as_str, lookup};
use vmware_plugin_sdk::{Error, MoRef, Result};

/// One snapshot and its children.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotNode {
    /// The snapshot's reference (`VirtualMachineSnapshot:snapshot-7`), when given.
    pub reference: Option<MoRef>,
    /// Its name.
    pub name: String,
    /// Its description.
    pub description: Option<String>,
    /// When it was taken, as vSphere wrote it.
    pub create_time: Option<String>,
    /// The VM's power state when it was taken.
    pub state: Option<String>,
    /// Snapshots taken after it on this branch.
    pub children: Vec<SnapshotNode>,
}

/// A VM's snapshots: the roots and which one is current.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SnapshotTree {
    /// The snapshot the VM currently runs from.
    pub current: Option<MoRef>,
    /// The root snapshots.
    pub roots: Vec<SnapshotNode>,
}

/// A snapshot found in a tree.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundSnapshot {
    /// Its reference, the target of revert and delete.
    pub reference: MoRef,
    /// Its name.
    pub name: String,
    /// Its path of names from the root, e.g. `base/patched`.
    pub path: String,
    /// How many snapshots are directly below it.
    pub children: usize,
    /// Its description.
    pub description: Option<String>,
    /// When it was taken.
    pub create_time: Option<String>,
}

impl FoundSnapshot {
    /// The snapshot as a result field.
    pub fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "id": self.reference.value,
            "path": self.path,
            "description": self.description,
            "createTime": self.create_time,
        })
    }
}

impl SnapshotNode {
    fn from_value(value: &Value) -> Self {
        SnapshotNode {
            reference: lookup(value, "snapshot").and_then(MoRef::from_json),
            name: lookup(value, "name")
                .and_then(as_str)
                .unwrap_or("")
                .to_string(),
            description: lookup(value, "description")
                .and_then(as_str)
                .map(str::to_string),
            create_time: lookup(value, "createTime")
                .and_then(as_str)
                .map(str::to_string),
            state: lookup(value, "state").and_then(as_str).map(str::to_string),
            children: lookup(value, "childSnapshotList")
                .and_then(as_array)
                .map(|items| items.iter().map(SnapshotNode::from_value).collect())
                .unwrap_or_default(),
        }
    }
}

impl SnapshotTree {
    /// Read the `snapshot` property; absent means no snapshots.
    pub fn from_value(value: Option<&Value>) -> Self {
        let Some(value) = value else {
            return SnapshotTree::default();
        };
        SnapshotTree {
            current: lookup(value, "currentSnapshot").and_then(MoRef::from_json),
            roots: lookup(value, "rootSnapshotList")
                .and_then(as_array)
                .map(|items| items.iter().map(SnapshotNode::from_value).collect())
                .unwrap_or_default(),
        }
    }

    /// Every snapshot with its path, depth first.
    pub fn flatten(&self) -> Vec<(String, &SnapshotNode)> {
        fn walk<'a>(
            nodes: &'a [SnapshotNode],
            prefix: &str,
            out: &mut Vec<(String, &'a SnapshotNode)>,
        ) {
            for node in nodes {
                let path = if prefix.is_empty() {
                    node.name.clone()
                } else {
                    format!("{prefix}/{}", node.name)
                };
                walk(&node.children, &path, out);
                out.push((path, node));
            }
        }
        let mut out = Vec::new();
        walk(&self.roots, "", &mut out);
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// How many snapshots the VM has.
    pub fn count(&self) -> usize {
        self.flatten().len()
    }

    /// The tree as nested result rows, each with a `current` flag.
    pub fn rows(&self) -> Vec<Value> {
        fn node_json(node: &SnapshotNode, current: Option<&MoRef>) -> Value {
            json!({
                "name": node.name,
                "id": node.reference.as_ref().map(|r| r.value.as_str()),
                "description": node.description,
                "createTime": node.create_time,
                "state": node.state,
                "current": node.reference.is_some() && node.reference.as_ref() == current,
                "children": node.children.iter().map(|c| node_json(c, current)).collect::<Vec<_>>(),
            })
        }
        self.roots
            .iter()
            .map(|n| node_json(n, self.current.as_ref()))
            .collect()
    }

    /// The snapshot with this reference, if in the tree.
    pub fn find_by_ref(&self, reference: &MoRef) -> Option<FoundSnapshot> {
        self.flatten()
            .into_iter()
            .find(|(_, node)| node.reference.as_ref() == Some(reference))
            .and_then(|(path, node)| found(path, node))
    }

    /// The current snapshot, if any.
    pub fn current(&self) -> Option<FoundSnapshot> {
        self.current.as_ref().and_then(|r| self.find_by_ref(r))
    }

    /// Find one snapshot of VM `vm_name` by id, tree path or name.
    pub fn find(&self, vm_name: &str, query: &str) -> Result<FoundSnapshot> {
        // Exact matches only: a snapshot named `base ` is not `base`.
        if query.is_empty() {
            return Err(Error::invalid_argument(
                "snapshotName must be a snapshot's name, tree path or id; got an empty string",
            ));
        }
        let all: Vec<(String, &SnapshotNode)> = self
            .flatten()
            .into_iter()
            .filter(|(_, node)| node.reference.is_some())
            .collect();
        if let Some((path, node)) = all
            .iter()
            .find(|(_, n)| n.reference.as_ref().is_some_and(|r| r.value == query))
        {
            return found(path.clone(), node)
                .ok_or_else(|| Error::internal("snapshot lost its reference"));
        }
        // A path names the snapshot at that place in the tree; a name names
        // every snapshot called that. A query that is both the path of one
        // snapshot and the name of another (`s1` with a child `s1`) means
        // either, so it is ambiguous rather than silently the older one.
        let wanted_path = query.trim_matches('/');
        let hits: Vec<&(String, &SnapshotNode)> = all
            .iter()
            .filter(|(path, node)| path == wanted_path || node.name == query)
            .collect();
        match hits.as_slice() {
            [] => {
                let existing: Vec<&str> = all.iter().map(|(path, _)| path.as_str()).collect();
                let message = if existing.is_empty() {
                    format!("VM '{vm_name}' has no snapshots")
                } else {
                    let shown: Vec<String> = existing
                        .iter()
                        .map(|p| vmware_plugin_sdk::suggest::shown(p))
                        .collect();
                    format!(
                        "VM '{vm_name}' has no snapshot named {} (names match exactly, including case and white space); its snapshots are: {}",
                        vmware_plugin_sdk::suggest::shown(query),
                        shown.join(", ")
                    )
                };
                Err(Error::not_found(message))
            }
            [(path, node)] => found(path.clone(), node)
                .ok_or_else(|| Error::internal("snapshot lost its reference")),
            several => Err(Error::Ambiguous(
                several
                    .iter()
                    .filter_map(|(path, node)| {
                        node.reference.as_ref().map(|r| Candidate {
                            ref_: r.into(),
                            path: candidate_label(path, node),
                        })
                    })
                    .collect(),
            )),
        }
    }

    /// The snapshots named exactly `name`, for refusing a duplicate.
    pub fn named(&self, name: &str) -> Vec<FoundSnapshot> {
        self.flatten()
            .into_iter()
            .filter(|(_, node)| node.name == name)
            .filter_map(|(path, node)| found(path, node))
            .collect()
    }
}

/// How an ambiguous snapshot is listed: its tree path, then its id and when
/// it was taken, since same-named snapshots differ mostly by age. The WIT
/// candidate record has only a reference and a path, so the id and time
/// follow the path in parentheses (`s1/s1 (snapshot-12, taken …)`), in the
/// message agents read too; the path or the id is what a caller passes next.
pub fn candidate_label(path: &str, node: &SnapshotNode) -> String {
    let id = node
        .reference
        .as_ref()
        .map_or("no id", |r| r.value.as_str());
    match &node.create_time {
        Some(time) => format!("{path} ({id}, taken {time})"),
        None => format!("{path} ({id})"),
    }
}

fn found(path: String, node: &SnapshotNode) -> Option<FoundSnapshot> {
    Some(FoundSnapshot {
        reference: node.reference.clone()?,
        name: node.name.clone(),
        path,
        children: node.children.len(),
        description: node.description.clone(),
        create_time: node.create_time.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(id: &str, name: &str, children: Vec<Value>) -> Value {
        json!({
            "_typeName": "VirtualMachineSnapshotTree",
            "snapshot": {"_typeName": "ManagedObjectReference", "type": "VirtualMachineSnapshot", "value": id},
            "vm": {"_typeName": "ManagedObjectReference", "type": "VirtualMachine", "value": "vm-42"},
            "name": name,
            "description": format!("{name} taken"),
            "id": 1,
            "createTime": "2024-05-01T10:00:00Z",
            "state": "poweredOff",
            "childSnapshotList": children,
        })
    }

    fn tree() -> SnapshotTree {
        let info = json!({
            "_typeName": "VirtualMachineSnapshotInfo",
            "currentSnapshot": {"_typeName": "ManagedObjectReference", "type": "VirtualMachineSnapshot", "value": "snapshot-4"},
            "rootSnapshotList": [
                snap("snapshot-1", "base", vec![
                    snap("snapshot-2", "patched", vec![snap("snapshot-4", "nightly", vec![])]),
                    snap("snapshot-3", "nightly", vec![]),
                ]),
            ],
        });
        SnapshotTree::from_value(Some(&info))
    }

    #[test]
    fn parses_and_renders_the_tree() {
        let tree = tree();
        assert_eq!(tree.count(), 4);
        let rendered = Value::Array(tree.rows());
        assert_eq!(rendered[0]["name"], "base");
        assert_eq!(rendered[0]["id"], "snapshot-1");
        assert_eq!(rendered[0]["current"], false);
        assert_eq!(rendered[0]["children"][0]["children"][0]["current"], true);
        assert_eq!(rendered[0]["children"][1]["state"], "poweredOff");
        assert_eq!(tree.current().unwrap().path, "base/patched/nightly");
        assert_eq!(SnapshotTree::from_value(None).rows(), Vec::<Value>::new());
    }

    #[test]
    fn finds_by_name_path_and_id() {
        let tree = tree();
        let patched = tree.find("db1", "patched").unwrap();
        assert_eq!(
            patched.reference,
            MoRef::new("VirtualMachineSnapshot", "snapshot-2")
        );
        assert_eq!(patched.path, "base/patched");
        assert_eq!(patched.children, 1);
        assert_eq!(
            tree.find("db1", "base/nightly").unwrap().reference.value,
            "snapshot-3"
        );
        assert_eq!(
            tree.find("db1", "snapshot-4").unwrap().path,
            "base/patched/nightly"
        );
    }

    #[test]
    fn duplicate_names_are_ambiguous_and_missing_ones_listed() {
        let tree = tree();
        match tree.find("db1", "nightly") {
            Err(Error::Ambiguous(candidates)) => {
                let paths: Vec<&str> = candidates.iter().map(|c| c.path.as_str()).collect();
                assert_eq!(
                    paths,
                    [
                        "base/nightly (snapshot-3, taken 2024-05-01T10:00:00Z)",
                        "base/patched/nightly (snapshot-4, taken 2024-05-01T10:00:00Z)"
                    ]
                );
                assert_eq!(candidates[0].ref_.type_, "VirtualMachineSnapshot");
            }
            other => panic!("expected ambiguous, got {other:?}"),
        }
        match tree.find("db1", "gone") {
            Err(Error::NotFound(message)) => {
                assert!(message.contains("no snapshot named 'gone'"), "{message}");
                assert!(message.contains("base/patched/nightly"), "{message}");
            }
            other => panic!("expected not-found, got {other:?}"),
        }
        assert!(
            matches!(SnapshotTree::default().find("db1", "x"), Err(Error::NotFound(m)) if m.contains("has no snapshots"))
        );
        assert!(matches!(
            tree.find("db1", ""),
            Err(Error::InvalidArgument(_))
        ));
        // Exact names only: white space around a name is part of it.
        assert!(matches!(
            tree.find("db1", "nightly "),
            Err(Error::NotFound(m)) if m.contains("'nightly '")
        ));
    }

    /// A snapshot `s1` with a child `s1` (the case): the bare name is
    /// the root's path *and* the child's name, so it is ambiguous, never
    /// silently the older one; the path and the id each pick one.
    #[test]
    fn a_name_that_is_also_a_path_is_ambiguous() {
        let info = json!({
            "_typeName": "VirtualMachineSnapshotInfo",
            "rootSnapshotList": [snap("snapshot-10", "s1", vec![snap("snapshot-12", "s1", vec![])])],
        });
        let tree = SnapshotTree::from_value(Some(&info));
        match tree.find("db1", "s1") {
            Err(Error::Ambiguous(candidates)) => {
                let ids: Vec<&str> = candidates.iter().map(|c| c.ref_.value.as_str()).collect();
                assert_eq!(ids, ["snapshot-10", "snapshot-12"]);
                assert!(
                    candidates[1]
                        .path
                        .starts_with("s1/s1 (snapshot-12, taken 2024-")
                );
            }
            other => panic!("expected ambiguous, got {other:?}"),
        }
        assert_eq!(
            tree.find("db1", "s1/s1").unwrap().reference.value,
            "snapshot-12"
        );
        assert_eq!(tree.find("db1", "snapshot-10").unwrap().path, "s1");
        assert_eq!(tree.named("s1").len(), 2);
        assert!(tree.named("s2").is_empty());
    }

    /// Two roots of one name share a path too: only the id tells them apart.
    #[test]
    fn siblings_of_one_name_are_ambiguous_by_path_as_well() {
        let info = json!({
            "_typeName": "VirtualMachineSnapshotInfo",
            "rootSnapshotList": [snap("snapshot-1", "s1", vec![]), snap("snapshot-2", "s1", vec![])],
        });
        let tree = SnapshotTree::from_value(Some(&info));
        assert!(matches!(tree.find("db1", "s1"), Err(Error::Ambiguous(c)) if c.len() == 2));
        assert!(matches!(tree.find("db1", "/s1/"), Err(Error::Ambiguous(c)) if c.len() == 2));
        assert_eq!(
            tree.find("db1", "snapshot-2").unwrap().reference.value,
            "snapshot-2"
        );
    }
}
