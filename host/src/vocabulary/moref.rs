//! The managed object reference: how every layer (backends, index, approval,
//! plugins) names a vSphere object, so it lives below all of them.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A managed object reference: type and server id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct MoRef {
    /// The managed object type, e.g. `VirtualMachine`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The id, e.g. `vm-42`.
    pub value: String,
}

impl MoRef {
    /// Build a reference from its parts.
    pub fn new(kind: impl Into<String>, value: impl Into<String>) -> Self {
        MoRef {
            kind: kind.into(),
            value: value.into(),
        }
    }

    /// The VI/JSON form: `{"_typeName":"ManagedObjectReference","type":…,"value":…}`.
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "_typeName": "ManagedObjectReference",
            "type": self.kind,
            "value": self.value,
        })
    }

    /// Read a VI/JSON reference; `None` if `v` is not one.
    pub fn from_json(v: &Value) -> Option<MoRef> {
        let o = v.as_object()?;
        if let Some(t) = o.get("_typeName").and_then(Value::as_str)
            && t != "ManagedObjectReference"
        {
            return None;
        }
        Some(MoRef::new(
            o.get("type")?.as_str()?,
            o.get("value")?.as_str()?,
        ))
    }
}

impl std::fmt::Display for MoRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.kind, self.value)
    }
}
