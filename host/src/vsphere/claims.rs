//! The names a tool call relied on, and the check that vCenter still agrees.
//!
//! A plugin finds its target by the name or path the agent typed, through
//! the host's inventory index. The index follows vCenter's update stream, so
//! for a moment after a rename elsewhere it can still give the old holder of
//! a name: rename `X` to `X-old` and another VM to `X`, and `X` still leads
//! to the first VM until the stream catches up. Acting then would power off
//! the wrong VM. So every name or path a call resolved is kept here as a
//! claim ("`X` is vm-41"), and before a state change is sent the claims are
//! checked against vCenter itself, never against the index
//! ([`claim_check`](super::claim_check)). A claim vCenter no longer agrees
//! with stops the change.

use std::sync::{Arc, Mutex};

use vmware_names::shown;

use crate::vocabulary::{MoRef, VsError};

/// What the caller typed to reach an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claimed {
    /// A plain name, which the object's `name` must equal exactly.
    Name(String),
    /// A full inventory path, which must lead to the object.
    Path(String),
}

/// "The caller's `argument` is this object", as the index answered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameClaim {
    /// The object the index gave.
    pub reference: MoRef,
    /// The name or path it was reached by.
    pub claimed: Claimed,
}

impl NameClaim {
    /// The claim a resolution makes: none when the caller gave the object's
    /// id (an id cannot move to another object), a path claim when the
    /// argument was the object's path, else a name claim.
    pub fn of_resolution(argument: &str, reference: &MoRef, path: Option<&str>) -> Option<Self> {
        if argument == reference.value {
            return None;
        }
        let wanted = argument.trim_matches('/');
        let claimed = if argument.contains('/') && path == Some(wanted) {
            Claimed::Path(wanted.to_string())
        } else {
            Claimed::Name(argument.to_string())
        };
        Some(NameClaim {
            reference: reference.clone(),
            claimed,
        })
    }

    /// The name or path, quoted, for messages.
    pub fn shown(&self) -> String {
        match &self.claimed {
            Claimed::Name(name) => format!("the name {}", shown(name)),
            Claimed::Path(path) => format!("the path {}", shown(path)),
        }
    }
}

/// The claims one tool call made, shared by every clone of its context.
#[derive(Debug, Clone, Default)]
pub struct NameClaims(Arc<Mutex<Vec<NameClaim>>>);

impl NameClaims {
    /// Keep `claim` for the checks before this call's state changes.
    pub fn add(&self, claim: NameClaim) {
        let mut claims = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if !claims.contains(&claim) {
            claims.push(claim);
        }
    }

    /// Every claim so far.
    pub fn all(&self) -> Vec<NameClaim> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// A claim vCenter no longer agrees with, and what vCenter says instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    /// The claim.
    pub claim: NameClaim,
    /// What the object is now called, or where the path leads now, in words.
    pub now: String,
}

impl Broken {
    /// One clause for an error message.
    pub fn describe(&self) -> String {
        format!(
            "{} no longer leads to {} ({})",
            self.claim.shown(),
            self.claim.reference.value,
            self.now
        )
    }
}

/// The refusal when a claim cannot be settled: what moved, and that
/// nothing was done.
pub fn unsettled(broken: &[Broken]) -> VsError {
    let clauses: Vec<String> = broken.iter().map(Broken::describe).collect();
    VsError::InvalidState(format!(
        "{}: it was renamed, moved or removed in vCenter while this call ran, so nothing was changed; call again to act on whatever holds that name now",
        clauses.join("; ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vm(id: &str) -> MoRef {
        MoRef::new("VirtualMachine", id)
    }

    #[test]
    fn an_id_makes_no_claim_a_path_and_a_name_do() {
        assert_eq!(NameClaim::of_resolution("vm-4", &vm("vm-4"), None), None);
        let by_path = NameClaim::of_resolution("/DC0/vm/db1", &vm("vm-4"), Some("DC0/vm/db1"));
        assert_eq!(
            by_path.map(|c| c.claimed),
            Some(Claimed::Path("DC0/vm/db1".into()))
        );
        let by_name = NameClaim::of_resolution("db1", &vm("vm-4"), Some("DC0/vm/db1"));
        assert_eq!(
            by_name.map(|c| c.claimed),
            Some(Claimed::Name("db1".into()))
        );
        // A name with a slash that is not the object's path is its name.
        let odd = NameClaim::of_resolution("a/b", &vm("vm-4"), Some("DC0/vm/a%2fb"));
        assert_eq!(odd.map(|c| c.claimed), Some(Claimed::Name("a/b".into())));
    }

    #[test]
    fn claims_are_kept_once_and_shared_by_clones() {
        let claims = NameClaims::default();
        let shared = claims.clone();
        let claim = NameClaim::of_resolution("db1", &vm("vm-4"), None).unwrap();
        claims.add(claim.clone());
        shared.add(claim.clone());
        assert_eq!(claims.all(), vec![claim]);
    }
}
