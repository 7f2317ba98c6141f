//! The machinery behind the properties vSphere computes rather than stores
//! (inverse links, summaries, guest information, quick statistics): the index
//! of inverse links, gathered once per resync, and the changes each managed
//! type's `derive` records. Each type computes its own properties beside the
//! rest of its code; `resync` runs them all from one consistent state after
//! every change, so no method can leave a link or a summary stale.

use std::collections::HashMap;

use serde_json::Value;

use super::model::{Model, Object};

/// Who points at each object, gathered once per resync so that each derived
/// list costs a lookup rather than a scan of the inventory.
#[derive(Default)]
pub(super) struct Links {
    /// Entity id → the entities whose `parent` it is, in creation order.
    pub children: HashMap<String, Vec<String>>,
    /// Host id → the VMs registered on it.
    pub host_vms: HashMap<String, Vec<String>>,
    /// Resource pool id → the VMs in it.
    pub pool_vms: HashMap<String, Vec<String>>,
    /// Datastore id → the VMs with files on it.
    pub ds_vms: HashMap<String, Vec<String>>,
    /// Network id → the VMs with a NIC on it.
    pub net_vms: HashMap<String, Vec<String>>,
    /// Datastore id → the hosts that mount it.
    pub ds_hosts: HashMap<String, Vec<String>>,
    /// Network id → the hosts that have it.
    pub net_hosts: HashMap<String, Vec<String>>,
}

/// Add `from` to the list kept for `to`.
fn link(map: &mut HashMap<String, Vec<String>>, to: String, from: &str) {
    map.entry(to).or_default().push(from.to_string());
}

impl Links {
    /// The inverse of every reference the derived lists are made of.
    pub(super) fn gather(m: &Model) -> Links {
        let mut all: Vec<&Object> = m.objects().collect();
        all.sort_by_key(|o| o.seq);
        let mut links = Links::default();
        for o in all {
            if let Some(p) = o.ref_id("parent") {
                link(&mut links.children, p, &o.id);
            }
            match o.kind.as_str() {
                "VirtualMachine" => links.add_vm(o),
                "HostSystem" => links.add_host(o),
                _ => {}
            }
        }
        links
    }

    /// The children of `id` of exactly `kind`: a cluster's hosts, a pool's pools.
    pub(super) fn children_of_kind(&self, m: &Model, id: &str, kind: &str) -> Vec<String> {
        self.children
            .get(id)
            .into_iter()
            .flatten()
            .filter(|c| m.get(c).is_some_and(|o| o.kind == kind))
            .cloned()
            .collect()
    }

    fn add_vm(&mut self, vm: &Object) {
        if let Some(h) = vm.ref_id("runtime.host") {
            link(&mut self.host_vms, h, &vm.id);
        }
        if let Some(p) = vm.ref_id("resourcePool") {
            link(&mut self.pool_vms, p, &vm.id);
        }
        for d in vm.ref_ids("datastore") {
            link(&mut self.ds_vms, d, &vm.id);
        }
        for n in vm.ref_ids("network") {
            link(&mut self.net_vms, n, &vm.id);
        }
    }

    fn add_host(&mut self, host: &Object) {
        for d in host.ref_ids("datastore") {
            link(&mut self.ds_hosts, d, &host.id);
        }
        for n in host.ref_ids("network") {
            link(&mut self.net_hosts, n, &host.id);
        }
    }
}

/// Derived values waiting to be written, so that every object is computed
/// from the same state: (object id, dotted path, value).
#[derive(Default)]
pub(super) struct Changes(Vec<(String, &'static str, Value)>);

impl Changes {
    /// Record that `path` of `o` becomes `value`.
    pub(super) fn set(&mut self, o: &Object, path: &'static str, value: Value) {
        self.0.push((o.id.clone(), path, value));
    }

    /// Write every recorded value, in the order recorded.
    pub(super) fn apply(self, m: &mut Model) {
        for (id, path, value) in self.0 {
            if let Some(o) = m.get_mut(&id) {
                o.set(path, value);
            }
        }
    }
}

/// A VI/JSON array of references to those of `ids` that exist: every derived
/// list of references is written through here.
pub(super) fn refs(m: &Model, ids: Option<&Vec<String>>) -> Value {
    Value::Array(
        ids.into_iter()
            .flatten()
            .filter_map(|id| m.moref(id))
            .map(|r| r.to_json())
            .collect(),
    )
}
