//! What one plugin store holds: an empty WASI context (no files, network,
//! environment or arguments), the memory limiter, the guest clock, and the
//! tool call it serves.

use std::sync::Arc;

use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::approval::client::ClientLink;
use crate::approval::gate::ApprovalGate;
use crate::approval::gate::Preapproval;
use crate::approval::grants::CallGrants;
use crate::approval::journal::ApprovalTrail;
use crate::approval::target_locks::{CallLocks, TargetLocks};
use crate::inventory::InventoryService;
use crate::runtime::limiter::MemoryCap;
use crate::runtime::limits::GuestClock;
use crate::telemetry::metrics::Metrics;
use crate::vsphere::CallContext;
use crate::vsphere::gateway::Gateway;

/// Who a plugin is, for logs, metrics and errors.
#[derive(Debug, Clone)]
pub struct PluginIdentity {
    /// The tool group name, e.g. `vms`.
    pub group: String,
    /// The component's declared version.
    pub version: String,
    /// Where it came from (`builtin:vms` or a file path).
    pub source: String,
    /// What it may read and invoke (its effective manifest), checked on
    /// every vSphere and inventory call it makes.
    pub capabilities: Arc<crate::runtime::capabilities::Capabilities>,
}

/// The host services every call shares.
pub struct HostServices {
    /// Gated, logged vSphere access.
    pub gateway: Gateway,
    /// The inventory index plugins resolve and list through.
    pub inventory: Arc<InventoryService>,
    /// Approval policy and channels.
    pub approvals: ApprovalGate,
    /// The metrics registry.
    pub metrics: Arc<Metrics>,
    /// Per-object locks that serialize granted changes to one object.
    pub target_locks: Arc<TargetLocks>,
}

/// One tool call's context, reachable from the plugin's imports.
pub struct CallEnv {
    /// The full MCP tool name.
    pub tool: String,
    /// Correlation id and progress hook.
    pub ctx: CallContext,
    /// The MCP session that asked, if known.
    pub session: Option<String>,
    /// Who the caller's bearer token names, if anyone.
    pub principal: Option<crate::principal::Principal>,
    /// How approvals can reach the client while the call waits (progress,
    /// elicitation, cancellation).
    pub client: ClientLink,
    /// Grants given during this call; they die with it.
    pub grants: CallGrants,
    /// The durable request behind the call, told how its approval goes.
    pub approval_trail: ApprovalTrail,
    /// An approval given to an earlier run of this call's request.
    pub preapproved: Option<Preapproval>,
    /// The target locks this call's grants took; they die with it.
    pub locks: CallLocks,
    /// Shared services.
    pub services: Arc<HostServices>,
    /// The async runtime that host calls block on (the plugin runs on a blocking thread).
    pub runtime: tokio::runtime::Handle,
}

/// The data of one plugin store.
pub struct PluginState {
    wasi: WasiCtx,
    table: ResourceTable,
    /// The memory limiter.
    pub limits: MemoryCap,
    /// Guest CPU accounting for the epoch deadline.
    pub clock: GuestClock,
    /// The plugin being run.
    pub plugin: Arc<PluginIdentity>,
    /// The call being served; `None` while the host only asks the plugin to describe itself.
    pub call: Option<Arc<CallEnv>>,
}

impl PluginState {
    /// A fresh state with no capabilities but the host's own interfaces.
    pub fn new(plugin: Arc<PluginIdentity>, limits: MemoryCap, call: Option<Arc<CallEnv>>) -> Self {
        // Nothing is granted: no preopened dirs, no env, no args, no sockets, no inherited stdio.
        let wasi = wasmtime_wasi::WasiCtxBuilder::new().build();
        PluginState {
            wasi,
            table: ResourceTable::new(),
            limits,
            clock: GuestClock::start(),
            plugin,
            call,
        }
    }
}

impl WasiView for PluginState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}
