//! What a notification says, before any format: which approval, what
//! happened to it, and the facts an operator needs to act from a chat
//! message (summary, targets with id and path, methods, requester, expiry,
//! the decision and who made it, and where to decide).

use crate::approval::pending::{ApprovalView, Status};

/// What happened to the approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A call is waiting for an operator's decision.
    Requested,
    /// An operator approved it; the call goes on.
    Approved,
    /// An operator denied it; the call fails with the reason.
    Denied,
    /// Nobody decided in time; the call failed and nothing changed.
    Expired,
    /// The requester withdrew it, or the call went away, before a decision.
    Cancelled,
}

impl Kind {
    /// The kind for an approval that has just reached `status`.
    pub fn of(status: Status) -> Kind {
        match status {
            Status::Pending => Kind::Requested,
            Status::Approved => Kind::Approved,
            Status::Denied => Kind::Denied,
            Status::TimedOut => Kind::Expired,
            Status::Cancelled => Kind::Cancelled,
        }
    }

    /// The event's name in the JSON payload and its header, e.g. `approval.requested`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Requested => "approval.requested",
            Kind::Approved => "approval.approved",
            Kind::Denied => "approval.denied",
            Kind::Expired => "approval.expired",
            Kind::Cancelled => "approval.cancelled",
        }
    }
}

/// One notification's content, shared by every receiver's format.
#[derive(Debug, Clone)]
pub struct Event {
    /// What happened.
    pub kind: Kind,
    /// The approval as the admin API shows it at that moment.
    pub approval: ApprovalView,
    /// Each target's inventory path, in the order of `approval.request.targets`,
    /// where the inventory index knows it.
    pub paths: Vec<Option<String>>,
    /// The approvals page, where operators decide.
    pub link: String,
}

impl Event {
    /// The event for `approval`, which has just reached its status.
    pub fn new(approval: &ApprovalView, paths: Vec<Option<String>>, link: String) -> Event {
        Event {
            kind: Kind::of(approval.status),
            approval: approval.clone(),
            paths,
            link,
        }
    }

    /// The operator who decided (`alice` from `operator:alice`), for an
    /// approval or a denial.
    pub fn decider(&self) -> Option<&str> {
        match self.kind {
            Kind::Approved | Kind::Denied => self
                .approval
                .decided_by
                .as_deref()
                .map(|by| by.strip_prefix("operator:").unwrap_or(by)),
            _ => None,
        }
    }

    /// When it happened: the decision's time, else the request's.
    pub fn occurred_at(&self) -> &str {
        self.approval
            .decided_at
            .as_deref()
            .unwrap_or(&self.approval.created_at)
    }

    /// Who asked, in words: the token's identity and the client when known
    /// (`alice@example.com via Claude Code 1.2`), else the MCP session and
    /// the correlation id (what this server knows of the requester).
    pub fn requester(&self) -> String {
        let r = &self.approval.request;
        if let Some(who) = &r.requested_by {
            return match &r.requester_client {
                Some(via) => format!("{who} via {via}"),
                None => who.clone(),
            };
        }
        match &r.session {
            Some(session) => format!(
                "MCP session {session} (correlation id {})",
                r.correlation_id
            ),
            None => format!("an MCP client (correlation id {})", r.correlation_id),
        }
    }

    /// One line saying what happened, the headline of every format.
    pub fn headline(&self) -> String {
        let summary = &self.approval.request.summary;
        match (self.kind, self.decider()) {
            (Kind::Requested, _) => format!("Approval needed: {summary}"),
            (Kind::Approved, Some(by)) => format!("Approved by {by}: {summary}"),
            (Kind::Denied, Some(by)) => format!("Denied by {by}: {summary}"),
            (Kind::Approved, None) => format!("Approved: {summary}"),
            (Kind::Denied, None) => format!("Denied: {summary}"),
            (Kind::Expired, _) => format!("Expired without a decision: {summary}"),
            (Kind::Cancelled, _) => format!("Withdrawn before a decision: {summary}"),
        }
    }

    /// Each target as one line: `name (type id, path)`.
    pub fn target_lines(&self) -> Vec<String> {
        self.approval
            .request
            .targets
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let path = self.paths.get(i).cloned().flatten();
                match path {
                    Some(path) => format!("{} ({} {}, {path})", t.name, t.kind, t.id),
                    None => format!("{} ({} {})", t.name, t.kind, t.id),
                }
            })
            .collect()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::approval::pending::{ApprovalRequest, TargetView};

    /// A power-off of `web-1` as it stands at `status`.
    pub fn view(status: Status) -> ApprovalView {
        let decided = status != Status::Pending;
        ApprovalView {
            id: "req-0123456789abcdef".into(),
            status,
            request: ApprovalRequest {
                tool: "infra.vmware.vms.powerOffVm".into(),
                operation: "power-off".into(),
                summary: "Power off VM web-1 <prod>".into(),
                targets: vec![TargetView {
                    kind: "VirtualMachine".into(),
                    id: "vm-42".into(),
                    name: "web-1".into(),
                    plugin_name: None,
                }],
                methods: vec!["PowerOffVM_Task".into()],
                arguments: serde_json::json!({"vmName": "web-1"}),
                session: Some("sess-7".into()),
                correlation_id: "corr-9".into(),
                requested_by: None,
                requester_identity: None,
                requester_client: None,
            },
            created_at: "2025-06-01T10:00:00Z".into(),
            expires_at: "2025-06-01T10:02:00Z".into(),
            decided_at: decided.then(|| "2025-06-01T10:01:00Z".into()),
            decided_by: match status {
                Status::Approved | Status::Denied => Some("operator:alice".into()),
                Status::TimedOut => Some("timed out".into()),
                Status::Cancelled => Some("cancelled".into()),
                Status::Pending => None,
            },
            reason: (status == Status::Denied).then(|| "not in business hours".into()),
            requester_waiting: true,
        }
    }

    /// The event for [`view`] with a known path.
    pub fn event(status: Status) -> Event {
        Event::new(
            &view(status),
            vec![Some("DC0/vm/web/web-1".into())],
            "https://ops.example.com/approvals".into(),
        )
    }

    #[test]
    fn the_kind_follows_the_status_and_names_the_decider() {
        assert_eq!(event(Status::Pending).kind, Kind::Requested);
        assert_eq!(event(Status::Pending).decider(), None);
        let approved = event(Status::Approved);
        assert_eq!(approved.decider(), Some("alice"));
        assert_eq!(
            approved.headline(),
            "Approved by alice: Power off VM web-1 <prod>"
        );
        assert_eq!(event(Status::TimedOut).kind.name(), "approval.expired");
        assert_eq!(event(Status::TimedOut).decider(), None);
        assert_eq!(event(Status::Denied).occurred_at(), "2025-06-01T10:01:00Z");
        assert_eq!(
            event(Status::Pending).target_lines(),
            ["web-1 (VirtualMachine vm-42, DC0/vm/web/web-1)"]
        );
        assert_eq!(
            event(Status::Pending).requester(),
            "MCP session sess-7 (correlation id corr-9)"
        );
        let mut named = event(Status::Pending);
        named.approval.request.requested_by = Some("alice@example.com".into());
        named.approval.request.requester_client = Some("Claude Code 1.2".into());
        assert_eq!(named.requester(), "alice@example.com via Claude Code 1.2");
    }
}
