//! Approval through MCP elicitation: the client's own user approves in the
//! client's UI.
//!
//! Only used when the operator turns it on (`APPROVAL_ELICITATION=true`),
//! because the server cannot tell whether a person or the client itself
//! answered: any client can claim to have asked a human. Two transports:
//!
//! - **session mode** (protocol before 2026-07-28): a server-to-client
//!   `elicitation/create` request on the call's peer;
//! - **MRTR** (SEP-2322, protocol 2026-07-28): the request is handed to the
//!   MCP layer, which returns an `InputRequiredResult` and resumes the call
//!   when the client retries with its answer (see `mcp::mrtr`).
//!
//! The form asks for an explicit `approve` tick and an optional reason; an
//! answer approves only when the client accepts **and** `approve` is true.

use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Value, json};

use super::client::{Answer, AnswerAction, Question};
use super::gate::{ActionRequest, Approved, Approver, CallInfo, Refused, Verdict};
use super::operator::approval_request;
use super::pending::{MAX_REASON_CHARS, sanitize};
use super::policy::PolicyOutcome;
use super::text::{clip, list};
use crate::vocabulary::VsError;

/// The environment variable turning elicitation on.
pub const ELICITATION_ENV: &str = "APPROVAL_ELICITATION";

/// Asks the client's user.
pub struct ElicitationApprover {
    timeout: Duration,
}

impl ElicitationApprover {
    /// An approver waiting up to `timeout` for the user's answer.
    pub fn new(timeout: Duration) -> Self {
        ElicitationApprover { timeout }
    }

    /// Whether `call`'s client can be asked at all.
    pub fn can_ask(call: &CallInfo) -> bool {
        call.client.can_ask()
    }
}

/// The form shown to the user: an explicit tick and an optional reason.
pub fn form() -> Value {
    json!({
        "type": "object",
        "properties": {
            "approve": {
                "type": "boolean",
                "title": "Approve this change",
                "description": "Tick to let the tool make exactly the change described; leave it unticked to refuse.",
                "default": false
            },
            "reason": {
                "type": "string",
                "title": "Reason",
                "description": "Optional: why you approve or refuse (recorded in the audit trail)."
            }
        },
        "required": ["approve"]
    })
}

/// The question, with everything the user needs to judge it.
fn message(id: &str, call: &CallInfo, action: &ActionRequest, target_names: &[String]) -> String {
    let request = approval_request(call, action, target_names);
    let targets: Vec<String> = request
        .targets
        .iter()
        .map(|t| format!("{} ({} {})", t.name, t.kind, t.id))
        .collect();
    format!(
        "Approval {id}: {}\nTool: {}\nTargets: {}\nvSphere methods: {}\nArguments: {}\nApprove this change?",
        request.summary,
        request.tool,
        list(&targets),
        list(&request.methods),
        clip(&request.arguments.to_string()),
    )
}

/// What an answer means for the approval.
fn interpret(answer: &Answer) -> Result<Option<String>, String> {
    let content = answer.content.as_ref();
    let reason = content
        .and_then(|c| c.get("reason"))
        .and_then(Value::as_str)
        .map(|r| sanitize(r, MAX_REASON_CHARS))
        .filter(|r| !r.is_empty());
    match answer.action {
        AnswerAction::Accept
            if content.and_then(|c| c.get("approve")) == Some(&Value::Bool(true)) =>
        {
            Ok(reason)
        }
        AnswerAction::Accept => {
            Err(reason.unwrap_or_else(|| "the user answered without ticking approve".to_string()))
        }
        AnswerAction::Decline => Err(reason.unwrap_or_else(|| "the user declined".to_string())),
        AnswerAction::Cancel => {
            Err(reason.unwrap_or_else(|| "the user dismissed the request".to_string()))
        }
        AnswerAction::Unknown => {
            Err("the client answered with an action this server does not know".to_string())
        }
    }
}

#[async_trait]
impl Approver for ElicitationApprover {
    async fn ask(
        &self,
        call: &CallInfo,
        action: &ActionRequest,
        target_names: &[String],
        _outcome: &PolicyOutcome,
    ) -> Result<Approved, Refused> {
        let id = match call.journal.request_id() {
            Some(request) => request.to_string(),
            None => format!("eli-{}", &uuid::Uuid::new_v4().simple().to_string()[..16]),
        };
        let who = format!(
            "elicitation:{}",
            call.client
                .client_name()
                .as_deref()
                .map(|n| sanitize(n, 64))
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| "client".to_string())
        );
        let refuse = |verdict: Verdict, error: VsError, by: &str| Refused {
            error,
            verdict,
            decided_by: by.to_string(),
            approval_id: Some(id.clone()),
        };
        let question = Question {
            message: message(&id, call, action, target_names),
            form: form(),
        };
        tracing::info!(correlation_id = %call.correlation_id, approval_id = %id, tool = %call.tool, route = call.client.question_route().unwrap_or("none"), "approval requested from the client's user by elicitation");
        if let Some(journal) = &call.journal.0 {
            let expires_at = time::OffsetDateTime::now_utc()
                + time::Duration::try_from(self.timeout).unwrap_or(time::Duration::ZERO);
            journal.awaiting(
                &format!("the answer of the client's user to approval {id}"),
                &approval_request(call, action, target_names),
                &expires_at
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default(),
            );
        }
        call.client
            .progress(
                0.0,
                format!(
                    "waiting for the user's approval {id}: {}",
                    clip(&action.summary)
                ),
            )
            .await;
        let asked = call.client.ask(question);
        let answer = tokio::select! {
            a = asked => a,
            _ = tokio::time::sleep(self.timeout) => {
                return Err(refuse(Verdict::TimedOut, VsError::Timeout(format!(
                    "approval {id} for {} on {} timed out after {}s without an answer from the client's user; nothing was changed",
                    clip(&call.tool), list(target_names), self.timeout.as_secs()
                )), "timeout"));
            }
            _ = call.client.cancelled() => {
                return Err(refuse(Verdict::Cancelled, VsError::ApprovalRequired {
                    id: Some(id.clone()),
                    message: format!("approval {id} was cancelled with the tool call; nothing was changed"),
                }, "cancelled"));
            }
        };
        let answer = answer.map_err(|why| {
            refuse(
                Verdict::Unavailable,
                VsError::ApprovalRequired {
                    id: Some(id.clone()),
                    message: format!("approval {id} could not be asked of the client's user: {why}; nothing was changed"),
                },
                "no-channel",
            )
        })?;
        match interpret(&answer) {
            Ok(reason) => Ok(Approved {
                decided_by: who,
                approval_id: Some(id),
                reason,
            }),
            Err(why) => Err(refuse(
                Verdict::Denied,
                VsError::ApprovalDenied {
                    id: Some(id.clone()),
                    message: format!(
                        "the client's user refused approval {id} for {} on {}: {why}",
                        clip(&call.tool),
                        list(target_names)
                    ),
                },
                &who,
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(action: AnswerAction, content: Option<Value>) -> Answer {
        Answer { action, content }
    }

    #[test]
    fn only_an_accepted_tick_approves() {
        assert_eq!(
            interpret(&answer(
                AnswerAction::Accept,
                Some(json!({"approve": true, "reason": "fine\n"}))
            )),
            Ok(Some("fine".into()))
        );
        assert!(
            interpret(&answer(
                AnswerAction::Accept,
                Some(json!({"approve": false}))
            ))
            .is_err()
        );
        assert!(
            interpret(&answer(
                AnswerAction::Accept,
                Some(json!({"approve": "true"}))
            ))
            .is_err()
        );
        assert!(interpret(&answer(AnswerAction::Accept, None)).is_err());
        assert_eq!(
            interpret(&answer(AnswerAction::Decline, None)),
            Err("the user declined".into())
        );
        assert!(
            interpret(&answer(
                AnswerAction::Cancel,
                Some(json!({"approve": true}))
            ))
            .is_err()
        );
    }

    #[test]
    fn the_form_is_valid() {
        let s = form();
        assert_eq!(s["properties"]["approve"]["type"], "boolean");
        assert_eq!(s["required"][0], "approve");
    }
}
