//! Networks: standard port groups (`Network`, with the VLAN each host's
//! `config.network` states) and distributed switches
//! (`VmwareDistributedVirtualSwitch`) with their port groups
//! (`DistributedVirtualPortgroup`, the switch's uplink port group among
//! them, made with the switch as vCenter does). This is their construction
//! and their derived `host` and `vm` lists and summary name. Their methods
//! are the generic entity ones.

use serde_json::{Value, json};

use super::derive::{Changes, Links, refs};
use super::entity;
use super::model::{Meta, Model, Object, reference};

/// The port group types: what a host's and a VM's `network` lists hold.
pub(super) const KINDS: [&str; 2] = ["Network", "DistributedVirtualPortgroup"];

/// The vSwitch every standard port group of a simulated host is on.
pub(super) const VSWITCH: &str = "vSwitch0";

/// A standard port group network named `name` on VLAN `vlan` in the folder `parent`.
pub(super) fn build(m: &mut Model, name: &str, vlan: u16, parent: &str) -> String {
    let id = m.alloc_id("network");
    let mut p = entity::props(name, Some(&reference("Folder", parent)));
    p.insert(
        "summary".into(),
        json!({ "_typeName": "NetworkSummary", "network": reference("Network", &id), "name": name, "accessible": true }),
    );
    m.insert("Network", id.clone(), p, Meta::Network { vlan });
    id
}

/// A distributed port group's `config`: its switch, VLAN and uplink flag.
fn portgroup_config(name: &str, id: &str, switch: &str, vlan: Value, uplink: bool) -> Value {
    json!({
        "_typeName": "DVPortgroupConfigInfo",
        "key": id,
        "name": name,
        "numPorts": if uplink { 4 } else { 128 },
        "distributedVirtualSwitch": reference("VmwareDistributedVirtualSwitch", switch),
        "type": "earlyBinding",
        "uplink": uplink,
        "defaultPortConfig": { "_typeName": "VMwareDVSPortSetting", "vlan": vlan },
    })
}

/// A distributed port group of `switch` in the folder `parent`. The uplink
/// port group trunks every VLAN, as vCenter makes it.
fn build_portgroup(
    m: &mut Model,
    name: &str,
    vlan: Option<u16>,
    switch: &str,
    parent: &str,
) -> String {
    let id = m.alloc_id("dvportgroup");
    let uplink = vlan.is_none();
    let vlan = match vlan {
        Some(v) => {
            json!({ "_typeName": "VmwareDistributedVirtualSwitchVlanIdSpec", "inherited": false, "vlanId": v })
        }
        None => {
            json!({ "_typeName": "VmwareDistributedVirtualSwitchTrunkVlanSpec", "inherited": false,
                        "vlanId": [{ "_typeName": "NumericRange", "start": 0, "end": 4094 }] })
        }
    };
    let mut p = entity::props(name, Some(&reference("Folder", parent)));
    p.insert("key".into(), json!(id));
    p.insert(
        "summary".into(),
        json!({ "_typeName": "NetworkSummary", "network": reference("DistributedVirtualPortgroup", &id), "name": name, "accessible": true }),
    );
    p.insert(
        "config".into(),
        portgroup_config(name, &id, switch, vlan, uplink),
    );
    m.insert("DistributedVirtualPortgroup", id.clone(), p, Meta::None);
    id
}

/// A distributed switch named `name` in the folder `parent` with `hosts` as
/// members and port groups `(name, VLAN)`, each added to every member's
/// `network` list. Returns the port groups' ids, the uplink one first.
pub(super) fn build_switch(
    m: &mut Model,
    name: &str,
    parent: &str,
    hosts: &[String],
    portgroups: &[(String, u16)],
) -> Vec<String> {
    let id = m.alloc_id("dvs");
    let mut p = entity::props(name, Some(&reference("Folder", parent)));
    p.insert("uuid".into(), json!(format!("50 0a {id}")));
    m.insert("VmwareDistributedVirtualSwitch", id.clone(), p, Meta::None);
    let uplinks = build_portgroup(m, &format!("{name}-DVUplinks"), None, &id, parent);
    let mut ids = vec![uplinks];
    for (pg, vlan) in portgroups {
        ids.push(build_portgroup(m, pg, Some(*vlan), &id, parent));
    }
    let members: Vec<Value> = hosts.iter().map(|h| reference("HostSystem", h)).collect();
    let groups: Vec<Value> = ids
        .iter()
        .map(|g| reference("DistributedVirtualPortgroup", g))
        .collect();
    let names: Vec<String> = ids.iter().map(|g| m.name(g).to_string()).collect();
    if let Some(o) = m.get_mut(&id) {
        o.set("portgroup", Value::Array(groups.clone()));
        o.set(
            "summary",
            json!({ "_typeName": "DVSSummary", "name": name, "uuid": format!("50 0a {id}"),
                    "numPorts": 4 + 128 * portgroups.len(), "hostMember": members, "portgroupName": names }),
        );
    }
    for h in hosts {
        if let Some(o) = m.get_mut(h) {
            let mut networks = o
                .get("network")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            networks.extend(groups.iter().cloned());
            o.set("network", Value::Array(networks));
        }
    }
    ids
}

/// A host's `config.network`: `vSwitch0` with a port group for each of the
/// host's standard networks, on that network's VLAN.
pub(super) fn host_network_config(m: &Model, host: &Object) -> Value {
    let key = |pg: &str| format!("key-vim.host.PortGroup-{pg}");
    let standard: Vec<(String, u16)> = host
        .ref_ids("network")
        .iter()
        .filter_map(|id| m.get(id))
        .filter_map(|n| match n.meta {
            Meta::Network { vlan } => Some((n.name().to_string(), vlan)),
            _ => None,
        })
        .collect();
    let portgroups: Vec<Value> = standard
        .iter()
        .map(|(name, vlan)| {
            json!({ "_typeName": "HostPortGroup", "key": key(name),
                    "vswitch": format!("key-vim.host.VirtualSwitch-{VSWITCH}"),
                    "spec": { "_typeName": "HostPortGroupSpec", "name": name, "vlanId": vlan,
                              "vswitchName": VSWITCH, "policy": { "_typeName": "HostNetworkPolicy" } } })
        })
        .collect();
    let vswitch = json!({
        "_typeName": "HostVirtualSwitch", "name": VSWITCH,
        "key": format!("key-vim.host.VirtualSwitch-{VSWITCH}"), "numPorts": 128,
        "numPortsAvailable": 128 - standard.len(), "mtu": 1500,
        "portgroup": standard.iter().map(|(n, _)| key(n)).collect::<Vec<_>>(),
    });
    json!({ "_typeName": "HostNetworkInfo", "vswitch": [vswitch], "portgroup": portgroups })
}

/// A network's derived `host` and `vm` lists and `summary.name`.
pub(super) fn derive(m: &Model, links: &Links, o: &Object, out: &mut Changes) {
    out.set(o, "host", refs(m, links.net_hosts.get(&o.id)));
    out.set(o, "vm", refs(m, links.net_vms.get(&o.id)));
    out.set(o, "summary.name", json!(o.name()));
}

/// Behaviour tests through the `Backend` trait, as a plugin sees it.
#[cfg(test)]
mod backend_tests {
    use serde_json::json;

    use crate::vsphere::sim::test_support::*;

    #[tokio::test]
    async fn hosts_state_their_port_groups_vswitch_and_vlan() {
        let s = sim();
        let esx = find(&s, "DC0/host/prod/esx-01.lab.local");
        let groups = read(&s, &esx, "config.network.portgroup").await.unwrap();
        let web = groups
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["spec"]["name"] == "prod-web")
            .expect("prod-web is on esx-01")
            .clone();
        assert_eq!(web["spec"]["vlanId"], 110);
        assert_eq!(web["spec"]["vswitchName"], "vSwitch0");
        let switches = read(&s, &esx, "config.network.vswitch").await.unwrap();
        assert_eq!(switches[0]["portgroup"].as_array().unwrap().len(), 3);
    }

    #[tokio::test]
    async fn a_distributed_switch_gives_its_members_its_port_groups() {
        let s = sim();
        let pg = find(&s, "DC0/network/prod-vmotion");
        assert_eq!(pg.kind, "DistributedVirtualPortgroup");
        assert_eq!(
            read(&s, &pg, "config.defaultPortConfig.vlan.vlanId").await,
            Some(json!(310))
        );
        assert_eq!(read(&s, &pg, "config.uplink").await, Some(json!(false)));
        let hosts = ref_values(read(&s, &pg, "host").await);
        assert_eq!(hosts.len(), 3, "the three prod hosts are members");
        let switch = find(&s, "DC0/network/dvs-prod");
        let uplinks = find(&s, "DC0/network/dvs-prod-DVUplinks");
        assert_eq!(read(&s, &uplinks, "config.uplink").await, Some(json!(true)));
        assert_eq!(
            read(&s, &uplinks, "config.distributedVirtualSwitch").await,
            Some(switch.to_json())
        );
        let dev = find(&s, "DC0/host/dev/esx-04.lab.local");
        assert!(!ref_values(read(&s, &dev, "network").await).contains(&pg.value));
        let dc = find(&s, "DC0");
        assert!(ref_values(read(&s, &dc, "network").await).contains(&pg.value));
    }
}
