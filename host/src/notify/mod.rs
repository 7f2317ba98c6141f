//! Approval notifications: operators hear about a waiting approval where
//! they work (a chat channel, a pager, a ticket bridge) instead of watching
//! the approvals page, and hear how it ended.
//!
//! The [`Notifier`] observes the pending-approvals store
//! ([`ApprovalObserver`]): every approval filed, approved, denied, timed out
//! or withdrawn passes through that store whichever channel decided it, so
//! this is the one place that sees them all. For each change it builds one
//! [`event::Event`] and hands it to every receiver's [`delivery::Lane`]
//! without waiting; each lane renders it in its receiver's
//! [`config::Format`] ([`payload`]), signs it ([`sign`]) and POSTs it from
//! its own worker, with retries. A slow or dead receiver therefore never
//! delays a tool call or a decision; it only loses (and counts) its own
//! notifications.
//!
//! It lives beside `approval`, not inside it, because it speaks HTTP: the
//! approval domain knows only the observer trait.

pub mod config;
pub mod delivery;
pub mod event;
pub mod payload;
pub mod sign;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio_util::sync::{CancellationToken, DropGuard};

use crate::approval::pending::{ApprovalObserver, ApprovalView};
use crate::telemetry::metrics::Metrics;
use crate::vocabulary::MoRef;
use config::NotifyConfig;
use delivery::{Lane, QUEUE_CAPACITY, RetryPolicy};
use event::Event;

/// Finds an object's inventory path for the targets' labels, where known
/// (the inventory index, read without waiting).
pub type PathLookup = Box<dyn Fn(&MoRef) -> Option<String> + Send + Sync>;

/// Sends a notification to every receiver on each change of an approval.
/// Its workers stop when it is dropped.
pub struct Notifier {
    lanes: Vec<Arc<Lane>>,
    link: String,
    paths: PathLookup,
    _stop: DropGuard,
}

impl Notifier {
    /// Start a worker per receiver of `config`; links point at `link` (the
    /// approvals page). `None` when no receiver is configured.
    pub fn start(
        config: &NotifyConfig,
        link: String,
        metrics: Arc<Metrics>,
        paths: PathLookup,
    ) -> anyhow::Result<Option<Notifier>> {
        Notifier::start_with(config, link, metrics, paths, RetryPolicy::default())
    }

    /// [`start`](Self::start) with another retry policy (tests).
    pub fn start_with(
        config: &NotifyConfig,
        link: String,
        metrics: Arc<Metrics>,
        paths: PathLookup,
        retry: RetryPolicy,
    ) -> anyhow::Result<Option<Notifier>> {
        if config.receivers.is_empty() {
            return Ok(None);
        }
        let http = reqwest::Client::builder()
            .user_agent(concat!("vmware-mcp/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(retry.timeout)
            // A redirect would POST the event somewhere nobody configured.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| {
                anyhow::anyhow!("approval notifications: cannot build the HTTP client: {e}")
            })?;
        let stop = CancellationToken::new();
        let lanes = config
            .receivers
            .iter()
            .map(|receiver| {
                tracing::info!(
                    receiver = %receiver.endpoint(), format = %receiver.format,
                    signed = receiver.secret.is_some(), configured_in = %receiver.origin,
                    "approval notifications go to this receiver"
                );
                let lane = Arc::new(Lane::new(receiver.clone(), QUEUE_CAPACITY, metrics.clone()));
                tokio::spawn(lane.clone().run(http.clone(), retry, stop.clone()));
                lane
            })
            .collect();
        Ok(Some(Notifier {
            lanes,
            link,
            paths,
            _stop: stop.drop_guard(),
        }))
    }

    /// The approvals page the notifications link to.
    pub fn link(&self) -> &str {
        &self.link
    }
}

impl ApprovalObserver for Notifier {
    fn changed(&self, view: &ApprovalView) {
        let paths = view
            .request
            .targets
            .iter()
            .map(|t| (self.paths)(&MoRef::new(t.kind.clone(), t.id.clone())))
            .collect();
        let event = Arc::new(Event::new(view, paths, self.link.clone()));
        for lane in &self.lanes {
            lane.offer(event.clone());
        }
    }
}

/// The approvals page's address for links: `PUBLIC_ADMIN_URL` when set,
/// else the address the admin API listens on (as its start-up line says).
pub fn approvals_link(public_admin_url: Option<&str>, admin: SocketAddr) -> String {
    match public_admin_url {
        Some(base) => format!("{}/approvals", base.trim_end_matches('/')),
        None => format!("http://{admin}/approvals"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::approval::pending::{OperatorDecision, PendingApprovals, Status};
    use crate::notify::event::tests::view;
    use std::time::Duration;

    #[test]
    fn links_prefer_the_public_url() {
        let admin: SocketAddr = "127.0.0.1:5006".parse().unwrap();
        assert_eq!(
            approvals_link(None, admin),
            "http://127.0.0.1:5006/approvals"
        );
        assert_eq!(
            approvals_link(Some("https://ops.example.com/vmware/"), admin),
            "https://ops.example.com/vmware/approvals"
        );
    }

    /// Records what it is told, to check the store tells observers each
    /// change once and in order.
    #[derive(Default)]
    struct Recorder(std::sync::Mutex<Vec<(String, Status, Option<String>)>>);

    impl ApprovalObserver for Recorder {
        fn changed(&self, view: &ApprovalView) {
            self.0
                .lock()
                .unwrap()
                .push((view.id.clone(), view.status, view.decided_by.clone()));
        }
    }

    #[tokio::test]
    async fn the_store_tells_observers_of_every_request_decision_and_expiry() {
        let store = PendingApprovals::new();
        let recorder = Arc::new(Recorder::default());
        store.observe(recorder.clone());
        let request = view(Status::Pending).request;
        let a = store
            .create(request.clone(), Duration::from_secs(60), Some("req-a"))
            .unwrap();
        let b = store
            .create(request.clone(), Duration::from_secs(60), Some("req-b"))
            .unwrap();
        store
            .decide(
                &a.id,
                OperatorDecision::Approve {
                    approver: "alice".into(),
                    reason: None,
                },
            )
            .unwrap();
        // A second decision changes nothing and tells nobody.
        let _ = store.decide(
            &a.id,
            OperatorDecision::Deny {
                approver: "bob".into(),
                reason: "no".into(),
            },
        );
        assert!(store.close(&b.id, Status::TimedOut));
        assert!(!store.close(&b.id, Status::Cancelled));
        let seen = recorder.0.lock().unwrap().clone();
        assert_eq!(
            seen,
            [
                ("req-a".to_string(), Status::Pending, None),
                ("req-b".to_string(), Status::Pending, None),
                (
                    "req-a".to_string(),
                    Status::Approved,
                    Some("operator:alice".into())
                ),
                (
                    "req-b".to_string(),
                    Status::TimedOut,
                    Some("timed out".into())
                ),
            ]
        );
    }
}
