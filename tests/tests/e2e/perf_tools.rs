//! Issue 18's perf group end to end: `getVMStats` and `getHostStats` over
//! MCP on the built-in simulator (`--demo`), where they answer at once
//! under a policy that asks approval for every change (QueryPerf is a
//! read), and on vcsim as vCenter and as ESXi, where counter keys and units
//! are compared with what pyVmomi resolves and the reduced values with
//! pyVmomi's own QueryPerf.

use serde_json::{Value, json};
use vmware_mcp_e2e::tool_calls::ok;
use vmware_mcp_e2e::{Server, ServerOptions, Vcsim, call, workspace_root};

const VM_STATS: &str = "infra.vmware.perf.getVMStats";
const HOST_STATS: &str = "infra.vmware.perf.getHostStats";

/// A counter of a stats result by vSphere name.
fn counter<'a>(stats: &'a Value, name: &str) -> &'a Value {
    stats["counters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["counter"] == name)
        .unwrap_or_else(|| panic!("{name} in {stats}"))
}

/// Seconds since 1970 of an RFC 3339 UTC time (`2026-12-07T01:02:03Z`,
/// fractions ignored), by the civil-calendar day count.
fn unix_seconds(text: &str) -> i64 {
    let n = |range: std::ops::Range<usize>| text[range].parse::<i64>().unwrap();
    let (y, m, d) = (n(0..4), n(5..7), n(8..10));
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    days * 86_400 + n(11..13) * 3_600 + n(14..16) * 60 + n(17..19)
}

/// Seconds between two RFC 3339 UTC times.
fn seconds_between(from: &Value, to: &Value) -> i64 {
    unix_seconds(to.as_str().unwrap()) - unix_seconds(from.as_str().unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn reads_vm_and_host_counters_without_approval_on_the_demo() {
    assert_eq!(unix_seconds("2026-12-07T01:02:03.5Z"), 1_796_605_323);
    // The demo's default policy asks for every change: stats that needed
    // approval would not answer at once.
    let server = Server::start("perf-demo", ServerOptions::demo());
    let client = server.client().await;

    let web = ok(&client, VM_STATS, json!({"vmName": "web-01"})).await;
    assert_eq!(
        (
            web["name"].clone(),
            web["interval"].clone(),
            web["samples"].clone()
        ),
        (json!("web-01"), json!(20), json!(15))
    );
    assert_eq!(seconds_between(&web["from"], &web["to"]), 14 * 20, "{web}");
    assert_eq!(web["counters"].as_array().unwrap().len(), 10, "{web}");
    let usage = counter(&web, "cpu.usage.average");
    assert_eq!(
        (usage["key"].clone(), usage["unit"].clone()),
        (json!(2), json!("percent"))
    );
    let (latest, average, maximum) = (
        usage["latest"].as_f64().unwrap(),
        usage["average"].as_f64().unwrap(),
        usage["maximum"].as_f64().unwrap(),
    );
    assert!(
        0.0 < latest && latest <= maximum && average <= maximum && maximum <= 100.0,
        "{usage}"
    );
    assert_eq!(
        counter(&web, "disk.maxTotalLatency.latest")["unit"],
        "millisecond"
    );

    // A VM that is off does nothing; the same window reads the same values.
    let args = json!({"vmName": "DC0/vm/web/web-03", "metrics": ["cpu", "net.received.average"], "interval": "1d", "samples": 5});
    let off = ok(&client, VM_STATS, args.clone()).await;
    let names: Vec<&str> = off["counters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["counter"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "cpu.usage.average",
            "cpu.ready.summation",
            "net.received.average"
        ]
    );
    assert!(
        off["counters"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["maximum"] == 0.0),
        "{off}"
    );
    assert_eq!(
        (off["interval"].clone(), off["samples"].clone()),
        (json!(86_400), json!(5))
    );
    let again = ok(&client, VM_STATS, args).await;
    if again["to"] == off["to"] {
        assert_eq!(again, off);
    }

    // A host by inventory path, over an hour of 5-minute samples.
    let host = ok(
        &client,
        HOST_STATS,
        json!({"hostName": "DC0/host/prod/esx-01.lab.local", "interval": "5m", "samples": 12}),
    )
    .await;
    assert_eq!(host["samples"], 12);
    assert_eq!(
        seconds_between(&host["from"], &host["to"]),
        11 * 300,
        "{host}"
    );
    assert!(
        counter(&host, "mem.active.average")["average"]
            .as_f64()
            .unwrap()
            > 0.0,
        "{host}"
    );
    assert!(
        counter(&host, "net.transmitted.average")["latest"]
            .as_f64()
            .unwrap()
            > 0.0,
        "{host}"
    );

    // Refusals name what is valid, before anything is read.
    let bad = call(
        &client,
        VM_STATS,
        json!({"vmName": "web-01", "metrics": ["cpu", "gpu"]}),
    )
    .await
    .unwrap();
    assert!(
        bad.is_error
            && bad.text.contains("gpu")
            && bad.text.contains("cpu, mem, disk, net")
            && bad.text.contains("net.transmitted.average"),
        "{}",
        bad.text
    );
    let bad = call(
        &client,
        HOST_STATS,
        json!({"hostName": "esx-01.lab.local", "interval": "hourly"}),
    )
    .await
    .unwrap();
    assert!(
        bad.is_error && bad.text.contains("interval"),
        "{}",
        bad.text
    );
    let bad = call(&client, VM_STATS, json!({"vmName": "web-1"}))
        .await
        .unwrap();
    assert!(
        bad.is_error && bad.text.contains("web-01"),
        "close names offered: {}",
        bad.text
    );
    client.cancel().await.ok();
}

/// What pyVmomi resolves and reads for entity `id` of `kind`.
fn pyvmomi(sim: &Vcsim, kind: &str, id: &str, interval: u32, samples: u32) -> Value {
    let out = std::process::Command::new("python3")
        .arg(workspace_root().join("tests/python/perf.py"))
        .args([
            sim.endpoint.url.as_str(),
            sim.endpoint.username.as_str(),
            sim.endpoint.password.as_str(),
            kind,
            id,
            &interval.to_string(),
            &samples.to_string(),
        ])
        .output()
        .expect("python3 runs (pip install pyvmomi)");
    assert!(
        out.status.success(),
        "perf.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("perf.py prints JSON")
}

/// `stats` agrees with pyVmomi's `truth` for the same query: the same
/// counters, keys and units, as many samples, and values of the same
/// series. vcsim adds random noise to every sample it serves (and its
/// series move on every 20 s), so two queries never read the same numbers:
/// a counter vcsim has no data for is empty or zero in both, and the
/// others' averages agree within half of pyVmomi's maximum.
fn agrees(model: &str, stats: &Value, truth: &Value) {
    let counters = stats["counters"].as_array().unwrap();
    assert_eq!(counters.len(), 10, "{model}: {stats}");
    assert_eq!(
        stats["samples"].as_u64().unwrap() as usize,
        truth["times"].as_array().unwrap().len(),
        "{model}: {stats} vs {truth}"
    );
    for c in counters {
        let name = c["counter"].as_str().unwrap();
        let known = &truth["counters"][name];
        assert_eq!(
            (&c["key"], &c["unit"]),
            (&known["key"], &known["unit"]),
            "{model}: {name}"
        );
        let scale = if c["unit"] == "percent" { 100.0 } else { 1.0 };
        let raw: Vec<f64> = truth["values"][name]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap() / scale)
            .collect();
        if raw.is_empty() {
            // vcsim 0.24 drops every 0 of a series as it encodes it (a
            // simulator bug), so a counter it has no data for arrives with
            // no values at all, for pyVmomi and for the tool alike.
            assert!(c["maximum"].is_null(), "{model}: {name}: {c}");
            continue;
        }
        let max = raw.iter().copied().fold(0.0, f64::max);
        let mean = raw.iter().sum::<f64>() / raw.len() as f64;
        let (latest, average, maximum) = (
            c["latest"].as_f64().unwrap(),
            c["average"].as_f64().unwrap(),
            c["maximum"].as_f64().unwrap(),
        );
        assert!(
            latest <= maximum && average <= maximum + 0.01,
            "{model}: {c}"
        );
        if max == 0.0 {
            assert_eq!(maximum, 0.0, "{model}: {name} has no data in vcsim: {c}");
        } else {
            assert!(
                (average - mean).abs() <= max / 2.0 + 1.0,
                "{model}: {name}: {c} vs pyVmomi's {raw:?}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn counters_and_values_agree_with_pyvmomi_on_vcsim() {
    for model in ["vpx", "esx"] {
        let name = format!("perf-vcsim-{model}");
        let sim = Vcsim::start(&name, &["-model", model]);
        let server = Server::start(&name, sim.server_options());
        let client = server.client().await;
        let vms = ok(&client, "infra.vmware.vms.listVMs", json!({})).await;
        let vm = vms["vms"][0]["id"].as_str().unwrap().to_string();
        let hosts = ok(&client, "infra.vmware.hosts.listHosts", json!({})).await;
        let host = hosts["hosts"][0]["id"].as_str().unwrap().to_string();

        let stats = ok(&client, VM_STATS, json!({"vmName": vm, "samples": 30})).await;
        assert_eq!(
            (stats["id"].as_str(), stats["interval"].as_u64()),
            (Some(vm.as_str()), Some(20))
        );
        agrees(model, &stats, &pyvmomi(&sim, "VirtualMachine", &vm, 20, 30));
        let stats = ok(
            &client,
            HOST_STATS,
            json!({"hostName": host, "interval": "30m", "samples": 8}),
        )
        .await;
        assert_eq!(stats["interval"], 1_800, "{model}: {stats}");
        agrees(model, &stats, &pyvmomi(&sim, "HostSystem", &host, 1_800, 8));
        client.cancel().await.ok();
    }
}
