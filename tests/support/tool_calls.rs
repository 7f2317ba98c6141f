//! Calling a tool group's tools the way their end-to-end tests all do: a
//! call that must answer (and stay under the 100 KB result budget), a call
//! that must fail, and every page of a list. One copy for every group's tests.

use rmcp::RoleClient;
use rmcp::service::RunningService;
use serde_json::{Value, json};

use crate::server::call;

/// The MCP client the tool tests drive.
pub type Client = RunningService<RoleClient, ()>;

/// The largest tool result the project allows, in bytes.
pub const RESULT_BUDGET: usize = 100 * 1024;

/// `tool`'s answer to `args`, which must be a success under [`RESULT_BUDGET`].
pub async fn ok(client: &Client, tool: &str, args: Value) -> Value {
    let r = call(client, tool, args.clone()).await.unwrap();
    assert!(!r.is_error, "{tool} {args}: {}", r.text);
    assert!(
        r.text.len() < RESULT_BUDGET,
        "{tool} {args}: {} bytes",
        r.text.len()
    );
    r.json
}

/// The error kind and message of a call that must fail.
pub async fn error_of(client: &Client, tool: &str, args: Value) -> (String, String) {
    let r = call(client, tool, args.clone()).await.unwrap();
    assert!(r.is_error, "{tool} {args} should fail: {}", r.text);
    (r.error_kind().to_string(), r.error_message().to_string())
}

/// Every row of every page of `tool` (rows under `key`) with `args`,
/// checking the paging fields: `returned` counts the page, no page is longer
/// than the `limit` asked for, and a counted list's `total` is every row.
pub async fn all_pages(client: &Client, tool: &str, key: &str, args: Value) -> Vec<Value> {
    let mut rows = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..200 {
        let mut page_args = args.clone();
        if let Some(c) = &cursor {
            page_args["cursor"] = json!(c);
        }
        let page = ok(client, tool, page_args).await;
        let these = page[key].as_array().unwrap().clone();
        assert_eq!(page["returned"].as_u64(), Some(these.len() as u64));
        if let Some(limit) = args["limit"].as_u64() {
            assert!(these.len() as u64 <= limit, "{page}");
        }
        rows.extend(these);
        match page.get("nextCursor").and_then(Value::as_str) {
            Some(c) => cursor = Some(c.to_string()),
            None => {
                if let Some(total) = page.get("total") {
                    assert_eq!(total.as_u64(), Some(rows.len() as u64), "{tool} {args}");
                }
                return rows;
            }
        }
    }
    panic!("paging did not end");
}
