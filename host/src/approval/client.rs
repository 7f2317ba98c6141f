//! What the approval flow may use of the MCP client whose tool call waits:
//! its connection for progress notifications, how (if at all) its user can be
//! asked through elicitation, and the call's cancellation.
//!
//! The MCP handler fills a [`ClientLink`] per tool call from rmcp's request
//! context; the approvers only read it. Nothing in it is trusted for the
//! decision itself: it is a way to talk to the client, not proof of anything.

use rmcp::RoleServer;
use rmcp::model::{ElicitRequestParams, ProgressNotificationParam, ProgressToken};
use rmcp::service::Peer;
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

/// The way to reach one tool call's client.
#[derive(Clone, Default)]
pub struct ClientLink {
    /// The client's connection, for progress notifications and session-mode
    /// elicitation; `None` for calls not made over MCP (tests, tools).
    pub peer: Option<Peer<RoleServer>>,
    /// The progress token the client sent in `_meta.progressToken`; without
    /// one, no progress is sent.
    pub progress_token: Option<ProgressToken>,
    /// How the client's user could be asked to approve.
    pub elicitation: ElicitationRoute,
    /// Cancelled when the client cancels the call, so nobody waits for it.
    pub cancelled: Option<CancellationToken>,
    /// The client's self-declared name, for the audit trail.
    pub client_name: Option<String>,
}

impl std::fmt::Debug for ClientLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientLink")
            .field("peer", &self.peer.is_some())
            .field("progress_token", &self.progress_token)
            .field("elicitation", &self.elicitation)
            .field("client_name", &self.client_name)
            .finish()
    }
}

/// How a client can be asked for an approval through elicitation.
#[derive(Clone, Default)]
pub enum ElicitationRoute {
    /// It cannot (no capability declared, or no MCP client).
    #[default]
    None,
    /// Session mode (protocol before 2026-07-28): a server-to-client
    /// `elicitation/create` request on the peer.
    Session,
    /// Multi round-trip requests (SEP-2322, protocol 2026-07-28): the tool
    /// call returns an `InputRequiredResult`; the request goes out on this
    /// channel and the client's answer comes back on the enclosed one-shot.
    Mrtr(mpsc::Sender<InputNeeded>),
}

impl std::fmt::Debug for ElicitationRoute {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ElicitationRoute::None => "None",
            ElicitationRoute::Session => "Session",
            ElicitationRoute::Mrtr(_) => "Mrtr",
        })
    }
}

/// An elicitation the MRTR driver must hand to the client.
#[derive(Debug)]
pub struct InputNeeded {
    /// What to ask.
    pub request: ElicitRequestParams,
    /// Where the client's `ElicitResult` (as JSON) goes.
    pub reply: oneshot::Sender<Value>,
}

impl ClientLink {
    /// Send a progress notification, if the client asked for progress.
    /// Failures are ignored: progress is a courtesy, never a reason to fail.
    pub async fn progress(&self, progress: f64, message: String) {
        let (Some(peer), Some(token)) = (&self.peer, &self.progress_token) else {
            return;
        };
        let param = ProgressNotificationParam::new(token.clone(), progress).with_message(message);
        if let Err(e) = peer.notify_progress(param).await {
            tracing::debug!(error = %e, "progress notification not delivered");
        }
    }

    /// Resolves when the client cancels the call; never, if it cannot.
    pub async fn cancelled(&self) {
        match &self.cancelled {
            Some(token) => token.cancelled().await,
            None => std::future::pending().await,
        }
    }
}
