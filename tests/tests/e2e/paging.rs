//! Lists that scale, over MCP on the demo inventory: pages reach every VM
//! exactly once, every filter of listVMs and listHosts narrows as it says,
//! bad cursors and over-large limits get clear errors, and results carry
//! compact JSON text.

use std::collections::BTreeSet;

use serde_json::{Value, json};
use vmware_mcp_e2e::{Server, ServerOptions, call};

type Client = rmcp::service::RunningService<rmcp::RoleClient, ()>;

/// Every row of every page of `tool` with `args`, checking the paging fields.
async fn all_rows(client: &Client, tool: &str, key: &str, args: Value) -> Vec<Value> {
    let mut rows = Vec::new();
    let mut cursor: Option<String> = None;
    let mut total = None;
    for _ in 0..1000 {
        let mut page_args = args.clone();
        if let Some(c) = &cursor {
            page_args["cursor"] = json!(c);
        }
        let r = call(client, tool, page_args.clone()).await.unwrap();
        assert!(!r.is_error, "{tool} {page_args}: {}", r.text);
        let page = r.json[key].as_array().unwrap().clone();
        assert_eq!(r.json["returned"].as_u64(), Some(page.len() as u64));
        if let Some(limit) = args["limit"].as_u64() {
            assert!(page.len() as u64 <= limit);
        }
        let this_total = r.json["total"].as_u64().expect("total");
        assert_eq!(
            *total.get_or_insert(this_total),
            this_total,
            "total is stable"
        );
        rows.extend(page);
        match r.json.get("nextCursor").and_then(Value::as_str) {
            Some(c) => cursor = Some(c.to_string()),
            None => {
                assert_eq!(
                    rows.len() as u64,
                    this_total,
                    "the last page completes the total"
                );
                return rows;
            }
        }
    }
    panic!("paging did not end");
}

fn ids(rows: &[Value]) -> Vec<String> {
    rows.iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_filters_and_bad_cursors() {
    let server = Server::start("paging", ServerOptions::demo());
    let client = server.client().await;
    let tool = "infra.vmware.vms.listVMs";

    let everything = all_rows(&client, tool, "vms", json!({})).await;
    assert!(everything.len() >= 15, "the demo has 15+ VMs");
    for limit in [1, 3, 7] {
        let paged = all_rows(&client, tool, "vms", json!({"limit": limit})).await;
        assert_eq!(
            ids(&paged),
            ids(&everything),
            "limit {limit}: same VMs, same order, once each"
        );
    }
    let unique: BTreeSet<String> = ids(&everything).into_iter().collect();
    assert_eq!(unique.len(), everything.len(), "no VM twice");

    // Each filter narrows to exactly the rows that satisfy it.
    let check = |filter: Value, keep: &dyn Fn(&Value) -> bool| {
        let expected: Vec<String> = everything
            .iter()
            .filter(|r| keep(r))
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect();
        (filter, expected)
    };
    let host = everything
        .iter()
        .find_map(|r| r["host"].as_str())
        .expect("a VM with a host")
        .to_string();
    let folder = everything
        .iter()
        .filter_map(|r| r["folder"].as_str())
        .find(|f| f.matches('/').count() >= 2)
        .expect("a VM in a subfolder")
        .to_string();
    let hosts = call(
        &client,
        "infra.vmware.hosts.listHosts",
        json!({"clusterName": "prod"}),
    )
    .await
    .unwrap();
    let prod_hosts: Vec<String> = hosts.json["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["name"].as_str().unwrap().to_string())
        .collect();
    assert!(!prod_hosts.is_empty());
    let cases = [
        check(json!({"name": "WEB-*"}), &|r| {
            r["name"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .starts_with("web-")
        }),
        check(json!({"name": "*-0?"}), &|r| {
            let n = r["name"].as_str().unwrap();
            n.len() >= 4 && n[n.len() - 3..n.len() - 1].eq_ignore_ascii_case("-0")
        }),
        check(json!({"powerState": "poweredOff"}), &|r| {
            r["powerState"] == "poweredOff"
        }),
        check(json!({"host": host.clone()}), &|r| {
            r["host"] == host.as_str()
        }),
        check(json!({"cluster": "prod"}), &|r| {
            r["host"]
                .as_str()
                .is_some_and(|h| prod_hosts.iter().any(|p| p == h))
        }),
        check(json!({"guestOs": "UBUNTU"}), &|r| {
            r["guestOS"]
                .as_str()
                .is_some_and(|g| g.to_lowercase().contains("ubuntu"))
        }),
        check(json!({"folder": folder.clone()}), &|r| {
            r["folder"]
                .as_str()
                .is_some_and(|f| f == folder || f.starts_with(&format!("{folder}/")))
        }),
    ];
    for (filter, expected) in cases {
        let mut paged_filter = filter.clone();
        paged_filter["limit"] = json!(2);
        let got = all_rows(&client, tool, "vms", paged_filter).await;
        assert_eq!(ids(&got), expected, "filter {filter}");
        assert!(
            !expected.is_empty() && expected.len() < everything.len(),
            "filter {filter} must narrow the demo's list to some VMs: {expected:?}"
        );
    }

    // listHosts: paging and its filters.
    let all_hosts = all_rows(&client, "infra.vmware.hosts.listHosts", "hosts", json!({})).await;
    let paged_hosts = all_rows(
        &client,
        "infra.vmware.hosts.listHosts",
        "hosts",
        json!({"limit": 2}),
    )
    .await;
    assert_eq!(ids(&paged_hosts), ids(&all_hosts));
    for (filter, keep) in [
        (
            json!({"inMaintenance": true}),
            Box::new(|h: &Value| h["inMaintenanceMode"] == true) as Box<dyn Fn(&Value) -> bool>,
        ),
        (
            json!({"inMaintenance": false}),
            Box::new(|h: &Value| h["inMaintenanceMode"] == false),
        ),
        (
            json!({"connectionState": "connected"}),
            Box::new(|h: &Value| h["connectionState"] == "connected"),
        ),
        (
            json!({"clusterName": "prod"}),
            Box::new(|h: &Value| h["cluster"] == "prod"),
        ),
    ] {
        let expected: Vec<String> = all_hosts
            .iter()
            .filter(|h| keep(h))
            .map(|h| h["id"].as_str().unwrap().to_string())
            .collect();
        let got = all_rows(
            &client,
            "infra.vmware.hosts.listHosts",
            "hosts",
            filter.clone(),
        )
        .await;
        assert_eq!(ids(&got), expected, "listHosts filter {filter}");
        assert!(!expected.is_empty(), "{filter}");
    }

    // Bad cursors and limits: clear errors.
    let page = call(&client, tool, json!({"limit": 2})).await.unwrap();
    let cursor = page.json["nextCursor"].as_str().unwrap().to_string();
    for (args, says) in [
        (
            json!({"cursor": "not-a-cursor"}),
            "not issued by this server",
        ),
        (
            json!({"cursor": format!("{cursor}0")}),
            "not issued by this server",
        ),
        (
            json!({"limit": 2, "cursor": cursor.clone(), "powerState": "poweredOn"}),
            "another query",
        ),
        (json!({"limit": 501}), "500"),
        (json!({"limit": 0}), "1"),
        (json!({"powerState": "off"}), "poweredOn"),
    ] {
        let r = call(&client, tool, args.clone()).await.unwrap();
        assert!(r.is_error, "{args} must fail: {}", r.text);
        assert_eq!(r.error_kind(), "invalid_argument", "{args}: {}", r.text);
        assert!(
            r.error_message().contains(says),
            "{args}: {}",
            r.error_message()
        );
        assert!(
            r.text.len() < 2000,
            "errors quote only a prefix of bad input"
        );
    }
    let schema = client
        .list_all_tools()
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.name == tool)
        .unwrap()
        .input_schema;
    assert_eq!(
        schema["properties"]["limit"]["maximum"], 500,
        "the schema states the maximum"
    );

    // The text block is compact JSON of the same data.
    let r = call(&client, tool, json!({})).await.unwrap();
    let text = r
        .text
        .lines()
        .find(|l| l.starts_with('{'))
        .expect("a JSON text block");
    assert!(!text.contains("\n"), "compact");
    let parsed: Value = serde_json::from_str(text).unwrap();
    assert_eq!(parsed["total"], r.json["total"]);
    client.cancel().await.ok();
}
