//! Conversions between the WIT types and the host's own, kept apart so each
//! interface module reads as behaviour only.

use serde_json::Value;

use crate::runtime::contract::latest::types as wit;
use crate::runtime::contract::latest::vsphere::Property;
use crate::vocabulary::{Candidate, Fault, VsError};
use crate::vsphere::MoRef;

/// Collected `(path, value)` pairs as WIT properties, values as VI/JSON text.
pub fn properties(pairs: Vec<(String, Value)>) -> Vec<Property> {
    pairs
        .into_iter()
        .map(|(path, value)| Property {
            path,
            value: value.to_string(),
        })
        .collect()
}

impl From<wit::ObjectRef> for MoRef {
    fn from(r: wit::ObjectRef) -> Self {
        MoRef::new(r.type_, r.value)
    }
}

impl From<MoRef> for wit::ObjectRef {
    fn from(r: MoRef) -> Self {
        wit::ObjectRef {
            type_: r.kind,
            value: r.value,
        }
    }
}

impl From<VsError> for wit::Error {
    fn from(e: VsError) -> Self {
        match e {
            VsError::NotFound(m) => wit::Error::NotFound(m),
            VsError::Ambiguous(c) => wit::Error::Ambiguous(
                c.into_iter()
                    .map(|c| wit::Candidate {
                        ref_: c.reference.into(),
                        path: c.path,
                    })
                    .collect(),
            ),
            VsError::InvalidArgument(m) => wit::Error::InvalidArgument(m),
            VsError::InvalidState(m) => wit::Error::InvalidState(m),
            VsError::ApprovalRequired { id, message } => {
                wit::Error::ApprovalRequired(wit::ApprovalInfo { id, message })
            }
            VsError::ApprovalDenied { id, message } => {
                wit::Error::ApprovalDenied(wit::ApprovalInfo { id, message })
            }
            VsError::Fault(f) => wit::Error::VsphereFault(wit::Fault {
                type_name: f.type_name,
                message: f.message,
                detail: f.detail.to_string(),
            }),
            VsError::Timeout(m) => wit::Error::Timeout(m),
            VsError::Cancelled(m) => wit::Error::Cancelled(m),
            VsError::Internal(m) => wit::Error::Internal(m),
        }
    }
}

impl From<wit::Error> for VsError {
    fn from(e: wit::Error) -> Self {
        match e {
            wit::Error::NotFound(m) => VsError::NotFound(m),
            wit::Error::Ambiguous(c) => VsError::Ambiguous(
                c.into_iter()
                    .map(|c| Candidate {
                        reference: c.ref_.into(),
                        path: c.path,
                    })
                    .collect(),
            ),
            wit::Error::InvalidArgument(m) => VsError::InvalidArgument(m),
            wit::Error::InvalidState(m) => VsError::InvalidState(m),
            wit::Error::ApprovalRequired(a) => VsError::ApprovalRequired {
                id: a.id,
                message: a.message,
            },
            wit::Error::ApprovalDenied(a) => VsError::ApprovalDenied {
                id: a.id,
                message: a.message,
            },
            wit::Error::VsphereFault(f) => VsError::Fault(Fault {
                type_name: f.type_name,
                message: f.message,
                detail: serde_json::from_str(&f.detail)
                    .unwrap_or(serde_json::Value::String(f.detail)),
            }),
            wit::Error::Timeout(m) => VsError::Timeout(m),
            wit::Error::Cancelled(m) => VsError::Cancelled(m),
            wit::Error::Internal(m) => VsError::Internal(m),
        }
    }
}

/// The `types` interface declares no functions; the bindings still ask for its host trait.
impl wit::Host for crate::runtime::state::PluginState {}
