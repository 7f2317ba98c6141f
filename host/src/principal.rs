//! Who a bearer token names, in one small type of its own so that the
//! modules that carry it (authentication, requests, approvals, the plugin
//! runtime's call context) depend on it and not on each other.

use serde::{Deserialize, Serialize};

/// Who a bearer token names, carried from the MCP port's authentication to
/// the request, the approval, the audit trail and the logs, so every one of
/// them says the same person or agent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    /// A stable id: the OAuth token's `sub`, or a named token's label.
    pub id: String,
    /// A name people read (`email`, `name` or `preferred_username`), when
    /// the token has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The OAuth client the token was issued to (`client_id` or `azp`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
}

impl Principal {
    /// What people are shown: the name when there is one, else the id.
    pub fn label(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.id)
    }

    /// Whether `who` (an approver's name or token label) is this principal,
    /// by id or name, ignoring case.
    pub fn is(&self, who: &str) -> bool {
        let who = who.trim();
        !who.is_empty()
            && (self.id.eq_ignore_ascii_case(who)
                || self
                    .name
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case(who)))
    }
}
