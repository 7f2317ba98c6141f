//! Datastore browsers: one per datastore (its `browser`), answering
//! `SearchDatastore_Task` with the files the model's VMs keep on it, as
//! vCenter shows them: a folder per VM at the top, and in it the VM's
//! configuration, disks, NVRAM and log. Nothing is stored on disk; the
//! listing is derived from the VMs each time.

use serde_json::{Value, json};

use super::args::Call;
use super::faults::fault;
use super::model::{Meta, Model, Object, reference};
use crate::vocabulary::VsError;

/// The methods of `HostDatastoreBrowser` the simulator implements.
pub(super) const METHODS: &[&str] = &["SearchDatastore_Task"];

/// The browser of the datastore `ds_id`; returns its id.
pub(super) fn build(m: &mut Model, ds_id: &str) -> String {
    let id = format!("datastoreBrowser-{ds_id}");
    let mut p = serde_json::Map::new();
    p.insert("datastore".into(), json!([reference("Datastore", ds_id)]));
    m.insert("HostDatastoreBrowser", id.clone(), p, Meta::None);
    id
}

/// Run a `HostDatastoreBrowser` method.
pub(super) fn invoke(m: &Model, call: &Call) -> Result<Value, VsError> {
    if call.method != "SearchDatastore_Task" {
        return Err(call.not_found(METHODS));
    }
    let args = call.params(&["datastorePath", "searchSpec"])?;
    let path = args.string("datastorePath")?;
    let patterns: Vec<String> = call
        .args
        .get("searchSpec")
        .and_then(|s| s.get("matchPattern"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    let browser = m.resolve(call.target)?;
    let ds_id = browser
        .ref_ids("datastore")
        .into_iter()
        .next()
        .ok_or_else(|| VsError::Internal("a browser without a datastore".into()))?;
    search(m, &ds_id, path, &patterns)
}

/// A `[ds] dir/name` path split into the datastore name and the rest.
fn split_path(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix('[')?;
    let (ds, rest) = rest.split_once(']')?;
    Some((ds, rest.trim_start().trim_matches('/')))
}

/// Whether `name` matches the glob `pattern` (`*`, `?`).
fn glob(pattern: &[char], name: &[char]) -> bool {
    match (pattern.first(), name.first()) {
        (None, None) => true,
        (Some('*'), _) => {
            glob(&pattern[1..], name) || (!name.is_empty() && glob(pattern, &name[1..]))
        }
        (Some('?'), Some(_)) => glob(&pattern[1..], &name[1..]),
        (Some(p), Some(n)) if p == n => glob(&pattern[1..], &name[1..]),
        _ => false,
    }
}

/// The files of one VM in its folder on the datastore named `ds_name`:
/// `(name, FileInfo type, size)`.
fn vm_files(vm: &Object, ds_name: &str, dir: &str) -> Vec<(String, &'static str, i64)> {
    let prefix = format!("[{ds_name}] {dir}/");
    let mut files = vec![(format!("{}.vmx", vm.name()), "VmConfigFileInfo", 3_072)];
    for device in vm
        .get("config.hardware.device")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(file) = device["backing"]["fileName"].as_str()
            && let Some(name) = file.strip_prefix(&prefix)
            && device["_typeName"] == "VirtualDisk"
        {
            let size = device["capacityInBytes"].as_i64().unwrap_or(0);
            files.push((name.to_string(), "VmDiskFileInfo", size));
        }
    }
    files.push((format!("{}.nvram", vm.name()), "VmNvramFileInfo", 8_684));
    files.push(("vmware.log".into(), "VmLogFileInfo", 262_144));
    files
}

/// The VMs with a folder on the datastore named `ds_name`, by folder name.
fn vm_dirs<'a>(m: &'a Model, ds_name: &str) -> Vec<(String, &'a Object)> {
    let prefix = format!("[{ds_name}] ");
    let mut dirs: Vec<(String, &Object)> = m
        .objects()
        .filter(|o| o.kind == "VirtualMachine")
        .filter_map(|o| {
            let rest = o.str("config.files.vmPathName")?.strip_prefix(&prefix)?;
            Some((rest.rsplit_once('/')?.0.to_string(), o))
        })
        .collect();
    dirs.sort_by(|a, b| a.0.cmp(&b.0));
    dirs
}

/// `HostDatastoreBrowserSearchResults` for `path` on the datastore `ds_id`.
fn search(m: &Model, ds_id: &str, path: &str, patterns: &[String]) -> Result<Value, VsError> {
    let ds_name = m.name(ds_id).to_string();
    let not_found = || {
        fault(
            "FileNotFound",
            format!("File {path} was not found"),
            json!({"file": path}),
        )
    };
    let (named, dir) = split_path(path).ok_or_else(not_found)?;
    if named != ds_name {
        return Err(not_found());
    }
    let dirs = vm_dirs(m, &ds_name);
    let entries: Vec<(String, &'static str, Option<i64>, Option<&str>)> = if dir.is_empty() {
        dirs.iter()
            .map(|(d, vm)| (d.clone(), "FolderFileInfo", None, vm.str("config.modified")))
            .collect()
    } else {
        let (_, vm) = dirs.iter().find(|(d, _)| d == dir).ok_or_else(not_found)?;
        vm_files(vm, &ds_name, dir)
            .into_iter()
            .map(|(n, t, s)| (n, t, Some(s), vm.str("config.modified")))
            .collect()
    };
    let matches = |name: &str| {
        let name: Vec<char> = name.chars().collect();
        patterns.is_empty()
            || patterns
                .iter()
                .any(|p| glob(&p.chars().collect::<Vec<_>>(), &name))
    };
    let files: Vec<Value> = entries
        .into_iter()
        .filter(|(n, ..)| matches(n))
        .map(|(name, kind, size, modified)| {
            let mut f = json!({"_typeName": kind, "path": name});
            if let Some(size) = size {
                f["fileSize"] = json!(size);
            }
            if let Some(modified) = modified {
                f["modification"] = json!(modified);
            }
            f
        })
        .collect();
    let folder = if dir.is_empty() {
        format!("[{ds_name}]")
    } else {
        format!("[{ds_name}] {dir}")
    };
    Ok(json!({
        "_typeName": "HostDatastoreBrowserSearchResults",
        "datastore": reference("Datastore", ds_id),
        "folderPath": folder,
        "file": files,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_globs() {
        assert_eq!(split_path("[ds1] web-01/"), Some(("ds1", "web-01")));
        assert_eq!(split_path("[ds 2]"), Some(("ds 2", "")));
        assert_eq!(split_path("ds1/x"), None);
        let g = |p: &str, n: &str| {
            glob(
                &p.chars().collect::<Vec<_>>(),
                &n.chars().collect::<Vec<_>>(),
            )
        };
        assert!(g("*.vmdk", "web-01.vmdk"));
        assert!(g("web-0?.vmx", "web-01.vmx"));
        assert!(!g("*.vmdk", "web-01.vmx"));
    }
}
