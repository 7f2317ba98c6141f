//! `infra:vmware@0.2.0`, frozen, served by translating to the current
//! interfaces: components built against 0.2.0 keep loading and working
//! unchanged (Zed's `since_vX` model). Every import of 0.2.0 means the same
//! in 0.3.0, which only adds the group's declared capabilities to the
//! exported manifest; the records are copied field by field because each
//! version's bindings are distinct Rust types.

use crate::runtime::bindings::v0_2::infra::vmware::{approval, inventory, log, types, vsphere};
use crate::runtime::bindings::{
    approval as now_approval, inventory as now_inventory, log as now_log, types as now,
    vsphere as now_vsphere,
};
use crate::runtime::state::PluginState;

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

fn candidate(c: now::Candidate) -> types::Candidate {
    types::Candidate {
        ref_: to_old_ref(c.ref_),
        path: c.path,
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

fn old_properties(props: Vec<now_vsphere::Property>) -> Vec<vsphere::Property> {
    props
        .into_iter()
        .map(|p| vsphere::Property {
            path: p.path,
            value: p.value,
        })
        .collect()
}

fn old_objects(objects: Vec<now_vsphere::ObjectContent>) -> Vec<vsphere::ObjectContent> {
    objects
        .into_iter()
        .map(|o| vsphere::ObjectContent {
            ref_: to_old_ref(o.ref_),
            properties: old_properties(o.properties),
        })
        .collect()
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
        now_vsphere::Host::retrieve(self, request)
            .map(old_objects)
            .map_err(error)
    }

    fn read(
        &mut self,
        refs: Vec<types::ObjectRef>,
        properties: Vec<String>,
    ) -> Result<Vec<vsphere::ObjectContent>, types::Error> {
        let refs = refs.into_iter().map(to_new_ref).collect();
        now_vsphere::Host::read(self, refs, properties)
            .map(old_objects)
            .map_err(error)
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

fn kind(k: inventory::Kind) -> now_inventory::Kind {
    use inventory::Kind as Old;
    use now_inventory::Kind as New;
    match k {
        Old::VirtualMachine => New::VirtualMachine,
        Old::HostSystem => New::HostSystem,
        Old::Folder => New::Folder,
        Old::VmFolder => New::VmFolder,
        Old::Datacenter => New::Datacenter,
        Old::Cluster => New::Cluster,
        Old::Container => New::Container,
        Old::Datastore => New::Datastore,
        Old::Network => New::Network,
        Old::ResourcePool => New::ResourcePool,
    }
}

fn old_entry(e: now_inventory::Entry) -> inventory::Entry {
    inventory::Entry {
        ref_: to_old_ref(e.ref_),
        name: e.name,
        path: e.path,
        parent: e.parent.map(to_old_ref),
        properties: old_properties(e.properties),
    }
}

impl inventory::Host for PluginState {
    fn resolve(
        &mut self,
        k: inventory::Kind,
        argument: String,
    ) -> Result<inventory::Entry, types::Error> {
        now_inventory::Host::resolve(self, kind(k), argument)
            .map(old_entry)
            .map_err(error)
    }

    fn lookup(&mut self, refs: Vec<types::ObjectRef>) -> Vec<Option<inventory::Entry>> {
        let refs = refs.into_iter().map(to_new_ref).collect();
        now_inventory::Host::lookup(self, refs)
            .into_iter()
            .map(|e| e.map(old_entry))
            .collect()
    }

    fn select(
        &mut self,
        query: inventory::Query,
        limit: u32,
        cursor: Option<String>,
    ) -> Result<inventory::Page, types::Error> {
        let query = now_inventory::Query {
            kind: kind(query.kind),
            scope: query.scope.map(to_new_ref),
            conditions: query
                .conditions
                .into_iter()
                .map(|c| now_inventory::Condition {
                    property: c.property,
                    op: match c.op {
                        inventory::MatchOp::Equals => now_inventory::MatchOp::Equals,
                        inventory::MatchOp::Glob => now_inventory::MatchOp::Glob,
                        inventory::MatchOp::Contains => now_inventory::MatchOp::Contains,
                    },
                    values: c.values,
                })
                .collect(),
        };
        let page = now_inventory::Host::select(self, query, limit, cursor).map_err(error)?;
        Ok(inventory::Page {
            entries: page.entries.into_iter().map(old_entry).collect(),
            total: page.total,
            next_cursor: page.next_cursor,
        })
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

/// 0.2.0's `types` interface holds only types; nothing to serve.
impl types::Host for PluginState {}
