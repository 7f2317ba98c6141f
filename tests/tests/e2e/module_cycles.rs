//! No import cycles between the host's modules or inside them (issue 11).
//!
//! The check reads `host/src` and fails, naming each cycle and the paths
//! that form it, when two source files depend on each other directly or
//! through others. Its own tests plant cycles in a scratch crate to show it
//! catches them: a direct `use`, a path written inline, and a cycle that
//! only shows once a parent module's re-export is followed.

use std::path::Path;

use vmware_mcp_e2e::module_graph::ModuleGraph;
use vmware_mcp_e2e::{scratch_dir, workspace_root};

fn plant(test: &str, files: &[(&str, &str)]) -> ModuleGraph {
    let dir = scratch_dir(test).join("src");
    let _ = std::fs::remove_dir_all(&dir);
    for (path, text) in files {
        let file = dir.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
    }
    ModuleGraph::read(&dir).expect("the planted crate parses")
}

#[test]
fn the_host_has_no_module_cycle() {
    let graph = ModuleGraph::read(&workspace_root().join("host/src")).expect("host/src parses");
    assert!(
        graph.file_count() > 50,
        "read only {} files",
        graph.file_count()
    );
    // The check sees real edges (a guard against a graph that is empty).
    assert!(graph.depends_on("vsphere::gateway", "vocabulary::error"));
    let cycles = graph.cycles();
    let report: String = cycles.iter().map(ToString::to_string).collect();
    assert!(
        cycles.is_empty(),
        "{} import cycle(s) in host/src:\n{report}",
        cycles.len()
    );
}

#[test]
fn the_gateway_reaches_approval_only_through_its_injected_hooks() {
    let graph = ModuleGraph::read(&workspace_root().join("host/src")).expect("host/src parses");
    let edges = graph.edges_between("vsphere", "approval");
    assert!(edges.is_empty(), "vsphere depends on approval: {edges:#?}");
    assert!(graph.depends_on("approval::grants", "vsphere::hooks"));
    assert!(graph.depends_on("approval::audit", "vsphere::hooks"));
}

#[test]
fn the_approval_domain_speaks_no_transport() {
    let dir = workspace_root().join("host/src/approval");
    for entry in std::fs::read_dir(&dir).expect("host/src/approval") {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        for transport in ["rmcp::", "axum::", "reqwest::"] {
            assert!(
                !text.contains(transport),
                "{} uses {transport}: the MCP side belongs in mcp/ (an adapter of approval::client::ClientPort)",
                path.display()
            );
        }
    }
    let graph = ModuleGraph::read(&workspace_root().join("host/src")).expect("host/src parses");
    let edges = graph.edges_between("approval", "mcp");
    assert!(edges.is_empty(), "approval depends on mcp: {edges:#?}");
}

#[test]
fn a_planted_cycle_between_siblings_is_caught() {
    let graph = plant(
        "cycles_siblings",
        &[
            ("lib.rs", "mod a;\nmod b;\nmod c;\n"),
            ("a.rs", "use crate::b::B;\npub struct A;\n"),
            (
                "b.rs",
                "pub struct B;\npub fn make() -> crate::c::C { crate::c::C }\n",
            ),
            ("c.rs", "pub struct C;\nfn f() { let _ = super::a::A; }\n"),
        ],
    );
    let cycles = graph.cycles();
    assert_eq!(cycles.len(), 1, "{cycles:?}");
    assert_eq!(cycles[0].modules, ["a", "b", "c"]);
    assert!(
        cycles[0]
            .to_string()
            .contains("c -> a (c uses super::a::A)"),
        "{}",
        cycles[0]
    );
}

#[test]
fn a_cycle_through_a_re_export_is_caught() {
    // `core` re-exports `Error` from `core::error`; `core::error` uses
    // `vsphere::MoRef`, and vsphere uses `crate::core::Error`.
    let graph = plant(
        "cycles_reexport",
        &[
            ("lib.rs", "pub mod core;\npub mod vsphere;\n"),
            ("core/mod.rs", "mod error;\npub use error::Error;\n"),
            (
                "core/error.rs",
                "use crate::vsphere::MoRef;\npub struct Error(MoRef);\n",
            ),
            (
                "vsphere/mod.rs",
                "pub struct MoRef;\npub fn f() -> crate::core::Error { todo!() }\n",
            ),
        ],
    );
    // Seen between the two files, and again between the two top-level
    // modules they belong to.
    let cycles = graph.cycles();
    assert_eq!(cycles.len(), 2, "{cycles:?}");
    assert_eq!(cycles[0].modules, ["core::error", "vsphere"]);
    assert_eq!(cycles[1].modules, ["core", "vsphere"]);
}

#[test]
fn layered_modules_pass() {
    let graph = plant(
        "cycles_none",
        &[
            ("lib.rs", "mod a;\nmod b;\n"),
            (
                "a.rs",
                "use crate::b::B;\npub struct A(B);\n#[cfg(test)]\nmod tests { use super::*; }\n",
            ),
            // Tests may drive a module through the one above it.
            (
                "b.rs",
                "pub struct B;\n#[cfg(test)]\nmod tests { use crate::a::A; }\n",
            ),
        ],
    );
    assert!(graph.cycles().is_empty(), "{:?}", graph.cycles());
    assert!(graph.depends_on("a", "b"));
    assert!(!graph.depends_on("b", "a"));
}

#[test]
fn an_unparsable_file_is_an_error_not_a_gap() {
    let dir = scratch_dir("cycles_broken").join("src");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("lib.rs"), "fn (").unwrap();
    let err = ModuleGraph::read(Path::new(&dir)).unwrap_err();
    assert!(err.contains("cannot parse"), "{err}");
}
