//! The request service: unfinished requests in memory (to wake whoever
//! waits on one) in front of the [`store`](super::store), and the handle
//! one request is updated through. Every change is written to the store
//! before anyone hears of it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::watch;

use super::record::{self, Request, RequestDecision, RequestError, RequestStatus, Requester};
use super::store::{RequestPage, RequestStore, StoreError};
use crate::vocabulary::VsError;

/// How long final requests are kept by default (`REQUEST_RETENTION`).
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);

/// The most final requests kept, whatever their age.
pub const MAX_KEPT: usize = 100_000;

/// Requests, their store and whoever waits on them.
pub struct RequestService {
    store: Arc<dyn RequestStore>,
    /// Unfinished requests, each with the channel its waiters watch.
    live: Mutex<HashMap<String, watch::Sender<Request>>>,
    retention: Duration,
}

impl std::fmt::Debug for RequestService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestService")
            .field("retention", &self.retention)
            .finish_non_exhaustive()
    }
}

impl RequestService {
    /// A service over `store`, keeping final requests for `retention`.
    pub fn new(store: Arc<dyn RequestStore>, retention: Duration) -> Arc<Self> {
        Arc::new(RequestService {
            store,
            live: Mutex::new(HashMap::new()),
            retention,
        })
    }

    fn live(&self) -> std::sync::MutexGuard<'_, HashMap<String, watch::Sender<Request>>> {
        self.live.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Record a new request, durably, before anything of it runs. A store
    /// that cannot write refuses the call: nothing may run unrecorded.
    pub fn create(
        self: &Arc<Self>,
        tool: &str,
        arguments: serde_json::Value,
        requester: Requester,
    ) -> Result<RequestHandle, VsError> {
        let request = Request::new(tool, arguments, requester);
        self.store.put(&request).map_err(refusal)?;
        let id = request.id.clone();
        self.live().insert(id.clone(), watch::Sender::new(request));
        Ok(RequestHandle::new(id, self.clone()))
    }

    /// Take back a stored unfinished request after a restart, so that it
    /// can be watched and updated again.
    pub fn adopt(self: &Arc<Self>, request: Request) -> RequestHandle {
        let id = request.id.clone();
        self.live().insert(id.clone(), watch::Sender::new(request));
        RequestHandle::new(id, self.clone())
    }

    /// A handle on an unfinished request.
    pub fn handle(self: &Arc<Self>, id: &str) -> Option<RequestHandle> {
        self.live()
            .contains_key(id)
            .then(|| RequestHandle::new(id.to_string(), self.clone()))
    }

    /// Change a request and store the change before anyone hears of it. A
    /// final request is not changed again. Returns the request as it now is.
    pub fn update(
        &self,
        id: &str,
        change: impl FnOnce(&mut Request),
    ) -> Result<Request, StoreError> {
        let sender = self.live().get(id).cloned();
        let Some(sender) = sender else {
            return self.store.get(id).and_then(|r| {
                r.ok_or_else(|| StoreError::Corrupt {
                    id: id.to_string(),
                    message: "not an unfinished request".into(),
                })
            });
        };
        let mut next = sender.borrow().clone();
        if next.status.is_final() {
            return Ok(next);
        }
        change(&mut next);
        next.updated_at = record::now_rfc3339();
        self.store.put(&next)?;
        sender.send_replace(next.clone());
        if next.status.is_final() {
            self.live().remove(id);
        }
        Ok(next)
    }

    /// Change the copy of an unfinished request that waiters see, without
    /// a store write (for frequent detail such as task progress, which
    /// reaches the store with the next event).
    pub fn touch(&self, id: &str, change: impl FnOnce(&mut Request)) {
        if let Some(sender) = self.live().get(id) {
            sender.send_modify(change);
        }
    }

    /// One request, unfinished or stored.
    pub fn get(&self, id: &str) -> Result<Option<Request>, StoreError> {
        if let Some(sender) = self.live().get(id) {
            return Ok(Some(sender.borrow().clone()));
        }
        self.store.get(id)
    }

    /// Watch an unfinished request; `None` once it is final (or unknown).
    pub fn watch(&self, id: &str) -> Option<watch::Receiver<Request>> {
        self.live().get(id).map(watch::Sender::subscribe)
    }

    /// A page of `owner`'s requests, newest first.
    pub fn list(
        &self,
        owner: Option<&str>,
        status: Option<RequestStatus>,
        before: Option<(&str, &str)>,
        limit: usize,
    ) -> Result<RequestPage, StoreError> {
        self.store.list(owner, status, before, limit)
    }

    /// Every unfinished request in the store: what a restart picks up.
    pub fn unfinished(&self) -> Result<Vec<Request>, StoreError> {
        self.store.unfinished()
    }

    /// Forget final requests past the retention, and the oldest past
    /// [`MAX_KEPT`].
    pub fn prune(&self) -> Result<usize, StoreError> {
        let cutoff = time::OffsetDateTime::now_utc()
            - time::Duration::try_from(self.retention).unwrap_or(time::Duration::ZERO);
        let cutoff = cutoff
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        self.store.prune(&cutoff, MAX_KEPT)
    }
}

/// How often final requests past the retention are forgotten.
pub const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// Prune `service`'s store now and every [`PRUNE_EVERY`], for as long as the
/// service lives.
pub async fn keep_pruned(service: std::sync::Weak<RequestService>) {
    loop {
        let Some(requests) = service.upgrade() else {
            return;
        };
        match requests.prune() {
            Ok(0) => {}
            Ok(gone) => tracing::info!(
                requests = gone,
                "finished requests past REQUEST_RETENTION forgotten"
            ),
            Err(e) => {
                tracing::warn!(error = %e, "pruning the request store failed; it is tried again later")
            }
        }
        drop(requests);
        tokio::time::sleep(PRUNE_EVERY).await;
    }
}

/// The refusal when the store cannot record a request.
pub fn refusal(e: StoreError) -> VsError {
    VsError::InvalidState(format!(
        "this server cannot record the request durably, so it was not run and nothing changed ({e}); operators: see /readyz"
    ))
}

/// Who a withdrawal by the requester is recorded as.
pub(super) const WITHDRAWN_BY: &str = "requester";

/// A handle on one request, cheap to clone.
#[derive(Clone)]
pub struct RequestHandle {
    pub(super) id: String,
    pub(super) service: Arc<RequestService>,
}

impl std::fmt::Debug for RequestHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RequestHandle({})", self.id)
    }
}

impl RequestHandle {
    pub(super) fn new(id: String, service: Arc<RequestService>) -> Self {
        RequestHandle { id, service }
    }

    /// The request id (`req-…`).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The request as it stands.
    pub fn current(&self) -> Option<Request> {
        self.service.get(&self.id).ok().flatten()
    }

    /// Apply a change; a store failure is logged (the caller's own record
    /// of the event, the audit trail and the log, still stands).
    pub(super) fn note(&self, what: &str, change: impl FnOnce(&mut Request)) {
        if let Err(e) = self.service.update(&self.id, change) {
            tracing::error!(request_id = %self.id, event = what, error = %e, "the request store could not record an event");
        }
    }

    /// The tool call ended: its result, or why it failed. The final status
    /// follows from the approval's decision where there was one.
    pub fn finish(&self, outcome: &Result<Value, VsError>) {
        self.note("finished", |r| {
            r.waiting_for = None;
            match outcome {
                Ok(value) => {
                    r.status = RequestStatus::Succeeded;
                    r.result = Some(value.clone());
                }
                Err(e) => {
                    r.status = match r.decision.as_ref().map(|d| d.verdict.as_str()) {
                        Some("denied") => RequestStatus::Denied,
                        Some("expired") => RequestStatus::Expired,
                        Some("cancelled") if r.sent_at.is_none() => RequestStatus::Cancelled,
                        _ => RequestStatus::Failed,
                    };
                    r.error = Some(RequestError {
                        kind: e.kind().to_string(),
                        message: e.to_string(),
                    });
                }
            }
        });
    }

    /// End it as `status` for a reason that is not the tool's own result:
    /// a restart that interrupted it, a vCenter task that says how it ended.
    pub fn settle(&self, status: RequestStatus, kind: &str, message: String) {
        self.note("settled", |r| {
            r.status = status;
            r.waiting_for = None;
            r.error = Some(RequestError {
                kind: kind.to_string(),
                message,
            });
        });
    }

    /// The requester withdrew it before anything was sent.
    pub fn withdraw(&self, reason: Option<&str>) {
        self.note("withdrawn", |r| {
            if r.sent_at.is_none() {
                r.decision = Some(RequestDecision {
                    verdict: "cancelled".into(),
                    by: WITHDRAWN_BY.to_string(),
                    at: record::now_rfc3339(),
                    reason: reason.map(str::to_string),
                });
            }
        });
    }
}
