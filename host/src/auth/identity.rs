//! The caller of one MCP request, as authentication found it: who (a
//! [`Principal`]) and what the token lets it do. Put into the request's
//! extensions by [`crate::auth::layer`]; read by the MCP handler (to name
//! the requester) and the [`crate::auth::scope_gate`] (to refuse changes).

use std::collections::BTreeSet;

use crate::principal::Principal;

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// Who: a named token's label, or an OAuth token's subject, name and client.
    pub principal: Principal,
    /// The scopes an OAuth token grants; `None` for a named token, which may
    /// do what its file entry allows (see [`Identity::may`]).
    pub scopes: Option<BTreeSet<String>>,
}

impl Identity {
    /// A caller with every right (a named token without a scope list).
    pub fn unscoped(principal: Principal) -> Identity {
        Identity {
            principal,
            scopes: None,
        }
    }

    /// Whether the token grants `scope` (an unscoped token grants all).
    pub fn may(&self, scope: &str) -> bool {
        self.scopes.as_ref().is_none_or(|s| s.contains(scope))
    }

    /// The identity of an HTTP request, as the layer stored it.
    pub fn of(parts: &http::request::Parts) -> Option<&Identity> {
        Identity::of_extensions(&parts.extensions)
    }

    /// The identity among a request's extensions, as the layer stored it.
    pub fn of_extensions(extensions: &http::Extensions) -> Option<&Identity> {
        extensions.get::<Identity>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unscoped_identity_may_do_anything_and_a_scoped_one_what_it_lists() {
        let p = Principal {
            id: "ci".into(),
            ..Principal::default()
        };
        assert!(Identity::unscoped(p.clone()).may("vmware.operate"));
        let scoped = Identity {
            principal: p,
            scopes: Some(BTreeSet::from(["vmware.read".to_string()])),
        };
        assert!(scoped.may("vmware.read") && !scoped.may("vmware.operate"));
    }
}
