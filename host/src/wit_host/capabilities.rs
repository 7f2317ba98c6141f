//! The capability check every vSphere and inventory import runs first: a
//! read of a type or an invoke of a method outside the calling group's
//! effective manifest (see [`crate::runtime::manifest`]) is refused here,
//! below the plugin and before the approval gate, and logged.

use crate::runtime::state::PluginState;
use crate::vocabulary::VsError;

impl PluginState {
    /// Refuse a read of `managed_type` the group did not declare.
    pub(crate) fn check_read(&self, managed_type: &str) -> Result<(), VsError> {
        self.plugin
            .capabilities
            .check_read(&self.plugin.group, managed_type)
            .map_err(|message| self.refused("read", managed_type, message))
    }

    /// Refuse an invoke of `method` on a `target_type` object the group did
    /// not declare (or the operator narrowed away), whatever the approval.
    pub(crate) fn check_invoke(&self, target_type: &str, method: &str) -> Result<(), VsError> {
        self.plugin
            .capabilities
            .check_invoke(&self.plugin.group, self.local_tool(), target_type, method)
            .map_err(|message| self.refused("invoke", &format!("{target_type}.{method}"), message))
    }

    /// Whether the called tool may change state: it declared methods to
    /// invoke, or it comes from a contract that declares nothing. Its names
    /// are then confirmed with vCenter as soon as they are resolved.
    pub(crate) fn may_change_state(&self) -> bool {
        self.plugin
            .capabilities
            .tool_invokes(self.local_tool())
            .is_none_or(|methods| !methods.is_empty())
    }

    /// The called tool's name within its group (`createSnapshot` for
    /// `infra.vmware.vms.createSnapshot`); empty outside a call.
    fn local_tool(&self) -> &str {
        let Some(call) = &self.call else { return "" };
        call.tool
            .rsplit_once('.')
            .map(|(_, name)| name)
            .unwrap_or(call.tool.as_str())
    }

    fn refused(&self, what: &'static str, name: &str, message: String) -> VsError {
        tracing::warn!(
            correlation_id = self.call.as_ref().map(|c| c.ctx.correlation_id.as_str()).unwrap_or(""),
            tool = self.call.as_ref().map(|c| c.tool.as_str()).unwrap_or(""),
            plugin = %self.plugin.group,
            plugin_version = %self.plugin.version,
            what,
            name,
            "refused: outside the group's capabilities"
        );
        VsError::ApprovalDenied { id: None, message }
    }
}
