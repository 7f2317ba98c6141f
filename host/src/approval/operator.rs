//! The operator approver: when the policy says "ask", it files a pending
//! approval for the operator channels (admin API, CLI, web page) and makes
//! the tool call wait for a decision, telling the client what it waits for.
//!
//! The wait ends with the first of: an operator's approve or deny, the
//! approval timeout (`APPROVAL_TIMEOUT_SECS`), or the client cancelling the
//! call. Only an approval lets the call go on; everything else refuses it
//! with the approval id, so the agent and the operator can refer to it.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;

use super::gate::{ActionRequest, Approved, Approver, CallInfo, Refused, Verdict};
use super::pending::{ApprovalRequest, OperatorDecision, PendingApprovals, Status, TargetView};
use super::policy::PolicyOutcome;
use super::text::{clip, list};
use crate::vocabulary::VsError;
use crate::vocabulary::redact;

/// The environment variable for how long a call waits for an operator.
pub const TIMEOUT_ENV: &str = "APPROVAL_TIMEOUT_SECS";

/// The default wait: long enough for a person to read and decide, short
/// enough that an agent is not stuck for long when nobody is there.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

/// How often a waiting call repeats its progress notification, so that
/// clients with request timeouts that reset on progress keep waiting.
const PROGRESS_EVERY: Duration = Duration::from_secs(5);

/// Files pending approvals and waits for operators.
pub struct OperatorApprover {
    pending: Arc<PendingApprovals>,
    timeout: Duration,
}

impl OperatorApprover {
    /// An approver filing into `pending` and waiting up to `timeout`.
    pub fn new(pending: Arc<PendingApprovals>, timeout: Duration) -> Self {
        OperatorApprover { pending, timeout }
    }

    /// How long calls wait, for messages elsewhere.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }
}

/// What operators are shown for `action`: the host-read names next to the
/// plugin's (when they differ), and the detail parsed and redacted.
pub fn approval_request(
    call: &CallInfo,
    action: &ActionRequest,
    target_names: &[String],
) -> ApprovalRequest {
    let targets = action
        .targets
        .iter()
        .zip(target_names)
        .map(|((r, plugin_name), name)| TargetView {
            kind: r.kind.clone(),
            id: r.value.clone(),
            name: name.clone(),
            plugin_name: (plugin_name != name && !plugin_name.is_empty())
                .then(|| clip(plugin_name)),
        })
        .collect();
    let arguments = match serde_json::from_str::<Value>(&action.detail) {
        Ok(v) => redact(&v),
        Err(_) if action.detail.trim().is_empty() => Value::Null,
        Err(_) => Value::String(clip(&action.detail)),
    };
    ApprovalRequest {
        tool: call.tool.clone(),
        operation: clip(&action.operation),
        summary: clip(&action.summary),
        targets,
        methods: action.methods.clone(),
        arguments,
        session: call.session.clone(),
        correlation_id: call.correlation_id.clone(),
        requested_by: call.principal.as_ref().map(|p| p.label().to_string()),
        requester_identity: call.principal.as_ref().map(|p| p.id.clone()),
        requester_client: crate::approval::gate::requester_client(call),
    }
}

#[async_trait]
impl Approver for OperatorApprover {
    async fn ask(
        &self,
        call: &CallInfo,
        action: &ActionRequest,
        target_names: &[String],
        _outcome: &PolicyOutcome,
    ) -> Result<Approved, Refused> {
        let request = approval_request(call, action, target_names);
        let summary = request.summary.clone();
        let asked = request.clone();
        let waiting = self
            .pending
            .create(request, self.timeout, call.journal.request_id())
            .map_err(|error| Refused {
                error,
                verdict: Verdict::Unavailable,
                decided_by: "no-channel".into(),
                approval_id: None,
            })?;
        let id = waiting.id.clone();
        // If this future is dropped mid-wait, the entry must not linger as pending.
        let guard = CloseOnDrop {
            pending: &self.pending,
            id: id.clone(),
            armed: true,
        };
        tracing::info!(
            correlation_id = %call.correlation_id, approval_id = %id, tool = %call.tool,
            targets = %list(target_names), methods = %list(&action.methods),
            timeout_secs = self.timeout.as_secs(), "approval pending: waiting for an operator"
        );
        let message = format!("waiting for operator approval {id}: {summary}");
        if let Some(journal) = &call.journal.0 {
            journal.awaiting(
                &format!(
                    "an operator's decision on approval {id} (the approvals page or `vmware-mcp approvals`), until {}",
                    waiting.expires_at
                ),
                &asked,
                &waiting.expires_at,
            );
        }
        let mut decision = waiting.decision;
        let now = tokio::time::Instant::now();
        // An absurd timeout must not panic; the gate's configuration bounds it anyway.
        let deadline = now.checked_add(self.timeout).unwrap_or(now);
        let mut tick = tokio::time::interval(PROGRESS_EVERY);
        let mut waited = 0.0f64;
        let outcome = loop {
            tokio::select! {
                d = &mut decision => break d.ok().map(Ok).unwrap_or(Err(Status::Cancelled)),
                _ = tokio::time::sleep_until(deadline) => break Err(Status::TimedOut),
                _ = call.client.cancelled() => break Err(Status::Cancelled),
                _ = tick.tick() => {
                    call.client.progress(waited, message.clone()).await;
                    waited += PROGRESS_EVERY.as_secs_f64();
                }
            }
        };
        let outcome = match outcome {
            Ok(d) => Ok(d),
            Err(status) if self.pending.close(&id, status) => Err(status),
            // An operator decided in the same instant; their decision stands.
            Err(status) => decision.try_recv().map_err(|_| status),
        };
        let mut guard = guard;
        guard.armed = false;
        match outcome {
            Ok(OperatorDecision::Approve { approver, reason }) => {
                tracing::info!(correlation_id = %call.correlation_id, approval_id = %id, approver = %approver, "approval approved by an operator");
                call.client
                    .progress(waited, format!("operator {approver} approved {id}"))
                    .await;
                Ok(Approved {
                    decided_by: format!("operator:{approver}"),
                    approval_id: Some(id),
                    reason,
                })
            }
            Ok(OperatorDecision::Deny { approver, reason }) => Err(Refused {
                error: VsError::ApprovalDenied {
                    id: Some(id.clone()),
                    message: format!(
                        "operator {approver} denied approval {id} for {} on {}: {reason}",
                        clip(&call.tool),
                        list(target_names)
                    ),
                },
                verdict: Verdict::Denied,
                decided_by: format!("operator:{approver}"),
                approval_id: Some(id),
            }),
            Err(Status::TimedOut) => Err(Refused {
                error: VsError::Timeout(format!(
                    "approval {id} for {} on {} timed out after {}s without an operator's decision ({} = {}); nothing was changed",
                    clip(&call.tool),
                    list(target_names),
                    self.timeout.as_secs(),
                    TIMEOUT_ENV,
                    self.timeout.as_secs()
                )),
                verdict: Verdict::TimedOut,
                decided_by: "timeout".into(),
                approval_id: Some(id),
            }),
            Err(_) => Err(Refused {
                error: VsError::ApprovalRequired {
                    id: Some(id.clone()),
                    message: format!(
                        "approval {id} was cancelled with the tool call before an operator decided; nothing was changed"
                    ),
                },
                verdict: Verdict::Cancelled,
                decided_by: "cancelled".into(),
                approval_id: Some(id),
            }),
        }
    }
}

/// Marks the approval cancelled if the waiting future is dropped early.
struct CloseOnDrop<'a> {
    pending: &'a PendingApprovals,
    id: String,
    armed: bool,
}

impl Drop for CloseOnDrop<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.pending.close(&self.id, Status::Cancelled);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::approval::client::ClientLink;
    use crate::approval::policy::{Decision, MatchedBy};
    use crate::vsphere::MoRef;

    fn call() -> CallInfo {
        CallInfo {
            tool: "infra.vmware.vms.powerOffVm".into(),
            correlation_id: "corr-9".into(),
            session: Some("s".into()),
            ..CallInfo::default()
        }
    }

    fn action() -> ActionRequest {
        ActionRequest {
            operation: "power-off".into(),
            summary: "Power off web-1".into(),
            targets: vec![(MoRef::new("VirtualMachine", "vm-1"), "web-1".into())],
            methods: vec!["PowerOffVM_Task".into()],
            detail: r#"{"vmName":"web-1","password":"hunter2"}"#.into(),
        }
    }

    const ASK: PolicyOutcome = PolicyOutcome {
        decision: Decision::Ask,
        matched: MatchedBy::Default,
    };

    async fn wait_for_pending(store: &PendingApprovals) -> String {
        for _ in 0..200 {
            if let Some(v) = store.list().0.first() {
                return v.id.clone();
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("no pending approval appeared");
    }

    #[tokio::test]
    async fn an_operator_approval_lets_the_call_go_on() {
        let store = Arc::new(PendingApprovals::new());
        let approver = OperatorApprover::new(store.clone(), Duration::from_secs(30));
        let names = vec!["web-1".to_string()];
        let (c, a) = (call(), action());
        let asking = approver.ask(&c, &a, &names, &ASK);
        let deciding = async {
            let id = wait_for_pending(&store).await;
            let view = store.get(&id).unwrap();
            assert_eq!(view.request.targets[0].name, "web-1");
            assert_eq!(view.request.arguments["password"], "***", "redacted");
            store
                .decide(
                    &id,
                    OperatorDecision::Approve {
                        approver: "alice".into(),
                        reason: Some("ok".into()),
                    },
                )
                .unwrap();
            id
        };
        let (result, id) = tokio::join!(asking, deciding);
        let approved = result.unwrap();
        assert_eq!(approved.decided_by, "operator:alice");
        assert_eq!(approved.approval_id.as_deref(), Some(id.as_str()));
        assert_eq!(approved.reason.as_deref(), Some("ok"));
    }

    #[tokio::test]
    async fn a_denial_carries_the_reason_and_id() {
        let store = Arc::new(PendingApprovals::new());
        let approver = OperatorApprover::new(store.clone(), Duration::from_secs(30));
        let names = vec!["web-1".to_string()];
        let (c, a) = (call(), action());
        let (result, id) = tokio::join!(approver.ask(&c, &a, &names, &ASK), async {
            let id = wait_for_pending(&store).await;
            store
                .decide(
                    &id,
                    OperatorDecision::Deny {
                        approver: "bob".into(),
                        reason: "not during business hours".into(),
                    },
                )
                .unwrap();
            id
        });
        let refused = result.unwrap_err();
        assert_eq!(refused.verdict, Verdict::Denied);
        match refused.error {
            VsError::ApprovalDenied {
                id: Some(got),
                message,
            } => {
                assert_eq!(got, id);
                assert!(
                    message.contains("not during business hours") && message.contains("bob"),
                    "{message}"
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn nobody_deciding_times_out_with_the_id() {
        let store = Arc::new(PendingApprovals::new());
        let approver = OperatorApprover::new(store.clone(), Duration::from_millis(300));
        let names = vec!["web-1".to_string()];
        let refused = approver
            .ask(&call(), &action(), &names, &ASK)
            .await
            .unwrap_err();
        assert_eq!(refused.verdict, Verdict::TimedOut);
        let id = refused.approval_id.clone().unwrap();
        match &refused.error {
            VsError::Timeout(m) => {
                assert!(m.contains(&id) && m.contains("nothing was changed"), "{m}")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(store.get(&id).unwrap().status, Status::TimedOut);
        assert!(store.list().0.is_empty());
    }

    #[tokio::test]
    async fn a_cancelled_call_stops_waiting() {
        let store = Arc::new(PendingApprovals::new());
        let approver = OperatorApprover::new(store.clone(), Duration::from_secs(60));
        let token = tokio_util::sync::CancellationToken::new();
        let mut c = call();
        c.client = ClientLink::new(Arc::new(
            crate::approval::client::testing::CancellingClient(token.clone()),
        ));
        let names = vec!["web-1".to_string()];
        let a = action();
        let (result, _) = tokio::join!(approver.ask(&c, &a, &names, &ASK), async {
            wait_for_pending(&store).await;
            token.cancel();
        });
        let refused = result.unwrap_err();
        assert_eq!(refused.verdict, Verdict::Cancelled);
        assert_eq!(
            store
                .get(refused.approval_id.as_deref().unwrap())
                .unwrap()
                .status,
            Status::Cancelled
        );
    }
}
