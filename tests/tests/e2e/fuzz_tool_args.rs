//! Fuzzed tool calls: 10,000 generated calls (seeded, so a failure replays)
//! across every tool over MCP against the demo — real names, near names,
//! white space, control and look-alike characters, long strings, wrong
//! types, nulls, unknown and missing arguments, bad cursors and limits.
//! Every call must end in a correct result or a clear, typed error; the
//! server must not panic, never show a secret, stay within a memory bound,
//! and quote at most a short prefix of bad input.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Map, Value, json};
use vmware_mcp_e2e::admin::TOKEN;
use vmware_mcp_e2e::{Server, admin, call};

const CALLS: usize = 10_000;
const CLIENTS: usize = 8;

/// The error kinds a tool may answer with.
const KINDS: [&str; 10] = [
    "not_found",
    "ambiguous",
    "invalid_argument",
    "invalid_state",
    "approval_required",
    "approval_denied",
    "vsphere_fault",
    "timeout",
    "cancelled",
    "internal",
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// (tool, its string arguments, its other arguments)
const TOOLS: [(&str, &[&str]); 19] = [
    (
        "infra.vmware.vms.listVMs",
        &[
            "folder",
            "name",
            "powerState",
            "host",
            "cluster",
            "guestOs",
            "cursor",
        ],
    ),
    ("infra.vmware.vms.getVMInfo", &["vmName"]),
    ("infra.vmware.vms.powerOnVm", &["vmName"]),
    ("infra.vmware.vms.powerOffVm", &["vmName"]),
    ("infra.vmware.vms.rebootVm", &["vmName"]),
    (
        "infra.vmware.vms.createSnapshot",
        &["vmName", "snapshotName", "description"],
    ),
    (
        "infra.vmware.vms.revertToSnapshot",
        &["vmName", "snapshotName"],
    ),
    (
        "infra.vmware.vms.deleteSnapshot",
        &["vmName", "snapshotName"],
    ),
    (
        "infra.vmware.vms.cloneVm",
        &["sourceVmName", "newVmName", "targetFolder"],
    ),
    (
        "infra.vmware.hosts.listHosts",
        &["clusterName", "connectionState", "cursor"],
    ),
    ("infra.vmware.hosts.getHostInfo", &["hostName"]),
    ("infra.vmware.hosts.enterMaintenanceMode", &["hostName"]),
    ("infra.vmware.hosts.exitMaintenanceMode", &["hostName"]),
    (
        "infra.vmware.networks.listNetworks",
        &["datacenter", "name", "cursor"],
    ),
    ("infra.vmware.networks.getNetworkInfo", &["networkName"]),
    (
        "infra.vmware.clusters.listClusters",
        &["datacenter", "cursor"],
    ),
    ("infra.vmware.clusters.getClusterInfo", &["clusterName"]),
    (
        "infra.vmware.clusters.listResourcePools",
        &["clusterName", "cursor"],
    ),
    ("infra.vmware.getMetrics", &[]),
];

/// A string argument: usually something plausible, often hostile.
fn string(rng: &mut Rng) -> Value {
    let real = [
        "db-01",
        "web-01",
        "app-01",
        "dev-app-01",
        "esx-01.lab.local",
        "esx-06.lab.local",
        "prod",
        "dev",
        "DC0/vm/db/db-01",
        "vm-42",
        "host-12",
        "group-v3",
        "base",
        "pre-upgrade",
        "poweredOn",
        "connected",
    ];
    let base = rng.pick(&real).to_string();
    let s = match rng.below(12) {
        0..=3 => base,
        4 => format!(" {base}"),
        5 => format!("{base}\t"),
        6 => base.replace('-', "\u{2010}").replace('o', "\u{043e}"),
        7 => base.to_uppercase(),
        8 => "x".repeat(1 + rng.below(20_000)),
        9 => (0..rng.below(64))
            .map(|_| char::from_u32(rng.below(0x3000) as u32).unwrap_or('?'))
            .collect(),
        10 => [
            "",
            "/",
            "//",
            "../..",
            "*",
            "%2f",
            "\0",
            "'; DROP",
            "<a>&amp;</a>",
            "{\"x\":1}",
        ][rng.below(10)]
        .to_string(),
        _ => format!("{base}/{}", rng.pick(&real)),
    };
    Value::String(s)
}

/// Any JSON value of a wrong or odd type.
fn odd(rng: &mut Rng) -> Value {
    match rng.below(6) {
        0 => Value::Null,
        1 => json!(rng.next() as i64),
        2 => json!(rng.below(2) == 0),
        3 => json!([1, "two", null]),
        4 => json!({"nested": {"deeper": [1]}}),
        _ => json!(-0.5),
    }
}

fn arguments(rng: &mut Rng, fields: &[&str]) -> Map<String, Value> {
    let mut args = Map::new();
    for field in fields {
        match rng.below(10) {
            0 => {} // missing
            1 => {
                args.insert(field.to_string(), odd(rng));
            }
            _ => {
                args.insert(field.to_string(), string(rng));
            }
        }
    }
    match rng.below(10) {
        0 => {
            args.insert(
                "limit".into(),
                json!([0_i64, 1, 3, 500, 501, -1, 1_i64 << 40][rng.below(7)]),
            );
        }
        1 => {
            args.insert("inMaintenance".into(), odd(rng));
        }
        2 => {
            args.insert(format!("unknown{}", rng.below(3)), string(rng));
        }
        _ => {}
    }
    args
}

fn rss_mb(pid: u32, field: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

#[tokio::test(flavor = "multi_thread")]
async fn ten_thousand_generated_calls_get_results_or_clear_errors() {
    let name = "fuzz-tool-args";
    let server = Server::start(name, admin::options(name, 1));
    let done = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for worker in 0..CLIENTS {
        let client = server.client().await;
        let done = done.clone();
        workers.push(tokio::spawn(async move {
            let mut rng = Rng(0xF022_0000 + worker as u64 * 7919);
            let mut outcomes = (0usize, 0usize);
            for _ in 0..CALLS / CLIENTS {
                let (tool, fields) = TOOLS[rng.below(TOOLS.len())];
                let args = arguments(&mut rng, fields);
                let input_len = Value::Object(args.clone()).to_string().len();
                let r = call(&client, tool, Value::Object(args.clone()))
                    .await
                    .unwrap_or_else(|e| panic!("{tool} {input_len}-byte args: protocol error {e}"));
                done.fetch_add(1, Ordering::Relaxed);
                assert!(!r.text.contains(TOKEN), "{tool}: a secret in a result");
                if r.is_error {
                    outcomes.1 += 1;
                    let kind = r.error_kind();
                    assert!(KINDS.contains(&kind), "{tool}: unknown error kind {kind:?}: {}", r.text);
                    assert!(!r.error_message().is_empty(), "{tool}: an empty error");
                    assert!(
                        r.text.len() < 4096,
                        "{tool}: a {}-byte error for {input_len} bytes of input quotes too much: {}…",
                        r.text.len(),
                        r.text.chars().take(300).collect::<String>()
                    );
                    assert_ne!(kind, "internal", "{tool} {args:?}: bad input must not be an internal error: {}", r.text);
                } else {
                    outcomes.0 += 1;
                    assert!(r.json.is_object(), "{tool}: a result is a JSON object");
                }
            }
            client.cancel().await.ok();
            outcomes
        }));
    }
    let (mut ok, mut errors) = (0, 0);
    for w in workers {
        let (o, e) = w.await.expect("no worker panicked");
        ok += o;
        errors += e;
    }
    assert_eq!(done.load(Ordering::Relaxed), CALLS);
    println!(
        "{CALLS} calls: {ok} results, {errors} clear errors; server peak RSS {:.0} MB",
        rss_mb(server.pid(), "VmHWM:")
    );
    assert!(
        ok > 200 && errors > 200,
        "the generator reaches both outcomes"
    );
    let log = server.log_text();
    assert!(!log.contains("panicked"), "no panic in the server");
    assert!(!log.contains(TOKEN), "no secret in the log");
    assert!(
        rss_mb(server.pid(), "VmHWM:") < 400.0,
        "memory stays bounded: peak {:.0} MB",
        rss_mb(server.pid(), "VmHWM:")
    );
    let health = reqwest::get(format!("{}/healthz", server.base_url))
        .await
        .unwrap();
    assert_eq!(health.status(), 200, "the server is still up");
}
