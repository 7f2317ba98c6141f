//! Reading a dotted property path (`runtime.powerState`,
//! `summary.quickStats.overallCpuUsage`) from an object's property tree, with
//! PropertyCollector's rules: an unset property is absent, a path the type
//! does not have is an `InvalidProperty` fault, and a path cannot go through
//! an array, a reference or a scalar.

use serde_json::Value;

use super::faults;
use super::model::Object;
use super::schema::{self, Field, FieldKind};
use crate::error::VsError;

/// The value at `path`, `None` when unset, or `InvalidProperty`.
pub(super) fn read(o: &Object, path: &str) -> Result<Option<Value>, VsError> {
    let invalid = || faults::invalid_property(&o.kind, path);
    let mut parts = path.split('.');
    let first = parts.next().filter(|p| !p.is_empty()).ok_or_else(invalid)?;
    let mut field: Option<&'static Field> = if schema::managed_type_known(&o.kind) {
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
        let mut next: Option<&'static Field> = None;
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
