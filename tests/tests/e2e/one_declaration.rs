//! The SDK says each thing once (issue 17, point 2): a state-changing vim25
//! method is named in one place in a tool group, a `Method` constant, which
//! the tool's declared capabilities, its approval request and its invoke all
//! take. Checked on the built-in groups and on the `plugin new` template, in
//! their non-test code.

use std::collections::BTreeMap;
use std::path::Path;

use vmware_mcp_e2e::workspace_root;

/// Whether a string literal's text is a vim25 method name the groups invoke
/// (`PowerOnVM_Task`, `RebootGuest`).
fn is_method_name(text: &str) -> bool {
    let starts_upper = text.chars().next().is_some_and(|c| c.is_ascii_uppercase());
    starts_upper
        && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && (text.ends_with("_Task") || text == "RebootGuest")
}

/// The method-name literals of one source file's non-test code, with the
/// lines they stand on.
fn method_literals(source: &str) -> Vec<(String, String)> {
    let code = source.split("#[cfg(test)]").next().unwrap_or_default();
    let mut found = Vec::new();
    for line in code.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("//") {
            continue;
        }
        let mut parts = line.split('"');
        parts.next();
        while let (Some(literal), rest) = (parts.next(), parts.next()) {
            // `.type.method` paths in capabilities would hide in a longer
            // literal: check every dotted part.
            for piece in literal.split('.') {
                if is_method_name(piece) {
                    found.push((piece.to_string(), line.trim().to_string()));
                }
            }
            if rest.is_none() {
                break;
            }
        }
    }
    found
}

fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn each_invoked_method_is_named_once_as_a_method_constant() {
    let root = workspace_root();
    let groups = [
        vec![root.join("plugins/vms/src")],
        vec![root.join("plugins/hosts/src")],
        vec![root.join("plugins/storage/src")],
        vec![root.join("host/templates/plugin/lib.rs.tmpl")],
    ];
    let mut checked = 0;
    for group in groups {
        let mut files = Vec::new();
        for place in &group {
            if place.is_dir() {
                sources(place, &mut files);
            } else {
                files.push(place.clone());
            }
        }
        let mut named: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for file in &files {
            let source = std::fs::read_to_string(file).unwrap();
            for (method, line) in method_literals(&source) {
                named.entry(method).or_default().push(line);
            }
        }
        assert!(!named.is_empty(), "{group:?} invokes methods");
        for (method, lines) in &named {
            checked += 1;
            assert!(
                lines.len() == 1 && lines[0].contains("Method::new("),
                "{method} is named {} times in {group:?}, not once as a Method constant: {lines:#?}",
                lines.len()
            );
        }
    }
    assert!(checked >= 10, "the groups' methods were found: {checked}");
}

#[test]
fn the_scan_finds_a_method_named_twice() {
    let source = r#"
const POWER_ON: Method = Method::new("VirtualMachine", "PowerOnVM_Task");
fn f() { vsphere::invoke(&vm, "PowerOnVM_Task", json!({})); }
fn g() { tool.invokes(&["VirtualMachine.ResetVM_Task"]); }
// "CommentedOut_Task"
#[cfg(test)]
mod tests { const X: &str = "TestOnly_Task"; }
"#;
    let found: Vec<String> = method_literals(source)
        .into_iter()
        .map(|(m, _)| m)
        .collect();
    assert_eq!(found, ["PowerOnVM_Task", "PowerOnVM_Task", "ResetVM_Task"]);
}

/// List arguments are one type per group: the handler passes the checked
/// arguments to the listing as they are, rather than copying them field by
/// field into a second struct.
#[test]
fn list_arguments_pass_through_without_a_copy() {
    let root = workspace_root();
    for group in ["vms", "hosts", "storage", "networks", "clusters"] {
        let lib =
            std::fs::read_to_string(root.join(format!("plugins/{group}/src/lib.rs"))).unwrap();
        let list =
            std::fs::read_to_string(root.join(format!("plugins/{group}/src/list.rs"))).unwrap();
        assert!(
            list.contains("pub struct ListArgs") && !list.contains("struct Filters"),
            "{group}: list.rs declares the arguments once"
        );
        assert!(
            lib.contains("|args: list::ListArgs| list::list_") && !lib.contains("struct ListArgs"),
            "{group}: the handler passes its arguments through"
        );
    }
}
