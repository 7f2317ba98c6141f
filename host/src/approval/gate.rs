//! The decision flow behind the WIT `approval.request` host function: check
//! the action, consult the policy, ask an [`Approver`] when the policy says
//! `ask`, and issue a [`Grant`] when the answer is yes.
//!
//! The gate trusts nothing the plugin says about names: the policy is matched
//! against names the host read itself. What it returns is a grant for the
//! caller to add to the tool call's [`CallGrants`](super::grants::CallGrants);
//! `vsphere.invoke` then spends it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use time::OffsetDateTime;

use super::audit::{AuditError, AuditLog, AuditTarget, DecisionRecord, now_rfc3339};
use super::client::ClientLink;
use super::grants::{GRANT_TTL, Grant};
use super::journal::ApprovalTrail;
pub use super::journal::Verdict;
use super::open_asks::{OpenAsk, OpenAsks};
use super::policy::{Decision, MatchedBy, Policy, PolicyOutcome};
use super::text::{clip, list};
use crate::telemetry::metrics::{Metrics, names};
use crate::vocabulary::VsError;
use crate::vsphere::MoRef;
use crate::vsphere::classify::looks_like_method_name;

/// Most methods one action may list; more is a plugin bug, not a real action.
pub const MAX_METHODS: usize = 64;

/// Most targets one action may list, so one request cannot flood an approver.
pub const MAX_TARGETS: usize = 1000;

/// The tool call asking, for policy matching and the audit trail.
#[derive(Debug, Clone, Default)]
pub struct CallInfo {
    /// The full MCP tool name, e.g. `infra.vmware.vms.powerOffVm`; policy
    /// rules match on it.
    pub tool: String,
    /// The call's correlation id, tying the decision to the call's log lines.
    pub correlation_id: String,
    /// The MCP session, when known, so an operator can see who is asking.
    pub session: Option<String>,
    /// Who the caller's token names, so operators, the audit trail and the
    /// distinct-approver rule know the requester.
    pub principal: Option<crate::principal::Principal>,
    /// How to reach the client while the call waits (progress,
    /// elicitation, cancellation); empty when not called over MCP.
    pub client: ClientLink,
    /// The durable request behind the call, told how the approval goes.
    pub journal: ApprovalTrail,
    /// A decision made before this run of the call (an operator approved
    /// the request before a restart): used instead of asking again, for
    /// exactly the targets and methods it was given for.
    pub preapproved: Option<Preapproval>,
}

/// An operator's yes given to an earlier run of the same request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preapproval {
    /// Who approved, and why.
    pub approved: Approved,
    /// The ids of the targets they saw.
    pub target_ids: Vec<String>,
    /// The methods they allowed.
    pub methods: Vec<String>,
}

impl Preapproval {
    /// Whether it covers `action`: the same targets and at most the same methods.
    pub fn covers(&self, action: &ActionRequest) -> bool {
        let mut ids: Vec<&str> = action
            .targets
            .iter()
            .map(|(r, _)| r.value.as_str())
            .collect();
        let mut seen: Vec<&str> = self.target_ids.iter().map(String::as_str).collect();
        ids.sort_unstable();
        seen.sort_unstable();
        ids == seen && action.methods.iter().all(|m| self.methods.contains(m))
    }
}

/// The action a plugin wants approved, as it described it (WIT `action`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionRequest {
    /// A short machine name, e.g. `power-off`.
    pub operation: String,
    /// One human sentence saying what will change.
    pub summary: String,
    /// The objects it changes, with the plugin's names for them (shown to
    /// people only; the policy uses the host's names).
    pub targets: Vec<(MoRef, String)>,
    /// The vSphere methods the tool will invoke on those targets.
    pub methods: Vec<String>,
    /// The tool's arguments or other detail as JSON, for the approver.
    pub detail: String,
}

/// A yes from an [`Approver`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Approved {
    /// Who approved, e.g. `operator:alice`; recorded in the grant.
    pub decided_by: String,
    /// The pending approval's id, when one was created; in the audit trail.
    pub approval_id: Option<String>,
    /// The approver's reason, if given; in the audit trail.
    pub reason: Option<String>,
}

impl Approved {
    /// A yes from `decided_by` with no approval id or reason.
    pub fn by(decided_by: impl Into<String>) -> Self {
        Approved {
            decided_by: decided_by.into(),
            ..Approved::default()
        }
    }
}

/// A no from an [`Approver`]: the error the tool call fails with, and what
/// the audit trail records about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Refused {
    /// Why not, as the agent is told.
    pub error: VsError,
    /// Which kind of no.
    pub verdict: Verdict,
    /// Who or what refused: `operator:bob`, `timeout`, `no-channel`…
    pub decided_by: String,
    /// The pending approval's id, when one was created.
    pub approval_id: Option<String>,
}

/// Whoever answers when the policy says `ask`. A separate trait so that the
/// way operators are reached (admin API, elicitation…) can change without
/// touching the policy flow, and so that asking may wait as long as it needs.
#[async_trait]
pub trait Approver: Send + Sync {
    /// Decide on `action`, requested by `call`, whose targets the host names
    /// `target_names` (same order as `action.targets`). Return who approved,
    /// or a [`Refused`] saying why not.
    async fn ask(
        &self,
        call: &CallInfo,
        action: &ActionRequest,
        target_names: &[String],
        outcome: &PolicyOutcome,
    ) -> Result<Approved, Refused>;
}

/// The approver used when no approval channel is configured: it refuses,
/// saying that an operator would be needed and how to avoid asking.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoChannelApprover;

#[async_trait]
impl Approver for NoChannelApprover {
    async fn ask(
        &self,
        call: &CallInfo,
        action: &ActionRequest,
        target_names: &[String],
        outcome: &PolicyOutcome,
    ) -> Result<Approved, Refused> {
        Err(Refused {
            error: VsError::ApprovalRequired {
                id: None,
                message: format!(
                    "{} ({}) on {} needs an operator's approval (approval policy: {}), but no approval channels are configured on this server, so nobody can approve it now; an administrator can allow it with a rule in the approval policy, or configure the admin API (ADMIN_TOKEN_SECRET_PATH) so operators can approve",
                    clip(&call.tool),
                    clip(&action.operation),
                    list(target_names),
                    describe(&outcome.matched),
                ),
            },
            verdict: Verdict::Unavailable,
            decided_by: "no-channel".to_string(),
            approval_id: None,
        })
    }
}

/// The approval decision point: a policy and an approver for the `ask` case,
/// plus where decisions are recorded (audit trail and metrics).
pub struct ApprovalGate {
    policy: Policy,
    approver: Arc<dyn Approver>,
    ttl: Duration,
    audit: Option<Arc<AuditLog>>,
    metrics: Option<Arc<Metrics>>,
    open_asks: OpenAsks,
}

/// Who ends an approval that was still waiting when the server stopped.
pub const INTERRUPTED_BY: &str = "host:shutdown";

impl ApprovalGate {
    /// A gate applying `policy`, refusing `ask` decisions (no approval
    /// channels) and issuing grants that last [`GRANT_TTL`].
    pub fn new(policy: Policy) -> Self {
        ApprovalGate {
            policy,
            approver: Arc::new(NoChannelApprover),
            ttl: GRANT_TTL,
            audit: None,
            metrics: None,
            open_asks: OpenAsks::default(),
        }
    }

    /// Use `approver` for `ask` decisions, e.g. one that waits for an operator.
    pub fn with_approver(mut self, approver: Arc<dyn Approver>) -> Self {
        self.approver = approver;
        self
    }

    /// Issue grants lasting `ttl` instead of [`GRANT_TTL`].
    pub fn with_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// Record every decision in `audit`; an approval that cannot be recorded
    /// is refused, so nothing changes without a trace.
    pub fn with_audit(mut self, audit: Option<Arc<AuditLog>>) -> Self {
        self.audit = audit;
        self
    }

    /// Count decisions in `metrics` under [`names::APPROVALS`].
    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// The policy in force, for start-up logs and status tools.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Decide on `action` for `call` now. `target_names` are the names the
    /// host read for `action.targets`, in the same order. Returns a grant for
    /// the call, or why not: `InvalidArgument` for a malformed action,
    /// `ApprovalDenied` when the policy refuses, or the approver's refusal.
    pub async fn request(
        &self,
        call: &CallInfo,
        action: &ActionRequest,
        target_names: Vec<String>,
    ) -> Result<Grant, VsError> {
        self.request_at(call, action, target_names, OffsetDateTime::now_utc())
            .await
    }

    /// [`request`](Self::request) at a given wall-clock time, so that policy
    /// windows can be tested and decisions replayed.
    pub async fn request_at(
        &self,
        call: &CallInfo,
        action: &ActionRequest,
        target_names: Vec<String>,
        now: OffsetDateTime,
    ) -> Result<Grant, VsError> {
        validate(action, &target_names)?;
        if let Some(journal) = &call.journal.0 {
            let named: Vec<(MoRef, String)> = action
                .targets
                .iter()
                .map(|(r, _)| r.clone())
                .zip(target_names.iter().cloned())
                .collect();
            journal.targets(&named);
        }
        let outcome = self.policy.decide(&call.tool, &target_names, now);
        let policy_by = format!("policy:{}", outcome.matched);
        let result = match outcome.decision {
            Decision::Allow => Ok(Approved::by(policy_by)),
            Decision::Deny => Err(Refused {
                error: VsError::ApprovalDenied {
                    id: None,
                    message: denial(call, &target_names, &outcome.matched),
                },
                verdict: Verdict::Denied,
                decided_by: policy_by,
                approval_id: None,
            }),
            Decision::Ask => match &call.preapproved {
                Some(earlier) if earlier.covers(action) => Ok(earlier.approved.clone()),
                Some(earlier) => Err(Refused {
                    error: VsError::ApprovalDenied {
                        id: earlier.approved.approval_id.clone(),
                        message: format!(
                            "{} approved this request for {} ({}), but this run would act on {} ({}); nothing was changed",
                            clip(&earlier.approved.decided_by),
                            list(&earlier.target_ids),
                            list(&earlier.methods),
                            list(&target_names),
                            list(&action.methods)
                        ),
                    },
                    verdict: Verdict::Denied,
                    decided_by: "host:approval-mismatch".into(),
                    approval_id: earlier.approved.approval_id.clone(),
                }),
                None => {
                    let _waiting = self.waiting_for(decision_record(
                        call,
                        action,
                        &target_names,
                        &outcome,
                        call.journal.request_id().map(str::to_string),
                    ));
                    self.approver
                        .ask(call, action, &target_names, &outcome)
                        .await
                }
            },
        };
        let session = call.session.as_deref().unwrap_or("");
        if let Some(journal) = &call.journal.0 {
            match &result {
                Ok(approved) => journal.decided(
                    Verdict::Approved,
                    &approved.decided_by,
                    approved.reason.as_deref(),
                ),
                Err(refused) => journal.decided(
                    refused.verdict,
                    &refused.decided_by,
                    Some(&refused.error.to_string()),
                ),
            }
        }
        match result {
            Ok(approved) => {
                // The grant's lifetime starts now, after any wait for an operator.
                let grant = Grant::new(
                    approved.decided_by.clone(),
                    action.methods.iter().cloned(),
                    action.targets.iter().map(|(r, _)| r.clone()),
                    Instant::now(),
                    self.ttl,
                );
                let recorded = self.record(
                    call,
                    action,
                    &target_names,
                    &outcome,
                    Verdict::Approved,
                    &approved.decided_by,
                    approved.approval_id.clone(),
                    Some(grant.id.clone()),
                    approved.reason.clone(),
                );
                if let Err(e) = recorded {
                    tracing::error!(correlation_id = %call.correlation_id, tool = %call.tool, error = %e, "approval refused because the audit trail cannot be written");
                    return Err(VsError::Internal(format!(
                        "the change was approved by {}, but {e}; nothing was changed because every approval must be recorded first",
                        clip(&approved.decided_by)
                    )));
                }
                tracing::info!(
                    correlation_id = %call.correlation_id, session, tool = %call.tool, operation = %clip(&action.operation),
                    decision = %outcome.decision, matched = %outcome.matched, grant_id = %grant.id, decided_by = %grant.decided_by,
                    approval_id = approved.approval_id.as_deref().unwrap_or(""),
                    methods = %list(&grant.methods), targets = %list(&grant.targets), "approval granted"
                );
                Ok(grant)
            }
            Err(refused) => {
                if let Err(e) = self.record(
                    call,
                    action,
                    &target_names,
                    &outcome,
                    refused.verdict,
                    &refused.decided_by,
                    refused.approval_id.clone(),
                    None,
                    Some(refused.error.to_string()),
                ) {
                    tracing::error!(correlation_id = %call.correlation_id, tool = %call.tool, error = %e, "a refused approval could not be written to the audit trail");
                }
                tracing::info!(
                    correlation_id = %call.correlation_id, session, tool = %call.tool, operation = %clip(&action.operation),
                    decision = %outcome.decision, matched = %outcome.matched, kind = refused.error.kind(),
                    verdict = refused.verdict.label(), decided_by = %refused.decided_by,
                    approval_id = refused.approval_id.as_deref().unwrap_or(""), "approval refused"
                );
                Err(refused.error)
            }
        }
    }

    /// Count a decision and append it to the audit trail.
    #[allow(clippy::too_many_arguments)]
    fn record(
        &self,
        call: &CallInfo,
        action: &ActionRequest,
        target_names: &[String],
        outcome: &PolicyOutcome,
        verdict: Verdict,
        decided_by: &str,
        approval_id: Option<String>,
        grant_id: Option<String>,
        reason: Option<String>,
    ) -> Result<(), AuditError> {
        let record = DecisionRecord {
            grant_id,
            ..decision_record(call, action, target_names, outcome, approval_id)
        };
        self.write_decision(record, verdict, decided_by, reason)
    }

    /// Count `verdict` and append `record`, completed with it, to the audit
    /// trail. Also for decisions made outside the gate: an approval asked
    /// again after a restart is decided by the code that re-filed it.
    pub fn write_decision(
        &self,
        mut record: DecisionRecord,
        verdict: Verdict,
        decided_by: &str,
        reason: Option<String>,
    ) -> Result<(), AuditError> {
        let channel = decided_by
            .split(':')
            .next()
            .unwrap_or(decided_by)
            .to_string();
        if let Some(metrics) = &self.metrics {
            metrics.inc(
                names::APPROVALS,
                vec![
                    ("decision", verdict.label().to_string()),
                    ("channel", channel.clone()),
                ],
            );
        }
        let Some(audit) = &self.audit else {
            return Ok(());
        };
        record.ts = now_rfc3339();
        record.decision = verdict.label();
        record.decided_by = decided_by.to_string();
        record.channel = channel;
        record.reason = reason;
        audit.append(&record)
    }

    /// Hold `unanswered` (an approval's record before its decision) on the
    /// list of approvals being asked, until the returned guard drops.
    pub fn waiting_for(&self, unanswered: DecisionRecord) -> OpenAsk {
        self.open_asks.open(unanswered)
    }

    /// The server is stopping: end every approval still being asked with an
    /// `interrupted` record. Their requests stay pending under the same ids
    /// and are asked again when the server starts.
    pub fn close_open_asks(&self) {
        for record in self.open_asks.take_all() {
            let id = record.approval_id.clone().unwrap_or_default();
            let reason = format!(
                "the server stopped before anyone decided; request {id} stays pending and is asked again when the server starts; nothing was changed"
            );
            if let Err(e) =
                self.write_decision(record, Verdict::Interrupted, INTERRUPTED_BY, Some(reason))
            {
                tracing::error!(approval_id = %id, error = %e, "an approval interrupted by the shutdown could not be written to the audit trail");
            }
        }
    }
}

/// An approval's audit record before its decision: what was asked, by
/// which call, under which policy outcome.
fn decision_record(
    call: &CallInfo,
    action: &ActionRequest,
    target_names: &[String],
    outcome: &PolicyOutcome,
    approval_id: Option<String>,
) -> DecisionRecord {
    DecisionRecord {
        event: "approval_decision",
        approval_id,
        tool: call.tool.clone(),
        operation: action.operation.clone(),
        summary: action.summary.clone(),
        targets: action
            .targets
            .iter()
            .zip(target_names)
            .map(|((r, _), name)| AuditTarget::new(r, name))
            .collect(),
        methods: action.methods.clone(),
        policy: outcome.matched.to_string(),
        correlation_id: call.correlation_id.clone(),
        session: call.session.clone(),
        requested_by: call.principal.as_ref().map(|p| p.label().to_string()),
        requester_identity: call.principal.as_ref().map(|p| p.id.clone()),
        requester_client: requester_client(call),
        ..DecisionRecord::default()
    }
}

/// The MCP client (`name version`) and the OAuth client id, as one line.
pub fn requester_client(call: &CallInfo) -> Option<String> {
    let mcp = call
        .client
        .client_name()
        .map(|n| match call.client.client_version() {
            Some(v) => format!("{n} {v}"),
            None => n,
        });
    let oauth = call.principal.as_ref().and_then(|p| p.client_id.clone());
    match (mcp, oauth) {
        (Some(m), Some(o)) if m != o => Some(format!("{m} (OAuth client {o})")),
        (Some(m), _) => Some(m),
        (None, Some(o)) => Some(format!("OAuth client {o}")),
        (None, None) => None,
    }
}

/// Refuse malformed actions before anyone is asked about them.
fn validate(action: &ActionRequest, target_names: &[String]) -> Result<(), VsError> {
    let invalid = |m: String| Err(VsError::InvalidArgument(m));
    if action.methods.is_empty() {
        return invalid("the action lists no methods; list the vSphere methods the tool will invoke, e.g. PowerOffVM_Task".into());
    }
    if action.methods.len() > MAX_METHODS {
        return invalid(format!(
            "the action lists {} methods; at most {MAX_METHODS} are allowed",
            action.methods.len()
        ));
    }
    if let Some(bad) = action.methods.iter().find(|m| !looks_like_method_name(m)) {
        return invalid(format!(
            "{:?} is not a vSphere method name; list methods by their vim25 names, e.g. PowerOffVM_Task",
            clip(bad)
        ));
    }
    if action.targets.is_empty() {
        return invalid("the action lists no targets; list the objects it changes".into());
    }
    if action.targets.len() > MAX_TARGETS {
        return invalid(format!(
            "the action lists {} targets; at most {MAX_TARGETS} are allowed, so split it",
            action.targets.len()
        ));
    }
    if let Some((bad, _)) = action
        .targets
        .iter()
        .find(|(r, _)| !looks_like_reference(r))
    {
        return invalid(format!(
            "target {:?} is not a managed object reference; give its type (e.g. VirtualMachine) and id (e.g. vm-42)",
            clip(&bad.to_string())
        ));
    }
    if target_names.len() != action.targets.len() {
        return Err(VsError::Internal(format!(
            "approval gate got {} host-read names for {} targets",
            target_names.len(),
            action.targets.len()
        )));
    }
    Ok(())
}

/// A plausible reference: a type name and a non-empty, printable id.
fn looks_like_reference(r: &MoRef) -> bool {
    let kind_ok = r
        .kind
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && r.kind.len() <= 128
        && r.kind
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_');
    let value_ok =
        !r.value.is_empty() && r.value.len() <= 256 && !r.value.chars().any(char::is_control);
    kind_ok && value_ok
}

/// Where a decision came from, in words for messages.
fn describe(matched: &MatchedBy) -> String {
    match matched {
        MatchedBy::ReadOnly => "read_only".to_string(),
        MatchedBy::Rule {
            number,
            line: Some(line),
        } => format!("rule {number} at line {line}"),
        MatchedBy::Rule { number, line: None } => format!("rule {number}"),
        MatchedBy::Default => "default".to_string(),
    }
}

/// The message for a policy denial, naming the rule so it can be found.
fn denial(call: &CallInfo, target_names: &[String], matched: &MatchedBy) -> String {
    let (tool, targets) = (clip(&call.tool), list(target_names));
    match matched {
        MatchedBy::ReadOnly => format!(
            "this server's approval policy is read-only (read_only = true) and refuses every state change; {tool} on {targets} was not run"
        ),
        MatchedBy::Default => {
            format!("the approval policy denies {tool} on {targets} by default (no rule matched)")
        }
        MatchedBy::Rule { .. } => format!(
            "the approval policy's {} denies {tool} on {targets}",
            describe(matched)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn call(tool: &str) -> CallInfo {
        CallInfo {
            tool: tool.to_string(),
            correlation_id: "corr-1".to_string(),
            session: Some("sess-1".to_string()),
            ..Default::default()
        }
    }

    fn action(targets: &[(&str, &str)], methods: &[&str]) -> ActionRequest {
        ActionRequest {
            operation: "power-off".to_string(),
            summary: "Power off the VMs.".to_string(),
            targets: targets
                .iter()
                .map(|(id, name)| (MoRef::new("VirtualMachine", *id), name.to_string()))
                .collect(),
            methods: methods.iter().map(|m| m.to_string()).collect(),
            detail: "{}".to_string(),
        }
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    const POLICY: &str = r#"
[[rules]]
tools = ["infra.vmware.vms.powerOffVm"]
targets = ["prod-*"]
decision = "deny"

[[rules]]
tools = ["infra.vmware.vms.*"]
targets = ["dev-*"]
decision = "allow"
"#;

    fn gate(policy: &str) -> ApprovalGate {
        ApprovalGate::new(Policy::from_toml_str(policy).unwrap())
    }

    const OFF: &str = "infra.vmware.vms.powerOffVm";

    #[tokio::test]
    async fn allow_issues_a_grant_for_the_listed_methods_and_targets() {
        let g = gate(POLICY);
        let a = action(
            &[("vm-1", "dev-1"), ("vm-2", "dev-2")],
            &["PowerOffVM_Task"],
        );
        let before = Instant::now();
        let grant = g
            .request(&call(OFF), &a, names(&["dev-1", "dev-2"]))
            .await
            .unwrap();
        assert_eq!(grant.decided_by, "policy:rule 2");
        assert_eq!(
            grant.methods.iter().collect::<Vec<_>>(),
            ["PowerOffVM_Task"]
        );
        assert!(
            grant
                .targets
                .contains(&MoRef::new("VirtualMachine", "vm-1"))
                && grant
                    .targets
                    .contains(&MoRef::new("VirtualMachine", "vm-2"))
        );
        assert!(grant.expires_at >= before + GRANT_TTL);
        assert!(grant.used.is_empty());
    }

    #[tokio::test]
    async fn allow_by_default_is_recorded_as_default() {
        let g = gate("default = \"allow\"");
        let grant = g
            .request(
                &call(OFF),
                &action(&[("vm-1", "x")], &["PowerOffVM_Task"]),
                names(&["x"]),
            )
            .await
            .unwrap();
        assert_eq!(grant.decided_by, "policy:default");
    }

    #[tokio::test]
    async fn policy_uses_host_names_not_plugin_names() {
        let g = gate(POLICY);
        // The plugin claims dev-1, the host read prod-1: the deny rule applies.
        let err = g
            .request(
                &call(OFF),
                &action(&[("vm-1", "dev-1")], &["PowerOffVM_Task"]),
                names(&["prod-1"]),
            )
            .await
            .unwrap_err();
        match err {
            VsError::ApprovalDenied { id: None, message } => assert!(
                message.contains("rule 1 at line 2")
                    && message.contains("prod-1")
                    && !message.contains("dev-1"),
                "{message}"
            ),
            other => panic!("expected a denial, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn deny_names_read_only_and_default() {
        let msg = |e: VsError| match e {
            VsError::ApprovalDenied { message, .. } => message,
            other => panic!("expected a denial, got {other:?}"),
        };
        let a = action(&[("vm-1", "dev-1")], &["PowerOffVM_Task"]);
        let ro = gate("read_only = true")
            .request(&call(OFF), &a, names(&["dev-1"]))
            .await
            .unwrap_err();
        assert!(msg(ro).contains("read_only = true"));
        let def = gate("default = \"deny\"")
            .request(&call(OFF), &a, names(&["dev-1"]))
            .await
            .unwrap_err();
        assert!(msg(def).contains("by default"));
    }

    #[tokio::test]
    async fn ask_without_channels_requires_approval() {
        let g = gate(POLICY);
        let err = g
            .request(
                &call(OFF),
                &action(&[("vm-1", "web-1")], &["PowerOffVM_Task"]),
                names(&["web-1"]),
            )
            .await
            .unwrap_err();
        match err {
            VsError::ApprovalRequired { id: None, message } => {
                assert!(
                    message.contains("operator")
                        && message.contains("no approval channels")
                        && message.contains("web-1")
                        && message.contains("default"),
                    "{message}"
                )
            }
            other => panic!("expected approval-required, got {other:?}"),
        }
    }

    struct Stub(Result<Approved, Refused>);

    #[async_trait]
    impl Approver for Stub {
        async fn ask(
            &self,
            _: &CallInfo,
            action: &ActionRequest,
            target_names: &[String],
            outcome: &PolicyOutcome,
        ) -> Result<Approved, Refused> {
            assert_eq!(outcome.decision, Decision::Ask);
            assert_eq!(target_names.len(), action.targets.len());
            self.0.clone()
        }
    }

    #[tokio::test]
    async fn ask_goes_to_the_approver() {
        let yes = gate(POLICY)
            .with_approver(Arc::new(Stub(Ok(Approved::by("operator:alice")))))
            .with_ttl(Duration::from_secs(30));
        let a = action(&[("vm-1", "web-1")], &["PowerOffVM_Task"]);
        let before = Instant::now();
        let grant = yes
            .request(&call(OFF), &a, names(&["web-1"]))
            .await
            .unwrap();
        assert_eq!(grant.decided_by, "operator:alice");
        assert!(
            grant.expires_in(before) <= Duration::from_secs(31)
                && grant.expires_in(before) >= Duration::from_secs(29)
        );
        let denied = VsError::ApprovalDenied {
            id: Some("a-1".into()),
            message: "no".into(),
        };
        let no = gate(POLICY).with_approver(Arc::new(Stub(Err(Refused {
            error: denied.clone(),
            verdict: Verdict::Denied,
            decided_by: "operator:bob".into(),
            approval_id: Some("a-1".into()),
        }))));
        assert_eq!(
            no.request(&call(OFF), &a, names(&["web-1"]))
                .await
                .unwrap_err(),
            denied
        );
        // Allow and deny never reach the approver.
        assert!(
            no.request(
                &call(OFF),
                &action(&[("vm-1", "dev-1")], &["PowerOffVM_Task"]),
                names(&["dev-1"])
            )
            .await
            .is_ok()
        );
    }

    #[tokio::test]
    async fn windows_apply_through_the_gate() {
        let g = gate(
            "[[rules]]\ntools = [\"*\"]\ndecision = \"allow\"\nwindows = [{ days = [\"sat\"], start = \"22:00\", end = \"04:00\" }]\n",
        );
        let a = action(&[("vm-1", "x")], &["PowerOffVM_Task"]);
        assert!(
            g.request_at(
                &call(OFF),
                &a,
                names(&["x"]),
                datetime!(2025-06-08 01:00 UTC)
            )
            .await
            .is_ok()
        );
        assert!(matches!(
            g.request_at(
                &call(OFF),
                &a,
                names(&["x"]),
                datetime!(2025-06-08 05:00 UTC)
            )
            .await,
            Err(VsError::ApprovalRequired { .. })
        ));
    }

    #[tokio::test]
    async fn malformed_actions_are_invalid_arguments() {
        let g = gate("default = \"allow\"");
        let c = call(OFF);
        let invalid = |r: Result<Grant, VsError>| match r {
            Err(VsError::InvalidArgument(m)) => m,
            other => panic!("expected invalid-argument, got {other:?}"),
        };
        assert!(
            invalid(
                g.request(&c, &action(&[("vm-1", "x")], &[]), names(&["x"]))
                    .await
            )
            .contains("no methods")
        );
        assert!(
            invalid(
                g.request(&c, &action(&[], &["PowerOffVM_Task"]), vec![])
                    .await
            )
            .contains("no targets")
        );
        assert!(
            invalid(
                g.request(&c, &action(&[("vm-1", "x")], &["Power Off"]), names(&["x"]))
                    .await
            )
            .contains("\"Power Off\"")
        );
        assert!(
            invalid(
                g.request(&c, &action(&[("vm-1", "x")], &[""]), names(&["x"]))
                    .await
            )
            .contains("method name")
        );
        assert!(
            invalid(
                g.request(
                    &c,
                    &action(&[("", "x")], &["PowerOffVM_Task"]),
                    names(&["x"])
                )
                .await
            )
            .contains("reference")
        );
        let many: Vec<String> = (0..=MAX_METHODS).map(|i| format!("M{i}")).collect();
        let mut a = action(&[("vm-1", "x")], &[]);
        a.methods = many;
        assert!(invalid(g.request(&c, &a, names(&["x"])).await).contains("at most"));
        let mut a = action(&[], &["PowerOffVM_Task"]);
        a.targets = (0..=MAX_TARGETS)
            .map(|i| {
                (
                    MoRef::new("VirtualMachine", format!("vm-{i}")),
                    String::new(),
                )
            })
            .collect();
        let host_names = vec![String::new(); a.targets.len()];
        assert!(invalid(g.request(&c, &a, host_names).await).contains("split"));
    }

    #[tokio::test]
    async fn missing_host_names_are_an_internal_error() {
        let g = gate("default = \"allow\"");
        let err = g
            .request(
                &call(OFF),
                &action(&[("vm-1", "x"), ("vm-2", "y")], &["PowerOffVM_Task"]),
                names(&["x"]),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, VsError::Internal(_)), "{err:?}");
    }

    fn audit_path(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "vmware-mcp-gate-audit-{}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        dir.join("audit.jsonl")
    }

    fn audit_lines(path: &std::path::Path) -> Vec<serde_json::Value> {
        std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[tokio::test]
    async fn every_decision_is_audited_and_counted() {
        let path = audit_path("decisions");
        let audit = Arc::new(AuditLog::open(&path).unwrap());
        let metrics = Arc::new(Metrics::new());
        let g = gate(POLICY)
            .with_audit(Some(audit))
            .with_metrics(metrics.clone())
            .with_approver(Arc::new(Stub(Ok(Approved {
                decided_by: "operator:alice".into(),
                approval_id: Some("apr-1".into()),
                reason: Some("change window".into()),
            }))));
        let grant = g
            .request(
                &call(OFF),
                &action(&[("vm-1", "web-1")], &["PowerOffVM_Task"]),
                names(&["web-1"]),
            )
            .await
            .unwrap();
        g.request(
            &call(OFF),
            &action(&[("vm-2", "prod-2")], &["PowerOffVM_Task"]),
            names(&["prod-2"]),
        )
        .await
        .unwrap_err();
        let lines = audit_lines(&path);
        assert_eq!(lines.len(), 2, "{lines:?}");
        let a = &lines[0];
        assert_eq!(a["event"], "approval_decision");
        assert_eq!(a["decision"], "approved");
        assert_eq!(a["decided_by"], "operator:alice");
        assert_eq!(a["channel"], "operator");
        assert_eq!(a["approval_id"], "apr-1");
        assert_eq!(a["grant_id"], grant.id.as_str());
        assert_eq!(a["reason"], "change window");
        assert_eq!(a["targets"][0]["ref"], "VirtualMachine:vm-1");
        assert_eq!(a["targets"][0]["name"], "web-1");
        assert_eq!(a["methods"][0], "PowerOffVM_Task");
        assert_eq!(a["correlation_id"], "corr-1");
        assert_eq!(a["session"], "sess-1");
        let d = &lines[1];
        assert_eq!(d["decision"], "denied");
        assert_eq!(d["decided_by"], "policy:rule 1");
        assert_eq!(d["channel"], "policy");
        assert!(d["grant_id"].is_null());
        assert!(d["reason"].as_str().unwrap().contains("prod-2"));
        let text = metrics.to_prometheus();
        assert!(
            text.contains(
                "vmware_mcp_approvals_total{decision=\"approved\",channel=\"operator\"} 1"
            ) && text
                .contains("vmware_mcp_approvals_total{decision=\"denied\",channel=\"policy\"} 1"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn an_approval_that_cannot_be_audited_is_refused() {
        // Writing to /dev/full always fails with ENOSPC.
        let full = std::path::Path::new("/dev/full");
        if !full.exists() {
            return;
        }
        let g =
            gate("default = \"allow\"").with_audit(Some(Arc::new(AuditLog::open(full).unwrap())));
        let err = g
            .request(
                &call(OFF),
                &action(&[("vm-1", "x")], &["PowerOffVM_Task"]),
                names(&["x"]),
            )
            .await
            .unwrap_err();
        match err {
            VsError::Internal(m) => assert!(
                m.contains("nothing was changed") && m.contains("/dev/full"),
                "{m}"
            ),
            other => panic!("expected an internal error, got {other:?}"),
        }
    }
}
