//! Shapes tool outcomes as MCP results: structured content where the tool
//! declared an output schema, a compact JSON text block always (clients that
//! read only text get the same data; pretty-printing would nearly double a
//! page's size beside `structuredContent`), typed error details on failure,
//! and `_meta` with the correlation id and demo flag.

use rmcp::model::{CallToolResult, ContentBlock, MetaObject};
use serde_json::{Value, json};

use crate::vocabulary::VsError;

/// The text every demo result carries, so nobody mistakes it for a real vCenter.
pub const DEMO_NOTICE: &str = "DEMO MODE: this result comes from vmware-mcp's built-in simulated inventory; no vCenter is in use.";

/// What every result's `_meta` says.
pub struct ResultMeta<'a> {
    /// The call's correlation id.
    pub correlation_id: &'a str,
    /// Whether the simulated inventory served it.
    pub demo: bool,
    /// The durable request behind a state-changing call.
    pub request_id: Option<&'a str>,
}

/// A successful result.
pub fn success(value: Value, structured: bool, meta: &ResultMeta) -> CallToolResult {
    let text = value.to_string();
    let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
    if structured {
        result.structured_content = Some(value);
    }
    finish(result, meta)
}

/// A tool-level error: the kind, the message and any candidates, as JSON text.
pub fn failure(error: &VsError, meta: &ResultMeta) -> CallToolResult {
    let body = error_json(error);
    let text = body.to_string();
    finish(CallToolResult::error(vec![ContentBlock::text(text)]), meta)
}

/// The tool error for a call refused because every call slot is taken:
/// kind `busy`, so an agent can tell "retry shortly" from a real failure.
pub fn busy(limit: usize, meta: &ResultMeta) -> CallToolResult {
    let body = json!({ "error": {
        "kind": "busy",
        "message": format!("server busy: {limit} tool calls are already running (MCP_MAX_CONCURRENT_CALLS); nothing was done, retry shortly"),
        "limit": limit,
    }});
    finish(
        CallToolResult::error(vec![ContentBlock::text(body.to_string())]),
        meta,
    )
}

/// A tool-level error recorded earlier (a request's stored error, read back
/// for a task's result): its kind and message as the agent first saw them.
pub fn recorded_failure(kind: &str, message: &str, meta: &ResultMeta) -> CallToolResult {
    let body = json!({ "error": { "kind": kind, "message": message } });
    finish(
        CallToolResult::error(vec![ContentBlock::text(body.to_string())]),
        meta,
    )
}

/// The JSON form of an error, as shown to agents.
pub fn error_json(error: &VsError) -> Value {
    let mut e = json!({ "kind": error.kind(), "message": error.to_string() });
    match error {
        VsError::Ambiguous(candidates) => {
            e["candidates"] = candidates
                .iter()
                .map(|c| json!({"id": c.reference.value, "type": c.reference.kind, "path": c.path}))
                .collect();
        }
        VsError::Fault(f) => {
            e["faultType"] = json!(f.type_name);
            e["fault"] = f.detail.clone();
        }
        VsError::ApprovalRequired { id, .. } | VsError::ApprovalDenied { id, .. } => {
            if let Some(id) = id {
                e["approvalId"] = json!(id);
            }
        }
        _ => {}
    }
    json!({ "error": e })
}

fn finish(mut result: CallToolResult, meta: &ResultMeta) -> CallToolResult {
    if meta.demo {
        result.content.push(ContentBlock::text(DEMO_NOTICE));
    }
    let mut m = MetaObject::new();
    m.insert("correlation_id".into(), json!(meta.correlation_id));
    m.insert("demo".into(), json!(meta.demo));
    if let Some(id) = meta.request_id {
        m.insert("requestId".into(), json!(id));
    }
    result.meta = Some(m);
    result
}
