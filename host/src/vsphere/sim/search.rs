//! SearchIndex methods: finding an entity by inventory path, by child name,
//! by UUID, IP address, DNS name or datastore path, answering a reference or
//! null (an empty list for the `FindAll…` forms) as vCenter does.

use serde_json::{Map, Value};

use super::args::Args;
use super::faults;
use super::model::{Model, Object};
use crate::vocabulary::VsError;
use crate::vsphere::MoRef;

/// The methods of `SearchIndex` the simulator implements.
pub(super) const METHODS: &[&str] = &[
    "FindByInventoryPath",
    "FindChild",
    "FindByUuid",
    "FindAllByUuid",
    "FindByIp",
    "FindAllByIp",
    "FindByDnsName",
    "FindAllByDnsName",
    "FindByDatastorePath",
];

/// The children `FindChild` looks at: a datacenter's four folders, a folder's
/// entities, a compute resource's hosts and root pool, a pool's pools and VMs.
fn find_children(m: &Model, id: &str) -> Vec<String> {
    let Some(o) = m.get(id) else {
        return Vec::new();
    };
    match o.kind.as_str() {
        "Datacenter" => ["vmFolder", "hostFolder", "datastoreFolder", "networkFolder"]
            .iter()
            .filter_map(|p| o.ref_id(p))
            .collect(),
        "Folder" => o.ref_ids("childEntity"),
        "ComputeResource" | "ClusterComputeResource" => {
            let mut v = o.ref_ids("host");
            v.extend(o.ref_id("resourcePool"));
            v
        }
        "ResourcePool" => {
            let mut v = o.ref_ids("resourcePool");
            v.extend(o.ref_ids("vm"));
            v
        }
        _ => Vec::new(),
    }
}

fn find_child(m: &Model, id: &str, name: &str) -> Option<String> {
    find_children(m, id).into_iter().find(|c| m.name(c) == name)
}

/// The id an inventory path such as `DC0/vm/web/web-01` leads to.
pub(super) fn find_by_path(m: &Model, path: &str) -> Option<String> {
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    if parts.is_empty() {
        return None;
    }
    let mut cur = "group-d1".to_string();
    for p in parts {
        cur = find_child(m, &cur, p)?;
    }
    Some(cur)
}

fn answer(m: &Model, id: Option<String>) -> Value {
    id.and_then(|i| m.moref(&i))
        .map(|r| r.to_json())
        .unwrap_or(Value::Null)
}

fn answer_all(m: &Model, ids: Vec<String>) -> Value {
    Value::Array(
        ids.iter()
            .filter_map(|i| m.moref(i))
            .map(|r| r.to_json())
            .collect(),
    )
}

/// The objects a `Find…` search considers: VMs or hosts, within a datacenter if one is given.
fn scope<'a>(m: &'a Model, a: &Args, vm_search: bool) -> Result<Vec<&'a Object>, VsError> {
    let dc = a.opt_reference("datacenter", &["Datacenter"])?;
    if let Some(d) = &dc {
        m.resolve(d)?;
    }
    let kind = if vm_search {
        "VirtualMachine"
    } else {
        "HostSystem"
    };
    let mut v: Vec<&Object> = m
        .objects()
        .filter(|o| o.kind == kind)
        .filter(|o| {
            dc.as_ref()
                .is_none_or(|d| m.datacenter_of(&o.id).as_deref() == Some(d.value.as_str()))
        })
        .collect();
    v.sort_by_key(|o| o.seq);
    Ok(v)
}

fn by_uuid(m: &Model, a: &Args) -> Result<Vec<String>, VsError> {
    let uuid = a.string("uuid")?.to_ascii_lowercase();
    let vm_search = a.boolean("vmSearch")?;
    let instance = a.opt_boolean("instanceUuid")?.unwrap_or(false);
    let path = if !vm_search {
        "hardware.systemInfo.uuid"
    } else if instance {
        "config.instanceUuid"
    } else {
        "config.uuid"
    };
    Ok(scope(m, a, vm_search)?
        .into_iter()
        .filter(|o| o.str(path).is_some_and(|u| u.to_ascii_lowercase() == uuid))
        .map(|o| o.id.clone())
        .collect())
}

fn by_ip(m: &Model, a: &Args) -> Result<Vec<String>, VsError> {
    let ip = a.string("ip")?;
    let vm_search = a.boolean("vmSearch")?;
    Ok(scope(m, a, vm_search)?
        .into_iter()
        .filter(|o| {
            o.str("guest.ipAddress") == Some(ip)
                || matches!(o.get("guest.net"), Some(Value::Array(nics)) if nics.iter().any(|n| {
                    matches!(n.get("ipAddress"), Some(Value::Array(ips)) if ips.iter().any(|x| x.as_str() == Some(ip)))
                }))
        })
        .map(|o| o.id.clone())
        .collect())
}

fn by_dns(m: &Model, a: &Args) -> Result<Vec<String>, VsError> {
    let dns = a.string("dnsName")?.to_ascii_lowercase();
    let vm_search = a.boolean("vmSearch")?;
    let path = if vm_search { "guest.hostName" } else { "name" };
    Ok(scope(m, a, vm_search)?
        .into_iter()
        .filter(|o| o.str(path).is_some_and(|n| n.to_ascii_lowercase() == dns))
        .map(|o| o.id.clone())
        .collect())
}

/// Call a `SearchIndex` method.
pub(super) fn invoke(
    m: &Model,
    target: &MoRef,
    method: &str,
    args: &Map<String, Value>,
) -> Result<Value, VsError> {
    match method {
        "FindByInventoryPath" => {
            let a = Args::new(method, args, &["inventoryPath"])?;
            Ok(answer(m, find_by_path(m, a.string("inventoryPath")?)))
        }
        "FindChild" => {
            let a = Args::new(method, args, &["entity", "name"])?;
            let entity = a.reference("entity", &["ManagedEntity"])?;
            let name = a.string("name")?;
            let o = m.resolve(&entity)?;
            Ok(answer(m, find_child(m, &o.id, name)))
        }
        "FindByUuid" | "FindAllByUuid" => {
            let a = Args::new(
                method,
                args,
                &["datacenter", "uuid", "vmSearch", "instanceUuid"],
            )?;
            let ids = by_uuid(m, &a)?;
            Ok(if method == "FindByUuid" {
                answer(m, ids.into_iter().next())
            } else {
                answer_all(m, ids)
            })
        }
        "FindByIp" | "FindAllByIp" => {
            let a = Args::new(method, args, &["datacenter", "ip", "vmSearch"])?;
            let ids = by_ip(m, &a)?;
            Ok(if method == "FindByIp" {
                answer(m, ids.into_iter().next())
            } else {
                answer_all(m, ids)
            })
        }
        "FindByDnsName" | "FindAllByDnsName" => {
            let a = Args::new(method, args, &["datacenter", "dnsName", "vmSearch"])?;
            let ids = by_dns(m, &a)?;
            Ok(if method == "FindByDnsName" {
                answer(m, ids.into_iter().next())
            } else {
                answer_all(m, ids)
            })
        }
        "FindByDatastorePath" => {
            let a = Args::new(method, args, &["datacenter", "path"])?;
            let dc = a.reference("datacenter", &["Datacenter"])?;
            let path = a.string("path")?;
            m.resolve(&dc)?;
            let found = m
                .objects()
                .filter(|o| {
                    o.kind == "VirtualMachine" && o.str("config.files.vmPathName") == Some(path)
                })
                .find(|o| m.datacenter_of(&o.id).as_deref() == Some(dc.value.as_str()))
                .map(|o| o.id.clone());
            Ok(answer(m, found))
        }
        _ => Err(faults::method_not_found(target, method, METHODS)),
    }
}

/// Behaviour tests through the `Backend` trait, as a plugin sees it: every method's effect, every fault, and that a fault leaves the inventory as it
/// was.
#[cfg(test)]
mod backend_tests {
    use serde_json::{Value, json};

    use crate::vsphere::sim::test_support::*;
    use crate::vsphere::sim::*;

    #[tokio::test]
    async fn search_index_finds_by_path_and_more() {
        let s = sim();
        let si = search_index();
        let r = ok(
            &s,
            &si,
            "FindByInventoryPath",
            json!({"inventoryPath": "DC0/vm/web/web-01"}),
        )
        .await;
        assert_eq!(MoRef::from_json(&r), Some(find(&s, "DC0/vm/web/web-01")));
        assert_eq!(
            MoRef::from_json(&r).map(|x| x.kind),
            Some("VirtualMachine".into())
        );
        let a = ok(
            &s,
            &si,
            "FindByInventoryPath",
            json!({"inventoryPath": "DC0/vm/web/app-01"}),
        )
        .await;
        let b = ok(
            &s,
            &si,
            "FindByInventoryPath",
            json!({"inventoryPath": "DC0/vm/dev/app-01"}),
        )
        .await;
        assert_ne!(a, b);
        assert_eq!(
            ok(
                &s,
                &si,
                "FindByInventoryPath",
                json!({"inventoryPath": "DC0/vm/web/nope"})
            )
            .await,
            Value::Null
        );
        assert_eq!(
            ok(&s, &si, "FindByInventoryPath", json!({"inventoryPath": ""})).await,
            Value::Null
        );
        let dc = ok(
            &s,
            &si,
            "FindByInventoryPath",
            json!({"inventoryPath": "DC0"}),
        )
        .await;
        assert_eq!(dc["type"], "Datacenter");
        let h = ok(
            &s,
            &si,
            "FindByInventoryPath",
            json!({"inventoryPath": "DC0/host/prod/esx-02.lab.local"}),
        )
        .await;
        assert_eq!(h["type"], "HostSystem");
        let pool = ok(
            &s,
            &si,
            "FindByInventoryPath",
            json!({"inventoryPath": "DC0/host/prod/Resources/db-tier"}),
        )
        .await;
        assert_eq!(pool["type"], "ResourcePool");

        let web = find(&s, "DC0/vm/web");
        let c = ok(
            &s,
            &si,
            "FindChild",
            json!({"entity": web.to_json(), "name": "web-02"}),
        )
        .await;
        assert_eq!(MoRef::from_json(&c), Some(find(&s, "DC0/vm/web/web-02")));
        assert_eq!(
            ok(
                &s,
                &si,
                "FindChild",
                json!({"entity": web.to_json(), "name": "db-01"})
            )
            .await,
            Value::Null
        );
        fails_unchanged(
            &s,
            &si,
            "FindChild",
            json!({"entity": {"type": "Folder", "value": "group-v999"}, "name": "x"}),
            "ManagedObjectNotFound",
        )
        .await;

        let web01 = find(&s, "DC0/vm/web/web-01");
        let uuid = read_str(&s, &web01, "config.uuid").await;
        let r = ok(
            &s,
            &si,
            "FindByUuid",
            json!({"uuid": uuid, "vmSearch": true}),
        )
        .await;
        assert_eq!(MoRef::from_json(&r), Some(web01.clone()));
        let iuuid = read_str(&s, &web01, "config.instanceUuid").await;
        let r = ok(
            &s,
            &si,
            "FindByUuid",
            json!({"uuid": iuuid, "vmSearch": true, "instanceUuid": true}),
        )
        .await;
        assert_eq!(MoRef::from_json(&r), Some(web01.clone()));
        let r = ok(
            &s,
            &si,
            "FindByIp",
            json!({"ip": "10.10.1.11", "vmSearch": true}),
        )
        .await;
        assert_eq!(MoRef::from_json(&r), Some(web01.clone()));
        let r = ok(
            &s,
            &si,
            "FindByDnsName",
            json!({"dnsName": "web-01.lab.local", "vmSearch": true}),
        )
        .await;
        assert_eq!(MoRef::from_json(&r), Some(web01.clone()));
        let r = ok(
            &s,
            &si,
            "FindAllByDnsName",
            json!({"dnsName": "esx-01.lab.local", "vmSearch": false}),
        )
        .await;
        assert_eq!(r.as_array().map(Vec::len), Some(1));
        let r = ok(
            &s,
            &si,
            "FindByDatastorePath",
            json!({"datacenter": find(&s, "DC0").to_json(), "path": "[ds-prod-01] web-01/web-01.vmx"}),
        )
        .await;
        assert_eq!(MoRef::from_json(&r), Some(web01));
    }
}
