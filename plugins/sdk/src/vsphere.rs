//! Reading and acting on vSphere through the host's session.
//!
//! Thin wrappers over the `vsphere` imports: they convert between the WIT
//! records and [`MoRef`]/[`Obj`]/`serde_json::Value`, so tool code never
//! handles JSON text. Prefer [`read`] (exactly the objects named, one
//! request) and the [`crate::inventory`] index over [`retrieve`], whose cost
//! grows with the container it reads. These functions need the host (they
//! panic if called in a native unit test), so keep decisions in pure functions.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::bindings::infra::vmware::vsphere as wit;
use crate::error::{Error, ObjectRef, Result};
use crate::method::Method;
use crate::moref::MoRef;
use crate::object::Obj;
use crate::unboxed;

/// The service content (`rootFolder`, `searchIndex`, `about`…) as VI/JSON.
pub fn service_content() -> Result<Value> {
    let text = wit::service_content()?;
    parse_json(&text, "service content")
}

/// The object the service content names under `field` (`rootFolder`,
/// `eventManager`, `perfManager`…), read without building the rest of the
/// service content (about 5 KB): `not_found` when this vCenter (or ESXi)
/// has none.
pub fn service_object(field: &str) -> Result<MoRef> {
    let text = wit::service_content()?;
    unboxed::field::<MoRef>(&text, field)
        .map_err(|err| {
            Error::internal(format!(
                "host returned the service content in an unexpected form: {err}"
            ))
        })?
        .ok_or_else(|| Error::not_found(format!("this vSphere's service content names no {field}")))
}

/// Collect `properties` of every `object_type` object under `root` (the
/// root folder when `None`), descending below its direct children when
/// `recursive`. Unset properties are absent from [`Obj::props`].
pub fn retrieve(
    object_type: &str,
    root: Option<&MoRef>,
    recursive: bool,
    properties: &[&str],
) -> Result<Vec<Obj>> {
    let request = wit::RetrieveRequest {
        object_type: object_type.to_string(),
        root: root.map(ObjectRef::from),
        recursive,
        properties: properties.iter().map(|p| p.to_string()).collect(),
    };
    objects(wit::retrieve(&request)?)
}

/// Call a vim25 method (the constant the tool declared in
/// [`ToolSpec::invokes`](crate::ToolSpec::invokes)) on `target` with arguments keyed by parameter name
/// (`null` means no arguments). Task methods are awaited by the host, which
/// returns the task's result. State-changing methods need a grant from
/// [`crate::approval::request`] first.
pub fn invoke(target: &MoRef, method: Method, arguments: Value) -> Result<Value> {
    let method = method.name();
    let arguments = match arguments {
        Value::Null => Value::Object(Map::new()),
        Value::Object(map) => Value::Object(map),
        other => {
            return Err(Error::internal(format!(
                "invoke {method}: arguments must be a JSON object, not {other}"
            )));
        }
    };
    let text = wit::invoke(&target.into(), method, &arguments.to_string())?;
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    parse_json(&text, method)
}

/// Read `properties` of exactly these objects, in one request whatever the
/// inventory's size. Objects that no longer exist are left out. A property
/// that does not change while the server runs (the performance counter
/// catalog, `PerformanceManager.perfCounter`) is read from vCenter once and
/// then served from the host's memory, so read it on every call.
pub fn read(refs: &[MoRef], properties: &[&str]) -> Result<Vec<Obj>> {
    let refs: Vec<_> = refs.iter().map(ObjectRef::from).collect();
    let properties: Vec<String> = properties.iter().map(|p| p.to_string()).collect();
    objects(wit::read(&refs, &properties)?)
}

/// Read `properties` of one object; `not_found` when it no longer exists.
pub fn read_one(reference: &MoRef, properties: &[&str]) -> Result<Obj> {
    read(std::slice::from_ref(reference), properties)?
        .into_iter()
        .next()
        .ok_or_else(|| gone(reference))
}

/// One property of one object read straight into `T` (looking through a
/// box), without building a `Value` of it: for large values of which a tool
/// uses a few fields, such as a history collector's `latestPage`, where a
/// `T` naming only those fields skips the rest as it reads. `Ok(None)` when
/// the property is unset; `not_found` when the object no longer exists.
pub fn read_property<T: DeserializeOwned>(reference: &MoRef, property: &str) -> Result<Option<T>> {
    let refs = [ObjectRef::from(reference)];
    let content = wit::read(&refs, &[property.to_string()])?
        .into_iter()
        .next()
        .ok_or_else(|| gone(reference))?;
    content
        .properties
        .into_iter()
        .find(|p| p.path == property)
        .map(|p| {
            unboxed::from_str(&p.value).map_err(|err| {
                Error::internal(format!(
                    "host returned {property} of {reference} in an unexpected form: {err}"
                ))
            })
        })
        .transpose()
}

fn gone(reference: &MoRef) -> Error {
    Error::not_found(format!(
        "{} {} no longer exists",
        reference.kind, reference.value
    ))
}

fn objects(contents: Vec<wit::ObjectContent>) -> Result<Vec<Obj>> {
    contents
        .into_iter()
        .map(|content| {
            let mut props = Map::new();
            for property in content.properties {
                let value = parse_json(&property.value, &property.path)?;
                props.insert(property.path, value);
            }
            Ok(Obj {
                reference: MoRef::from(&content.ref_),
                props,
            })
        })
        .collect()
}

fn parse_json(text: &str, what: &str) -> Result<Value> {
    serde_json::from_str(text)
        .map_err(|err| Error::internal(format!("host returned invalid JSON for {what}: {err}")))
}
