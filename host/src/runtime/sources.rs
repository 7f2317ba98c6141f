//! Which components the server loads: the built-in groups, then either every
//! `*.wasm` in a directory (`--plugins DIR`) or the operator's pinned list
//! (`--plugins-file FILE`). Components from the plugins file are required:
//! a digest mismatch, a failed load or a bad `invokes` list stops the
//! start, since the operator asked for exactly that component. A component
//! from a directory that fails to load is reported and skipped. A component
//! file over the size cap is refused before it is read, from either.

use std::path::Path;

use anyhow::Context;

use crate::component_file::read_bounded;
use crate::plugins_file::{EntrySource, PluginsFile, read_pinned};
use crate::runtime::builtin;
use crate::runtime::{LoadedPlugin, PluginRuntime};

/// One component to load.
pub struct Source {
    /// `builtin:vms` or the file's path, for logs and errors.
    pub name: String,
    /// The component's bytes.
    pub bytes: Vec<u8>,
    /// The operator's `invokes` list, when the plugins file gives one.
    pub operator_invokes: Option<Vec<String>>,
    /// Whether a failure to load it stops the server.
    pub required: bool,
}

/// The components to load, built-ins first. A plugins file's entry for a
/// built-in group narrows it; an unknown built-in name, an unreadable file
/// or a digest mismatch is an error. No component file larger than
/// `max_bytes` is read.
pub fn collect(
    dir: Option<&Path>,
    file: Option<&PluginsFile>,
    max_bytes: u64,
) -> anyhow::Result<Vec<Source>> {
    let mut sources: Vec<Source> = builtin::components()
        .iter()
        .map(|(name, bytes)| Source {
            name: name.to_string(),
            bytes: bytes.to_vec(),
            operator_invokes: None,
            required: false,
        })
        .collect();
    if let Some(dir) = dir {
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .with_context(|| format!("reading the plugin directory {}", dir.display()))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "wasm"))
            .collect();
        files.sort();
        for path in files {
            match read_bounded(&path, max_bytes) {
                Ok(bytes) => sources.push(Source {
                    name: path.display().to_string(),
                    bytes,
                    operator_invokes: None,
                    required: false,
                }),
                Err(e) => {
                    tracing::error!(plugin = %path.display(), error = format!("{e:#}"), "cannot read plugin component; skipped")
                }
            }
        }
    }
    if let Some(file) = file {
        for entry in &file.plugins {
            match entry.source(&file.base)? {
                EntrySource::Builtin(name) => {
                    let wanted = format!("builtin:{name}");
                    let Some(source) = sources.iter_mut().find(|s| s.name == wanted) else {
                        let known: Vec<String> = builtin::components()
                            .iter()
                            .map(|(n, _)| n.trim_start_matches("builtin:").to_string())
                            .collect();
                        anyhow::bail!(
                            "the plugins file names the built-in group `{name}`, which does not exist; built-in groups: {}",
                            known.join(", ")
                        );
                    };
                    source.operator_invokes = entry.invokes.clone();
                    source.required = true;
                }
                EntrySource::File { path, sha256 } => sources.push(Source {
                    name: path.display().to_string(),
                    bytes: read_pinned(&path, &sha256, max_bytes)?,
                    operator_invokes: entry.invokes.clone(),
                    required: true,
                }),
            }
        }
    }
    Ok(sources)
}

/// Load every source: a required one that fails stops the start with its
/// error; any other is logged and skipped.
pub fn load_all(
    runtime: &PluginRuntime,
    sources: Vec<Source>,
) -> anyhow::Result<Vec<LoadedPlugin>> {
    let mut loaded = Vec::with_capacity(sources.len());
    for source in sources {
        match runtime.load_with_invokes(
            &source.name,
            &source.bytes,
            source.operator_invokes.as_deref(),
        ) {
            Ok(plugin) => loaded.push(plugin),
            Err(e) if source.required => {
                return Err(e.context(format!(
                    "loading {}, which the plugins file requires",
                    source.name
                )));
            }
            Err(e) => {
                tracing::error!(plugin = %source.name, error = format!("{e:#}"), "plugin failed to load; skipped")
            }
        }
    }
    Ok(loaded)
}
