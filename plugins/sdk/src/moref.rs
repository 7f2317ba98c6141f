//! Managed object references as an ordinary Rust value.
//!
//! The generated `ObjectRef` only derives `Clone`; tools need references as
//! map keys and in comparisons, and in their VI/JSON form for `invoke`
//! arguments and results, so [`MoRef`] carries all of that.

use serde_json::{Value, json};

use crate::error::ObjectRef;

/// A managed object reference: type and server-assigned id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MoRef {
    /// The managed object type, e.g. `VirtualMachine`.
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

    /// The VI/JSON form, as `invoke` arguments expect:
    /// `{"_typeName":"ManagedObjectReference","type":…,"value":…}`.
    pub fn to_json(&self) -> Value {
        json!({
            "_typeName": "ManagedObjectReference",
            "type": self.kind,
            "value": self.value,
        })
    }

    /// Read a VI/JSON reference (with or without `_typeName`); `None` when
    /// `value` is not one, so callers can treat odd data as absent.
    pub fn from_json(value: &Value) -> Option<MoRef> {
        let object = crate::json::unbox(value).as_object()?;
        if let Some(type_name) = object.get("_typeName").and_then(Value::as_str)
            && type_name != "ManagedObjectReference"
        {
            return None;
        }
        let kind = object.get("type")?.as_str()?;
        let id = object.get("value")?.as_str()?;
        Some(MoRef::new(kind, id))
    }

    /// The reference as the WIT record, for imports.
    pub fn to_wit(&self) -> ObjectRef {
        ObjectRef {
            type_: self.kind.clone(),
            value: self.value.clone(),
        }
    }

    /// The reference from the WIT record, as imports return it.
    pub fn from_wit(reference: &ObjectRef) -> Self {
        MoRef::new(reference.type_.clone(), reference.value.clone())
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
}
