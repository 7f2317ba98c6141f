//! OAuth 2.1 on the MCP port, against a real OpenID provider
//! (node-oidc-provider, started by the test): tokens by client credentials
//! and by authorization code with PKCE are accepted and name the requester
//! on the approvals API and in the audit trail; a wrong audience, an expired
//! token, a bad signature and an unknown key id each get 401 with the
//! challenge MCP clients follow; a rotated key is picked up; a read-only
//! token is refused (403 insufficient_scope) before any approval exists;
//! named MCP tokens name their agent; and `require_distinct_approver` keeps
//! a requester from approving their own request.

use std::time::Duration;

use rmcp::ServiceExt;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::{Value, json};
use vmware_mcp_e2e::admin::{self, Operator, audit_records};
use vmware_mcp_e2e::oidc::{self, Provider};
use vmware_mcp_e2e::{Server, ServerOptions, call, scratch_dir, scratch_file};

const OFF: &str = "infra.vmware.vms.powerOffVm";
const SCOPES: &str = "vmware.read vmware.operate";

/// A demo server with the admin API, taking tokens from `provider`.
fn options(test: &str, provider: &Provider) -> ServerOptions {
    admin::options(test, 60)
        .env("OAUTH_ISSUER", &provider.issuer)
        .env("OAUTH_ALLOW_HTTP_ISSUER", "true")
        .env("OAUTH_CLOCK_SKEW_SECS", "0")
        .env("OAUTH_JWKS_MIN_REFRESH_SECS", "1")
}

async fn client_with(
    server: &Server,
    token: &str,
) -> rmcp::service::RunningService<rmcp::RoleClient, ()> {
    let transport = StreamableHttpClientTransport::from_config(
        StreamableHttpClientTransportConfig::with_uri(server.mcp_url()).auth_header(token),
    );
    ().serve(transport)
        .await
        .expect("MCP client connects with the token")
}

/// POST a JSON-RPC message to `/mcp` with `token`; (status, WWW-Authenticate, body).
async fn post(server: &Server, token: Option<&str>, message: Value) -> (u16, String, String) {
    let mut request = reqwest::Client::new()
        .post(server.mcp_url())
        .header("accept", "application/json, text/event-stream")
        .json(&message);
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    let response = request.send().await.expect("/mcp answers");
    let status = response.status().as_u16();
    let www = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, www, response.text().await.unwrap_or_default())
}

fn initialize() -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "e2e", "version": "1"}}})
}

async fn powered_on_vm(client: &rmcp::service::RunningService<rmcp::RoleClient, ()>) -> String {
    let list = call(client, "infra.vmware.vms.listVMs", json!({}))
        .await
        .unwrap();
    assert!(!list.is_error, "listVMs with the token: {}", list.text);
    let vms = list.json["vms"].as_array().unwrap().clone();
    vms.iter()
        .filter(|v| v["powerState"] == "poweredOn")
        .map(|v| v["name"].as_str().unwrap().to_string())
        .find(|n| vms.iter().filter(|v| v["name"] == n.as_str()).count() == 1)
        .unwrap()
}

/// A named-tokens file (label → token, with optional scopes).
fn tokens_file(test: &str, file: &str, entries: &[(&str, &str, Option<&str>)]) -> String {
    use sha2::Digest;
    let text: String = entries
        .iter()
        .map(|(label, token, scopes)| {
            let hash: String = sha2::Sha256::digest(token.as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            let scopes = scopes
                .map(|s| format!("scopes = [\"{s}\"]\n"))
                .unwrap_or_default();
            format!("[[token]]\nlabel = \"{label}\"\nsha256 = \"{hash}\"\n{scopes}\n")
        })
        .collect();
    scratch_file(test, file, &text)
}

async fn decide(op: &Operator, id: &str, token: &str, body: Value) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(format!("{}/api/approvals/{id}/approve", op.url))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_credentials_token_names_its_client_in_the_approval_the_audit_trail_and_the_log() {
    let name = "oauth-cc";
    let provider = Provider::start();
    let audit = scratch_dir(name).join("audit.jsonl");
    let _ = std::fs::remove_file(&audit);
    let admins = tokens_file(
        name,
        "admin-tokens.toml",
        &[("bob", "bob-admin-token-1", None)],
    );
    let server = Server::start(
        name,
        options(name, &provider)
            .env("AUDIT_LOG_PATH", audit.display().to_string())
            .env("ADMIN_TOKENS_PATH", admins),
    );
    let op = Operator::of(&server, name);
    // RS256 (agent) and ES256 (agent-es) tokens both work.
    let es = provider
        .client_credentials("agent-es", "vmware.read", &server.mcp_url())
        .await;
    assert_eq!(oidc::header(&es)["alg"], "ES256");
    let es_client = client_with(&server, &es).await;
    powered_on_vm(&es_client).await;

    let token = provider
        .client_credentials("agent", SCOPES, &server.mcp_url())
        .await;
    assert_eq!(oidc::header(&token)["alg"], "RS256");
    assert_eq!(oidc::claims(&token)["aud"], server.mcp_url());
    let client = client_with(&server, &token).await;
    let vm = powered_on_vm(&client).await;
    let (outcome, pending) = tokio::join!(call(&client, OFF, json!({"vmName": vm})), async {
        let pending = op.wait_for_pending(OFF).await;
        let id = pending["id"].as_str().unwrap().to_string();
        // The named admin token's label is recorded, not the name the body claims.
        let (status, view) = decide(
            &op,
            &id,
            "bob-admin-token-1",
            json!({"approver": "mallory", "reason": "ok"}),
        )
        .await;
        assert_eq!(status, 200, "{view}");
        assert_eq!(view["decided_by"], "operator:bob", "{view}");
        pending
    });
    let outcome = outcome.unwrap();
    assert!(
        !outcome.is_error,
        "the approved power-off: {}",
        outcome.text
    );
    assert_eq!(pending["requested_by"], "agent", "{pending}");
    assert_eq!(pending["requester_identity"], "agent", "{pending}");
    let via = pending["requester_client"].as_str().unwrap_or_default();
    assert!(
        via.contains("rmcp") && via.contains("OAuth client agent"),
        "{pending}"
    );

    let records = audit_records(&audit);
    let decision = records
        .iter()
        .find(|r| r["event"] == "approval_decision" && r["tool"] == OFF)
        .unwrap_or_else(|| panic!("no decision on the trail: {records:?}"));
    assert_eq!(decision["requested_by"], "agent", "{decision}");
    assert_eq!(decision["decided_by"], "operator:bob", "{decision}");
    assert!(
        server
            .log_lines()
            .iter()
            .any(|l| l["message"] == "tool call started" && l["requested_by"] == "agent"),
        "the log names the requester"
    );
    for message in ["request created", "approval requested"] {
        assert!(
            server
                .log_lines()
                .iter()
                .any(|l| l["message"] == message && l["requested_by"] == "agent"),
            "the {message:?} line names the requester"
        );
    }
    assert!(
        !server.log_text().contains(&token),
        "the token is never logged"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_authorization_code_token_names_the_person_and_they_cannot_approve_their_own_request() {
    let name = "oauth-code";
    let provider = Provider::start();
    let audit = scratch_dir(name).join("audit.jsonl");
    let _ = std::fs::remove_file(&audit);
    let policy = scratch_file(
        name,
        "policy.toml",
        "default = \"ask\"\nrequire_distinct_approver = true\n",
    );
    let admins = tokens_file(
        name,
        "admin-tokens.toml",
        &[
            ("alice@example.com", "alice-admin-token", None),
            ("bob", "bob-admin-token-2", None),
        ],
    );
    let server = Server::start(
        name,
        options(name, &provider)
            .env("AUDIT_LOG_PATH", audit.display().to_string())
            .env("APPROVAL_POLICY_PATH", policy)
            .env("ADMIN_TOKENS_PATH", admins),
    );
    let op = Operator::of(&server, name);
    let token = provider
        .authorization_code(&format!("openid email {SCOPES}"), &server.mcp_url())
        .await;
    let claims = oidc::claims(&token);
    assert_eq!(claims["sub"], "alice");
    assert_eq!(claims["client_id"], "ide");
    let client = client_with(&server, &token).await;
    let vm = powered_on_vm(&client).await;
    let (outcome, pending) = tokio::join!(call(&client, OFF, json!({"vmName": vm})), async {
        let pending = op.wait_for_pending(OFF).await;
        let id = pending["id"].as_str().unwrap().to_string();
        // Alice may not approve her own request, by token or by name.
        let (status, body) = decide(&op, &id, "alice-admin-token", json!({})).await;
        assert_eq!(status, 403, "{body}");
        assert!(
            body["error"]
                .as_str()
                .unwrap()
                .contains("require_distinct_approver"),
            "{body}"
        );
        let (status, body) = decide(&op, &id, admin::TOKEN, json!({"approver": "ALICE"})).await;
        assert_eq!(status, 403, "by subject, any case: {body}");
        let (status, body) = decide(&op, &id, admin::TOKEN, json!({})).await;
        assert_eq!(
            status, 400,
            "an unnamed approver is refused under the rule: {body}"
        );
        let (_, still) = op
            .get(&format!("/api/approvals/{id}"), Some(admin::TOKEN))
            .await;
        assert_eq!(still["status"], "pending", "{still}");
        let (status, view) =
            decide(&op, &id, "bob-admin-token-2", json!({"reason": "checked"})).await;
        assert_eq!(status, 200, "{view}");
        assert_eq!(view["decided_by"], "operator:bob");
        pending
    });
    let outcome = outcome.unwrap();
    assert!(!outcome.is_error, "approved by bob: {}", outcome.text);
    assert_eq!(pending["requested_by"], "alice@example.com", "{pending}");
    assert_eq!(pending["requester_identity"], "alice", "{pending}");
    assert!(
        pending["requester_client"]
            .as_str()
            .unwrap()
            .contains("OAuth client ide"),
        "{pending}"
    );
    let records = audit_records(&audit);
    let decision = records
        .iter()
        .find(|r| r["event"] == "approval_decision" && r["tool"] == OFF)
        .unwrap();
    assert_eq!(decision["requested_by"], "alice@example.com", "{decision}");
    assert_eq!(decision["requester_identity"], "alice", "{decision}");
    assert_eq!(decision["decided_by"], "operator:bob", "{decision}");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_tokens_get_401_with_the_challenge_and_the_metadata_says_where_to_get_one() {
    let name = "oauth-401";
    let provider = Provider::start();
    let server = Server::start(name, options(name, &provider));
    let metadata_url = format!(
        "{}/.well-known/oauth-protected-resource/mcp",
        server.base_url
    );

    let (status, www, _) = post(&server, None, initialize()).await;
    assert_eq!(status, 401);
    assert_eq!(
        www,
        format!("Bearer resource_metadata=\"{metadata_url}\", scope=\"vmware.read\"")
    );
    for url in [
        metadata_url.clone(),
        format!("{}/.well-known/oauth-protected-resource", server.base_url),
    ] {
        let doc: Value = reqwest::get(&url).await.unwrap().json().await.unwrap();
        assert_eq!(doc["resource"], server.mcp_url(), "{doc}");
        assert_eq!(
            doc["authorization_servers"],
            json!([provider.issuer]),
            "{doc}"
        );
        assert_eq!(
            doc["scopes_supported"],
            json!(["vmware.read", "vmware.operate"]),
            "{doc}"
        );
    }

    let good = provider
        .client_credentials("agent", SCOPES, &server.mcp_url())
        .await;
    let (status, _, _) = post(&server, Some(&good), initialize()).await;
    assert_eq!(status, 200, "the valid token is accepted");

    let elsewhere = provider
        .client_credentials("agent", SCOPES, "https://elsewhere.example/mcp")
        .await;
    let (dot, _) = good.rsplit_once('.').unwrap();
    let sig = &good[dot.len() + 1..];
    let flipped = if sig.starts_with('A') { "B" } else { "A" };
    let bad_signature = format!("{dot}.{flipped}{}", &sig[1..]);
    let unknown_kid = provider.forged(&server.mcp_url()).await;
    let brief = provider
        .client_credentials("brief", SCOPES, &server.mcp_url())
        .await;
    let (status, _, _) = post(&server, Some(&brief), initialize()).await;
    assert_eq!(status, 200, "the short-lived token works while it lives");
    tokio::time::sleep(Duration::from_millis(3200)).await;
    for (what, token, says) in [
        ("a wrong audience", elsewhere, "audience"),
        ("a bad signature", bad_signature, "signature"),
        ("an unknown kid", unknown_kid, "kid"),
        ("an expired token", brief, "expired"),
    ] {
        let (status, www, body) = post(&server, Some(&token), initialize()).await;
        assert_eq!(status, 401, "{what}: {body}");
        assert!(
            www.starts_with("Bearer error=\"invalid_token\", error_description=\"")
                && www.contains(says)
                && www.ends_with(&format!(
                    "resource_metadata=\"{metadata_url}\", scope=\"vmware.read\""
                )),
            "{what}: {www}"
        );
        assert!(
            !server.log_text().contains(&token),
            "{what}: the token is never logged"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rotated_signing_key_is_picked_up() {
    let name = "oauth-rotate";
    let provider = Provider::start();
    let server = Server::start(name, options(name, &provider));
    let before = provider
        .client_credentials("agent", SCOPES, &server.mcp_url())
        .await;
    let (status, _, _) = post(&server, Some(&before), initialize()).await;
    assert_eq!(status, 200);
    let old_kid = oidc::header(&before)["kid"].clone();
    // Past OAUTH_JWKS_MIN_REFRESH_SECS, so the unknown kid may refresh the keys.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let kid = provider.rotate().await;
    let after = provider
        .client_credentials("agent", SCOPES, &server.mcp_url())
        .await;
    assert_eq!(oidc::header(&after)["kid"], kid.as_str());
    assert_ne!(oidc::header(&after)["kid"], old_kid);
    let (status, _, body) = post(&server, Some(&after), initialize()).await;
    assert_eq!(status, 200, "a token signed by the new key: {body}");
    let (status, _, _) = post(&server, Some(&before), initialize()).await;
    assert_eq!(status, 200, "the old key is still published");
    let fetches = server
        .log_lines()
        .iter()
        .filter(|l| l["message"] == "OAuth signing keys fetched")
        .count();
    assert_eq!(
        fetches, 2,
        "fetched once at first use and once for the new kid"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_read_only_token_is_refused_before_any_approval_exists() {
    let name = "oauth-scope";
    let provider = Provider::start();
    let audit = scratch_dir(name).join("audit.jsonl");
    let _ = std::fs::remove_file(&audit);
    let server = Server::start(
        name,
        options(name, &provider).env("AUDIT_LOG_PATH", audit.display().to_string()),
    );
    let op = Operator::of(&server, name);
    let reader = provider
        .client_credentials("reader", "vmware.read", &server.mcp_url())
        .await;
    let client = client_with(&server, &reader).await;
    let vm = powered_on_vm(&client).await;
    let tools_call = json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call",
        "params": {"name": OFF, "arguments": {"vmName": vm}}});
    let (status, www, body) = post(&server, Some(&reader), tools_call).await;
    assert_eq!(status, 403, "{body}");
    assert!(
        www.starts_with("Bearer error=\"insufficient_scope\", scope=\"vmware.read vmware.operate\", resource_metadata="),
        "{www}"
    );
    // Through a real MCP client too: the call fails, nothing waits.
    let refused = tokio::time::timeout(
        Duration::from_secs(20),
        call(&client, OFF, json!({"vmName": vm})),
    )
    .await
    .expect("the refusal is immediate");
    assert!(
        refused.is_err() || refused.as_ref().unwrap().is_error,
        "{refused:?}"
    );
    let (_, approvals) = op.get("/api/approvals", Some(admin::TOKEN)).await;
    assert_eq!(approvals["pending"], json!([]), "{approvals}");
    assert_eq!(approvals["recent"], json!([]), "{approvals}");
    assert!(
        audit_records(&audit).is_empty(),
        "nothing reached the audit trail"
    );
    assert!(
        !server
            .log_lines()
            .iter()
            .any(|l| l["message"] == "request created"),
        "no request was created"
    );
    let state = first_vm_state(&client, &vm).await;
    assert_eq!(state, "poweredOn", "the VM is untouched");
}

async fn first_vm_state(
    client: &rmcp::service::RunningService<rmcp::RoleClient, ()>,
    vm: &str,
) -> String {
    let info = call(client, "infra.vmware.vms.getVMInfo", json!({"vmName": vm}))
        .await
        .unwrap();
    info.json["powerState"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn named_mcp_tokens_are_each_agents_identity() {
    let name = "oauth-named";
    let tokens = tokens_file(
        name,
        "mcp-tokens.toml",
        &[
            ("ci-agent", "ci-agent-token-77", None),
            ("viewer", "viewer-token-88", Some("vmware.read")),
        ],
    );
    let server = Server::start(
        name,
        admin::options(name, 60).env("MCP_TOKENS_PATH", tokens),
    );
    let op = Operator::of(&server, name);
    let (status, www, _) = post(&server, Some("not-listed"), initialize()).await;
    assert_eq!(status, 401);
    assert!(www.contains("invalid_token"), "{www}");
    let client = client_with(&server, "ci-agent-token-77").await;
    let vm = powered_on_vm(&client).await;
    let (outcome, pending) = tokio::join!(call(&client, OFF, json!({"vmName": vm})), async {
        let pending = op.wait_for_pending(OFF).await;
        let id = pending["id"].as_str().unwrap().to_string();
        let (status, _) = decide(&op, &id, admin::TOKEN, json!({"approver": "carol"})).await;
        assert_eq!(status, 200);
        pending
    });
    assert!(!outcome.unwrap().is_error);
    assert_eq!(pending["requested_by"], "ci-agent", "{pending}");
    let viewer = client_with(&server, "viewer-token-88").await;
    powered_on_vm(&viewer).await;
    let tools_call = json!({"jsonrpc": "2.0", "id": 9, "method": "tools/call",
        "params": {"name": OFF, "arguments": {"vmName": vm}}});
    let (status, www, _) = post(&server, Some("viewer-token-88"), tools_call).await;
    assert_eq!(status, 403);
    assert!(www.contains("insufficient_scope"), "{www}");
    let log = server.log_text();
    assert!(!log.contains("ci-agent-token-77") && !log.contains("viewer-token-88"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_issuer_that_does_not_answer_is_a_503_not_a_bad_token() {
    let name = "oauth-down";
    let provider = Provider::start();
    let options = options(name, &provider).env("OAUTH_JWKS_MIN_REFRESH_SECS", "30");
    let server = Server::start(name, options);
    let token = provider
        .client_credentials("agent", SCOPES, &server.mcp_url())
        .await;
    drop(provider);
    // The first use fetches the keys and fails; the next, inside the
    // refresh interval, is told the same rather than "unknown key".
    for attempt in ["first", "second"] {
        let (status, www, body) = post(&server, Some(&token), initialize()).await;
        assert_eq!(status, 503, "{attempt}: {body}");
        assert!(www.is_empty(), "{attempt}: not a token problem: {www}");
        assert!(body.contains("identity provider"), "{attempt}: {body}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn require_distinct_approver_turns_elicitation_off() {
    let name = "oauth-distinct-elicit";
    let policy = scratch_file(name, "policy.toml", "require_distinct_approver = true\n");
    let server = Server::start(
        name,
        admin::options(name, 60)
            .env("APPROVAL_POLICY_PATH", policy)
            .env("APPROVAL_ELICITATION", "true"),
    );
    let lines = server.log_lines();
    let channels = lines
        .iter()
        .find(|l| l["message"] == "approval policy and channels")
        .expect("the channels are logged");
    assert_eq!(channels["elicitation"], false, "{channels}");
    assert_eq!(channels["operator_channel"], true, "{channels}");
    assert!(
        lines.iter().any(|l| l["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("APPROVAL_ELICITATION is ignored"))),
        "a warning says why"
    );
}
