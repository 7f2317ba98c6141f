//! The host's implementation of each WIT interface the plugins import: one
//! module per interface of the latest contract, plus conversions between
//! WIT and host types. The frozen contract versions translate onto these
//! in `runtime::contract`.

pub mod approval;
mod capabilities;
pub mod convert;
pub mod inventory;
pub mod log;
pub mod vsphere;

use std::sync::Arc;
use std::time::Instant;

use crate::runtime::state::{CallEnv, PluginState};
use crate::telemetry::metrics::names;
use crate::vocabulary::VsError;

/// What a host operation does when the client cancels the tool call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnCancel {
    /// Drop it at once (reads, approval waits): nothing is left half done.
    Drop,
    /// Let it finish, then say what happened (a state change already sent:
    /// dropping the wait would leave a vSphere task running unreported).
    Finish,
}

impl PluginState {
    /// Run an async host operation for the current call, blocking the plugin's
    /// thread, and charge the time to the host rather than the guest. When
    /// the client cancels the call, `on_cancel` decides: the operation is
    /// dropped (its pending vCenter requests and waits go with it) and the
    /// plugin gets `cancelled`, or it runs to completion and the log says
    /// how it ended.
    pub(crate) fn host_call<T, F>(
        &mut self,
        on_cancel: OnCancel,
        what: &str,
        op: impl FnOnce(Arc<CallEnv>) -> F,
    ) -> Result<T, VsError>
    where
        F: Future<Output = Result<T, VsError>>,
    {
        let Some(env) = self.call.clone() else {
            return Err(VsError::InvalidState("vSphere and approval calls are only available while a tool is being called, not from describe()".into()));
        };
        let started = Instant::now();
        let runtime = env.runtime.clone();
        let client = env.client.clone();
        let result = match on_cancel {
            OnCancel::Drop => {
                let cancelled_env = env.clone();
                runtime.block_on(async move {
                    tokio::select! {
                        result = op(env) => result,
                        _ = client.cancelled() => Err(cancelled(&cancelled_env, what)),
                    }
                })
            }
            OnCancel::Finish => {
                let log_env = env.clone();
                let result = runtime.block_on(op(env));
                if client.is_cancelled() {
                    tracing::warn!(
                        correlation_id = %log_env.ctx.correlation_id,
                        tool = %log_env.tool,
                        what,
                        outcome = match &result { Ok(_) => "ok", Err(e) => e.kind() },
                        "the client cancelled the call while a state change was under way; it was not abandoned and ran to completion"
                    );
                }
                result
            }
        };
        self.clock.charge_host(started.elapsed());
        result
    }
}

/// The error a cancelled host operation returns, after logging and counting
/// it, so an operator can see the work was freed.
fn cancelled(env: &CallEnv, what: &str) -> VsError {
    tracing::info!(
        correlation_id = %env.ctx.correlation_id,
        tool = %env.tool,
        what,
        "the client cancelled the call; its pending host work was dropped"
    );
    env.services
        .metrics
        .inc(names::CANCELLED_CALLS, vec![("tool", env.tool.clone())]);
    VsError::Cancelled(format!(
        "the client cancelled {} while it waited on {what}; nothing further was sent to vCenter",
        env.tool
    ))
}
