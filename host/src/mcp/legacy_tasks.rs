//! The 2025-11-25 `tasks` utility, which the TypeScript SDK's
//! `client.experimental.tasks` speaks, on top of rmcp 3.11, which models
//! only the 2026-07-28 Tasks extension (different methods and shapes, and a
//! `task` parameter it drops). For clients on protocol 2025-11-25 and older
//! this middleware, inside the JSON-RPC guard (the body is already read and
//! bounded):
//! - renames `tools/call` with a `task` parameter, and `tasks/get`,
//!   `tasks/result`, `tasks/list` and `tasks/cancel`, to private methods the
//!   handler answers in the 2025 shapes ([`crate::mcp::tasks`]);
//! - adds `capabilities.tasks` to the `initialize` result, and
//!   `execution.taskSupport: "optional"` to the tools that may change state
//!   in `tools/list`, so that clients know they may ask for a task.
//!
//! Clients on 2026-07-28 pass untouched: rmcp serves them the extension.

use std::collections::{BTreeSet, HashSet, VecDeque};
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::Response;
use futures::StreamExt;
use serde_json::{Value, json};

use crate::app::App;

/// `tools/call` with a `task` parameter.
pub const CALL: &str = "vmware/tasks-2025-11-25/call";
/// `tasks/get`.
pub const GET: &str = "vmware/tasks-2025-11-25/get";
/// `tasks/result`.
pub const RESULT: &str = "vmware/tasks-2025-11-25/result";
/// `tasks/list`.
pub const LIST: &str = "vmware/tasks-2025-11-25/list";
/// `tasks/cancel`.
pub const CANCEL: &str = "vmware/tasks-2025-11-25/cancel";

/// The first protocol version whose tasks rmcp serves itself.
const EXTENSION_VERSION: &str = "2026-07-28";

/// What to add to a response.
enum Patch {
    /// `capabilities.tasks` in the `initialize` result.
    Capabilities,
    /// `execution.taskSupport` on these tools in `tools/list`.
    TaskSupport(Arc<BTreeSet<String>>),
}

/// Most sessions remembered as speaking the extension; the oldest is
/// forgotten past it (it then gets the 2025 translation, as most do).
const MAX_EXTENSION_SESSIONS: usize = 10_000;

/// What the translation needs: the tools, and which sessions declared the
/// 2026-07-28 extension at `initialize` (rmcp serves those itself, even on
/// an older protocol version).
pub struct Translation {
    app: Arc<App>,
    extension_sessions: Mutex<(HashSet<String>, VecDeque<String>)>,
}

impl Translation {
    /// The translation for `app`'s tools.
    pub fn new(app: Arc<App>) -> Arc<Self> {
        Arc::new(Translation {
            app,
            extension_sessions: Mutex::default(),
        })
    }

    fn sessions(&self) -> std::sync::MutexGuard<'_, (HashSet<String>, VecDeque<String>)> {
        self.extension_sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    fn speaks_extension(&self, request: &Request) -> bool {
        let by_version = request
            .headers()
            .get("mcp-protocol-version")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v >= EXTENSION_VERSION);
        by_version
            || request
                .headers()
                .get("mcp-session-id")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|id| self.sessions().0.contains(id))
    }

    fn remember(&self, response: &Response) {
        let Some(id) = response
            .headers()
            .get("mcp-session-id")
            .and_then(|v| v.to_str().ok())
        else {
            return;
        };
        let mut sessions = self.sessions();
        if sessions.0.insert(id.to_string()) {
            sessions.1.push_back(id.to_string());
        }
        while sessions.1.len() > MAX_EXTENSION_SESSIONS {
            if let Some(old) = sessions.1.pop_front() {
                sessions.0.remove(&old);
            }
        }
    }
}

/// Axum middleware: translate 2025-11-25 task traffic (see the module docs).
pub async fn translate(
    State(translation): State<Arc<Translation>>,
    request: Request,
    next: Next,
) -> Response {
    if request.method() != Method::POST || translation.speaks_extension(&request) {
        return next.run(request).await;
    }
    let app = &translation.app;
    let (parts, body) = request.into_parts();
    // The guard has read and bounded the body already; this takes it back.
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(_) => return next.run(Request::from_parts(parts, Body::empty())).await,
    };
    let Ok(mut message) = serde_json::from_slice::<Value>(&bytes) else {
        return next
            .run(Request::from_parts(parts, Body::from(bytes)))
            .await;
    };
    let method = message.get("method").and_then(Value::as_str).unwrap_or("");
    let (renamed, patch) = match method {
        "tools/call" if message["params"]["task"].is_object() => (Some(CALL), None),
        "tasks/get" => (Some(GET), None),
        "tasks/result" => (Some(RESULT), None),
        "tasks/list" => (Some(LIST), None),
        "tasks/cancel" => (Some(CANCEL), None),
        "initialize" if declares_extension(&message) => {
            let response = next
                .run(Request::from_parts(parts, Body::from(bytes)))
                .await;
            translation.remember(&response);
            return response;
        }
        "initialize" => (None, Some(Patch::Capabilities)),
        "tools/list" => (None, Some(Patch::TaskSupport(request_tools(app)))),
        _ => (None, None),
    };
    let body = match renamed {
        Some(private) => {
            message["method"] = json!(private);
            Body::from(message.to_string())
        }
        None => Body::from(bytes),
    };
    let mut parts = parts;
    parts.headers.remove(header::CONTENT_LENGTH);
    let response = next.run(Request::from_parts(parts, body)).await;
    match patch {
        Some(patch) => patched(response, patch),
        None => response,
    }
}

/// Whether an `initialize` asks for 2026-07-28 or later, or declares the
/// Tasks extension.
fn declares_extension(message: &Value) -> bool {
    let params = &message["params"];
    params["protocolVersion"]
        .as_str()
        .is_some_and(|v| v >= EXTENSION_VERSION)
        || params["capabilities"]["extensions"]
            .get(rmcp::model::TASKS_EXTENSION_ID)
            .is_some()
}

/// The tools that may change state: the ones a task is worth it for.
fn request_tools(app: &App) -> Arc<BTreeSet<String>> {
    Arc::new(
        app.registry
            .entries()
            .filter(|e| e.makes_requests)
            .map(|e| e.name.clone())
            .collect(),
    )
}

/// The response with `patch` applied to the JSON-RPC result it carries,
/// whether as JSON or as server-sent events (one `data:` line per message),
/// line by line as the body streams.
fn patched(response: Response, patch: Patch) -> Response {
    let (mut parts, body) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    let start = (body.into_data_stream(), Vec::<u8>::new(), patch, false);
    let lines =
        futures::stream::unfold(start, |(mut chunks, mut pending, patch, done)| async move {
            if done {
                return None;
            }
            loop {
                if let Some(end) = pending.iter().position(|b| *b == b'\n') {
                    let line: Vec<u8> = pending.drain(..=end).collect();
                    let out = patch_line(&line, &patch);
                    return Some((Ok(out), (chunks, pending, patch, false)));
                }
                match chunks.next().await {
                    Some(Ok(chunk)) => pending.extend_from_slice(&chunk),
                    Some(Err(e)) => return Some((Err(e), (chunks, pending, patch, true))),
                    None if pending.is_empty() => return None,
                    None => {
                        let out = patch_line(&pending, &patch);
                        return Some((Ok(out), (chunks, Vec::new(), patch, true)));
                    }
                }
            }
        });
    Response::from_parts(parts, Body::from_stream(lines))
}

/// One line of a response body (an SSE `data:` line, or the whole JSON
/// body), with the patch applied when it carries the result.
fn patch_line(line: &[u8], patch: &Patch) -> Bytes {
    let text = String::from_utf8_lossy(line);
    let (prefix, json_text) = match text.strip_prefix("data:") {
        Some(rest) => ("data: ", rest.trim_start()),
        None => ("", text.as_ref()),
    };
    let trimmed = json_text.trim_end_matches(['\r', '\n']);
    let ending = &json_text[trimmed.len()..];
    let Ok(mut message) = serde_json::from_str::<Value>(trimmed) else {
        return Bytes::copy_from_slice(line);
    };
    let Some(result) = message.get_mut("result").and_then(Value::as_object_mut) else {
        return Bytes::copy_from_slice(line);
    };
    match patch {
        Patch::Capabilities => {
            if let Some(capabilities) = result
                .get_mut("capabilities")
                .and_then(Value::as_object_mut)
            {
                capabilities.insert(
                    "tasks".into(),
                    json!({"list": {}, "cancel": {}, "requests": {"tools": {"call": {}}}}),
                );
            }
        }
        Patch::TaskSupport(names) => {
            for tool in result
                .get_mut("tools")
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                let wanted = tool
                    .get("name")
                    .and_then(Value::as_str)
                    .is_some_and(|n| names.contains(n));
                if wanted {
                    tool["execution"] = json!({"taskSupport": "optional"});
                }
            }
        }
    }
    Bytes::from(format!("{prefix}{message}{ending}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_sse_result_line_gets_the_tasks_capability_and_other_lines_pass() {
        let line =
            b"data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"capabilities\":{\"tools\":{}}}}\n";
        let out = patch_line(line, &Patch::Capabilities);
        let text = String::from_utf8(out.to_vec()).unwrap();
        assert!(text.starts_with("data: ") && text.ends_with('\n'), "{text}");
        let message: Value = serde_json::from_str(text["data: ".len()..].trim()).unwrap();
        assert!(
            message["result"]["capabilities"]["tasks"]["requests"]["tools"]["call"].is_object()
        );
        assert_eq!(
            &patch_line(b"id: 7\n", &Patch::Capabilities)[..],
            b"id: 7\n"
        );
    }

    #[test]
    fn only_the_named_tools_get_task_support() {
        let names = Arc::new(BTreeSet::from(["t.change".to_string()]));
        let body = br#"{"jsonrpc":"2.0","id":2,"result":{"tools":[{"name":"t.change"},{"name":"t.read"}]}}"#;
        let out = patch_line(body, &Patch::TaskSupport(names));
        let message: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            message["result"]["tools"][0]["execution"]["taskSupport"],
            "optional"
        );
        assert!(message["result"]["tools"][1].get("execution").is_none());
    }
}
