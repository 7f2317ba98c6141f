//! The harness: one tool-group component in the host's real runtime, in
//! front of a simulated inventory, with scripted approvals and a record of
//! what each call did.
//!
//! ```no_run
//! # async fn example() -> anyhow::Result<()> {
//! use serde_json::json;
//! use vmware_mcp::testing::{Approvals, Harness, Inventory};
//!
//! let harness = Harness::load(
//!     "target/wasm32-wasip2/release/my_group.wasm".as_ref(),
//!     Inventory::FixtureFile("fixtures/inventory.json".into()),
//! )
//! .await?;
//! harness.set_approvals(Approvals::Grant);
//! let call = harness.call("powerOffVm", json!({"vmName": "web-01"})).await;
//! assert_eq!(call.invoked(), ["PowerOffVM_Task"]);
//! # Ok(())
//! # }
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use serde_json::Value;

use crate::approval::client::ClientLink;
use crate::approval::gate::ApprovalGate;
use crate::approval::grants::CallGrants;
use crate::approval::policy::Policy;
use crate::approval::target_locks::{LOCK_WAIT, TargetLocks};
use crate::inventory::InventoryService;
use crate::runtime::cache::ComponentCache;
use crate::runtime::contract::latest::tool_group::Manifest;
use crate::runtime::limits::PluginLimits;
use crate::runtime::state::{CallEnv, HostServices};
use crate::runtime::{LoadedPlugin, PluginRuntime};
use crate::telemetry::metrics::Metrics;
use crate::vocabulary::{ErrorKind, VsError};
use crate::vsphere::gateway::Gateway;
use crate::vsphere::sim::SimBackend;
use crate::vsphere::{Backend, CallContext};

use super::approver::{ApprovalAsked, Approvals, ScriptedApprover};
use super::recorder::{Invocation, RecordingBackend};

/// The simulated inventory a harness serves.
#[derive(Debug, Clone)]
pub enum Inventory {
    /// The server's built-in demo inventory (`--demo`).
    Demo,
    /// A fixture file in the simulator's format (`--inventory FIXTURE`).
    FixtureFile(PathBuf),
    /// A fixture as JSON text.
    FixtureJson(String),
}

impl Inventory {
    fn backend(&self) -> anyhow::Result<SimBackend> {
        Ok(match self {
            Inventory::Demo => SimBackend::demo(),
            Inventory::FixtureFile(path) => SimBackend::from_fixture_file(path)
                .with_context(|| format!("loading the inventory fixture {}", path.display()))?,
            Inventory::FixtureJson(text) => {
                SimBackend::from_fixture_json(text).context("loading the inventory fixture")?
            }
        })
    }
}

/// What one tool call did: its result and what happened below the plugin.
#[derive(Debug, Clone)]
pub struct Call {
    /// The tool's MCP name, `infra.vmware.<group>.<tool>`.
    pub tool: String,
    /// The result as JSON, or the error the agent would see.
    pub outcome: Result<Value, VsError>,
    /// The vim25 methods that reached the inventory, in order.
    pub invocations: Vec<Invocation>,
    /// The approvals the tool asked for, in order, with the scripted answers.
    pub approvals: Vec<ApprovalAsked>,
}

impl Call {
    /// The invoked methods' names, in order.
    pub fn invoked(&self) -> Vec<&str> {
        self.invocations.iter().map(|i| i.method.as_str()).collect()
    }

    /// The result, or a panic naming the error: for tests that expect success.
    pub fn result(&self) -> &Value {
        match &self.outcome {
            Ok(value) => value,
            Err(e) => panic!("{} failed ({}): {e}", self.tool, e.kind()),
        }
    }

    /// The error's kind, when the call failed.
    pub fn error_kind(&self) -> Option<ErrorKind> {
        self.outcome.as_ref().err().map(VsError::error_kind)
    }

    /// The error as the agent sees it (`{"error": {"kind", "message", …}}`),
    /// when the call failed.
    pub fn error_json(&self) -> Option<Value> {
        self.outcome
            .as_ref()
            .err()
            .map(crate::mcp::result::error_json)
    }
}

/// The simulated inventory and the host services in front of it, rebuilt
/// by [`Harness::reset_inventory`].
struct World {
    recorder: Arc<RecordingBackend>,
    services: Arc<HostServices>,
}

/// A tool group loaded into the host's runtime, against a simulated inventory.
pub struct Harness {
    runtime: Arc<PluginRuntime>,
    plugin: Arc<LoadedPlugin>,
    inventory: Inventory,
    approver: Arc<ScriptedApprover>,
    world: World,
    calls: AtomicU64,
}

impl Harness {
    /// Load the component at `component` (a `.wasm` file built for
    /// `wasm32-wasip2`) and serve it `inventory`. Approvals are denied
    /// until [`set_approvals`](Self::set_approvals) says otherwise.
    pub async fn load(component: &Path, inventory: Inventory) -> anyhow::Result<Harness> {
        let bytes = std::fs::read(component).with_context(|| {
            format!(
                "reading the component {} (build it first: cargo build --release --target wasm32-wasip2)",
                component.display()
            )
        })?;
        Harness::from_bytes(&component.display().to_string(), &bytes, inventory).await
    }

    /// Load a component from its bytes; `source` names it in messages.
    pub async fn from_bytes(
        source: &str,
        bytes: &[u8],
        inventory: Inventory,
    ) -> anyhow::Result<Harness> {
        let cache = ComponentCache::new(Some(crate::config::default_plugin_cache_dir()));
        let runtime = Arc::new(PluginRuntime::new(PluginLimits::default(), cache)?);
        let plugin = Arc::new(runtime.load(source, bytes)?);
        let approver = Arc::new(ScriptedApprover::default());
        let world = World::build(&inventory, &approver).await?;
        Ok(Harness {
            runtime,
            plugin,
            inventory,
            approver,
            world,
            calls: AtomicU64::new(0),
        })
    }

    /// What the component declared: its group, version and tools.
    pub fn manifest(&self) -> &Manifest {
        &self.plugin.manifest
    }

    /// The `infra:vmware` contract version the component was built against.
    pub fn contract_version(&self) -> &'static str {
        self.plugin.contract_version()
    }

    /// Answer every later approval request with `answer`.
    pub fn set_approvals(&self, answer: Approvals) {
        self.approver.set(answer);
    }

    /// Start again from the fixture: undo every change earlier calls made.
    pub async fn reset_inventory(&mut self) -> anyhow::Result<()> {
        self.world = World::build(&self.inventory, &self.approver).await?;
        Ok(())
    }

    /// Call `tool` (its name in the group, or its full MCP name) as the
    /// server would: arguments checked against its input schema first.
    pub async fn call(&self, tool: &str, arguments: Value) -> Call {
        self.run(tool, arguments, true).await
    }

    /// Call `tool` without the host's argument check, so that the
    /// component's own handling of bad arguments (the SDK's check) shows.
    pub async fn call_unchecked(&self, tool: &str, arguments: Value) -> Call {
        self.run(tool, arguments, false).await
    }

    async fn run(&self, tool: &str, arguments: Value, checked: bool) -> Call {
        let group = &self.plugin.manifest.group;
        let prefix = vmware_vocabulary::tool_name(group, "");
        let short = tool.strip_prefix(&prefix).unwrap_or(tool).to_string();
        let full = vmware_vocabulary::tool_name(group, &short);
        let correlation_id = format!("harness-{}", self.calls.fetch_add(1, Ordering::Relaxed) + 1);
        let outcome = self
            .outcome(&full, &short, arguments, checked, &correlation_id)
            .await;
        Call {
            tool: full,
            outcome,
            invocations: self.world.recorder.take(&correlation_id),
            approvals: self.approver.take(&correlation_id),
        }
    }

    async fn outcome(
        &self,
        full: &str,
        short: &str,
        arguments: Value,
        checked: bool,
        correlation_id: &str,
    ) -> Result<Value, VsError> {
        let Some(declared) = self.plugin.manifest.tools.iter().find(|t| t.name == short) else {
            let valid: Vec<&str> = self
                .plugin
                .manifest
                .tools
                .iter()
                .map(|t| t.name.as_str())
                .collect();
            return Err(VsError::InvalidArgument(format!(
                "unknown tool `{}`; the component declares: {}",
                vmware_vocabulary::quote::prefix(short),
                valid.join(", ")
            )));
        };
        let arguments = if checked {
            let schema: Value = serde_json::from_str(&declared.input_schema).map_err(|e| {
                VsError::Internal(format!(
                    "{full}: the declared input schema is not JSON: {e}"
                ))
            })?;
            Value::Object(
                vmware_vocabulary::args::check(full, &schema, &arguments)
                    .map_err(VsError::InvalidArgument)?,
            )
        } else {
            arguments
        };
        let env = Arc::new(CallEnv {
            tool: full.to_string(),
            ctx: CallContext {
                correlation_id: correlation_id.to_string(),
                ..Default::default()
            },
            session: None,
            principal: None,
            client: ClientLink::default(),
            grants: CallGrants::default(),
            approval_trail: Default::default(),
            preapproved: None,
            locks: Default::default(),
            services: self.world.services.clone(),
            runtime: tokio::runtime::Handle::current(),
        });
        let text = self
            .runtime
            .call(&self.plugin, short, arguments.to_string(), env)
            .await
            .map_err(crate::runtime::CallError::into_error)?;
        serde_json::from_str(&text).map_err(|e| {
            VsError::Internal(format!("{full} returned a result that is not JSON: {e}"))
        })
    }
}

impl World {
    async fn build(
        inventory: &Inventory,
        approver: &Arc<ScriptedApprover>,
    ) -> anyhow::Result<World> {
        let sim: Arc<dyn Backend> = Arc::new(inventory.backend()?);
        let recorder = RecordingBackend::new(sim);
        let backend: Arc<dyn Backend> = recorder.clone();
        let metrics = Arc::new(Metrics::new());
        let index = InventoryService::new(backend.clone());
        index.start(WARM_UP).await;
        let approvals = ApprovalGate::new(Policy::load(None)?)
            .with_approver(approver.clone())
            .with_metrics(metrics.clone());
        let services = Arc::new(HostServices {
            gateway: Gateway::new(backend, metrics.clone()).with_observer(index.clone()),
            inventory: index,
            approvals,
            metrics,
            target_locks: TargetLocks::new(LOCK_WAIT),
        });
        Ok(World { recorder, services })
    }
}

/// How long building a world waits for the inventory index's first read
/// (the simulator answers at once; this only bounds a broken fixture).
const WARM_UP: Duration = Duration::from_secs(10);

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::runtime::builtin;

    async fn vms() -> Harness {
        Harness::from_bytes("builtin:vms", builtin::VMS, Inventory::Demo)
            .await
            .expect("the built-in vms group loads")
    }

    /// The same bad argument gets the same message from the host's check
    /// (before the plugin runs) and from the SDK's (inside the component).
    #[tokio::test(flavor = "multi_thread")]
    async fn host_and_sdk_word_argument_errors_the_same() {
        let harness = vms().await;
        for (tool, bad) in [
            ("getVMInfo", json!({})),
            ("powerOnVm", json!({"vmName": 42})),
            ("powerOnVm", json!({"vmName": ""})),
            ("powerOnVm", json!({"vmName": "a", "vmname": "b"})),
            ("createSnapshot", json!({"vmName": "a"})),
            ("listVMs", json!({"powerState": "on"})),
            ("listVMs", json!({"limit": 0})),
            (
                "cloneVm",
                json!({"sourceVmName": "a", "newVmName": "b", "targetFolder": ["x"]}),
            ),
            ("renameVm", json!({"vmName": "a"})),
            ("reconfigureVm", json!({"vmName": "a", "numCPUs": 0})),
            ("migrateVm", json!({"vmName": "a", "targetHost": 1})),
        ] {
            let host = harness.call(tool, bad.clone()).await;
            let sdk = harness.call_unchecked(tool, bad.clone()).await;
            let (Err(host), Err(sdk)) = (&host.outcome, &sdk.outcome) else {
                panic!("{tool} {bad}: both refuse: {host:?} / {sdk:?}");
            };
            assert_eq!(host.kind(), "invalid_argument", "{tool} {bad}: {host}");
            assert_eq!(host.to_string(), sdk.to_string(), "{tool} {bad}");
        }
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn records_invocations_and_scripted_approvals() {
        let harness = vms().await;
        let web = "web-01";
        let denied = harness.call("powerOffVm", json!({"vmName": web})).await;
        assert_eq!(denied.error_kind(), Some(ErrorKind::ApprovalDenied));
        assert_eq!(denied.approvals.len(), 1);
        assert_eq!(denied.approvals[0].operation, "power-off");
        assert_eq!(denied.approvals[0].methods, ["PowerOffVM_Task"]);
        assert_eq!(denied.approvals[0].targets[0].1, web);
        assert!(!denied.approvals[0].granted);
        assert!(denied.invoked().is_empty());

        harness.set_approvals(Approvals::Grant);
        let done = harness.call("powerOffVm", json!({"vmName": web})).await;
        assert_eq!(done.result()["powerState"], "poweredOff");
        assert_eq!(done.invoked(), ["PowerOffVM_Task"]);
        assert!(done.approvals[0].granted);
        assert_eq!(done.invocations[0].target.kind, "VirtualMachine");

        let read = harness
            .call("infra.vmware.vms.getVMInfo", json!({"vmName": web}))
            .await;
        assert_eq!(read.result()["powerState"], "poweredOff");
        assert!(read.invoked().is_empty() && read.approvals.is_empty());
    }
}
