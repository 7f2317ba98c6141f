//! `infra:vmware@0.2.0`, frozen, served by translating to the current
//! interfaces: components built against 0.2.0 keep loading and working
//! unchanged (Zed's `since_vX` model). Every import of 0.2.0 means the same
//! in 0.3.0, which only adds the group's declared capabilities to the
//! exported manifest; the records are copied field by field because each
//! version's bindings are distinct Rust types.

use crate::runtime::bindings::v0_2::infra::vmware::{approval, inventory, log, types, vsphere};
use crate::runtime::bindings::{
    approval as now_approval, inventory as now_inventory, log as now_log, vsphere as now_vsphere,
};
use crate::runtime::legacy_v0_2::{error, to_new_ref, to_old_ref};
use crate::runtime::state::PluginState;

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

super::legacy::frozen_approval_and_log!();
