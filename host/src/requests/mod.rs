//! Durable requests: every call of a tool that may change state becomes a
//! request with one id (`req-…`) that lives apart from the HTTP exchange
//! that made it. The agent's result, the approvals page, the CLI, the audit
//! trail and the logs all name it; the agent checks back on it with
//! `infra.vmware.requests.get` when its client gave up waiting; a restart
//! picks it up where it stood (see [`resume`]).
//!
//! The service keeps unfinished requests in memory (to wake whoever waits
//! on one) and writes every change to the [`store`] before telling anyone,
//! so what a caller was told is what a restart finds.

pub mod events;
pub mod record;
pub mod store;
pub mod tools;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;

use crate::vocabulary::VsError;
pub use events::RequestHandle;
pub use record::{Request, RequestStatus, Requester};
use store::{RequestPage, RequestStore, StoreError};

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
