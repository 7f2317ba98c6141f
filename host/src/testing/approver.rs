//! Answering approvals by script and recording what was asked: the
//! [`Approver`] the harness puts behind the real approval gate (whose
//! default policy asks for every state change), so a test decides whether
//! the grant is given and sees exactly what the tool asked for.

use std::sync::Mutex;

use async_trait::async_trait;

use crate::approval::gate::{ActionRequest, Approved, Approver, CallInfo, Refused, Verdict};
use crate::approval::policy::PolicyOutcome;
use crate::vocabulary::VsError;
use crate::vsphere::MoRef;

/// How the scripted approver answers every approval asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Approvals {
    /// Approve (as `harness`).
    Grant,
    /// Refuse: the tool gets `approval_denied`. The default, so a test never
    /// changes state it did not mean to.
    #[default]
    Deny,
}

/// One approval a tool asked for, with the names the host read for its
/// targets and the scripted answer.
#[derive(Debug, Clone, PartialEq)]
pub struct ApprovalAsked {
    /// The tool's operation name, e.g. `power-off`.
    pub operation: String,
    /// The tool's one-sentence summary.
    pub summary: String,
    /// The vim25 methods the grant would cover.
    pub methods: Vec<String>,
    /// The targets, with the names the host read for them (not the plugin's).
    pub targets: Vec<(MoRef, String)>,
    /// Whether the script granted it.
    pub granted: bool,
}

/// The scripted approver: answers by [`Approvals`] and records each request
/// under the call's correlation id.
#[derive(Debug, Default)]
pub struct ScriptedApprover {
    answer: Mutex<Approvals>,
    asked: Mutex<Vec<(String, ApprovalAsked)>>,
}

impl ScriptedApprover {
    /// Answer every later request with `answer`.
    pub fn set(&self, answer: Approvals) {
        *self.answer.lock().unwrap_or_else(|p| p.into_inner()) = answer;
    }

    /// Remove and return the requests made under `correlation_id`, in order.
    pub fn take(&self, correlation_id: &str) -> Vec<ApprovalAsked> {
        let mut asked = self.asked.lock().unwrap_or_else(|p| p.into_inner());
        let (mine, others): (Vec<_>, Vec<_>) =
            asked.drain(..).partition(|(id, _)| id == correlation_id);
        *asked = others;
        mine.into_iter().map(|(_, a)| a).collect()
    }
}

#[async_trait]
impl Approver for ScriptedApprover {
    async fn ask(
        &self,
        call: &CallInfo,
        action: &ActionRequest,
        target_names: &[String],
        _outcome: &PolicyOutcome,
    ) -> Result<Approved, Refused> {
        let answer = *self.answer.lock().unwrap_or_else(|p| p.into_inner());
        let granted = answer == Approvals::Grant;
        let asked = ApprovalAsked {
            operation: action.operation.clone(),
            summary: action.summary.clone(),
            methods: action.methods.clone(),
            targets: action
                .targets
                .iter()
                .map(|(r, _)| r.clone())
                .zip(target_names.iter().cloned())
                .collect(),
            granted,
        };
        self.asked
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((call.correlation_id.clone(), asked));
        if granted {
            Ok(Approved::by("harness"))
        } else {
            Err(Refused {
                error: VsError::ApprovalDenied {
                    id: None,
                    message: format!(
                        "{} ({}) on {} was denied by the test's approval script",
                        call.tool,
                        action.operation,
                        target_names.join(", ")
                    ),
                },
                verdict: Verdict::Denied,
                decided_by: "harness".to_string(),
                approval_id: None,
            })
        }
    }
}
