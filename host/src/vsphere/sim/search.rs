//! SearchIndex methods: finding an entity by inventory path, by child name,
//! by UUID, IP address, DNS name or datastore path, answering a reference or
//! null (an empty list for the `FindAll…` forms) as vCenter does.

use serde_json::Value;

use super::args::{Args, Call};
use super::container;
use super::model::{Model, Object};
use crate::vocabulary::VsError;

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

/// The children `FindChild` looks at: a container view's edges, except that
/// a host's VMs are not its children (they are found in their folders).
fn find_children(m: &Model, id: &str) -> Vec<String> {
    if m.get(id).is_some_and(|o| o.kind == "HostSystem") {
        return Vec::new();
    }
    container::edges(m, id)
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

/// What a `Find…` method answers: the first match, or every match for the
/// `FindAll…` forms.
fn found(m: &Model, ids: Vec<String>, method: &str) -> Value {
    if method.starts_with("FindAll") {
        answer_all(m, ids)
    } else {
        answer(m, ids.into_iter().next())
    }
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
pub(super) fn invoke(m: &Model, call: &Call) -> Result<Value, VsError> {
    let method = call.method;
    match method {
        "FindByInventoryPath" => {
            let a = call.params(&["inventoryPath"])?;
            Ok(answer(m, find_by_path(m, a.string("inventoryPath")?)))
        }
        "FindChild" => {
            let a = call.params(&["entity", "name"])?;
            let entity = a.reference("entity", &["ManagedEntity"])?;
            let name = a.string("name")?;
            let o = m.resolve(&entity)?;
            Ok(answer(m, find_child(m, &o.id, name)))
        }
        "FindByUuid" | "FindAllByUuid" => {
            let a = call.params(&["datacenter", "uuid", "vmSearch", "instanceUuid"])?;
            Ok(found(m, by_uuid(m, &a)?, method))
        }
        "FindByIp" | "FindAllByIp" => {
            let a = call.params(&["datacenter", "ip", "vmSearch"])?;
            Ok(found(m, by_ip(m, &a)?, method))
        }
        "FindByDnsName" | "FindAllByDnsName" => {
            let a = call.params(&["datacenter", "dnsName", "vmSearch"])?;
            Ok(found(m, by_dns(m, &a)?, method))
        }
        "FindByDatastorePath" => {
            let a = call.params(&["datacenter", "path"])?;
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
        _ => Err(call.not_found(METHODS)),
    }
}

/// Behaviour tests through the `Backend` trait, as a plugin sees it: every
/// method's effect, every fault, and that a fault leaves the inventory as it was.
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
