//! `infra:vmware/log`: plugin log lines join the host's log, tagged with the
//! plugin's name and version and the call's correlation id.

use crate::runtime::contract::latest::log::{Field, Host, Level};
use crate::runtime::state::PluginState;

/// Longest plugin message kept, so a plugin cannot flood the log with one line.
const MAX_MESSAGE: usize = 4096;

impl Host for PluginState {
    fn write(&mut self, level: Level, message: String, fields: Vec<Field>) {
        let mut message = message;
        if message.len() > MAX_MESSAGE {
            let mut end = MAX_MESSAGE;
            while !message.is_char_boundary(end) {
                end -= 1;
            }
            message.truncate(end);
        }
        let fields: serde_json::Map<String, serde_json::Value> = fields
            .into_iter()
            .map(|f| (f.key, serde_json::Value::String(f.value)))
            .collect();
        let fields = serde_json::Value::Object(fields).to_string();
        let plugin = self.plugin.group.as_str();
        let plugin_version = self.plugin.version.as_str();
        let correlation_id = self
            .call
            .as_ref()
            .map(|c| c.ctx.correlation_id.as_str())
            .unwrap_or("");
        let tool = self.call.as_ref().map(|c| c.tool.as_str()).unwrap_or("");
        macro_rules! emit {
            ($lvl:ident) => {
                tracing::$lvl!(target: "plugin", plugin, plugin_version, correlation_id, tool, fields = %fields, "{message}")
            };
        }
        match level {
            Level::Trace => emit!(trace),
            Level::Debug => emit!(debug),
            Level::Info => emit!(info),
            Level::Warn => emit!(warn),
            Level::Error => emit!(error),
        }
    }
}
