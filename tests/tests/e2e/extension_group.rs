//! A team's own tool group (the example `plugins/examples/datastores`) loads
//! with `--plugins` and works against both backends with no host change: the
//! WIT contract's generic `retrieve` is all it needs.

use serde_json::json;
use vmware_mcp_e2e::{Server, ServerOptions, TestPlugin, Vcsim, call, plugin_dir};

/// A plugin directory holding only the example group.
fn datastores_plugin_dir(name: &str) -> String {
    plugin_dir(name, &[TestPlugin::Datastores])
        .display()
        .to_string()
}

async fn check_datastores(server: &Server, what: &str) {
    let client = server.client().await;
    let tools = client.list_all_tools().await.expect("tools/list");
    let tool = tools
        .iter()
        .find(|t| t.name == "infra.vmware.datastores.listDatastores")
        .unwrap_or_else(|| panic!("{what}: the new group's tool is registered"));
    assert_eq!(
        tool.annotations.as_ref().and_then(|a| a.read_only_hint),
        Some(true)
    );
    assert_eq!(
        tools.len(),
        vmware_mcp_e2e::conformance::TOOLS.len() + 1,
        "{what}: the built-in tools plus the new one"
    );
    let r = call(&client, "infra.vmware.datastores.listDatastores", json!({}))
        .await
        .unwrap();
    assert!(!r.is_error, "{what}: {}", r.text);
    let rows = r.json["datastores"].as_array().expect("datastores");
    assert!(
        !rows.is_empty() && r.json["count"] == rows.len(),
        "{what}: {}",
        r.json
    );
    assert!(
        rows.iter()
            .all(|d| d["capacityGB"].as_f64().unwrap_or(0.0) > 0.0 && d["id"].as_str().is_some()),
        "{what}: {}",
        r.json
    );
    assert!(
        rows.iter().any(|d| d["vmCount"].as_u64().unwrap_or(0) > 0),
        "{what}: VMs are counted: {}",
        r.json
    );
    client.cancel().await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_tool_group_works_on_the_simulator_and_on_vcsim_without_host_changes() {
    let demo = Server::start(
        "extension-demo",
        ServerOptions::demo()
            .arg("--plugins")
            .arg(datastores_plugin_dir("extension-demo-plugins")),
    );
    check_datastores(&demo, "simulator").await;

    let sim = Vcsim::start("extension-vcsim", &["-model", "vpx"]);
    let real = Server::start(
        "extension-vcsim",
        sim.server_options()
            .arg("--plugins")
            .arg(datastores_plugin_dir("extension-vcsim-plugins")),
    );
    check_datastores(&real, "vcsim").await;
}
