//! Finding inventory objects through the host's index.
//!
//! Tools accept a VM, host, folder or cluster as a plain name, an inventory
//! path (`DC0/vm/web/db1`, as vSphere's `FindByInventoryPath` reads it) or a
//! managed object id (`vm-42`). The host resolves them against an index it
//! keeps current from vCenter's update stream, so [`resolve`], [`lookup`]
//! and [`select`] cost no vCenter round trip on a warm index, whatever the
//! inventory's size. Names match exactly: ` db1` is not `db1`. A name that
//! matches several objects is `ambiguous`, with every candidate's path; one
//! that matches none is `not_found`, with close names offered.

use std::collections::HashMap;

use crate::bindings::infra::vmware::inventory as wit;
use crate::error::{ObjectRef, Result};
use crate::moref::MoRef;
use crate::object::Obj;

pub use crate::bindings::infra::vmware::inventory::{Kind, MatchOp};

/// An object the index knows: what an argument resolved to, a lookup's
/// answer, or a listing's entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    /// Its reference.
    pub reference: MoRef,
    /// Its name, exactly as vSphere has it.
    pub name: String,
    /// Its inventory path, e.g. `DC0/vm/web/db1`.
    pub path: String,
    /// Its parent (folder for a VM, compute resource for a host).
    pub parent: Option<MoRef>,
    /// Its other indexed properties (a VM's power state, host, guest OS,
    /// CPUs, memory, IP address, template flag), as current as vCenter's
    /// update stream: a listing shows them without reading the objects.
    pub properties: Obj,
}

impl Resolved {
    fn from_wit(entry: wit::Entry) -> Self {
        let reference = MoRef::from(&entry.ref_);
        let mut properties = Obj::new(reference.clone());
        for p in entry.properties {
            if let Ok(value) = serde_json::from_str(&p.value) {
                properties.props.insert(p.path, value);
            }
        }
        Resolved {
            reference,
            name: entry.name,
            path: entry.path,
            parent: entry.parent.as_ref().map(MoRef::from),
            properties,
        }
    }
}

/// Resolve a name, inventory path or id to one object of `kind`.
pub fn resolve(kind: Kind, argument: &str) -> Result<Resolved> {
    Ok(Resolved::from_wit(wit::resolve(kind, argument)?))
}

/// What the index knows of these objects, in the same order (`None` for an
/// object it does not hold).
pub fn lookup(refs: &[MoRef]) -> Vec<Option<Resolved>> {
    let refs: Vec<_> = refs.iter().map(ObjectRef::from).collect();
    wit::lookup(&refs)
        .into_iter()
        .map(|e| e.map(Resolved::from_wit))
        .collect()
}

/// The names of these objects, by reference, for showing the objects a
/// result refers to (a VM's host, its datastores). Unknown ones are absent.
pub fn names(refs: &[MoRef]) -> HashMap<MoRef, String> {
    lookup(refs)
        .into_iter()
        .flatten()
        .map(|e| (e.reference, e.name))
        .collect()
}

/// An object a result refers to (a VM's host, a datastore's VMs): its name,
/// null when the index does not know it, and its id. Every group's results
/// name related objects this one way.
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct Named {
    /// Its name, when the inventory index knows it.
    pub name: Option<String>,
    /// Its managed object id.
    pub id: String,
}

impl Named {
    /// `reference`, named from `names` (as [`names`] returns them).
    pub fn of(reference: &MoRef, names: &HashMap<MoRef, String>) -> Named {
        Named {
            name: names.get(reference).cloned(),
            id: reference.value.clone(),
        }
    }
}

/// Which objects to list: a kind, an optional scope, and filters on indexed
/// properties (`name` for every kind; `runtime.powerState`, `runtime.host`,
/// `config.guestFullName`, `config.guestId`, `config.template` for VMs;
/// `runtime.connectionState`, `runtime.inMaintenanceMode` for hosts;
/// `summary.type` for datastores).
#[derive(Debug, Clone)]
pub struct Query {
    kind: Kind,
    scope: Option<MoRef>,
    conditions: Vec<wit::Condition>,
}

impl Query {
    /// Every object of `kind`.
    pub fn new(kind: Kind) -> Self {
        Query {
            kind,
            scope: None,
            conditions: Vec::new(),
        }
    }

    /// Only objects at or below `scope` (a folder, datacenter or cluster).
    pub fn within(mut self, scope: &MoRef) -> Self {
        self.scope = Some(scope.clone());
        self
    }

    /// Only objects whose `property` matches one of `values` by `op`.
    pub fn filter<S: Into<String>>(
        mut self,
        property: &str,
        op: MatchOp,
        values: impl IntoIterator<Item = S>,
    ) -> Self {
        self.conditions.push(wit::Condition {
            property: property.to_string(),
            op,
            values: values.into_iter().map(Into::into).collect(),
        });
        self
    }
}

/// One page of a listing, in inventory-path order.
#[derive(Debug, Clone)]
pub struct Page {
    /// The objects on this page.
    pub entries: Vec<Resolved>,
    /// How many objects match in all.
    pub total: u32,
    /// Pass to the next [`select`] for the next page; `None` on the last.
    pub next_cursor: Option<String>,
}

/// One page of at most `limit` objects matching `query`, after `cursor`.
/// The host filters and pages in its index; nothing is read from vCenter.
pub fn select(query: &Query, limit: u32, cursor: Option<&str>) -> Result<Page> {
    let q = wit::Query {
        kind: query.kind,
        scope: query.scope.as_ref().map(ObjectRef::from),
        conditions: query.conditions.clone(),
    };
    let page = wit::select(&q, limit, cursor)?;
    Ok(Page {
        entries: page.entries.into_iter().map(Resolved::from_wit).collect(),
        total: page.total,
        next_cursor: page.next_cursor,
    })
}
