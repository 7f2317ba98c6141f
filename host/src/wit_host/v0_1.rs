//! `infra:vmware@0.1.0`, the frozen first contract, served by translating to
//! the current interfaces: components built against 0.1.0 keep loading and
//! working unchanged (Zed's `since_vX` model). 0.1.0 has no `read` and no
//! `inventory`; everything it has means the same in the current contract.

use crate::runtime::bindings::v0_1::infra::vmware::{approval, log, types, vsphere};
use crate::runtime::bindings::{
    approval as now_approval, log as now_log, types as now, vsphere as now_vsphere,
};
use crate::runtime::state::PluginState;

/// An error of the current contract in 0.1.0's words (the variants are the same).
pub fn error(e: now::Error) -> types::Error {
    let info = |a: now::ApprovalInfo| types::ApprovalInfo {
        id: a.id,
        message: a.message,
    };
    match e {
        now::Error::NotFound(m) => types::Error::NotFound(m),
        now::Error::Ambiguous(c) => types::Error::Ambiguous(
            c.into_iter()
                .map(|c| types::Candidate {
                    ref_: to_old_ref(c.ref_),
                    path: c.path,
                })
                .collect(),
        ),
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
        // 0.1.0 has no `cancelled`: the nearest honest kind is `internal`.
        now::Error::Cancelled(m) => types::Error::Internal(m),
        now::Error::Internal(m) => types::Error::Internal(m),
    }
}

/// A 0.1.0 error in the current contract's words, for results of 0.1.0 tools.
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
        types::Error::Internal(m) => now::Error::Internal(m),
    }
}

fn to_old_ref(r: now::ObjectRef) -> types::ObjectRef {
    types::ObjectRef {
        type_: r.type_,
        value: r.value,
    }
}

fn to_new_ref(r: types::ObjectRef) -> now::ObjectRef {
    now::ObjectRef {
        type_: r.type_,
        value: r.value,
    }
}

impl vsphere::Host for PluginState {
    fn service_content(&mut self) -> Result<String, types::Error> {
        now_vsphere::Host::service_content(self).map_err(error)
    }

    fn retrieve(
        &mut self,
        request: vsphere::RetrieveRequest,
    ) -> Result<Vec<vsphere::ObjectContent>, types::Error> {
        let request = now_vsphere::RetrieveRequest {
            object_type: request.object_type,
            root: request.root.map(to_new_ref),
            recursive: request.recursive,
            properties: request.properties,
        };
        let objects = now_vsphere::Host::retrieve(self, request).map_err(error)?;
        Ok(objects
            .into_iter()
            .map(|o| vsphere::ObjectContent {
                ref_: to_old_ref(o.ref_),
                properties: o
                    .properties
                    .into_iter()
                    .map(|p| vsphere::Property {
                        path: p.path,
                        value: p.value,
                    })
                    .collect(),
            })
            .collect())
    }

    fn invoke(
        &mut self,
        target: types::ObjectRef,
        method: String,
        arguments: String,
    ) -> Result<String, types::Error> {
        now_vsphere::Host::invoke(self, to_new_ref(target), method, arguments).map_err(error)
    }
}

impl approval::Host for PluginState {
    fn request(&mut self, action: approval::Action) -> Result<approval::Grant, types::Error> {
        let action = now_approval::Action {
            operation: action.operation,
            summary: action.summary,
            targets: action
                .targets
                .into_iter()
                .map(|t| now_approval::Target {
                    ref_: to_new_ref(t.ref_),
                    name: t.name,
                })
                .collect(),
            methods: action.methods,
            detail: action.detail,
        };
        let grant = now_approval::Host::request(self, action).map_err(error)?;
        Ok(approval::Grant {
            id: grant.id,
            decided_by: grant.decided_by,
            expires_in_ms: grant.expires_in_ms,
        })
    }
}

impl log::Host for PluginState {
    fn write(&mut self, level: log::Level, message: String, fields: Vec<log::Field>) {
        let level = match level {
            log::Level::Trace => now_log::Level::Trace,
            log::Level::Debug => now_log::Level::Debug,
            log::Level::Info => now_log::Level::Info,
            log::Level::Warn => now_log::Level::Warn,
            log::Level::Error => now_log::Level::Error,
        };
        let fields = fields
            .into_iter()
            .map(|f| now_log::Field {
                key: f.key,
                value: f.value,
            })
            .collect();
        now_log::Host::write(self, level, message, fields);
    }
}

/// 0.1.0's `types` interface holds only types; nothing to serve.
impl types::Host for PluginState {}
