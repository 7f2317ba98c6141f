//! `getNetworkInfo`: one network in detail.
//!
//! The summary plus its inventory path and the names of the hosts it is on
//! and of (the first few hundred of) its VMs.

use std::collections::HashMap;

use serde::Serialize;
use vmware_plugin_sdk::inventory::Named;
use vmware_plugin_sdk::prelude::*;

use crate::list::{read_networks, wirings};
use crate::summary::{NetworkSummary, summarize};

/// VMs named at most; `vmCount` counts them all.
pub const MAX_VMS: usize = 200;

/// Hosts named at most (a port group can span a whole vCenter); `hostCount` counts them all.
pub const MAX_HOSTS: usize = 500;

/// `getNetworkInfo`'s result: the summary's fields, then the detail ones.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NetworkInfo {
    /// The listNetworks row.
    #[serde(flatten)]
    pub summary: NetworkSummary,
    /// Inventory path.
    pub path: String,
    /// Hosts it is on (the first 500).
    pub hosts: Vec<Named>,
    /// Its VMs (the first 200).
    pub vms: Vec<Named>,
}

/// Show the network named by `argument`.
pub fn network_info(argument: &str) -> Result<NetworkInfo> {
    let net = inventory::resolve(Kind::Network, argument)?;
    let object = read_networks(std::slice::from_ref(&net.reference))?
        .into_iter()
        .next()
        .ok_or_else(|| Error::not_found(format!("network {argument} no longer exists")))?;
    let wiring = wirings(std::slice::from_ref(&object))?
        .remove(&object.reference)
        .unwrap_or_default();
    let hosts: Vec<MoRef> = object
        .get_refs("host")
        .into_iter()
        .take(MAX_HOSTS)
        .collect();
    let vms: Vec<MoRef> = object.get_refs("vm").into_iter().take(MAX_VMS).collect();
    let mut referenced = hosts.clone();
    referenced.extend(vms.iter().cloned());
    let names = inventory::names(&referenced);
    Ok(detail(
        summarize(&object, &net.name, wiring),
        &net.path,
        &hosts,
        &vms,
        &names,
    ))
}

/// The detail of a network summarized as `summary`, naming `hosts` and `vms`.
pub fn detail(
    summary: NetworkSummary,
    path: &str,
    hosts: &[MoRef],
    vms: &[MoRef],
    names: &HashMap<MoRef, String>,
) -> NetworkInfo {
    let named = |r: &MoRef| Named::of(r, names);
    NetworkInfo {
        summary,
        path: path.to_string(),
        hosts: hosts.iter().map(named).collect(),
        vms: vms.iter().map(named).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::Wiring;

    #[test]
    fn names_hosts_and_vms_when_the_index_knows_them() {
        let host = MoRef::new("HostSystem", "host-1");
        let vm = MoRef::new("VirtualMachine", "vm-9");
        let net = Obj::new(MoRef::new("Network", "network-3"))
            .with("host", json!([host.to_json()]))
            .with("vm", json!([vm.to_json()]));
        let names = HashMap::from([(host.clone(), "esx1".to_string())]);
        let summary = summarize(&net, "prod-web", Wiring::default());
        let info = serde_json::to_value(detail(
            summary,
            "DC0/network/prod-web",
            &[host],
            &[vm],
            &names,
        ))
        .unwrap();
        assert_eq!(info["name"], "prod-web");
        assert_eq!(info["hostCount"], 1);
        assert_eq!(info["path"], "DC0/network/prod-web");
        assert_eq!(info["hosts"], json!([{"name": "esx1", "id": "host-1"}]));
        assert_eq!(info["vms"], json!([{"name": null, "id": "vm-9"}]));
    }
}
