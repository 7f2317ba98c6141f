//! The host's inventory index over vcsim: another client (pyVmomi) clones,
//! renames, moves and destroys a VM and the server resolves it correctly
//! within 2 s each time; a change made through the server is visible to the
//! very next call; and when vcsim goes away the server falls back to direct
//! reads, says so in `/readyz`, and recovers when vcsim is back.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use vmware_mcp_e2e::{Server, Vcsim, call, first_vm, scratch_file, workspace_root};

type Client = rmcp::service::RunningService<rmcp::RoleClient, ()>;

/// Run one pyVmomi step against vcsim; returns the VM id it printed.
fn py_step(sim: &Vcsim, step: &[&str]) -> String {
    let out = std::process::Command::new("python3")
        .arg(workspace_root().join("tests/python/inventory_changes.py"))
        .args([
            sim.endpoint.url.as_str(),
            sim.endpoint.username.as_str(),
            sim.endpoint.password.as_str(),
        ])
        .args(step)
        .output()
        .expect("python3 runs (pip install pyvmomi)");
    assert!(
        out.status.success(),
        "pyVmomi step {step:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Poll getVMInfo on `vm` until `check` holds, for at most 2 s after the
/// change; returns how long it took.
async fn seen_within_2s(client: &Client, vm: &str, check: impl Fn(&Value) -> bool) -> Duration {
    let started = Instant::now();
    loop {
        let r = call(client, "infra.vmware.vms.getVMInfo", json!({"vmName": vm}))
            .await
            .unwrap();
        if check(&r.json) {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "the server did not see the change to {vm:?} within 2 s: {}",
            r.text
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn found(info: &Value) -> bool {
    info.get("id").is_some_and(|id| id.is_string())
}

fn not_found(info: &Value) -> bool {
    info["error"]["kind"] == "not_found"
}

#[tokio::test(flavor = "multi_thread")]
async fn another_clients_changes_reach_the_index_within_two_seconds() {
    let sim = Vcsim::start("index-other-client", &["-model", "vpx", "-vms", "3"]);
    let policy = scratch_file("index-other-client", "policy.toml", "default = \"allow\"\n");
    let server = Server::start(
        "index-other-client",
        sim.server_options().env("APPROVAL_POLICY_PATH", policy),
    );
    let client = server.client().await;
    let source = first_vm(&client, json!({})).await["name"]
        .as_str()
        .unwrap()
        .to_string();

    let id = py_step(&sim, &["clone", &source, "made-elsewhere"]);
    let took = seen_within_2s(&client, "made-elsewhere", |i| i["id"] == id.as_str()).await;
    println!("clone seen after {took:?}");

    py_step(&sim, &["rename", "made-elsewhere", "renamed-elsewhere"]);
    let took = seen_within_2s(&client, "renamed-elsewhere", |i| i["id"] == id.as_str()).await;
    println!("rename seen after {took:?}");
    assert!(not_found(
        &call(
            &client,
            "infra.vmware.vms.getVMInfo",
            json!({"vmName": "made-elsewhere"})
        )
        .await
        .unwrap()
        .json
    ));

    py_step(&sim, &["move", "renamed-elsewhere", "moved-here"]);
    let took = seen_within_2s(&client, "renamed-elsewhere", |i| {
        i["path"]
            .as_str()
            .is_some_and(|p| p.ends_with("/moved-here/renamed-elsewhere"))
    })
    .await;
    println!("move seen after {took:?}");

    py_step(&sim, &["destroy", "renamed-elsewhere"]);
    let took = seen_within_2s(&client, &id, not_found).await;
    println!("destroy seen after {took:?}");

    // A change through this server is visible to the very next call.
    let clone = call(
        &client,
        "infra.vmware.vms.cloneVm",
        json!({"sourceVmName": source, "newVmName": "made-here", "targetFolder": "vm"}),
    )
    .await
    .unwrap();
    assert!(!clone.is_error, "{}", clone.text);
    let next = call(
        &client,
        "infra.vmware.vms.getVMInfo",
        json!({"vmName": "made-here"}),
    )
    .await
    .unwrap();
    assert!(
        found(&next.json),
        "the clone is visible at once: {}",
        next.text
    );
    let on = call(
        &client,
        "infra.vmware.vms.listVMs",
        json!({"name": "made-here", "powerState": "poweredOff"}),
    )
    .await
    .unwrap();
    assert_eq!(on.json["total"], 1, "{}", on.text);
    client.cancel().await.ok();
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_vcenter_restart_is_survived_with_a_fallback_and_readyz_says_so() {
    let listen = format!("127.0.0.1:{}", free_port());
    let flags = [
        "-model",
        "vpx",
        "-vms",
        "2",
        "-tls=false",
        "-listen",
        listen.as_str(),
    ];
    let sim = Vcsim::start("index-restart", &flags);
    let server = Server::start("index-restart", sim.server_options());
    let client = server.client().await;
    let (_, body) = server.until_readyz(true, Duration::from_secs(10)).await;
    assert_eq!(body["inventory"]["state"], "live", "{body}");
    let vm = first_vm(&client, json!({})).await["name"]
        .as_str()
        .unwrap()
        .to_string();

    drop(sim);
    let (_, body) = server.until_readyz(false, Duration::from_secs(10)).await;
    assert_ne!(body["inventory"]["state"], "live", "{body}");
    assert!(
        server
            .log_text()
            .contains("inventory update stream is down; falling back to direct reads"),
        "the log says the stream broke"
    );

    let sim = Vcsim::start("index-restart", &flags);
    // Ready comes first (calls succeed again, read directly); the stream is
    // re-established after it.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let body = loop {
        let (_, body) = server.until_readyz(true, Duration::from_secs(30)).await;
        if body["inventory"]["state"] == "live" || std::time::Instant::now() > deadline {
            break body;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(body["inventory"]["state"], "live", "{body}");
    assert!(
        server
            .log_text()
            .contains("inventory update stream re-established"),
        "the log says the stream is back"
    );
    let info = call(&client, "infra.vmware.vms.getVMInfo", json!({"vmName": vm}))
        .await
        .unwrap();
    assert!(!info.is_error, "calls work again: {}", info.text);
    drop(sim);
    client.cancel().await.ok();
}
