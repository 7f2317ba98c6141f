//! The registry's tools as MCP tools: the one place that renders a
//! [`ToolEntry`] in rmcp's types, so `tools/list` and `vmware-mcp tools`
//! show the same thing.

use std::sync::Arc;

use rmcp::model::{Tool, ToolAnnotations};
use serde_json::{Map, Value};

use crate::registry::{ToolEntry, ToolRegistry};

/// One registry entry as an MCP tool.
pub fn mcp_tool(entry: &ToolEntry) -> Tool {
    let hints = entry.hints;
    let mut tool = Tool::new(
        entry.name.clone(),
        entry.description.clone(),
        as_object(&entry.input_schema),
    )
    .with_annotations(
        ToolAnnotations::new()
            .read_only(hints.read_only)
            .destructive(hints.destructive)
            .idempotent(hints.idempotent)
            .open_world(hints.open_world),
    );
    if let Some(output) = &entry.output_schema {
        tool = tool.with_raw_output_schema(Arc::new(as_object(output)));
    }
    tool
}

/// Every tool of the registry, sorted by name.
pub fn mcp_tools(registry: &ToolRegistry) -> Vec<Tool> {
    registry.entries().map(mcp_tool).collect()
}

fn as_object(v: &Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}
