//! Reading a dotted property path (`runtime.powerState`,
//! `summary.quickStats.overallCpuUsage`) from an object's property tree, with
//! PropertyCollector's rules: an unset property is absent, a path the type
//! does not have is an `InvalidProperty` fault, and a path cannot go through
//! an array, a reference or a scalar.

use serde_json::Value;

use super::faults;
use super::model::Object;
use super::schema::{self, Field, FieldKind};
use crate::vocabulary::VsError;

/// The value at `path`, `None` when unset, or `InvalidProperty`.
pub(super) fn read(o: &Object, path: &str) -> Result<Option<Value>, VsError> {
    let invalid = || faults::invalid_property(&o.kind, path);
    let mut parts = path.split('.');
    let first = parts.next().filter(|p| !p.is_empty()).ok_or_else(invalid)?;
    let mut field: Option<Field> = if schema::managed_type_known(&o.kind) {
        Some(schema::managed_field(&o.kind, first).ok_or_else(invalid)?)
    } else {
        None
    };
    let mut value: Option<&Value> = o.props.get(first);
    for part in parts {
        if part.is_empty() {
            return Err(invalid());
        }
        // Only a data object has fields to descend into.
        if let Some(f) = field
            && f.1 != FieldKind::Data
        {
            return Err(invalid());
        }
        if matches!(value, Some(Value::Array(_))) {
            return Err(invalid());
        }
        if value.is_some_and(|v| {
            crate::vsphere::MoRef::from_json(v).is_some() && v.get("_typeName").is_some()
        }) {
            return Err(invalid());
        }
        // The field must exist on the value's actual type, the declared type or
        // one of its subtypes; a value of a subtype without it leaves it unset.
        let declared = field.map(|f| f.2);
        let actual = value
            .and_then(|v| v.get("_typeName"))
            .and_then(Value::as_str);
        let mut next: Option<Field> = None;
        let mut known_type = false;
        for t in [actual, declared].into_iter().flatten() {
            if schema::data_type_known(t) {
                known_type = true;
                if let Some(f) = schema::data_field_in_family(t, part) {
                    next = Some(f);
                    break;
                }
            }
        }
        if known_type && next.is_none() {
            return Err(invalid());
        }
        field = next;
        value = match value {
            Some(Value::Object(map)) => map.get(part),
            Some(_) => return Err(invalid()),
            None => None,
        };
    }
    Ok(value
        .filter(|v| !v.is_null() && v.as_str() != Some(""))
        .cloned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vsphere::sim::model::Meta;
    use serde_json::{Map, json};

    fn vm() -> Object {
        let mut props = Map::new();
        props.insert("name".into(), json!("web-01"));
        props.insert(
            "runtime".into(),
            json!({"_typeName": "VirtualMachineRuntimeInfo", "powerState": "poweredOn",
                   "host": {"_typeName": "ManagedObjectReference", "type": "HostSystem", "value": "host-1"}}),
        );
        props.insert(
            "config".into(),
            json!({"_typeName": "VirtualMachineConfigInfo", "hardware": {"_typeName": "VirtualHardware", "numCPU": 2, "device": []}}),
        );
        Object {
            id: "vm-1".into(),
            kind: "VirtualMachine".into(),
            seq: 0,
            props,
            meta: Meta::None,
        }
    }

    fn fault_type(r: Result<Option<Value>, VsError>) -> String {
        match r {
            Err(VsError::Fault(f)) => f.type_name,
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn reads_nested_paths() {
        let o = vm();
        assert_eq!(read(&o, "name").ok().flatten(), Some(json!("web-01")));
        assert_eq!(
            read(&o, "runtime.powerState").ok().flatten(),
            Some(json!("poweredOn"))
        );
        assert_eq!(
            read(&o, "config.hardware.numCPU").ok().flatten(),
            Some(json!(2))
        );
    }

    #[test]
    fn unset_is_absent() {
        let o = vm();
        assert_eq!(read(&o, "snapshot").ok(), Some(None));
        assert_eq!(read(&o, "snapshot.currentSnapshot").ok(), Some(None));
        assert_eq!(read(&o, "guest.ipAddress").ok(), Some(None));
        assert_eq!(read(&o, "runtime.bootTime").ok(), Some(None));
    }

    #[test]
    fn bad_paths_are_invalid_property() {
        let o = vm();
        assert_eq!(fault_type(read(&o, "bogus")), "InvalidProperty");
        assert_eq!(fault_type(read(&o, "runtime.bogus")), "InvalidProperty");
        assert_eq!(fault_type(read(&o, "snapshot.bogus")), "InvalidProperty");
        assert_eq!(
            fault_type(read(&o, "runtime.host.value")),
            "InvalidProperty"
        );
        assert_eq!(
            fault_type(read(&o, "config.hardware.device.key")),
            "InvalidProperty"
        );
        assert_eq!(fault_type(read(&o, "name.first")), "InvalidProperty");
        assert_eq!(fault_type(read(&o, "")), "InvalidProperty");
        assert_eq!(fault_type(read(&o, "runtime.")), "InvalidProperty");
    }
}

/// Behaviour tests through the `Backend` trait, as a plugin sees it: every
/// method's effect, every fault, and that a fault leaves the inventory as it was.
#[cfg(test)]
mod backend_tests {
    use serde_json::json;

    use crate::vocabulary::VsError;
    use crate::vsphere::sim::test_support::*;

    #[tokio::test]
    async fn retrieve_reads_paths_in_order_and_omits_unset() {
        let s = sim();
        let web01 = find(&s, "DC0/vm/web/web-01");
        let props = [
            "runtime.powerState",
            "config.hardware.numCPU",
            "name",
            "guest.ipAddress",
            "snapshot",
            "summary.quickStats.overallCpuUsage",
        ];
        let got = retrieve(
            &s,
            "VirtualMachine",
            Some(&find(&s, "DC0/vm/web")),
            false,
            &props,
        )
        .await
        .unwrap_or_default();
        let o = got
            .iter()
            .find(|o| o.reference == web01)
            .unwrap_or_else(|| panic!("web-01 in its folder"));
        let keys: Vec<&str> = o.properties.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "runtime.powerState",
                "config.hardware.numCPU",
                "name",
                "guest.ipAddress",
                "summary.quickStats.overallCpuUsage"
            ]
        );
        assert_eq!(o.properties[0].1, json!("poweredOn"));
        assert_eq!(o.properties[1].1, json!(2));
        assert_eq!(o.properties[3].1, json!("10.10.1.11"));
        assert!(o.properties[4].1.as_i64().unwrap_or(0) > 0);

        // A powered-off VM reports no guest IP and no boot time.
        let web03 = find(&s, "DC0/vm/web/web-03");
        assert_eq!(read(&s, &web03, "guest.ipAddress").await, None);
        assert_eq!(read(&s, &web03, "runtime.bootTime").await, None);
        assert_eq!(
            read_str(&s, &web03, "guest.toolsRunningStatus").await,
            "guestToolsNotRunning"
        );
        assert_eq!(
            read_str(&s, &web01, "guest.toolsRunningStatus").await,
            "guestToolsRunning"
        );
        assert_eq!(read_str(&s, &web01, "guest.guestState").await, "running");

        // Devices: a controller, a disk and a NIC with vSphere's shapes.
        let devices = read(&s, &web01, "config.hardware.device")
            .await
            .unwrap_or_default();
        let types: Vec<&str> = devices
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|d| d["_typeName"].as_str())
            .collect();
        assert!(
            types.contains(&"VirtualDisk") && types.contains(&"VirtualVmxnet3"),
            "{types:?}"
        );
        let disk = devices
            .as_array()
            .into_iter()
            .flatten()
            .find(|d| d["_typeName"] == "VirtualDisk")
            .cloned()
            .unwrap_or_default();
        assert_eq!(disk["capacityInKB"], json!(40 * 1024 * 1024));
        assert_eq!(
            disk["backing"]["fileName"],
            "[ds-prod-01] web-01/web-01.vmdk"
        );
        let net = read(&s, &web01, "guest.net").await.unwrap_or_default();
        assert_eq!(net[0]["ipAddress"][0], "10.10.1.11");
        assert_eq!(net[0]["network"], "prod-web");

        // Summaries mirror their sources.
        assert_eq!(
            read_str(&s, &web01, "summary.runtime.powerState").await,
            "poweredOn"
        );
        assert_eq!(
            read(&s, &web01, "summary.config.numCpu").await,
            Some(json!(2))
        );
        assert_eq!(
            read(&s, &web01, "summary.config.memorySizeMB").await,
            Some(json!(4096))
        );
        assert_eq!(
            read_str(&s, &web01, "summary.config.vmPathName").await,
            "[ds-prod-01] web-01/web-01.vmx"
        );
        assert_eq!(
            read_str(&s, &web01, "config.guestFullName").await,
            "Ubuntu Linux (64-bit)"
        );
        assert!(
            read(&s, &web01, "summary.storage.committed")
                .await
                .and_then(|v| v.as_i64())
                .unwrap_or(0)
                > 40 * 1024 * 1024 * 1024
        );

        // Hosts, clusters, datastores.
        let esx01 = find(&s, "DC0/host/prod/esx-01.lab.local");
        assert_eq!(
            read(&s, &esx01, "summary.hardware.numCpuCores").await,
            Some(json!(64))
        );
        assert_eq!(
            read(&s, &esx01, "hardware.memorySize").await,
            Some(json!(512i64 * 1024 * 1024 * 1024))
        );
        assert_eq!(
            read_str(&s, &esx01, "summary.config.product.version").await,
            "8.0.3"
        );
        assert_eq!(
            read(&s, &esx01, "runtime.inMaintenanceMode").await,
            Some(json!(false))
        );
        assert!(
            read(&s, &esx01, "summary.quickStats.overallCpuUsage")
                .await
                .and_then(|v| v.as_i64())
                .unwrap_or(0)
                > 0
        );
        let prod = find(&s, "DC0/host/prod");
        assert_eq!(read(&s, &prod, "summary.numHosts").await, Some(json!(3)));
        assert_eq!(
            read(&s, &prod, "summary.numEffectiveHosts").await,
            Some(json!(3))
        );
        let ds = find(&s, "DC0/datastore/ds-prod-01");
        assert_eq!(read_str(&s, &ds, "summary.type").await, "VMFS");
        let free = read(&s, &ds, "summary.freeSpace")
            .await
            .and_then(|v| v.as_i64())
            .unwrap_or(0);
        assert!(
            (free - 2200 * (1 << 30)).abs() < 1 << 20,
            "free space as in the fixture: {free}"
        );
        assert_eq!(
            read(&s, &ds, "host")
                .await
                .and_then(|h| h.as_array().map(Vec::len)),
            Some(3)
        );
    }

    #[tokio::test]
    async fn bad_property_paths_are_invalid_property() {
        let s = sim();
        for p in [
            "bogus",
            "runtime.bogus",
            "config.hardware.device.key",
            "runtime.host.name",
            "snapshot.nope",
        ] {
            let r = retrieve(&s, "VirtualMachine", None, true, &["name", p]).await;
            match r {
                Err(VsError::Fault(f)) => {
                    assert_eq!(f.type_name, "InvalidProperty", "{p}");
                    assert_eq!(f.detail["name"], p);
                }
                other => panic!("{p}: {other:?}"),
            }
        }
        // A real property that is unset is not an error.
        let r = retrieve(
            &s,
            "HostSystem",
            None,
            true,
            &["name", "runtime.bootTime", "summary.managementServerIp"],
        )
        .await;
        assert!(r.is_ok(), "{r:?}");
    }
}
