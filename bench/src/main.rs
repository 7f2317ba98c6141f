//! The scale benchmark (`tools/bench-scale.sh`): vmware-mcp against vcsim at
//! 2,000 and 20,000 VMs, every figure beside a baseline run in the same
//! process, and printed as ratios:
//!
//! - listVMs, every page, against the floor: one paged RetrievePropertiesEx
//!   of the same columns over a container view, done directly with the
//!   project's own SOAP client;
//! - the first listVMs page, and getVMInfo;
//! - a page of 50 events and of 50 tasks (history collectors' latest
//!   pages) beside a page of 50 VMs;
//! - a powerOffVm/powerOnVm pair and createSnapshot (policy: allow), whose
//!   time at 20,000 VMs is compared with the time at 2,000;
//! - the server's resident memory;
//! - the official Python MCP SDK paging through every VM at the default page
//!   size (100), first page and every page, against the floor a Python
//!   client has without the server: pyVmomi's paged RetrievePropertiesEx of
//!   the same columns, 100 a page.
//!
//! Sizes come from the command line (default `2000 20000 50000`).

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use vmware_mcp::config::Secret;
use vmware_mcp::vsphere::soap::{SoapBackend, SoapConfig};
use vmware_mcp::vsphere::{Backend, CallContext, RetrieveSpec};
use vmware_mcp_e2e::{Server, Vcsim, call, scratch_file, workspace_root};

type Client = rmcp::service::RunningService<rmcp::RoleClient, ()>;

/// The columns one listVMs row shows, as the floor reads them.
const LIST_COLUMNS: [&str; 9] = [
    "name",
    "runtime.powerState",
    "runtime.host",
    "config.hardware.numCPU",
    "config.hardware.memoryMB",
    "config.guestFullName",
    "config.guestId",
    "config.template",
    "guest.ipAddress",
];

/// What one inventory size measured.
#[derive(Debug, Default)]
struct Figures {
    vms: usize,
    floor: Duration,
    all_pages: Duration,
    pages: usize,
    first_page: Duration,
    first_page_kb: f64,
    vm_info: Duration,
    power_pair: Duration,
    snapshot: Duration,
    rss_mb: f64,
    vms_page_50: Duration,
    events_page_50: Duration,
    tasks_page_50: Duration,
    python: PythonPaging,
    pyvmomi_floor: Duration,
}

/// The Python MCP SDK paging at the default page size (`page_timing.py`).
#[derive(Debug, Default)]
struct PythonPaging {
    vms: usize,
    pages: usize,
    first_page: Duration,
    all_pages: Duration,
}

/// The default listVMs page size, which the pyVmomi floor pages by too.
const DEFAULT_PAGE: &str = "100";

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn ok(client: &Client, tool: &str, args: Value) -> Value {
    let r = call(client, tool, args.clone())
        .await
        .expect("the call is answered");
    assert!(!r.is_error, "{tool} {args}: {}", r.text);
    r.json
}

/// One direct paged read of every VM's list columns, as a client would do it.
async fn floor(sim: &Vcsim) -> (Duration, usize) {
    let mut config = SoapConfig::new(
        &sim.endpoint.url,
        &sim.endpoint.username,
        Secret::new(sim.endpoint.password.clone()),
    );
    config.ca_file = Some(sim.endpoint.cert.clone().into());
    let backend = SoapBackend::connect(config)
        .await
        .expect("the floor connects");
    let spec = RetrieveSpec {
        object_type: "VirtualMachine".into(),
        root: None,
        recursive: true,
        properties: LIST_COLUMNS.iter().map(|s| s.to_string()).collect(),
    };
    let ctx = CallContext::default();
    let mut samples = Vec::new();
    let mut count = 0;
    for _ in 0..3 {
        let started = Instant::now();
        count = backend.retrieve(&ctx, &spec).await.unwrap().len();
        samples.push(started.elapsed());
    }
    backend.shutdown().await;
    (median(samples), count)
}

async fn all_pages(client: &Client) -> (Duration, usize, usize) {
    let started = Instant::now();
    let mut cursor: Option<String> = None;
    let (mut vms, mut pages) = (0, 0);
    loop {
        let mut args = json!({"limit": 500});
        if let Some(c) = &cursor {
            args["cursor"] = json!(c);
        }
        let page = ok(client, "infra.vmware.vms.listVMs", args).await;
        vms += page["vms"].as_array().unwrap().len();
        pages += 1;
        match page["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return (started.elapsed(), vms, pages),
        }
    }
}

fn rss_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

/// Run a script of `tests/python` and parse the JSON it prints.
fn python_json(script: &str, args: &[&str]) -> Value {
    let out = std::process::Command::new("python3")
        .arg(workspace_root().join("tests/python").join(script))
        .args(args)
        .output()
        .expect("python3 runs (pip install mcp pyvmomi)");
    assert!(
        out.status.success(),
        "{script} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the script prints JSON")
}

fn millis(value: &Value) -> Duration {
    Duration::from_secs_f64(value.as_f64().unwrap_or(f64::NAN) / 1000.0)
}

fn python_paging(url: &str) -> PythonPaging {
    let v = python_json("page_timing.py", &[url]);
    PythonPaging {
        vms: v["vms"].as_u64().unwrap_or(0) as usize,
        pages: v["pages"].as_u64().unwrap_or(0) as usize,
        first_page: millis(&v["first_page_ms"]),
        all_pages: millis(&v["all_pages_ms"]),
    }
}

fn pyvmomi_floor(sim: &Vcsim) -> (Duration, usize) {
    let v = python_json(
        "pyvmomi_floor.py",
        &[
            &sim.endpoint.url,
            &sim.endpoint.username,
            &sim.endpoint.password,
            DEFAULT_PAGE,
        ],
    );
    (millis(&v["ms"]), v["vms"].as_u64().unwrap_or(0) as usize)
}

/// The median time of `tool`'s first page of 50 rows, over 10 calls: a
/// history page (events, tasks) beside a page of VMs of the same size.
/// The median time of a page of 50 of each of `tools`, sampled in rounds
/// that call each once (starting with a different one each round), so that
/// what else the machine does falls on all of them alike.
async fn page_times<const N: usize>(client: &Client, tools: [&str; N]) -> [Duration; N] {
    const ROUNDS: usize = 40;
    let mut samples: [Vec<Duration>; N] = std::array::from_fn(|_| Vec::new());
    for round in 0..ROUNDS {
        for turn in 0..N {
            let which = (round + turn) % N;
            let started = Instant::now();
            ok(client, tools[which], json!({"limit": 50})).await;
            samples[which].push(started.elapsed());
        }
    }
    samples.map(median)
}

async fn measure(total_vms: usize) -> Figures {
    let name = format!("bench-{total_vms}");
    let per_cluster = (total_vms / 2).to_string();
    let started = Instant::now();
    let sim = Vcsim::start(
        &name,
        &[
            "-model",
            "vpx",
            "-clusters",
            "2",
            "-hosts",
            "3",
            "-standalone",
            "0",
            "-vms",
            &per_cluster,
        ],
    );
    eprintln!(
        "vcsim with {total_vms} VMs up in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let mut figures = Figures::default();
    let (floor_time, floor_vms) = floor(&sim).await;
    figures.floor = floor_time;
    let (py_floor, py_floor_vms) = pyvmomi_floor(&sim);
    assert_eq!(py_floor_vms, floor_vms, "pyVmomi reads every VM");
    figures.pyvmomi_floor = py_floor;

    let policy = scratch_file(&name, "policy.toml", "default = \"allow\"\n");
    let started = Instant::now();
    let server = Server::start(
        &name,
        sim.server_options().env("APPROVAL_POLICY_PATH", policy),
    );
    eprintln!(
        "server up (index warm) in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let client = server.client().await;

    let (all, vms, pages) = all_pages(&client).await;
    assert_eq!(vms, floor_vms, "listVMs reaches every VM the floor reads");
    figures.vms = vms;
    figures.pages = pages;
    let mut all_samples = vec![all];
    all_samples.push(all_pages(&client).await.0);
    all_samples.push(all_pages(&client).await.0);
    figures.all_pages = median(all_samples);

    let mut first = Vec::new();
    let mut names = Vec::new();
    for _ in 0..10 {
        let started = Instant::now();
        let r = call(&client, "infra.vmware.vms.listVMs", json!({}))
            .await
            .expect("the first page is answered");
        first.push(started.elapsed());
        // What crosses the wire: the text block plus structuredContent.
        figures.first_page_kb = (r.text.len() + r.json.to_string().len()) as f64 / 1024.0;
        let page = r.json;
        names = page["vms"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["name"].as_str().unwrap().to_string())
            .collect();
    }
    figures.first_page = median(first);

    let mut info = Vec::new();
    for vm in names.iter().take(20) {
        let started = Instant::now();
        ok(&client, "infra.vmware.vms.getVMInfo", json!({"vmName": vm})).await;
        info.push(started.elapsed());
    }
    figures.vm_info = median(info);

    let on = ok(
        &client,
        "infra.vmware.vms.listVMs",
        json!({"powerState": "poweredOn", "limit": 5}),
    )
    .await;
    let targets: Vec<String> = on["vms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap().to_string())
        .collect();
    let mut pairs = Vec::new();
    let mut snapshots = Vec::new();
    for (i, vm) in targets.iter().enumerate() {
        let started = Instant::now();
        ok(
            &client,
            "infra.vmware.vms.powerOffVm",
            json!({"vmName": vm}),
        )
        .await;
        ok(&client, "infra.vmware.vms.powerOnVm", json!({"vmName": vm})).await;
        pairs.push(started.elapsed());
        let started = Instant::now();
        ok(
            &client,
            "infra.vmware.vms.createSnapshot",
            json!({"vmName": vm, "snapshotName": format!("bench-{i}")}),
        )
        .await;
        snapshots.push(started.elapsed());
    }
    // After the changes above, so the recent history holds their tasks too.
    [
        figures.vms_page_50,
        figures.events_page_50,
        figures.tasks_page_50,
    ] = page_times(
        &client,
        [
            "infra.vmware.vms.listVMs",
            "infra.vmware.events.listEvents",
            "infra.vmware.events.listTasks",
        ],
    )
    .await;
    figures.power_pair = median(pairs);
    figures.snapshot = median(snapshots);
    figures.rss_mb = rss_mb(server.pid());
    figures.python = python_paging(&server.mcp_url());
    assert_eq!(
        figures.python.vms, figures.vms,
        "the Python SDK reaches every VM"
    );
    client.cancel().await.ok();
    figures
}

#[tokio::main]
async fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![2000, 20000, 50000]
    } else {
        sizes
    };
    let mut results = Vec::new();
    for size in sizes {
        let figures = measure(size).await;
        eprintln!("{figures:?}");
        results.push(figures);
    }
    println!(
        "\n| figure | {} |",
        results
            .iter()
            .map(|f| format!("{} VMs", f.vms))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    println!("|---|{}", "---|".repeat(results.len()));
    let row = |label: &str, f: &dyn Fn(&Figures) -> String| {
        println!(
            "| {label} | {} |",
            results.iter().map(f).collect::<Vec<_>>().join(" | ")
        );
    };
    row(
        "floor: one paged RetrievePropertiesEx of the list columns (ms)",
        &|f| format!("{:.0}", ms(f.floor)),
    );
    row("listVMs, every page of 500 (ms)", &|f| {
        format!("{:.0} ({} pages)", ms(f.all_pages), f.pages)
    });
    row("listVMs every page ÷ floor", &|f| {
        format!("{:.2}×", ms(f.all_pages) / ms(f.floor))
    });
    row("first listVMs page, default limit (median ms)", &|f| {
        format!("{:.1}", ms(f.first_page))
    });
    row("first page ÷ floor", &|f| {
        format!("{:.3}×", ms(f.first_page) / ms(f.floor))
    });
    row("first page size, text + structuredContent (KB)", &|f| {
        format!("{:.0}", f.first_page_kb)
    });
    row("listVMs page of 50 (median ms)", &|f| {
        format!("{:.1}", ms(f.vms_page_50))
    });
    row("listEvents page of 50 ÷ listVMs page of 50", &|f| {
        format!("{:.2}×", ms(f.events_page_50) / ms(f.vms_page_50))
    });
    row("listTasks page of 50 ÷ listVMs page of 50", &|f| {
        format!("{:.2}×", ms(f.tasks_page_50) / ms(f.vms_page_50))
    });
    row("getVMInfo (median ms)", &|f| {
        format!("{:.1}", ms(f.vm_info))
    });
    row("powerOffVm + powerOnVm (median ms)", &|f| {
        format!("{:.0}", ms(f.power_pair))
    });
    row("createSnapshot (median ms)", &|f| {
        format!("{:.0}", ms(f.snapshot))
    });
    row("server RSS (MB)", &|f| format!("{:.0}", f.rss_mb));
    row(
        "floor (Python): pyVmomi paged RetrievePropertiesEx, 100 a page (ms)",
        &|f| format!("{:.0}", ms(f.pyvmomi_floor)),
    );
    row("Python MCP SDK: every listVMs page of 100 (ms)", &|f| {
        format!("{:.0} ({} pages)", ms(f.python.all_pages), f.python.pages)
    });
    row(
        "Python SDK every page ÷ pyVmomi floor (goal ≤ 0.5×)",
        &|f| format!("{:.2}×", ms(f.python.all_pages) / ms(f.pyvmomi_floor)),
    );
    row(
        "Python SDK first page, default limit (median ms; goal ≤ 20)",
        &|f| format!("{:.1}", ms(f.python.first_page)),
    );
    row("Python SDK first page ÷ pyVmomi floor", &|f| {
        format!("{:.4}×", ms(f.python.first_page) / ms(f.pyvmomi_floor))
    });
    if let (Some(small), Some(large)) = (results.first(), results.last())
        && results.len() > 1
    {
        println!(
            "\nratios {} → {} VMs: getVMInfo {:.2}×, power pair {:.2}×, createSnapshot {:.2}×, first page {:.2}×, events page {:.2}×, floor {:.2}×",
            small.vms,
            large.vms,
            ms(large.vm_info) / ms(small.vm_info),
            ms(large.power_pair) / ms(small.power_pair),
            ms(large.snapshot) / ms(small.snapshot),
            ms(large.first_page) / ms(small.first_page),
            ms(large.events_page_50) / ms(small.events_page_50),
            ms(large.floor) / ms(small.floor),
        );
    }
}
