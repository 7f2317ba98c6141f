//! The typed error every tool returns, and shorthands to build it.
//!
//! The error is the WIT `error` variant itself (re-exported from the
//! bindings), so a tool's failure reaches the host and the agent with its kind
//! intact. Its kind is named through the vocabulary shared with the host
//! ([`ErrorKind`]): the WIT case `not-found` is the kind `not_found` that
//! agents see, here as in the host.

pub use crate::bindings::infra::vmware::types::{ApprovalInfo, Candidate, Error, Fault, ObjectRef};
pub use vmware_vocabulary::ErrorKind;

/// A result whose error is the WIT error, the return type of every tool.
pub type Result<T, E = Error> = core::result::Result<T, E>;

impl Error {
    /// No object of that kind has that name, path or id.
    pub fn not_found(message: impl Into<String>) -> Self {
        Error::NotFound(message.into())
    }

    /// An argument is missing, malformed or out of range.
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Error::InvalidArgument(message.into())
    }

    /// The object is not in a state that allows the action.
    pub fn invalid_state(message: impl Into<String>) -> Self {
        Error::InvalidState(message.into())
    }

    /// A bug or an unexpected condition; the message should say where.
    pub fn internal(message: impl Into<String>) -> Self {
        Error::Internal(message.into())
    }

    /// The kind of error: the one place the SDK maps a WIT case to the
    /// shared vocabulary.
    pub fn error_kind(&self) -> ErrorKind {
        match self {
            Error::NotFound(_) => ErrorKind::NotFound,
            Error::Ambiguous(_) => ErrorKind::Ambiguous,
            Error::InvalidArgument(_) => ErrorKind::InvalidArgument,
            Error::InvalidState(_) => ErrorKind::InvalidState,
            Error::ApprovalRequired(_) => ErrorKind::ApprovalRequired,
            Error::ApprovalDenied(_) => ErrorKind::ApprovalDenied,
            Error::VsphereFault(_) => ErrorKind::VsphereFault,
            Error::Timeout(_) => ErrorKind::Timeout,
            Error::Cancelled(_) => ErrorKind::Cancelled,
            Error::Internal(_) => ErrorKind::Internal,
        }
    }

    /// A short, stable label for the kind of error, for logs and results:
    /// the spelling agents see (`not_found`).
    pub fn kind(&self) -> &'static str {
        self.error_kind().as_str()
    }

    /// A one-line human description, for log lines (the generated `Display`
    /// only repeats `Debug`).
    pub fn message(&self) -> String {
        match self {
            Error::NotFound(m)
            | Error::InvalidArgument(m)
            | Error::InvalidState(m)
            | Error::Timeout(m)
            | Error::Cancelled(m)
            | Error::Internal(m) => m.clone(),
            Error::Ambiguous(candidates) => {
                let paths: Vec<&str> = candidates.iter().map(|c| c.path.as_str()).collect();
                format!("{} objects match: {}", candidates.len(), paths.join(", "))
            }
            Error::ApprovalRequired(info) | Error::ApprovalDenied(info) => info.message.clone(),
            Error::VsphereFault(fault) => format!("{}: {}", fault.type_name, fault.message),
        }
    }

    /// The vSphere fault type, when this is a vSphere fault, so a tool can
    /// react to a specific fault (e.g. fall back when `ToolsUnavailable`).
    pub fn fault_type(&self) -> Option<&str> {
        match self {
            Error::VsphereFault(fault) => Some(fault.type_name.as_str()),
            _ => None,
        }
    }
}

impl From<serde_json::Error> for Error {
    /// JSON that this crate or the host produced failed to (de)serialize:
    /// that is a bug, not bad input, so it is `internal`.
    fn from(err: serde_json::Error) -> Self {
        Error::Internal(format!("JSON encoding error: {err}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_messages() {
        assert_eq!(Error::not_found("x").kind(), "not_found");
        assert_eq!(Error::not_found("x").error_kind().wit_case(), "not-found");
        assert_eq!(Error::invalid_state("busy").message(), "busy");
        let fault = Error::VsphereFault(Fault {
            type_name: "ToolsUnavailable".into(),
            message: "no tools".into(),
            detail: "{}".into(),
        });
        assert_eq!(fault.fault_type(), Some("ToolsUnavailable"));
        assert_eq!(fault.message(), "ToolsUnavailable: no tools");
    }
}
