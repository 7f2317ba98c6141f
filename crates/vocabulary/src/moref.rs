//! The managed object reference, the one way host and plugins name a vSphere
//! object. It lives here so the host's backends and the plugin SDK agree on
//! its VI/JSON form and its text form without each keeping a copy.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// A managed object reference: type and server-assigned id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct MoRef {
    /// The managed object type, e.g. `VirtualMachine`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The id, e.g. `vm-42`.
    pub value: String,
}

impl MoRef {
    /// Build a reference from its type and id.
    pub fn new(kind: impl Into<String>, value: impl Into<String>) -> Self {
        MoRef {
            kind: kind.into(),
            value: value.into(),
        }
    }

    /// The VI/JSON form, as vSphere and `invoke` arguments expect:
    /// `{"_typeName":"ManagedObjectReference","type":…,"value":…}`.
    pub fn to_json(&self) -> Value {
        json!({
            "_typeName": "ManagedObjectReference",
            "type": self.kind,
            "value": self.value,
        })
    }

    /// Read a VI/JSON reference, with or without `_typeName`, looking through
    /// an `anyType` box (`{"_typeName":…,"_value":…}`); `None` when `value`
    /// is not one, so callers can treat odd data as absent.
    pub fn from_json(value: &Value) -> Option<MoRef> {
        let mut object = value.as_object()?;
        if object.contains_key("_typeName")
            && let Some(boxed) = object.get("_value")
        {
            object = boxed.as_object()?;
        }
        if let Some(type_name) = object.get("_typeName").and_then(Value::as_str)
            && type_name != "ManagedObjectReference"
        {
            return None;
        }
        Some(MoRef::new(
            object.get("type")?.as_str()?,
            object.get("value")?.as_str()?,
        ))
    }
}

impl std::fmt::Display for MoRef {
    /// `VirtualMachine:vm-42`, for messages and logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.kind, self.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trip() {
        let vm = MoRef::new("VirtualMachine", "vm-42");
        assert_eq!(MoRef::from_json(&vm.to_json()), Some(vm.clone()));
        assert_eq!(
            MoRef::from_json(&json!({"type": "Folder", "value": "group-v3"})),
            Some(MoRef::new("Folder", "group-v3"))
        );
        assert_eq!(
            MoRef::from_json(&json!({"_typeName": "Task", "type": "x", "value": "y"})),
            None
        );
        assert_eq!(MoRef::from_json(&json!("vm-42")), None);
        assert_eq!(vm.to_string(), "VirtualMachine:vm-42");
    }

    #[test]
    fn serde_form_names_the_kind_type() {
        let vm = MoRef::new("VirtualMachine", "vm-42");
        let text = serde_json::to_value(&vm).unwrap();
        assert_eq!(text, json!({"type": "VirtualMachine", "value": "vm-42"}));
        assert_eq!(serde_json::from_value::<MoRef>(text).unwrap(), vm);
    }
}
