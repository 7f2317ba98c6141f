//! listVMs over a 1,000-VM vcsim: the HTTP requests the server sends to
//! vCenter grow with result pages, not with VMs. The server counts them in
//! its client and exports them as `vmware_mcp_vcenter_http_requests_total`.

use serde_json::{Value, json};
use vmware_mcp_e2e::{Server, Vcsim, call};

fn requests(metrics: &Value) -> f64 {
    metrics["counters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "vmware_mcp_vcenter_http_requests_total")
        .and_then(|c| c["value"].as_f64())
        .expect("the request counter is exported")
}

/// (VMs listed, HTTP requests the listing took)
async fn list_vms_cost(name: &str, vms_per_container: &str) -> (u64, f64) {
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
    let server = Server::start(name, sim.server_options());
    let client = server.client().await;
    let before = requests(
        &call(&client, "infra.vmware.getMetrics", json!({}))
            .await
            .unwrap()
            .json,
    );
    let list = call(&client, "infra.vmware.vms.listVMs", json!({}))
        .await
        .unwrap();
    assert!(!list.is_error, "{}", list.text);
    let after = requests(
        &call(&client, "infra.vmware.getMetrics", json!({}))
            .await
            .unwrap()
            .json,
    );
    client.cancel().await.ok();
    (list.json["count"].as_u64().unwrap(), after - before)
}

#[tokio::test(flavor = "multi_thread")]
async fn list_vms_requests_grow_with_pages_not_with_vms() {
    let (small_count, small_cost) = list_vms_cost("round-trips-small", "5").await;
    let (large_count, large_cost) = list_vms_cost("round-trips-large", "500").await;
    assert_eq!(small_count, 10);
    assert_eq!(large_count, 1000);
    println!(
        "listVMs: {small_count} VMs took {small_cost} requests; {large_count} VMs took {large_cost} requests"
    );
    assert!(
        large_cost < 40.0,
        "1,000 VMs must not need a request per VM: {large_cost}"
    );
    // Pages hold up to 1,000 objects, so the larger inventory costs at most a page more per retrieve.
    assert!(
        large_cost <= small_cost + 4.0,
        "cost grows with pages ({small_cost} → {large_cost}), not with VMs"
    );
}
