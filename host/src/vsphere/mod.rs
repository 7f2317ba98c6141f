//! The vSphere capability the plugins use, and the backends that provide it.
//!
//! Both backends (the simulated inventory and the SOAP client) implement one
//! trait, so approval gating, logging and metrics wrap them in one place and a
//! plugin cannot tell them apart except by the `demo` flag in results.

pub mod claim_check;
pub mod claims;
pub mod classify;
pub mod fixed;
pub mod gateway;
pub mod history_filter;
pub mod hooks;
pub mod schema;
pub mod sim;
pub mod soap;

use std::time::Duration;

use async_trait::async_trait;
use serde::Serialize;
use serde_json::{Map, Value};

pub use crate::vocabulary::MoRef;
use crate::vocabulary::VsError;

/// What to collect: PropertyCollector semantics over a container view.
#[derive(Debug, Clone, PartialEq)]
pub struct RetrieveSpec {
    /// The managed object type to collect.
    pub object_type: String,
    /// The container; `None` is the root folder.
    pub root: Option<MoRef>,
    /// Descend below direct children.
    pub recursive: bool,
    /// Property paths to read.
    pub properties: Vec<String>,
}

/// One collected object: its reference and the requested properties that are set.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObjectContent {
    /// The object.
    pub reference: MoRef,
    /// `(path, VI/JSON value)` pairs in the order requested; unset ones are absent.
    pub properties: Vec<(String, Value)>,
}

/// One object's properties with each value as VI/JSON text: what a plugin
/// receives. A backend that keeps values already serialized hands them
/// over as they are (see [`Backend::read_text`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectText {
    /// The object.
    pub reference: MoRef,
    /// `(path, VI/JSON text)` pairs in the order requested; unset ones are absent.
    pub properties: Vec<(String, String)>,
}

impl From<ObjectContent> for ObjectText {
    fn from(content: ObjectContent) -> Self {
        ObjectText {
            reference: content.reference,
            properties: content
                .properties
                .into_iter()
                .map(|(path, value)| (path, value.to_string()))
                .collect(),
        }
    }
}

/// How an object changed, as vCenter's `ObjectUpdate.kind` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateKind {
    /// The object came into view (created, or moved into the watched tree).
    Enter,
    /// Some watched properties changed.
    Modify,
    /// The object left the view (destroyed, or moved out).
    Leave,
}

/// One object's change in an update feed.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectUpdate {
    /// Enter, modify or leave.
    pub kind: UpdateKind,
    /// The object.
    pub reference: MoRef,
    /// The watched properties that changed: a value, or `None` when the
    /// property became unset. An `Enter` carries every set property.
    pub changes: Vec<(String, Option<Value>)>,
}

/// What an update feed watches: properties by managed object type, over
/// the whole inventory (subtypes included), and properties of objects
/// outside the inventory, named one by one (a history collector's
/// `latestPage`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WatchSpec {
    /// `(type, property paths)` pairs, over the whole inventory.
    pub types: Vec<(String, Vec<String>)>,
    /// `(object, property paths)` pairs, each object by itself.
    pub objects: Vec<(MoRef, Vec<String>)>,
}

/// Incremental updates of the watched properties of every watched object,
/// from one PropertyCollector filter (`WaitForUpdatesEx` on vCenter).
#[async_trait]
pub trait UpdateFeed: Send {
    /// The next changes, waiting at most `wait` for some (an empty batch
    /// means nothing changed in that time). The first call returns every
    /// watched object as an `Enter`. An error means the feed is broken:
    /// drop it and watch again.
    async fn next(&mut self, wait: Duration) -> Result<Vec<ObjectUpdate>, VsError>;

    /// A handle that ends a `next` under way early, from another task,
    /// without losing the changes it would have returned: that `next`
    /// returns an empty batch and the following one brings them.
    fn interrupter(&self) -> std::sync::Arc<dyn FeedInterrupter>;

    /// Release what the feed holds on the server (collector, view).
    async fn close(self: Box<Self>);
}

/// Ends a feed's wait early (vCenter: `CancelWaitForUpdates`). Dropping a
/// wait would not do: the server goes on computing it, and the changes it
/// takes are lost with the reply nobody reads.
#[async_trait]
pub trait FeedInterrupter: Send + Sync {
    /// Ask the wait under way, if any, to return now.
    async fn interrupt(&self);
}

/// Told of the objects a state-changing call may have changed, so that
/// caches (the inventory index) are current for the next tool call without
/// waiting for the update stream.
#[async_trait]
pub trait ChangeObserver: Send + Sync {
    /// `refs` may have changed (the call's target, the references in its
    /// arguments and in its result).
    async fn changed(&self, ctx: &CallContext, refs: &[MoRef]);
}

/// Who is calling, so that a backend can tag its requests (vSphere's
/// `operationID`) and report task progress.
#[derive(Debug, Clone, Default)]
pub struct CallContext {
    /// The tool call's correlation id.
    pub correlation_id: String,
    /// Where to report the progress of tasks this call waits for (the MCP
    /// layer forwards it as progress notifications); `None` drops it.
    pub progress: Option<ProgressHook>,
    /// Where a backend names the vSphere task a state-changing call started;
    /// the gateway sets a fresh one per call and puts the id in the audit
    /// trail. Part of the context rather than the result, so that a call
    /// that fails after starting its task still names it.
    pub started_task: StartedTask,
    /// The names and paths this call resolved its objects by; every state
    /// change first checks them against vCenter (see [`claims`]).
    pub name_claims: claims::NameClaims,
    /// The durable request behind the call, told of every change sent.
    pub journal: hooks::Journal,
}

impl CallContext {
    /// Name the task this call started (the first one named wins, as a call
    /// that follows one task may touch others while doing so).
    pub fn report_task(&self, task: &MoRef) {
        if let Some(slot) = &self.started_task.0 {
            let mut slot = slot.lock().unwrap_or_else(|p| p.into_inner());
            if slot.is_none() {
                *slot = Some(task.value.clone());
                if let Some(journal) = &self.journal.0 {
                    journal.task_started(&task.value);
                }
            }
        }
    }

    /// Report task progress to the hook, if any.
    pub fn report_progress(&self, percent: u32, message: String) {
        if let Some(journal) = &self.journal.0 {
            journal.task_progress(percent.min(100));
        }
        if let Some(hook) = &self.progress {
            (hook.0)(percent.min(100), message);
        }
    }
}

/// The slot for [`CallContext::report_task`]: empty (reports are dropped)
/// unless the gateway is watching the call.
#[derive(Clone, Default)]
pub struct StartedTask(Option<std::sync::Arc<std::sync::Mutex<Option<String>>>>);

impl StartedTask {
    /// A slot that keeps the first task reported to it.
    pub fn watching() -> Self {
        StartedTask(Some(Default::default()))
    }

    /// The task id reported, if any.
    pub fn id(&self) -> Option<String> {
        self.0
            .as_ref()
            .and_then(|slot| slot.lock().unwrap_or_else(|p| p.into_inner()).clone())
    }
}

impl std::fmt::Debug for StartedTask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "watching"
        } else {
            "unwatched"
        })
    }
}

/// A callback receiving `(percent 0..=100, message)` while a task runs.
/// Wrapped so that [`CallContext`] stays `Debug` and cheap to clone.
#[derive(Clone)]
pub struct ProgressHook(pub std::sync::Arc<dyn Fn(u32, String) + Send + Sync>);

impl ProgressHook {
    /// Wrap a closure.
    pub fn new(f: impl Fn(u32, String) + Send + Sync + 'static) -> Self {
        ProgressHook(std::sync::Arc::new(f))
    }
}

impl std::fmt::Debug for ProgressHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProgressHook")
    }
}

/// What a backend counts on its own: its HTTP requests (so a test can show a
/// listing grows with pages, not with objects) and its re-logins.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BackendCounters {
    /// HTTP requests sent to vCenter.
    pub requests: u64,
    /// Of those, the update feeds' waits for changes and their
    /// cancellations: what the server asks in the background, whatever
    /// the tool calls, so that a call's own cost can be told apart.
    pub feed_requests: u64,
    /// Logins after the session expired.
    pub relogins: u64,
}

/// A source of vSphere inventory and actions.
#[async_trait]
pub trait Backend: Send + Sync {
    /// True for the simulated inventory, so results can say no vCenter was used.
    fn is_simulated(&self) -> bool;

    /// Whether the backend can serve calls now (for `/readyz`): a live session for vCenter.
    async fn is_ready(&self) -> bool {
        true
    }

    /// Counters the backend keeps itself, exported as metrics.
    fn counters(&self) -> BackendCounters {
        BackendCounters::default()
    }

    /// Release the session at shutdown (vCenter: Logout).
    async fn shutdown(&self) {}

    /// The service content as VI/JSON (`rootFolder`, `searchIndex`, `about`...).
    async fn service_content(&self, ctx: &CallContext) -> Result<Value, VsError>;

    /// Collect properties of objects of one type under a container.
    async fn retrieve(
        &self,
        ctx: &CallContext,
        spec: &RetrieveSpec,
    ) -> Result<Vec<ObjectContent>, VsError>;

    /// Read `properties` of exactly these objects, in one request whatever
    /// the inventory's size. Objects that no longer exist are left out.
    async fn read(
        &self,
        ctx: &CallContext,
        refs: &[MoRef],
        properties: &[String],
    ) -> Result<Vec<ObjectContent>, VsError>;

    /// [`Backend::read`] with each value as VI/JSON text, for a plugin.
    /// Override it where values are kept serialized, so that a large value
    /// (a page of the recent history) is not built and serialized again on
    /// every read.
    async fn read_text(
        &self,
        ctx: &CallContext,
        refs: &[MoRef],
        properties: &[String],
    ) -> Result<Vec<ObjectText>, VsError> {
        let objects = self.read(ctx, refs, properties).await?;
        Ok(objects.into_iter().map(ObjectText::from).collect())
    }

    /// Start an update feed over the whole inventory and the named objects.
    async fn watch(&self, spec: &WatchSpec) -> Result<Box<dyn UpdateFeed>, VsError>;

    /// Call a vim25 method on `target` with arguments by parameter name. Task
    /// methods are awaited: the result is the task's result (or null), or its fault.
    async fn invoke(
        &self,
        ctx: &CallContext,
        target: &MoRef,
        method: &str,
        args: &Map<String, Value>,
    ) -> Result<Value, VsError>;
}

/// A vCenter task's `info` (its TaskInfo, VI/JSON), read by id: how a change
/// that was sent ended, or whether it can still be cancelled. `None` when
/// vCenter no longer knows the task (it forgets finished ones after a while).
pub async fn task_info(
    backend: &dyn Backend,
    ctx: &CallContext,
    task_id: &str,
) -> Result<Option<Value>, VsError> {
    let task = MoRef::new("Task", task_id);
    let objects = backend
        .read(ctx, std::slice::from_ref(&task), &["info".into()])
        .await?;
    Ok(objects
        .into_iter()
        .next()
        .and_then(|o| o.properties.into_iter().next().map(|(_, v)| v)))
}
