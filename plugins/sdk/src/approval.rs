//! Asking the host for permission to change state.
//!
//! The host refuses a state-changing `invoke` unless the current tool call
//! holds a grant covering that method on that target, so every such tool
//! describes its action with [`Action`] and calls [`request`] before it
//! invokes. A refusal comes back as the typed `approval_required` or
//! `approval_denied` error, which the tool simply propagates.

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use crate::bindings::infra::vmware::approval as wit;
use crate::error::Result;
use crate::method::Method;
use crate::moref::MoRef;

/// A description of what a tool is about to do, shown to the approver and
/// matched against the policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    /// A short machine name for the operation, e.g. `power-off`.
    pub operation: String,
    /// One human sentence saying what will change.
    pub summary: String,
    /// The objects the action changes, with the names the tool knows them by.
    pub targets: Vec<(MoRef, String)>,
    /// The vim25 methods the tool will invoke on those targets.
    pub methods: Vec<String>,
    /// The tool's arguments or other detail, for the approver.
    pub detail: Value,
}

impl Action {
    /// Start describing an action: its operation and one-sentence summary.
    pub fn new(operation: impl Into<String>, summary: impl Into<String>) -> Self {
        Action {
            operation: operation.into(),
            summary: summary.into(),
            targets: Vec::new(),
            methods: Vec::new(),
            detail: Value::Null,
        }
    }

    /// Add an object the action changes; the grant covers calls on exactly it.
    pub fn target(mut self, reference: &MoRef, name: impl Into<String>) -> Self {
        self.targets.push((reference.clone(), name.into()));
        self
    }

    /// Add a method the tool will invoke on the targets: the constant the
    /// tool declared in [`ToolSpec::invokes`](crate::ToolSpec::invokes) and
    /// will pass to [`vsphere::invoke`](crate::vsphere::invoke).
    pub fn method(mut self, method: Method) -> Self {
        self.methods.push(method.name().to_string());
        self
    }

    /// Attach detail for the approver (usually the tool's arguments).
    pub fn detail(mut self, detail: Value) -> Self {
        self.detail = detail;
        self
    }

    fn to_wit(&self) -> wit::Action {
        let detail = match &self.detail {
            Value::Null => "{}".to_string(),
            other => other.to_string(),
        };
        wit::Action {
            operation: self.operation.clone(),
            summary: self.summary.clone(),
            targets: self
                .targets
                .iter()
                .map(|(reference, name)| wit::Target {
                    ref_: reference.into(),
                    name: name.clone(),
                })
                .collect(),
            methods: self.methods.clone(),
            detail,
        }
    }
}

/// Proof that an action was approved, valid only for the current tool call.
/// A change tool's result carries it as its `approval` field, serialized as
/// `{id, decidedBy}` so the caller can quote it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Grant {
    /// The grant id, as recorded in the host's logs and audit trail.
    pub id: String,
    /// Who or what decided, e.g. `policy` or an operator's name.
    pub decided_by: String,
    /// Milliseconds until the grant expires; of no use to the caller, who
    /// is done with the grant once the call returns.
    #[serde(skip)]
    pub expires_in_ms: u64,
}

/// Ask for a grant covering each of the action's methods on each of its
/// targets. Blocks while an operator decides; a refusal is returned as the
/// host's typed error, for the tool to propagate with `?`.
pub fn request(action: &Action) -> Result<Grant> {
    crate::log::debug!(
        "requesting approval",
        operation = action.operation,
        methods = action.methods.join(","),
        targets = action
            .targets
            .iter()
            .map(|(r, _)| r.value.as_str())
            .collect::<Vec<_>>()
            .join(","),
    );
    let grant = wit::request(&action.to_wit())?;
    crate::log::info!(
        "approval granted",
        operation = action.operation,
        grant = grant.id,
        decided_by = grant.decided_by
    );
    Ok(Grant {
        id: grant.id,
        decided_by: grant.decided_by,
        expires_in_ms: grant.expires_in_ms,
    })
}
