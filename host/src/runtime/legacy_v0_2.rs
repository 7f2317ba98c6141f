//! The frozen 0.2.0 contract's values in the current contract's words and
//! back: the runtime needs them for what a 0.2.0 component returns, the host
//! interfaces (`wit_host::v0_2`) for what it asks, so they live here, below
//! both.

use super::bindings::types as now;
use super::bindings::v0_2::infra::vmware::types;

/// An error of the current contract in 0.2.0's words (the variants are the same).
pub fn error(e: now::Error) -> types::Error {
    let info = |a: now::ApprovalInfo| types::ApprovalInfo {
        id: a.id,
        message: a.message,
    };
    match e {
        now::Error::NotFound(m) => types::Error::NotFound(m),
        now::Error::Ambiguous(c) => types::Error::Ambiguous(c.into_iter().map(candidate).collect()),
        now::Error::InvalidArgument(m) => types::Error::InvalidArgument(m),
        now::Error::InvalidState(m) => types::Error::InvalidState(m),
        now::Error::ApprovalRequired(a) => types::Error::ApprovalRequired(info(a)),
        now::Error::ApprovalDenied(a) => types::Error::ApprovalDenied(info(a)),
        now::Error::VsphereFault(f) => types::Error::VsphereFault(types::Fault {
            type_name: f.type_name,
            message: f.message,
            detail: f.detail,
        }),
        now::Error::Timeout(m) => types::Error::Timeout(m),
        now::Error::Cancelled(m) => types::Error::Cancelled(m),
        now::Error::Internal(m) => types::Error::Internal(m),
    }
}

/// A 0.2.0 error in the current contract's words, for results of 0.2.0 tools.
pub fn error_now(e: types::Error) -> now::Error {
    let info = |a: types::ApprovalInfo| now::ApprovalInfo {
        id: a.id,
        message: a.message,
    };
    match e {
        types::Error::NotFound(m) => now::Error::NotFound(m),
        types::Error::Ambiguous(c) => now::Error::Ambiguous(
            c.into_iter()
                .map(|c| now::Candidate {
                    ref_: to_new_ref(c.ref_),
                    path: c.path,
                })
                .collect(),
        ),
        types::Error::InvalidArgument(m) => now::Error::InvalidArgument(m),
        types::Error::InvalidState(m) => now::Error::InvalidState(m),
        types::Error::ApprovalRequired(a) => now::Error::ApprovalRequired(info(a)),
        types::Error::ApprovalDenied(a) => now::Error::ApprovalDenied(info(a)),
        types::Error::VsphereFault(f) => now::Error::VsphereFault(now::Fault {
            type_name: f.type_name,
            message: f.message,
            detail: f.detail,
        }),
        types::Error::Timeout(m) => now::Error::Timeout(m),
        types::Error::Cancelled(m) => now::Error::Cancelled(m),
        types::Error::Internal(m) => now::Error::Internal(m),
    }
}

/// A candidate in 0.2.0's words.
pub fn candidate(c: now::Candidate) -> types::Candidate {
    types::Candidate {
        ref_: to_old_ref(c.ref_),
        path: c.path,
    }
}

/// A reference in 0.2.0's words.
pub fn to_old_ref(r: now::ObjectRef) -> types::ObjectRef {
    types::ObjectRef {
        type_: r.type_,
        value: r.value,
    }
}

/// A 0.2.0 reference in the current contract's words.
pub fn to_new_ref(r: types::ObjectRef) -> now::ObjectRef {
    now::ObjectRef {
        type_: r.type_,
        value: r.value,
    }
}
