//! Paging cursors: opaque to plugins and agents, issued and checked by the
//! host. A cursor names the last entry of its page by sort key (inventory
//! path, then id), so paging stays exact while the inventory changes: every
//! object present throughout is returned once. It is bound to its query by
//! a digest, expires after [`CURSOR_TTL`], and carries an HMAC-SHA256 under
//! a key the index draws at start, so a forged, edited or pre-restart cursor
//! is refused with a clear error rather than silently misread.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::vocabulary::VsError;

/// How long a cursor stays valid.
pub const CURSOR_TTL: Duration = Duration::from_secs(3600);

/// Where a page ends: the sort key of its last entry.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SortKey {
    /// The inventory path.
    pub path: String,
    /// The managed object id, breaking ties between equal paths.
    pub id: String,
}

/// What a cursor carries.
#[derive(Debug, Serialize, Deserialize)]
struct Payload {
    /// The query's digest.
    q: String,
    /// The last entry returned.
    after: SortKey,
    /// When it was issued, in seconds since the epoch.
    t: u64,
}

/// Issues and checks cursors under one secret key.
#[derive(Clone)]
pub struct CursorSigner {
    key: [u8; 32],
}

impl std::fmt::Debug for CursorSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorSigner")
    }
}

impl CursorSigner {
    /// A signer with a fresh random key.
    pub fn random() -> Self {
        let mut key = [0u8; 32];
        key[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        key[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        CursorSigner { key }
    }

    /// A cursor for the page after `after` of the query with `digest`.
    pub fn issue(&self, digest: &str, after: SortKey) -> String {
        let payload = Payload {
            q: digest.to_string(),
            after,
            t: now_secs(),
        };
        let body = hex(serde_json::to_string(&payload)
            .unwrap_or_default()
            .as_bytes());
        let mac = hex(&self.mac(body.as_bytes())[..16]);
        format!("{body}.{mac}")
    }

    /// The sort key a cursor resumes after, if it was issued by this signer
    /// for the query with `digest` and has not expired.
    pub fn check(&self, cursor: &str, digest: &str) -> Result<SortKey, VsError> {
        let forged = || {
            VsError::InvalidArgument(format!(
                "cursor {} was not issued by this server (it is malformed or edited, or the server restarted since); \
                 start again without a cursor",
                shorten(cursor)
            ))
        };
        let (body, mac) = cursor.split_once('.').ok_or_else(forged)?;
        let expected = hex(&self.mac(body.as_bytes())[..16]);
        if !constant_time_eq(expected.as_bytes(), mac.as_bytes()) {
            return Err(forged());
        }
        let payload: Payload = unhex(body)
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or_else(forged)?;
        if payload.q != digest {
            return Err(VsError::InvalidArgument(
                "this cursor belongs to another query (other filters, scope or kind); pass the same filters \
                 as the call that returned it, or start again without a cursor"
                    .into(),
            ));
        }
        if now_secs().saturating_sub(payload.t) > CURSOR_TTL.as_secs() {
            return Err(VsError::InvalidArgument(format!(
                "this cursor expired (cursors last {} minutes); start again without a cursor",
                CURSOR_TTL.as_secs() / 60
            )));
        }
        Ok(payload.after)
    }

    /// HMAC-SHA256 (RFC 2104) of `message` under the signer's key.
    fn mac(&self, message: &[u8]) -> [u8; 32] {
        let mut inner = Sha256::new();
        let mut outer = Sha256::new();
        let mut ipad = [0x36u8; 64];
        let mut opad = [0x5cu8; 64];
        for (i, k) in self.key.iter().enumerate() {
            ipad[i] ^= k;
            opad[i] ^= k;
        }
        inner.update(ipad);
        inner.update(message);
        outer.update(opad);
        outer.update(inner.finalize());
        outer.finalize().into()
    }
}

/// A stable digest of a query's text form, binding cursors to it.
pub fn digest(query_text: &str) -> String {
    hex(&Sha256::digest(query_text.as_bytes())[..12])
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A cursor as quoted in an error: a short prefix, never the whole input.
fn shorten(cursor: &str) -> String {
    format!("'{}'", vmware_vocabulary::quote::cut(cursor, 16))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(path: &str) -> SortKey {
        SortKey {
            path: path.into(),
            id: "vm-1".into(),
        }
    }

    #[test]
    fn a_cursor_round_trips_for_its_own_query_only() {
        let signer = CursorSigner::random();
        let cursor = signer.issue("q1", key("DC0/vm/a"));
        assert_eq!(signer.check(&cursor, "q1").unwrap(), key("DC0/vm/a"));
        let other = signer.check(&cursor, "q2").unwrap_err().to_string();
        assert!(other.contains("another query"), "{other}");
    }

    #[test]
    fn forged_edited_and_foreign_cursors_are_refused() {
        let signer = CursorSigner::random();
        let cursor = signer.issue("q1", key("DC0/vm/a"));
        let restarted = CursorSigner::random();
        for bad in [
            "".to_string(),
            "garbage".to_string(),
            format!("0{cursor}"),
            cursor.replace('.', ".0"),
            restarted.issue("q1", key("DC0/vm/a")),
            "x".repeat(100_000),
        ] {
            let message = signer.check(&bad, "q1").unwrap_err().to_string();
            assert!(message.contains("not issued by this server"), "{message}");
            assert!(message.len() < 400, "the error quotes only a prefix");
        }
    }

    #[test]
    fn an_old_cursor_has_expired() {
        let signer = CursorSigner::random();
        let payload = Payload {
            q: "q1".into(),
            after: key("a"),
            t: now_secs() - CURSOR_TTL.as_secs() - 5,
        };
        let body = hex(serde_json::to_string(&payload).unwrap().as_bytes());
        let stale = format!("{body}.{}", hex(&signer.mac(body.as_bytes())[..16]));
        let message = signer.check(&stale, "q1").unwrap_err().to_string();
        assert!(message.contains("expired"), "{message}");
    }
}
