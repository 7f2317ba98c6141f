//! The summary of one network that both `listNetworks` and
//! `getNetworkInfo` show.
//!
//! A standard network keeps its vSwitch and VLAN on each host (the host's
//! `config.network.portgroup`); a distributed port group keeps them in its
//! own `config`. Pure functions over the collected properties, so both
//! sources and every gap are tested.

use serde::Serialize;
use vmware_plugin_sdk::json::{as_i64, lookup};
use vmware_plugin_sdk::paging::PageRow;
use vmware_plugin_sdk::prelude::*;

/// The properties every network type has; each may be unset.
pub const NETWORK_PROPS: [&str; 3] = ["name", "host", "vm"];

/// A distributed port group's properties: its `config` besides.
pub const PORTGROUP_PROPS: [&str; 4] = ["name", "config", "host", "vm"];

/// The type of distributed port groups.
pub const PORTGROUP: &str = "DistributedVirtualPortgroup";

/// One network's summary, a row of `listNetworks` and the first part of
/// `getNetworkInfo`: the one declaration of its fields.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NetworkSummary {
    /// Name.
    pub name: String,
    /// Id.
    pub id: String,
    /// Network, DistributedVirtualPortgroup or OpaqueNetwork.
    #[serde(rename = "type")]
    pub net_type: String,
    /// vSwitch or distributed switch.
    pub switch: Option<String>,
    /// VLAN id; null for a trunk or private VLAN.
    pub vlan: Option<i64>,
    /// A distributed switch's uplink port group.
    pub uplink: bool,
    /// Host count.
    pub host_count: usize,
    /// VM count.
    pub vm_count: usize,
}

impl PageRow for NetworkSummary {
    const ROWS: &'static str = "networks";
}

/// Where a network's switch and VLAN come from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Wiring {
    /// The switch's name.
    pub switch: Option<String>,
    /// The VLAN id.
    pub vlan: Option<i64>,
}

/// A distributed port group's switch (named by `switch_names`) and VLAN:
/// `config.defaultPortConfig.vlan.vlanId` when it is one id (a
/// `VmwareDistributedVirtualSwitchVlanIdSpec`; a trunk lists ranges).
pub fn portgroup_wiring(
    pg: &Obj,
    switch_names: &std::collections::HashMap<MoRef, String>,
) -> Wiring {
    let switch = pg
        .get("config.distributedVirtualSwitch")
        .and_then(MoRef::from_json)
        .and_then(|s| switch_names.get(&s).cloned());
    let vlan = pg
        .get("config.defaultPortConfig.vlan")
        .filter(|v| {
            lookup(v, "_typeName").and_then(|t| t.as_str())
                != Some("VmwareDistributedVirtualSwitchTrunkVlanSpec")
        })
        .and_then(|v| lookup(v, "vlanId"))
        .and_then(as_i64);
    Wiring { switch, vlan }
}

/// A standard network's vSwitch and VLAN from one host's
/// `config.network.portgroup` list: the port group named `name`.
pub fn host_wiring(host: &Obj, name: &str) -> Wiring {
    host.get_array("config.network.portgroup")
        .iter()
        .find(|pg| lookup(pg, "spec.name").and_then(|n| n.as_str()) == Some(name))
        .map(|pg| Wiring {
            switch: lookup(pg, "spec.vswitchName")
                .and_then(|s| s.as_str())
                .map(String::from),
            vlan: lookup(pg, "spec.vlanId").and_then(as_i64),
        })
        .unwrap_or_default()
}

/// One network's summary; its name is the index's when the object has none.
pub fn summarize(net: &Obj, name: &str, wiring: Wiring) -> NetworkSummary {
    NetworkSummary {
        name: name.to_string(),
        id: net.reference.value.clone(),
        net_type: net.reference.kind.clone(),
        switch: wiring.switch,
        vlan: wiring.vlan,
        uplink: net.get_bool("config.uplink").unwrap_or(false),
        host_count: net.get_refs("host").len(),
        vm_count: net.get_refs("vm").len(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn a_port_group_names_its_switch_vlan_and_uplink() {
        let dvs = MoRef::new("VmwareDistributedVirtualSwitch", "dvs-1");
        let pg = Obj::new(MoRef::new(PORTGROUP, "dvportgroup-3"))
            .with(
                "config",
                json!({"_typeName": "DVPortgroupConfigInfo", "distributedVirtualSwitch": dvs.to_json(),
                       "uplink": true, "defaultPortConfig": {"_typeName": "VMwareDVSPortSetting",
                       "vlan": {"_typeName": "VmwareDistributedVirtualSwitchVlanIdSpec", "vlanId": 110}}}),
            )
            .with("host", json!([MoRef::new("HostSystem", "host-1").to_json()]));
        let names = HashMap::from([(dvs, "dvs-prod".to_string())]);
        let row =
            serde_json::to_value(summarize(&pg, "uplinks", portgroup_wiring(&pg, &names))).unwrap();
        assert_eq!(
            row,
            json!({"name": "uplinks", "id": "dvportgroup-3", "type": PORTGROUP, "switch": "dvs-prod",
                   "vlan": 110, "uplink": true, "hostCount": 1, "vmCount": 0})
        );
        let trunk = Obj::new(MoRef::new(PORTGROUP, "dvportgroup-4")).with(
            "config.defaultPortConfig.vlan",
            json!({"_typeName": "VmwareDistributedVirtualSwitchTrunkVlanSpec", "vlanId": [{"start": 0, "end": 4094}]}),
        );
        assert_eq!(portgroup_wiring(&trunk, &names), Wiring::default());
    }

    #[test]
    fn a_standard_network_takes_its_vswitch_and_vlan_from_a_host() {
        let host = Obj::new(MoRef::new("HostSystem", "host-1")).with(
            "config.network.portgroup",
            json!([{"spec": {"name": "VM Network", "vswitchName": "vSwitch0", "vlanId": 0}},
                   {"spec": {"name": "prod-web", "vswitchName": "vSwitch1", "vlanId": 110}}]),
        );
        assert_eq!(
            host_wiring(&host, "prod-web"),
            Wiring {
                switch: Some("vSwitch1".into()),
                vlan: Some(110)
            }
        );
        assert_eq!(host_wiring(&host, "other"), Wiring::default());
        let net = Obj::new(MoRef::new("Network", "network-5"));
        let row = summarize(&net, "n", Wiring::default());
        assert_eq!((row.uplink, row.host_count, row.switch), (false, 0, None));
    }
}
