//! The three bodies a notification can take: the generic JSON event (for
//! receivers that act on it), a Slack incoming-webhook message (Block Kit)
//! and a Microsoft Teams message (an Adaptive Card), each with the
//! summary, targets, requester, expiry, decision and a link to the page.
//!
//! Everything quoted comes partly from a plugin (the summary) or from
//! vSphere (names), so chat formats bound every text and escape Slack's
//! control characters: a name cannot forge a link or a mention.

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::config::Format;
use super::event::{Event, Kind};

/// Most targets listed in a chat message; the rest are counted.
const MAX_TARGETS_SHOWN: usize = 10;

/// Longest text of one chat field, in characters (Slack allows 2000 per field).
const MAX_FIELD_CHARS: usize = 1500;

/// The body for `format`.
pub fn render(format: Format, event: &Event) -> Value {
    match format {
        Format::Json => generic(event),
        Format::Slack => slack(event),
        Format::Teams => teams(event),
    }
}

/// The generic event: every fact as data, for a receiver that acts on it.
pub fn generic(event: &Event) -> Value {
    let a = &event.approval;
    let r = &a.request;
    let targets: Vec<Value> = r
        .targets
        .iter()
        .enumerate()
        .map(|(i, t)| {
            json!({
                "type": t.kind,
                "id": t.id,
                "name": t.name,
                "path": event.paths.get(i).cloned().flatten(),
            })
        })
        .collect();
    let decision = match event.kind {
        Kind::Requested => Value::Null,
        kind => json!({
            "outcome": match kind {
                Kind::Approved => "approved",
                Kind::Denied => "denied",
                Kind::Expired => "expired",
                _ => "cancelled",
            },
            "decided_by": a.decided_by,
            "decider": event.decider(),
            "decided_at": a.decided_at,
            "reason": a.reason,
        }),
    };
    json!({
        "event": event.kind.name(),
        "occurred_at": event.occurred_at(),
        "approval": {
            "id": a.id,
            "status": a.status,
            "summary": r.summary,
            "tool": r.tool,
            "operation": r.operation,
            "targets": targets,
            "methods": r.methods,
            "arguments": r.arguments,
            "requester": {
                "session": r.session,
                "correlation_id": r.correlation_id,
                "identity": r.requester_identity,
                "name": r.requested_by,
                "client": r.requester_client,
            },
            "created_at": a.created_at,
            "expires_at": a.expires_at,
            "decision": decision,
            "url": event.link,
        },
    })
}

/// A Slack incoming-webhook message: a header, the summary with the tool
/// and methods, fields for targets, requester, expiry (or decision), and
/// the link; `text` is the fallback for notifications and old clients.
pub fn slack(event: &Event) -> Value {
    let a = &event.approval;
    let r = &a.request;
    let link = format!("<{}|Open the approvals page>", slack_escape(&event.link));
    let mut fields = vec![
        field(format!("*Targets*\n{}", slack_escape(&targets_text(event)))),
        field(format!(
            "*Requested by*\n{}",
            slack_escape(&event.requester())
        )),
        field(format!("*Request*\n`{}`", slack_escape(&a.id))),
    ];
    match event.kind {
        Kind::Requested => fields.push(field(format!("*Expires*\n{}", slack_date(&a.expires_at)))),
        Kind::Approved | Kind::Denied => {
            let mut decided = format!(
                "*Decided by*\n{}",
                slack_escape(event.decider().unwrap_or("an operator"))
            );
            if let Some(reason) = &a.reason {
                decided.push_str(&format!("\n_{}_", slack_escape(reason)));
            }
            fields.push(field(decided));
        }
        Kind::Expired | Kind::Cancelled => fields.push(field(format!(
            "*Ended*\n{}",
            slack_date(event.occurred_at())
        ))),
    }
    let headline = event.headline();
    json!({
        "text": format!(
            "{} ({}) on {}: {}",
            slack_escape(&headline),
            slack_escape(&a.id),
            slack_escape(&targets_text(event).replace('\n', ", ")),
            link
        ),
        "blocks": [
            {
                "type": "header",
                "text": { "type": "plain_text", "text": cut(&format!("{} {}", icon(event.kind), kind_title(event.kind)), 150), "emoji": true },
            },
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": cut(&format!(
                        "*{}*\n`{}` · vSphere {}",
                        slack_escape(&r.summary),
                        slack_escape(&r.tool),
                        slack_escape(&r.methods.join(", "))
                    ), 2900),
                },
            },
            { "type": "section", "fields": fields },
            {
                "type": "section",
                "text": { "type": "mrkdwn", "text": link },
            },
        ],
    })
}

/// A Teams message with one Adaptive Card: the headline, the summary, a
/// fact set (request, tool, methods, targets, requester, expiry or
/// decision) and a button opening the approvals page.
pub fn teams(event: &Event) -> Value {
    let a = &event.approval;
    let r = &a.request;
    let mut facts = vec![
        fact("Request", &a.id),
        fact("Tool", &r.tool),
        fact("vSphere methods", &r.methods.join(", ")),
        fact("Targets", &targets_text(event)),
        fact("Requested by", &event.requester()),
    ];
    match event.kind {
        Kind::Requested => facts.push(fact("Expires", &a.expires_at)),
        Kind::Approved | Kind::Denied => {
            facts.push(fact("Decided by", event.decider().unwrap_or("an operator")));
            if let Some(reason) = &a.reason {
                facts.push(fact("Reason", reason));
            }
        }
        Kind::Expired | Kind::Cancelled => facts.push(fact("Ended", event.occurred_at())),
    }
    json!({
        "type": "message",
        "summary": cut(&event.headline(), 150),
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "body": [
                    {
                        "type": "TextBlock",
                        "text": cut(&event.headline(), MAX_FIELD_CHARS),
                        "weight": "Bolder",
                        "size": "Medium",
                        "wrap": true,
                        "color": match event.kind {
                            Kind::Approved => "Good",
                            Kind::Denied | Kind::Expired => "Attention",
                            _ => "Default",
                        },
                    },
                    { "type": "FactSet", "facts": facts },
                ],
                "actions": [{
                    "type": "Action.OpenUrl",
                    "title": "Open the approvals page",
                    "url": event.link,
                }],
            },
        }],
    })
}

fn kind_title(kind: Kind) -> &'static str {
    match kind {
        Kind::Requested => "Approval needed",
        Kind::Approved => "Approved",
        Kind::Denied => "Denied",
        Kind::Expired => "Expired without a decision",
        Kind::Cancelled => "Withdrawn before a decision",
    }
}

fn icon(kind: Kind) -> &'static str {
    match kind {
        Kind::Requested => "⏳",
        Kind::Approved => "✅",
        Kind::Denied => "⛔",
        Kind::Expired => "⌛",
        Kind::Cancelled => "↩️",
    }
}

/// The targets, one a line, at most [`MAX_TARGETS_SHOWN`] and then a count.
fn targets_text(event: &Event) -> String {
    let lines = event.target_lines();
    let more = lines.len().saturating_sub(MAX_TARGETS_SHOWN);
    let mut text = lines
        .into_iter()
        .take(MAX_TARGETS_SHOWN)
        .collect::<Vec<_>>()
        .join("\n");
    if more > 0 {
        text.push_str(&format!("\nand {more} more"));
    }
    cut(&text, MAX_FIELD_CHARS)
}

fn field(text: String) -> Value {
    json!({ "type": "mrkdwn", "text": cut(&text, MAX_FIELD_CHARS) })
}

fn fact(title: &str, value: &str) -> Value {
    json!({ "title": title, "value": cut(value, MAX_FIELD_CHARS) })
}

fn cut(text: &str, max: usize) -> String {
    vmware_vocabulary::quote::cut(text, max)
}

/// `text` safe inside Slack mrkdwn: `&`, `<` and `>` are its control
/// characters (links, mentions), so they are escaped as Slack asks.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// An RFC 3339 time as a Slack date, shown in each reader's time zone, with
/// the UTC text as the fallback.
fn slack_date(rfc3339: &str) -> String {
    match OffsetDateTime::parse(rfc3339, &Rfc3339) {
        Ok(t) => format!(
            "<!date^{}^{{date_short_pretty}} {{time_secs}}|{}>",
            t.unix_timestamp(),
            slack_escape(rfc3339)
        ),
        Err(_) => slack_escape(rfc3339),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::approval::pending::Status;
    use crate::notify::event::tests::event;

    #[test]
    fn the_generic_event_carries_every_fact() {
        let v = generic(&event(Status::Pending));
        assert_eq!(v["event"], "approval.requested");
        let a = &v["approval"];
        assert_eq!(a["id"], "req-0123456789abcdef");
        assert_eq!(a["status"], "pending");
        assert_eq!(a["summary"], "Power off VM web-1 <prod>");
        assert_eq!(a["tool"], "infra.vmware.vms.powerOffVm");
        assert_eq!(
            a["targets"][0],
            json!({"type": "VirtualMachine", "id": "vm-42", "name": "web-1", "path": "DC0/vm/web/web-1"})
        );
        assert_eq!(a["methods"], json!(["PowerOffVM_Task"]));
        assert_eq!(a["requester"]["session"], "sess-7");
        assert_eq!(a["requester"]["correlation_id"], "corr-9");
        assert_eq!(a["expires_at"], "2025-06-01T10:02:00Z");
        assert_eq!(a["url"], "https://ops.example.com/approvals");
        assert!(a["decision"].is_null());

        let d = generic(&event(Status::Denied));
        assert_eq!(d["event"], "approval.denied");
        assert_eq!(d["occurred_at"], "2025-06-01T10:01:00Z");
        let decision = &d["approval"]["decision"];
        assert_eq!(decision["outcome"], "denied");
        assert_eq!(decision["decider"], "alice");
        assert_eq!(decision["decided_by"], "operator:alice");
        assert_eq!(decision["reason"], "not in business hours");
        let e = generic(&event(Status::TimedOut));
        assert_eq!(e["event"], "approval.expired");
        assert_eq!(e["approval"]["decision"]["outcome"], "expired");
        assert!(e["approval"]["decision"]["decider"].is_null());
    }

    #[test]
    fn slack_gets_blocks_with_every_fact_escaped_and_a_fallback() {
        let v = slack(&event(Status::Pending));
        let text = v["text"].as_str().unwrap();
        assert!(
            text.starts_with(
                "Approval needed: Power off VM web-1 &lt;prod&gt; (req-0123456789abcdef)"
            ) && text.contains("<https://ops.example.com/approvals|Open the approvals page>"),
            "{text}"
        );
        let blocks = v["blocks"].as_array().unwrap();
        assert_eq!(blocks[0]["type"], "header");
        assert_eq!(blocks[0]["text"]["type"], "plain_text");
        let all = serde_json::to_string(blocks).unwrap();
        for expected in [
            "Power off VM web-1 &lt;prod&gt;",
            "web-1 (VirtualMachine vm-42, DC0/vm/web/web-1)",
            "*Requested by*\\nMCP session sess-7",
            "*Expires*\\n<!date^1748772120^",
            "|2025-06-01T10:02:00Z>",
            "PowerOffVM_Task",
            "<https://ops.example.com/approvals|Open the approvals page>",
        ] {
            assert!(all.contains(expected), "{expected} in {all}");
        }
        assert!(!all.contains("<prod>"), "escaped: {all}");
        let denied = serde_json::to_string(&slack(&event(Status::Denied))).unwrap();
        assert!(
            denied.contains("*Decided by*\\nalice\\n_not in business hours_"),
            "{denied}"
        );
    }

    #[test]
    fn teams_gets_an_adaptive_card() {
        let v = teams(&event(Status::Approved));
        assert_eq!(v["type"], "message");
        let attachment = &v["attachments"][0];
        assert_eq!(
            attachment["contentType"],
            "application/vnd.microsoft.card.adaptive"
        );
        let card = &attachment["content"];
        assert_eq!(card["type"], "AdaptiveCard");
        assert_eq!(
            card["body"][0]["text"],
            "Approved by alice: Power off VM web-1 <prod>"
        );
        let facts = card["body"][1]["facts"].as_array().unwrap();
        let fact = |title: &str| {
            facts
                .iter()
                .find(|f| f["title"] == title)
                .map(|f| f["value"].as_str().unwrap().to_string())
        };
        assert_eq!(
            fact("Targets").as_deref(),
            Some("web-1 (VirtualMachine vm-42, DC0/vm/web/web-1)")
        );
        assert_eq!(fact("Decided by").as_deref(), Some("alice"));
        assert_eq!(card["actions"][0]["type"], "Action.OpenUrl");
        assert_eq!(
            card["actions"][0]["url"],
            "https://ops.example.com/approvals"
        );
        let pending = teams(&event(Status::Pending));
        let all = serde_json::to_string(&pending).unwrap();
        assert!(
            all.contains("\"Expires\"") && all.contains("2025-06-01T10:02:00Z"),
            "{all}"
        );
    }

    #[test]
    fn many_targets_are_counted_not_listed() {
        let mut e = event(Status::Pending);
        let t = e.approval.request.targets[0].clone();
        e.approval.request.targets = vec![t; 25];
        e.paths = vec![None; 25];
        let text = targets_text(&e);
        assert_eq!(text.lines().count(), MAX_TARGETS_SHOWN + 1);
        assert!(text.ends_with("and 15 more"), "{text}");
    }
}
