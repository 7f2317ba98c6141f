//! Running one plugin tool call, with or without a durable request behind
//! it. The MCP handler runs calls here, and so does the restart path that
//! takes up an approved request again; both get the same environment, the
//! same failure metrics and the same request bookkeeping.

use std::sync::Arc;

use serde_json::Value;

use crate::app::App;
use crate::approval::client::ClientLink;
use crate::approval::gate::Preapproval;
use crate::approval::grants::CallGrants;
use crate::approval::journal::ApprovalTrail;
use crate::requests::RequestHandle;
use crate::runtime::state::CallEnv;
use crate::runtime::{CallError, LoadedPlugin};
use crate::telemetry::metrics::names;
use crate::vocabulary::VsError;
use crate::vsphere::CallContext;
use crate::vsphere::hooks::Journal;

/// Who and what one call runs for.
#[derive(Debug, Clone, Default)]
pub struct CallSetup {
    /// The call's correlation id.
    pub correlation_id: String,
    /// The MCP session, when known.
    pub session: Option<String>,
    /// Who the bearer token names, when it names someone.
    pub principal: Option<crate::principal::Principal>,
    /// How to reach the client while it waits.
    pub client: ClientLink,
    /// The durable request behind the call, for tools that may change state.
    pub request: Option<RequestHandle>,
    /// A decision already made for this request (an operator approved it
    /// before a restart), which the approval gate uses instead of asking.
    pub preapproved: Option<Preapproval>,
}

/// Run `tool` of `plugin` (registered as `full_name`) with `arguments`, and
/// when a request is behind the call, record how it ended.
pub async fn run_plugin_call(
    app: &App,
    plugin: &Arc<LoadedPlugin>,
    tool: &str,
    full_name: &str,
    arguments: &Value,
    setup: CallSetup,
) -> Result<Value, VsError> {
    let request = setup.request.clone();
    let journal = request
        .clone()
        .map(|r| Arc::new(r) as Arc<dyn crate::vsphere::hooks::CallJournal>);
    let trail = request
        .clone()
        .map(|r| Arc::new(r) as Arc<dyn crate::approval::journal::ApprovalJournal>);
    let env = Arc::new(CallEnv {
        tool: full_name.to_string(),
        ctx: CallContext {
            correlation_id: setup.correlation_id.clone(),
            progress: setup.client.task_progress_hook(),
            journal: Journal(journal),
            ..Default::default()
        },
        session: setup.session,
        principal: setup.principal,
        client: setup.client,
        grants: CallGrants::default(),
        locks: Default::default(),
        approval_trail: ApprovalTrail(trail),
        preapproved: setup.preapproved,
        services: app.services.clone(),
        runtime: tokio::runtime::Handle::current(),
    });
    let outcome = match app
        .runtime
        .call(plugin, tool, arguments.to_string(), env)
        .await
    {
        Ok(text) => serde_json::from_str(&text).map_err(|e| {
            VsError::Internal(format!(
                "plugin `{}` returned a result that is not JSON: {e}",
                plugin.identity.group
            ))
        }),
        Err(CallError::Tool(e)) => Err(e),
        Err(CallError::Plugin { kind, error }) => {
            app.services.metrics.inc(
                names::PLUGIN_FAILURES,
                vec![
                    ("plugin", plugin.identity.group.clone()),
                    ("kind", kind.to_string()),
                ],
            );
            Err(error)
        }
    };
    if let Some(request) = &request {
        request.finish(&outcome);
    }
    outcome
}
