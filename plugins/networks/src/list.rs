//! `listNetworks`: one summary per network or port group, a page at a time.
//!
//! The host's inventory index filters (datacenter, name glob) and pages;
//! then targeted reads fetch just the page's networks, by type (a standard
//! network has no `config`), the switches of its port groups, and one host
//! per standard network for that network's vSwitch and VLAN.

use std::collections::HashMap;

use serde::Deserialize;
use vmware_plugin_sdk::inventory::{MatchOp, Query, select};
use vmware_plugin_sdk::paging::{Paged, Paging};
use vmware_plugin_sdk::prelude::*;

use crate::summary::{
    NETWORK_PROPS, NetworkSummary, PORTGROUP, PORTGROUP_PROPS, Wiring, host_wiring,
    portgroup_wiring, summarize,
};

/// Rows per page: 100 by default (about 20 KB of result), at most 500.
pub const PAGING: Paging = Paging {
    default: 100,
    max: 500,
};

/// `listNetworks` arguments, filters and paging: the one declaration of them.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ListArgs {
    /// Datacenter: name, path or id.
    #[schemars(length(min = 1))]
    pub datacenter: Option<String>,
    /// Name glob, e.g. prod-*.
    #[schemars(length(min = 1))]
    pub name: Option<String>,
    /// Rows per page, 1 to 500 (default 100).
    #[schemars(range(min = 1, max = PAGING.max), extend("default" = PAGING.default))]
    pub limit: Option<u32>,
    /// The nextCursor of the previous page, with the same filters.
    #[schemars(length(min = 1))]
    pub cursor: Option<String>,
}

/// The index query for the filters.
fn query(filters: &ListArgs) -> Result<Query> {
    let mut query = Query::new(Kind::Network);
    if let Some(datacenter) = &filters.datacenter {
        let datacenter = inventory::resolve(Kind::Datacenter, datacenter)?;
        query = query.within(&datacenter.reference);
    }
    if let Some(name) = &filters.name {
        query = query.filter("name", MatchOp::Glob, [name.as_str()]);
    }
    Ok(query)
}

/// Read `refs`, port groups with their `config` and other networks without.
pub fn read_networks(refs: &[MoRef]) -> Result<Vec<Obj>> {
    let (groups, plain): (Vec<MoRef>, Vec<MoRef>) =
        refs.iter().cloned().partition(|r| r.kind == PORTGROUP);
    let mut objects = Vec::new();
    if !groups.is_empty() {
        objects.extend(vsphere::read(&groups, &PORTGROUP_PROPS)?);
    }
    if !plain.is_empty() {
        objects.extend(vsphere::read(&plain, &NETWORK_PROPS)?);
    }
    Ok(objects)
}

/// Each network's switch and VLAN: port groups name their switch (read
/// for its name); a standard network is read off its first host.
pub fn wirings(networks: &[Obj]) -> Result<HashMap<MoRef, Wiring>> {
    let mut switches: Vec<MoRef> = Vec::new();
    let mut hosts: Vec<MoRef> = Vec::new();
    for net in networks {
        if net.reference.kind == PORTGROUP {
            if let Some(s) = net
                .get("config.distributedVirtualSwitch")
                .and_then(MoRef::from_json)
                && !switches.contains(&s)
            {
                switches.push(s);
            }
        } else if net.reference.kind == "Network"
            && let Some(h) = net.get_refs("host").into_iter().next()
            && !hosts.contains(&h)
        {
            hosts.push(h);
        }
    }
    let switch_names: HashMap<MoRef, String> = if switches.is_empty() {
        HashMap::new()
    } else {
        vsphere::read(&switches, &["name"])?
            .into_iter()
            .map(|s| (s.reference.clone(), s.name().to_string()))
            .collect()
    };
    let host_objects = if hosts.is_empty() {
        Vec::new()
    } else {
        vsphere::read(&hosts, &["config.network.portgroup"])?
    };
    Ok(networks
        .iter()
        .map(|net| {
            let wiring = if net.reference.kind == PORTGROUP {
                portgroup_wiring(net, &switch_names)
            } else {
                let first = net.get_refs("host").into_iter().next();
                host_objects
                    .iter()
                    .find(|h| Some(&h.reference) == first.as_ref())
                    .map(|h| host_wiring(h, net.name()))
                    .unwrap_or_default()
            };
            (net.reference.clone(), wiring)
        })
        .collect())
}

/// One page of networks matching `filters`.
pub fn list_networks(filters: &ListArgs) -> Result<Paged<NetworkSummary>> {
    let limit = PAGING.limit(filters.limit)?;
    let page = select(&query(filters)?, limit, filters.cursor.as_deref())?;
    let refs: Vec<MoRef> = page.entries.iter().map(|e| e.reference.clone()).collect();
    let objects = read_networks(&refs)?;
    let mut wirings = wirings(&objects)?;
    let rows = page
        .entries
        .iter()
        .filter_map(|entry| {
            objects
                .iter()
                .find(|o| o.reference == entry.reference)
                .map(|o| {
                    let wiring = wirings.remove(&o.reference).unwrap_or_default();
                    summarize(o, &entry.name, wiring)
                })
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
        assert_eq!(schema["additionalProperties"], false);
    }
}
