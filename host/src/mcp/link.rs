//! How a tool call's MCP client is reached while the call runs: the
//! [`CallOrigin`] of a request, and [`McpClient`], the MCP side of the
//! approval flow's [`ClientPort`]. Everything rmcp-specific about progress,
//! elicitation and cancellation is here, so the approval domain stays free
//! of the transport.

use async_trait::async_trait;
use rmcp::RoleServer;
use rmcp::model::{
    CallToolRequestParams, ClientCapabilities, ElicitRequestParams, ElicitResult,
    ElicitationAction, ProgressNotificationParam, ProgressToken, ProtocolVersion,
};
use rmcp::service::{Peer, RequestContext};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::approval::client::{Answer, AnswerAction, ClientPort, Question};

/// Who asked for a call and how to reach them while it runs.
#[derive(Debug, Default)]
pub struct CallOrigin {
    /// The correlation id (client-supplied or generated).
    pub correlation_id: String,
    /// The MCP session id, when the transport has sessions.
    pub session: Option<String>,
    /// The client, when the call came over MCP (not in benchmarks).
    pub client: Option<McpClient>,
    /// Who the bearer token names, when it names someone.
    pub principal: Option<crate::principal::Principal>,
}

/// How the client of this request can be asked to approve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Elicitable {
    /// It cannot.
    No,
    /// By a server-to-client request in its session.
    Session,
    /// By returning `InputRequiredResult` (protocol 2026-07-28 and later).
    Mrtr,
}

/// Whether the capabilities declare form elicitation (an empty
/// `elicitation: {}` means form, for clients older than the form/url split).
fn can_elicit_form(capabilities: Option<&ClientCapabilities>) -> bool {
    capabilities
        .and_then(|c| c.elicitation.as_ref())
        .is_some_and(|e| e.form.is_some() || e.url.is_none())
}

/// How the client of `context` can be asked.
pub fn elicitable(context: &RequestContext<RoleServer>) -> Elicitable {
    if !can_elicit_form(context.client_capabilities().as_ref()) {
        return Elicitable::No;
    }
    match context.protocol_version() {
        Some(v) if v >= ProtocolVersion::V_2026_07_28 => Elicitable::Mrtr,
        _ => Elicitable::Session,
    }
}

/// How a client's user is asked through elicitation.
#[derive(Clone, Default)]
pub enum ElicitationRoute {
    /// They cannot be (no capability declared).
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
        f.write_str(self.name().unwrap_or("None"))
    }
}

impl ElicitationRoute {
    fn name(&self) -> Option<&'static str> {
        match self {
            ElicitationRoute::None => None,
            ElicitationRoute::Session => Some("Session"),
            ElicitationRoute::Mrtr(_) => Some("Mrtr"),
        }
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

/// One tool call's MCP client: its connection, progress token, how its user
/// can be asked, and the call's cancellation.
#[derive(Clone)]
pub struct McpClient {
    peer: Peer<RoleServer>,
    progress_token: Option<ProgressToken>,
    /// How the user can be asked; the MRTR driver sets its own route.
    pub route: ElicitationRoute,
    /// Cancelled when the client cancels the request; the MRTR driver
    /// clears it, since its call outlives the request that started it.
    pub cancelled: Option<CancellationToken>,
    client_name: Option<String>,
    client_version: Option<String>,
    /// Cancelled when the server stops. rmcp then cancels every request in
    /// flight; that is not the client withdrawing its call, so a durable
    /// request is not withdrawn by it (a restart takes it up).
    server_stopping: Option<CancellationToken>,
}

impl std::fmt::Debug for McpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("McpClient")
            .field("progress_token", &self.progress_token)
            .field("route", &self.route)
            .field("client_name", &self.client_name)
            .finish()
    }
}

impl McpClient {
    /// The client of `request` in `context`. Its progress token is read
    /// here, once, for every progress the call sends. The MRTR route needs a
    /// channel that only the MRTR driver has, so it is left to that driver.
    pub fn of(request: &CallToolRequestParams, context: &RequestContext<RoleServer>) -> McpClient {
        let progress_token = request
            .meta
            .as_ref()
            .and_then(|m| m.get_progress_token())
            .or_else(|| context.meta.get_progress_token());
        McpClient {
            peer: context.peer.clone(),
            progress_token,
            route: match elicitable(context) {
                Elicitable::Session => ElicitationRoute::Session,
                Elicitable::No | Elicitable::Mrtr => ElicitationRoute::None,
            },
            cancelled: Some(context.ct.clone()),
            client_name: context.client_info().map(|i| i.name.clone()),
            client_version: context.client_info().map(|i| i.version),
            server_stopping: None,
        }
    }

    /// The same client, told apart from a stopping server: a request
    /// cancelled because `stopping` was cancelled is not the client's cancel.
    pub fn with_server_stopping(mut self, stopping: Option<CancellationToken>) -> McpClient {
        self.server_stopping = stopping;
        self
    }

    fn server_is_stopping(&self) -> bool {
        self.server_stopping
            .as_ref()
            .is_some_and(CancellationToken::is_cancelled)
    }
}

/// An elicitation request for a question.
fn elicit_request(question: Question) -> Result<ElicitRequestParams, String> {
    Ok(ElicitRequestParams::FormElicitationParams {
        meta: None,
        message: question.message,
        requested_schema: serde_json::from_value(question.form)
            .map_err(|e| format!("the question's form is not an elicitation schema: {e}"))?,
    })
}

/// The answer an `ElicitResult` carries.
fn answer(result: ElicitResult) -> Answer {
    Answer {
        action: match result.action {
            ElicitationAction::Accept => AnswerAction::Accept,
            ElicitationAction::Decline => AnswerAction::Decline,
            ElicitationAction::Cancel => AnswerAction::Cancel,
            _ => AnswerAction::Unknown,
        },
        content: result.content,
    }
}

#[async_trait]
impl ClientPort for McpClient {
    fn wants_progress(&self) -> bool {
        self.progress_token.is_some()
    }

    async fn progress(&self, progress: f64, total: Option<f64>, message: String) {
        let Some(token) = &self.progress_token else {
            return;
        };
        let mut param =
            ProgressNotificationParam::new(token.clone(), progress).with_message(message);
        if let Some(total) = total {
            param = param.with_total(total);
        }
        if let Err(e) = self.peer.notify_progress(param).await {
            tracing::debug!(error = %e, "progress notification not delivered");
        }
    }

    fn question_route(&self) -> Option<&'static str> {
        self.route.name()
    }

    async fn ask(&self, question: Question) -> Result<Answer, String> {
        let request = elicit_request(question)?;
        match &self.route {
            ElicitationRoute::Session => self
                .peer
                .create_elicitation(request)
                .await
                .map(answer)
                .map_err(|e| format!("the client did not answer the elicitation: {e}")),
            ElicitationRoute::Mrtr(tx) => {
                let (reply, answered) = oneshot::channel();
                tx.send(InputNeeded { request, reply }).await.map_err(|_| {
                    "the MCP request ended before the client could be asked".to_string()
                })?;
                let value = answered
                    .await
                    .map_err(|_| "the client did not retry the call with an answer".to_string())?;
                serde_json::from_value::<ElicitResult>(value)
                    .map(answer)
                    .map_err(|e| format!("the client's answer is not an elicitation result: {e}"))
            }
            ElicitationRoute::None => Err("the client cannot be asked".to_string()),
        }
    }

    async fn cancelled(&self) {
        match &self.cancelled {
            Some(token) => {
                token.cancelled().await;
                if self.server_is_stopping() {
                    std::future::pending::<()>().await;
                }
            }
            None => std::future::pending().await,
        }
    }

    fn is_cancelled(&self) -> bool {
        !self.server_is_stopping()
            && self
                .cancelled
                .as_ref()
                .is_some_and(CancellationToken::is_cancelled)
    }

    fn client_name(&self) -> Option<String> {
        self.client_name.clone()
    }

    fn client_version(&self) -> Option<String> {
        self.client_version.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_approval_form_is_an_elicitation_schema() {
        let request = elicit_request(Question {
            message: "approve?".into(),
            form: crate::approval::elicitation::form(),
        })
        .unwrap();
        let ElicitRequestParams::FormElicitationParams {
            requested_schema, ..
        } = request
        else {
            panic!("a form request");
        };
        let schema = serde_json::to_value(requested_schema).unwrap();
        assert_eq!(schema["properties"]["approve"]["type"], "boolean");
    }

    #[test]
    fn answers_keep_their_action_and_content() {
        let mut result = ElicitResult::new(ElicitationAction::Accept);
        result.content = Some(serde_json::json!({"approve": true}));
        let a = answer(result);
        assert_eq!(a.action, AnswerAction::Accept);
        assert_eq!(a.content.unwrap()["approve"], true);
    }
}
