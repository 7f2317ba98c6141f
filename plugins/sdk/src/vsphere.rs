//! Reading and acting on vSphere through the host's session.
//!
//! Thin wrappers over the `vsphere` imports: they convert between the WIT
//! records and [`MoRef`]/[`Obj`]/`serde_json::Value`, so tool code never
//! handles JSON text. These functions need the host (they panic if called
//! in a native unit test), so keep decisions in pure functions.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::bindings::infra::vmware::vsphere as wit;
use crate::error::{Error, Result};
use crate::moref::MoRef;
use crate::object::Obj;

/// The service content (`rootFolder`, `searchIndex`, `about`…) as VI/JSON.
pub fn service_content() -> Result<Value> {
    let text = wit::service_content()?;
    parse_json(&text, "service content")
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
        root: root.map(MoRef::to_wit),
        recursive,
        properties: properties.iter().map(|p| p.to_string()).collect(),
    };
    let contents = wit::retrieve(&request)?;
    contents
        .into_iter()
        .map(|content| {
            let mut props = Map::new();
            for property in content.properties {
                let value = parse_json(&property.value, &property.path)?;
                props.insert(property.path, value);
            }
            Ok(Obj {
                reference: MoRef::from_wit(&content.ref_),
                props,
            })
        })
        .collect()
}

/// Call a vim25 method on `target` with arguments keyed by parameter name
/// (`null` means no arguments). Task methods are awaited by the host, which
/// returns the task's result. State-changing methods need a grant from
/// [`crate::approval::request`] first.
pub fn invoke(target: &MoRef, method: &str, arguments: Value) -> Result<Value> {
    let arguments = match arguments {
        Value::Null => Value::Object(Map::new()),
        Value::Object(map) => Value::Object(map),
        other => {
            return Err(Error::internal(format!(
                "invoke {method}: arguments must be a JSON object, not {other}"
            )));
        }
    };
    let text = wit::invoke(&target.to_wit(), method, &arguments.to_string())?;
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    parse_json(&text, method)
}

/// Read `properties` of one object. Tries the object's container (its
/// parent folder or compute resource) non-recursively first, which is cheap,
/// and falls back to the whole inventory when that view does not hold it.
pub fn read_object(
    reference: &MoRef,
    container: Option<&MoRef>,
    properties: &[&str],
) -> Result<Obj> {
    if let Some(container) = container
        && let Ok(objects) = retrieve(&reference.kind, Some(container), false, properties)
        && let Some(found) = objects.into_iter().find(|o| &o.reference == reference)
    {
        return Ok(found);
    }
    retrieve(&reference.kind, None, true, properties)?
        .into_iter()
        .find(|o| &o.reference == reference)
        .ok_or_else(|| {
            Error::not_found(format!(
                "{} {} no longer exists",
                reference.kind, reference.value
            ))
        })
}

/// The names of every `object_type` object, by reference, for showing names
/// of referenced objects (a VM's host, datastores…).
pub fn names(object_type: &str) -> Result<HashMap<MoRef, String>> {
    Ok(retrieve(object_type, None, true, &["name"])?
        .into_iter()
        .map(|o| {
            let name = o.name().to_string();
            (o.reference, name)
        })
        .collect())
}

/// Like [`names`], but a failure only logs a warning and yields no names:
/// for decoration that must not fail the tool (results then show ids).
pub fn names_or_empty(object_type: &str) -> HashMap<MoRef, String> {
    names(object_type).unwrap_or_else(|err| {
        crate::log::warn!(
            "could not read names; showing ids instead",
            object_type = object_type,
            error = err.message(),
        );
        HashMap::new()
    })
}

fn parse_json(text: &str, what: &str) -> Result<Value> {
    serde_json::from_str(text)
        .map_err(|err| Error::internal(format!("host returned invalid JSON for {what}: {err}")))
}
