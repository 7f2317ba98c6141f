//! The audit trail: an append-only JSON Lines file recording every approval
//! decision and every state-changing vSphere call.
//!
//! One line is one JSON object with an `event` field (`approval_decision` or
//! `vsphere_call`) and a UTC `ts`. The file is opened with `O_APPEND` and
//! never truncated, so it accumulates across restarts; each line is written
//! with a single `write_all` under a lock and `fsync`ed before the call that
//! produced it returns, so a record is on disk before anyone is told that the
//! decision was taken or the change was made. Arguments are passed through
//! [`redact`](crate::vocabulary::redact) first: secrets never reach it.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::vocabulary::MoRef;
use crate::vsphere::hooks::{StateChangeIntent, StateChangeRecord, StateChangeRecorder};

/// The environment variable naming the audit file, documented beside the
/// other configuration so operators find it.
pub const AUDIT_PATH_ENV: &str = "AUDIT_LOG_PATH";

/// Longest argument text kept in a record; longer arguments are cut, since
/// the audit trail is for reading and one clone spec must not bloat it.
const MAX_ARGUMENT_CHARS: usize = 4096;

/// An open audit file. Shared by the approval gate and the gateway.
#[derive(Debug)]
pub struct AuditLog {
    path: PathBuf,
    file: Mutex<File>,
    /// Why the last write failed, until a write succeeds again; `/readyz`
    /// reports it, since every state change is refused meanwhile.
    failing: Mutex<Option<String>>,
}

impl AuditLog {
    /// Open (creating if needed, never truncating) the audit file at `path`.
    /// A file that cannot be opened is an error at start, not a silently
    /// missing trail.
    pub fn open(path: &Path) -> Result<AuditLog, AuditError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| AuditError {
                path: path.to_path_buf(),
                source,
            })?;
        }
        let mut options = OpenOptions::new();
        // Read too: a torn last line is looked for at open.
        options.read(true).append(true).create(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(path).map_err(|source| AuditError {
            path: path.to_path_buf(),
            source,
        })?;
        if ends_torn(&file).unwrap_or(false) {
            // A write cut short by a crash: close the fragment off on its own
            // line, so that no record is ever glued to it.
            tracing::warn!(path = %path.display(), "the audit trail ends with a torn line (a write cut short); it is closed off and the next record starts on a line of its own");
            file.write_all(b"\n")
                .and_then(|()| file.sync_data())
                .map_err(|source| AuditError {
                    path: path.to_path_buf(),
                    source,
                })?;
        }
        Ok(AuditLog {
            path: path.to_path_buf(),
            file: Mutex::new(file),
            failing: Mutex::new(None),
        })
    }

    /// Why writes fail now, if they do.
    pub fn failing(&self) -> Option<String> {
        self.failing
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// While writes fail, try one small record, so that the trail is known
    /// to work again as soon as the disk has room (the `/readyz` probe).
    pub fn probe(&self) -> Option<String> {
        self.failing()?;
        let _ = self.append(&serde_json::json!({
            "ts": now_rfc3339(),
            "event": "audit_recovered",
        }));
        self.failing()
    }

    /// Where the trail is written, for logs and error messages.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Append one record as one line and flush it to disk before returning.
    pub fn append<T: Serialize>(&self, record: &T) -> Result<(), AuditError> {
        let mut line = serde_json::to_vec(record).map_err(|e| AuditError {
            path: self.path.clone(),
            source: std::io::Error::other(e),
        })?;
        line.push(b'\n');
        // A poisoned lock only means another writer panicked between lines;
        // the file itself is still consistent.
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        let before = file.metadata().map(|m| m.len());
        let written = file
            .write_all(&line)
            .and_then(|()| file.flush())
            .and_then(|()| file.sync_data());
        let mut failing = self.failing.lock().unwrap_or_else(|p| p.into_inner());
        match written {
            Ok(()) => {
                *failing = None;
                Ok(())
            }
            Err(source) => {
                // A short write must not leave a fragment for the next
                // record to be glued to: cut the file back to where it was.
                if let Ok(len) = before {
                    let _ = file.set_len(len).and_then(|()| file.sync_data());
                }
                let error = AuditError {
                    path: self.path.clone(),
                    source,
                };
                *failing = Some(error.to_string());
                Err(error)
            }
        }
    }
}

/// Whether the file's last byte is not a newline (a torn last line).
fn ends_torn(file: &File) -> std::io::Result<bool> {
    use std::os::unix::fs::FileExt;
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(false);
    }
    let mut last = [0u8; 1];
    file.read_at(&mut last, len - 1)?;
    Ok(last[0] != b'\n')
}

/// The audit file could not be opened or written; the message names it.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the audit trail {}: {source}", path.display())]
pub struct AuditError {
    /// The audit file.
    pub path: PathBuf,
    /// The I/O failure.
    #[source]
    pub source: std::io::Error,
}

/// The current UTC time in RFC 3339, as every record's `ts`.
pub fn now_rfc3339() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_else(|_| OffsetDateTime::now_utc().unix_timestamp().to_string())
}

/// One target as the audit trail names it: the reference and the name the
/// host read from vSphere (never a plugin's claim).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AuditTarget {
    /// The reference, e.g. `VirtualMachine:vm-42`.
    #[serde(rename = "ref")]
    pub reference: String,
    /// The host-read name.
    pub name: String,
}

impl AuditTarget {
    /// Pair a reference with its host-read name.
    pub fn new(reference: &MoRef, name: &str) -> Self {
        AuditTarget {
            reference: reference.to_string(),
            name: name.to_string(),
        }
    }
}

/// An approval decision: who or what decided, on what, and why.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DecisionRecord {
    /// When, in UTC.
    pub ts: String,
    /// Always `approval_decision`.
    pub event: &'static str,
    /// `approved`, `denied`, `timed_out`, `cancelled`, `unavailable`, or
    /// `interrupted` (the server stopped first; the request stays pending).
    pub decision: &'static str,
    /// Who or what decided: `policy:rule 2`, `operator:alice`,
    /// `elicitation:<client>`, `timeout`, `no-channel`.
    pub decided_by: String,
    /// The channel: `policy`, `operator`, `elicitation`, `timeout`, `no-channel`.
    pub channel: String,
    /// The pending approval's id, when one was created.
    pub approval_id: Option<String>,
    /// The grant issued, when approved; the `vsphere_call` records name it.
    pub grant_id: Option<String>,
    /// The full MCP tool name.
    pub tool: String,
    /// The plugin's short operation name.
    pub operation: String,
    /// The plugin's one-line summary.
    pub summary: String,
    /// The objects the action changes.
    pub targets: Vec<AuditTarget>,
    /// The vSphere methods it may call.
    pub methods: Vec<String>,
    /// What the policy said (`rule 2`, `default`, `read_only`).
    pub policy: String,
    /// The tool call's correlation id.
    pub correlation_id: String,
    /// The MCP session, when known.
    pub session: Option<String>,
    /// Who asked, as people read it (the token's name or e-mail, or a named
    /// token's label), when the token names someone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requested_by: Option<String>,
    /// The requester's stable id (the OAuth subject or the token's label).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requester_identity: Option<String>,
    /// The MCP client and OAuth client that asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requester_client: Option<String>,
    /// The approver's reason, or why it was refused.
    pub reason: Option<String>,
}

/// A gateway record on the trail: when, which event (`vsphere_intent` or
/// `vsphere_call`), then the record's own fields (see
/// [`StateChangeIntent`] and [`StateChangeRecord`]), its arguments bounded.
#[derive(Debug, Clone, Serialize)]
struct GatewayEntry<T> {
    /// When it was written, in UTC.
    ts: String,
    /// What it records.
    event: &'static str,
    /// The record.
    #[serde(flatten)]
    record: T,
}

/// The gateway's recorder: each state-changing call becomes one
/// `vsphere_call` line, on disk before the call returns.
impl StateChangeRecorder for AuditLog {
    fn intent(&self, call: &StateChangeIntent) -> Result<(), String> {
        let mut record = call.clone();
        record.arguments = bounded_arguments(record.arguments);
        self.append(&GatewayEntry {
            ts: now_rfc3339(),
            event: "vsphere_intent",
            record,
        })
        .map_err(|e| e.to_string())
    }

    fn record(&self, call: &StateChangeRecord) {
        let mut record = call.clone();
        record.arguments = bounded_arguments(record.arguments);
        let entry = GatewayEntry {
            ts: now_rfc3339(),
            event: "vsphere_call",
            record,
        };
        if let Err(e) = self.append(&entry) {
            tracing::error!(correlation_id = %call.call.correlation_id, method = %call.call.method, object = %call.call.target, error = %e, "a state-changing vSphere call could not be written to the audit trail");
        }
    }
}

/// Arguments for a record: already redacted by the caller, and replaced by
/// a cut string when too long.
pub fn bounded_arguments(redacted: Value) -> Value {
    let text = redacted.to_string();
    if text.chars().count() <= MAX_ARGUMENT_CHARS {
        return redacted;
    }
    let cut: String = text.chars().take(MAX_ARGUMENT_CHARS).collect();
    Value::String(format!("{cut}…({} bytes)", text.len()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_torn_last_line_is_closed_off_and_never_appended_to() {
        let dir = std::env::temp_dir().join(format!("vmware-mcp-torn-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("audit.jsonl");
        std::fs::write(&path, "{\"event\":\"whole\"}\n{\"event\":\"cut sh").unwrap();
        let log = AuditLog::open(&path).unwrap();
        log.append(&serde_json::json!({"event": "next"})).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert_eq!(lines[1], "{\"event\":\"cut sh", "the fragment stands alone");
        assert_eq!(lines[2], "{\"event\":\"next\"}", "the next record is whole");
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn a_failed_write_is_reported_until_one_succeeds() {
        let log = AuditLog::open(Path::new("/dev/full")).unwrap();
        assert!(log.append(&serde_json::json!({"event": "x"})).is_err());
        let failing = log.failing().expect("the failure is kept for /readyz");
        assert!(failing.contains("No space"), "{failing}");
        assert!(log.probe().is_some(), "still failing");
    }

    use super::*;

    fn temp(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("vmware-mcp-audit-{}-{}", std::process::id(), name));
        let _ = std::fs::remove_dir_all(&dir);
        dir.join("sub").join("audit.jsonl")
    }

    #[test]
    fn appends_lines_and_never_truncates() {
        let path = temp("append");
        let log = AuditLog::open(&path).unwrap();
        log.append(&serde_json::json!({"n": 1})).unwrap();
        drop(log);
        // Reopening (a restart) keeps what was there.
        let log = AuditLog::open(&path).unwrap();
        log.append(&serde_json::json!({"n": 2})).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(
            lines,
            [serde_json::json!({"n": 1}), serde_json::json!({"n": 2})]
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "audit file is private: {mode:o}");
        }
    }

    #[test]
    fn an_unwritable_path_is_an_error_naming_it() {
        let e = AuditLog::open(Path::new("/proc/nope/audit.jsonl")).unwrap_err();
        assert!(e.to_string().contains("/proc/nope/audit.jsonl"), "{e}");
    }

    #[test]
    fn long_arguments_are_cut() {
        let big = serde_json::json!({"spec": "x".repeat(10_000)});
        match bounded_arguments(big) {
            Value::String(s) => assert!(s.contains("bytes)") && s.len() < 5_000),
            other => panic!("expected a cut string, got {other}"),
        }
        let small = serde_json::json!({"a": 1});
        assert_eq!(bounded_arguments(small.clone()), small);
    }

    #[test]
    fn timestamps_are_rfc3339() {
        let ts = now_rfc3339();
        assert!(OffsetDateTime::parse(&ts, &Rfc3339).is_ok(), "{ts}");
    }

    #[tokio::test]
    async fn state_changes_are_audited_with_grant_and_task_reads_are_not() {
        use std::sync::Arc;
        use std::time::Instant;

        use serde_json::Map;

        use crate::approval::grants::{CallGrants, GRANT_TTL, Grant};
        use crate::telemetry::metrics::Metrics;
        use crate::vsphere::gateway::Gateway;
        use crate::vsphere::sim::SimBackend;
        use crate::vsphere::{CallContext, RetrieveSpec};

        let path = std::env::temp_dir().join(format!(
            "vmware-mcp-gateway-audit-{}/audit.jsonl",
            std::process::id()
        ));
        let _ = std::fs::remove_file(&path);
        let sim = SimBackend::demo().with_task_delay(std::time::Duration::ZERO);
        let gateway = Gateway::new(Arc::new(sim), Arc::new(Metrics::new()))
            .with_recorder(Some(Arc::new(AuditLog::open(&path).unwrap())));
        let ctx = CallContext {
            correlation_id: "corr-audit".into(),
            ..Default::default()
        };
        let spec = RetrieveSpec {
            object_type: "VirtualMachine".into(),
            root: None,
            recursive: true,
            properties: vec!["runtime.powerState".into()],
        };
        let vm = gateway
            .retrieve(&ctx, &spec)
            .await
            .unwrap()
            .into_iter()
            .find(|o| {
                serde_json::to_string(&o.properties)
                    .unwrap()
                    .contains("poweredOn")
            })
            .expect("a powered-on VM")
            .reference;
        let grants = CallGrants::new();
        let grant = Grant::new(
            "operator:alice",
            ["PowerOffVM_Task".to_string()],
            [vm.clone()],
            Instant::now(),
            GRANT_TTL,
        );
        let grant_id = grant.id.clone();
        grants.add(grant);
        let args = Map::new();
        gateway
            .invoke(&ctx, &grants, &vm, "PowerOffVM_Task", &args)
            .await
            .unwrap();
        // The replay is refused, and recorded too.
        assert!(
            gateway
                .invoke(&ctx, &grants, &vm, "PowerOffVM_Task", &args)
                .await
                .is_err()
        );
        let all: Vec<Value> = std::fs::read_to_string(&path)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        // The sent call's intent comes before its outcome; the refused one
        // was never sent, so it has no intent.
        let intents: Vec<&Value> = all
            .iter()
            .filter(|l| l["event"] == "vsphere_intent")
            .collect();
        assert_eq!(intents.len(), 1, "{all:?}");
        assert_eq!(all[0]["event"], "vsphere_intent", "{all:?}");
        assert_eq!(intents[0]["grant_id"], grant_id.as_str());
        let lines: Vec<Value> = all
            .into_iter()
            .filter(|l| l["event"] == "vsphere_call")
            .collect();
        assert_eq!(lines.len(), 2, "reads are not audited: {lines:?}");
        assert_eq!(lines[0]["event"], "vsphere_call");
        assert_eq!(lines[0]["method"], "PowerOffVM_Task");
        assert_eq!(lines[0]["target"], vm.to_string());
        assert_eq!(lines[0]["outcome"], "ok");
        assert_eq!(lines[0]["grant_id"], grant_id.as_str());
        assert!(lines[0]["task_id"].as_str().unwrap().starts_with("task-"));
        assert_eq!(lines[0]["correlation_id"], "corr-audit");
        assert_eq!(lines[1]["outcome"], "approval_required");
        assert!(lines[1]["grant_id"].is_null() && lines[1]["task_id"].is_null());
    }
}
