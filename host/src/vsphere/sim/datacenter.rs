//! Datacenters: their construction with the four folders vCenter gives each
//! (`vm`, `host`, `datastore`, `network`), and their derived `datastore` and
//! `network` lists (everything of that type under the matching folder).
//! Their methods are the generic entity ones.

use serde_json::{Value, json};

use super::derive::{Changes, refs};
use super::entity;
use super::folder::{self, FolderKind};
use super::model::{Meta, Model, Object, reference};
use super::network;

/// A datacenter named `name` in the folder `parent`, with its four folders.
pub(super) fn build(m: &mut Model, name: &str, parent: &str) -> String {
    let id = m.alloc_id("datacenter");
    let p = entity::props(name, Some(&reference("Folder", parent)));
    m.insert("Datacenter", id.clone(), p, Meta::None);
    let vm = folder::build(m, "vm", &id, FolderKind::Vm);
    let host = folder::build(m, "host", &id, FolderKind::Host);
    let ds = folder::build(m, "datastore", &id, FolderKind::Datastore);
    let net = folder::build(m, "network", &id, FolderKind::Network);
    // The four folders' parent is the datacenter, typed as such.
    for f in [&vm, &host, &ds, &net] {
        if let Some(o) = m.get_mut(f) {
            o.set("parent", reference("Datacenter", &id));
        }
    }
    if let Some(o) = m.get_mut(&id) {
        o.set("vmFolder", reference("Folder", &vm));
        o.set("hostFolder", reference("Folder", &host));
        o.set("datastoreFolder", reference("Folder", &ds));
        o.set("networkFolder", reference("Folder", &net));
    }
    id
}

/// A datacenter's derived `datastore` and `network` lists.
pub(super) fn derive(m: &Model, o: &Object, out: &mut Changes) {
    let under = |folder: Option<String>, kinds: &[&str]| -> Value {
        let Some(f) = folder else { return json!([]) };
        let mut ids: Vec<String> = kinds
            .iter()
            .flat_map(|kind| m.ids_of_kind(kind))
            .filter(|id| m.is_within(id, &f))
            .collect();
        ids.sort_by_key(|id| m.get(id).map(|o| o.seq).unwrap_or(u64::MAX));
        refs(m, Some(&ids))
    };
    out.set(
        o,
        "datastore",
        under(o.ref_id("datastoreFolder"), &["Datastore"]),
    );
    out.set(
        o,
        "network",
        under(o.ref_id("networkFolder"), &network::KINDS),
    );
}
