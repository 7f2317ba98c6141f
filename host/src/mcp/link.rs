//! Builds the [`ClientLink`] of a tool call from rmcp's request context:
//! the peer and progress token for progress notifications, the call's
//! cancellation, and whether (and how) the client can be asked to approve
//! by elicitation.

use rmcp::RoleServer;
use rmcp::model::{CallToolRequestParams, ClientCapabilities, ProtocolVersion};
use rmcp::service::RequestContext;

use crate::approval::client::{ClientLink, ElicitationRoute};

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

/// The link for a call made by `request` in `context`. The MRTR route needs a
/// channel that only the MRTR driver has, so it is left to that driver.
pub fn client_link(
    request: &CallToolRequestParams,
    context: &RequestContext<RoleServer>,
) -> ClientLink {
    let progress_token = request
        .meta
        .as_ref()
        .and_then(|m| m.get_progress_token())
        .or_else(|| context.meta.get_progress_token());
    ClientLink {
        peer: Some(context.peer.clone()),
        progress_token,
        elicitation: match elicitable(context) {
            Elicitable::Session => ElicitationRoute::Session,
            Elicitable::No | Elicitable::Mrtr => ElicitationRoute::None,
        },
        cancelled: Some(context.ct.clone()),
        client_name: context.client_info().map(|i| i.name),
    }
}
