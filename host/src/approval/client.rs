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
/// made over MCP: tests, benchmarks, the `tools` command).
#[derive(Clone, Default)]
pub struct ClientLink {
    port: Option<Arc<dyn ClientPort>>,
}

impl std::fmt::Debug for ClientLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientLink")
            .field("route", &self.question_route())
            .field("client_name", &self.client_name())
            .finish()
    }
}

impl ClientLink {
    /// A link through `port`.
    pub fn new(port: Arc<dyn ClientPort>) -> Self {
        ClientLink { port: Some(port) }
    }

    /// Tell the client how a wait is going, if it asked for progress.
    pub async fn progress(&self, progress: f64, message: String) {
        if let Some(port) = self.port.as_ref().filter(|p| p.wants_progress()) {
            port.progress(progress, None, message).await;
        }
    }

    /// The vSphere task progress hook of this call (percent of 100), sent
    /// the same way as every other progress of the call; `None` when the
    /// client asked for none.
    pub fn task_progress_hook(&self) -> Option<ProgressHook> {
        let port = self.port.clone().filter(|p| p.wants_progress())?;
        let runtime = tokio::runtime::Handle::current();
        Some(ProgressHook::new(move |percent, message| {
            let port = port.clone();
            runtime.spawn(async move {
                port.progress(f64::from(percent), Some(100.0), message)
                    .await
            });
        }))
    }

    /// Whether the client's user can be asked at all.
    pub fn can_ask(&self) -> bool {
        self.question_route().is_some()
    }

    /// How the user can be asked, for the log.
    pub fn question_route(&self) -> Option<&'static str> {
        self.port.as_ref().and_then(|p| p.question_route())
    }

    /// Ask the client's user.
    pub async fn ask(&self, question: Question) -> Result<Answer, String> {
        match &self.port {
            Some(port) if port.question_route().is_some() => port.ask(question).await,
            _ => Err("the client cannot be asked".to_string()),
        }
    }

    /// Resolves when the client cancels the call; never, if it cannot.
    pub async fn cancelled(&self) {
        match &self.port {
            Some(port) => port.cancelled().await,
            None => std::future::pending().await,
        }
    }

    /// Whether the client has cancelled the call.
    pub fn is_cancelled(&self) -> bool {
        self.port.as_ref().is_some_and(|p| p.is_cancelled())
    }

    /// The client's self-declared name.
    pub fn client_name(&self) -> Option<String> {
        self.port.as_ref().and_then(|p| p.client_name())
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
