//! The two scopes the MCP port knows, and how a token's scopes are read.
//! `vmware.read` lets a caller list and call the read tools; `vmware.operate`
//! is needed as well for a tool that may change state (one that makes
//! approval requests). Their names are settings, since identity providers
//! name scopes their own way (Entra ID's `scp` holds the short name).

use std::collections::BTreeSet;

use serde_json::Value;

/// The scope the read tools need, by default.
pub const DEFAULT_READ: &str = crate::config::DEFAULT_READ_SCOPE;
/// The scope a state-changing tool needs as well, by default.
pub const DEFAULT_OPERATE: &str = crate::config::DEFAULT_OPERATE_SCOPE;

/// The names of the two scopes, as the identity provider issues them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeNames {
    /// Needed for any call (`OAUTH_READ_SCOPE`).
    pub read: String,
    /// Needed as well for a state change (`OAUTH_OPERATE_SCOPE`).
    pub operate: String,
}

impl Default for ScopeNames {
    fn default() -> Self {
        ScopeNames {
            read: DEFAULT_READ.into(),
            operate: DEFAULT_OPERATE.into(),
        }
    }
}

/// The scopes a token's claims grant: `scope` (RFC 9068, a space-separated
/// string), or `scp` (a string or an array, as Entra ID and Okta write it).
pub fn granted(claims: &Value) -> BTreeSet<String> {
    let mut scopes = BTreeSet::new();
    for claim in ["scope", "scp"] {
        match claims.get(claim) {
            Some(Value::String(s)) => {
                scopes.extend(s.split_ascii_whitespace().map(str::to_string));
            }
            Some(Value::Array(items)) => {
                scopes.extend(items.iter().filter_map(Value::as_str).map(str::to_string));
            }
            _ => {}
        }
    }
    scopes
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scopes_are_read_from_scope_or_scp() {
        let set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
        assert_eq!(
            granted(&json!({"scope": "openid vmware.read  vmware.operate"})),
            set(&["openid", "vmware.read", "vmware.operate"])
        );
        assert_eq!(
            granted(&json!({"scp": "vmware.read"})),
            set(&["vmware.read"])
        );
        assert_eq!(
            granted(&json!({"scp": ["vmware.read", 3]})),
            set(&["vmware.read"])
        );
        assert!(granted(&json!({})).is_empty());
    }
}
