//! Shape rules the sources keep so that they stay readable (issue 17): no
//! function in the simulator (`host/src/vsphere/sim`) runs over 80 lines,
//! counted from `fn` to its closing brace. A longer function does several
//! steps at once; each step belongs in a helper named for it.
//!
//! The check reads the sources with `syn`, through the same module graph the
//! layering test uses (so it sees the files the crate compiles, and leaves
//! out code compiled only for tests: `#[cfg(test)]` modules and items, and
//! files declared `#[cfg(test)] mod name;`). Its own tests plant a crate to
//! show what it catches and what it leaves alone.

use std::path::Path;

use syn::visit::Visit;
use vmware_mcp_e2e::module_graph::{ModuleGraph, is_test_only};
use vmware_mcp_e2e::{scratch_dir, workspace_root};

/// The longest a simulator function may be, `fn` to closing brace.
const MAX_FUNCTION_LINES: usize = 80;

/// One function: where it starts, its name, and its length in lines.
#[derive(Debug, Clone, PartialEq)]
struct Function {
    line: usize,
    name: String,
    lines: usize,
}

/// Collects every function with a body (free, in an impl or a trait, nested
/// in another), skipping whatever is compiled only for tests.
#[derive(Default)]
struct Functions {
    found: Vec<Function>,
}

impl Functions {
    fn add(&mut self, name: &syn::Ident, fn_token: &syn::token::Fn, block: &syn::Block) {
        let start = fn_token.span.start().line;
        let end = block.brace_token.span.close().start().line;
        self.found.push(Function {
            line: start,
            name: name.to_string(),
            lines: end + 1 - start,
        });
    }
}

impl<'ast> Visit<'ast> for Functions {
    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        if !is_test_only(&item.attrs) {
            syn::visit::visit_item_mod(self, item);
        }
    }

    fn visit_item_impl(&mut self, item: &'ast syn::ItemImpl) {
        if !is_test_only(&item.attrs) {
            syn::visit::visit_item_impl(self, item);
        }
    }

    fn visit_item_fn(&mut self, item: &'ast syn::ItemFn) {
        if !is_test_only(&item.attrs) {
            self.add(&item.sig.ident, &item.sig.fn_token, &item.block);
            syn::visit::visit_item_fn(self, item);
        }
    }

    fn visit_impl_item_fn(&mut self, item: &'ast syn::ImplItemFn) {
        if !is_test_only(&item.attrs) {
            self.add(&item.sig.ident, &item.sig.fn_token, &item.block);
            syn::visit::visit_impl_item_fn(self, item);
        }
    }

    fn visit_trait_item_fn(&mut self, item: &'ast syn::TraitItemFn) {
        if let Some(block) = &item.default
            && !is_test_only(&item.attrs)
        {
            self.add(&item.sig.ident, &item.sig.fn_token, block);
            syn::visit::visit_trait_item_fn(self, item);
        }
    }
}

/// Every shipped function under `module` (an `a::b` path in the crate at
/// `src`) longer than `max` lines, as `file:line name (N lines)`, longest first.
fn too_long(src: &Path, module: &str, max: usize) -> Vec<String> {
    let graph = ModuleGraph::read(src).expect("the sources parse");
    let files = graph.shipped_files(module);
    assert!(!files.is_empty(), "no source files under {module}");
    let mut long: Vec<(usize, String)> = Vec::new();
    for (_, file) in files {
        let text = std::fs::read_to_string(file).expect("a source file");
        let syntax = syn::parse_file(&text).expect("the module graph parsed it");
        let mut functions = Functions::default();
        functions.visit_file(&syntax);
        let shown = file.strip_prefix(workspace_root()).unwrap_or(file);
        for f in functions.found.into_iter().filter(|f| f.lines > max) {
            let row = format!(
                "{}:{} {} ({} lines)",
                shown.display(),
                f.line,
                f.name,
                f.lines
            );
            long.push((f.lines, row));
        }
    }
    long.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    long.into_iter().map(|(_, row)| row).collect()
}

#[test]
fn no_simulator_function_is_over_80_lines() {
    let src = workspace_root().join("host/src");
    let long = too_long(&src, "vsphere::sim", MAX_FUNCTION_LINES);
    assert!(
        long.is_empty(),
        "{} function(s) in host/src/vsphere/sim over {MAX_FUNCTION_LINES} lines; \
         split each into helpers that own one step:\n{}",
        long.len(),
        long.join("\n")
    );
}

/// A function `name` of `body_lines` lines between its braces.
fn function(name: &str, body_lines: usize) -> String {
    format!(
        "fn {name}() {{\n{}}}\n",
        "    let _ = 1;\n".repeat(body_lines)
    )
}

#[test]
fn long_functions_are_caught_and_test_code_is_not() {
    let dir = scratch_dir("code_shape_planted").join("src");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("a")).unwrap();
    let lib = format!(
        "mod a;\n#[cfg(test)]\nmod helpers;\n{}{}struct S;\nimpl S {{\n{}}}\n#[cfg(test)]\nmod tests {{\n{}}}\n",
        function("fits", 8),
        function("too_long", 9),
        function("method", 9),
        function("in_tests", 20),
    );
    std::fs::write(dir.join("lib.rs"), lib).unwrap();
    std::fs::write(dir.join("a/mod.rs"), function("outer", 12)).unwrap();
    std::fs::write(dir.join("helpers.rs"), function("test_helper", 20)).unwrap();
    let long = too_long(&dir, "", 10);
    let names: Vec<&str> = long
        .iter()
        .map(|row| row.split(' ').nth(1).unwrap_or(""))
        .collect();
    assert_eq!(names, ["outer", "too_long", "method"], "{long:#?}");
    assert!(
        long[0].ends_with("a/mod.rs:1 outer (14 lines)"),
        "{}",
        long[0]
    );
}
