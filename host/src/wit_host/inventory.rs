//! `infra:vmware/inventory` (current contract): name resolution, lookups and paged
//! listings answered from the host's inventory index, so they cost no
//! vCenter round trip on a warm index.

use crate::inventory::{Condition, Entry, Kind, MatchOp, Query};
use crate::runtime::contract::latest::inventory as wit;
use crate::runtime::contract::latest::types::{Error, ObjectRef};
use crate::runtime::state::PluginState;
use crate::vsphere::MoRef;
use crate::wit_host::OnCancel;
use crate::wit_host::convert::properties;

impl From<wit::Kind> for Kind {
    fn from(k: wit::Kind) -> Self {
        match k {
            wit::Kind::VirtualMachine => Kind::VirtualMachine,
            wit::Kind::HostSystem => Kind::HostSystem,
            wit::Kind::Folder => Kind::Folder,
            wit::Kind::VmFolder => Kind::VmFolder,
            wit::Kind::Datacenter => Kind::Datacenter,
            wit::Kind::Cluster => Kind::Cluster,
            wit::Kind::Container => Kind::Container,
            wit::Kind::Datastore => Kind::Datastore,
            wit::Kind::Network => Kind::Network,
            wit::Kind::ResourcePool => Kind::ResourcePool,
        }
    }
}

impl From<Entry> for wit::Entry {
    fn from(e: Entry) -> Self {
        wit::Entry {
            ref_: e.reference.into(),
            name: e.name,
            path: e.path,
            parent: e.parent.map(Into::into),
            properties: properties(e.properties),
        }
    }
}

fn query(q: wit::Query) -> Query {
    Query {
        kind: q.kind.into(),
        scope: q.scope.map(MoRef::from),
        conditions: q
            .conditions
            .into_iter()
            .map(|c| Condition {
                property: c.property,
                op: match c.op {
                    wit::MatchOp::Equals => MatchOp::Equals,
                    wit::MatchOp::Glob => MatchOp::Glob,
                    wit::MatchOp::Contains => MatchOp::Contains,
                },
                values: c.values,
            })
            .collect(),
    }
}

impl PluginState {
    /// Refuse an index query for a kind whose managed types the group did
    /// not declare it reads.
    fn check_kind(&self, kind: Kind) -> Result<(), crate::vocabulary::VsError> {
        kind.types().iter().try_for_each(|t| self.check_read(t))
    }
}

impl wit::Host for PluginState {
    fn resolve(&mut self, kind: wit::Kind, argument: String) -> Result<wit::Entry, Error> {
        self.check_kind(kind.into())?;
        let confirm = self.may_change_state();
        let entry = self.host_call(OnCancel::Drop, "the inventory index", |env| async move {
            env.services
                .inventory
                .resolve_claimed(&env.ctx, kind.into(), &argument, confirm)
                .await
        })?;
        Ok(entry.into())
    }

    fn lookup(&mut self, refs: Vec<ObjectRef>) -> Vec<Option<wit::Entry>> {
        let refs: Vec<MoRef> = refs.into_iter().map(MoRef::from).collect();
        let count = refs.len();
        // An object of a type the group may not read is answered as unknown.
        let allowed: Vec<bool> = refs
            .iter()
            .map(|r| self.check_read(&r.kind).is_ok())
            .collect();
        let found = self.host_call(OnCancel::Drop, "the inventory index", |env| async move {
            env.services.inventory.lookup(&env.ctx, &refs).await
        });
        match found {
            Ok(entries) => entries
                .into_iter()
                .zip(allowed)
                .map(|(e, allowed)| e.filter(|_| allowed).map(Into::into))
                .collect(),
            Err(e) => {
                tracing::debug!(error = %e, "inventory lookup failed; the plugin sees no entries");
                vec![None; count]
            }
        }
    }

    fn select(
        &mut self,
        q: wit::Query,
        limit: u32,
        cursor: Option<String>,
    ) -> Result<wit::Page, Error> {
        let q = query(q);
        self.check_kind(q.kind)?;
        let page = self.host_call(OnCancel::Drop, "the inventory index", |env| async move {
            env.services
                .inventory
                .select(&env.ctx, &q, limit, cursor.as_deref())
                .await
        })?;
        Ok(wit::Page {
            entries: page.entries.into_iter().map(Into::into).collect(),
            total: u32::try_from(page.total).unwrap_or(u32::MAX),
            next_cursor: page.next_cursor,
        })
    }
}
