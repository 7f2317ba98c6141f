//! The host's implementation of each WIT interface the plugins import: one
//! module per interface of the current contract, `v0_1` translating the
//! frozen 0.1.0 contract onto them, plus conversions between WIT and host
//! types.

pub mod approval;
pub mod convert;
pub mod inventory;
pub mod log;
pub mod v0_1;
pub mod vsphere;

use std::sync::Arc;
use std::time::Instant;

use crate::error::VsError;
use crate::runtime::state::{CallEnv, PluginState};

impl PluginState {
    /// Run an async host operation for the current call, blocking the plugin's
    /// thread, and charge the time to the host rather than the guest.
    pub(crate) fn host_call<T, F>(
        &mut self,
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
        let result = runtime.block_on(op(env));
        self.clock.charge_host(started.elapsed());
        result
    }
}
