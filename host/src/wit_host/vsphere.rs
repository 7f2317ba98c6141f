//! `infra:vmware/vsphere`: reads and actions through the gateway, which
//! applies the approval gate to every state-changing method, after the
//! group's capabilities allowed the type read or the method invoked.

use serde_json::{Map, Value};
use vmware_vocabulary::args::json_kind;

use crate::runtime::contract::latest::types::{Error, ObjectRef};
use crate::runtime::contract::latest::vsphere::{Host, ObjectContent, Property, RetrieveRequest};
use crate::runtime::state::PluginState;
use crate::vocabulary::VsError;
use crate::vsphere::classify;
use crate::vsphere::{MoRef, ObjectText, RetrieveSpec};
use crate::wit_host::OnCancel;

impl Host for PluginState {
    fn service_content(&mut self) -> Result<String, Error> {
        let content = self.host_call(OnCancel::Drop, "the service content", |env| async move {
            env.services.gateway.service_content(&env.ctx).await
        })?;
        Ok(content.to_string())
    }

    fn retrieve(&mut self, request: RetrieveRequest) -> Result<Vec<ObjectContent>, Error> {
        self.check_read(&request.object_type)?;
        let spec = RetrieveSpec {
            object_type: request.object_type,
            root: request.root.map(MoRef::from),
            recursive: request.recursive,
            properties: request.properties,
        };
        let objects = self.host_call(OnCancel::Drop, "a vCenter read", |env| async move {
            env.services.gateway.retrieve(&env.ctx, &spec).await
        })?;
        Ok(to_wit(objects.into_iter().map(ObjectText::from)))
    }

    fn read(
        &mut self,
        refs: Vec<ObjectRef>,
        properties: Vec<String>,
    ) -> Result<Vec<ObjectContent>, Error> {
        let refs: Vec<MoRef> = refs.into_iter().map(MoRef::from).collect();
        for r in &refs {
            self.check_read(&r.kind)?;
        }
        let objects = self.host_call(OnCancel::Drop, "a vCenter read", |env| async move {
            env.services
                .gateway
                .read_text(&env.ctx, &refs, &properties)
                .await
        })?;
        Ok(to_wit(objects))
    }

    fn invoke(
        &mut self,
        target: ObjectRef,
        method: String,
        arguments: String,
    ) -> Result<String, Error> {
        // The group's capabilities first: no grant can widen them.
        self.check_invoke(&target.type_, &method)?;
        let args = parse_arguments(&method, &arguments)?;
        let target = MoRef::from(target);
        // A read can be dropped when the client cancels; a state change
        // already sent runs to completion and the log says how it ended.
        let on_cancel = if classify::is_read_only(&target.kind, &method) {
            OnCancel::Drop
        } else {
            OnCancel::Finish
        };
        let what = format!("{method} on {target}");
        let result = self.host_call(on_cancel, &what, |env| async move {
            env.services
                .gateway
                .invoke(&env.ctx, &env.grants, &target, &method, &args)
                .await
        })?;
        Ok(result.to_string())
    }
}

/// Collected objects as WIT records, property values as VI/JSON text.
/// Objects as the WIT records a plugin receives, values as VI/JSON text.
fn to_wit(objects: impl IntoIterator<Item = ObjectText>) -> Vec<ObjectContent> {
    objects
        .into_iter()
        .map(|o| ObjectContent {
            ref_: o.reference.into(),
            properties: o
                .properties
                .into_iter()
                .map(|(path, value)| Property { path, value })
                .collect(),
        })
        .collect()
}

fn parse_arguments(method: &str, text: &str) -> Result<Map<String, Value>, VsError> {
    if text.trim().is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(Value::Null) => Ok(Map::new()),
        Ok(other) => Err(VsError::InvalidArgument(format!(
            "arguments to {method} must be a JSON object keyed by parameter name, not {}",
            json_kind(&other)
        ))),
        Err(e) => Err(VsError::InvalidArgument(format!(
            "arguments to {method} are not valid JSON: {e}"
        ))),
    }
}
