//! The simulated vCenter: an in-memory inventory that implements [`Backend`]
//! with vCenter's semantics, for `vmware-mcp --demo` and as the stub host that
//! plugin tests run against. The same tool tests also run against govmomi's
//! vcsim, so the simulator answers as vCenter does: vim25 property names and
//! shapes, container-view scoping, the faults each method raises (with their
//! vim25 type names and detail fields), and no change at all when a call fails.
//!
//! * Objects are stored as VI/JSON property trees (`model`) with vCenter
//!   ids (`group-d1`, `datacenter-2`, `domain-c7`, `host-12`, `vm-42`,
//!   `snapshot-101`…); properties vSphere computes (inverse links, summaries,
//!   guest info, quick stats) are recomputed after every change (`derive`).
//! * `retrieve` walks a container view (`container`) and reads dotted paths
//!   (`props`), rejecting paths the vim25 types do not have (`schema`).
//! * `invoke` dispatches by target type to `vm`, `snapshot`, `host`,
//!   `search` and `entity`; task methods sleep briefly to feel like tasks.
//! * Inventories load from fixtures ([`fixture`]); the demo inventory is
//!   `host/fixtures/demo-inventory.json`, built into the binary.

mod args;
mod build;
mod container;
mod derive;
mod entity;
mod faults;
pub mod fixture;
mod host;
mod model;
mod props;
mod schema;
mod search;
mod snapshot;
mod vim_types;
mod vm;
mod watch;

#[cfg(test)]
mod tests;

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Map, Value};
use time::OffsetDateTime;

pub use fixture::{Fixture, FixtureError};

use self::model::Model;
use super::{Backend, CallContext, MoRef, ObjectContent, RetrieveSpec, UpdateFeed, WatchSpec};
use crate::error::VsError;

/// The demo inventory's fixture text, built into the binary so `--demo` needs no files.
pub const DEMO_FIXTURE: &str = include_str!("../../../fixtures/demo-inventory.json");

/// An in-memory vCenter. Cloning shares the inventory (like a second session
/// to the same vCenter), so a test can keep a handle while the host uses another.
#[derive(Clone)]
pub struct SimBackend {
    model: Arc<Mutex<Model>>,
    task_delay: Duration,
    /// Bumped after every successful change, waking update feeds.
    changes: Arc<tokio::sync::watch::Sender<u64>>,
}

impl std::fmt::Debug for SimBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimBackend")
            .field("task_delay", &self.task_delay)
            .finish_non_exhaustive()
    }
}

impl SimBackend {
    fn from_model(model: Model) -> Self {
        SimBackend {
            model: Arc::new(Mutex::new(model)),
            task_delay: Duration::from_millis(3),
            changes: Arc::new(tokio::sync::watch::Sender::new(0)),
        }
    }

    /// The demo inventory (one datacenter, two clusters and a standalone host,
    /// twenty VMs and templates in several folders), for `--demo` and for trying plugins.
    pub fn demo() -> Self {
        match Self::from_fixture_json(DEMO_FIXTURE) {
            Ok(sim) => sim,
            // The fixture is checked in and loaded by a unit test; this cannot happen in a tested build.
            Err(e) => panic!("the built-in demo inventory does not load: {e}"),
        }
    }

    /// An inventory described by a parsed fixture.
    pub fn from_fixture(fixture: &Fixture) -> Result<Self, FixtureError> {
        Ok(Self::from_model(fixture::build(
            fixture,
            OffsetDateTime::now_utc(),
        )?))
    }

    /// An inventory described by fixture JSON text; the error names the entry at fault.
    pub fn from_fixture_json(text: &str) -> Result<Self, FixtureError> {
        Ok(Self::from_model(fixture::load(
            text,
            OffsetDateTime::now_utc(),
        )?))
    }

    /// An inventory described by a fixture file; the error names the file or the entry at fault.
    pub fn from_fixture_file(path: impl AsRef<Path>) -> Result<Self, FixtureError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| FixtureError {
            entry: path.display().to_string(),
            message: format!("cannot read the fixture: {e}"),
        })?;
        Self::from_fixture_json(&text).map_err(|e| FixtureError {
            entry: format!("{}: {}", path.display(), e.entry),
            message: e.message,
        })
    }

    /// How long task methods (`…_Task`) take; zero makes tests fastest.
    pub fn with_task_delay(mut self, delay: Duration) -> Self {
        self.task_delay = delay;
        self
    }

    fn lock(&self) -> MutexGuard<'_, Model> {
        // A panic while holding the lock cannot leave a half-applied change
        // (methods check before they write), so a poisoned lock is still usable.
        self.model
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The inventory path of an object (`DC0/vm/web/web-01`), for tests and
    /// messages; `None` when it does not exist.
    pub fn inventory_path(&self, r: &MoRef) -> Option<String> {
        let m = self.lock();
        m.resolve(r).ok().map(|o| m.inventory_path(&o.id))
    }

    /// The reference at an inventory path, as `FindByInventoryPath` answers.
    pub fn find_by_path(&self, path: &str) -> Option<MoRef> {
        let m = self.lock();
        search::find_by_path(&m, path).and_then(|id| m.moref(&id))
    }
}

/// Run one method against the model: dispatch by the target's type, then
/// recompute derived properties after a success.
fn dispatch(
    m: &mut Model,
    target: &MoRef,
    method: &str,
    args: &Map<String, Value>,
) -> Result<Value, VsError> {
    let kind = m.resolve(target)?.kind.clone();
    let now = OffsetDateTime::now_utc();
    let result = match kind.as_str() {
        "VirtualMachine" => vm::invoke(m, target, method, args, now),
        "VirtualMachineSnapshot" => snapshot::invoke(m, target, method, args, now),
        "HostSystem" => host::invoke(m, target, method, args),
        "SearchIndex" => search::invoke(m, target, method, args),
        "ServiceInstance" => entity::invoke_service(m, target, method, args, now),
        k if schema::is_entity(k) => entity::invoke(m, target, method, args),
        _ => Err(faults::method_not_found(target, method, &[])),
    }?;
    derive::resync(m, now);
    Ok(result)
}

#[async_trait]
impl Backend for SimBackend {
    fn is_simulated(&self) -> bool {
        true
    }

    async fn service_content(&self, _ctx: &CallContext) -> Result<Value, VsError> {
        let m = self.lock();
        m.expect("ServiceInstance")?
            .get("content")
            .cloned()
            .ok_or_else(|| VsError::Internal("no service content".into()))
    }

    async fn retrieve(
        &self,
        _ctx: &CallContext,
        spec: &RetrieveSpec,
    ) -> Result<Vec<ObjectContent>, VsError> {
        let m = self.lock();
        let ids = container::view(&m, &spec.object_type, spec.root.as_ref(), spec.recursive)?;
        let mut paths: Vec<&String> = Vec::new();
        for p in &spec.properties {
            if !paths.contains(&p) {
                paths.push(p);
            }
        }
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let o = m.expect(&id)?;
            let mut properties = Vec::new();
            for p in &paths {
                if let Some(v) = props::read(o, p)? {
                    properties.push(((*p).clone(), v));
                }
            }
            out.push(ObjectContent {
                reference: o.moref(),
                properties,
            });
        }
        Ok(out)
    }

    async fn read(
        &self,
        _ctx: &CallContext,
        refs: &[MoRef],
        properties: &[String],
    ) -> Result<Vec<ObjectContent>, VsError> {
        watch::read(&self.lock(), refs, properties)
    }

    async fn watch(&self, spec: &WatchSpec) -> Result<Box<dyn UpdateFeed>, VsError> {
        Ok(Box::new(watch::SimFeed::new(self.clone(), spec.clone())))
    }

    async fn invoke(
        &self,
        ctx: &CallContext,
        target: &MoRef,
        method: &str,
        args: &Map<String, Value>,
    ) -> Result<Value, VsError> {
        let task = method.ends_with("_Task");
        if task {
            static TASKS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
            let n = TASKS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            super::task_id::report(&MoRef::new("Task", format!("task-{n}")));
            ctx.report_progress(0, format!("{method} on {target} started"));
            if !self.task_delay.is_zero() {
                tokio::time::sleep(self.task_delay).await;
            }
        }
        let result = {
            let mut m = self.lock();
            dispatch(&mut m, target, method, args)
        };
        if result.is_ok() {
            self.changes.send_modify(|version| *version += 1);
        }
        if task && result.is_ok() {
            ctx.report_progress(100, format!("{method} on {target} completed"));
        }
        match &result {
            Ok(_) => {
                tracing::debug!(correlation_id = %ctx.correlation_id, %target, method, "simulated call succeeded")
            }
            Err(e) => {
                tracing::debug!(correlation_id = %ctx.correlation_id, %target, method, error = %e, "simulated call failed")
            }
        }
        result
    }
}
