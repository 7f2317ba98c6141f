//! Reading a method's arguments (a JSON object keyed by vim25 parameter name)
//! with errors that name the method, the parameter and what was expected, so
//! a plugin author sees at once which argument of which call is wrong.

use serde_json::{Map, Value};
use time::OffsetDateTime;
use vmware_vocabulary::args::json_kind;

use super::{faults, schema};
use crate::vocabulary::VsError;
use crate::vsphere::MoRef;

/// One method call as the simulator dispatches it: the target, the vim25
/// method, its arguments and the time it runs at. Every managed type's
/// `invoke` takes one and reads the arguments through it, so that each
/// method names only the parameters it accepts.
pub(super) struct Call<'a> {
    /// The object the method is called on.
    pub target: &'a MoRef,
    /// The vim25 method name, e.g. `PowerOnVM_Task`.
    pub method: &'a str,
    /// The arguments, keyed by vim25 parameter name.
    pub args: &'a Map<String, Value>,
    /// When the call runs, for the times it records.
    pub now: OffsetDateTime,
}

impl<'a> Call<'a> {
    /// The target's id.
    pub(super) fn id(&self) -> &'a str {
        &self.target.value
    }

    /// The arguments, accepted when every key is one of `params` (see [`Args::new`]).
    pub(super) fn params(&self, params: &[&str]) -> Result<Args<'a>, VsError> {
        Args::new(self.method, self.args, params)
    }

    /// `MethodNotFound` for this call, listing the methods the target's type
    /// implements so that the caller sees what it can use instead.
    pub(super) fn not_found(&self, implemented: &[&str]) -> VsError {
        faults::method_not_found(self.target, self.method, implemented)
    }
}

/// The arguments of one call, or one data object nested inside them.
pub(super) struct Args<'a> {
    method: &'a str,
    prefix: String,
    map: &'a Map<String, Value>,
}

/// A short description of a JSON value's kind, for error messages: as
/// [`json_kind`] says it, with a managed object reference named as one.
fn describe(v: &Value) -> &'static str {
    let is_moref = v.get("_typeName").and_then(Value::as_str) == Some("ManagedObjectReference");
    if is_moref {
        "a managed object reference"
    } else {
        json_kind(v)
    }
}

impl<'a> Args<'a> {
    /// Accept the call's arguments if every key is one of `params` (or `_this`);
    /// an unknown key is most likely a misspelt parameter, so it is refused.
    pub(super) fn new(
        method: &'a str,
        map: &'a Map<String, Value>,
        params: &[&str],
    ) -> Result<Self, VsError> {
        if let Some(k) = map
            .keys()
            .find(|k| k.as_str() != "_this" && !params.contains(&k.as_str()))
        {
            let accepted = if params.is_empty() {
                "none".to_string()
            } else {
                params.join(", ")
            };
            return Err(VsError::InvalidArgument(format!(
                "{method}: unknown parameter `{k}` (parameters: {accepted})"
            )));
        }
        Ok(Args {
            method,
            prefix: String::new(),
            map,
        })
    }

    fn full(&self, p: &str) -> String {
        format!("{}{}", self.prefix, p)
    }

    fn value(&self, p: &str) -> Option<&'a Value> {
        self.map.get(p).filter(|v| !v.is_null())
    }

    fn missing(&self, p: &str, expected: &str) -> VsError {
        VsError::InvalidArgument(format!(
            "{}: missing required parameter `{}` ({expected})",
            self.method,
            self.full(p)
        ))
    }

    fn ill_typed(&self, p: &str, expected: &str, got: &Value) -> VsError {
        VsError::InvalidArgument(format!(
            "{}: parameter `{}` must be {expected}, got {}",
            self.method,
            self.full(p),
            describe(got)
        ))
    }

    /// A required parameter: what `optional` read, or the missing-parameter
    /// error naming the kind of value `expected`.
    fn required<T>(
        &self,
        p: &str,
        expected: &str,
        optional: Result<Option<T>, VsError>,
    ) -> Result<T, VsError> {
        optional?.ok_or_else(|| self.missing(p, expected))
    }

    /// An optional parameter of the kind `read` accepts; a value of any other
    /// kind is refused as ill-typed.
    fn typed<T>(
        &self,
        p: &str,
        expected: &str,
        read: impl FnOnce(&'a Value) -> Option<T>,
    ) -> Result<Option<T>, VsError> {
        match self.value(p) {
            None => Ok(None),
            Some(v) => read(v)
                .map(Some)
                .ok_or_else(|| self.ill_typed(p, expected, v)),
        }
    }

    /// A required string.
    pub(super) fn string(&self, p: &str) -> Result<&'a str, VsError> {
        self.required(p, "a string", self.opt_string(p))
    }

    /// An optional string.
    pub(super) fn opt_string(&self, p: &str) -> Result<Option<&'a str>, VsError> {
        self.typed(p, "a string", Value::as_str)
    }

    /// A required boolean.
    pub(super) fn boolean(&self, p: &str) -> Result<bool, VsError> {
        self.required(p, "true or false", self.opt_boolean(p))
    }

    /// An optional boolean.
    pub(super) fn opt_boolean(&self, p: &str) -> Result<Option<bool>, VsError> {
        self.typed(p, "true or false", Value::as_bool)
    }

    /// A required integer.
    pub(super) fn int(&self, p: &str) -> Result<i64, VsError> {
        self.required(p, "an integer", self.opt_int(p))
    }

    /// An optional integer.
    pub(super) fn opt_int(&self, p: &str) -> Result<Option<i64>, VsError> {
        self.typed(p, "an integer", Value::as_i64)
    }

    /// A required managed object reference to an object of one of `kinds`
    /// (subtypes count: a `ClusterComputeResource` is a `ComputeResource`).
    pub(super) fn reference(&self, p: &str, kinds: &[&str]) -> Result<MoRef, VsError> {
        let expected = format!("a reference to a {}", kinds.join(" or "));
        self.required(p, &expected, self.opt_reference(p, kinds))
    }

    /// An optional managed object reference to an object of one of `kinds`.
    pub(super) fn opt_reference(&self, p: &str, kinds: &[&str]) -> Result<Option<MoRef>, VsError> {
        let Some(v) = self.value(p) else {
            return Ok(None);
        };
        let expected = format!(
            "a reference to a {} ({{\"_typeName\":\"ManagedObjectReference\",\"type\":\"{}\",\"value\":\"…\"}})",
            kinds.join(" or "),
            kinds.first().copied().unwrap_or("…")
        );
        let r = MoRef::from_json(v).ok_or_else(|| self.ill_typed(p, &expected, v))?;
        if kinds.is_empty()
            || kinds
                .iter()
                .any(|k| r.kind == *k || schema::kind_is_a(&r.kind, k))
        {
            Ok(Some(r))
        } else {
            Err(VsError::InvalidArgument(format!(
                "{}: parameter `{}` must be {expected}, got a reference to a {}",
                self.method,
                self.full(p),
                r.kind
            )))
        }
    }

    /// An optional data object of vim25 type `type_name`; its fields are
    /// checked against that type, so a misspelt field is reported.
    pub(super) fn opt_data(&self, p: &str, type_name: &str) -> Result<Option<Args<'a>>, VsError> {
        let Some(v) = self.value(p) else {
            return Ok(None);
        };
        let Value::Object(map) = v else {
            return Err(self.ill_typed(p, &format!("a {type_name} object"), v));
        };
        let prefix = format!("{}.", self.full(p));
        if schema::data_type_known(type_name)
            && let Some(k) = map
                .keys()
                .find(|k| k.as_str() != "_typeName" && schema::data_field(type_name, k).is_none())
        {
            return Err(VsError::InvalidArgument(format!(
                "{}: `{prefix}{k}` is not a field of {type_name}",
                self.method
            )));
        }
        Ok(Some(Args {
            method: self.method,
            prefix,
            map,
        }))
    }

    /// Refuse any field set here other than `supported`: vSphere would act on
    /// it, the simulator does not, so ignoring it would misreport success.
    pub(super) fn only(&self, supported: &[&str]) -> Result<(), VsError> {
        match self.map.iter().find(|(k, v)| {
            k.as_str() != "_typeName" && !v.is_null() && !supported.contains(&k.as_str())
        }) {
            Some((k, _)) => Err(faults::not_supported(&format!(
                "the simulated inventory does not apply `{}{k}` (it applies {})",
                self.prefix,
                supported.join(", ")
            ))),
            None => Ok(()),
        }
    }

    /// A required data object of vim25 type `type_name`.
    pub(super) fn data(&self, p: &str, type_name: &str) -> Result<Args<'a>, VsError> {
        let expected = format!("a {type_name} object");
        self.required(p, &expected, self.opt_data(p, type_name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    use crate::vsphere::sim::test_support::args as map;

    #[test]
    fn unknown_parameter_is_named() {
        let m = map(json!({"nmae": "x"}));
        let err = Args::new("CreateSnapshot_Task", &m, &["name"])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("`nmae`") && err.contains("CreateSnapshot_Task"),
            "{err}"
        );
    }

    #[test]
    fn types_are_checked_and_named() {
        let m = map(
            json!({"name": 3, "memory": "yes", "host": {"type": "VirtualMachine", "value": "vm-1"}}),
        );
        let a = Args::new("M", &m, &["name", "memory", "host", "quiesce"]).expect("known params");
        let e = a
            .string("name")
            .expect_err("number is not a string")
            .to_string();
        assert!(
            e.contains("`name`") && e.contains("a string") && e.contains("a number"),
            "{e}"
        );
        assert!(a.boolean("memory").is_err());
        let e = a.boolean("quiesce").expect_err("missing").to_string();
        assert!(e.contains("missing required parameter `quiesce`"), "{e}");
        let e = a
            .reference("host", &["HostSystem"])
            .expect_err("wrong type")
            .to_string();
        assert!(
            e.contains("HostSystem") && e.contains("VirtualMachine"),
            "{e}"
        );
    }

    #[test]
    fn nested_fields_are_checked() {
        let m = map(
            json!({"spec": {"_typeName": "VirtualMachineCloneSpec", "powerOn": true, "locaton": {}}}),
        );
        let a = Args::new("CloneVM_Task", &m, &["spec"]).expect("known params");
        let e = a
            .data("spec", "VirtualMachineCloneSpec")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("spec.locaton"), "{e}");
    }
}

/// Behaviour tests through the `Backend` trait, as a plugin sees it: every
/// method's effect, every fault, and that a fault leaves the inventory as it was.
#[cfg(test)]
mod backend_tests {
    use serde_json::json;

    use crate::vocabulary::VsError;
    use crate::vsphere::sim::test_support::*;
    use crate::vsphere::sim::*;

    #[tokio::test]
    async fn call_errors_name_the_method_and_argument() {
        let s = sim();
        let vm = find(&s, "DC0/vm/web/web-01");
        let e = fails_unchanged(&s, &vm, "FlyToTheMoon_Task", json!({}), "MethodNotFound").await;
        assert!(
            e.to_string().contains("FlyToTheMoon_Task") && e.to_string().contains("VirtualMachine"),
            "{e}"
        );
        fails_unchanged(
            &s,
            &find(&s, "DC0/host/prod/esx-01.lab.local"),
            "PowerOnVM_Task",
            json!({}),
            "MethodNotFound",
        )
        .await;
        fails_unchanged(
            &s,
            &MoRef::new("VirtualMachine", "vm-99999"),
            "PowerOnVM_Task",
            json!({}),
            "ManagedObjectNotFound",
        )
        .await;

        let r = call(
            &s,
            &vm,
            "CreateSnapshot_Task",
            json!({"name": "x", "memory": "yes", "quiesce": false}),
        )
        .await;
        assert!(
            matches!(&r, Err(VsError::InvalidArgument(m)) if m.contains("`memory`") && m.contains("true or false")),
            "{r:?}"
        );
        let r = call(
            &s,
            &vm,
            "CreateSnapshot_Task",
            json!({"memory": false, "quiesce": false}),
        )
        .await;
        assert!(
            matches!(&r, Err(VsError::InvalidArgument(m)) if m.contains("`name`")),
            "{r:?}"
        );
        let r = call(&s, &vm, "PowerOnVM_Task", json!({"host": "esx-01"})).await;
        assert!(
            matches!(&r, Err(VsError::InvalidArgument(m)) if m.contains("`host`") && m.contains("HostSystem")),
            "{r:?}"
        );
        let r = call(&s, &vm, "PowerOffVM_Task", json!({"force": true})).await;
        assert!(
            matches!(&r, Err(VsError::InvalidArgument(m)) if m.contains("`force`")),
            "{r:?}"
        );
        let r = call(
            &s,
            &find(&s, "DC0/host/prod/esx-01.lab.local"),
            "EnterMaintenanceMode_Task",
            json!({}),
        )
        .await;
        assert!(
            matches!(&r, Err(VsError::InvalidArgument(m)) if m.contains("`timeout`")),
            "{r:?}"
        );
        // A host given by reference must exist.
        fails_unchanged(
            &s,
            &find(&s, "DC0/vm/web/web-03"),
            "PowerOnVM_Task",
            json!({"host": {"type": "HostSystem", "value": "host-9999"}}),
            "ManagedObjectNotFound",
        )
        .await;
    }
}
