//! `listDatastores`: one summary per datastore, a page at a time.
//!
//! The host's inventory index filters (datacenter, name glob, type) and
//! pages; one targeted read then fetches the summaries of just the page's
//! datastores. A cluster filter keeps the datastores its hosts see (the
//! cluster's `datastore` list), named in its datacenter.

use serde::Deserialize;
use vmware_plugin_sdk::inventory::{MatchOp, Page, Query, select};
use vmware_plugin_sdk::paging::{Paged, Paging};
use vmware_plugin_sdk::prelude::*;

use crate::summary::{DatastoreSummary, SUMMARY_PROPS, summarize};

/// Rows per page: 100 by default (about 30 KB of result), at most 500.
pub const PAGING: Paging = Paging {
    default: 100,
    max: 500,
};

/// `listDatastores` arguments, filters and paging: the one declaration of them.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ListArgs {
    /// Datacenter: name, path or id.
    #[schemars(length(min = 1))]
    pub datacenter: Option<String>,
    /// Mounted by this cluster: name, path or id.
    #[schemars(length(min = 1))]
    pub cluster: Option<String>,
    /// Name glob, e.g. ds-*.
    #[schemars(length(min = 1))]
    pub name: Option<String>,
    /// Type, e.g. VMFS, NFS, vsan.
    #[serde(rename = "type")]
    #[schemars(length(min = 1))]
    pub ds_type: Option<String>,
    /// Rows per page, 1 to 500 (default 100).
    #[schemars(range(min = 1, max = PAGING.max), extend("default" = PAGING.default))]
    pub limit: Option<u32>,
    /// The nextCursor of the previous page, with the same filters.
    #[schemars(length(min = 1))]
    pub cursor: Option<String>,
}

/// The datacenter part of an inventory path (`F/DC0/host/C0` → `F/DC0`).
pub fn datacenter_of(path: &str) -> Option<&str> {
    path.find("/host/")
        .map(|at| &path[..at])
        .or_else(|| path.strip_suffix("/host"))
}

/// The index query for the filters, or `None` when it can match nothing
/// (a cluster that mounts no datastore).
fn query(filters: &ListArgs) -> Result<Option<Query>> {
    let mut query = Query::new(Kind::Datastore);
    if let Some(datacenter) = &filters.datacenter {
        let datacenter = inventory::resolve(Kind::Datacenter, datacenter)?;
        query = query.within(&datacenter.reference);
    }
    if let Some(name) = &filters.name {
        query = query.filter("name", MatchOp::Glob, [name.as_str()]);
    }
    if let Some(ds_type) = &filters.ds_type {
        query = query.filter("summary.type", MatchOp::Equals, [ds_type.as_str()]);
    }
    if let Some(cluster) = &filters.cluster {
        let cluster = inventory::resolve(Kind::Cluster, cluster)?;
        let mounted = vsphere::read_one(&cluster.reference, &["datastore"])?.get_refs("datastore");
        if mounted.is_empty() {
            return Ok(None);
        }
        // Datastore names are unique within a datacenter.
        if let Some(datacenter) = datacenter_of(&cluster.path) {
            let datacenter = inventory::resolve(Kind::Datacenter, datacenter)?;
            query = query.within(&datacenter.reference);
        }
        let names = inventory::names(&mounted);
        query = query.filter("name", MatchOp::Equals, names.into_values());
    }
    Ok(Some(query))
}

/// One page of datastores matching `filters`.
pub fn list_datastores(filters: &ListArgs) -> Result<Paged<DatastoreSummary>> {
    let limit = PAGING.limit(filters.limit)?;
    let page = match query(filters)? {
        Some(query) => select(&query, limit, filters.cursor.as_deref())?,
        None => Page {
            entries: Vec::new(),
            total: 0,
            next_cursor: None,
        },
    };
    let refs: Vec<MoRef> = page.entries.iter().map(|e| e.reference.clone()).collect();
    let objects = if refs.is_empty() {
        Vec::new()
    } else {
        vsphere::read(&refs, &SUMMARY_PROPS)?
    };
    let rows = page
        .entries
        .iter()
        .filter_map(|entry| {
            objects
                .iter()
                .find(|o| o.reference == entry.reference)
                .map(|o| summarize(o, &entry.name))
        })
        .collect();
    Ok(Paged::of(&page, rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cluster_path_names_its_datacenter() {
        assert_eq!(datacenter_of("DC0/host/C0"), Some("DC0"));
        assert_eq!(datacenter_of("Lab/DC1/host/sub/C0"), Some("Lab/DC1"));
        assert_eq!(datacenter_of("C0"), None);
    }

    #[test]
    fn the_schema_states_the_paging_bounds() {
        let schema = schema::input_for::<ListArgs>();
        assert_eq!(schema["properties"]["limit"]["maximum"], PAGING.max);
        assert_eq!(schema["properties"]["limit"]["default"], PAGING.default);
        assert!(schema["properties"]["type"].is_object());
    }
}
