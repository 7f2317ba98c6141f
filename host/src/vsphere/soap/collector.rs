//! The server-side objects reads go through: container views (every object
//! of some types under a container) and private PropertyCollectors (so that
//! one wait for updates never takes another's). Retrieval, the inventory
//! feed and task waits all create them the same way.

use serde_json::{Map, Value, json};

use super::Inner;
use crate::vocabulary::VsError;
use crate::vsphere::{CallContext, MoRef};

/// The ObjectSpec that walks a container view to the objects in it.
pub(super) fn view_object_spec(view: &MoRef) -> Value {
    json!({
        "obj": view.to_json(),
        "skip": true,
        "selectSet": [{
            "_typeName": "TraversalSpec",
            "name": "traverseView",
            "type": "ContainerView",
            "path": "view",
            "skip": false
        }]
    })
}

impl Inner {
    /// A container view of `types` under `container`, directly or at any depth.
    pub(super) async fn create_view(
        &self,
        ctx: &CallContext,
        container: &MoRef,
        types: &[&str],
        recursive: bool,
    ) -> Result<MoRef, VsError> {
        let mut args = Map::new();
        args.insert("container".into(), container.to_json());
        args.insert("type".into(), json!(types));
        args.insert("recursive".into(), json!(recursive));
        let view = self
            .call(ctx, &self.refs.view_manager, "CreateContainerView", &args)
            .await?;
        MoRef::from_json(&view).ok_or_else(|| {
            VsError::Internal(format!("CreateContainerView returned {view}, not a view"))
        })
    }

    /// A PropertyCollector of this session's own.
    pub(super) async fn create_collector(&self, ctx: &CallContext) -> Result<MoRef, VsError> {
        let collector = self
            .call(
                ctx,
                &self.refs.property_collector,
                "CreatePropertyCollector",
                &Map::new(),
            )
            .await?;
        MoRef::from_json(&collector).ok_or_else(|| {
            VsError::Internal(format!(
                "CreatePropertyCollector returned {collector}, not a collector"
            ))
        })
    }
}
