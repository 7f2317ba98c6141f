//! The operator's plugins file (`--plugins-file`, `PLUGINS_FILE`): which
//! tool-group components to load, each pinned by its sha256 digest so that
//! a replaced file is refused at start, and optionally narrowed to fewer
//! methods than it declares.
//!
//! ```toml
//! [[plugin]]
//! path = "datastores.wasm"          # relative to this file's directory
//! sha256 = "3f1c…"                  # `sha256sum datastores.wasm`
//!
//! [[plugin]]
//! builtin = "vms"                   # a built-in group: no digest needed
//! invokes = ["VirtualMachine.PowerOnVM_Task", "VirtualMachine.PowerOffVM_Task"]
//! ```
//!
//! `invokes` must be a subset of what the component declares (the operator
//! narrows, never widens); for a component built before capabilities existed
//! (contract 0.1.0/0.2.0) it grants those state-changing methods.
//!
//! Each component is listed once: a built-in name or a path that appears in
//! two entries is an error at start, since two `invokes` lists for one
//! component cannot both be what the operator meant. A component file over
//! the size cap (`PLUGIN_MAX_BYTES`) is refused before it is read.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::component_file::read_bounded;

/// The parsed file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginsFile {
    /// One entry per component.
    #[serde(default, rename = "plugin")]
    pub plugins: Vec<PluginEntry>,
    /// The directory relative paths are resolved against (the file's own).
    #[serde(skip)]
    pub base: PathBuf,
}

/// One component the operator lists.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginEntry {
    /// The component file; relative paths are taken from the file's directory.
    pub path: Option<PathBuf>,
    /// The expected sha256 of the file, as 64 hex digits (`sha256:` prefix allowed).
    pub sha256: Option<String>,
    /// A built-in group (`vms`, `hosts`) to narrow, instead of a file.
    pub builtin: Option<String>,
    /// The methods (`Type.Method`) the component may invoke: a subset of its
    /// declaration, or a grant for a component that declares nothing.
    pub invokes: Option<Vec<String>>,
}

/// What an entry names, once checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntrySource {
    /// A component file and its pinned digest (lowercase hex).
    File {
        /// The resolved path.
        path: PathBuf,
        /// The expected digest.
        sha256: String,
    },
    /// A built-in group by name.
    Builtin(String),
}

impl PluginsFile {
    /// Read and check the file: every entry names either a `path` with a
    /// well-formed `sha256`, or a `builtin`, and no component is listed twice.
    pub fn load(path: &Path) -> anyhow::Result<PluginsFile> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the plugins file {}", path.display()))?;
        let mut file: PluginsFile = toml::from_str(&text).map_err(|e| {
            anyhow::anyhow!(
                "the plugins file {} is invalid: {}",
                path.display(),
                e.to_string().trim_end()
            )
        })?;
        file.base = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        // Where each component was first listed, by what identifies it.
        let mut first: BTreeMap<Listed, usize> = BTreeMap::new();
        for (i, entry) in file.plugins.iter().enumerate() {
            let source = entry
                .source(&file.base)
                .with_context(|| format!("the plugins file {}, entry {}", path.display(), i + 1))?;
            let listed = Listed::of(&source);
            if let Some(earlier) = first.get(&listed) {
                anyhow::bail!(
                    "the plugins file {}: entries {} and {} both list {}; list each component once, with every method it may invoke in that entry's `invokes`",
                    path.display(),
                    earlier + 1,
                    i + 1,
                    listed.describe()
                );
            }
            first.insert(listed, i);
        }
        Ok(file)
    }
}

/// What makes two entries the same component: a built-in group's name, or a
/// file (by its canonical path when it exists, so `./x.wasm` and `x.wasm` are
/// one file).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Listed {
    Builtin(String),
    File(PathBuf),
}

impl Listed {
    fn of(source: &EntrySource) -> Listed {
        match source {
            EntrySource::Builtin(name) => Listed::Builtin(name.clone()),
            EntrySource::File { path, .. } => {
                Listed::File(std::fs::canonicalize(path).unwrap_or_else(|_| path.clone()))
            }
        }
    }

    fn describe(&self) -> String {
        match self {
            Listed::Builtin(name) => format!("the built-in group `{name}`"),
            Listed::File(path) => format!("the component {}", path.display()),
        }
    }
}

impl PluginEntry {
    /// What the entry names, with its path resolved and digest normalised.
    pub fn source(&self, base: &Path) -> anyhow::Result<EntrySource> {
        match (&self.path, &self.sha256, &self.builtin) {
            (Some(path), Some(sha256), None) => {
                let hex = sha256
                    .strip_prefix("sha256:")
                    .unwrap_or(sha256)
                    .to_ascii_lowercase();
                anyhow::ensure!(
                    hex.len() == 64 && hex.chars().all(|c| c.is_ascii_hexdigit()),
                    "`sha256` must be 64 hexadecimal digits (as `sha256sum FILE` prints), not `{sha256}`"
                );
                Ok(EntrySource::File {
                    path: base.join(path),
                    sha256: hex,
                })
            }
            (Some(path), None, None) => anyhow::bail!(
                "`{}` has no `sha256`: every component file is pinned by its digest (`sha256sum {}`)",
                path.display(),
                path.display()
            ),
            (None, None, Some(name)) => Ok(EntrySource::Builtin(name.clone())),
            (None, Some(_), Some(_)) | (Some(_), _, Some(_)) => {
                anyhow::bail!("give either `path` and `sha256`, or `builtin`, not both")
            }
            (None, _, None) => {
                anyhow::bail!("each [[plugin]] needs `path` and `sha256`, or `builtin`")
            }
        }
    }
}

/// The sha256 of `bytes` as lowercase hex, as `sha256sum` prints it.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Read a pinned component (refused unread over `max_bytes`) and check its
/// digest; a mismatch names the file and both digests, so the operator can
/// tell a stale pin from a swapped file.
pub fn read_pinned(path: &Path, expected: &str, max_bytes: u64) -> anyhow::Result<Vec<u8>> {
    let bytes = read_bounded(path, max_bytes)
        .with_context(|| format!("the pinned component {}", path.display()))?;
    let actual = sha256_hex(&bytes);
    anyhow::ensure!(
        actual == expected,
        "the component {} does not match its pinned digest: expected sha256 {expected}, the file has {actual}; refusing to load it (update the plugins file only if you trust the new file)",
        path.display()
    );
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> anyhow::Result<PluginsFile> {
        let dir = std::env::temp_dir().join(format!("plugins-file-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("plugins.toml");
        std::fs::write(&path, text).unwrap();
        PluginsFile::load(&path)
    }

    #[test]
    fn entries_need_a_digest_or_a_builtin_name() {
        let digest = "a".repeat(64);
        let ok = parse(&format!(
            "[[plugin]]\npath = \"x.wasm\"\nsha256 = \"sha256:{}\"\n[[plugin]]\nbuiltin = \"vms\"\ninvokes = []\n",
            digest.to_uppercase()
        ))
        .unwrap();
        assert_eq!(
            ok.plugins[0].source(&ok.base).unwrap(),
            EntrySource::File {
                path: ok.base.join("x.wasm"),
                sha256: digest
            }
        );
        let unpinned = parse("[[plugin]]\npath = \"x.wasm\"\n").unwrap_err();
        assert!(
            format!("{unpinned:#}").contains("has no `sha256`"),
            "{unpinned:#}"
        );
        let short = parse("[[plugin]]\npath = \"x.wasm\"\nsha256 = \"abc\"\n").unwrap_err();
        assert!(
            format!("{short:#}").contains("64 hexadecimal digits"),
            "{short:#}"
        );
        let typo = parse("[[plugin]]\npath = \"x.wasm\"\nsha265 = \"abc\"\n").unwrap_err();
        assert!(
            format!("{typo:#}").contains("unknown field `sha265`"),
            "{typo:#}"
        );
    }

    #[test]
    fn a_component_listed_twice_is_refused_naming_both_entries() {
        let digest = "a".repeat(64);
        let twice = parse("[[plugin]]\nbuiltin = \"vms\"\ninvokes = [\"VirtualMachine.PowerOnVM_Task\"]\n[[plugin]]\nbuiltin = \"hosts\"\n[[plugin]]\nbuiltin = \"vms\"\ninvokes = [\"VirtualMachine.PowerOffVM_Task\"]\n").unwrap_err();
        let text = format!("{twice:#}");
        assert!(
            text.contains("entries 1 and 3")
                && text.contains("built-in group `vms`")
                && text.contains("once"),
            "{text}"
        );
        let paths = parse(&format!(
            "[[plugin]]\npath = \"x.wasm\"\nsha256 = \"{digest}\"\n[[plugin]]\npath = \"./x.wasm\"\nsha256 = \"{digest}\"\n"
        ))
        .unwrap_err();
        let text = format!("{paths:#}");
        assert!(
            text.contains("entries 1 and 2") && text.contains("x.wasm"),
            "{text}"
        );
    }

    #[test]
    fn a_changed_file_is_refused_with_both_digests() {
        let dir = std::env::temp_dir().join(format!("pinned-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("c.wasm");
        std::fs::write(&path, b"component").unwrap();
        let good = sha256_hex(b"component");
        assert_eq!(read_pinned(&path, &good, 1 << 20).unwrap(), b"component");
        let stale = "0".repeat(64);
        let err = format!("{:#}", read_pinned(&path, &stale, 1 << 20).unwrap_err());
        assert!(err.contains(&stale) && err.contains(&good), "{err}");
        assert!(err.contains("c.wasm"), "{err}");
    }
}
