//! Listing a page of indexed objects: filter on indexed properties, order by
//! inventory path, and cut after a cursor, all before anything is read from
//! vCenter, so that the first page of a 20,000-VM listing reads 100 VMs,
//! not 20,000.
//!
//! A page is a range scan of the index's path order from the cursor, so it
//! costs O(page) (plus the objects a filter passes over), not O(inventory):
//! nothing is sorted per call. `total` is part of the answer: unfiltered it
//! is a count the order keeps; filtered it is one pass over the kind that
//! tests each object, with no paths built and no sort.

use globset::{GlobBuilder, GlobMatcher};
use serde_json::Value;

use crate::vocabulary::VsError;
use crate::vsphere::MoRef;

use super::cursor::{CursorSigner, SortKey, digest};
use super::index::{Entry, Index, Node};
use super::kind::Kind;
use super::watched::indexed_properties;

/// The most entries one page may hold, whatever a plugin asks: it bounds
/// what one call can make the host build.
pub const MAX_PAGE: u32 = 5000;

/// How a condition compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchOp {
    /// Equal to one of the values.
    Equals,
    /// A case-insensitive glob.
    Glob,
    /// A case-insensitive substring.
    Contains,
}

/// One filter on an indexed property.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The property path (`name`, `runtime.powerState`…).
    pub property: String,
    /// How to compare.
    pub op: MatchOp,
    /// The object matches when any value matches.
    pub values: Vec<String>,
}

/// What to list.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// The kind of object.
    pub kind: Kind,
    /// Only objects at or below this one.
    pub scope: Option<MoRef>,
    /// All must hold.
    pub conditions: Vec<Condition>,
}

impl Query {
    /// The query's text form, which its cursors are bound to.
    fn text(&self) -> String {
        format!(
            "{:?}|{}|{:?}",
            self.kind,
            self.scope
                .as_ref()
                .map(MoRef::to_string)
                .unwrap_or_default(),
            self.conditions
        )
    }
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// The entries, in inventory-path order.
    pub entries: Vec<Entry>,
    /// How many objects match in all.
    pub total: usize,
    /// Where the next page starts; `None` on the last page.
    pub next_cursor: Option<String>,
    /// How many objects of the kind's types the page walked to fill itself
    /// (its own entries, those filtered out, and one to know whether more
    /// follow), so tests can check a page's cost without timing it.
    pub scanned: usize,
}

/// A condition ready to test nodes.
enum Test {
    Equals(Vec<String>),
    Glob(Vec<GlobMatcher>),
    Contains(Vec<String>),
}

struct Compiled<'a> {
    property: &'a str,
    test: Test,
}

impl Compiled<'_> {
    fn matches(&self, node: &Node) -> bool {
        let text = match self.property {
            "name" => Some(node.name.clone()),
            p => node.attrs.get(p).and_then(as_text),
        };
        let Some(text) = text else {
            return false;
        };
        match &self.test {
            Test::Equals(values) => values.contains(&text),
            Test::Glob(globs) => globs.iter().any(|g| g.is_match(&text)),
            Test::Contains(values) => {
                let lower = text.to_lowercase();
                values.iter().any(|v| lower.contains(v.as_str()))
            }
        }
    }
}

/// A property value as conditions compare it: a reference by its id, a
/// boolean as `true`/`false`, a number in decimal.
fn as_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Object(_) => MoRef::from_json(value).map(|r| r.value).or_else(|| {
            value
                .get("_value")
                .and_then(Value::as_str)
                .map(str::to_string)
        }),
        _ => None,
    }
}

fn compile(kind: Kind, condition: &Condition) -> Result<Compiled<'_>, VsError> {
    let allowed = indexed_properties(kind);
    if condition.property != "name" && !allowed.contains(&condition.property.as_str()) {
        let mut valid = vec!["name"];
        valid.extend(allowed);
        return Err(VsError::InvalidArgument(format!(
            "'{}' is not an indexed property of a {}; filter on one of: {}",
            condition.property.chars().take(64).collect::<String>(),
            kind.label(),
            valid.join(", ")
        )));
    }
    if condition.values.is_empty() {
        return Err(VsError::InvalidArgument(format!(
            "the condition on '{}' lists no values",
            condition.property
        )));
    }
    let test = match condition.op {
        MatchOp::Equals => Test::Equals(condition.values.clone()),
        MatchOp::Contains => {
            Test::Contains(condition.values.iter().map(|v| v.to_lowercase()).collect())
        }
        MatchOp::Glob => Test::Glob(
            condition
                .values
                .iter()
                .map(|pattern| {
                    GlobBuilder::new(pattern)
                        .case_insensitive(true)
                        .literal_separator(false)
                        .backslash_escape(true)
                        .build()
                        .map(|g| g.compile_matcher())
                        .map_err(|e| {
                            VsError::InvalidArgument(format!(
                                "'{}' is not a valid glob ({e}); use * for any run of characters and ? for one",
                                pattern.chars().take(64).collect::<String>()
                            ))
                        })
                })
                .collect::<Result<_, _>>()?,
        ),
    };
    Ok(Compiled {
        property: &condition.property,
        test,
    })
}

impl Index {
    /// One page of the objects matching `query`, at most `limit`, after
    /// `cursor`. A bad limit, an unknown property, a bad glob or a cursor
    /// that is forged, expired or from another query is `invalid-argument`.
    pub fn select(
        &self,
        query: &Query,
        limit: u32,
        cursor: Option<&str>,
        signer: &CursorSigner,
    ) -> Result<Page, VsError> {
        if limit == 0 || limit > MAX_PAGE {
            return Err(VsError::InvalidArgument(format!(
                "limit must be between 1 and {MAX_PAGE}; got {limit}"
            )));
        }
        let digest = digest(&query.text());
        let after = cursor.map(|c| signer.check(c, &digest)).transpose()?;
        let tests: Vec<Compiled> = query
            .conditions
            .iter()
            .map(|c| compile(query.kind, c))
            .collect::<Result<_, _>>()?;
        let kind = query.kind;
        // Folders are VM folders (or containers) by their place, not their type.
        let by_type_alone = !matches!(kind, Kind::VmFolder | Kind::Container);
        let accepts = |n: &Node| {
            (by_type_alone || self.is_kind(n, kind))
                && query
                    .scope
                    .as_ref()
                    .is_none_or(|s| self.is_within(&n.reference, s))
                && tests.iter().all(|t| t.matches(n))
        };
        let limit = limit as usize;
        let mut matching: Vec<(SortKey, &Node)> = Vec::with_capacity(limit.min(256));
        let mut more = false;
        let mut scanned = 0;
        for (path, reference) in self.order().after(kind.types(), after.as_ref()) {
            scanned += 1;
            let Some(node) = self.get(&reference) else {
                continue;
            };
            if !accepts(node) {
                continue;
            }
            if matching.len() == limit {
                more = true;
                break;
            }
            let key = SortKey {
                path: path.to_string(),
                id: reference.value,
            };
            matching.push((key, node));
        }
        let total = if by_type_alone && query.scope.is_none() && tests.is_empty() {
            self.order().count(kind.types())
        } else {
            self.of_types(kind.types()).filter(|n| accepts(n)).count()
        };
        let next_cursor = if more {
            matching
                .last()
                .map(|(key, _)| signer.issue(&digest, key.clone()))
        } else {
            None
        };
        Ok(Page {
            entries: matching
                .into_iter()
                .map(|(key, n)| self.entry_at(n, key.path))
                .collect(),
            total,
            next_cursor,
            scanned,
        })
    }
}
