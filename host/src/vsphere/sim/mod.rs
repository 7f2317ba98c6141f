//! The simulated vCenter: an in-memory inventory that implements [`Backend`]
//! with vCenter's semantics, for `vmware-mcp --demo` and as the stub host that
//! plugin tests run against. The same tool tests also run against govmomi's
//! vcsim, so the simulator answers as vCenter does: vim25 property names and
//! shapes, container-view scoping, the faults each method raises (with their
//! vim25 type names and detail fields), and no change at all when a call fails.
//!
//! The code is laid out by managed type, as govmomi's simulator is: each
//! type's module holds how its objects are built, the properties vSphere
//! derives for them, and their methods, so that a change to one type stays in
//! one place.
//!
//! * Managed types: `folder`, `datacenter`, `compute_resource` (clusters and
//!   standalone hosts' compute resources), `resource_pool`, `host`,
//!   `datastore`, `network`, `vm` (with its `vm::snapshot`s, which change the
//!   VM's state and which its methods take and drop), and `service` (the
//!   ServiceInstance), with `perf_manager` (its counters and `QueryPerf`)
//!   among the singleton managers. `entity` holds what every managed entity shares:
//!   initial properties, naming rules, `Rename_Task`.
//! * The store: objects are VI/JSON property trees (`model`) with vCenter
//!   ids (`group-d1`, `datacenter-2`, `domain-c7`, `host-12`, `vm-42`,
//!   `snapshot-101`…). Properties vSphere computes (inverse links, summaries,
//!   guest info, quick stats) are recomputed after every change: `resync`
//!   hands each object to its type's `derive`, using the inverse-link index
//!   and change list in `derive`.
//! * Reading: `retrieve` walks a container view (`container`) and reads dotted
//!   paths (`props`), rejecting paths the vim25 types do not have (`schema`);
//!   `watch` serves update feeds and targeted reads.
//! * Calling: `invoke` dispatches by target type to the type's methods (and
//!   to `search` for the SearchIndex), which read their arguments through
//!   `args` and raise vCenter's faults from `faults`; task methods sleep
//!   briefly to feel like tasks.
//! * Inventories load from fixtures ([`fixture`]); the demo inventory is
//!   `host/fixtures/demo-inventory.json`, built into the binary.

mod args;
mod compute_resource;
mod container;
mod datacenter;
mod datastore;
mod datastore_browser;
mod derive;
mod entity;
mod faults;
pub mod fixture;
mod folder;
mod history;
mod host;
mod model;
mod network;
mod perf_manager;
mod props;
mod resource_pool;
mod resync;
mod schema;
mod search;
mod service;
mod vm;
mod watch;

#[cfg(test)]
mod test_support;

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Map, Value};
use time::OffsetDateTime;

pub use fixture::{Fixture, FixtureError};

use self::args::Call;
use self::model::Model;
use super::{Backend, CallContext, MoRef, ObjectContent, RetrieveSpec, UpdateFeed, WatchSpec};
use crate::vocabulary::VsError;

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
    /// Tasks started so far, numbering the next one.
    tasks_started: Arc<std::sync::atomic::AtomicU64>,
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
            tasks_started: Arc::default(),
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

/// Run one method against the model: dispatch by the target's type, record
/// it in the history (a task's `TaskInfo`, the event vCenter logs), then
/// recompute derived properties. `task` is the id of the task the method
/// runs as, when it returns one.
fn dispatch(
    m: &mut Model,
    target: &MoRef,
    method: &str,
    args: &Map<String, Value>,
    task: Option<&str>,
) -> Result<Value, VsError> {
    let kind = m.resolve(target)?.kind.clone();
    let call = Call {
        target,
        method,
        args,
        now: OffsetDateTime::now_utc(),
    };
    let subject = history::Subject::of(m, &target.value);
    let result = match kind.as_str() {
        "VirtualMachine" => vm::invoke(m, &call),
        "VirtualMachineSnapshot" => vm::snapshot::invoke(m, &call),
        "HostSystem" => host::invoke(m, &call),
        "Folder" => folder::invoke(m, &call),
        "ResourcePool" => resource_pool::invoke(m, &call),
        "SearchIndex" => search::invoke(m, &call),
        "HostDatastoreBrowser" => datastore_browser::invoke(m, &call),
        "PerformanceManager" => perf_manager::invoke(m, &call),
        "ServiceInstance" => service::invoke(m, &call),
        "EventManager" => history::invoke_event_manager(m, &call),
        "TaskManager" => history::invoke_task_manager(m, &call),
        "EventHistoryCollector" | "TaskHistoryCollector" => history::invoke_collector(m, &call),
        k if schema::is_entity(k) => entity::invoke(m, &call, entity::Rules::NONE),
        _ => Err(call.not_found(&[])),
    };
    if let Some(subject) = &subject {
        history::record_task(
            m,
            history::Finished {
                task,
                method,
                subject,
                started: call.now,
                outcome: &result,
            },
        );
    }
    if result.is_ok() {
        resync::resync(m, call.now);
    } else if task.is_some() {
        // A failed task changes nothing but the history.
        resync::resync_history(m);
    }
    result
}

#[async_trait]
impl Backend for SimBackend {
    fn is_simulated(&self) -> bool {
        true
    }

    async fn service_content(&self, _ctx: &CallContext) -> Result<Value, VsError> {
        let m = self.lock();
        m.try_get("ServiceInstance")?
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
            let o = m.try_get(&id)?;
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
        Ok(Box::new(watch::SimFeed::new(
            self.model.clone(),
            self.changes.subscribe(),
            spec.clone(),
        )))
    }

    async fn invoke(
        &self,
        ctx: &CallContext,
        target: &MoRef,
        method: &str,
        args: &Map<String, Value>,
    ) -> Result<Value, VsError> {
        let task = schema::returns_task(&target.kind, method).then(|| {
            let n = self
                .tasks_started
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                + 1;
            format!("task-{n}")
        });
        if let Some(task) = &task {
            ctx.report_task(&MoRef::new("Task", task.clone()));
            ctx.report_progress(0, format!("{method} on {target} started"));
            if !self.task_delay.is_zero() {
                tokio::time::sleep(self.task_delay).await;
            }
        }
        let result = {
            let mut m = self.lock();
            dispatch(&mut m, target, method, args, task.as_deref())
        };
        if result.is_ok() {
            self.changes.send_modify(|version| *version += 1);
        }
        if task.is_some() && result.is_ok() {
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

/// Behaviour tests through the `Backend` trait, as a plugin sees it: every
/// method's effect, every fault, and that a fault leaves the inventory as it was.
#[cfg(test)]
mod backend_tests {
    use std::time::Duration;

    use serde_json::json;

    use crate::vsphere::sim::test_support::*;
    use crate::vsphere::sim::*;

    #[tokio::test]
    async fn demo_inventory_has_the_promised_shape() {
        let s = sim();
        assert!(s.is_simulated());
        assert_eq!(all(&s, "Datacenter", &[]).await.len(), 1);
        let clusters = all(
            &s,
            "ClusterComputeResource",
            &["name", "host", "configurationEx"],
        )
        .await;
        assert_eq!(clusters.len(), 2);
        let computes = all(&s, "ComputeResource", &[]).await;
        assert_eq!(computes.len(), 3, "two clusters and one standalone host");
        let hosts = all(&s, "HostSystem", &["name"]).await;
        assert!(hosts.len() >= 5, "{} hosts", hosts.len());
        let vms = all(
            &s,
            "VirtualMachine",
            &["name", "config.template", "runtime.powerState"],
        )
        .await;
        assert!(vms.len() >= 15, "{} VMs", vms.len());
        let states: Vec<String> = vms
            .iter()
            .filter_map(|o| o.properties.iter().find(|(p, _)| p == "runtime.powerState"))
            .map(|(_, v)| v.to_string())
            .collect();
        for st in ["poweredOn", "poweredOff", "suspended"] {
            assert!(states.iter().any(|x| x.contains(st)), "some VM is {st}");
        }
        // The prod cluster has DRS and three hosts.
        let prod = find(&s, "DC0/host/prod");
        assert_eq!(ref_values(read(&s, &prod, "host").await).len(), 3);
        assert_eq!(
            read(&s, &prod, "configurationEx.drsConfig.enabled").await,
            Some(json!(true))
        );
        // Folders, the ambiguous name, nested snapshot trees.
        for p in [
            "DC0/vm/web/web-01",
            "DC0/vm/db/db-01",
            "DC0/vm/dev/dev-app-01",
            "DC0/vm/dev/team-a/team-a-build-01",
        ] {
            find(&s, p);
        }
        let a = find(&s, "DC0/vm/web/app-01");
        let b = find(&s, "DC0/vm/dev/app-01");
        assert_ne!(a, b);
        let names: Vec<&ObjectContent> = vms
            .iter()
            .filter(|o| {
                o.properties
                    .iter()
                    .any(|(p, v)| p == "name" && v == "app-01")
            })
            .collect();
        assert_eq!(names.len(), 2);
        let db1 = find(&s, "DC0/vm/db/db-01");
        let tree = read(&s, &db1, "snapshot").await.unwrap_or_default();
        assert_eq!(tree["rootSnapshotList"][0]["name"], "base");
        assert_eq!(
            tree["rootSnapshotList"][0]["childSnapshotList"][0]["childSnapshotList"][0]["name"],
            "post-upgrade"
        );
        // Service content.
        let sc = s.service_content(&ctx()).await.unwrap_or_default();
        assert_eq!(sc["rootFolder"]["value"], "group-d1");
        assert_eq!(sc["about"]["apiType"], "VirtualCenter");
        assert_eq!(sc["about"]["apiVersion"], "8.0.3.0");
        assert_eq!(sc["searchIndex"]["type"], "SearchIndex");
    }

    #[tokio::test]
    async fn inverse_links_are_consistent() {
        let s = sim();
        let vms = all(
            &s,
            "VirtualMachine",
            &[
                "runtime.host",
                "resourcePool",
                "datastore",
                "parent",
                "summary.vm",
            ],
        )
        .await;
        for vm in &vms {
            let get = |p: &str| {
                vm.properties
                    .iter()
                    .find(|(k, _)| k == p)
                    .map(|(_, v)| v.clone())
            };
            assert_eq!(
                get("summary.vm")
                    .and_then(|v| MoRef::from_json(&v))
                    .as_ref(),
                Some(&vm.reference)
            );
            let host = get("runtime.host")
                .and_then(|v| MoRef::from_json(&v))
                .unwrap_or_else(|| panic!("{} has a host", vm.reference));
            assert!(ref_values(read(&s, &host, "vm").await).contains(&vm.reference.value));
            if let Some(pool) = get("resourcePool").and_then(|v| MoRef::from_json(&v)) {
                assert!(ref_values(read(&s, &pool, "vm").await).contains(&vm.reference.value));
            }
            let parent = get("parent")
                .and_then(|v| MoRef::from_json(&v))
                .unwrap_or_else(|| panic!("{} has a parent", vm.reference));
            assert!(
                ref_values(read(&s, &parent, "childEntity").await).contains(&vm.reference.value)
            );
            for ds in ref_values(get("datastore")) {
                assert!(
                    ref_values(read(&s, &MoRef::new("Datastore", ds), "vm").await)
                        .contains(&vm.reference.value)
                );
            }
        }
    }

    #[tokio::test]
    async fn service_instance_and_shared_handles() {
        let s = sim();
        let si = MoRef::new("ServiceInstance", "ServiceInstance");
        let content = ok(&s, &si, "RetrieveServiceContent", json!({})).await;
        assert_eq!(content["rootFolder"], root_folder().to_json());
        let t = ok(&s, &si, "CurrentTime", json!({})).await;
        assert!(t.as_str().is_some_and(|x| x.contains('T')));
        // A clone of the backend is another session to the same vCenter.
        let other = s.clone();
        let vm = find(&s, "DC0/vm/web/web-01");
        ok(&other, &vm, "PowerOffVM_Task", json!({})).await;
        assert_eq!(read_str(&s, &vm, "runtime.powerState").await, "poweredOff");
    }

    #[tokio::test]
    async fn tasks_take_a_little_time() {
        let s = SimBackend::demo().with_task_delay(Duration::from_millis(20));
        let vm = find(&s, "DC0/vm/web/web-03");
        let start = std::time::Instant::now();
        ok(&s, &vm, "PowerOnVM_Task", json!({})).await;
        assert!(start.elapsed() >= Duration::from_millis(20));
    }
}
