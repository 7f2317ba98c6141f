//! The policy hooks of the vSphere gateway, modelled on wasi-http's hooks
//! trait: the gateway owns the mechanics of a call (dispatch, log line,
//! metrics) and asks an injected policy whether a state change may go, then
//! tells an injected recorder how it ended. The approval domain implements
//! both, so this layer never depends on it and a test can inject its own.

use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::vocabulary::{MoRef, VsError};

/// Decides, per tool call, whether a state-changing method may run.
pub trait StateChangeGate: Send + Sync {
    /// Authorize `method` on `target` once: the id of the grant that covers
    /// it (logged and audited), or the refusal the plugin sees.
    fn authorize(&self, method: &str, target: &MoRef) -> Result<String, VsError>;
}

/// Hears, for one tool call, what the gateway sends on its behalf: the
/// durable request behind the call records the intent before a change goes
/// and follows the vCenter task it starts.
pub trait CallJournal: Send + Sync {
    /// The request's id, which the audit trail records with each call.
    fn request_id(&self) -> &str;
    /// A state change is about to be sent. An error stops it: nothing may
    /// reach vCenter that was not recorded first.
    fn sending(&self, method: &str, target: &MoRef) -> Result<(), VsError>;
    /// vCenter started `task` (its id) for the change being sent.
    fn task_started(&self, task: &str);
    /// vCenter says `percent` of that task is done.
    fn task_progress(&self, percent: u32);
}

/// A call's journal, if it has one (calls of read-only tools have none).
#[derive(Clone, Default)]
pub struct Journal(pub Option<std::sync::Arc<dyn CallJournal>>);

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Journal(..)"
        } else {
            "Journal(none)"
        })
    }
}

/// Hears every state-changing call twice: its intent before it is sent (a
/// write-ahead record: if that cannot be written, nothing is sent), and how
/// it ended once it has run or been refused, before the call returns (the
/// audit trail writes and flushes both).
pub trait StateChangeRecorder: Send + Sync {
    /// Record that `call` is about to be sent; an error refuses it.
    fn intent(&self, call: &StateChangeIntent) -> Result<(), String>;
    /// Record one call. A recorder cannot undo the change, so it reports its
    /// own failures itself rather than failing the call.
    fn record(&self, call: &StateChangeRecord);
}

/// Which state-changing call a record speaks of: the part an intent and
/// its outcome share.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StateChangeCall {
    /// The tool call's correlation id.
    pub correlation_id: String,
    /// The durable request behind the call, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The vim25 method.
    pub method: String,
    /// The object it is sent to.
    #[serde(serialize_with = "as_text")]
    pub target: MoRef,
}

/// A state-changing call about to be sent. It serializes as the audit
/// trail's `vsphere_intent` record states it (the target as `Type:id`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StateChangeIntent {
    /// Which call.
    #[serde(flatten)]
    pub call: StateChangeCall,
    /// The grant that authorizes it.
    pub grant_id: String,
    /// The arguments, already redacted.
    pub arguments: Value,
}

/// One state-changing call as the gateway saw it. It serializes as the
/// audit trail's `vsphere_call` record states it (the target as `Type:id`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StateChangeRecord {
    /// Which call.
    #[serde(flatten)]
    pub call: StateChangeCall,
    /// `ok`, or the error kind.
    pub outcome: String,
    /// The vSphere fault type, when vSphere refused it.
    pub fault_type: Option<String>,
    /// The error message, when it failed.
    pub error: Option<String>,
    /// How long the call took.
    pub duration_ms: u64,
    /// The grant that allowed it (`None`: refused before dispatch).
    pub grant_id: Option<String>,
    /// The vSphere task it started, if any.
    pub task_id: Option<String>,
    /// The arguments, already redacted.
    pub arguments: Value,
}

/// A reference as its one-line text (`VirtualMachine:vm-42`), as records
/// and logs name objects.
fn as_text<S: Serializer>(reference: &MoRef, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(reference)
}
