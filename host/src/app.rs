//! Assembles the server from configuration: backend, gateway, approvals,
//! plugin runtime and tool registry, then serves HTTP or stdio.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use crate::approval::audit::AuditLog;
use crate::approval::channels::Channels;
use crate::approval::elicitation::ElicitationApprover;
use crate::approval::gate::ApprovalGate;
use crate::approval::operator::OperatorApprover;
use crate::approval::pending::PendingApprovals;
use crate::approval::policy::Policy;
use crate::approval::target_locks::{LOCK_WAIT, TargetLocks};
use crate::config::Cli;
use crate::history::{CachedHistoryBackend, RecentHistory};
use crate::inventory::InventoryService;
use crate::notify::config::NotifyConfig;
use crate::notify::{Notifier, approvals_link};
use crate::plugins_file::PluginsFile;
use crate::privileges;
use crate::privileges::requirements::{Requirements, requirements};
use crate::registry::ToolRegistry;
use crate::requests::RequestService;
use crate::requests::store::SqliteStore;
use crate::requests::tools::RequestTools;
use crate::runtime::cache::ComponentCache;
use crate::runtime::limits::PluginLimits;
use crate::runtime::state::HostServices;
use crate::runtime::{PluginRuntime, capabilities, sources};
use crate::telemetry::metrics::{Metrics, names};
use crate::vsphere::Backend;
use crate::vsphere::gateway::Gateway;
use crate::vsphere::hooks::StateChangeRecorder;
use crate::vsphere::sim::SimBackend;
use crate::vsphere::soap::{SoapBackend, SoapConfig};

/// Everything a call needs; shared by all MCP sessions.
pub struct App {
    /// Registered tools.
    pub registry: ToolRegistry,
    /// The wasm runtime.
    pub runtime: Arc<PluginRuntime>,
    /// Gateway, approvals, metrics.
    pub services: Arc<HostServices>,
    /// Whether the simulated inventory is in use.
    pub demo: bool,
    /// How long an MCP session may stay silent before it is closed: longer
    /// than the longest approval wait, so that a call waiting for an
    /// operator never loses its session (and its answer) to the idle limit.
    pub session_idle: Duration,
    /// Durable requests: every call of a tool that may change state.
    pub requests: Arc<RequestService>,
    /// How long a request's call waits before answering "still pending".
    pub call_wait: Duration,
    /// The pending approvals operators decide, when operator approval is on.
    pub pending: Option<Arc<PendingApprovals>>,
    /// The audit trail, when configured: `/readyz` says when it cannot be
    /// written (every state change is refused meanwhile).
    pub audit: Option<Arc<AuditLog>>,
    /// Where approval notifications go, checked at start;
    /// [`App::start_notifications`] starts sending once the approvals
    /// page's address is known.
    pub notify: NotifyConfig,
}

impl App {
    /// Copy the backend's own counters into the registry, then render it as JSON.
    pub fn metrics_json(&self) -> serde_json::Value {
        self.refresh_backend_counters();
        self.services.metrics.to_json()
    }

    /// Copy the backend's own counters into the registry, then render Prometheus text.
    pub fn metrics_text(&self) -> String {
        self.refresh_backend_counters();
        self.services.metrics.to_prometheus()
    }

    fn refresh_backend_counters(&self) {
        let counters = self.services.gateway.backend().counters();
        let metrics = &self.services.metrics;
        metrics.set_total(names::RELOGINS, vec![], counters.relogins as f64);
        metrics.set_total(names::VCENTER_REQUESTS, vec![], counters.requests as f64);
        metrics.set_total(
            names::VCENTER_FEED_REQUESTS,
            vec![],
            counters.feed_requests as f64,
        );
        let index = self.services.inventory.status();
        metrics.set(names::INVENTORY_OBJECTS, vec![], index.objects as f64);
        metrics.set(
            names::INVENTORY_LIVE,
            vec![],
            if index.live { 1.0 } else { 0.0 },
        );
    }

    /// The host's request tools over this server's requests and approvals.
    pub fn request_tools(&self) -> RequestTools {
        RequestTools {
            requests: self.requests.clone(),
            pending: self.pending.clone(),
            backend: Some(self.services.gateway.backend().clone()),
        }
    }

    /// Start sending approval notifications to the configured receivers,
    /// linking to the approvals page served at `admin` (or
    /// `PUBLIC_ADMIN_URL`). Without an admin API (`admin` is `None`) nothing
    /// is ever pending, so configured receivers are only warned about.
    pub fn start_notifications(&self, admin: Option<std::net::SocketAddr>) -> anyhow::Result<()> {
        if self.notify.receivers.is_empty() {
            return Ok(());
        }
        let (Some(pending), Some(admin)) = (&self.pending, admin) else {
            tracing::warn!(
                receivers = self.notify.receivers.len(),
                "approval notifications are configured, but operator approvals are off (no admin API), so nothing will be sent"
            );
            return Ok(());
        };
        if self.notify.public_admin_url.is_none() && admin.ip().is_unspecified() {
            tracing::warn!(
                address = %admin,
                "approval notifications link to the admin API's bind address, which operators cannot open; set PUBLIC_ADMIN_URL to the address they use"
            );
        }
        let inventory = self.services.inventory.clone();
        let notifier = Notifier::start(
            &self.notify,
            approvals_link(self.notify.public_admin_url.as_deref(), admin),
            self.services.metrics.clone(),
            Box::new(move |r: &crate::vsphere::MoRef| inventory.known_path(r)),
        )?;
        if let Some(notifier) = notifier {
            tracing::info!(link = %notifier.link(), "approval notifications on");
            pending.observe(Arc::new(notifier));
        }
        Ok(())
    }

    /// End every approval still waiting with its audit record, and release
    /// what the server holds outside the process (the vCenter session).
    pub async fn shutdown(&self) {
        self.services.approvals.close_open_asks();
        self.services.gateway.backend().shutdown().await;
    }
}

/// Build everything the server needs, without operator approvals.
pub async fn build(cli: &Cli) -> anyhow::Result<Arc<App>> {
    build_with(cli, None).await
}

/// Build everything the server needs; `pending` is the store the admin API
/// serves, when it runs, so that "ask" decisions wait for operators.
pub async fn build_with(
    cli: &Cli,
    pending: Option<Arc<PendingApprovals>>,
) -> anyhow::Result<Arc<App>> {
    let metrics = Arc::new(Metrics::new());
    // The policy first: an invalid policy stops the server before it connects anywhere.
    let policy = Policy::load(cli.approval_policy.as_deref())?;
    if let Some(pending) = &pending {
        pending.require_distinct_approver(policy.require_distinct_approver());
    }
    let notify = NotifyConfig::load(cli, &policy)?;
    let audit = match cli.audit_log.as_deref() {
        Some(path) => Some(Arc::new(AuditLog::open(path)?)),
        None => None,
    };
    // The request store next: a server that cannot record requests must not start.
    let state_dir = cli.state_dir();
    let store = SqliteStore::open_in(&state_dir).with_context(|| {
        format!(
            "opening the request store in STATE_DIR {}",
            state_dir.display()
        )
    })?;
    tracing::info!(path = %store.path().display(), "request store open");
    let requests = RequestService::new(Arc::new(store), cli.request_retention);
    let backend = backend(cli).await?;
    let demo = backend.is_simulated();
    let approvals = approval_gate(cli, policy, pending.clone(), audit.clone(), &metrics);
    let audit_for_readiness = audit.clone();
    let inventory = InventoryService::new(backend.clone());
    inventory.start(INDEX_WARM_UP).await;
    let history = RecentHistory::new(backend.clone());
    history.start();
    let backend = CachedHistoryBackend::new(backend, history.clone(), metrics.clone());
    let services = Arc::new(HostServices {
        gateway: Gateway::new(backend, metrics.clone())
            .with_recorder(audit.map(|a| a as Arc<dyn StateChangeRecorder>))
            .with_observer(inventory.clone())
            .with_observer(history),
        inventory,
        approvals,
        metrics: metrics.clone(),
        target_locks: TargetLocks::new(LOCK_WAIT),
    });

    let limits = PluginLimits {
        memory_bytes: cli.plugin_memory_mb.max(1) << 20,
        guest_cpu: Duration::from_millis(cli.plugin_cpu_ms.max(1)),
    };
    let cache = ComponentCache::new(Some(cli.plugin_cache_dir()));
    let runtime = Arc::new(PluginRuntime::new(limits, cache)?);
    let (registry, needs) = load_plugins(&runtime, cli, &metrics)?;
    if !demo {
        // Against a real vCenter: does the session's role fit what the groups need?
        let check = privileges::check::check_session(services.gateway.backend().as_ref(), &needs);
        if tokio::time::timeout(PRIVILEGE_CHECK_TIMEOUT, check)
            .await
            .is_err()
        {
            tracing::warn!(
                timeout_secs = PRIVILEGE_CHECK_TIMEOUT.as_secs(),
                "the vCenter session's privilege check did not finish in time; skipped"
            );
        }
    }
    Ok(Arc::new(App {
        registry,
        runtime,
        services,
        demo,
        session_idle: session_idle(cli),
        requests,
        call_wait: Duration::from_secs(cli.call_wait_secs.max(1)),
        pending,
        audit: audit_for_readiness,
        notify,
    }))
}

/// How long start-up waits for the session's privilege check.
const PRIVILEGE_CHECK_TIMEOUT: Duration = Duration::from_secs(30);

/// How long start-up waits for the inventory index's first full read, so
/// that the first calls are served from it; after that the server starts
/// anyway and reads directly until the index is live.
const INDEX_WARM_UP: Duration = Duration::from_secs(60);

/// The idle limit of an MCP session: rmcp's 5 minutes, or the approval
/// timeout plus a minute when that is longer, since a call waiting for an
/// approval may send nothing on its session for the whole wait.
fn session_idle(cli: &Cli) -> Duration {
    let approval = Duration::from_secs(cli.approval_timeout_secs.clamp(1, MAX_APPROVAL_WAIT_SECS));
    (approval + Duration::from_secs(60)).max(Duration::from_secs(300))
}

/// The longest `APPROVAL_TIMEOUT_SECS` honoured: one day.
const MAX_APPROVAL_WAIT_SECS: u64 = 86_400;

/// The approval gate: the policy, the channels that answer "ask", the
/// audit trail and the metrics; logged once so operators see what is in force.
fn approval_gate(
    cli: &Cli,
    policy: Policy,
    pending: Option<Arc<PendingApprovals>>,
    audit: Option<Arc<AuditLog>>,
    metrics: &Arc<Metrics>,
) -> ApprovalGate {
    // At least a second, at most a day: longer is a typo, and a grant-less wait
    // that long only holds a plugin slot.
    let timeout = Duration::from_secs(cli.approval_timeout_secs.clamp(1, MAX_APPROVAL_WAIT_SECS));
    if timeout.as_secs() != cli.approval_timeout_secs {
        tracing::warn!(
            requested = cli.approval_timeout_secs,
            used = timeout.as_secs(),
            "APPROVAL_TIMEOUT_SECS is outside 1..=86400; using the nearest bound"
        );
    }
    // The client's user is the requester: under require_distinct_approver
    // they may not answer their own request by elicitation.
    let elicitation = cli.approval_elicitation && !policy.require_distinct_approver();
    if cli.approval_elicitation && !elicitation {
        tracing::warn!(
            "APPROVAL_ELICITATION is ignored: the policy sets require_distinct_approver, and the user answering an elicitation is the requester; operators decide"
        );
    }
    let channels = Channels {
        elicitation: elicitation.then(|| ElicitationApprover::new(timeout)),
        operator: pending.map(|p| OperatorApprover::new(p, timeout)),
    };
    tracing::info!(
        default = %policy.default_decision(),
        read_only = policy.is_read_only(),
        rules = policy.rule_count(),
        operator_channel = channels.operator.is_some(),
        elicitation = channels.elicitation.is_some(),
        timeout_secs = timeout.as_secs(),
        audit_log = audit.as_ref().map(|a| a.path().display().to_string()).unwrap_or_default(),
        "approval policy and channels"
    );
    if audit.is_none() {
        tracing::warn!(
            "no audit trail: set AUDIT_LOG_PATH to record approval decisions and state-changing calls"
        );
    }
    ApprovalGate::new(policy)
        .with_approver(Arc::new(channels))
        .with_audit(audit)
        .with_metrics(metrics.clone())
}

async fn backend(cli: &Cli) -> anyhow::Result<Arc<dyn Backend>> {
    if let Some(path) = &cli.inventory {
        let sim = SimBackend::from_fixture_file(path)
            .with_context(|| format!("loading the simulated inventory {}", path.display()))?;
        warn_demo(&format!("fixture {}", path.display()));
        return Ok(Arc::new(sim));
    }
    if cli.demo {
        warn_demo("built-in demo inventory");
        return Ok(Arc::new(SimBackend::demo()));
    }
    if cli.vcenter.is_configured() {
        let config = SoapConfig::from_args(&cli.vcenter)
            .map_err(|e| anyhow::anyhow!("vCenter configuration: {e}"))?;
        let backend = SoapBackend::connect(config)
            .await
            .map_err(|e| anyhow::anyhow!("connecting to vCenter: {e}"))?;
        return Ok(Arc::new(backend));
    }
    anyhow::bail!(
        "no vCenter is configured: set VCENTER_HOST, VCENTER_USER and VCENTER_PASSWORD_SECRET_PATH, or run with --demo to use the built-in simulated inventory"
    )
}

fn warn_demo(what: &str) {
    tracing::warn!(
        inventory = what,
        "DEMO MODE: serving a simulated vSphere inventory; NO vCenter is in use and nothing real is changed"
    );
}

/// Load the built-in groups and the components of `--plugins DIR` or
/// `--plugins-file FILE` (see [`sources`]), and register their tools. A
/// directory component that fails to load or clashes is reported and
/// skipped; a plugins-file component that fails or clashes stops the start. Returns
/// the registry and the vSphere privileges the registered groups need.
fn load_plugins(
    runtime: &PluginRuntime,
    cli: &Cli,
    metrics: &Metrics,
) -> anyhow::Result<(ToolRegistry, Requirements)> {
    let file = cli
        .plugins_file
        .as_deref()
        .map(PluginsFile::load)
        .transpose()?;
    let mut registry = ToolRegistry::new();
    let started = std::time::Instant::now();
    let sources = sources::collect(
        cli.plugins_dir.as_deref(),
        file.as_ref(),
        cli.plugin_max_bytes,
    )?;
    // Components the plugins file names: pinning states intent, so one that
    // cannot be registered stops the start instead of being skipped.
    let pinned: std::collections::HashSet<String> = sources
        .iter()
        .filter(|s| s.required)
        .map(|s| s.name.clone())
        .collect();
    let plugins = sources::load_all(runtime, sources)?;
    let mut registered = Vec::new();
    for plugin in plugins {
        let plugin = Arc::new(plugin);
        let identity = plugin.identity.clone();
        let contract_version = plugin.contract_version();
        let digest = plugin.digest.clone();
        match registry.add_plugin(plugin.clone()) {
            Ok(count) => {
                registered.push(plugin);
                metrics.set(
                    names::PLUGINS,
                    vec![
                        ("plugin", identity.group.clone()),
                        ("version", identity.version.clone()),
                        ("source", identity.source.clone()),
                    ],
                    1.0,
                );
                let caps = &identity.capabilities;
                tracing::info!(
                    plugin = %identity.group,
                    version = %identity.version,
                    contract = contract_version,
                    source = %identity.source,
                    digest = %digest,
                    declared = caps.is_declared(),
                    reads = caps.reads().map(capabilities::list).unwrap_or_else(|| "any (declares nothing)".into()),
                    invokes = %capabilities::list(&caps.invokes()),
                    narrowed = caps.operator_invokes.is_some(),
                    tools = count,
                    "plugin loaded"
                );
            }
            Err(clash) if pinned.contains(&identity.source) => anyhow::bail!(
                "{clash}; {} is listed in the plugins file, so it must load: remove the clashing component or the entry, or rename the group",
                identity.source
            ),
            Err(clash) => {
                tracing::error!(plugin = %identity.source, error = %clash, "plugin refused: tool name clash")
            }
        }
    }
    tracing::debug!(
        load_ms = started.elapsed().as_millis() as u64,
        "plugins loaded"
    );
    let needs = requirements(registered.iter().map(|p| p.as_ref()));
    Ok((registry, needs))
}
