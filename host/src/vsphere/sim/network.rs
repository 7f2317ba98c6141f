//! Networks (standard port groups): their construction and their derived
//! `host` and `vm` lists and summary name. Their methods are the generic
//! entity ones.

use serde_json::json;

use super::derive::{Changes, Links, refs};
use super::entity;
use super::model::{Meta, Model, Object, reference};

/// A standard port group network named `name` in the folder `parent`.
pub(super) fn build(m: &mut Model, name: &str, parent: &str) -> String {
    let id = m.alloc_id("network");
    let mut p = entity::props(name, Some(&reference("Folder", parent)));
    p.insert(
        "summary".into(),
        json!({ "_typeName": "NetworkSummary", "network": reference("Network", &id), "name": name, "accessible": true }),
    );
    m.insert("Network", id.clone(), p, Meta::None);
    id
}

/// A network's derived `host` and `vm` lists and `summary.name`.
pub(super) fn derive(m: &Model, links: &Links, o: &Object, out: &mut Changes) {
    out.set(o, "host", refs(m, links.net_hosts.get(&o.id)));
    out.set(o, "vm", refs(m, links.net_vms.get(&o.id)));
    out.set(o, "summary.name", json!(o.name()));
}
