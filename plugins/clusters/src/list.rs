//! `listClusters`: one summary per cluster, a page at a time.
//!
//! The host's inventory index filters (datacenter) and pages; two targeted
//! reads then fetch the page's clusters and their hosts.

use serde::Deserialize;
use vmware_plugin_sdk::inventory::{Query, select};
use vmware_plugin_sdk::paging::{Paged, Paging};
use vmware_plugin_sdk::prelude::*;

use crate::summary::{CLUSTER_PROPS, ClusterSummary, hosts_of, read_hosts, summarize};

/// Rows per page: 100 by default (about 40 KB of result), at most 200.
pub const PAGING: Paging = Paging {
    default: 100,
    max: 200,
};

/// `listClusters` arguments, filter and paging: the one declaration of them.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ListArgs {
    /// Datacenter: name, path or id.
    #[schemars(length(min = 1))]
    pub datacenter: Option<String>,
    /// Rows per page, 1 to 200 (default 100).
    #[schemars(range(min = 1, max = PAGING.max), extend("default" = PAGING.default))]
    pub limit: Option<u32>,
    /// The nextCursor of the previous page, with the same filters.
    #[schemars(length(min = 1))]
    pub cursor: Option<String>,
}

/// One page of clusters matching `filters`.
pub fn list_clusters(filters: &ListArgs) -> Result<Paged<ClusterSummary>> {
    let limit = PAGING.limit(filters.limit)?;
    let mut query = Query::new(Kind::Cluster);
    if let Some(datacenter) = &filters.datacenter {
        let datacenter = inventory::resolve(Kind::Datacenter, datacenter)?;
        query = query.within(&datacenter.reference);
    }
    let page = select(&query, limit, filters.cursor.as_deref())?;
    let refs: Vec<MoRef> = page.entries.iter().map(|e| e.reference.clone()).collect();
    let clusters = if refs.is_empty() {
        Vec::new()
    } else {
        vsphere::read(&refs, &CLUSTER_PROPS)?
    };
    let hosts = read_hosts(&clusters)?;
    let rows = page
        .entries
        .iter()
        .filter_map(|entry| {
            clusters
                .iter()
                .find(|c| c.reference == entry.reference)
                .map(|c| summarize(c, &entry.name, &hosts_of(c, &hosts)))
        })
        .collect();
    Ok(Paged::of(&page, rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_states_the_paging_bounds() {
        let schema = schema::input_for::<ListArgs>();
        assert_eq!(schema["properties"]["limit"]["maximum"], PAGING.max);
        assert_eq!(schema["properties"]["limit"]["default"], PAGING.default);
    }
}
