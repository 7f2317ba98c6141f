//! What the approval flow may use of the client whose tool call waits: a
//! port ([`ClientPort`]) that the transport implements (the MCP layer, in
//! `mcp::link`). Approval speaks of questions, answers and progress in its
//! own words, so it does not depend on the transport, and a test can give
//! it any client it likes.
//!
//! Nothing the port says is trusted for the decision itself: it is a way to
//! talk to the client, not proof of anything.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value;

use crate::vsphere::ProgressHook;

/// The client of one tool call, as the approval flow sees it.
#[async_trait]
pub trait ClientPort: Send + Sync {
    /// Whether the client asked for progress notifications on this call.
    fn wants_progress(&self) -> bool;
    /// Send one progress notification (`total`: the value meaning "done",
    /// if known). Progress is a courtesy: the port logs its own failures.
    async fn progress(&self, progress: f64, total: Option<f64>, message: String);
    /// How the client's user can be asked, for the log (`None`: not at all).
    fn question_route(&self) -> Option<&'static str>;
    /// Ask the client's user with a form; the answer, or why they could not
    /// be asked.
    async fn ask(&self, question: Question) -> Result<Answer, String>;
    /// Resolves when the client cancels the call; never, if it cannot.
    async fn cancelled(&self);
    /// Whether the client has cancelled the call.
    fn is_cancelled(&self) -> bool;
    /// The client's self-declared name, for the audit trail.
    fn client_name(&self) -> Option<String>;
    /// The client's self-declared version, for the request record.
    fn client_version(&self) -> Option<String> {
        None
    }
}

/// A question for the client's user.
#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    /// What is asked, with everything needed to judge it.
    pub message: String,
    /// The answer form: a flat JSON Schema object, as MCP elicitation takes.
    pub form: Value,
}

/// What the user did with a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerAction {
    /// Submitted the form.
    Accept,
    /// Refused explicitly.
    Decline,
    /// Dismissed it.
    Cancel,
    /// Something this server does not know.
    Unknown,
}

/// The user's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// What they did.
    pub action: AnswerAction,
    /// The form's content, when they submitted it.
    pub content: Option<Value>,
}

/// The way to reach one tool call's client: a port, or nobody (calls not
/// made over MCP: tests, benchmarks, the `tools` command, requests resumed
/// after a restart). A link can be detached: once the client has had its
/// answer ("still pending, check back"), the call goes on without it, and
/// nothing more is sent to it or heard from it.
#[derive(Clone, Default)]
pub struct ClientLink {
    port: Option<Arc<dyn ClientPort>>,
    state: Arc<LinkState>,
}

/// What every clone of one link shares.
#[derive(Default)]
struct LinkState {
    /// Cancelled when the client stops waiting for this call.
    detached: tokio_util::sync::CancellationToken,
    /// The last progress value sent: every notification of a call is on one
    /// scale (0 to 100) and strictly increasing, as MCP requires.
    last_progress: tokio::sync::Mutex<Option<f64>>,
}

/// Where the approval wait ends on the progress scale; the vSphere task
/// fills the rest.
const APPROVAL_SHARE: f64 = 50.0;

/// The approval wait after which the approval share is half used: the
/// scale keeps moving however long a person takes.
const APPROVAL_HALF_SECS: f64 = 60.0;

impl std::fmt::Debug for ClientLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientLink")
            .field("route", &self.question_route())
            .field("client_name", &self.client_name())
            .field("detached", &self.is_detached())
            .finish()
    }
}

impl ClientLink {
    /// A link through `port`.
    pub fn new(port: Arc<dyn ClientPort>) -> Self {
        ClientLink {
            port: Some(port),
            state: Arc::default(),
        }
    }

    /// The client stopped waiting: the call goes on without it.
    pub fn detach(&self) {
        self.state.detached.cancel();
    }

    /// Whether the client stopped waiting.
    pub fn is_detached(&self) -> bool {
        self.state.detached.is_cancelled()
    }

    fn attached_port(&self) -> Option<&Arc<dyn ClientPort>> {
        self.port.as_ref().filter(|_| !self.is_detached())
    }

    /// Send `value` (on the 0–100 scale) if the client wants progress,
    /// raised as needed so that each value is above the last.
    async fn send_progress(&self, value: f64, message: String) {
        let Some(port) = self.attached_port().filter(|p| p.wants_progress()).cloned() else {
            return;
        };
        let mut last = self.state.last_progress.lock().await;
        let floor = last.map(|l| l + 0.01).unwrap_or(0.0);
        let value = value.max(floor);
        if value > 100.0 {
            return;
        }
        *last = Some(value);
        port.progress(value, Some(100.0), message).await;
    }

    /// Tell the client how the wait for a decision is going, `waited`
    /// seconds in.
    pub async fn progress(&self, waited: f64, message: String) {
        let share = APPROVAL_SHARE * waited / (waited + APPROVAL_HALF_SECS);
        self.send_progress(share, message).await;
    }

    /// The vSphere task progress hook of this call (percent of the task),
    /// on the same scale as the approval wait before it; `None` when the
    /// client asked for none.
    pub fn task_progress_hook(&self) -> Option<ProgressHook> {
        self.port.as_ref().filter(|p| p.wants_progress())?;
        let link = self.clone();
        let runtime = tokio::runtime::Handle::current();
        Some(ProgressHook::new(move |percent, message| {
            let link = link.clone();
            let value = APPROVAL_SHARE + f64::from(percent) * (100.0 - APPROVAL_SHARE) / 100.0;
            runtime.spawn(async move { link.send_progress(value, message).await });
        }))
    }

    /// Whether the client's user can be asked at all.
    pub fn can_ask(&self) -> bool {
        self.question_route().is_some()
    }

    /// How the user can be asked, for the log.
    pub fn question_route(&self) -> Option<&'static str> {
        self.attached_port().and_then(|p| p.question_route())
    }

    /// Ask the client's user.
    pub async fn ask(&self, question: Question) -> Result<Answer, String> {
        match self.attached_port() {
            Some(port) if port.question_route().is_some() => port.ask(question).await,
            _ => Err("the client cannot be asked".to_string()),
        }
    }

    /// Resolves when the client cancels the call; never, if it cannot or
    /// has stopped waiting (a cancel after that withdraws nothing).
    pub async fn cancelled(&self) {
        let Some(port) = self.attached_port() else {
            return std::future::pending().await;
        };
        tokio::select! {
            _ = port.cancelled() => {
                if self.is_detached() {
                    std::future::pending::<()>().await;
                }
            }
            _ = self.state.detached.cancelled() => std::future::pending().await,
        }
    }

    /// Whether the client has cancelled the call (while it still waited).
    pub fn is_cancelled(&self) -> bool {
        self.attached_port().is_some_and(|p| p.is_cancelled())
    }

    /// The client's self-declared name.
    pub fn client_name(&self) -> Option<String> {
        self.port.as_ref().and_then(|p| p.client_name())
    }

    /// The client's self-declared version.
    pub fn client_version(&self) -> Option<String> {
        self.port.as_ref().and_then(|p| p.client_version())
    }
}

/// Clients for tests of the approval flow.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    /// A client that can only cancel, with the given token.
    pub(crate) struct CancellingClient(pub tokio_util::sync::CancellationToken);

    #[async_trait]
    impl ClientPort for CancellingClient {
        fn wants_progress(&self) -> bool {
            false
        }
        async fn progress(&self, _: f64, _: Option<f64>, _: String) {}
        fn question_route(&self) -> Option<&'static str> {
            None
        }
        async fn ask(&self, _: Question) -> Result<Answer, String> {
            Err("cannot be asked".into())
        }
        async fn cancelled(&self) {
            self.0.cancelled().await
        }
        fn is_cancelled(&self) -> bool {
            self.0.is_cancelled()
        }
        fn client_name(&self) -> Option<String> {
            None
        }
    }
}
