//! Which entity a filter names, and how rows name the entities they are
//! about. A filter's `entity` may be a VM, host, cluster or datastore, given
//! as a name, an inventory path or an id; it is resolved exactly through the
//! host's index, and a name two kinds share is refused as ambiguous rather
//! than guessed.

use std::collections::HashMap;

use schemars::JsonSchema;
use serde::Serialize;
use vmware_plugin_sdk::inventory::{self, Resolved};
use vmware_plugin_sdk::prelude::*;

/// The kinds a filter's `entity` may name, with how messages say them.
const FILTER_KINDS: &[(Kind, &str)] = &[
    (Kind::VirtualMachine, "VM"),
    (Kind::HostSystem, "host"),
    (Kind::Cluster, "cluster"),
    (Kind::Datastore, "datastore"),
];

/// The one VM, host, cluster or datastore `argument` names.
pub fn resolve(argument: &str) -> Result<Resolved> {
    let mut found = Vec::new();
    for (kind, word) in FILTER_KINDS {
        match inventory::resolve(*kind, argument) {
            Ok(r) => found.push((r, *word)),
            Err(Error::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    match found.len() {
        1 => Ok(found.remove(0).0),
        0 => Err(Error::not_found(format!(
            "no VM, host, cluster or datastore is named `{argument}`; give a name, an inventory path (DC0/vm/web/web-01) or an id (vm-42, host-12, domain-c7, datastore-11)"
        ))),
        _ => Err(Error::invalid_argument(format!(
            "`{argument}` names several objects: {}; give a path or an id",
            found
                .iter()
                .map(|(r, word)| format!("{word} {} ({})", r.path, r.reference.value))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// An entity a row is about.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct EntityRef {
    /// Name.
    pub name: String,
    /// Id, e.g. vm-42.
    pub id: String,
    /// Inventory path, when it still exists.
    pub path: Option<String>,
}

/// Rows' entities, named as the index knows them now (a deleted or
/// unindexed one keeps the name the record gave, without a path). Each
/// entity is looked up once, however many rows are about it.
pub fn describe(entities: &[(MoRef, String)]) -> Vec<EntityRef> {
    let mut distinct: Vec<MoRef> = entities.iter().map(|(r, _)| r.clone()).collect();
    distinct.sort();
    distinct.dedup();
    let known: HashMap<MoRef, Resolved> = inventory::lookup(&distinct)
        .into_iter()
        .flatten()
        .map(|k| (k.reference.clone(), k))
        .collect();
    entities
        .iter()
        .map(|(reference, recorded)| match known.get(reference) {
            Some(k) => EntityRef {
                name: k.name.clone(),
                id: reference.value.clone(),
                path: Some(k.path.clone()),
            },
            None => EntityRef {
                name: recorded.clone(),
                id: reference.value.clone(),
                path: None,
            },
        })
        .collect()
}
