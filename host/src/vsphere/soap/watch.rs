//! Update feeds over SOAP: a private PropertyCollector with one filter over
//! a container view of the whole inventory (plus the root folder) and any
//! objects named one by one (history collectors), read with `WaitForUpdatesEx` and its version, so that after the
//! first full read only changes cross the wire.
//!
//! Each wait is bounded (`maxWaitSeconds`) and its HTTP request gets only a
//! short grace beyond that, so a stalled vCenter shows within seconds as a
//! failed wait, which breaks the feed; the index then falls back to direct
//! reads and watches again.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Map, Value, json};

use super::Inner;
use super::collector::view_object_spec;
use super::decode::unbox;
use crate::vocabulary::VsError;
use crate::vsphere::{
    CallContext, FeedInterrupter, MoRef, ObjectUpdate, UpdateFeed, UpdateKind, WatchSpec,
};

/// How long a wait's HTTP request may run past its `maxWaitSeconds`: room
/// for a server that computes a large update set. Readiness does not wait
/// for it: the index reports the stream stalled after a few seconds without
/// a reply, whatever this grace.
const WAIT_GRACE: Duration = Duration::from_secs(10);

fn object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// An update feed in the backend's session.
pub(super) struct SoapFeed {
    inner: Arc<Inner>,
    ctx: CallContext,
    collector: MoRef,
    view: Option<MoRef>,
    version: String,
    generation: u64,
}

impl Inner {
    /// Create the collector, the view (when the spec watches inventory
    /// types) and the filters.
    pub(super) async fn watch(self: &Arc<Self>, spec: &WatchSpec) -> Result<SoapFeed, VsError> {
        let ctx = CallContext {
            correlation_id: "update-feed".into(),
            ..Default::default()
        };
        let generation = self.session.generation();
        let collector = self.create_collector(&ctx).await?;
        let view = if spec.types.is_empty() {
            None
        } else {
            let types: Vec<&str> = spec.types.iter().map(|(t, _)| t.as_str()).collect();
            let view = self
                .create_view(&ctx, &self.refs.root_folder, &types, true)
                .await?;
            let prop_set: Vec<Value> = spec
                .types
                .iter()
                .map(|(t, paths)| json!({"type": t, "all": false, "pathSet": paths}))
                .collect();
            let object_set = [
                view_object_spec(&view),
                json!({ "obj": self.refs.root_folder.to_json(), "skip": false }),
            ];
            self.create_filter(&ctx, &collector, prop_set, &object_set)
                .await?;
            Some(view)
        };
        // One filter per object: govmomi's vcsim 0.24 panics applying a
        // change to a filter whose other property specs name another type
        // when the object lives in the session (a history collector), a
        // simulator bug; vCenter takes either.
        for (object, paths) in &spec.objects {
            let prop_set = vec![json!({"type": object.kind, "all": false, "pathSet": paths})];
            let object_set = [json!({ "obj": object.to_json(), "skip": false })];
            self.create_filter(&ctx, &collector, prop_set, &object_set)
                .await?;
        }
        Ok(SoapFeed {
            inner: self.clone(),
            ctx,
            collector,
            view,
            version: String::new(),
            generation,
        })
    }

    /// One filter on `collector`: these properties of these objects.
    async fn create_filter(
        &self,
        ctx: &CallContext,
        collector: &MoRef,
        prop_set: Vec<Value>,
        object_set: &[Value],
    ) -> Result<(), VsError> {
        let filter = object(json!({
            "spec": { "propSet": prop_set, "objectSet": object_set },
            "partialUpdates": false
        }));
        self.call(ctx, collector, "CreateFilter", &filter).await?;
        Ok(())
    }
}

/// The object updates of one `UpdateSet`, in order.
fn updates_in(set: &Value) -> Vec<ObjectUpdate> {
    let mut out = Vec::new();
    let filters = set.get("filterSet").and_then(Value::as_array);
    for object_update in filters
        .into_iter()
        .flatten()
        .filter_map(|f| f.get("objectSet").and_then(Value::as_array))
        .flatten()
    {
        let Some(reference) = object_update.get("obj").and_then(MoRef::from_json) else {
            continue;
        };
        let kind = match object_update.get("kind").and_then(Value::as_str) {
            Some("enter") => UpdateKind::Enter,
            Some("leave") => UpdateKind::Leave,
            _ => UpdateKind::Modify,
        };
        let changes = object_update
            .get("changeSet")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|change| {
                let name = change.get("name")?.as_str()?.to_string();
                let removed = matches!(
                    change.get("op").and_then(Value::as_str),
                    Some("remove") | Some("indirectRemove")
                );
                let value = if removed {
                    None
                } else {
                    change
                        .get("val")
                        .cloned()
                        .map(unbox)
                        .filter(|v| !v.is_null())
                };
                Some((name, value))
            })
            .collect();
        out.push(ObjectUpdate {
            kind,
            reference,
            changes,
        });
    }
    out
}

#[async_trait]
impl UpdateFeed for SoapFeed {
    async fn next(&mut self, wait: Duration) -> Result<Vec<ObjectUpdate>, VsError> {
        let first = self.version.is_empty();
        // 0 asks for one update calculation and an answer at once.
        let wait_secs = wait.as_secs();
        let args = object(json!({
            "version": self.version,
            "options": {"maxWaitSeconds": wait_secs}
        }));
        // The first read returns the whole inventory and gets the ordinary
        // request timeout; later waits get only a short grace.
        let timeout = (!first).then(|| Duration::from_secs(wait_secs) + WAIT_GRACE);
        self.inner.feed_requests.fetch_add(1, Ordering::Relaxed);
        let set = match self
            .inner
            .call_with_timeout(
                &self.ctx,
                &self.collector,
                "WaitForUpdatesEx",
                &args,
                timeout,
            )
            .await
        {
            // CancelWaitForUpdates (the interrupter) ended the wait; the
            // version is unchanged, so the next wait brings the changes.
            Err(VsError::Fault(f)) if f.type_name == "RequestCanceled" => return Ok(Vec::new()),
            other => other?,
        };
        if set.is_null() {
            return Ok(Vec::new());
        }
        if let Some(version) = set.get("version").and_then(Value::as_str) {
            self.version = version.to_string();
        }
        Ok(updates_in(&set))
    }

    fn interrupter(&self) -> Arc<dyn FeedInterrupter> {
        Arc::new(SoapInterrupt {
            inner: self.inner.clone(),
            ctx: self.ctx.clone(),
            collector: self.collector.clone(),
        })
    }

    async fn close(self: Box<Self>) {
        if self.inner.session.generation() != self.generation {
            return; // the session that held them is gone, and they with it
        }
        let view = self.view.as_ref().map(|v| (v, "DestroyView"));
        for (target, method) in [(&self.collector, "DestroyPropertyCollector")]
            .into_iter()
            .chain(view)
        {
            if let Err(e) = self
                .inner
                .call(&self.ctx, target, method, &Map::new())
                .await
            {
                tracing::debug!(error = %e, method, "releasing an update feed failed");
            }
        }
    }
}

/// Cancels the feed's outstanding `WaitForUpdatesEx` on its own collector.
struct SoapInterrupt {
    inner: Arc<Inner>,
    ctx: CallContext,
    collector: MoRef,
}

#[async_trait]
impl FeedInterrupter for SoapInterrupt {
    async fn interrupt(&self) {
        self.inner.feed_requests.fetch_add(1, Ordering::Relaxed);
        if let Err(e) = self
            .inner
            .call(
                &self.ctx,
                &self.collector,
                "CancelWaitForUpdates",
                &Map::new(),
            )
            .await
        {
            tracing::debug!(error = %e, "cancelling an update feed's wait failed; it ends by itself");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_sets_become_enters_modifies_and_leaves() {
        let set = json!({
            "_typeName": "UpdateSet",
            "version": "2",
            "filterSet": [{
                "filter": {"type": "PropertyFilter", "value": "f-1"},
                "objectSet": [
                    {"kind": "enter", "obj": {"_typeName": "ManagedObjectReference", "type": "VirtualMachine", "value": "vm-1"},
                     "changeSet": [{"name": "name", "op": "assign", "val": {"_typeName": "string", "_value": "db1"}}]},
                    {"kind": "modify", "obj": {"type": "VirtualMachine", "value": "vm-2"},
                     "changeSet": [{"name": "runtime.host", "op": "remove"}]},
                    {"kind": "leave", "obj": {"type": "VirtualMachine", "value": "vm-3"}}
                ]
            }]
        });
        let updates = updates_in(&set);
        assert_eq!(updates.len(), 3);
        assert_eq!(updates[0].kind, UpdateKind::Enter);
        assert_eq!(
            updates[0].changes,
            [("name".to_string(), Some(json!("db1")))]
        );
        assert_eq!(updates[1].changes, [("runtime.host".to_string(), None)]);
        assert_eq!(updates[2].kind, UpdateKind::Leave);
        assert!(updates_in(&Value::Null).is_empty());
    }
}
