//! `infra:vmware@0.2.0`, frozen: its bindings and its translation onto the
//! latest contract, so components built against it keep loading and
//! working unchanged. Every import of 0.2.0 means the same in 0.3.0, which
//! only adds the group's declared capabilities to the exported manifest;
//! records are copied field by field because each version's bindings are
//! distinct Rust types.

#![allow(missing_docs)]

use super::latest as now;
use crate::runtime::state::PluginState;

wasmtime::component::bindgen!({
    world: "tool-group-plugin",
    path: "../plugins/sdk/wit/since_v0.2.0",
});

use infra::vmware::{approval, inventory, log, types, vsphere};

super::frozen::frozen_contract! {
    error_to_old: { now::types::Error::Cancelled(m) => types::Error::Cancelled(m) },
    error_to_now: { types::Error::Cancelled(m) => now::types::Error::Cancelled(m) },
    // `read` came with 0.2.0.
    vsphere_since: {
        fn read(
            &mut self,
            refs: Vec<types::ObjectRef>,
            properties: Vec<String>,
        ) -> Result<Vec<vsphere::ObjectContent>, types::Error> {
            let refs = refs.into_iter().map(to_new_ref).collect();
            now::vsphere::Host::read(self, refs, properties)
                .map(old_objects)
                .map_err(error)
        }
    },
}

/// An inventory kind in the latest contract's words.
fn kind(k: inventory::Kind) -> now::inventory::Kind {
    use inventory::Kind as Old;
    use now::inventory::Kind as New;
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

/// An inventory entry in 0.2.0's words.
fn old_entry(e: now::inventory::Entry) -> inventory::Entry {
    inventory::Entry {
        ref_: to_old_ref(e.ref_),
        name: e.name,
        path: e.path,
        parent: e.parent.map(to_old_ref),
        properties: old_properties(e.properties),
    }
}

/// A query in the latest contract's words.
fn query_now(query: inventory::Query) -> now::inventory::Query {
    now::inventory::Query {
        kind: kind(query.kind),
        scope: query.scope.map(to_new_ref),
        conditions: query
            .conditions
            .into_iter()
            .map(|c| now::inventory::Condition {
                property: c.property,
                op: match c.op {
                    inventory::MatchOp::Equals => now::inventory::MatchOp::Equals,
                    inventory::MatchOp::Glob => now::inventory::MatchOp::Glob,
                    inventory::MatchOp::Contains => now::inventory::MatchOp::Contains,
                },
                values: c.values,
            })
            .collect(),
    }
}

impl inventory::Host for PluginState {
    fn resolve(
        &mut self,
        k: inventory::Kind,
        argument: String,
    ) -> Result<inventory::Entry, types::Error> {
        now::inventory::Host::resolve(self, kind(k), argument)
            .map(old_entry)
            .map_err(error)
    }

    fn lookup(&mut self, refs: Vec<types::ObjectRef>) -> Vec<Option<inventory::Entry>> {
        let refs = refs.into_iter().map(to_new_ref).collect();
        now::inventory::Host::lookup(self, refs)
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
        let page =
            now::inventory::Host::select(self, query_now(query), limit, cursor).map_err(error)?;
        Ok(inventory::Page {
            entries: page.entries.into_iter().map(old_entry).collect(),
            total: page.total,
            next_cursor: page.next_cursor,
        })
    }
}
