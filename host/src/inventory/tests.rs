//! The index's resolution, paging and update rules, on a small inventory
//! with nested folders, two datacenters and duplicate names.

use serde_json::json;

use super::cursor::CursorSigner;
use super::select::{Condition, MatchOp, Query};
use super::*;
use crate::inventory::index::Node;
use crate::vocabulary::VsError as Error;

fn node(kind: &str, value: &str, name: &str, parent: Option<(&str, &str)>) -> Node {
    Node {
        reference: MoRef::new(kind, value),
        name: name.to_string(),
        parent: parent.map(|(k, v)| MoRef::new(k, v)),
        attrs: Default::default(),
    }
}

/// Two datacenters (one inside a folder), clusters, a standalone host,
/// nested VM folders and duplicate VM names across them.
fn inventory() -> Index {
    let mut inv = Index::new();
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
        inv.ancestors(&vm("vm-50"))
            .find(|n| n.reference.kind == "Datacenter")
            .map(|n| n.name.as_str()),
        Some("DC1")
    );
}

#[test]
fn paths_tolerate_missing_ancestors_and_cycles() {
    let mut inv = Index::new();
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
fn what_names_an_object_of_any_kind_is_told_apart_from_what_names_nothing() {
    let inv = inventory();
    for known in [
        "vm-42",
        "db1",
        "DC0/vm/web/db/db1",
        "/DC0/vm/web/db/db1/",
        "esx1",
        "domain-c7",
    ] {
        assert!(inv.names_anything(known), "{known}");
        assert!(matches!(
            inv.resolve(Kind::Datastore, known),
            Err(Error::NotFound(_))
        ));
    }
    for unknown in ["vm-4242", "db2", "DC0/vm/db1", " db1"] {
        assert!(!inv.names_anything(unknown), "{unknown}");
    }
}

#[test]
fn duplicate_names_are_ambiguous_with_paths() {
    let inv = inventory();
    match inv.resolve(Kind::VirtualMachine, "app") {
        Err(Error::Ambiguous(candidates)) => {
            let paths: Vec<&str> = candidates.iter().map(|c| c.path.as_str()).collect();
            assert_eq!(paths, ["DC0/vm/app", "DC0/vm/web/app"]);
            assert_eq!(candidates[0].reference.value, "vm-44");
            assert_eq!(candidates[0].reference.kind, "VirtualMachine");
        }
        other => panic!("expected ambiguous, got {other:?}"),
    }
    // Plain folder names are ambiguous across trees, but a VM folder is not.
    assert!(matches!(inv.resolve(Kind::Folder, "web"), Err(Error::Ambiguous(c)) if c.len() == 2));
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
    assert!(matches!(inv.resolve(Kind::VmFolder, "vm"), Err(Error::Ambiguous(c)) if c.len() == 2));
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
    let empty = Index::new();
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

fn with_vm_state(mut inv: Index) -> Index {
    for (id, power, host) in [
        ("vm-42", "poweredOn", "host-10"),
        ("vm-43", "poweredOff", "host-10"),
        ("vm-44", "poweredOn", "host-11"),
        ("vm-50", "poweredOff", "host-11"),
    ] {
        let mut n = inv.get(&vm(id)).unwrap().clone();
        n.attrs.insert("runtime.powerState".into(), json!(power));
        n.attrs.insert(
            "runtime.host".into(),
            MoRef::new("HostSystem", host).to_json(),
        );
        n.attrs.insert(
            "config.guestFullName".into(),
            json!("Ubuntu Linux (64-bit)"),
        );
        inv.insert(n);
    }
    inv
}

fn all_pages(inv: &Index, query: &Query, limit: u32, signer: &CursorSigner) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = inv.select(query, limit, cursor.as_deref(), signer).unwrap();
        assert!(page.entries.len() <= limit as usize);
        ids.extend(page.entries.iter().map(|e| e.reference.value.clone()));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return ids,
        }
    }
}

#[test]
fn pages_reach_every_object_once_in_path_order() {
    let inv = with_vm_state(inventory());
    let signer = CursorSigner::random();
    let all = Query {
        kind: Kind::VirtualMachine,
        scope: None,
        conditions: vec![],
    };
    for limit in [1, 2, 3, 100] {
        assert_eq!(
            all_pages(&inv, &all, limit, &signer),
            ["vm-44", "vm-43", "vm-42", "vm-50"],
            "limit {limit}"
        );
    }
    let first = inv.select(&all, 2, None, &signer).unwrap();
    assert_eq!(first.total, 4);
    assert_eq!(first.entries[0].path, "DC0/vm/app");
    let last = inv
        .select(&all, 2, first.next_cursor.as_deref(), &signer)
        .unwrap();
    assert!(last.next_cursor.is_none(), "no cursor on the last page");
}

#[test]
fn filters_scope_and_bad_queries() {
    let inv = with_vm_state(inventory());
    let signer = CursorSigner::random();
    let query = |conditions: Vec<Condition>, scope: Option<MoRef>| Query {
        kind: Kind::VirtualMachine,
        scope,
        conditions,
    };
    let cond = |p: &str, op: MatchOp, v: &[&str]| Condition {
        property: p.into(),
        op,
        values: v.iter().map(|s| s.to_string()).collect(),
    };
    let ids = |q: &Query| all_pages(&inv, q, 10, &signer);
    assert_eq!(
        ids(&query(vec![cond("name", MatchOp::Glob, &["DB*"])], None)),
        ["vm-42", "vm-50"]
    );
    assert_eq!(
        ids(&query(
            vec![cond("runtime.powerState", MatchOp::Equals, &["poweredOff"])],
            None
        )),
        ["vm-43", "vm-50"]
    );
    assert_eq!(
        ids(&query(
            vec![cond("runtime.host", MatchOp::Equals, &["host-11"])],
            None
        )),
        ["vm-44", "vm-50"]
    );
    assert_eq!(
        ids(&query(
            vec![cond("config.guestFullName", MatchOp::Contains, &["ubuntu"])],
            None
        ))
        .len(),
        4
    );
    assert_eq!(
        ids(&query(vec![], Some(MoRef::new("Folder", "group-v5")))),
        ["vm-43", "vm-42"]
    );
    let bad = inv
        .select(
            &query(
                vec![cond("config.annotation", MatchOp::Equals, &["x"])],
                None,
            ),
            10,
            None,
            &signer,
        )
        .unwrap_err()
        .to_string();
    assert!(bad.contains("runtime.powerState"), "{bad}");
    for limit in [0, select::MAX_PAGE + 1] {
        let e = inv
            .select(&query(vec![], None), limit, None, &signer)
            .unwrap_err()
            .to_string();
        assert!(e.contains("limit must be between 1 and"), "{e}");
    }
    let page = inv.select(&query(vec![], None), 1, None, &signer).unwrap();
    let other = query(vec![cond("name", MatchOp::Glob, &["*"])], None);
    let e = inv
        .select(&other, 1, page.next_cursor.as_deref(), &signer)
        .unwrap_err()
        .to_string();
    assert!(e.contains("another query"), "{e}");
}

#[test]
fn updates_keep_the_lookups_in_step() {
    use crate::vsphere::{ObjectUpdate, UpdateKind};
    let mut inv = inventory();
    inv.apply(&ObjectUpdate {
        kind: UpdateKind::Modify,
        reference: vm("vm-42"),
        changes: vec![("name".into(), Some(json!("db1-renamed")))],
    });
    assert!(inv.resolve(Kind::VirtualMachine, "db1").is_err());
    assert_eq!(
        inv.resolve(Kind::VirtualMachine, "db1-renamed")
            .unwrap()
            .path,
        "DC0/vm/web/db/db1-renamed"
    );
    inv.apply(&ObjectUpdate {
        kind: UpdateKind::Modify,
        reference: vm("vm-42"),
        changes: vec![(
            "parent".into(),
            Some(MoRef::new("Folder", "group-v3").to_json()),
        )],
    });
    assert_eq!(
        inv.path_of(&vm("vm-42")).as_deref(),
        Some("DC0/vm/db1-renamed")
    );
    inv.apply(&ObjectUpdate {
        kind: UpdateKind::Leave,
        reference: vm("vm-42"),
        changes: vec![],
    });
    assert!(inv.resolve(Kind::VirtualMachine, "vm-42").is_err());
    assert!(inv.named("db1-renamed").next().is_none());
}

/// Every VM in the order a full sort by (path, id) gives: what pages must
/// return, computed the slow way.
fn sorted_the_slow_way(inv: &Index) -> Vec<String> {
    let mut keys: Vec<(String, String)> = inv
        .of_kind(Kind::VirtualMachine)
        .map(|n| {
            (
                inv.path_of(&n.reference).unwrap(),
                n.reference.value.clone(),
            )
        })
        .collect();
    keys.sort();
    keys.into_iter().map(|(_, id)| id).collect()
}

/// A datacenter with `count` VMs spread over three folders.
fn many_vms(count: usize) -> Index {
    let mut inv = inventory();
    for i in 0..count {
        let folder = ["group-v3", "group-v5", "group-v6"][i % 3];
        let mut n = node(
            "VirtualMachine",
            &format!("vm-{}", 1000 + i),
            &format!("bulk-{i:05}"),
            Some(("Folder", folder)),
        );
        let power = if i % 2 == 0 {
            "poweredOn"
        } else {
            "poweredOff"
        };
        n.attrs.insert("runtime.powerState".into(), json!(power));
        inv.insert(n);
    }
    inv
}

#[test]
fn a_page_walks_only_its_own_entries_whatever_the_inventory_size() {
    let signer = CursorSigner::random();
    let all = Query {
        kind: Kind::VirtualMachine,
        scope: None,
        conditions: vec![],
    };
    for count in [1_000, 10_000] {
        let inv = many_vms(count);
        let first = inv.select(&all, 10, None, &signer).unwrap();
        assert_eq!(first.total, count + 4);
        assert_eq!(first.scanned, 11, "10 entries and one to know more follow");
        let second = inv
            .select(&all, 10, first.next_cursor.as_deref(), &signer)
            .unwrap();
        assert_eq!(
            second.scanned, 11,
            "{count} VMs: a later page starts at its cursor"
        );
        let expected = sorted_the_slow_way(&inv);
        let got: Vec<String> = first
            .entries
            .iter()
            .chain(&second.entries)
            .map(|e| e.reference.value.clone())
            .collect();
        assert_eq!(got, expected[..20]);

        // A filter passing every other VM walks about twice the page.
        let on = Query {
            kind: Kind::VirtualMachine,
            scope: None,
            conditions: vec![Condition {
                property: "runtime.powerState".into(),
                op: MatchOp::Equals,
                values: vec!["poweredOn".into()],
            }],
        };
        let first = inv.select(&on, 10, None, &signer).unwrap();
        let second = inv
            .select(&on, 10, first.next_cursor.as_deref(), &signer)
            .unwrap();
        assert!(
            second.scanned <= 24,
            "{count} VMs: scanned {}",
            second.scanned
        );
        assert_eq!(second.entries.len(), 10);
    }
}

#[test]
fn renames_moves_and_removals_keep_pages_in_path_order() {
    use crate::vsphere::{ObjectUpdate, UpdateKind};
    let signer = CursorSigner::random();
    let all = Query {
        kind: Kind::VirtualMachine,
        scope: None,
        conditions: vec![],
    };
    let mut inv = many_vms(300);
    let folder = |id: &str| MoRef::new("Folder", id);
    let steps = [
        // A folder renamed: every VM below it moves in the order.
        ObjectUpdate {
            kind: UpdateKind::Modify,
            reference: folder("group-v5"),
            changes: vec![("name".into(), Some(json!("zzz")))],
        },
        // A folder moved under another.
        ObjectUpdate {
            kind: UpdateKind::Modify,
            reference: folder("group-v6"),
            changes: vec![("parent".into(), Some(folder("group-v3").to_json()))],
        },
        // A VM renamed to sort first.
        ObjectUpdate {
            kind: UpdateKind::Modify,
            reference: vm("vm-1200"),
            changes: vec![("name".into(), Some(json!("AAA")))],
        },
        // A property change only: no move.
        ObjectUpdate {
            kind: UpdateKind::Modify,
            reference: vm("vm-1201"),
            changes: vec![("runtime.powerState".into(), Some(json!("suspended")))],
        },
        // A folder leaves: the paths below it stop at the gap.
        ObjectUpdate {
            kind: UpdateKind::Leave,
            reference: folder("group-v3"),
            changes: vec![],
        },
    ];
    for (i, step) in steps.iter().enumerate() {
        inv.apply(step);
        assert_eq!(
            all_pages(&inv, &all, 37, &signer),
            sorted_the_slow_way(&inv),
            "after step {i}"
        );
    }
    // The folder comes back: the paths below it are whole again.
    inv.insert(node(
        "Folder",
        "group-v3",
        "vm",
        Some(("Datacenter", "datacenter-2")),
    ));
    assert_eq!(
        all_pages(&inv, &all, 37, &signer),
        sorted_the_slow_way(&inv)
    );
    assert_eq!(
        inv.select(&all, 1, None, &signer).unwrap().entries[0].path,
        inv.path_of(&vm(&sorted_the_slow_way(&inv)[0])).unwrap()
    );
}
