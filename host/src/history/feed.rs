//! The recent history's feed: two history collectors over all of history
//! (events, and tasks where the server has a task manager), their latest
//! pages watched like inventory properties, destroyed with the feed.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Map, Value, json};

use crate::vocabulary::VsError;
use crate::vsphere::history_filter::Collects;
use crate::vsphere::{
    Backend, CallContext, FeedInterrupter, MoRef, ObjectUpdate, UpdateFeed, WatchSpec,
};

/// The collectors a feed follows.
#[derive(Debug, Clone)]
pub(super) struct Followed {
    events: MoRef,
    tasks: Option<MoRef>,
}

impl Followed {
    /// What the collector `reference` collects, if it is one of these.
    pub(super) fn collects_of(&self, reference: &MoRef) -> Option<Collects> {
        if *reference == self.events {
            Some(Collects::Events)
        } else if self.tasks.as_ref() == Some(reference) {
            Some(Collects::Tasks)
        } else {
            None
        }
    }

    /// Whether it follows `collects`.
    pub(super) fn follows(&self, collects: Collects) -> bool {
        match collects {
            Collects::Events => true,
            Collects::Tasks => self.tasks.is_some(),
        }
    }

    /// The collectors, events first.
    pub(super) fn all(&self) -> impl Iterator<Item = &MoRef> {
        std::iter::once(&self.events).chain(self.tasks.as_ref())
    }
}

/// The feed of the followed collectors' latest pages.
pub(super) struct HistoryFeed {
    inner: Box<dyn UpdateFeed>,
    backend: Arc<dyn Backend>,
    followed: Followed,
}

/// The requests this feed makes, named so in vCenter's and our logs.
fn context() -> CallContext {
    CallContext {
        correlation_id: "recent-history".into(),
        ..Default::default()
    }
}

impl HistoryFeed {
    /// Create the collectors, their latest pages `capacity` items long,
    /// and a feed of those pages.
    pub(super) async fn open(
        backend: Arc<dyn Backend>,
        capacity: usize,
    ) -> Result<HistoryFeed, VsError> {
        let ctx = context();
        let content = backend.service_content(&ctx).await?;
        let manager = |field: &str| MoRef::from_json(&content[field]);
        let event_manager = manager("eventManager").ok_or_else(|| {
            VsError::NotFound("this server's service content names no eventManager".into())
        })?;
        let events = create(&*backend, &ctx, &event_manager, Collects::Events, capacity).await?;
        let tasks = match manager("taskManager") {
            Some(task_manager) => {
                match create(&*backend, &ctx, &task_manager, Collects::Tasks, capacity).await {
                    Ok(tasks) => Some(tasks),
                    Err(e) => {
                        tracing::info!(error = %e, "this server hands out no task collector; task pages are read from it directly");
                        None
                    }
                }
            }
            None => None,
        };
        let followed = Followed { events, tasks };
        let spec = WatchSpec {
            types: Vec::new(),
            objects: followed
                .all()
                .map(|c| (c.clone(), vec!["latestPage".to_string()]))
                .collect(),
        };
        match backend.watch(&spec).await {
            Ok(inner) => Ok(HistoryFeed {
                inner,
                backend,
                followed,
            }),
            Err(e) => {
                destroy(&*backend, &followed).await;
                Err(e)
            }
        }
    }

    /// The collectors it follows.
    pub(super) fn followed(&self) -> Followed {
        self.followed.clone()
    }
}

/// A collector over all of `collects`, its latest page `capacity` long.
async fn create(
    backend: &dyn Backend,
    ctx: &CallContext,
    manager: &MoRef,
    collects: Collects,
    capacity: usize,
) -> Result<MoRef, VsError> {
    let method = match collects {
        Collects::Events => "CreateCollectorForEvents",
        Collects::Tasks => "CreateCollectorForTasks",
    };
    let args = arguments(json!({"filter": {"_typeName": collects.filter_type()}}));
    let created = backend.invoke(ctx, manager, method, &args).await?;
    let collector = MoRef::from_json(&created).ok_or_else(|| {
        VsError::Internal(format!("{method} returned {created}, not a collector"))
    })?;
    let size = arguments(json!({ "maxCount": capacity }));
    if let Err(e) = backend
        .invoke(ctx, &collector, "SetCollectorPageSize", &size)
        .await
    {
        destroy_one(backend, ctx, &collector).await;
        return Err(e);
    }
    Ok(collector)
}

fn arguments(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

async fn destroy_one(backend: &dyn Backend, ctx: &CallContext, collector: &MoRef) {
    if let Err(e) = backend
        .invoke(ctx, collector, "DestroyCollector", &Map::new())
        .await
    {
        tracing::debug!(error = %e, %collector, "destroying a history collector failed; it goes with the session");
    }
}

async fn destroy(backend: &dyn Backend, followed: &Followed) {
    for collector in followed.all() {
        destroy_one(backend, &context(), collector).await;
    }
}

#[async_trait]
impl UpdateFeed for HistoryFeed {
    async fn next(&mut self, wait: Duration) -> Result<Vec<ObjectUpdate>, VsError> {
        self.inner.next(wait).await
    }

    fn interrupter(&self) -> Arc<dyn FeedInterrupter> {
        self.inner.interrupter()
    }

    async fn close(self: Box<Self>) {
        let HistoryFeed {
            inner,
            backend,
            followed,
        } = *self;
        inner.close().await;
        destroy(&*backend, &followed).await;
    }
}
