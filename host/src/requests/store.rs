//! Where requests live: one trait, and the embedded SQLite store behind it.
//!
//! The SQL is kept to what PostgreSQL also runs (TEXT columns, `$n`
//! placeholders numbered in order of first use, so SQLite binds them by
//! position too, and no SQLite-only syntax), since the next step is several
//! replicas sharing one database. Each request is one row: the columns that
//! are searched (status, owner, times) and the whole record as JSON.
//! Every write is a committed transaction with `synchronous = FULL`, so a
//! request a caller was told about survives SIGKILL and power loss.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, params};

use super::record::{Request, RequestStatus};

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed (disk full, read-only, corrupt…).
    #[error("the request store at {path} failed: {message}")]
    Database {
        /// The database file.
        path: String,
        /// What the database said.
        message: String,
    },
    /// A stored record could not be read back.
    #[error("request {id} in the store is unreadable: {message}")]
    Corrupt {
        /// The request id.
        id: String,
        /// Why.
        message: String,
    },
}

/// One page of a requester's requests, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestPage {
    /// The requests.
    pub requests: Vec<Request>,
    /// Whether older ones follow.
    pub more: bool,
}

/// Keeps requests across restarts.
pub trait RequestStore: Send + Sync {
    /// Write `request` (a new one, or the new state of one), durably.
    fn put(&self, request: &Request) -> Result<(), StoreError>;
    /// One request by id.
    fn get(&self, id: &str) -> Result<Option<Request>, StoreError>;
    /// `owner`'s requests (every requester's with `None`), newest first,
    /// optionally of one status, older than `before` (`created_at`, `id`).
    fn list(
        &self,
        owner: Option<&str>,
        status: Option<RequestStatus>,
        before: Option<(&str, &str)>,
        limit: usize,
    ) -> Result<RequestPage, StoreError>;
    /// Every request that is not final: what a restart must pick up.
    fn unfinished(&self) -> Result<Vec<Request>, StoreError>;
    /// Forget final requests made before `cutoff` (RFC 3339), and the
    /// oldest final ones past `keep` in all. Returns how many went.
    fn prune(&self, cutoff: &str, keep: usize) -> Result<usize, StoreError>;
}

/// The schema, in SQL both SQLite and PostgreSQL run.
const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS requests (
        id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        record TEXT NOT NULL
    )",
    "CREATE INDEX IF NOT EXISTS requests_by_status ON requests (status)",
    "CREATE INDEX IF NOT EXISTS requests_by_owner ON requests (owner, created_at, id)",
];

/// Final statuses, as SQL text for `IN (…)`.
fn final_statuses() -> String {
    RequestStatus::ALL
        .iter()
        .filter(|s| s.is_final())
        .map(|s| format!("'{}'", s.label()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The embedded store: one SQLite file.
pub struct SqliteStore {
    path: PathBuf,
    connection: Mutex<Connection>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish()
    }
}

impl SqliteStore {
    /// The file name inside the state directory.
    pub const FILE: &str = "requests.sqlite3";

    /// Open (or create) the store in `dir`, creating `dir` (mode 0700) if needed.
    pub fn open_in(dir: &Path) -> Result<SqliteStore, StoreError> {
        let path = dir.join(Self::FILE);
        let fail = |message: String| StoreError::Database {
            path: path.display().to_string(),
            message,
        };
        create_private_dir(dir).map_err(|e| {
            fail(format!(
                "cannot create the state directory {}: {e}",
                dir.display()
            ))
        })?;
        let connection = Connection::open(&path).map_err(|e| fail(e.to_string()))?;
        connection
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;",
            )
            .map_err(|e| fail(e.to_string()))?;
        for statement in SCHEMA {
            connection
                .execute(statement, [])
                .map_err(|e| fail(e.to_string()))?;
        }
        Ok(SqliteStore {
            path,
            connection: Mutex::new(connection),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn with<T>(
        &self,
        op: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        let connection = self.connection.lock().unwrap_or_else(|p| p.into_inner());
        op(&connection).map_err(|e| StoreError::Database {
            path: self.path.display().to_string(),
            message: e.to_string(),
        })
    }
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

fn decode(id: String, record: String) -> Result<Request, StoreError> {
    serde_json::from_str(&record).map_err(|e| StoreError::Corrupt {
        id,
        message: e.to_string(),
    })
}

impl RequestStore for SqliteStore {
    fn put(&self, request: &Request) -> Result<(), StoreError> {
        let record = serde_json::to_string(request).map_err(|e| StoreError::Corrupt {
            id: request.id.clone(),
            message: e.to_string(),
        })?;
        self.with(|c| {
            let updated = c.execute(
                "UPDATE requests SET status = $1, updated_at = $2, record = $3 WHERE id = $4",
                params![
                    request.status.label(),
                    request.updated_at,
                    record,
                    request.id
                ],
            )?;
            if updated == 0 {
                c.execute(
                    "INSERT INTO requests (id, owner, status, created_at, updated_at, record) VALUES ($1, $2, $3, $4, $5, $6)",
                    params![
                        request.id,
                        request.requester.owner(),
                        request.status.label(),
                        request.created_at,
                        request.updated_at,
                        record
                    ],
                )?;
            }
            Ok(())
        })
    }

    fn get(&self, id: &str) -> Result<Option<Request>, StoreError> {
        let row = self.with(|c| {
            c.query_row(
                "SELECT id, record FROM requests WHERE id = $1",
                params![id],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
            )
            .optional()
        })?;
        row.map(|(id, record)| decode(id, record)).transpose()
    }

    fn list(
        &self,
        owner: Option<&str>,
        status: Option<RequestStatus>,
        before: Option<(&str, &str)>,
        limit: usize,
    ) -> Result<RequestPage, StoreError> {
        // Unused filters compare a column with itself, so that one
        // statement with fixed placeholders serves every combination.
        let (before_at, before_id) = before.unwrap_or(("", ""));
        let rows = self.with(|c| {
            let mut statement = c.prepare_cached(
                "SELECT id, record FROM requests
                 WHERE ($1 = '' OR owner = $1)
                   AND ($2 = '' OR status = $2)
                   AND ($3 = '' OR created_at < $3 OR (created_at = $3 AND id < $4))
                 ORDER BY created_at DESC, id DESC
                 LIMIT $5",
            )?;
            let rows = statement
                .query_map(
                    params![
                        owner.unwrap_or(""),
                        status.map(RequestStatus::label).unwrap_or(""),
                        before_at,
                        before_id,
                        (limit + 1) as i64
                    ],
                    |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
                )?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })?;
        let more = rows.len() > limit;
        let requests = rows
            .into_iter()
            .take(limit)
            .map(|(id, record)| decode(id, record))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(RequestPage { requests, more })
    }

    fn unfinished(&self) -> Result<Vec<Request>, StoreError> {
        let sql = format!(
            "SELECT id, record FROM requests WHERE status NOT IN ({}) ORDER BY created_at, id",
            final_statuses()
        );
        let rows = self.with(|c| {
            let mut statement = c.prepare(&sql)?;
            let rows = statement
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })?;
        rows.into_iter()
            .map(|(id, record)| decode(id, record))
            .collect()
    }

    fn prune(&self, cutoff: &str, keep: usize) -> Result<usize, StoreError> {
        let finals = final_statuses();
        self.with(|c| {
            let old = c.execute(
                &format!("DELETE FROM requests WHERE status IN ({finals}) AND created_at < $1"),
                params![cutoff],
            )?;
            let over = c.execute(
                &format!(
                    "DELETE FROM requests WHERE status IN ({finals}) AND id NOT IN (
                        SELECT id FROM requests WHERE status IN ({finals})
                        ORDER BY created_at DESC, id DESC LIMIT $1)"
                ),
                params![keep as i64],
            )?;
            Ok(old + over)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::requests::record::Requester;
    use serde_json::json;

    fn store() -> (SqliteStore, PathBuf) {
        let dir = std::env::temp_dir().join(format!("vmware-mcp-store-{}", uuid::Uuid::new_v4()));
        (SqliteStore::open_in(&dir).unwrap(), dir)
    }

    fn request(session: &str, created_at: &str) -> Request {
        let mut r = Request::new(
            "infra.vmware.vms.powerOffVm",
            json!({"vmName": "db1"}),
            Requester {
                session: Some(session.into()),
                correlation_id: "c".into(),
                ..Requester::default()
            },
        );
        r.created_at = created_at.into();
        r
    }

    #[test]
    fn a_request_survives_reopening_the_store() {
        let (store, dir) = store();
        let mut r = request("s1", "2026-01-01T00:00:00Z");
        store.put(&r).unwrap();
        r.status = RequestStatus::PendingApproval;
        store.put(&r).unwrap();
        drop(store);
        let reopened = SqliteStore::open_in(&dir).unwrap();
        assert_eq!(reopened.get(&r.id).unwrap(), Some(r.clone()));
        assert_eq!(reopened.unfinished().unwrap(), vec![r]);
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn lists_are_per_owner_newest_first_and_paged() {
        let (store, dir) = store();
        let mine: Vec<Request> = (0..5)
            .map(|i| request("mine", &format!("2026-01-01T00:00:0{i}Z")))
            .collect();
        for r in &mine {
            store.put(r).unwrap();
        }
        store
            .put(&request("theirs", "2026-01-01T00:00:09Z"))
            .unwrap();
        let owner = mine[0].requester.owner();
        let first = store.list(Some(&owner), None, None, 3).unwrap();
        assert!(first.more);
        let ids: Vec<&str> = first.requests.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, [&mine[4].id, &mine[3].id, &mine[2].id]);
        let last = &first.requests[2];
        let second = store
            .list(Some(&owner), None, Some((&last.created_at, &last.id)), 3)
            .unwrap();
        assert!(!second.more);
        assert_eq!(second.requests.len(), 2);
        assert_eq!(store.list(None, None, None, 10).unwrap().requests.len(), 6);
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn pruning_forgets_old_and_surplus_final_requests_only() {
        let (store, dir) = store();
        let mut old_done = request("s", "2026-01-01T00:00:00Z");
        old_done.status = RequestStatus::Succeeded;
        let old_pending = request("s", "2026-01-01T00:00:01Z");
        let mut new_done: Vec<Request> = (0..3)
            .map(|i| request("s", &format!("2026-02-01T00:00:0{i}Z")))
            .collect();
        for r in &mut new_done {
            r.status = RequestStatus::Failed;
        }
        for r in [&old_done, &old_pending].into_iter().chain(&new_done) {
            store.put(r).unwrap();
        }
        let gone = store.prune("2026-01-15T00:00:00Z", 2).unwrap();
        assert_eq!(gone, 2, "the old final one, and one surplus");
        assert!(store.get(&old_done.id).unwrap().is_none());
        assert!(
            store.get(&old_pending.id).unwrap().is_some(),
            "unfinished stays"
        );
        assert!(
            store.get(&new_done[0].id).unwrap().is_none(),
            "the oldest surplus"
        );
        assert!(store.get(&new_done[2].id).unwrap().is_some());
        std::fs::remove_dir_all(dir).ok();
    }
}
