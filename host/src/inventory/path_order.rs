//! Every indexed object's inventory path, kept sorted per managed object
//! type, so that a page of a listing is a range scan from its cursor: a page
//! costs what it holds, not what the inventory holds.
//!
//! The [`Index`](super::index::Index) owns the tree and says when a path
//! changes (an object's name or parent changed, or an ancestor's did);
//! this module only keeps the order.

use std::collections::{BTreeSet, HashMap};
use std::iter::Peekable;
use std::ops::Bound;

use crate::vsphere::MoRef;

use super::cursor::SortKey;

/// The sort key of a listing, `(path, id)`, the same order as [`SortKey`].
type Key = (String, String);

/// Objects by type, each type's in `(path, id)` order.
#[derive(Debug, Default, Clone)]
pub struct PathOrder {
    paths: HashMap<MoRef, String>,
    by_type: HashMap<String, BTreeSet<Key>>,
}

impl PathOrder {
    /// Record (or move) an object to `path`.
    pub fn set(&mut self, reference: &MoRef, path: String) {
        if self.paths.get(reference) == Some(&path) {
            return;
        }
        self.unset(reference);
        self.by_type
            .entry(reference.kind.clone())
            .or_default()
            .insert((path.clone(), reference.value.clone()));
        self.paths.insert(reference.clone(), path);
    }

    /// Forget an object.
    pub fn unset(&mut self, reference: &MoRef) {
        let Some(path) = self.paths.remove(reference) else {
            return;
        };
        if let Some(set) = self.by_type.get_mut(&reference.kind) {
            set.remove(&(path, reference.value.clone()));
            if set.is_empty() {
                self.by_type.remove(&reference.kind);
            }
        }
    }

    /// The object's recorded path.
    pub fn path(&self, reference: &MoRef) -> Option<&str> {
        self.paths.get(reference).map(String::as_str)
    }

    /// How many objects of these types there are, without a scan.
    pub fn count(&self, types: &[&str]) -> usize {
        types
            .iter()
            .filter_map(|t| self.by_type.get(*t))
            .map(BTreeSet::len)
            .sum()
    }

    /// The objects of these types strictly after `after`, in `(path, id)`
    /// order: one range per type, merged. Each step costs O(log n).
    pub fn after<'a>(
        &'a self,
        types: &[&'a str],
        after: Option<&SortKey>,
    ) -> impl Iterator<Item = (&'a str, MoRef)> + 'a {
        let start: Bound<Key> = match after {
            Some(key) => Bound::Excluded((key.path.clone(), key.id.clone())),
            None => Bound::Unbounded,
        };
        let mut heads: Vec<(&'a str, Peekable<_>)> = types
            .iter()
            .filter_map(|t| self.by_type.get(*t).map(|set| (*t, set)))
            .map(|(t, set)| (t, set.range((start.clone(), Bound::Unbounded)).peekable()))
            .collect();
        std::iter::from_fn(move || {
            let (best, _) = heads
                .iter_mut()
                .enumerate()
                .filter_map(|(i, (_, head))| head.peek().map(|key| (i, *key)))
                .min_by(|a, b| a.1.cmp(b.1))?;
            let (kind, head) = &mut heads[best];
            let (path, id) = head.next()?;
            Some((path.as_str(), MoRef::new(*kind, id.clone())))
        })
    }
}
