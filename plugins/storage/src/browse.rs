//! `browseDatastore`: the files in one folder of a datastore, a page at a
//! time.
//!
//! One `SearchDatastore_Task` on the datastore's browser (a read: it needs
//! `Datastore.Browse`, and no approval) lists the folder; the rows are
//! sorted by name and paged here, with a cursor tied to the query.

use serde::{Deserialize, Serialize};
use vmware_plugin_sdk::paging::{PageRow, Paged, Paging, Window, fingerprint};
use vmware_plugin_sdk::prelude::*;

/// Search a datastore folder: the one method the group invokes.
pub const SEARCH_DATASTORE: Method = Method::new("HostDatastoreBrowser", "SearchDatastore_Task");

/// Rows per page: 100 by default (about 15 KB), at most 1,000.
pub const PAGING: Paging = Paging {
    default: 100,
    max: 1000,
};

/// `browseDatastore` arguments: the one declaration of them.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BrowseArgs {
    /// The datastore: name, inventory path or id.
    #[schemars(length(min = 1))]
    pub datastore_name: String,
    /// Folder, e.g. web-01 (default: the top).
    pub path: Option<String>,
    /// Name glob, e.g. *.vmdk.
    #[schemars(length(min = 1))]
    pub pattern: Option<String>,
    /// Rows per page, 1 to 1000 (default 100).
    #[schemars(range(min = 1, max = PAGING.max), extend("default" = PAGING.default))]
    pub limit: Option<u32>,
    /// The nextCursor of the previous page, with the same filters.
    #[schemars(length(min = 1))]
    pub cursor: Option<String>,
}

/// One file or folder.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FileRow {
    /// Its name in the folder.
    pub name: String,
    /// `folder`, `vmDisk`, `vmConfig`, `vmLog`, `vmNvram`, `file`…
    #[serde(rename = "type")]
    pub file_type: String,
    /// Size in bytes.
    pub size: Option<i64>,
    /// Last modified.
    pub modified: Option<String>,
}

impl PageRow for FileRow {
    const ROWS: &'static str = "files";
}

/// `browseDatastore`'s result: the folder searched and a page of its files.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct FilePage {
    /// The folder, as a datastore path (`[ds1] web-01`).
    pub folder: String,
    /// The rows and paging fields.
    #[serde(flatten)]
    pub page: Paged<FileRow>,
}

/// The datastore path of `folder` on `datastore`: `[ds1]` or `[ds1] a/b`.
pub fn datastore_path(datastore: &str, folder: Option<&str>) -> String {
    match folder
        .map(|f| f.trim_matches('/'))
        .filter(|f| !f.is_empty())
    {
        Some(folder) => format!("[{datastore}] {folder}"),
        None => format!("[{datastore}]"),
    }
}

/// One row from a `FileInfo`: its type from the data type's name
/// (`VmDiskFileInfo` → `vmDisk`, `FileInfo` → `file`).
pub fn row(file: &Value) -> FileRow {
    let type_name = file["_typeName"].as_str().unwrap_or("FileInfo");
    let stem = type_name.strip_suffix("FileInfo").unwrap_or(type_name);
    let mut chars = stem.chars();
    let file_type = match chars.next() {
        Some(first) => first.to_ascii_lowercase().to_string() + chars.as_str(),
        None => "file".to_string(),
    };
    FileRow {
        name: file["path"].as_str().unwrap_or_default().to_string(),
        file_type,
        size: vmware_plugin_sdk::json::as_i64(&file["fileSize"]),
        modified: file["modification"].as_str().map(String::from),
    }
}

/// The page of `rows` at `cursor` (an offset tied to the query's `key`).
pub fn page(
    mut rows: Vec<FileRow>,
    limit: u32,
    cursor: Option<&str>,
    key: u64,
) -> Result<Paged<FileRow>> {
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    let window = Window::at(rows.len(), limit, cursor, key)?;
    Ok(Paged {
        total: Some(rows.len() as u32),
        rows: rows.drain(window.rows).collect(),
        next_cursor: window.next_cursor,
    })
}

/// List the folder `args.path` of the datastore.
pub fn browse(args: &BrowseArgs) -> Result<FilePage> {
    let limit = PAGING.limit(args.limit)?;
    let ds = inventory::resolve(Kind::Datastore, &args.datastore_name)?;
    let browser = vsphere::read_one(&ds.reference, &["browser"])?
        .get_ref("browser")
        .ok_or_else(|| Error::internal(format!("datastore {} has no browser", ds.name)))?;
    let folder = datastore_path(&ds.name, args.path.as_deref());
    // Every file unless a pattern narrows (vcsim lists none without one).
    let spec = json!({
        "_typeName": "HostDatastoreBrowserSearchSpec",
        "matchPattern": [args.pattern.as_deref().unwrap_or("*")],
        "details": {"_typeName": "FileQueryFlags", "fileType": true, "fileSize": true,
                    "modification": true, "fileOwner": false},
    });
    let result = vsphere::invoke(
        &browser,
        SEARCH_DATASTORE,
        json!({"datastorePath": folder, "searchSpec": spec}),
    )
    .map_err(|e| match e {
        Error::VsphereFault(f) if f.type_name == "FileNotFound" => {
            Error::not_found(format!("no folder {folder} on datastore {}", ds.name))
        }
        other => other,
    })?;
    let rows = vmware_plugin_sdk::json::lookup(&result, "file")
        .and_then(vmware_plugin_sdk::json::as_array)
        .map(|files| files.iter().map(row).collect())
        .unwrap_or_default();
    let key = fingerprint(&[
        &ds.reference.value,
        &folder,
        args.pattern.as_deref().unwrap_or(""),
    ]);
    Ok(FilePage {
        folder,
        page: page(rows, limit, args.cursor.as_deref(), key)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(n: &str) -> FileRow {
        FileRow {
            name: n.into(),
            file_type: "file".into(),
            size: None,
            modified: None,
        }
    }

    #[test]
    fn rows_take_their_type_from_the_file_info() {
        let disk = row(
            &json!({"_typeName": "VmDiskFileInfo", "path": "a.vmdk", "fileSize": 10,
                              "modification": "2024-01-01T00:00:00Z"}),
        );
        assert_eq!(
            serde_json::to_value(&disk).unwrap(),
            json!({"name": "a.vmdk", "type": "vmDisk", "size": 10, "modified": "2024-01-01T00:00:00Z"})
        );
        assert_eq!(
            row(&json!({"_typeName": "FolderFileInfo", "path": "web"})).file_type,
            "folder"
        );
        assert_eq!(row(&json!({"path": "x"})).file_type, "file");
        assert_eq!(datastore_path("ds1", None), "[ds1]");
        assert_eq!(datastore_path("ds1", Some("/web-01/")), "[ds1] web-01");
        assert_eq!(datastore_path("ds1", Some("")), "[ds1]");
    }

    #[test]
    fn pages_sort_and_cursors_belong_to_their_query() {
        let rows = || ["c", "a", "b"].map(named).to_vec();
        let first = page(rows(), 2, None, 7).unwrap();
        assert_eq!(first.rows, [named("a"), named("b")]);
        assert_eq!(first.total, Some(3));
        let cursor = first.next_cursor.unwrap();
        let last = page(rows(), 2, Some(&cursor), 7).unwrap();
        assert_eq!(last.rows, [named("c")]);
        assert!(last.next_cursor.is_none());
        assert!(matches!(
            page(rows(), 2, Some(&cursor), 8),
            Err(Error::InvalidArgument(_))
        ));
        assert!(matches!(
            page(rows(), 2, Some("9.7"), 7),
            Err(Error::InvalidArgument(_))
        ));
        assert_ne!(fingerprint(&["a", "bc"]), fingerprint(&["ab", "c"]));
    }
}
