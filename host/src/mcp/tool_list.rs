//! The registry's tools as MCP tools: the one place that renders a
//! [`ToolEntry`] in rmcp's types, so `tools/list` and `vmware-mcp tools`
//! show the same thing.

use std::sync::Arc;

use rmcp::model::{Tool, ToolAnnotations};
use serde_json::{Map, Value};

use crate::registry::{ToolEntry, ToolRegistry};

/// One registry entry as an MCP tool.
pub fn mcp_tool(entry: &ToolEntry) -> Tool {
    let mut tool = Tool::new(
        entry.name.clone(),
        entry.description.clone(),
        as_object(&entry.input_schema),
    )
    .with_annotations(annotations(entry));
    if let Some(output) = &entry.output_schema {
        tool = tool.with_raw_output_schema(Arc::new(as_object(output)));
    }
    tool
}

/// The tool's hints, each stated only where it says something: the MCP
/// spec gives every hint a default (not read-only, destructive, not
/// idempotent, open world), and `destructive` and `idempotent` mean nothing
/// for a read-only tool. `readOnlyHint` is always stated, and
/// `destructiveHint` on every tool that changes state, since clients gate on
/// them. tools/list is read into a model's context on every session, so
/// each tool's entry stays lean.
fn annotations(entry: &ToolEntry) -> ToolAnnotations {
    let hints = entry.hints;
    let mut annotations = ToolAnnotations::new().read_only(hints.read_only);
    if !hints.read_only {
        annotations = annotations.destructive(hints.destructive);
        if hints.idempotent {
            annotations = annotations.idempotent(true);
        }
    }
    if !hints.open_world {
        annotations = annotations.open_world(false);
    }
    annotations
}

/// Every tool of the registry, sorted by name.
pub fn mcp_tools(registry: &ToolRegistry) -> Vec<Tool> {
    registry.entries().map(mcp_tool).collect()
}

fn as_object(v: &Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}
