//! `/readyz`: whether the server can serve tool calls now, which mostly means
//! whether vCenter answers. While the inventory index follows vCenter's
//! update stream, a live stream says so without any request. When the stream
//! is down or stalled, the follower re-establishes it only after a pause
//! (growing up to 8 s), so its state alone lags a recovery by seconds;
//! instead the probe asks vCenter itself (one read of the root folder's
//! name, bounded by [`PROBE_TIMEOUT`]), so `/readyz` turns ready as soon as
//! calls succeed again. Probes are single-flight and a result is reused for
//! [`PROBE_REUSE`], so frequent probing costs vCenter at most four reads a
//! second.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tokio::sync::Mutex;

use crate::app::App;
use crate::vocabulary::MoRef;
use crate::vsphere::CallContext;

/// The longest a probe waits for vCenter: `/readyz` must answer quickly
/// even when vCenter is stalled.
pub const PROBE_TIMEOUT: Duration = Duration::from_millis(1500);

/// How long a probe's answer stands for later `/readyz` requests.
pub const PROBE_REUSE: Duration = Duration::from_millis(250);

/// The readiness probe's state: the app, and the last direct probe of vCenter.
pub struct Readiness {
    app: Arc<App>,
    last: Mutex<Option<(Instant, bool)>>,
}

impl Readiness {
    /// A probe over `app`.
    pub fn new(app: Arc<App>) -> Arc<Readiness> {
        Arc::new(Readiness {
            app,
            last: Mutex::new(None),
        })
    }

    /// Whether vCenter answers a read now (a recent answer is reused).
    async fn vcenter_answers(&self) -> bool {
        let mut last = self.last.lock().await;
        if let Some((at, answered)) = *last
            && at.elapsed() < PROBE_REUSE
        {
            return answered;
        }
        let backend = self.app.services.gateway.backend();
        let ctx = CallContext {
            correlation_id: "readyz".into(),
            ..CallContext::default()
        };
        let read = async {
            let content = backend.service_content(&ctx).await.ok()?;
            let root = MoRef::from_json(&content["rootFolder"])?;
            backend.read(&ctx, &[root], &["name".into()]).await.ok()
        };
        let answered = matches!(tokio::time::timeout(PROBE_TIMEOUT, read).await, Ok(Some(_)));
        *last = Some((Instant::now(), answered));
        answered
    }
}

/// The `/readyz` handler: 200 when vCenter answers and plugins are loaded,
/// 503 otherwise; the body says which part is not ready and the index's state.
pub async fn readyz(State(readiness): State<Arc<Readiness>>) -> Response {
    let app = &readiness.app;
    let backend_ready = app.services.gateway.backend().is_ready().await;
    let plugins = app.registry.plugin_count();
    let index = app.services.inventory.status();
    // A live update stream shows vCenter answering without a request;
    // otherwise vCenter is asked directly.
    let vsphere = match (backend_ready, index.state) {
        (true, "live") => "up",
        (_, "starting") => "starting",
        _ if readiness.vcenter_answers().await => "up",
        (false, _) => "down",
        (true, "stalled") => "stalled",
        (true, _) => "down",
    };
    // Every state change is refused while the audit trail cannot be
    // written; the probe notices at once when it can again.
    let audit_failing = app.audit.as_ref().and_then(|a| a.probe());
    let ready = vsphere == "up" && plugins > 0 && audit_failing.is_none();
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(json!({
            "ready": ready,
            "vsphere": vsphere,
            "pluginsLoaded": plugins,
            "inventory": { "state": index.state, "live": index.live, "objects": index.objects, "reason": index.reason },
            "audit": { "writable": audit_failing.is_none(), "reason": audit_failing },
        })),
    )
        .into_response()
}
