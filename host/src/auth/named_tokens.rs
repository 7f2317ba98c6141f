//! Named bearer tokens: a TOML file mapping each token's SHA-256 to a label,
//! so that each agent (on the MCP port, `MCP_TOKENS_PATH`) or operator (on
//! the admin port, `ADMIN_TOKENS_PATH`) has its own token and its label is
//! its identity in requests, decisions, the audit trail and the logs. The
//! file holds hashes only, so it is no secret itself:
//!
//! ```toml
//! [[token]]
//! label = "ci-agent"
//! sha256 = "…64 hex digits: printf %s \"$TOKEN\" | sha256sum…"
//! scopes = ["vmware.read"]   # optional; without it the token may do anything
//! ```
//!
//! Neither a token nor its full hash is ever logged or put in an error: an
//! entry is named by its label and line.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::auth::identity::Identity;
use crate::principal::Principal;

/// The longest label accepted.
pub const MAX_LABEL_CHARS: usize = 64;

/// A loaded tokens file.
#[derive(Debug, Clone, Default)]
pub struct NamedTokens {
    by_hash: HashMap<[u8; 32], Identity>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    token: Vec<toml::Spanned<Entry>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    label: String,
    sha256: String,
    scopes: Option<Vec<String>>,
}

impl NamedTokens {
    /// Read the tokens file `path` named by `setting`; any bad entry is an
    /// error naming the setting, the file, the line and what is valid.
    pub fn load(setting: &str, path: &Path) -> anyhow::Result<NamedTokens> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("{setting}={}: cannot read it: {e}", path.display()))?;
        NamedTokens::parse(&text).map_err(|e| anyhow::anyhow!("{setting}={}: {e}", path.display()))
    }

    /// Parse a tokens file's text.
    pub fn parse(text: &str) -> Result<NamedTokens, String> {
        let file: File = toml::from_str(text).map_err(|e| {
            format!(
                "not a tokens file ({}); write one [[token]] table per token with label = \"…\" and sha256 = \"<64 hex digits>\", and optionally scopes = [\"vmware.read\"]",
                e.message()
            )
        })?;
        let mut by_hash = HashMap::new();
        let mut labels = BTreeSet::new();
        for spanned in file.token {
            let line = text[..spanned.span().start].lines().count() + 1;
            let entry = spanned.into_inner();
            let label = entry.label.trim().to_string();
            if label.is_empty()
                || label.chars().count() > MAX_LABEL_CHARS
                || label.chars().any(char::is_control)
            {
                return Err(format!(
                    "line {line}: a label is 1 to {MAX_LABEL_CHARS} printable characters"
                ));
            }
            let hash = parse_hash(&entry.sha256).ok_or_else(|| {
                format!("line {line} ({label}): sha256 must be 64 hex digits, the SHA-256 of the token (printf %s \"$TOKEN\" | sha256sum)")
            })?;
            if !labels.insert(label.to_ascii_lowercase()) {
                return Err(format!(
                    "line {line}: the label {label:?} is given twice; each token needs its own label"
                ));
            }
            let scopes = entry.scopes.map(|s| s.into_iter().collect());
            let identity = Identity {
                principal: Principal {
                    id: label.clone(),
                    ..Principal::default()
                },
                scopes,
            };
            if by_hash.insert(hash, identity).is_some() {
                return Err(format!(
                    "line {line} ({label}): the same token hash is listed twice"
                ));
            }
        }
        Ok(NamedTokens { by_hash })
    }

    /// The identity of `token`, when the file lists its hash.
    pub fn find(&self, token: &str) -> Option<&Identity> {
        self.by_hash.get(&sha256(token))
    }

    /// How many tokens are listed.
    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    /// Whether no token is listed.
    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }
}

/// The SHA-256 of a token, as the file lists it.
pub fn sha256(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn parse_hash(text: &str) -> Option<[u8; 32]> {
    let text = text.trim();
    if text.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(token: &str) -> String {
        sha256(token).iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn a_listed_token_is_its_label_and_others_are_nobody() {
        let text = format!(
            "[[token]]\nlabel = \"ci-agent\"\nsha256 = \"{}\"\n\n[[token]]\nlabel = \"viewer\"\nsha256 = \"{}\"\nscopes = [\"vmware.read\"]\n",
            hex("t-one"),
            hex("t-two").to_uppercase()
        );
        let tokens = NamedTokens::parse(&text).unwrap();
        assert_eq!(tokens.len(), 2);
        let one = tokens.find("t-one").unwrap();
        assert_eq!(one.principal.id, "ci-agent");
        assert!(one.may("vmware.operate"));
        let two = tokens.find("t-two").unwrap();
        assert!(two.may("vmware.read") && !two.may("vmware.operate"));
        assert!(tokens.find("t-three").is_none());
    }

    #[test]
    fn bad_entries_say_which_line_and_what_is_valid_without_the_hash() {
        let e = NamedTokens::parse("[[token]]\nlabel = \"a\"\nsha256 = \"abc\"\n").unwrap_err();
        assert!(e.contains("line 1") && e.contains("64 hex digits"), "{e}");
        let h = hex("x");
        let twice = format!(
            "[[token]]\nlabel = \"a\"\nsha256 = \"{h}\"\n[[token]]\nlabel = \"A\"\nsha256 = \"{}\"\n",
            hex("y")
        );
        let e = NamedTokens::parse(&twice).unwrap_err();
        assert!(e.contains("given twice") && !e.contains(&h), "{e}");
        let e = NamedTokens::parse("[[token]]\nlabel = \"a\"\nhash = \"x\"\n").unwrap_err();
        assert!(e.contains("[[token]]") && e.contains("sha256"), "{e}");
    }
}
