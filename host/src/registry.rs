//! The tool registry: every plugin tool under `infra.vmware.<group>.<tool>`,
//! plus the host's own tools. Name clashes are refused here, at start. It
//! speaks no transport: the MCP layer renders its entries as MCP tools.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Value, json};

use crate::requests::tools::RequestTool;
use crate::runtime::LoadedPlugin;

/// The prefix every tool name carries (the SDK names tools with the same one).
pub const PREFIX: &str = vmware_vocabulary::TOOL_PREFIX;

/// The host-served metrics tool.
pub const METRICS_TOOL: &str = "infra.vmware.getMetrics";

/// What serves a tool.
#[derive(Clone)]
pub enum ToolTarget {
    /// A plugin tool, by its name inside the group.
    Plugin {
        /// The loaded component.
        plugin: Arc<LoadedPlugin>,
        /// The tool's name inside its group.
        name: String,
    },
    /// The host's metrics tool.
    Metrics,
    /// One of the host's request tools.
    Requests(RequestTool),
}

/// Behaviour hints a client may use to decide how careful to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ToolHints {
    /// The tool only reads.
    pub read_only: bool,
    /// The tool may destroy or lose something.
    pub destructive: bool,
    /// A repeat with the same arguments has no further effect.
    pub idempotent: bool,
    /// The tool reaches beyond the server (vSphere); the host's own do not.
    pub open_world: bool,
}

/// One registered tool.
#[derive(Clone)]
pub struct ToolEntry {
    /// The full name, e.g. `infra.vmware.vms.listVMs`.
    pub name: String,
    /// What it does, for the model.
    pub description: String,
    /// The input schema, for listing and for argument checks.
    pub input_schema: Value,
    /// The result schema, when the result is structured.
    pub output_schema: Option<Value>,
    /// Behaviour hints.
    pub hints: ToolHints,
    /// Who serves it.
    pub target: ToolTarget,
    /// Whether a call may change state: it then becomes a durable request
    /// (see [`crate::requests`]), and may answer "still pending" in time.
    pub makes_requests: bool,
}

/// All tools, by full name.
#[derive(Clone, Default)]
pub struct ToolRegistry {
    entries: BTreeMap<String, ToolEntry>,
}

impl ToolRegistry {
    /// A registry with the host's own tools.
    pub fn new() -> Self {
        let mut r = ToolRegistry::default();
        let schema = json!({"type": "object", "properties": {}, "additionalProperties": false});
        r.entries.insert(
            METRICS_TOOL.to_string(),
            ToolEntry {
                name: METRICS_TOOL.to_string(),
                description: "Server metrics: tool calls by tool and outcome with latencies, vSphere calls by method, approvals, plugin failures, re-logins, uptime and loaded plugins. Read-only.".into(),
                input_schema: schema,
                output_schema: None,
                hints: ToolHints {
                    read_only: true,
                    destructive: false,
                    idempotent: true,
                    open_world: false,
                },
                target: ToolTarget::Metrics,
                makes_requests: false,
            },
        );
        for (tool, name) in RequestTool::ALL {
            r.entries.insert(
                name.to_string(),
                ToolEntry {
                    name: name.to_string(),
                    description: tool.description().into(),
                    input_schema: tool.input_schema(),
                    output_schema: None,
                    hints: ToolHints {
                        read_only: tool.read_only(),
                        destructive: false,
                        idempotent: true,
                        open_world: false,
                    },
                    target: ToolTarget::Requests(tool),
                    makes_requests: false,
                },
            );
        }
        r
    }

    /// Register every tool of a plugin. A clash with a name already taken is
    /// refused for that plugin as a whole, so a group is never half-loaded.
    pub fn add_plugin(&mut self, plugin: Arc<LoadedPlugin>) -> Result<usize, String> {
        let group = &plugin.manifest.group;
        let mut new_entries = Vec::new();
        for t in &plugin.manifest.tools {
            let full = format!("{PREFIX}.{group}.{}", t.name);
            if let Some(existing) = self.entries.get(&full) {
                let owner = match &existing.target {
                    ToolTarget::Plugin { plugin, .. } => plugin.identity.source.clone(),
                    ToolTarget::Metrics | ToolTarget::Requests(_) => "the host".into(),
                };
                return Err(format!(
                    "{} declares tool `{full}`, which {owner} already provides; the component was not loaded",
                    plugin.identity.source
                ));
            }
            let input_schema: Value = serde_json::from_str(&t.input_schema).map_err(|e| {
                format!(
                    "{}: tool `{}` input schema: {e}",
                    plugin.identity.source, t.name
                )
            })?;
            let output_schema = t
                .output_schema
                .as_deref()
                .map(serde_json::from_str::<Value>)
                .transpose()
                .map_err(|e| {
                    format!(
                        "{}: tool `{}` output schema: {e}",
                        plugin.identity.source, t.name
                    )
                })?;
            // The declared methods say whether a tool changes state (a tool
            // that invokes only reads, like a datastore search, does not); a
            // component from a contract that declares none, its hint.
            let makes_requests = match plugin.identity.capabilities.tool_invokes(&t.name) {
                Some(methods) => methods
                    .iter()
                    .any(|m| !crate::vsphere::classify::is_read_only(&m.managed_type, &m.method)),
                None => !t.annotations.read_only,
            };
            let output_schema = match output_schema {
                Some(schema) if makes_requests => Some(or_still_pending(schema)),
                other => other,
            };
            new_entries.push((
                full.clone(),
                ToolEntry {
                    name: full,
                    description: t.description.clone(),
                    input_schema,
                    output_schema,
                    hints: ToolHints {
                        read_only: t.annotations.read_only,
                        destructive: t.annotations.destructive,
                        idempotent: t.annotations.idempotent,
                        open_world: true,
                    },
                    target: ToolTarget::Plugin {
                        plugin: plugin.clone(),
                        name: t.name.clone(),
                    },
                    makes_requests,
                },
            ));
        }
        let count = new_entries.len();
        self.entries.extend(new_entries);
        Ok(count)
    }

    /// Look a tool up by full name.
    pub fn get(&self, name: &str) -> Option<&ToolEntry> {
        self.entries.get(name)
    }

    /// Every tool, sorted by name.
    pub fn entries(&self) -> impl Iterator<Item = &ToolEntry> {
        self.entries.values()
    }

    /// How many distinct plugins serve tools.
    pub fn plugin_count(&self) -> usize {
        let mut sources: Vec<&str> = self
            .entries
            .values()
            .filter_map(|e| match &e.target {
                ToolTarget::Plugin { plugin, .. } => Some(plugin.identity.source.as_str()),
                ToolTarget::Metrics | ToolTarget::Requests(_) => None,
            })
            .collect();
        sources.sort_unstable();
        sources.dedup();
        sources.len()
    }

    /// Every tool name, for error messages.
    pub fn names(&self) -> Vec<&str> {
        self.entries.keys().map(String::as_str).collect()
    }
}

/// The result a request tool gives when it cannot finish in time
/// (`CALL_WAIT_SECS`): the request id and what it waits for. A tool's output
/// schema admits it beside the tool's own result, since a client checks
/// structured results against the schema.
///
/// It is stated once per state-changing tool, so it says only what tells
/// the two answers apart; the message in the text content explains the
/// rest (`status`, `requestId`, `waitingFor`, `message`).
pub fn still_pending_schema() -> Value {
    json!({
        "properties": {
            "status": {"enum": ["pending_approval", "approved", "running"]}
        },
        "required": ["status", "requestId", "message"]
    })
}

/// `schema`, or the still-pending answer.
fn or_still_pending(schema: Value) -> Value {
    json!({"type": "object", "anyOf": [schema, still_pending_schema()]})
}
