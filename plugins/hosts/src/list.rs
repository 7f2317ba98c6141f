//! `listHosts`: one summary per host, a page at a time.
//!
//! The host's inventory index filters (cluster, connection state,
//! maintenance mode) and pages; one targeted read then fetches the summary
//! properties of just the page's hosts, and cluster names come from the
//! index.

use serde::{Deserialize, Serialize};
use vmware_plugin_sdk::inventory::{MatchOp, Query, select};
use vmware_plugin_sdk::paging::{Paged, Paging};
use vmware_plugin_sdk::prelude::*;

use crate::summary::{HostSummary, SUMMARY_PROPS, summarize_with_names};

/// Rows per page: 50 by default (well under 100 KB of result), at most 500.
pub const PAGING: Paging = Paging {
    default: 50,
    max: 500,
};

/// The connection states a filter accepts (vim25 `HostSystemConnectionState`).
pub const CONNECTION_STATES: [&str; 3] = ["connected", "notResponding", "disconnected"];

/// `listHosts` arguments, filters and paging: the one declaration of them. The
/// input schema is derived from it, and the handler lists with it as is.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ListArgs {
    /// Only hosts in this cluster: name, inventory path or id.
    #[schemars(length(min = 1))]
    pub cluster_name: Option<String>,
    /// Only hosts in this connection state.
    #[schemars(extend("enum" = CONNECTION_STATES))]
    pub connection_state: Option<String>,
    /// Only hosts in maintenance mode (true) or out of it (false).
    pub in_maintenance: Option<bool>,
    /// Rows per page, 1 to 500 (default 50).
    #[schemars(range(min = 1, max = PAGING.max), extend("default" = PAGING.default))]
    pub limit: Option<u32>,
    /// The nextCursor of the previous page, with the same filters.
    #[schemars(length(min = 1))]
    pub cursor: Option<String>,
}

/// `listHosts`'s result: a page of host summaries, and the cluster when
/// `clusterName` was given.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct HostPage {
    /// The rows and paging fields.
    #[serde(flatten)]
    pub page: Paged<HostSummary>,
    /// The cluster `clusterName` named, resolved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<ClusterScope>,
}

/// The cluster a listing was scoped to.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ClusterScope {
    /// Its name.
    pub name: String,
    /// Its managed object id.
    pub id: String,
    /// Its inventory path.
    pub path: String,
}

/// One page of hosts matching `filters`.
pub fn list_hosts(filters: &ListArgs) -> Result<HostPage> {
    let limit = PAGING.limit(filters.limit)?;
    let mut query = Query::new(Kind::HostSystem);
    let cluster = match &filters.cluster_name {
        Some(cluster) => Some(inventory::resolve(Kind::Cluster, cluster)?),
        None => None,
    };
    if let Some(cluster) = &cluster {
        query = query.within(&cluster.reference);
    }
    if let Some(state) = &filters.connection_state {
        if !CONNECTION_STATES.contains(&state.as_str()) {
            return Err(Error::invalid_argument(format!(
                "connectionState must be one of {}; got '{}'",
                CONNECTION_STATES.join(", "),
                state.chars().take(40).collect::<String>()
            )));
        }
        query = query.filter("runtime.connectionState", MatchOp::Equals, [state.as_str()]);
    }
    if let Some(flag) = filters.in_maintenance {
        query = query.filter(
            "runtime.inMaintenanceMode",
            MatchOp::Equals,
            [flag.to_string()],
        );
    }
    let page = select(&query, limit, filters.cursor.as_deref())?;
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
                .map(|o| summarize_with_names(o, entry))
        })
        .collect();
    Ok(HostPage {
        page: Paged::of(&page, rows),
        cluster: cluster.map(|cluster| ClusterScope {
            name: cluster.name,
            id: cluster.reference.value,
            path: cluster.path,
        }),
    })
}
