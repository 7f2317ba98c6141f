//! Operators hear about approvals where they work (issue 19, point 1): on
//! each new approval, decision and expiry the server POSTs to the
//! configured receivers, here small HTTP servers of the test's own on
//! 127.0.0.1 that record what they get.
//!
//! - The `json` format is signed: the receiver recomputes the HMAC-SHA256
//!   of `"<t>.<body>"` with the key and checks every fact of a request, an
//!   approval and an expiry.
//! - Slack gets Block Kit blocks with a text fallback; Teams an Adaptive Card.
//! - A receiver that answers 503 is tried again (the attempts are counted),
//!   one whose port is closed is given up and `/metrics` says so; the call
//!   is unaffected.
//! - A receiver that takes 10 s to answer delays neither the decision nor
//!   the call: both are done before it has answered once.
//! - Neither the key nor a webhook URL's token appears in the server's output.
//! - Bad settings stop the server at start, saying what is valid.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use vmware_mcp_e2e::admin::{Operator, TOKEN, options};
use vmware_mcp_e2e::{Server, ServerOptions, call, first_vm, scratch_file};

const KEY: &str = "whsec-e2e-7Qm4-secret";
const POWER_OFF: &str = "infra.vmware.vms.powerOffVm";

/// One request a receiver got.
#[derive(Debug, Clone)]
struct Got {
    /// Header names in lower case.
    headers: Vec<(String, String)>,
    body: String,
}

impl Got {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

/// A webhook receiver: it answers each request with the next status of its
/// script (the last one from then on), after `delay`.
#[derive(Clone)]
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Got>>>,
    answered: Arc<Mutex<usize>>,
}

impl Receiver {
    async fn start(path: &str, statuses: &[u16], delay: Duration) -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port for the receiver");
        let receiver = Receiver {
            url: format!("http://{}{path}", listener.local_addr().unwrap()),
            got: Arc::default(),
            answered: Arc::default(),
        };
        let statuses = statuses.to_vec();
        let (got, answered) = (receiver.got.clone(), receiver.answered.clone());
        let _accepting = tokio::spawn(async move {
            let next = Arc::new(Mutex::new(0usize));
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    return;
                };
                let (got, answered, next, statuses) = (
                    got.clone(),
                    answered.clone(),
                    next.clone(),
                    statuses.clone(),
                );
                tokio::spawn(async move {
                    let mut socket = socket;
                    let Some(request) = read_request(&mut socket).await else {
                        return;
                    };
                    got.lock().unwrap().push(request);
                    let status = {
                        let mut n = next.lock().unwrap();
                        let s = statuses[(*n).min(statuses.len() - 1)];
                        *n += 1;
                        s
                    };
                    tokio::time::sleep(delay).await;
                    *answered.lock().unwrap() += 1;
                    let reply = format!(
                        "HTTP/1.1 {status} Test\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"
                    );
                    let _ = socket.write_all(reply.as_bytes()).await;
                });
            }
        });
        receiver
    }

    fn got(&self) -> Vec<Got> {
        self.got.lock().unwrap().clone()
    }

    fn answered(&self) -> usize {
        *self.answered.lock().unwrap()
    }

    /// Wait for a request whose event header is `event` and whose body
    /// names `approval`; fails after 30 s.
    async fn event(&self, event: &str, approval: &str) -> Got {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(g) = self.got().into_iter().find(|g| {
                g.header("x-vmware-mcp-event") == Some(event) && g.body.contains(approval)
            }) {
                return g;
            }
            assert!(
                Instant::now() < deadline,
                "no {event} for {approval} within 30 s; got {:#?}",
                self.got()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// One HTTP/1.1 request: the head up to the blank line, then the body by
/// its `Content-Length`.
async fn read_request(socket: &mut tokio::net::TcpStream) -> Option<Got> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let headers: Vec<(String, String)> = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + 4 + length {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Some(Got {
        headers,
        body: String::from_utf8_lossy(&buf[head_end + 4..head_end + 4 + length]).to_string(),
    })
}

/// Check `header` as a receiver would: recompute HMAC-SHA256(key, "<t>.<body>").
fn assert_signed(got: &Got, key: &str) {
    let header = got
        .header("x-vmware-mcp-signature")
        .unwrap_or_else(|| panic!("no signature header: {:?}", got.headers));
    let (t, v1) = header
        .split_once(',')
        .and_then(|(t, v)| Some((t.strip_prefix("t=")?, v.strip_prefix("v1=")?)))
        .unwrap_or_else(|| panic!("malformed signature header {header}"));
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(format!("{t}.{}", got.body).as_bytes());
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(v1, expected, "the signature of {}", got.body);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let t: i64 = t.parse().expect("a unix time");
    assert!((now - t).abs() < 120, "signed at {t}, now {now}");
}

/// Approve (or deny, with `reason`) approval `id` as `approver` through the admin API.
async fn decide(op: &Operator, id: &str, approve: bool, approver: &str) -> Duration {
    let started = Instant::now();
    let action = if approve { "approve" } else { "deny" };
    let response = reqwest::Client::new()
        .post(format!("{}/api/approvals/{id}/{action}", op.url))
        .bearer_auth(TOKEN)
        .json(&json!({ "approver": approver, "reason": "change window" }))
        .send()
        .await
        .expect("the admin API answers");
    assert!(
        response.status().is_success(),
        "{action}: {}",
        response.status()
    );
    started.elapsed()
}

/// Start a power-off of a powered-on VM in the background; returns the VM's
/// name and the call's task (outcome and how long the call took).
async fn power_off(
    server: &Server,
) -> (
    String,
    tokio::task::JoinHandle<(vmware_mcp_e2e::CallOutcome, Instant)>,
) {
    let client = server.client().await;
    let vm = first_vm(&client, json!({"powerState": "poweredOn"})).await;
    let name = vm["name"].as_str().expect("a VM name").to_string();
    let vm_name = name.clone();
    let task = tokio::spawn(async move {
        let outcome = call(&client, POWER_OFF, json!({ "vmName": vm_name }))
            .await
            .expect("the call is answered");
        (outcome, Instant::now())
    });
    (name, task)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_json_receiver_gets_signed_events_for_a_request_an_approval_and_an_expiry() {
    let test = "notify-json";
    let hook = Receiver::start("/hooks/approvals", &[200], Duration::ZERO).await;
    let server = Server::start(
        test,
        options(test, 8)
            .env("APPROVAL_WEBHOOK_URL", &hook.url)
            .env(
                "APPROVAL_WEBHOOK_SECRET_PATH",
                scratch_file(test, "webhook-key", &format!("{KEY}\n")),
            )
            .env("PUBLIC_ADMIN_URL", "https://ops.example.test/vmware/"),
    );
    let op = Operator::of(&server, test);

    // A request, approved.
    let (vm, call_task) = power_off(&server).await;
    let pending = op.wait_for_pending(POWER_OFF).await;
    let id = pending["id"].as_str().expect("an approval id").to_string();
    let requested = hook.event("approval.requested", &id).await;
    decide(&op, &id, true, "alice").await;
    let (outcome, _) = call_task.await.expect("the call task");
    assert!(!outcome.is_error, "{}", outcome.text);

    assert_signed(&requested, KEY);
    assert_eq!(requested.header("content-type"), Some("application/json"));
    let body = requested.json();
    assert_eq!(body["event"], "approval.requested");
    let a = &body["approval"];
    assert_eq!(a["id"], id.as_str());
    assert_eq!(a["status"], "pending");
    assert_eq!(a["tool"], POWER_OFF);
    assert_eq!(a["summary"], pending["summary"]);
    assert!(a["summary"].as_str().unwrap().contains(&vm), "{a}");
    let target = &a["targets"][0];
    assert_eq!(target["name"], vm.as_str());
    assert_eq!(target["type"], "VirtualMachine");
    assert_eq!(target["id"], pending["targets"][0]["id"]);
    let path = target["path"]
        .as_str()
        .unwrap_or_else(|| panic!("a path: {target}"));
    assert!(
        path.ends_with(&format!("/{vm}")) && path.contains("/vm/"),
        "{path}"
    );
    assert_eq!(a["methods"], json!(["PowerOffVM_Task"]));
    assert_eq!(a["requester"]["session"], pending["session"]);
    assert_eq!(a["requester"]["correlation_id"], pending["correlation_id"]);
    assert_eq!(a["expires_at"], pending["expires_at"]);
    assert_eq!(a["url"], "https://ops.example.test/vmware/approvals");
    assert!(a["decision"].is_null(), "{a}");

    let approved = hook.event("approval.approved", &id).await;
    assert_signed(&approved, KEY);
    let decision = &approved.json()["approval"]["decision"];
    assert_eq!(decision["outcome"], "approved");
    assert_eq!(decision["decider"], "alice");
    assert_eq!(decision["decided_by"], "operator:alice");
    assert_eq!(decision["reason"], "change window");
    // Each event has its own delivery id.
    assert_ne!(
        requested.header("x-vmware-mcp-delivery"),
        approved.header("x-vmware-mcp-delivery")
    );

    // A request nobody decides expires.
    let (_, call_task) = power_off(&server).await;
    let pending = op.wait_for_pending(POWER_OFF).await;
    let id = pending["id"].as_str().unwrap().to_string();
    let (outcome, _) = call_task.await.expect("the call task");
    assert!(
        outcome.is_error && outcome.error_kind() == "timeout",
        "{}",
        outcome.text
    );
    let expired = hook.event("approval.expired", &id).await;
    assert_signed(&expired, KEY);
    let expired = expired.json();
    assert_eq!(expired["approval"]["status"], "timed_out");
    assert_eq!(expired["approval"]["decision"]["outcome"], "expired");
    assert!(expired["approval"]["decision"]["decider"].is_null());

    let log = server.log_text();
    assert!(!log.contains(KEY), "the key is in the server's output");
    assert!(
        !log.contains("/hooks/approvals"),
        "the webhook URL's path is in the server's output"
    );
    let text = server.metrics().await;
    let endpoint = hook.url.trim_end_matches("/hooks/approvals");
    assert!(
        text.contains(&format!(
            "vmware_mcp_notifications_total{{receiver=\"{endpoint}\",format=\"json\",outcome=\"delivered\"}}"
        )),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn slack_and_teams_receivers_get_their_own_formats() {
    let test = "notify-chat";
    let slack = Receiver::start("/services/T000/B000/slackT0K3Nx9", &[200], Duration::ZERO).await;
    let teams = Receiver::start("/workflows/teamsT0K3Nq2/triggers", &[200], Duration::ZERO).await;
    let policy = format!(
        "default = \"ask\"\n\n[[notify]]\nurl = \"{}\"\nformat = \"slack\"\n\n[[notify]]\nurl = \"{}\"\nformat = \"teams\"\n",
        slack.url, teams.url
    );
    let server = Server::start(
        test,
        options(test, 60).env(
            "APPROVAL_POLICY_PATH",
            scratch_file(test, "policy.toml", &policy),
        ),
    );
    let op = Operator::of(&server, test);
    let (vm, call_task) = power_off(&server).await;
    let pending = op.wait_for_pending(POWER_OFF).await;
    let id = pending["id"].as_str().unwrap().to_string();
    let summary = pending["summary"].as_str().unwrap().to_string();
    let link = format!("{}/approvals", op.url);

    let s = slack.event("approval.requested", &id).await.json();
    let fallback = s["text"].as_str().expect("a text fallback");
    assert!(
        fallback.contains("Approval needed") && fallback.contains(&id) && fallback.contains(&link),
        "{fallback}"
    );
    let blocks = s["blocks"].as_array().expect("blocks");
    assert_eq!(blocks[0]["type"], "header");
    let all = serde_json::to_string(blocks).unwrap();
    for expected in [
        summary.as_str(),
        vm.as_str(),
        "*Targets*",
        "*Requested by*",
        pending["session"].as_str().unwrap(),
        "*Expires*",
        pending["expires_at"].as_str().unwrap(),
        &format!("<{link}|"),
    ] {
        assert!(all.contains(expected), "{expected:?} in {all}");
    }

    let t = teams.event("approval.requested", &id).await.json();
    assert_eq!(t["type"], "message");
    let attachment = &t["attachments"][0];
    assert_eq!(
        attachment["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    let card = &attachment["content"];
    assert_eq!(card["type"], "AdaptiveCard");
    let card_text = serde_json::to_string(card).unwrap();
    for expected in [summary.as_str(), vm.as_str(), "Requested by", "Expires"] {
        assert!(card_text.contains(expected), "{expected:?} in {card_text}");
    }
    assert_eq!(card["actions"][0]["type"], "Action.OpenUrl");
    assert_eq!(card["actions"][0]["url"], link.as_str());

    decide(&op, &id, false, "bob").await;
    let (outcome, _) = call_task.await.expect("the call task");
    assert_eq!(outcome.error_kind(), "approval_denied", "{}", outcome.text);
    let denied = serde_json::to_string(&slack.event("approval.denied", &id).await.json()).unwrap();
    assert!(
        denied.contains("Denied by bob") && denied.contains("change window"),
        "{denied}"
    );
    let denied = serde_json::to_string(&teams.event("approval.denied", &id).await.json()).unwrap();
    assert!(denied.contains("Denied by bob"), "{denied}");

    let log = server.log_text();
    for token in ["slackT0K3Nx9", "teamsT0K3Nq2"] {
        assert!(
            !log.contains(token),
            "{token} (a webhook URL's token) is in the output"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_receiver_that_is_down_is_retried_and_the_call_goes_on() {
    let test = "notify-down";
    // Answers 503 twice, then 200; and a receiver whose port is closed.
    let flaky = Receiver::start("/hook", &[503, 503, 200], Duration::ZERO).await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}/hook", closed.local_addr().unwrap());
    drop(closed);
    let key = scratch_file(test, "webhook-key", KEY);
    let policy = format!(
        "[[notify]]\nurl = \"{}\"\nsecret_path = \"{key}\"\n\n[[notify]]\nurl = \"{dead}\"\nformat = \"slack\"\n",
        flaky.url
    );
    let server = Server::start(
        test,
        options(test, 60).env(
            "APPROVAL_POLICY_PATH",
            scratch_file(test, "policy.toml", &policy),
        ),
    );
    let op = Operator::of(&server, test);
    let (_, call_task) = power_off(&server).await;
    let pending = op.wait_for_pending(POWER_OFF).await;
    let id = pending["id"].as_str().unwrap().to_string();
    decide(&op, &id, true, "alice").await;
    let (outcome, _) = tokio::time::timeout(Duration::from_secs(30), call_task)
        .await
        .expect("the approved call completes while receivers fail")
        .expect("the call task");
    assert!(!outcome.is_error, "{}", outcome.text);

    // The request's event arrived on the third attempt, with one delivery
    // id and a fresh signature each time.
    flaky.event("approval.approved", &id).await;
    let requested: Vec<Got> = flaky
        .got()
        .into_iter()
        .filter(|g| g.header("x-vmware-mcp-event") == Some("approval.requested"))
        .collect();
    assert_eq!(requested.len(), 3, "two 503s, then 200: {requested:#?}");
    assert!(
        requested
            .iter()
            .all(|g| g.header("x-vmware-mcp-delivery")
                == requested[0].header("x-vmware-mcp-delivery"))
    );
    for g in &requested {
        assert_signed(g, KEY);
    }

    // The dead receiver is given up after its attempts, and /metrics says so.
    let dead_endpoint = dead.trim_end_matches("/hook");
    let flaky_endpoint = flaky.url.trim_end_matches("/hook");
    let failed = format!(
        "vmware_mcp_notifications_total{{receiver=\"{dead_endpoint}\",format=\"slack\",outcome=\"failed\"}}"
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    let text = loop {
        let text = server.metrics().await;
        if text.contains(&failed) {
            break text;
        }
        assert!(
            Instant::now() < deadline,
            "no {failed} within 60 s:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(
        text.contains(&format!(
            "vmware_mcp_notification_retries_total{{receiver=\"{flaky_endpoint}\",format=\"json\"}} 2"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "vmware_mcp_notification_retries_total{{receiver=\"{dead_endpoint}\",format=\"slack\"}}"
        )),
        "{text}"
    );
    let log = server.log_lines();
    assert!(
        log.iter().any(|l| l["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("approval notification failed"))
            && l["receiver"] == dead_endpoint),
        "the failure is logged"
    );
    assert!(!server.log_text().contains(KEY), "the key is in the output");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_receiver_delays_neither_the_decision_nor_the_call() {
    let test = "notify-slow";
    const SLOW: Duration = Duration::from_secs(10);
    let slow = Receiver::start("/hook", &[200], SLOW).await;
    let server = Server::start(
        test,
        options(test, 60)
            .env("APPROVAL_WEBHOOK_URL", &slow.url)
            .env("APPROVAL_WEBHOOK_FORMAT", "teams"),
    );
    let op = Operator::of(&server, test);
    let (_, call_task) = power_off(&server).await;
    let pending = op.wait_for_pending(POWER_OFF).await;
    let id = pending["id"].as_str().unwrap().to_string();
    // The receiver holds the request's notification and has not answered.
    slow.event("approval.requested", &id).await;
    assert_eq!(slow.answered(), 0);
    let approving = Instant::now();
    let decided_in = decide(&op, &id, true, "alice").await;
    let (outcome, finished) = tokio::time::timeout(Duration::from_secs(30), call_task)
        .await
        .expect("the approved call completes")
        .expect("the call task");
    assert!(!outcome.is_error, "{}", outcome.text);
    // Measured against the receiver's delay: the decision is answered and
    // the call finished in a fraction of the time the receiver takes, and
    // while it was still sitting on the first notification.
    assert!(decided_in < SLOW / 4, "the decision took {decided_in:?}");
    let call_after_approval = finished.duration_since(approving);
    assert!(
        call_after_approval < SLOW / 2,
        "the call finished {call_after_approval:?} after the approval"
    );
    assert_eq!(
        slow.answered(),
        0,
        "the call waited for the slow receiver to answer"
    );
    // A second call, with the receiver's queue still busy, is as quick.
    let client = server.client().await;
    let started = Instant::now();
    let read = call(&client, "infra.vmware.vms.listVMs", json!({"limit": 1}))
        .await
        .expect("listVMs is answered");
    assert!(!read.is_error);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(slow.answered(), 0);
}

#[test]
fn bad_notification_settings_stop_the_server_at_start_saying_what_is_valid() {
    let test = "notify-config";
    let key = scratch_file(test, "webhook-key", KEY);
    /// The environment, and what the refusal must say.
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str]);
    let cases: [Case; 5] = [
        (
            &[
                (
                    "APPROVAL_WEBHOOK_URL",
                    "https://hooks.example.test/in/T0K3Nbad",
                ),
                ("APPROVAL_WEBHOOK_FORMAT", "email"),
            ],
            &[
                "APPROVAL_WEBHOOK_FORMAT",
                "\"email\"",
                "json, slack or teams",
            ],
        ),
        (
            &[(
                "APPROVAL_WEBHOOK_URL",
                "https://hooks.example.test/in/T0K3Nbad",
            )],
            &["APPROVAL_WEBHOOK_SECRET_PATH", "HMAC"],
        ),
        (
            &[
                (
                    "APPROVAL_WEBHOOK_URL",
                    "https://hooks.example.test/in/T0K3Nbad",
                ),
                ("APPROVAL_WEBHOOK_SECRET_PATH", "/nonexistent/webhook-key"),
            ],
            &[
                "APPROVAL_WEBHOOK_SECRET_PATH=/nonexistent/webhook-key",
                "cannot read",
            ],
        ),
        (
            &[
                (
                    "APPROVAL_WEBHOOK_URL",
                    "ftp://hooks.example.test/in/T0K3Nbad",
                ),
                ("APPROVAL_WEBHOOK_SECRET_PATH", &key),
            ],
            &["APPROVAL_WEBHOOK_URL", "\"ftp\"", "http:// or https://"],
        ),
        (
            &[("APPROVAL_WEBHOOK_FORMAT", "slack")],
            &["APPROVAL_WEBHOOK_URL is not"],
        ),
    ];
    for (env, expected) in cases {
        let mut options = ServerOptions::demo();
        for (k, v) in env {
            options = options.env(*k, *v);
        }
        let (code, output) = Server::run_to_exit(options);
        assert_ne!(code, Some(0), "{env:?} started: {output}");
        for e in expected {
            assert!(output.contains(e), "{e:?} for {env:?} in:\n{output}");
        }
        assert!(
            !output.contains("T0K3Nbad"),
            "the URL's path is in:\n{output}"
        );
        assert!(!output.contains("serving MCP"), "{output}");
    }
    // A policy entry is named by file, entry and line.
    let policy = scratch_file(
        test,
        "policy.toml",
        "default = \"ask\"\n\n[[notify]]\nurl = \"https://hooks.example.test/x\"\nformat = \"teams\"\n\n[[notify]]\nurl = \"https://hooks.example.test/T0K3Nbad\"\n",
    );
    let (code, output) =
        Server::run_to_exit(ServerOptions::demo().env("APPROVAL_POLICY_PATH", &policy));
    assert_ne!(code, Some(0), "{output}");
    assert!(
        output.contains("[[notify]] entry 2 (line 7)") && output.contains("secret_path"),
        "{output}"
    );
    assert!(!output.contains("T0K3Nbad"), "{output}");
}
