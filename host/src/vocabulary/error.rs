//! The host's typed error, mirroring the WIT `error` variant so that a failure
//! keeps its kind from a backend, through a plugin, to the MCP client.

use serde::Serialize;
use serde_json::Value;

pub use vmware_vocabulary::ErrorKind;
use vmware_vocabulary::MoRef;

/// One object a name could mean.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    /// The object's reference.
    pub reference: MoRef,
    /// Its inventory path, e.g. `DC0/vm/web/db1`.
    pub path: String,
}

/// A vSphere fault as the server reported it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fault {
    /// The vim25 fault type, e.g. `InvalidPowerState`.
    pub type_name: String,
    /// The server's message.
    pub message: String,
    /// The whole fault object as VI/JSON.
    pub detail: Value,
}

impl Fault {
    /// A fault whose detail is just its type, for faults raised by the simulator.
    pub fn new(type_name: impl Into<String>, message: impl Into<String>) -> Self {
        let type_name = type_name.into();
        let message = message.into();
        let detail = serde_json::json!({ "_typeName": type_name, "msg": message });
        Fault {
            type_name,
            message,
            detail,
        }
    }
}

/// Every way a vSphere call or a tool can fail, by kind.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum VsError {
    /// No such object.
    #[error("not found: {0}")]
    NotFound(String),
    /// A name matched several objects.
    #[error("ambiguous: {} objects match ({})", .0.len(), .0.iter().map(|c| c.path.as_str()).collect::<Vec<_>>().join(", "))]
    Ambiguous(Vec<Candidate>),
    /// An argument is missing or malformed.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// The object's state forbids the action.
    #[error("invalid state: {0}")]
    InvalidState(String),
    /// An approval is needed and was not given.
    #[error("approval required: {message}")]
    ApprovalRequired {
        /// The pending approval id, if one was created.
        id: Option<String>,
        /// What was needed.
        message: String,
    },
    /// An approver or the policy refused.
    #[error("approval denied: {message}")]
    ApprovalDenied {
        /// The approval id, if there was one.
        id: Option<String>,
        /// Why.
        message: String,
    },
    /// vSphere refused or failed.
    #[error("vSphere fault {}: {}", .0.type_name, .0.message)]
    Fault(Fault),
    /// Out of time.
    #[error("timeout: {0}")]
    Timeout(String),
    /// The client cancelled the tool call.
    #[error("cancelled: {0}")]
    Cancelled(String),
    /// Unexpected failure.
    #[error("internal error: {0}")]
    Internal(String),
}

impl VsError {
    /// Shorthand for a vSphere fault of the given type.
    pub fn fault(type_name: impl Into<String>, message: impl Into<String>) -> Self {
        VsError::Fault(Fault::new(type_name, message))
    }

    /// The kind of error, in the vocabulary shared with the plugin SDK:
    /// the one place the host maps its variants to it.
    pub fn error_kind(&self) -> ErrorKind {
        match self {
            VsError::NotFound(_) => ErrorKind::NotFound,
            VsError::Ambiguous(_) => ErrorKind::Ambiguous,
            VsError::InvalidArgument(_) => ErrorKind::InvalidArgument,
            VsError::InvalidState(_) => ErrorKind::InvalidState,
            VsError::ApprovalRequired { .. } => ErrorKind::ApprovalRequired,
            VsError::ApprovalDenied { .. } => ErrorKind::ApprovalDenied,
            VsError::Fault(_) => ErrorKind::VsphereFault,
            VsError::Timeout(_) => ErrorKind::Timeout,
            VsError::Cancelled(_) => ErrorKind::Cancelled,
            VsError::Internal(_) => ErrorKind::Internal,
        }
    }

    /// A stable, short label for results, metrics and logs (`not_found`).
    pub fn kind(&self) -> &'static str {
        self.error_kind().as_str()
    }
}
