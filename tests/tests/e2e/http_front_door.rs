//! Issue 8, the HTTP front door, end to end on `--demo`: a slowloris cannot
//! stop the probes or an MCP client and its connections are closed after the
//! header timeout; a slow body is cut off; a burst of maximum-size requests
//! stays within a memory bound and gives short errors; tool calls over the
//! cap get `busy`; and the status codes are the ones JSON-RPC clients expect.
//! Issue 15: the admin port has the same front door (a slowloris cannot stop
//! the operators' API, and its half-sent requests are closed after the
//! header timeout).

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use vmware_mcp_e2e::admin::{self, Operator, TOKEN};
use vmware_mcp_e2e::server::binary;
use vmware_mcp_e2e::{
    Server, ServerOptions, TestPlugin, call, plugin_dir, scratch_dir, scratch_file, workspace_root,
};

const ACCEPT: &str = "application/json, text/event-stream";

fn address(server: &Server) -> String {
    server.base_url.trim_start_matches("http://").to_string()
}

/// `(VmRSS, VmHWM)` of a process, in KiB.
fn memory_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("reading /proc");
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .unwrap_or_else(|| panic!("{name} in /proc/{pid}/status"))
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Read until the server closes the connection (EOF or reset); `false` if it
/// is still open at `deadline`.
async fn closed_by(mut stream: TcpStream, deadline: Instant) -> bool {
    let mut buf = [0u8; 1024];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue, // a 408 or similar before the close is fine
        }
    }
}

async fn healthz_within(server: &Server, bound: Duration) -> Duration {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let started = Instant::now();
    let response = http
        .get(format!("{}/healthz", server.base_url))
        .send()
        .await
        .expect("/healthz answers");
    let took = started.elapsed();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(took < bound, "/healthz took {took:?}");
    took
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slowloris_does_not_stop_the_probes_or_a_client_and_is_closed_after_the_header_timeout() {
    // 1,500 slots for 2,000 half-sent requests: 500 are evicted to make room,
    // the rest are closed by the 3 s header timeout.
    let server = Server::start(
        "front-door-slowloris",
        ServerOptions::demo()
            .env("MCP_HEADER_TIMEOUT_SECS", "3")
            .env("MCP_MAX_CONNECTIONS", "1500"),
    );
    let addr = address(&server);
    let mut slow = Vec::with_capacity(2000);
    for i in 0..2000 {
        let mut stream = TcpStream::connect(&addr).await.expect("connect");
        let partial =
            format!("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow-{i}: never-finishes\r\n");
        stream.write_all(partial.as_bytes()).await.expect("send");
        slow.push(stream);
    }
    let opened = Instant::now();

    healthz_within(&server, Duration::from_secs(1)).await;
    let client = tokio::time::timeout(Duration::from_secs(10), server.client())
        .await
        .expect("an MCP client connects during the slowloris");
    let listed = tokio::time::timeout(
        Duration::from_secs(10),
        call(&client, "infra.vmware.vms.listVMs", json!({"limit": 5})),
    )
    .await
    .expect("the call answers during the slowloris")
    .expect("the call succeeds");
    assert!(!listed.is_error, "{}", listed.text);
    assert!(
        opened.elapsed() < Duration::from_secs(3),
        "the probe and the call ran while the slow connections were held"
    );

    // Every slow connection is closed by the server: header timeout plus slack.
    let deadline = opened + Duration::from_secs(3 + 5);
    let mut waits = tokio::task::JoinSet::new();
    for stream in slow {
        waits.spawn(closed_by(stream, deadline));
    }
    let mut still_open = 0;
    while let Some(closed) = waits.join_next().await {
        if !closed.unwrap() {
            still_open += 1;
        }
    }
    assert_eq!(
        still_open, 0,
        "slow connections left open past the header timeout"
    );
    healthz_within(&server, Duration::from_secs(1)).await;
    client.cancel().await.ok();
}

/// Open `count` connections to `addr`, each sending part of a request head
/// to `path` and never finishing it.
async fn half_sent(addr: &str, path: &str, count: usize) -> Vec<TcpStream> {
    let mut slow = Vec::with_capacity(count);
    for i in 0..count {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        let partial =
            format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow-{i}: never-finishes\r\n");
        stream.write_all(partial.as_bytes()).await.expect("send");
        slow.push(stream);
    }
    slow
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slowloris_on_the_admin_port_does_not_stop_the_operators_and_is_closed_after_the_header_timeout()
 {
    /// The stated bound on what 2,000 half-sent requests may add to the
    /// server's resident memory while they are held.
    const GROWTH_BOUND_KIB: u64 = 24 * 1024;
    let name = "front-door-admin-slowloris";
    // The default cap (256 connections): the flood is 2,000 half-sent requests.
    let server = Server::start(
        name,
        admin::options(name, 60).env("ADMIN_HEADER_TIMEOUT_SECS", "3"),
    );
    let operator = Operator::of(&server, name);
    let admin_addr = operator.url.trim_start_matches("http://").to_string();
    let (idle_rss, _) = memory_kib(server.pid());

    let slow = half_sent(&admin_addr, "/api/approvals", 2000).await;
    let opened = Instant::now();

    // The operators' API still answers, with the token, and refuses without it.
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let listed = http
        .get(format!("{}/api/approvals", operator.url))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("the approvals list answers during the slowloris");
    assert_eq!(listed.status(), StatusCode::OK);
    let body: Value = listed.json().await.unwrap();
    assert!(body["pending"].is_array(), "{body}");
    let refused = http
        .get(format!("{}/api/approvals", operator.url))
        .send()
        .await
        .expect("a request without the token is answered");
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let probe = http
        .get(format!("{}/healthz", operator.url))
        .send()
        .await
        .expect("the admin probe answers");
    assert_eq!(probe.status(), StatusCode::OK);
    // The operators' CLI too, and the MCP port (file descriptors are not used up).
    let cli_operator = operator.clone();
    let (code, stdout, stderr) =
        tokio::task::spawn_blocking(move || cli_operator.cli(&["list", "--json"]))
            .await
            .unwrap();
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    healthz_within(&server, Duration::from_secs(1)).await;
    assert!(
        opened.elapsed() < Duration::from_secs(3),
        "the operators' requests ran while the slow connections were held"
    );
    let (held_rss, _) = memory_kib(server.pid());
    assert!(
        held_rss < idle_rss + GROWTH_BOUND_KIB,
        "RSS {} MiB while 2,000 half-sent requests are held (idle {} MiB, bound +{} MiB)",
        held_rss / 1024,
        idle_rss / 1024,
        GROWTH_BOUND_KIB / 1024
    );

    // Every slow connection is closed by the server: evicted to make room,
    // or by the header timeout, within the timeout plus slack.
    let deadline = opened + Duration::from_secs(3 + 5);
    let mut waits = tokio::task::JoinSet::new();
    for stream in slow {
        waits.spawn(closed_by(stream, deadline));
    }
    let mut still_open = 0;
    while let Some(closed) = waits.join_next().await {
        if !closed.unwrap() {
            still_open += 1;
        }
    }
    assert_eq!(
        still_open, 0,
        "slow admin connections left open past the header timeout"
    );

    // One half-sent request alone (nothing evicts it): closed by the header
    // timeout, not before and not much after.
    let mut lone = half_sent(&admin_addr, "/api/approvals", 1).await;
    let started = Instant::now();
    assert!(
        closed_by(lone.remove(0), started + Duration::from_secs(3 + 5)).await,
        "a half-sent admin request is still open after 8 s"
    );
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(2500),
        "closed after {took:?}, before the 3 s header timeout"
    );
    let (status, _) = operator.get("/api/approvals", Some(TOKEN)).await;
    assert_eq!(status, 200);
    eprintln!(
        "admin slowloris: idle {} MiB, held {} MiB; lone half-sent request closed after {took:?}",
        idle_rss / 1024,
        held_rss / 1024
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_body_that_does_not_arrive_in_time_is_cut_off() {
    let server = Server::start(
        "front-door-slow-body",
        ServerOptions::demo().env("MCP_BODY_TIMEOUT_SECS", "2"),
    );
    let mut stream = TcpStream::connect(address(&server)).await.unwrap();
    let head = format!(
        "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAccept: {ACCEPT}\r\nContent-Length: 1000\r\n\r\n{{\"jsonrpc\":"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("the server answers and closes")
        .ok();
    let took = started.elapsed();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        took >= Duration::from_millis(1500) && took < Duration::from_secs(6),
        "cut off after {took:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn fifty_maximum_size_requests_stay_within_a_memory_bound_and_give_short_errors() {
    /// The stated bound on the server's peak RSS through the burst.
    const PEAK_BOUND_KIB: u64 = 300 * 1024;
    let server = Server::start("front-door-memory", ServerOptions::demo());
    let client = server.client().await;
    // Warm up: one ordinary call, so the baseline includes a plugin instance.
    assert!(
        !call(&client, "infra.vmware.vms.listVMs", json!({}))
            .await
            .unwrap()
            .is_error
    );
    let (idle_rss, _) = memory_kib(server.pid());

    // Just under the 1 MiB body limit with the JSON-RPC envelope.
    let huge_name = Arc::new("v".repeat(1_000_000));
    let client = Arc::new(client);
    let mut burst = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let (client, name) = (client.clone(), huge_name.clone());
        burst.spawn(async move {
            call(
                &client,
                "infra.vmware.vms.getVMInfo",
                json!({ "vmName": *name }),
            )
            .await
        });
    }
    while let Some(outcome) = burst.join_next().await {
        let outcome = outcome.unwrap().expect("each call gets an answer");
        assert!(
            outcome.is_error,
            "{}",
            &outcome.text[..200.min(outcome.text.len())]
        );
        assert_eq!(
            outcome.error_kind(),
            "not_found",
            "{}",
            &outcome.text[..200.min(outcome.text.len())]
        );
        assert!(
            outcome.text.len() < 2_000,
            "the error quotes only a prefix of the name, got {} bytes",
            outcome.text.len()
        );
    }
    let (_, peak) = memory_kib(server.pid());
    assert!(
        peak < PEAK_BOUND_KIB,
        "peak RSS {} MiB over the {} MiB bound (idle {} MiB)",
        peak / 1024,
        PEAK_BOUND_KIB / 1024,
        idle_rss / 1024
    );
    // After the burst, memory returns near idle: at least half of what the
    // burst added is given back (glibc would otherwise keep the bodies' heap).
    let allowance = ((peak - idle_rss) / 2).max(16 * 1024);
    let deadline = Instant::now() + Duration::from_secs(15);
    let settled = loop {
        let (rss, _) = memory_kib(server.pid());
        if rss <= idle_rss + allowance || Instant::now() > deadline {
            break rss;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert!(
        settled <= idle_rss + allowance,
        "RSS {} MiB after the burst, idle was {} MiB, peak {} MiB",
        settled / 1024,
        idle_rss / 1024,
        peak / 1024
    );
    eprintln!(
        "memory: idle {} MiB, peak {} MiB, after {} MiB",
        idle_rss / 1024,
        peak / 1024,
        settled / 1024
    );
    drop(client);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_over_the_body_limit_gets_413_before_its_body_is_read() {
    let server = Server::start("front-door-413", ServerOptions::demo());
    // Only the head is sent: the declared length alone is refused, so the
    // answer comes without the server reading (or the client sending) 2 MiB.
    let mut stream = TcpStream::connect(address(&server)).await.unwrap();
    let head = format!(
        "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAccept: {ACCEPT}\r\nContent-Length: {}\r\n\r\n",
        2 << 20
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer))
        .await
        .expect("answered at once")
        .ok();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    let body: Value = serde_json::from_str(answer.split("\r\n\r\n").nth(1).unwrap_or("")).unwrap();
    assert_eq!(body["error"]["code"], -32600, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("1048576 bytes"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn calls_over_the_concurrency_cap_get_busy() {
    let name = "front-door-busy";
    let policy = scratch_file(name, "policy.toml", "default = \"allow\"\n");
    let server = Server::start(
        name,
        ServerOptions::demo()
            .arg("--plugins")
            .arg(
                plugin_dir(name, &[TestPlugin::Hostile])
                    .display()
                    .to_string(),
            )
            .env("APPROVAL_POLICY_PATH", policy)
            .env("PLUGIN_CPU_MS", "4000")
            .env("MCP_MAX_CONCURRENT_CALLS", "1"),
    );
    let spinner = server.client().await;
    let other = server.client().await;
    let spin = tokio::spawn(async move {
        let outcome = call(&spinner, "infra.vmware.hostile.spin", json!({})).await;
        spinner.cancel().await.ok();
        outcome
    });
    // Wait until the spinning call holds the only slot.
    let deadline = Instant::now() + Duration::from_secs(3);
    let busy = loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let outcome = call(&other, "infra.vmware.getMetrics", json!({}))
            .await
            .unwrap();
        if outcome.is_error || Instant::now() > deadline {
            break outcome;
        }
    };
    assert!(busy.is_error, "{}", busy.text);
    assert_eq!(busy.error_kind(), "busy", "{}", busy.text);
    assert!(
        busy.error_message().contains("MCP_MAX_CONCURRENT_CALLS"),
        "{}",
        busy.text
    );
    let spun = spin.await.unwrap().unwrap();
    assert_eq!(spun.error_kind(), "timeout", "{}", spun.text);
    // The slot is free again.
    let after = call(&other, "infra.vmware.getMetrics", json!({}))
        .await
        .unwrap();
    assert!(!after.is_error, "{}", after.text);
    other.cancel().await.ok();
}

async fn post_raw(server: &Server, body: &str) -> (StatusCode, Value) {
    let response = reqwest::Client::new()
        .post(server.mcp_url())
        .header("Content-Type", "application/json")
        .header("Accept", ACCEPT)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|_| json!({ "raw": text })),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn status_codes_are_the_ones_json_rpc_clients_expect() {
    let server = Server::start("front-door-status", ServerOptions::demo());

    let (status, body) = post_raw(&server, r#"{"jsonrpc":"2.0","id":1,"method":"#).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["jsonrpc"], "2.0", "{body}");
    assert_eq!(body["error"]["code"], -32700, "{body}");

    let (status, body) = post_raw(
        &server,
        r#"[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"ping"}]"#,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], -32600, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("batches are not supported"),
        "{body}"
    );

    let (status, body) = post_raw(&server, r#"{"hello":"world"}"#).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], -32600, "{body}");

    // A session, then DELETE: 204, as the Python SDK expects.
    let http = reqwest::Client::new();
    let init = json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}});
    let opened = http
        .post(server.mcp_url())
        .header("Accept", ACCEPT)
        .json(&init)
        .send()
        .await
        .unwrap();
    assert_eq!(opened.status(), StatusCode::OK);
    let session = opened
        .headers()
        .get("mcp-session-id")
        .expect("a session id")
        .to_str()
        .unwrap()
        .to_string();
    drop(opened);
    let closed = http
        .delete(server.mcp_url())
        .header("mcp-session-id", &session)
        .header("mcp-protocol-version", "2025-06-18")
        .send()
        .await
        .unwrap();
    assert!(
        matches!(closed.status(), StatusCode::OK | StatusCode::NO_CONTENT),
        "DELETE answered {}",
        closed.status()
    );
}

/// Run the binary until it exits, killing it (and failing) if it is still
/// running after `limit`: a server that accepts a bad token file would
/// otherwise serve forever.
fn run_to_exit_within(env: &[(&str, &str)], limit: Duration) -> (Option<i32>, String) {
    let dir = scratch_dir("front-door-blank-token");
    let out_path = dir.join(format!("{}.out", env[0].0));
    let out = std::fs::File::create(&out_path).unwrap();
    let mut child = std::process::Command::new(binary())
        .arg("--demo")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("MCP_PORT", "0")
        .env("ADMIN_PORT", "0")
        .env(
            "PLUGIN_CACHE_DIR",
            workspace_root().join("target/e2e/plugin-cache"),
        )
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .expect("starting vmware-mcp");
    let deadline = Instant::now() + limit;
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "still running after {limit:?} with {env:?}; output:\n{}",
                std::fs::read_to_string(&out_path).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    (code, std::fs::read_to_string(&out_path).unwrap_or_default())
}

#[test]
fn a_token_file_of_only_white_space_stops_the_server_at_start() {
    for variable in ["MCP_AUTH_TOKEN_SECRET_PATH", "ADMIN_TOKEN_SECRET_PATH"] {
        let file = scratch_file("front-door-blank-token", variable, "  \t\n\n");
        let (code, output) = run_to_exit_within(&[(variable, &file)], Duration::from_secs(30));
        assert!(
            code.is_some_and(|c| c != 0),
            "{variable}: exit {code:?}; output:\n{output}"
        );
        assert!(
            output.contains(variable) && output.contains("only white space"),
            "{variable}: {output}"
        );
    }
}

/// Issue 15, point 7: the Authorization scheme matches in any case on both
/// ports (`BEARER x` works like `Bearer x`); the token itself does not.
#[tokio::test(flavor = "multi_thread")]
async fn the_bearer_scheme_matches_in_any_case_on_both_ports() {
    let name = "front-door-bearer-case";
    let mcp_token = scratch_file(name, "mcp-token", "mcp-t0ken\n");
    let server = Server::start(
        name,
        admin::options(name, 60).env("MCP_AUTH_TOKEN_SECRET_PATH", mcp_token),
    );
    let operator = Operator::of(&server, name);
    let http = reqwest::Client::new();
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let admin = http
            .get(format!("{}/api/approvals", operator.url))
            .header("Authorization", format!("{scheme} {TOKEN}"))
            .send()
            .await
            .unwrap();
        assert_eq!(admin.status(), StatusCode::OK, "admin port, {scheme}");
        let mcp = http
            .get(format!("{}/metrics", server.base_url))
            .header("Authorization", format!("{scheme} mcp-t0ken"))
            .send()
            .await
            .unwrap();
        assert_eq!(mcp.status(), StatusCode::OK, "MCP port, {scheme}");
    }
    let wrong_case_token = http
        .get(format!("{}/metrics", server.base_url))
        .header("Authorization", "Bearer MCP-T0KEN")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_case_token.status(), StatusCode::UNAUTHORIZED);
    let admin_wrong = http
        .get(format!("{}/api/approvals", operator.url))
        .header("Authorization", format!("Basic {TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(admin_wrong.status(), StatusCode::UNAUTHORIZED);
}
