//! A stalled vCenter (vcsim paused with SIGSTOP): the agent gets a clear
//! `timeout` within the configured request timeout plus 2 s, a cancelled
//! call frees its work at once, `/readyz` goes not-ready within 10 s and
//! ready again after the resume, and calls work again.

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;
use vmware_mcp_e2e::{Server, Vcsim, call, first_vm};

/// The request timeout the server is given.
const REQUEST_TIMEOUT_SECS: u64 = 4;

fn signal(pid: u32, sig: &str) {
    let status = Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill {sig} {pid}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stalled_vcenter_gives_timeouts_and_unready_then_recovers() {
    let sim = Vcsim::start("stalled-vcenter", &["-model", "vpx", "-vms", "2"]);
    let server = Server::start(
        "stalled-vcenter",
        sim.server_options().env(
            "VCENTER_REQUEST_TIMEOUT_SECS",
            REQUEST_TIMEOUT_SECS.to_string(),
        ),
    );
    let client = server.client().await;
    server.until_readyz(true, Duration::from_secs(10)).await;
    let vm = first_vm(&client, json!({})).await["name"]
        .as_str()
        .unwrap()
        .to_string();

    signal(sim.pid(), "-STOP");
    let stalled_at = Instant::now();

    // A call that needs vCenter gets a clear timeout within the bound + 2 s.
    let started = Instant::now();
    let r = call(&client, "infra.vmware.vms.getVMInfo", json!({"vmName": vm}))
        .await
        .unwrap();
    let took = started.elapsed();
    assert!(r.is_error, "{}", r.text);
    assert_eq!(r.error_kind(), "timeout", "{}", r.text);
    assert!(
        r.error_message()
            .contains(&format!("within {REQUEST_TIMEOUT_SECS} s")),
        "the message states the real bound: {}",
        r.error_message()
    );
    assert!(
        took < Duration::from_secs(REQUEST_TIMEOUT_SECS + 2),
        "timeout after {took:?}, bound {REQUEST_TIMEOUT_SECS} s + 2 s"
    );

    // /readyz notices within 10 s of the stall.
    let (_, body) = server
        .until_readyz(
            false,
            Duration::from_secs(10).saturating_sub(stalled_at.elapsed()),
        )
        .await;
    assert_ne!(body["vsphere"], "up", "{body}");

    // A call the client gives up on (the rmcp client cancels a call whose
    // future is dropped) frees its work at once, long before the timeout.
    let cancelled = tokio::time::timeout(
        Duration::from_millis(800),
        call(&client, "infra.vmware.vms.getVMInfo", json!({"vmName": vm})),
    )
    .await;
    assert!(cancelled.is_err(), "the call was still waiting on vCenter");
    let started = Instant::now();
    loop {
        if server
            .log_text()
            .contains("the client cancelled the call; its pending host work was dropped")
        {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "the cancelled call's work was not dropped: {}",
            server
                .log_text()
                .lines()
                .rev()
                .take(5)
                .collect::<Vec<_>>()
                .join("\n")
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    signal(sim.pid(), "-CONT");
    let (_, body) = server.until_readyz(true, Duration::from_secs(30)).await;
    assert_eq!(body["vsphere"], "up", "{body}");
    let r = call(&client, "infra.vmware.vms.getVMInfo", json!({"vmName": vm}))
        .await
        .unwrap();
    assert!(!r.is_error, "calls work after the resume: {}", r.text);
    let metrics = call(&client, "infra.vmware.getMetrics", json!({}))
        .await
        .unwrap()
        .json;
    assert!(
        metrics
            .to_string()
            .contains("vmware_mcp_cancelled_calls_total"),
        "the cancellation is counted"
    );
    client.cancel().await.ok();
}

/// Issue 15, point 7: a vCenter that cannot be reached (its process gone,
/// connections refused) is error kind `unavailable`, not `internal`: an
/// agent should retry later, not report a bug.
#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_vcenter_is_unavailable() {
    let sim = Vcsim::start("unreachable-vcenter", &["-model", "vpx", "-vms", "2"]);
    let server = Server::start(
        "unreachable-vcenter",
        sim.server_options().env(
            "VCENTER_REQUEST_TIMEOUT_SECS",
            REQUEST_TIMEOUT_SECS.to_string(),
        ),
    );
    let client = server.client().await;
    let vm = first_vm(&client, json!({})).await["name"]
        .as_str()
        .unwrap()
        .to_string();
    signal(sim.pid(), "-KILL");
    let r = call(&client, "infra.vmware.vms.getVMInfo", json!({"vmName": vm}))
        .await
        .unwrap();
    assert!(r.is_error, "{}", r.text);
    assert_eq!(r.error_kind(), "unavailable", "{}", r.text);
    assert!(
        r.error_message().contains("vCenter is unreachable"),
        "{}",
        r.text
    );
    client.cancel().await.ok();
    drop(sim);
}

/// Issue 15, point 7: `/readyz` turns ready as soon as vCenter answers
/// again. It used to wait for the index's follower to re-establish the
/// update stream, whose pause between attempts grows to 8 s while vCenter
/// refuses connections, so it lagged a restarted vCenter by seconds.
#[tokio::test(flavor = "multi_thread")]
async fn readyz_turns_ready_as_soon_as_a_restarted_vcenter_answers() {
    let name = "readyz-recovery";
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    // Plain HTTP: a restarted simulator makes a new CA, which the server
    // (trusting the first one) would refuse.
    let flags = [
        "-model",
        "vpx",
        "-vms",
        "2",
        "-tls=false",
        "-listen",
        listen.as_str(),
    ];
    let sim = Vcsim::start(name, &flags);
    let server = Server::start(
        name,
        sim.server_options().env(
            "VCENTER_REQUEST_TIMEOUT_SECS",
            REQUEST_TIMEOUT_SECS.to_string(),
        ),
    );
    let client = server.client().await;
    server.until_readyz(true, Duration::from_secs(10)).await;
    let vm = first_vm(&client, json!({})).await["name"]
        .as_str()
        .unwrap()
        .to_string();

    drop(sim); // stopped: connections are refused
    server.until_readyz(false, Duration::from_secs(15)).await;
    // Long enough for the follower's pause to reach its longest.
    tokio::time::sleep(Duration::from_secs(20)).await;
    let (status, body) = server.readyz().await;
    assert_eq!(status, 503, "{body}");

    let _sim = Vcsim::start(name, &flags);
    let restarted = Instant::now();
    let r = call(&client, "infra.vmware.vms.getVMInfo", json!({"vmName": vm}))
        .await
        .unwrap();
    assert!(!r.is_error, "calls work after the restart: {}", r.text);
    let called = restarted.elapsed();
    let (_, body) = server.until_readyz(true, Duration::from_secs(30)).await;
    let ready = restarted.elapsed();
    eprintln!("after the restart: a call answered in {called:?}, /readyz ready in {ready:?}");
    assert_eq!(body["vsphere"], "up", "{body}");
    assert!(
        ready < called + Duration::from_millis(1500),
        "/readyz ready {ready:?} after the restart, a call answered after {called:?}"
    );
    client.cancel().await.ok();
}
