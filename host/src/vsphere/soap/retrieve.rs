//! Collecting properties with RetrievePropertiesEx /
//! ContinueRetrievePropertiesEx, page by page:
//!
//! - `retrieve`: every object of a type under a container, through a
//!   container view: 2 + the number of pages requests (CreateContainerView,
//!   the pages, DestroyView), whatever the number of objects; the view is
//!   destroyed even when reading fails, so views do not pile up.
//! - `read`: exactly the objects named, one ObjectSpec each and no view:
//!   one request for up to a page of objects, whatever the inventory's size.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::Inner;
use super::collector::view_object_spec;
use super::decode::unbox;
use super::fault::from_localized;
use crate::vocabulary::{Fault, VsError};
use crate::vsphere::schema::Kind;
use crate::vsphere::{CallContext, MoRef, ObjectContent, RetrieveSpec};

/// A `missingSet` fault that only means "this property is not set": the path
/// was checked against the schema before sending, so an InvalidProperty here
/// is a path through an unset value.
fn means_unset(fault_type: &str) -> bool {
    fault_type == "InvalidProperty"
}

fn object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

impl Inner {
    /// Collect `spec.properties` of every `spec.object_type` under the container.
    pub(super) async fn retrieve(
        &self,
        ctx: &CallContext,
        spec: &RetrieveSpec,
    ) -> Result<Vec<ObjectContent>, VsError> {
        if self.schema.kind(&spec.object_type) != Kind::Managed {
            return Err(VsError::InvalidArgument(format!(
                "retrieve: '{}' is not a vim25 managed object type",
                spec.object_type
            )));
        }
        let mut paths: Vec<String> = Vec::new();
        for p in &spec.properties {
            self.schema
                .check_property_path(&spec.object_type, p)
                .map_err(|e| {
                    VsError::InvalidArgument(format!(
                        "retrieve {}: property '{p}': {e}",
                        spec.object_type
                    ))
                })?;
            if !paths.contains(p) {
                paths.push(p.clone());
            }
        }
        let root = spec
            .root
            .clone()
            .unwrap_or_else(|| self.refs.root_folder.clone());
        let view = self
            .create_view(ctx, &root, &[&spec.object_type], spec.recursive)
            .await?;
        let mut prop_spec = json!({"type": spec.object_type, "all": false});
        if !paths.is_empty() {
            prop_spec["pathSet"] = json!(paths);
        }
        let spec_set = json!([{
            "propSet": [prop_spec],
            "objectSet": [view_object_spec(&view)]
        }]);
        let result = self.collect(ctx, spec_set, &paths).await;
        if let Err(e) = self.call(ctx, &view, "DestroyView", &Map::new()).await {
            tracing::warn!(view = %view, error = %e, "DestroyView failed; the view lives until the session ends");
        }
        result
    }

    /// Read `properties` of exactly `refs`: one ObjectSpec per object and a
    /// PropertySpec per type, no container view. vCenter fails the whole
    /// request with ManagedObjectNotFound when one object is gone; that
    /// object is then left out and the rest read again.
    pub(super) async fn read(
        &self,
        ctx: &CallContext,
        refs: &[MoRef],
        properties: &[String],
    ) -> Result<Vec<ObjectContent>, VsError> {
        let mut paths: Vec<String> = Vec::new();
        for p in properties {
            if !paths.contains(p) {
                paths.push(p.clone());
            }
        }
        let mut wanted: Vec<MoRef> = Vec::new();
        for r in refs {
            if self.schema.kind(&r.kind) != Kind::Managed {
                return Err(VsError::InvalidArgument(format!(
                    "read: '{}' is not a vim25 managed object type",
                    r.kind
                )));
            }
            for p in &paths {
                self.schema.check_property_path(&r.kind, p).map_err(|e| {
                    VsError::InvalidArgument(format!("read {}: property '{p}': {e}", r.kind))
                })?;
            }
            if !wanted.contains(r) {
                wanted.push(r.clone());
            }
        }
        while !wanted.is_empty() {
            let mut types: Vec<&str> = wanted.iter().map(|r| r.kind.as_str()).collect();
            types.sort_unstable();
            types.dedup();
            let prop_set: Vec<Value> = types
                .iter()
                .map(|t| json!({"type": t, "all": false, "pathSet": paths}))
                .collect();
            let object_set: Vec<Value> = wanted
                .iter()
                .map(|r| json!({"obj": r.to_json(), "skip": false}))
                .collect();
            let spec_set = json!([{ "propSet": prop_set, "objectSet": object_set }]);
            match self.collect(ctx, spec_set, &paths).await {
                Err(VsError::Fault(f)) if f.type_name == "ManagedObjectNotFound" => {
                    let gone = f.detail.get("obj").and_then(MoRef::from_json);
                    match gone.and_then(|g| wanted.iter().position(|r| *r == g)) {
                        Some(i) => {
                            wanted.remove(i);
                        }
                        None => return Err(VsError::Fault(f)),
                    }
                }
                other => return other,
            }
        }
        Ok(Vec::new())
    }

    /// Read all pages of a RetrievePropertiesEx over `spec_set`.
    async fn collect(
        &self,
        ctx: &CallContext,
        spec_set: Value,
        paths: &[String],
    ) -> Result<Vec<ObjectContent>, VsError> {
        let args = object(json!({
            "specSet": spec_set,
            "options": {"maxObjects": self.config.page_size.max(1)}
        }));
        let pc = &self.refs.property_collector;
        let mut page = self.call(ctx, pc, "RetrievePropertiesEx", &args).await?;
        let mut out = Vec::new();
        loop {
            let token = page
                .get("token")
                .and_then(Value::as_str)
                .map(str::to_string);
            if let Err(e) = read_page(&page, paths, &mut out) {
                if let Some(t) = token {
                    let cancel = object(json!({"token": t}));
                    if let Err(ce) = self
                        .call(ctx, pc, "CancelRetrievePropertiesEx", &cancel)
                        .await
                    {
                        tracing::debug!(error = %ce, "CancelRetrievePropertiesEx failed");
                    }
                }
                return Err(e);
            }
            let Some(token) = token else { break };
            page = self
                .call(
                    ctx,
                    pc,
                    "ContinueRetrievePropertiesEx",
                    &object(json!({"token": token})),
                )
                .await?;
        }
        Ok(out)
    }
}

/// Append one RetrieveResult's objects (null: no objects) to `out`.
fn read_page(page: &Value, paths: &[String], out: &mut Vec<ObjectContent>) -> Result<(), VsError> {
    let Some(objects) = page.get("objects").and_then(Value::as_array) else {
        return Ok(());
    };
    for oc in objects {
        let reference = oc.get("obj").and_then(MoRef::from_json).ok_or_else(|| {
            VsError::Internal("RetrievePropertiesEx returned an object without a reference".into())
        })?;
        if let Some(missing) = oc.get("missingSet").and_then(Value::as_array) {
            for m in missing {
                let path = m.get("path").and_then(Value::as_str).unwrap_or("?");
                let f = from_localized(m.get("fault").unwrap_or(&Value::Null));
                if !means_unset(&f.type_name) {
                    return Err(VsError::Fault(Fault {
                        message: format!("reading '{path}' of {reference}: {}", f.message),
                        ..f
                    }));
                }
            }
        }
        let mut found: HashMap<&str, &Value> = HashMap::new();
        for p in oc
            .get("propSet")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let (Some(name), Some(val)) = (p.get("name").and_then(Value::as_str), p.get("val")) {
                found.insert(name, val);
            }
        }
        let properties = paths
            .iter()
            .filter_map(|p| {
                found
                    .get(p.as_str())
                    .map(|v| (p.clone(), unbox((*v).clone())))
            })
            .filter(|(_, v)| !v.is_null())
            .collect();
        out.push(ObjectContent {
            reference,
            properties,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_keep_requested_order_and_skip_unset_properties() {
        let page = json!({
            "_typeName": "RetrieveResult",
            "objects": [{
                "_typeName": "ObjectContent",
                "obj": {"_typeName": "ManagedObjectReference", "type": "VirtualMachine", "value": "vm-1"},
                "propSet": [
                    {"_typeName": "DynamicProperty", "name": "runtime.powerState", "val": {"_typeName": "VirtualMachinePowerState", "_value": "poweredOn"}},
                    {"_typeName": "DynamicProperty", "name": "name", "val": {"_typeName": "string", "_value": "db1"}}
                ],
                "missingSet": [{"_typeName": "MissingProperty", "path": "snapshot.currentSnapshot",
                    "fault": {"_typeName": "LocalizedMethodFault", "fault": {"_typeName": "InvalidProperty", "name": "snapshot.currentSnapshot"}}}]
            }]
        });
        let paths = vec![
            "name".to_string(),
            "runtime.powerState".to_string(),
            "snapshot.currentSnapshot".to_string(),
        ];
        let mut out = Vec::new();
        read_page(&page, &paths, &mut out).unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].reference, MoRef::new("VirtualMachine", "vm-1"));
        assert_eq!(
            out[0].properties,
            vec![
                ("name".to_string(), json!("db1")),
                ("runtime.powerState".to_string(), json!("poweredOn"))
            ]
        );
    }

    #[test]
    fn other_missing_set_faults_are_reported() {
        let page = json!({"objects": [{
            "obj": {"type": "HostSystem", "value": "host-1"},
            "missingSet": [{"path": "config", "fault": {"fault": {"_typeName": "NoPermission", "privilegeId": "System.Read"}, "localizedMessage": "Permission to perform this operation was denied."}}]
        }]});
        let err = read_page(&page, &["config".to_string()], &mut Vec::new()).unwrap_err();
        let VsError::Fault(f) = err else {
            panic!("{err:?}")
        };
        assert_eq!(f.type_name, "NoPermission");
        assert!(
            f.message.contains("'config' of HostSystem:host-1") && f.message.contains("denied"),
            "{}",
            f.message
        );
        read_page(&Value::Null, &[], &mut Vec::new()).unwrap();
    }
}
