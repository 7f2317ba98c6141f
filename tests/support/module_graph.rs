//! The module dependency graph of a Rust crate's sources, and its cycles.
//!
//! Layering only holds if nothing enforces it by accident: a module that
//! reaches back into the module that uses it ties the two into one unit that
//! can be neither read nor tested apart. This reads a crate's `src/` with
//! `syn`, makes one node per source file, draws an edge for every path that
//! reaches another file's items (`crate::…`, `super::…`, `self::…`, a child
//! module's name), follows `use` re-exports to the file that defines the
//! item, and reports every strongly connected set of more than one file.
//!
//! Code under `#[cfg(test)]` is left out: a module's tests may drive it
//! through the module above it, and that does not tie the shipped layers.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

/// One module path, e.g. `["vsphere", "soap", "decode"]`; the crate root is empty.
type ModPath = Vec<String>;

/// A crate's source files as modules, and the edges between them.
#[derive(Debug, Default)]
pub struct ModuleGraph {
    /// Each file's module path, with the path of the file itself.
    files: BTreeMap<ModPath, PathBuf>,
    /// Per module: the names it imports with `use`, and the path each names.
    imports: BTreeMap<ModPath, BTreeMap<String, ModPath>>,
    /// Per module: the modules whose items it imports with a glob.
    globs: BTreeMap<ModPath, Vec<ModPath>>,
    /// `from → to → one path that shows the edge`.
    edges: BTreeMap<ModPath, BTreeMap<ModPath, String>>,
    /// Files declared with `#[cfg(test)] mod name;`.
    test_only: BTreeSet<ModPath>,
}

/// A set of modules that depend on each other, with the evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct Cycle {
    /// The modules, as `a::b` paths (`crate` for the root).
    pub modules: Vec<String>,
    /// Each edge inside the set: `from -> to (via path)`.
    pub edges: Vec<String>,
}

impl std::fmt::Display for Cycle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "cycle between {}:", self.modules.join(", "))?;
        for edge in &self.edges {
            writeln!(f, "    {edge}")?;
        }
        Ok(())
    }
}

fn show(path: &[String]) -> String {
    if path.is_empty() {
        "crate".into()
    } else {
        path.join("::")
    }
}

impl ModuleGraph {
    /// Reads every `.rs` file under `src_dir` (the crate root is `lib.rs` or
    /// `main.rs`). A file that does not parse is an error, not a silent gap.
    pub fn read(src_dir: &Path) -> Result<ModuleGraph, String> {
        let mut graph = ModuleGraph::default();
        let mut parsed = Vec::new();
        collect_files(src_dir, src_dir, &mut graph.files)?;
        for (module, file) in &graph.files {
            let text = std::fs::read_to_string(file)
                .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            let syntax = syn::parse_file(&text)
                .map_err(|e| format!("cannot parse {}: {e}", file.display()))?;
            parsed.push((module.clone(), syntax));
        }
        // Imports first (they are needed to follow re-exports), then edges.
        for (module, syntax) in &parsed {
            let mut imports = ImportCollector {
                context: module.clone(),
                file_module: module.clone(),
                names: BTreeMap::new(),
                globs: Vec::new(),
                test_only: Vec::new(),
            };
            imports.visit_file(syntax);
            graph.test_only.extend(imports.test_only);
            let (names, globs) = (imports.names, imports.globs);
            graph.imports.insert(module.clone(), names);
            graph.globs.insert(module.clone(), globs);
        }
        for (module, syntax) in &parsed {
            if graph.test_only.iter().any(|t| module.starts_with(t)) {
                continue;
            }
            let mut refs = ReferenceCollector {
                context: module.clone(),
                found: Vec::new(),
            };
            refs.visit_file(syntax);
            for (context, path) in refs.found {
                if let Some(target) = graph.resolve(&context, &path, 0)
                    && &target != module
                {
                    graph
                        .edges
                        .entry(module.clone())
                        .or_default()
                        .entry(target)
                        .or_insert_with(|| path.join("::"));
                }
            }
        }
        Ok(graph)
    }

    /// The files of shipped code whose module path starts with `prefix` (`a::b`,
    /// empty for all), with those paths: every file but the ones compiled only
    /// for tests (declared `#[cfg(test)] mod name;`).
    pub fn shipped_files(&self, prefix: &str) -> Vec<(String, &Path)> {
        let prefix: ModPath = prefix
            .split("::")
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
        self.files
            .iter()
            .filter(|(module, _)| module.starts_with(&prefix))
            .filter(|(module, _)| !self.test_only.iter().any(|t| module.starts_with(t)))
            .map(|(module, file)| (show(module), file.as_path()))
            .collect()
    }

    /// The number of files read (a guard against checking an empty tree).
    pub fn file_count(&self) -> usize {
        self.files.len()
    }

    /// Whether `from` depends directly on `to` (module paths as `a::b`).
    pub fn depends_on(&self, from: &str, to: &str) -> bool {
        let parse = |s: &str| -> ModPath {
            if s == "crate" {
                Vec::new()
            } else {
                s.split("::").map(String::from).collect()
            }
        };
        self.edges
            .get(&parse(from))
            .is_some_and(|targets| targets.contains_key(&parse(to)))
    }

    /// The edges from any module under `from` to any module under `to`
    /// (`a::b` prefixes), as `from -> to (via path)`.
    pub fn edges_between(&self, from: &str, to: &str) -> Vec<String> {
        let prefix = |s: &str| -> ModPath { s.split("::").map(String::from).collect() };
        let (from, to) = (prefix(from), prefix(to));
        self.edges
            .iter()
            .filter(|(a, _)| a.starts_with(&from))
            .flat_map(|(a, targets)| {
                targets
                    .iter()
                    .filter(|(b, _)| b.starts_with(&to))
                    .map(move |(b, via)| format!("{} -> {} (via {via})", show(a), show(b)))
            })
            .collect()
    }

    /// Every cycle, at every level: between single files, and between the
    /// parts of each module (its `mod.rs` and each child, a child folder
    /// counting as one part), so that `approval` and `vsphere` may not depend
    /// on each other even through files that do not.
    pub fn cycles(&self) -> Vec<Cycle> {
        let mut out = self.cycles_among(|file| Some(file.clone()));
        let mut levels: Vec<&ModPath> = self
            .files
            .keys()
            .filter(|m| {
                self.files
                    .keys()
                    .any(|f| f.len() > m.len() && f.starts_with(m))
            })
            .collect();
        levels.sort();
        for level in levels {
            let part = |file: &ModPath| -> Option<ModPath> {
                if !file.starts_with(level) {
                    return None;
                }
                Some(file[..(level.len() + 1).min(file.len())].to_vec())
            };
            for cycle in self.cycles_among(part) {
                if !out.iter().any(|c| c.modules == cycle.modules) {
                    out.push(cycle);
                }
            }
        }
        out
    }

    /// Cycles after mapping each file to a part (`None`: left out), with
    /// Tarjan's strongly connected components over the parts.
    fn cycles_among(&self, part: impl Fn(&ModPath) -> Option<ModPath>) -> Vec<Cycle> {
        let mut edges: BTreeMap<ModPath, BTreeMap<ModPath, String>> = BTreeMap::new();
        let mut nodes: BTreeSet<ModPath> = BTreeSet::new();
        for file in self.files.keys() {
            nodes.extend(part(file));
        }
        for (from, targets) in &self.edges {
            let Some(a) = part(from) else { continue };
            for (to, via) in targets {
                let Some(b) = part(to) else { continue };
                if a != b {
                    edges
                        .entry(a.clone())
                        .or_default()
                        .entry(b)
                        .or_insert_with(|| format!("{} uses {via}", show(from)));
                }
            }
        }
        let nodes: Vec<ModPath> = nodes.into_iter().collect();
        let index_of: BTreeMap<&ModPath, usize> =
            nodes.iter().enumerate().map(|(i, n)| (n, i)).collect();
        let successors: Vec<Vec<usize>> = nodes
            .iter()
            .map(|n| {
                edges
                    .get(n)
                    .map(|t| t.keys().filter_map(|k| index_of.get(k).copied()).collect())
                    .unwrap_or_default()
            })
            .collect();
        strongly_connected(&successors)
            .into_iter()
            .filter(|c| c.len() > 1)
            .map(|component| {
                let members: BTreeSet<usize> = component.iter().copied().collect();
                let mut shown = Vec::new();
                for &from in &members {
                    for (to, via) in edges.get(&nodes[from]).into_iter().flatten() {
                        if index_of.get(to).is_some_and(|t| members.contains(t)) {
                            shown.push(format!("{} -> {} ({via})", show(&nodes[from]), show(to)));
                        }
                    }
                }
                Cycle {
                    modules: members.iter().map(|&i| show(&nodes[i])).collect(),
                    edges: shown,
                }
            })
            .collect()
    }

    /// The file module a path reaches, seen from module `context`; `None` for
    /// paths that leave the crate (std, dependencies) or name a local item.
    fn resolve(&self, context: &ModPath, path: &[String], depth: usize) -> Option<ModPath> {
        if depth > 16 || path.is_empty() {
            return None;
        }
        let (mut at, rest): (ModPath, &[String]) = match path[0].as_str() {
            "crate" => (Vec::new(), &path[1..]),
            "self" => (context.clone(), &path[1..]),
            "super" => {
                let mut at = context.clone();
                let mut rest = path;
                while rest.first().map(String::as_str) == Some("super") {
                    at.pop()?;
                    rest = &rest[1..];
                }
                (at, rest)
            }
            first => {
                let mut child = context.clone();
                child.push(first.to_string());
                if self.is_module(&child) {
                    (child, &path[1..])
                } else if let Some(imported) = self.import_of(context, first) {
                    // A name brought in by `use` in this module.
                    let mut full = imported.clone();
                    full.extend(path[1..].iter().cloned());
                    let file = self.file_of(context);
                    return self.resolve(&file, &full, depth + 1);
                } else if let Some(module) = self.through_glob(context, first) {
                    (module, &path[1..])
                } else {
                    return None;
                }
            }
        };
        let mut rest = rest;
        while let Some(next) = rest.first() {
            let mut child = at.clone();
            child.push(next.clone());
            if self.is_module(&child) {
                at = child;
                rest = &rest[1..];
            } else {
                break;
            }
        }
        // `at::Name…` where Name is re-exported by `at` from elsewhere.
        if let Some(name) = rest.first() {
            let file = self.file_of(&at);
            if let Some(imported) = self.imports.get(&file).and_then(|m| m.get(name)) {
                let mut full = imported.clone();
                full.extend(rest[1..].iter().cloned());
                if let Some(target) = self.resolve(&file, &full, depth + 1) {
                    return Some(target);
                }
            }
        }
        Some(self.file_of(&at))
    }

    /// A module named `name` brought into `context` by a glob import.
    fn through_glob(&self, context: &ModPath, name: &str) -> Option<ModPath> {
        let file = self.file_of(context);
        self.globs.get(&file)?.iter().find_map(|glob| {
            let mut base = self.module_at(&file, glob)?;
            base.push(name.to_string());
            self.is_module(&base).then_some(base)
        })
    }

    /// The module a path of module names leads to, or `None`.
    fn module_at(&self, context: &ModPath, path: &[String]) -> Option<ModPath> {
        let mut at = context.clone();
        for (i, segment) in path.iter().enumerate() {
            match segment.as_str() {
                "crate" if i == 0 => at.clear(),
                "self" if i == 0 => {}
                "super" => {
                    at.pop()?;
                }
                name => {
                    at.push(name.to_string());
                    if !self.is_module(&at) {
                        return None;
                    }
                }
            }
        }
        Some(at)
    }

    fn import_of(&self, context: &ModPath, name: &str) -> Option<&ModPath> {
        let file = self.file_of(context);
        self.imports.get(&file).and_then(|m| m.get(name))
    }

    /// Whether a module path names a file or an inline module.
    fn is_module(&self, path: &ModPath) -> bool {
        self.files.contains_key(path) || self.files.keys().any(|f| f.starts_with(path))
    }

    /// The file a module lives in: itself, or the file holding it inline.
    fn file_of(&self, path: &ModPath) -> ModPath {
        let mut at = path.clone();
        loop {
            if self.files.contains_key(&at) {
                return at;
            }
            if at.pop().is_none() {
                return Vec::new();
            }
        }
    }
}

/// Maps each `.rs` file to its module path (`a/mod.rs` and `a.rs` are `a`).
fn collect_files(
    root: &Path,
    dir: &Path,
    files: &mut BTreeMap<ModPath, PathBuf>,
) -> Result<(), String> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect_files(root, &path, files)?;
            continue;
        }
        if path.extension().and_then(|e| e.to_str()) != Some("rs") {
            continue;
        }
        let relative = path.strip_prefix(root).expect("walks below root");
        let mut module: ModPath = relative
            .with_extension("")
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        if matches!(
            module.last().map(String::as_str),
            Some("mod" | "lib" | "main")
        ) {
            module.pop();
        }
        files.insert(module, path);
    }
    Ok(())
}

/// Collects each module's `use` names (for following re-exports).
struct ImportCollector {
    context: ModPath,
    file_module: ModPath,
    names: BTreeMap<String, ModPath>,
    globs: Vec<ModPath>,
    test_only: Vec<ModPath>,
}

/// Whether attributes hold `#[cfg(test)]`.
pub fn is_test_only(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && a.parse_args::<syn::Ident>()
                .is_ok_and(|ident| ident == "test")
    })
}

impl<'ast> Visit<'ast> for ImportCollector {
    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        // Only the file's own top level: inline modules' imports are theirs.
        if self.context != self.file_module {
            return;
        }
        let mut leaves = Vec::new();
        use_leaves(&item.tree, Vec::new(), &mut leaves);
        for (path, alias) in leaves {
            match alias {
                Some(name) => {
                    self.names.insert(name, path);
                }
                None => self.globs.push(path),
            }
        }
    }

    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        self.context.push(item.ident.to_string());
        if item.content.is_none() && is_test_only(&item.attrs) {
            self.test_only.push(self.context.clone());
        }
        syn::visit::visit_item_mod(self, item);
        self.context.pop();
    }
}

/// Collects every path written in a file, with the module it is written in.
struct ReferenceCollector {
    context: ModPath,
    found: Vec<(ModPath, Vec<String>)>,
}

impl<'ast> Visit<'ast> for ReferenceCollector {
    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        let mut leaves = Vec::new();
        use_leaves(&item.tree, Vec::new(), &mut leaves);
        for (path, _) in leaves {
            self.found.push((self.context.clone(), path));
        }
    }

    // `pub(in crate::a)` names where an item is visible, not a dependency.
    fn visit_visibility(&mut self, _: &'ast syn::Visibility) {}

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        if segments.len() > 1 {
            self.found.push((self.context.clone(), segments));
        }
        syn::visit::visit_path(self, path);
    }

    fn visit_item(&mut self, item: &'ast syn::Item) {
        let attrs = match item {
            syn::Item::Mod(m) => &m.attrs,
            syn::Item::Fn(f) => &f.attrs,
            syn::Item::Impl(i) => &i.attrs,
            syn::Item::Use(u) => &u.attrs,
            syn::Item::Struct(s) => &s.attrs,
            syn::Item::Enum(e) => &e.attrs,
            syn::Item::Const(c) => &c.attrs,
            syn::Item::Static(s) => &s.attrs,
            syn::Item::Trait(t) => &t.attrs,
            _ => return syn::visit::visit_item(self, item),
        };
        if !is_test_only(attrs) {
            syn::visit::visit_item(self, item);
        }
    }

    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        self.context.push(item.ident.to_string());
        syn::visit::visit_item_mod(self, item);
        self.context.pop();
    }
}

/// Expands a use tree into `(path, name it binds)`; a glob binds no name.
fn use_leaves(
    tree: &syn::UseTree,
    prefix: Vec<String>,
    out: &mut Vec<(Vec<String>, Option<String>)>,
) {
    match tree {
        syn::UseTree::Path(p) => {
            let mut next = prefix;
            next.push(p.ident.to_string());
            use_leaves(&p.tree, next, out);
        }
        syn::UseTree::Name(n) => {
            let name = n.ident.to_string();
            if name == "self" {
                let bound = prefix.last().cloned();
                out.push((prefix, bound));
            } else {
                let mut path = prefix;
                path.push(name.clone());
                out.push((path, Some(name)));
            }
        }
        syn::UseTree::Rename(r) => {
            let mut path = prefix;
            let name = r.ident.to_string();
            if name != "self" {
                path.push(name);
            }
            out.push((path, Some(r.rename.to_string())));
        }
        syn::UseTree::Glob(_) => out.push((prefix, None)),
        syn::UseTree::Group(g) => {
            for item in &g.items {
                use_leaves(item, prefix.clone(), out);
            }
        }
    }
}

/// Tarjan's strongly connected components over an adjacency list.
fn strongly_connected(successors: &[Vec<usize>]) -> Vec<Vec<usize>> {
    struct State<'a> {
        successors: &'a [Vec<usize>],
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        on_stack: Vec<bool>,
        stack: Vec<usize>,
        next: usize,
        out: Vec<Vec<usize>>,
    }
    fn visit(s: &mut State<'_>, v: usize) {
        s.index[v] = Some(s.next);
        s.low[v] = s.next;
        s.next += 1;
        s.stack.push(v);
        s.on_stack[v] = true;
        for &w in &s.successors[v] {
            match s.index[w] {
                None => {
                    visit(s, w);
                    s.low[v] = s.low[v].min(s.low[w]);
                }
                Some(iw) if s.on_stack[w] => s.low[v] = s.low[v].min(iw),
                Some(_) => {}
            }
        }
        if Some(s.low[v]) == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack[w] = false;
                component.push(w);
                if w == v {
                    break;
                }
            }
            s.out.push(component);
        }
    }
    let n = successors.len();
    let mut state = State {
        successors,
        index: vec![None; n],
        low: vec![0; n],
        on_stack: vec![false; n],
        stack: Vec::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in 0..n {
        if state.index[v].is_none() {
            visit(&mut state, v);
        }
    }
    state.out
}
