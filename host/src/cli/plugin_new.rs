//! `vmware-mcp plugin new NAME [--dir DIR] [--source DIR]`: write a new
//! tool-group crate at DIR/NAME from the templates in `host/templates/plugin`
//! (embedded in the binary), ready for `cargo build --release --target
//! wasm32-wasip2`, `vmware-mcp plugin test` and `cargo test`.
//!
//! The crate depends on the SDK (and, for its tests, on the host library)
//! by absolute path into the vmware-mcp source checkout: by default the one
//! this binary was built from, or `--source DIR`. It declares a
//! `[workspace]` of its own so that no parent workspace takes it in.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The files written, as (path in the crate, template text).
const FILES: [(&str, &str); 7] = [
    (
        "Cargo.toml",
        include_str!("../../templates/plugin/Cargo.toml.tmpl"),
    ),
    (
        "src/lib.rs",
        include_str!("../../templates/plugin/lib.rs.tmpl"),
    ),
    (
        "inventory.json",
        include_str!("../../templates/plugin/inventory.json"),
    ),
    (
        "cases.toml",
        include_str!("../../templates/plugin/cases.toml"),
    ),
    (
        "tests/harness.rs",
        include_str!("../../templates/plugin/tests/harness.rs.tmpl"),
    ),
    (
        "README.md",
        include_str!("../../templates/plugin/README.md.tmpl"),
    ),
    (
        ".gitignore",
        include_str!("../../templates/plugin/gitignore"),
    ),
];

/// The longest group name accepted (tool names must stay readable).
const MAX_NAME: usize = 40;

/// Create the crate; exit 2 on a bad name or an unusable directory.
pub fn run(name: &str, dir: &Path, source: Option<&Path>) -> ExitCode {
    match create(name, dir, source) {
        Ok(root) => {
            println!("created the tool group `{name}` in {}", root.display());
            println!();
            println!("  cd {}", root.display());
            println!("  cargo build --release --target wasm32-wasip2");
            println!(
                "  vmware-mcp plugin test target/wasm32-wasip2/release/{}.wasm --inventory inventory.json cases.toml",
                lib_name(name)
            );
            println!("  cargo test");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("vmware-mcp plugin new: {e}");
            ExitCode::from(2)
        }
    }
}

/// Write the crate at `dir/name`; returns its directory.
pub fn create(name: &str, dir: &Path, source: Option<&Path>) -> Result<PathBuf, String> {
    check_name(name)?;
    let source = match source {
        Some(s) => s.to_path_buf(),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".."),
    };
    let source = source.canonicalize().map_err(|e| {
        format!(
            "the vmware-mcp source checkout {} cannot be used ({e}); pass --source DIR, the checkout holding plugins/sdk and host",
            source.display()
        )
    })?;
    for needed in ["plugins/sdk/Cargo.toml", "host/Cargo.toml"] {
        if !source.join(needed).is_file() {
            return Err(format!(
                "{} is not a vmware-mcp checkout (no {needed}); pass --source DIR",
                source.display()
            ));
        }
    }
    let root = dir.join(name);
    if root.exists() {
        return Err(format!(
            "{} already exists; choose another name or --dir",
            root.display()
        ));
    }
    let source_text = source.to_str().ok_or_else(|| {
        format!(
            "the checkout path {} is not UTF-8, so Cargo.toml cannot name it",
            source.display()
        )
    })?;
    for (path, template) in FILES {
        let file = root.join(path);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        let text = template
            .replace("{{name}}", name)
            .replace("{{lib_name}}", &lib_name(name))
            .replace("{{source}}", &toml_path(source_text));
        std::fs::write(&file, text).map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    }
    Ok(root)
}

/// The library (and component file) name Cargo derives: `-` becomes `_`.
pub fn lib_name(name: &str) -> String {
    name.replace('-', "_")
}

/// A path as it may stand inside a TOML basic string.
fn toml_path(path: &str) -> String {
    path.replace('\\', "\\\\").replace('"', "\\\"")
}

/// A group name is a crate name and a tool-name segment: lower-case ASCII
/// letters, digits and `-`, starting with a letter.
fn check_name(name: &str) -> Result<(), String> {
    let valid = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && name.len() <= MAX_NAME
        && !name.ends_with('-');
    if valid {
        Ok(())
    } else {
        Err(format!(
            "`{}` is not a valid group name: use lower-case letters, digits and `-`, starting with a letter, at most {MAX_NAME} characters (e.g. vm-power)",
            vmware_vocabulary::quote::prefix(name)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_a_crate_that_names_the_group_and_the_checkout() {
        let dir = std::env::temp_dir().join(format!("plugin-new-unit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let root = create("vm-power", &dir, None).unwrap();
        let cargo = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
        assert!(cargo.contains("name = \"vm-power\""), "{cargo}");
        assert!(
            cargo.contains("/plugins/sdk\" }") && cargo.contains("[workspace]"),
            "{cargo}"
        );
        let lib = std::fs::read_to_string(root.join("src/lib.rs")).unwrap();
        assert!(
            lib.contains("Toolbox::new(\"vm-power\"") && !lib.contains("{{"),
            "{lib}"
        );
        let test = std::fs::read_to_string(root.join("tests/harness.rs")).unwrap();
        assert!(test.contains("release/vm_power.wasm"), "{test}");
        assert!(
            create("vm-power", &dir, None)
                .unwrap_err()
                .contains("already exists")
        );
        for bad in ["", "Vm", "1vm", "vm_power", "vm-", "vm power"] {
            assert!(
                create(bad, &dir, None)
                    .unwrap_err()
                    .contains("not a valid group name"),
                "{bad}"
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
