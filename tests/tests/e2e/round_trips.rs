//! What each tool costs in vCenter requests, at 10 and at 1,000 VMs on
//! vcsim: on a warm inventory index, getVMInfo makes at most 2 requests and
//! powerOffVm the same number at both sizes, and a full listing costs none
//! (its rows come from the index, which vCenter's update stream keeps
//! current). The server counts the requests in its client and
//! exports them as `vmware_mcp_vcenter_http_requests_total`, the update
//! feeds' own as `vmware_mcp_vcenter_feed_requests_total`.

use serde_json::{Value, json};
use vmware_mcp_e2e::{Server, Vcsim, call, first_vm, scratch_file};

type Client = rmcp::service::RunningService<rmcp::RoleClient, ()>;

/// The requests sent to vCenter so far, less the update feeds' waits (the
/// index's and the recent history's), which go on whatever is called.
async fn requests(client: &Client) -> f64 {
    let metrics = call(client, "infra.vmware.getMetrics", json!({}))
        .await
        .unwrap()
        .json;
    let counter = |name: &str| {
        metrics["counters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .and_then(|c| c["value"].as_f64())
            .unwrap_or_else(|| panic!("{name} is exported"))
    };
    counter("vmware_mcp_vcenter_http_requests_total")
        - counter("vmware_mcp_vcenter_feed_requests_total")
}

/// The requests one call costs (the metrics calls around it cost none).
async fn cost(client: &Client, tool: &str, args: Value) -> (Value, f64) {
    let before = requests(client).await;
    let r = call(client, tool, args.clone()).await.unwrap();
    assert!(!r.is_error, "{tool} {args}: {}", r.text);
    let after = requests(client).await;
    (r.json, after - before)
}

/// Costs at one inventory size.
#[derive(Debug)]
struct Costs {
    vms: usize,
    list_requests: f64,
    pages: usize,
    info_requests: f64,
    power_off_requests: f64,
}

async fn measure(name: &str, vms_per_container: &str) -> Costs {
    let sim = Vcsim::start(
        name,
        &[
            "-model",
            "vpx",
            "-vms",
            vms_per_container,
            "-clusters",
            "1",
            "-standalone",
            "1",
        ],
    );
    let policy = scratch_file(name, "policy.toml", "default = \"allow\"\n");
    let server = Server::start(
        name,
        sim.server_options().env("APPROVAL_POLICY_PATH", policy),
    );
    let client = server.client().await;

    // Every VM exactly once across pages of 500.
    let mut ids: Vec<String> = Vec::new();
    let mut cursor: Option<String> = None;
    let mut list_requests = 0.0;
    let mut pages = 0;
    loop {
        let mut args = json!({"limit": 500});
        if let Some(c) = &cursor {
            args["cursor"] = json!(c);
        }
        let (page, spent) = cost(&client, "infra.vmware.vms.listVMs", args).await;
        list_requests += spent;
        pages += 1;
        ids.extend(
            page["vms"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v["id"].as_str().unwrap().to_string()),
        );
        assert_eq!(
            page["returned"].as_u64(),
            Some(page["vms"].as_array().unwrap().len() as u64)
        );
        match page["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => {
                assert_eq!(page["total"].as_u64(), Some(ids.len() as u64));
                break;
            }
        }
    }
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "no VM is listed twice");

    let vm = first_vm(&client, json!({"powerState": "poweredOn"})).await["id"]
        .as_str()
        .expect("a powered-on VM")
        .to_string();
    let (info, info_requests) =
        cost(&client, "infra.vmware.vms.getVMInfo", json!({"vmName": vm})).await;
    assert_eq!(info["id"], vm.as_str());
    let (off, power_off_requests) = cost(
        &client,
        "infra.vmware.vms.powerOffVm",
        json!({"vmName": vm}),
    )
    .await;
    assert_eq!(off["powerState"], "poweredOff", "{off}");
    client.cancel().await.ok();
    Costs {
        vms: ids.len(),
        list_requests,
        pages,
        info_requests,
        power_off_requests,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn per_call_requests_do_not_grow_with_the_inventory() {
    let small = measure("round-trips-small", "5").await;
    let large = measure("round-trips-large", "500").await;
    println!("10 VMs: {small:?}\n1,000 VMs: {large:?}");
    assert_eq!(small.vms, 10);
    assert_eq!(large.vms, 1000);
    assert!(
        small.info_requests <= 2.0 && large.info_requests <= 2.0,
        "getVMInfo on a warm index: at most 2 requests ({} and {})",
        small.info_requests,
        large.info_requests
    );
    assert_eq!(
        small.power_off_requests, large.power_off_requests,
        "powerOffVm costs the same at 10 and 1,000 VMs"
    );
    assert_eq!(large.pages, 2, "1,000 VMs in pages of 500");
    assert_eq!(
        (small.list_requests, large.list_requests),
        (0.0, 0.0),
        "every page is served from the index, at both sizes"
    );
}
