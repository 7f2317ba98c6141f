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

/// The words that open the message of an error meaning "vCenter could not
/// be reached"; they survive a plugin's round trip, which carries messages.
pub const UNREACHABLE: &str = "vCenter is unreachable";

/// The kind agents see for an unreachable vCenter: "retry later", not a bug.
/// It is the host's only: the WIT contracts have no such case (adding one
/// needs a new contract version), so on the WIT side it stays `internal`.
pub const UNAVAILABLE: &str = "unavailable";

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

    /// vCenter could not be reached (refused, reset, unresolvable): an
    /// internal error on the WIT contract, which has no case for it, marked
    /// with [`UNREACHABLE`] so that the host, wherever the error comes back
    /// from (a plugin passes the host's message on), tells agents `unavailable`.
    pub fn unreachable(detail: impl std::fmt::Display) -> Self {
        VsError::Internal(format!("{UNREACHABLE}: {detail}"))
    }

    /// A stable, short label for results, metrics and logs (`not_found`);
    /// `unavailable` for an unreachable vCenter, a host-side kind (see
    /// [`UNAVAILABLE`]).
    pub fn kind(&self) -> &'static str {
        match self {
            VsError::Internal(message) if message.contains(UNREACHABLE) => UNAVAILABLE,
            _ => self.error_kind().as_str(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreachable_vcenter_is_unavailable_on_the_host_and_internal_on_the_wit_side() {
        let e = VsError::unreachable("cannot connect to https://vc/sdk: connection refused");
        assert_eq!(e.kind(), "unavailable");
        assert_eq!(e.error_kind(), ErrorKind::Internal, "no WIT case for it");
        // A plugin hands the host's message back inside its own.
        let relayed = VsError::Internal(format!("reading vm-1: {e}"));
        assert_eq!(relayed.kind(), "unavailable");
        assert_eq!(VsError::Internal("a bug".into()).kind(), "internal");
    }
}
