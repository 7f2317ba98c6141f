//! JSON helpers for reading VI/JSON values and building results.
//!
//! vSphere values arrive as VI/JSON. Values typed `anyType` may come boxed as
//! `{"_typeName":"ArrayOfManagedObjectReference","_value":[…]}`; the readers
//! here look through such boxes so tools never care which form a backend used.

use serde::Serialize;

pub use serde_json::{Map, Value, json};

use crate::error::Result;
use crate::moref::MoRef;

/// The value inside a VI/JSON box (`{"_typeName":…,"_value":…}`), or the
/// value itself when it is not boxed.
pub fn unbox(value: &Value) -> &Value {
    match value {
        Value::Object(object) if object.contains_key("_typeName") => {
            object.get("_value").unwrap_or(value)
        }
        _ => value,
    }
}

/// Walk a dotted path (`hardware.cpuMhz`) through nested objects, looking
/// through boxes; `None` for a missing step or a null.
pub fn lookup<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    let mut current = unbox(value);
    if !path.is_empty() {
        for step in path.split('.') {
            current = unbox(current.as_object()?.get(step)?);
        }
    }
    if current.is_null() {
        None
    } else {
        Some(current)
    }
}

/// A string, looking through a box.
pub fn as_str(value: &Value) -> Option<&str> {
    unbox(value).as_str()
}

/// An integer, looking through a box; integral floats and numeric strings
/// (as some encoders write `long`) are accepted.
pub fn as_i64(value: &Value) -> Option<i64> {
    match unbox(value) {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e18)
                .map(|f| f as i64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A boolean, looking through a box; `"true"`/`"false"` strings are accepted.
pub fn as_bool(value: &Value) -> Option<bool> {
    match unbox(value) {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s == "true" => Some(true),
        Value::String(s) if s == "false" => Some(false),
        _ => None,
    }
}

/// An array's items, looking through a box; a single non-array value is
/// not an array (`None`).
pub fn as_array(value: &Value) -> Option<&Vec<Value>> {
    unbox(value).as_array()
}

/// Every managed object reference in an array value (items that are not
/// references are skipped).
pub fn as_refs(value: &Value) -> Vec<MoRef> {
    as_array(value)
        .map(|items| items.iter().filter_map(MoRef::from_json).collect())
        .unwrap_or_default()
}

/// Serialize a result value; failure is an internal error.
pub fn to_value<T: Serialize>(value: &T) -> Result<Value> {
    Ok(serde_json::to_value(value)?)
}

/// Bytes to whole mebibytes, for memory sizes reported in bytes.
pub fn bytes_to_mb(bytes: i64) -> i64 {
    bytes / (1024 * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unboxes_and_walks() {
        let boxed = json!({"_typeName": "ArrayOfManagedObjectReference", "_value": [
            {"_typeName": "ManagedObjectReference", "type": "Datastore", "value": "datastore-1"},
            "junk"
        ]});
        assert_eq!(
            as_refs(&boxed),
            vec![MoRef::new("Datastore", "datastore-1")]
        );
        let summary = json!({"_typeName": "HostHardwareSummary", "cpuMhz": 2600, "model": {"_typeName": "string", "_value": "X"}});
        assert_eq!(lookup(&summary, "cpuMhz").and_then(as_i64), Some(2600));
        assert_eq!(lookup(&summary, "model").and_then(as_str), Some("X"));
        assert_eq!(lookup(&summary, "missing.deeper"), None);
        assert_eq!(lookup(&json!({"a": null}), "a"), None);
        assert_eq!(as_i64(&json!("17179869184")), Some(17_179_869_184));
        assert_eq!(as_i64(&json!(2.0)), Some(2));
        assert_eq!(as_bool(&json!("true")), Some(true));
        assert_eq!(bytes_to_mb(4 * 1024 * 1024 * 1024), 4096);
    }
}
