//! Approval by MCP elicitation, with real rmcp clients that answer it: in
//! session mode (protocol 2025-11-25, a server-to-client request) and by
//! multi round-trip requests (protocol 2026-07-28, `InputRequiredResult`).
//! Accept leads to the action (checked by a second read), decline to an
//! error with nothing changed. Elicitation is only used when the operator
//! turned it on, and a client without the capability falls back to the
//! operator channels.

use std::sync::{Arc, Mutex};

use rmcp::handler::client::ClientHandler;
use rmcp::model::{
    CallToolRequestParams, ClientCapabilities, ClientConfig, ElicitRequestParams, ElicitResult,
    ElicitationAction, Implementation, ProtocolVersion,
};
use rmcp::service::{RequestContext, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::{ClientLifecycleMode, ClientServiceExt, ErrorData, RoleClient, ServiceExt};
use serde_json::{Value, json};
use vmware_mcp_e2e::admin::{self, Operator, TOKEN, audit_records};
use vmware_mcp_e2e::{Server, call, scratch_dir};

const OFF: &str = "infra.vmware.vms.powerOffVm";

/// A client whose "user" answers every elicitation with a preset answer.
#[derive(Clone)]
struct User {
    answer: Arc<Mutex<(ElicitationAction, Value)>>,
    asked: Arc<Mutex<Vec<String>>>,
}

impl User {
    fn new() -> Self {
        User {
            answer: Arc::new(Mutex::new((ElicitationAction::Decline, Value::Null))),
            asked: Arc::default(),
        }
    }

    fn will(&self, action: ElicitationAction, content: Value) {
        *self.answer.lock().unwrap() = (action, content);
    }

    fn asked(&self) -> Vec<String> {
        self.asked.lock().unwrap().clone()
    }
}

impl ClientHandler for User {
    fn get_info(&self) -> ClientConfig {
        let capabilities: ClientCapabilities =
            serde_json::from_value(json!({"elicitation": {"form": {}}})).unwrap();
        ClientConfig::new(
            capabilities,
            Implementation::new("e2e-user-client", "1.0.0"),
        )
    }

    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        if let ElicitRequestParams::FormElicitationParams {
            message,
            requested_schema,
            ..
        } = &request
        {
            let schema = serde_json::to_value(requested_schema).unwrap();
            assert_eq!(
                schema["properties"]["approve"]["type"], "boolean",
                "{schema}"
            );
            self.asked.lock().unwrap().push(message.clone());
        }
        let (action, content) = self.answer.lock().unwrap().clone();
        let mut result = ElicitResult::new(action);
        if !content.is_null() {
            result.content = Some(content);
        }
        Ok(result)
    }
}

async fn connect(server: &Server, user: &User, mrtr: bool) -> RunningService<RoleClient, User> {
    let transport = StreamableHttpClientTransport::from_uri(server.mcp_url());
    if mrtr {
        user.clone()
            .serve_with_lifecycle(
                transport,
                ClientLifecycleMode::Discover {
                    preferred_versions: vec![ProtocolVersion::V_2026_07_28],
                },
            )
            .await
            .expect("a 2026-07-28 client connects")
    } else {
        user.clone()
            .serve(transport)
            .await
            .expect("a session client connects")
    }
}

async fn call_as<S: rmcp::service::Service<RoleClient>>(
    client: &RunningService<RoleClient, S>,
    tool: &str,
    args: Value,
) -> (bool, Value) {
    let mut p = CallToolRequestParams::new(tool.to_string());
    p.arguments = Some(args.as_object().unwrap().clone());
    let r = client.call_tool(p).await.expect("the call completes");
    let text = r
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .next()
        .unwrap_or_default();
    let json = r
        .structured_content
        .clone()
        .or_else(|| serde_json::from_str(&text).ok())
        .unwrap_or(Value::Null);
    (r.is_error.unwrap_or(false), json)
}

async fn two_powered_on(client: &RunningService<RoleClient, ()>) -> (String, String) {
    let list = call(client, "infra.vmware.vms.listVMs", json!({}))
        .await
        .unwrap()
        .json;
    let vms = list["vms"].as_array().unwrap();
    let unique: Vec<String> = vms
        .iter()
        .filter(|v| v["powerState"] == "poweredOn")
        .map(|v| v["name"].as_str().unwrap().to_string())
        .filter(|n| vms.iter().filter(|v| v["name"] == n.as_str()).count() == 1)
        .collect();
    (unique[0].clone(), unique[1].clone())
}

async fn state(client: &RunningService<RoleClient, ()>, vm: &str) -> Value {
    call(client, "infra.vmware.vms.getVMInfo", json!({"vmName": vm}))
        .await
        .unwrap()
        .json["powerState"]
        .clone()
}

async fn accept_and_decline(mrtr: bool) {
    let name = if mrtr {
        "appr-elicit-mrtr"
    } else {
        "appr-elicit-session"
    };
    let audit = scratch_dir(name).join("audit.jsonl");
    let _ = std::fs::remove_file(&audit);
    let server = Server::start(
        name,
        admin::options(name, 60)
            .env("APPROVAL_ELICITATION", "true")
            .env("AUDIT_LOG_PATH", audit.display().to_string()),
    );
    let op = Operator::of(&server, name);
    let reader = server.client().await;
    let (keep, stop) = two_powered_on(&reader).await;
    let user = User::new();
    let client = connect(&server, &user, mrtr).await;

    // Decline: an error, nothing changes, no operator was involved.
    user.will(ElicitationAction::Decline, Value::Null);
    let (is_error, body) = call_as(&client, OFF, json!({"vmName": keep})).await;
    assert!(is_error, "{body}");
    assert_eq!(body["error"]["kind"], "approval_denied", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("declined"),
        "{body}"
    );
    assert_eq!(state(&reader, &keep).await, "poweredOn", "nothing changed");

    // Accept without ticking approve is no approval either.
    user.will(ElicitationAction::Accept, json!({"approve": false}));
    let (is_error, body) = call_as(&client, OFF, json!({"vmName": keep})).await;
    assert!(
        is_error && body["error"]["kind"] == "approval_denied",
        "{body}"
    );
    assert_eq!(state(&reader, &keep).await, "poweredOn");

    // Accept with the tick: the action happens.
    user.will(
        ElicitationAction::Accept,
        json!({"approve": true, "reason": "looks right"}),
    );
    let (is_error, body) = call_as(&client, OFF, json!({"vmName": stop})).await;
    assert!(!is_error, "{body}");
    assert_eq!(state(&reader, &stop).await, "poweredOff", "second read");

    let asked = user.asked();
    assert_eq!(asked.len(), 3, "{asked:?}");
    assert!(
        asked[2].contains(&stop) && asked[2].contains("PowerOffVM_Task") && asked[2].contains(OFF),
        "the user is told what would change: {}",
        asked[2]
    );
    let (_, list) = op.get("/api/approvals", Some(TOKEN)).await;
    assert!(
        list["pending"].as_array().unwrap().is_empty()
            && list["recent"].as_array().unwrap().is_empty(),
        "operators were not asked: {list}"
    );
    let decisions: Vec<Value> = audit_records(&audit)
        .into_iter()
        .filter(|r| r["event"] == "approval_decision")
        .collect();
    let summary: Vec<(&str, &str)> = decisions
        .iter()
        .map(|d| {
            (
                d["decision"].as_str().unwrap(),
                d["decided_by"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("denied", "elicitation:e2e-user-client"),
            ("denied", "elicitation:e2e-user-client"),
            ("approved", "elicitation:e2e-user-client")
        ]
    );
    assert_eq!(decisions[2]["reason"], "looks right");
    let route = if mrtr { "Mrtr" } else { "Session" };
    assert_eq!(
        server
            .log_lines()
            .iter()
            .filter(|l| l["route"] == route)
            .count(),
        3,
        "every approval went the {route} way"
    );
    assert!(
        decisions[2]["approval_id"]
            .as_str()
            .unwrap()
            .starts_with("req-")
    );
    client.cancel().await.ok();
    reader.cancel().await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_client_user_approves_or_declines_by_elicitation() {
    accept_and_decline(false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_2026_client_user_approves_or_declines_by_input_required_rounds() {
    accept_and_decline(true).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn elicitation_is_off_by_default_and_clients_without_it_fall_back_to_operators() {
    let name = "appr-elicit-fallback";
    // Off by default: a capable client is not asked; the operators are.
    let server = Server::start(name, admin::options(name, 60));
    let op = Operator::of(&server, name);
    let reader = server.client().await;
    let (vm, _) = two_powered_on(&reader).await;
    let user = User::new();
    user.will(ElicitationAction::Accept, json!({"approve": true}));
    let client = connect(&server, &user, false).await;
    let (result, _) = tokio::join!(call_as(&client, OFF, json!({"vmName": vm})), async {
        let id = op.wait_for_pending(OFF).await["id"]
            .as_str()
            .unwrap()
            .to_string();
        let op = op.clone();
        tokio::task::spawn_blocking(move || op.cli(&["deny", &id, "--reason", "no"]))
            .await
            .unwrap()
    });
    assert!(
        result.0 && result.1["error"]["kind"] == "approval_denied",
        "{}",
        result.1
    );
    assert!(
        user.asked().is_empty(),
        "elicitation is off unless APPROVAL_ELICITATION=true"
    );
    client.cancel().await.ok();
    reader.cancel().await.ok();
    drop(server);

    // On, but the client declares no elicitation capability: operators decide.
    let server = Server::start(
        name,
        admin::options(name, 60).env("APPROVAL_ELICITATION", "true"),
    );
    let op = Operator::of(&server, name);
    let plain = server.client().await;
    let (outcome, _) = tokio::join!(call(&plain, OFF, json!({"vmName": vm})), async {
        let id = op.wait_for_pending(OFF).await["id"]
            .as_str()
            .unwrap()
            .to_string();
        let op = op.clone();
        tokio::task::spawn_blocking(move || op.cli(&["approve", &id]))
            .await
            .unwrap()
    });
    let outcome = outcome.unwrap();
    assert!(!outcome.is_error, "{}", outcome.text);
    assert_eq!(state(&plain, &vm).await, "poweredOff");
    plain.cancel().await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn input_required_rounds_are_single_use_and_bound_to_the_tool() {
    use rmcp::model::{CallToolResponse, InputRequest};

    let name = "appr-elicit-rounds";
    let server = Server::start(
        name,
        admin::options(name, 60).env("APPROVAL_ELICITATION", "true"),
    );
    let reader = server.client().await;
    let (vm, _) = two_powered_on(&reader).await;
    let user = User::new();
    let client = connect(&server, &user, true).await;
    let mut params = CallToolRequestParams::new(OFF);
    params.arguments = Some(json!({"vmName": vm}).as_object().unwrap().clone());

    // Round one: the server answers with an elicitation to fulfil, not a result.
    let first = client
        .call_tool_once(params.clone())
        .await
        .expect("round one");
    let CallToolResponse::InputRequired(input) = first else {
        panic!("expected InputRequiredResult, got {first:?}");
    };
    let handle = input.request_state.clone().expect("a requestState handle");
    let requests = input.input_requests.clone().expect("input requests");
    let Some(InputRequest::Elicitation(request)) = requests.get("approval") else {
        panic!("an approval elicitation: {requests:?}");
    };
    let message = serde_json::to_value(&request.params).unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.contains(&vm) && message.contains("PowerOffVM_Task"),
        "{message}"
    );
    assert_eq!(
        state(&reader, &vm).await,
        "poweredOn",
        "nothing happens before the answer"
    );

    // The handle does not resume another tool's call.
    let mut wrong = CallToolRequestParams::new("infra.vmware.vms.rebootVm");
    wrong.arguments = params.arguments.clone();
    wrong.request_state = Some(handle.clone());
    assert!(client.call_tool_once(wrong).await.is_err());

    // Round two with the user's yes: the call completes.
    let mut answer = std::collections::BTreeMap::new();
    answer.insert(
        "approval".to_string(),
        json!({"action": "accept", "content": {"approve": true}}),
    );
    let mut retry = params.clone();
    retry.request_state = Some(handle.clone());
    retry.input_responses = Some(answer.clone());
    match client
        .call_tool_once(retry.clone())
        .await
        .expect("round two")
    {
        CallToolResponse::Complete(result) => assert_ne!(result.is_error, Some(true), "{result:?}"),
        other => panic!("expected the result, got {other:?}"),
    }
    assert_eq!(state(&reader, &vm).await, "poweredOff", "second read");

    // The handle is single-use: replaying the answer is refused.
    let replay = client.call_tool_once(retry).await;
    assert!(replay.is_err(), "{replay:?}");
    client.cancel().await.ok();
    reader.cancel().await.ok();
}
