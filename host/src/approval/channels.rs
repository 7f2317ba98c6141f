//! The approval channels in order of preference: the client's user by
//! elicitation (when turned on and the client can be asked), else the
//! operators through the admin API, else nobody (the call is refused with
//! an explanation).

use async_trait::async_trait;

use super::elicitation::ElicitationApprover;
use super::gate::{ActionRequest, Approved, Approver, CallInfo, NoChannelApprover, Refused};
use super::operator::OperatorApprover;
use super::policy::PolicyOutcome;

/// The configured channels.
#[derive(Default)]
pub struct Channels {
    /// Set when `APPROVAL_ELICITATION=true`.
    pub elicitation: Option<ElicitationApprover>,
    /// Set when the admin API serves (an admin token is configured).
    pub operator: Option<OperatorApprover>,
}

impl Channels {
    /// Whether anyone can answer an "ask" at all, for the start-up log.
    pub fn any(&self) -> bool {
        self.elicitation.is_some() || self.operator.is_some()
    }
}

#[async_trait]
impl Approver for Channels {
    async fn ask(
        &self,
        call: &CallInfo,
        action: &ActionRequest,
        target_names: &[String],
        outcome: &PolicyOutcome,
    ) -> Result<Approved, Refused> {
        if let Some(elicitation) = &self.elicitation
            && ElicitationApprover::can_ask(call)
        {
            return elicitation.ask(call, action, target_names, outcome).await;
        }
        if let Some(operator) = &self.operator {
            return operator.ask(call, action, target_names, outcome).await;
        }
        NoChannelApprover
            .ask(call, action, target_names, outcome)
            .await
    }
}
