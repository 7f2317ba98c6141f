//! One vocabulary of error kinds. The WIT contract spells its `error`
//! variant's cases in kebab case (`not-found`), as WIT requires; agents see
//! the MCP spelling (`not_found`) in every tool error's `kind`. This module
//! is the one place that spelling is decided, and the one place a WIT case
//! name is mapped to it; the host's and the SDK's error types each name
//! their kind through [`ErrorKind`].

/// What kind of failure a tool call had, as agents see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorKind {
    /// No object of that kind has that name, path or id.
    NotFound,
    /// A name matched several objects; the error lists them.
    Ambiguous,
    /// An argument is missing, malformed or out of range.
    InvalidArgument,
    /// The object's state rules the action out.
    InvalidState,
    /// An approval is needed and was not given (yet).
    ApprovalRequired,
    /// An approver or the policy refused.
    ApprovalDenied,
    /// vSphere refused or failed.
    VsphereFault,
    /// Out of time.
    Timeout,
    /// The client cancelled the call.
    Cancelled,
    /// A bug or an unexpected condition.
    Internal,
}

impl ErrorKind {
    /// Every kind, in the WIT variant's order.
    pub const ALL: [ErrorKind; 10] = [
        ErrorKind::NotFound,
        ErrorKind::Ambiguous,
        ErrorKind::InvalidArgument,
        ErrorKind::InvalidState,
        ErrorKind::ApprovalRequired,
        ErrorKind::ApprovalDenied,
        ErrorKind::VsphereFault,
        ErrorKind::Timeout,
        ErrorKind::Cancelled,
        ErrorKind::Internal,
    ];

    /// The spelling agents see in a tool error's `kind` (and metrics and logs use).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "not_found",
            ErrorKind::Ambiguous => "ambiguous",
            ErrorKind::InvalidArgument => "invalid_argument",
            ErrorKind::InvalidState => "invalid_state",
            ErrorKind::ApprovalRequired => "approval_required",
            ErrorKind::ApprovalDenied => "approval_denied",
            ErrorKind::VsphereFault => "vsphere_fault",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Cancelled => "cancelled",
            ErrorKind::Internal => "internal",
        }
    }

    /// The case of the WIT `error` variant this kind travels as, e.g. `not-found`.
    pub fn wit_case(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "not-found",
            ErrorKind::Ambiguous => "ambiguous",
            ErrorKind::InvalidArgument => "invalid-argument",
            ErrorKind::InvalidState => "invalid-state",
            ErrorKind::ApprovalRequired => "approval-required",
            ErrorKind::ApprovalDenied => "approval-denied",
            ErrorKind::VsphereFault => "vsphere-fault",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Cancelled => "cancelled",
            ErrorKind::Internal => "internal",
        }
    }

    /// The kind named `text`, in either spelling (`not_found` or `not-found`),
    /// so that test cases and configuration may use the one they know.
    pub fn parse(text: &str) -> Option<ErrorKind> {
        ErrorKind::ALL
            .into_iter()
            .find(|k| k.as_str() == text || k.wit_case() == text)
    }

    /// Every kind's agent-facing spelling, for "valid kinds are …" messages.
    pub fn names() -> Vec<&'static str> {
        ErrorKind::ALL.iter().map(|k| k.as_str()).collect()
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_spellings_parse_to_the_same_kind() {
        for kind in ErrorKind::ALL {
            assert_eq!(ErrorKind::parse(kind.as_str()), Some(kind));
            assert_eq!(ErrorKind::parse(kind.wit_case()), Some(kind));
            assert_eq!(kind.as_str().replace('_', "-"), kind.wit_case());
        }
        assert_eq!(ErrorKind::parse("notfound"), None);
        assert_eq!(ErrorKind::NotFound.to_string(), "not_found");
    }
}
