//! `vmware-mcp approvals list | show ID | approve ID [--reason R] | deny ID
//! --reason R`: the operator's command line, talking to a running server's
//! admin API. It never builds the server or loads plugins.
//!
//! The admin URL comes from `--admin-url` / `ADMIN_URL` (default
//! `http://127.0.0.1:5006`) and the token from the file in
//! `--admin-token-file` / `ADMIN_TOKEN_SECRET_PATH`, or else from
//! `ADMIN_TOKEN` (the line the demo banner prints). Output is for people unless `--json` is given,
//! which prints the admin API's JSON as is.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use serde_json::{Value, json};

use crate::config::{ApprovalsAction, ApprovalsArgs, Secret};

/// Run the command; prints results on stdout and problems on stderr.
pub async fn run(args: &ApprovalsArgs, token_file: Option<&Path>) -> ExitCode {
    match execute(args, token_file).await {
        Ok(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("vmware-mcp approvals: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn execute(args: &ApprovalsArgs, token_file: Option<&Path>) -> anyhow::Result<String> {
    let (token, source) = match (token_file, &args.admin_token) {
        (Some(file), _) => (
            Secret::from_file("ADMIN_TOKEN_SECRET_PATH", file)?,
            "the file in --admin-token-file / ADMIN_TOKEN_SECRET_PATH",
        ),
        (None, Some(token)) if !token.trim().is_empty() => {
            (Secret::new(token.trim()), "ADMIN_TOKEN")
        }
        _ => anyhow::bail!(
            "no admin token: give --admin-token-file (or ADMIN_TOKEN_SECRET_PATH) naming the file that holds the server's admin token, or set ADMIN_TOKEN to the token"
        ),
    };
    let base = args.admin_url.trim_end_matches('/');
    let decide = |verb: &str, id: &str, reason: Option<&String>, who: &Option<String>| {
        let approver = who
            .clone()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| "cli".to_string());
        (
            reqwest::Method::POST,
            format!("/api/approvals/{}/{verb}", segment(id)),
            Some(json!({ "reason": reason, "approver": approver })),
        )
    };
    let (method, path, body) = match &args.action {
        ApprovalsAction::List => (reqwest::Method::GET, "/api/approvals".to_string(), None),
        ApprovalsAction::Show { id } => (
            reqwest::Method::GET,
            format!("/api/approvals/{}", segment(id)),
            None,
        ),
        ApprovalsAction::Approve {
            id,
            reason,
            approver,
        } => decide("approve", id, reason.as_ref(), approver),
        ApprovalsAction::Deny {
            id,
            reason,
            approver,
        } => decide("deny", id, Some(reason), approver),
    };
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let url = format!("{base}{path}");
    let mut request = client.request(method, &url).header(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {}", token.expose()),
    );
    if let Some(body) = &body {
        request = request.json(body);
    }
    let response = request.send().await.map_err(|e| {
        anyhow::anyhow!("cannot reach the admin API at {base} ({e}); is the server running with ADMIN_TOKEN_SECRET_PATH set, and is ADMIN_URL right?")
    })?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    let value: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    if status == reqwest::StatusCode::UNAUTHORIZED {
        anyhow::bail!(
            "the admin API refused the token (401): {source} must hold the same token as the server's"
        );
    }
    if !status.is_success() {
        let message = value["error"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| value.to_string());
        anyhow::bail!("{message} (HTTP {})", status.as_u16());
    }
    if args.json {
        return Ok(serde_json::to_string_pretty(&value)?);
    }
    Ok(match &args.action {
        ApprovalsAction::List => render_list(&value),
        ApprovalsAction::Show { .. } => render_one(&value),
        ApprovalsAction::Approve { .. } | ApprovalsAction::Deny { .. } => format!(
            "{} {}: {} on {}",
            text_of(&value["status"]),
            text_of(&value["id"]),
            text_of(&value["tool"]),
            targets(&value)
        ),
    })
}

/// An id as one URL path segment (ids are `req-<hex>`; anything else is escaped).
fn segment(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "-".to_string(),
        other => other.to_string(),
    }
}

fn targets(a: &Value) -> String {
    let list: Vec<String> = a["targets"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| {
            format!(
                "{} ({} {})",
                text_of(&t["name"]),
                text_of(&t["type"]),
                text_of(&t["id"])
            )
        })
        .collect();
    if list.is_empty() {
        "-".to_string()
    } else {
        list.join(", ")
    }
}

fn render_list(v: &Value) -> String {
    let mut out = String::new();
    let pending = v["pending"].as_array().cloned().unwrap_or_default();
    if pending.is_empty() {
        out.push_str("No pending approvals.\n");
    } else {
        out.push_str(&format!("Pending ({}):\n", pending.len()));
        for a in &pending {
            out.push_str(&format!(
                "  {}  {}  on {}  expires {}\n    {}\n",
                text_of(&a["id"]),
                text_of(&a["tool"]),
                targets(a),
                text_of(&a["expires_at"]),
                text_of(&a["summary"])
            ));
        }
    }
    let recent = v["recent"].as_array().cloned().unwrap_or_default();
    if !recent.is_empty() {
        out.push_str(&format!("Recent decisions ({}):\n", recent.len()));
        for a in &recent {
            out.push_str(&format!(
                "  {}  {:<9}  {}  on {}  by {}{}\n",
                text_of(&a["id"]),
                text_of(&a["status"]),
                text_of(&a["tool"]),
                targets(a),
                text_of(&a["decided_by"]),
                a["reason"]
                    .as_str()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            ));
        }
    }
    out.trim_end().to_string()
}

fn render_one(a: &Value) -> String {
    let arguments = serde_json::to_string_pretty(&a["arguments"]).unwrap_or_default();
    let methods: Vec<String> = a["methods"]
        .as_array()
        .into_iter()
        .flatten()
        .map(text_of)
        .collect();
    let mut out = format!(
        "Approval {}\n  status:      {}\n  tool:        {}\n  operation:   {}\n  summary:     {}\n  targets:     {}\n  methods:     {}\n  session:     {}\n  correlation: {}\n  created:     {}\n  expires:     {}\n",
        text_of(&a["id"]),
        text_of(&a["status"]),
        text_of(&a["tool"]),
        text_of(&a["operation"]),
        text_of(&a["summary"]),
        targets(a),
        methods.join(", "),
        text_of(&a["session"]),
        text_of(&a["correlation_id"]),
        text_of(&a["created_at"]),
        text_of(&a["expires_at"]),
    );
    if !a["requested_by"].is_null() {
        out.push_str(&format!(
            "  requested by: {}{}\n",
            text_of(&a["requested_by"]),
            a["requester_client"]
                .as_str()
                .map(|c| format!(" via {c}"))
                .unwrap_or_default()
        ));
    }
    if !a["decided_by"].is_null() {
        out.push_str(&format!(
            "  decided:     {} by {}\n  reason:      {}\n",
            text_of(&a["decided_at"]),
            text_of(&a["decided_by"]),
            text_of(&a["reason"])
        ));
    }
    out.push_str("  arguments:\n");
    for line in arguments.lines() {
        out.push_str("    ");
        out.push_str(line);
        out.push('\n');
    }
    out.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_become_one_path_segment() {
        assert_eq!(segment("apr-12ab"), "apr-12ab");
        assert_eq!(segment("../x y"), "..%2Fx%20y");
    }

    #[test]
    fn list_and_show_are_readable() {
        let a = json!({
            "id": "apr-1", "status": "pending", "tool": "infra.vmware.vms.powerOffVm",
            "operation": "power-off", "summary": "Power off web-1",
            "targets": [{"type": "VirtualMachine", "id": "vm-1", "name": "web-1"}],
            "methods": ["PowerOffVM_Task"], "arguments": {"vmName": "web-1"},
            "session": null, "correlation_id": "c", "created_at": "t0", "expires_at": "t1"
        });
        let list = render_list(&json!({"pending": [a.clone()], "recent": []}));
        assert!(
            list.contains("apr-1") && list.contains("web-1 (VirtualMachine vm-1)"),
            "{list}"
        );
        assert_eq!(
            render_list(&json!({"pending": [], "recent": []})),
            "No pending approvals."
        );
        let one = render_one(&a);
        assert!(
            one.contains("PowerOffVM_Task") && one.contains("\"vmName\": \"web-1\""),
            "{one}"
        );
    }
}
