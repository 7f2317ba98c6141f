//! The audit trail holds every change and every approval, however the server
//! stops (issue 15, point 3):
//! - SIGKILL at random moments across 10 rounds of 200 power changes on
//!   vcsim: every change vcsim made (its power-on and power-off events) has
//!   an intent record for that VM and method in the trail;
//! - SIGTERM with 5 approvals pending: each ends with a record
//!   (`interrupted`, naming its request), and each request is still pending
//!   under the same id after the restart.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use vmware_mcp_e2e::admin::{self, Operator, TOKEN};
use vmware_mcp_e2e::vsphere_driver::Driver;
use vmware_mcp_e2e::{Server, Vcsim, call, scratch_dir, scratch_file};

type Client = rmcp::service::RunningService<rmcp::RoleClient, ()>;

const ROUNDS: usize = 10;
const CHANGES_PER_ROUND: usize = 200;
/// Longer than any power change with policy `allow` takes on vcsim.
const CALL_TIMEOUT: Duration = Duration::from_secs(20);

/// A small xorshift generator: random kill moments, reproducible from the
/// seed the test prints.
struct Moments(u64);

impl Moments {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// The trail's records, skipping any line that is not whole JSON (a torn
/// line is closed off at start; the write-ahead test checks that case).
fn records(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// The VMs of a fresh server's inventory: (name, id, powered on).
async fn vms(client: &Client) -> Vec<(String, String, bool)> {
    let listed = call(client, "infra.vmware.vms.listVMs", json!({"limit": 100}))
        .await
        .unwrap();
    listed.json["vms"]
        .as_array()
        .unwrap_or_else(|| panic!("no VMs: {}", listed.text))
        .iter()
        .map(|vm| {
            (
                vm["name"].as_str().unwrap().to_string(),
                vm["id"].as_str().unwrap().to_string(),
                vm["powerState"] == "poweredOn",
            )
        })
        .collect()
}

/// Toggle one VM's power `times` times, until the server goes away.
async fn toggle(client: Client, vm: String, mut on: bool, times: usize, done: Arc<AtomicUsize>) {
    for _ in 0..times {
        let tool = if on {
            "infra.vmware.vms.powerOffVm"
        } else {
            "infra.vmware.vms.powerOnVm"
        };
        // A call cut off by the kill may never be answered: the client's
        // stream to a dead server is not always closed at once.
        let answered =
            tokio::time::timeout(CALL_TIMEOUT, call(&client, tool, json!({"vmName": vm})));
        match answered.await {
            Ok(Ok(_)) => {
                // Refused or not, the next change goes the other way: a
                // refusal means the VM was already there.
                on = !on;
                done.fetch_add(1, Ordering::SeqCst);
            }
            Ok(Err(_)) | Err(_) => return, // the server was killed
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_at_random_moments_never_leaves_a_change_without_its_intent_record() {
    let name = "audit-sigkill-rounds";
    let sim = Vcsim::start(name, &["-model", "vpx", "-vms", "4", "-hosts", "2"]);
    let mut driver = Driver::start(&sim);
    let audit = scratch_dir(name).join("audit.jsonl");
    let state = scratch_dir(name).join("kept-state");
    let _ = std::fs::remove_file(&audit);
    let _ = std::fs::remove_dir_all(&state);
    let policy = scratch_file(name, "policy.toml", "default = \"allow\"\n");
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    eprintln!("kill moments from seed {seed}");
    let mut moments = Moments(seed);
    let mut made: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut last_event: i64 = 0;
    let baseline: Vec<Value> = serde_json::from_str(&driver.run("powerevents 0")).unwrap();
    if let Some(last) = baseline.last() {
        last_event = last[0].as_i64().unwrap();
    }

    for round in 0..ROUNDS {
        let mut server = Server::start(
            name,
            sim.server_options()
                .env("APPROVAL_POLICY_PATH", policy.clone())
                .env("AUDIT_LOG_PATH", audit.display().to_string())
                .env("STATE_DIR", state.display().to_string()),
        );
        let lister = server.client().await;
        let inventory = vms(&lister).await;
        let each = CHANGES_PER_ROUND / inventory.len();
        let done = Arc::new(AtomicUsize::new(0));
        let mut workers = Vec::new();
        for (vm, _, on) in inventory.iter().cloned() {
            let client = server.client().await;
            workers.push(tokio::spawn(toggle(client, vm, on, each, done.clone())));
        }
        // Kill after a random number of changes, a random few ms later,
        // while the other workers' changes are in flight.
        let after = 1 + moments.below((CHANGES_PER_ROUND - 2) as u64) as usize;
        let extra = Duration::from_millis(moments.below(15));
        let deadline = Instant::now() + Duration::from_secs(120);
        while done.load(Ordering::SeqCst) < after && workers.iter().any(|w| !w.is_finished()) {
            assert!(Instant::now() < deadline, "round {round} made no progress");
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        tokio::time::sleep(extra).await;
        let killed = Command::new("kill")
            .args(["-KILL", &server.pid().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        server.terminate();
        for worker in workers {
            let _ = worker.await;
        }
        eprintln!(
            "round {round}: killed after {} changes answered",
            done.load(Ordering::SeqCst)
        );
        drop(lister);
        // vcsim keeps its last 1,000 events: read this round's now.
        let events: Vec<Value> =
            serde_json::from_str(&driver.run(&format!("powerevents {last_event}"))).unwrap();
        for event in &events {
            last_event = last_event.max(event[0].as_i64().unwrap());
            let method = match event[1].as_str().unwrap() {
                "VmPoweredOnEvent" => "PowerOnVM_Task",
                _ => "PowerOffVM_Task",
            };
            *made
                .entry((
                    format!("VirtualMachine:{}", event[2].as_str().unwrap()),
                    method.into(),
                ))
                .or_default() += 1;
        }
    }

    let mut intents: BTreeMap<(String, String), usize> = BTreeMap::new();
    for record in records(&audit)
        .iter()
        .filter(|r| r["event"] == "vsphere_intent")
    {
        *intents
            .entry((
                record["target"].as_str().unwrap().to_string(),
                record["method"].as_str().unwrap().to_string(),
            ))
            .or_default() += 1;
    }
    let changes: usize = made.values().sum();
    assert!(
        changes >= ROUNDS,
        "the rounds made changes before each kill: {made:?}"
    );
    let missing: Vec<String> = made
        .iter()
        .filter(|(key, count)| intents.get(*key).copied().unwrap_or(0) < **count)
        .map(|((vm, method), count)| {
            format!(
                "{vm} {method}: vcsim made {count}, the trail has {} intents",
                intents.get(&(vm.clone(), method.clone())).unwrap_or(&0)
            )
        })
        .collect();
    assert!(
        missing.is_empty(),
        "changes without an intent record (seed {seed}): {missing:?}"
    );
    eprintln!(
        "{changes} changes made by vcsim over {ROUNDS} killed rounds, each with its intent record"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_with_five_pending_approvals_ends_each_with_a_record_and_keeps_it_pending() {
    let name = "audit-sigterm-pending";
    let audit = scratch_dir(name).join("audit.jsonl");
    let state = scratch_dir(name).join("kept-state");
    let _ = std::fs::remove_file(&audit);
    let _ = std::fs::remove_dir_all(&state);
    let options = || {
        admin::options(name, 600)
            .env("AUDIT_LOG_PATH", audit.display().to_string())
            .env("STATE_DIR", state.display().to_string())
            .env("CALL_WAIT_SECS", "2")
    };
    let mut server = Server::start(name, options());
    let operator = Operator::of(&server, name);
    let client = server.client().await;
    let running = call(
        &client,
        "infra.vmware.vms.listVMs",
        json!({"powerState": "poweredOn", "limit": 5}),
    )
    .await
    .unwrap();
    let names: Vec<String> = running.json["vms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|vm| vm["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names.len(), 5, "five running VMs: {}", running.text);
    let mut asking = Vec::new();
    for vm in names {
        let client = server.client().await;
        asking.push(tokio::spawn(async move {
            call(
                &client,
                "infra.vmware.vms.powerOffVm",
                json!({"vmName": vm}),
            )
            .await
        }));
    }
    let ids = pending_ids(&operator, 5).await;
    for answer in asking {
        let answer = answer.await.unwrap().unwrap();
        assert_eq!(answer.json["status"], "pending_approval", "{}", answer.text);
    }

    assert_eq!(server.terminate(), Some(0), "{}", server.log_text());
    let ended: BTreeSet<String> = records(&audit)
        .iter()
        .filter(|r| r["event"] == "approval_decision" && r["decision"] == "interrupted")
        .map(|r| {
            assert_eq!(r["decided_by"], "host:shutdown", "{r}");
            assert!(
                r["reason"].as_str().unwrap().contains("stays pending"),
                "{r}"
            );
            r["approval_id"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(ended, ids, "one record for each pending approval");
    let decisions = records(&audit)
        .iter()
        .filter(|r| r["event"] == "approval_decision")
        .count();
    assert_eq!(decisions, 5, "no other decision was recorded");

    let server = Server::start(name, options());
    let operator = Operator::of(&server, name);
    assert_eq!(
        pending_ids(&operator, 5).await,
        ids,
        "still pending under the same ids"
    );
    drop(client);
}

/// Wait until `count` approvals are pending; their ids.
async fn pending_ids(operator: &Operator, count: usize) -> BTreeSet<String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, body) = operator.get("/api/approvals", Some(TOKEN)).await;
        assert_eq!(status, 200, "{body}");
        let ids: BTreeSet<String> = body["pending"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|a| a["id"].as_str().map(str::to_string))
            .collect();
        if ids.len() == count {
            return ids;
        }
        assert!(
            Instant::now() < deadline,
            "{count} approvals not pending within 60 s: {body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
