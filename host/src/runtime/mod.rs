//! The plugin runtime: compiles tool-group components once, pre-links them,
//! and runs each tool call in a fresh, limited instance so that one call can
//! neither see another's memory nor take the server down.

pub mod builtin;
pub mod cache;
pub mod capabilities;
pub mod contract;
pub mod limiter;
pub mod limits;
pub mod sources;
pub mod state;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use wasmtime::component::{Component, Linker};
use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store, Trap,
    UpdateDeadline,
};

use crate::vocabulary::VsError;
use cache::ComponentCache;
use capabilities::Capabilities;
use contract::Contract;
use contract::latest::tool_group::Manifest;
use limiter::MemoryCap;
use limits::{EPOCH_TICK, PluginLimits};
use state::{CallEnv, PluginIdentity, PluginState};

/// Plugin calls that may run at once; matches the pooling allocator's slots.
const MAX_CONCURRENT_CALLS: u32 = 32;

/// Why a plugin call failed: the tool said no, or the plugin itself broke.
/// Built once per failed call, so its size does not matter.
#[derive(Debug)]
pub enum CallError {
    /// The tool returned a typed error.
    Tool(VsError),
    /// The plugin trapped, ran out of time or memory, or could not start.
    Plugin {
        /// `timeout`, `memory`, `trap` or `instantiate`, for metrics.
        kind: &'static str,
        /// The error shown to the client.
        error: VsError,
    },
}

impl CallError {
    /// The error shown to the client.
    pub fn into_error(self) -> VsError {
        match self {
            CallError::Tool(e) | CallError::Plugin { error: e, .. } => e,
        }
    }
}

/// What the component may do, from its manifest: its declaration (0.3.0
/// and later) or the legacy rights.
fn capabilities_of(contract: &Contract, manifest: &Manifest) -> Result<Capabilities, String> {
    if contract.is_legacy() {
        return Ok(Capabilities::legacy());
    }
    Capabilities::declared(
        &manifest.capabilities.reads,
        &manifest.capabilities.invokes,
        &manifest
            .tools
            .iter()
            .map(|t| (t.name.clone(), t.invokes.clone()))
            .collect::<Vec<_>>(),
    )
}

/// Bytes of each pooled linear memory kept resident between calls and reset
/// with `memset` rather than returned to the kernel: a call's stack, data
/// and first heap pages are then not faulted in again on every call.
const RESIDENT_MEMORY: usize = 2 << 20;

/// Bytes of each pooled table kept resident between calls, likewise.
const RESIDENT_TABLES: usize = 64 << 10;

/// A loaded tool group, ready to instantiate.
pub struct LoadedPlugin {
    /// Name, version and origin.
    pub identity: Arc<PluginIdentity>,
    /// What it declared.
    pub manifest: Manifest,
    /// The sha256 of the component, as the plugins file pins it.
    pub digest: String,
    contract: Contract,
}

impl LoadedPlugin {
    /// The `infra:vmware` contract version the component was built against.
    pub fn contract_version(&self) -> &'static str {
        self.contract.version()
    }
}

/// The engine, the linker and the limits shared by all plugins.
pub struct PluginRuntime {
    engine: Engine,
    linker: Linker<PluginState>,
    limits: PluginLimits,
    cache: ComponentCache,
    slots: Arc<tokio::sync::Semaphore>,
    stop_ticker: Arc<AtomicBool>,
}

impl Drop for PluginRuntime {
    fn drop(&mut self) {
        self.stop_ticker.store(true, Ordering::Relaxed);
    }
}

impl PluginRuntime {
    /// Build the engine (pooling allocator, epoch interruption) and the linker
    /// holding an empty WASI plus the host's interfaces.
    pub fn new(limits: PluginLimits, cache: ComponentCache) -> anyhow::Result<Self> {
        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(MAX_CONCURRENT_CALLS + 8)
            .total_core_instances((MAX_CONCURRENT_CALLS + 8) * 8)
            .total_memories((MAX_CONCURRENT_CALLS + 8) * 2)
            .total_tables((MAX_CONCURRENT_CALLS + 8) * 8)
            .max_memory_size(limits.memory_bytes)
            .linear_memory_keep_resident(RESIDENT_MEMORY)
            .table_keep_resident(RESIDENT_TABLES);
        let mut config = Config::new();
        config
            .wasm_component_model(true)
            .epoch_interruption(true)
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let engine = Engine::new(&config)
            .map_err(anyhow::Error::from)
            .context("creating the wasm engine")?;

        let mut linker = Linker::<PluginState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)
            .map_err(anyhow::Error::from)
            .context("linking WASI")?;
        contract::link_all(&mut linker)?;

        let stop_ticker = Arc::new(AtomicBool::new(false));
        let ticker_engine = engine.weak();
        let stop = stop_ticker.clone();
        std::thread::Builder::new()
            .name("wasm-epoch".into())
            .spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    match ticker_engine.upgrade() {
                        Some(engine) => engine.increment_epoch(),
                        None => break,
                    }
                }
            })
            .context("starting the epoch ticker")?;

        Ok(PluginRuntime {
            engine,
            linker,
            limits,
            cache,
            slots: Arc::new(tokio::sync::Semaphore::new(MAX_CONCURRENT_CALLS as usize)),
            stop_ticker,
        })
    }

    /// The limits each call gets.
    pub fn limits(&self) -> PluginLimits {
        self.limits
    }

    /// Compile (or load from cache), link and describe one component, with
    /// the capabilities it declares.
    pub fn load(&self, source: &str, wasm: &[u8]) -> anyhow::Result<LoadedPlugin> {
        self.load_with_invokes(source, wasm, None)
    }

    /// [`Self::load`], with the operator's `invokes` list from the plugins
    /// file applied: it narrows a declaration, or grants methods to a
    /// component built before capabilities existed. A list that names a
    /// method the component did not declare is an error.
    pub fn load_with_invokes(
        &self,
        source: &str,
        wasm: &[u8],
        operator_invokes: Option<&[String]>,
    ) -> anyhow::Result<LoadedPlugin> {
        let component: Component = self
            .cache
            .load_or_compile(&self.engine, wasm)
            .with_context(|| format!("{source} is not a valid wasm component"))?;
        let instance_pre = self.linker.instantiate_pre(&component).map_err(anyhow::Error::from).with_context(|| format!("{source} imports something the host does not offer (plugins get infra:vmware and an empty WASI only)"))?;
        let contract = Contract::of(instance_pre, source)?;
        let placeholder = Arc::new(PluginIdentity {
            group: source.to_string(),
            version: String::new(),
            source: source.to_string(),
            capabilities: Arc::new(Capabilities::none()),
        });
        let mut store = self.store(placeholder, None);
        let manifest = contract.describe(&mut store).map_err(|e| {
            anyhow::anyhow!(
                "{source}: describe() failed: {}",
                describe_trap(&e, &store, source, self.limits)
            )
        })?;
        validate_manifest(&manifest)
            .with_context(|| format!("{source} declared an invalid manifest"))?;
        let mut capabilities = capabilities_of(&contract, &manifest)
            .map_err(|e| anyhow::anyhow!("{source} declared invalid capabilities: {e}"))?;
        if let Some(invokes) = operator_invokes {
            capabilities = capabilities.with_operator_invokes(invokes).map_err(|e| {
                anyhow::anyhow!(
                    "the plugins file's `invokes` for {source} (group `{}`): {e}",
                    manifest.group
                )
            })?;
        }
        let identity = Arc::new(PluginIdentity {
            group: manifest.group.clone(),
            version: manifest.version.clone(),
            source: source.to_string(),
            capabilities: Arc::new(capabilities),
        });
        Ok(LoadedPlugin {
            identity,
            manifest,
            digest: crate::plugins_file::sha256_hex(wasm),
            contract,
        })
    }

    fn store(&self, plugin: Arc<PluginIdentity>, call: Option<Arc<CallEnv>>) -> Store<PluginState> {
        let mut store = Store::new(
            &self.engine,
            PluginState::new(plugin, MemoryCap::new(self.limits.memory_bytes), call),
        );
        store.limiter(|s| &mut s.limits);
        let cpu = self.limits.guest_cpu;
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |ctx| {
            if ctx.data().clock.guest_time() > cpu {
                Ok(UpdateDeadline::Interrupt)
            } else {
                Ok(UpdateDeadline::Continue(1))
            }
        });
        store
    }

    /// Run one tool in a fresh instance on a blocking thread. A trap, a
    /// runaway loop or memory exhaustion becomes an error naming the plugin.
    #[allow(clippy::result_large_err)]
    pub async fn call(
        self: &Arc<Self>,
        plugin: &LoadedPlugin,
        tool: &str,
        arguments: String,
        env: Arc<CallEnv>,
    ) -> Result<String, CallError> {
        let _slot = self.slots.clone().acquire_owned().await.map_err(|_| {
            CallError::Tool(VsError::Internal(
                "the plugin runtime is shutting down".into(),
            ))
        })?;
        let runtime = self.clone();
        let contract = plugin.contract.clone();
        let identity = plugin.identity.clone();
        let tool = tool.to_string();
        let outcome = tokio::task::spawn_blocking(move || {
            let mut store = runtime.store(identity.clone(), Some(env));
            let outcome = match contract.call(&mut store, &tool, arguments) {
                Ok(outcome) => outcome,
                Err(e) => {
                    return Err(CallError::Plugin {
                        kind: "instantiate",
                        error: VsError::Internal(format!(
                            "plugin `{}` {} could not be instantiated: {e:#}",
                            identity.group, identity.version
                        )),
                    });
                }
            };
            match outcome {
                Ok(Ok(json)) => Ok(json),
                Ok(Err(e)) => Err(CallError::Tool(VsError::from(e))),
                Err(trap) => Err(trap_error(&trap, &store, &identity, runtime.limits)),
            }
        })
        .await;
        outcome.unwrap_or_else(|e| {
            Err(CallError::Plugin {
                kind: "trap",
                error: VsError::Internal(format!("plugin call thread failed: {e}")),
            })
        })
    }
}

fn trap_error(
    trap: &wasmtime::Error,
    store: &Store<PluginState>,
    plugin: &PluginIdentity,
    limits: PluginLimits,
) -> CallError {
    let name = format!("plugin `{}` {}", plugin.group, plugin.version);
    let (kind, error) = match trap.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => (
            "timeout",
            VsError::Timeout(format!(
                "{name} ran past its {:?} CPU time limit and was stopped",
                limits.guest_cpu
            )),
        ),
        _ if store.data().limits.refused => (
            "memory",
            VsError::Internal(format!(
                "{name} exhausted its {} MiB memory limit and was stopped",
                limits.memory_bytes >> 20
            )),
        ),
        Some(t) => ("trap", VsError::Internal(format!("{name} trapped: {t}"))),
        None => (
            "trap",
            VsError::Internal(format!("{name} failed: {trap:#}")),
        ),
    };
    tracing::warn!(plugin = %plugin.group, plugin_version = %plugin.version, kind, error = %error, "plugin failure contained");
    CallError::Plugin { kind, error }
}

fn describe_trap(
    trap: &wasmtime::Error,
    store: &Store<PluginState>,
    source: &str,
    limits: PluginLimits,
) -> String {
    let identity = PluginIdentity {
        group: source.to_string(),
        version: String::new(),
        source: source.to_string(),
        capabilities: Arc::new(Capabilities::none()),
    };
    trap_error(trap, store, &identity, limits)
        .into_error()
        .to_string()
}

fn validate_manifest(m: &Manifest) -> anyhow::Result<()> {
    let ident_ok = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    anyhow::ensure!(
        ident_ok(&m.group),
        "group name `{}` must be non-empty ASCII letters, digits, `_` or `-`",
        m.group
    );
    let mut seen = std::collections::BTreeSet::new();
    for t in &m.tools {
        anyhow::ensure!(
            ident_ok(&t.name),
            "tool name `{}` must be non-empty ASCII letters, digits, `_` or `-`",
            t.name
        );
        anyhow::ensure!(
            seen.insert(t.name.as_str()),
            "tool `{}` is declared twice",
            t.name
        );
        let schema: serde_json::Value = serde_json::from_str(&t.input_schema)
            .with_context(|| format!("tool `{}` input schema is not JSON", t.name))?;
        anyhow::ensure!(
            schema.get("type").and_then(|v| v.as_str()) == Some("object"),
            "tool `{}` input schema must be a JSON Schema of type object",
            t.name
        );
        if let Some(out) = &t.output_schema {
            let out: serde_json::Value = serde_json::from_str(out)
                .with_context(|| format!("tool `{}` output schema is not JSON", t.name))?;
            anyhow::ensure!(
                out.get("type").and_then(|v| v.as_str()) == Some("object"),
                "tool `{}` output schema must be of type object",
                t.name
            );
        }
    }
    Ok(())
}
