//! Resolving what a caller typed to one indexed object: a managed object id
//! (`vm-42`), an inventory path (`DC0/vm/web/db1`, as `FindByInventoryPath`
//! reads it) or a plain name. Every match is exact, to the character: ` db1`
//! and `db1` are two names, so a state change lands only on the object the
//! caller named. Near names (case, white space, look-alikes) appear only as
//! "did you mean" suggestions in the `not-found` error, with ids and paths.

use vmware_names::{close_matches, shown};

use crate::vocabulary::{Candidate, VsError};

use super::index::{Entry, Index, Node};
use super::kind::Kind;

/// How many near names a `not-found` error offers.
const MAX_SUGGESTIONS: usize = 5;

impl Index {
    /// Resolve `argument` to one object of `kind`: first as an id, then as
    /// an inventory path when it contains `/`, then as a plain name.
    /// Several matches are `ambiguous` (each candidate with its path); none
    /// is `not-found` with close names; an empty argument is
    /// `invalid-argument`.
    pub fn resolve(&self, kind: Kind, argument: &str) -> Result<Entry, VsError> {
        if argument.is_empty() {
            return Err(VsError::InvalidArgument(format!(
                "the {} must be given as a name, inventory path or id; got an empty string",
                kind.label()
            )));
        }
        let by_id: Vec<&Node> = self.keep_kind(self.with_id(argument), kind);
        if !by_id.is_empty() {
            return self.one_of(by_id);
        }
        if argument.contains('/') {
            let wanted = argument.trim_matches('/');
            let last = wanted.rsplit('/').next().unwrap_or(wanted);
            let hits: Vec<&Node> = self
                .named(last)
                .filter(|n| self.is_kind(n, kind))
                .filter(|n| self.path_of(&n.reference).as_deref() == Some(wanted))
                .collect();
            if !hits.is_empty() {
                return self.one_of(hits);
            }
        }
        let hits: Vec<&Node> = self.keep_kind(self.named(argument), kind);
        if !hits.is_empty() {
            return self.one_of(hits);
        }
        Err(VsError::NotFound(self.not_found_message(kind, argument)))
    }

    /// Whether `argument` is the id, inventory path or name of an object
    /// of any kind: a caller that did not find it as one kind then asked
    /// about another object, which reading vCenter again would not change.
    pub fn names_anything(&self, argument: &str) -> bool {
        if self.with_id(argument).next().is_some() {
            return true;
        }
        let wanted = argument.trim_matches('/');
        let last = wanted.rsplit('/').next().unwrap_or(wanted);
        self.named(last).any(|n| {
            !argument.contains('/') || self.path_of(&n.reference).as_deref() == Some(wanted)
        })
    }

    fn one_of(&self, mut hits: Vec<&Node>) -> Result<Entry, VsError> {
        if hits.len() == 1 {
            return Ok(self.entry_of(hits[0]));
        }
        hits.sort_by_key(|n| self.path_of(&n.reference));
        Err(VsError::Ambiguous(
            hits.into_iter()
                .map(|n| Candidate {
                    reference: n.reference.clone(),
                    path: self.path_of(&n.reference).unwrap_or_else(|| n.name.clone()),
                })
                .collect(),
        ))
    }

    /// Says what was not found, what the argument names instead (an object
    /// of another kind), and the close names of the right kind. Only this
    /// failure path scans the kind's objects.
    fn not_found_message(&self, kind: Kind, query: &str) -> String {
        let label = kind.label();
        let how = if query.contains('/') {
            "at inventory path"
        } else {
            "named"
        };
        let mut message = format!(
            "no {label} {how} {} (names match exactly, including case and white space; give a name, an inventory path like {}, or an id)",
            shown(query),
            kind.path_example()
        );
        let wanted_path = query.trim_matches('/');
        let last_segment = wanted_path.rsplit('/').next().unwrap_or(query);
        let mut elsewhere: Vec<&Node> = self
            .named(query)
            .chain(self.with_id(query))
            .chain(
                self.named(last_segment)
                    .filter(|n| self.path_of(&n.reference).as_deref() == Some(wanted_path)),
            )
            .filter(|n| !self.is_kind(n, kind))
            .collect();
        elsewhere.dedup_by(|a, b| a.reference == b.reference);
        if !elsewhere.is_empty() {
            let described: Vec<String> = elsewhere
                .iter()
                .take(3)
                .map(|n| {
                    let path = self.path_of(&n.reference).unwrap_or_default();
                    format!("{} {} ({})", n.reference.kind, path, n.reference.value)
                })
                .collect();
            message.push_str(&format!(
                "; {} names something that is not a {label}: {}",
                shown(query),
                described.join(", ")
            ));
        }
        let candidates: Vec<&Node> = self.of_kind(kind).collect();
        if candidates.is_empty() {
            message.push_str(&format!("; the inventory has no {label}s"));
            return message;
        }
        let names: Vec<&str> = candidates.iter().map(|n| n.name.as_str()).collect();
        let close = close_matches(last_segment, &names, MAX_SUGGESTIONS);
        if !close.is_empty() {
            let mut near: Vec<&&Node> = candidates
                .iter()
                .filter(|n| close.contains(&n.name.as_str()))
                .collect();
            near.sort_by_key(|n| close.iter().position(|c| *c == n.name));
            let shown_names: Vec<String> = near
                .into_iter()
                .take(MAX_SUGGESTIONS)
                .map(|n| {
                    let path = self.path_of(&n.reference).unwrap_or_default();
                    format!("{} ({}, {})", shown(&n.name), n.reference.value, path)
                })
                .collect();
            message.push_str(&format!("; did you mean: {}", shown_names.join(", ")));
        }
        message
    }
}
