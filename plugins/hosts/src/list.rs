//! `listHosts`: one summary per host, a page at a time.
//!
//! The host's inventory index filters (cluster, connection state,
//! maintenance mode) and pages; one targeted read then fetches the summary
//! properties of just the page's hosts, and cluster names come from the
//! index.

use vmware_plugin_sdk::inventory::{MatchOp, Query, select};
use vmware_plugin_sdk::prelude::*;

use crate::summary::{SUMMARY_PROPS, schema_properties, summarize_with_names};

/// Rows per page when the caller does not say: well under 100 KB of result.
pub const DEFAULT_LIMIT: u32 = 50;

/// The most rows one page may hold.
pub const MAX_LIMIT: u32 = 500;

/// The connection states a filter accepts (vim25 `HostSystemConnectionState`).
pub const CONNECTION_STATES: [&str; 3] = ["connected", "notResponding", "disconnected"];

/// What to list: the tool's filters and paging.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Filters {
    /// Only hosts of this cluster.
    pub cluster: Option<String>,
    /// One of [`CONNECTION_STATES`].
    pub connection_state: Option<String>,
    /// Only hosts in (or out of) maintenance mode.
    pub in_maintenance: Option<bool>,
    /// Rows per page.
    pub limit: Option<u32>,
    /// Where to continue.
    pub cursor: Option<String>,
}

/// The input schema: filters and paging.
pub fn input_schema() -> Value {
    schema::object()
        .optional_string(
            "clusterName",
            "Only list hosts in this cluster: a name, an inventory path (e.g. DC0/host/C0) or an id (e.g. domain-c7).",
        )
        .property(
            "connectionState",
            json!({"type": "string", "enum": CONNECTION_STATES, "description": "Only hosts in this connection state."}),
            false,
        )
        .property(
            "inMaintenance",
            json!({"type": "boolean", "description": "Only hosts in maintenance mode (true) or out of it (false)."}),
            false,
        )
        .property(
            "limit",
            json!({"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT,
                   "description": format!("Rows per page, 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT}).")}),
            false,
        )
        .optional_string("cursor", "The nextCursor of the previous page, with the same filters.")
        .build()
}

/// The result schema: `{hosts: [summary…], total, returned, nextCursor?}`.
pub fn output_schema() -> Value {
    let row = schema::result_object(&schema_properties());
    let mut result = schema::result_object(&[
        ("hosts", schema::array_of(row)),
        ("total", schema::of("integer")),
        ("returned", schema::of("integer")),
    ]);
    result["properties"]["nextCursor"] = json!({
        "type": "string",
        "description": "Pass as `cursor` for the next page; absent on the last page."
    });
    result
}

/// One page of hosts matching `filters`.
pub fn list_hosts(filters: &Filters) -> Result<Value> {
    let limit = filters.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(Error::invalid_argument(format!(
            "limit must be between 1 and {MAX_LIMIT}; got {limit}"
        )));
    }
    let mut query = Query::new(Kind::HostSystem);
    let cluster = match &filters.cluster {
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
    let rows: Vec<Value> = page
        .entries
        .iter()
        .filter_map(|entry| {
            objects
                .iter()
                .find(|o| o.reference == entry.reference)
                .map(|o| summarize_with_names(o, entry))
        })
        .collect();
    let mut result = json!({ "hosts": rows, "total": page.total, "returned": rows.len() });
    if let Some(cursor) = page.next_cursor {
        result["nextCursor"] = json!(cursor);
    }
    if let Some(cluster) = cluster {
        result["cluster"] =
            json!({ "name": cluster.name, "id": cluster.reference.value, "path": cluster.path });
    }
    Ok(result)
}
