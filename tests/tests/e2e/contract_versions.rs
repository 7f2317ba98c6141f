//! The versioned contract: a component built from the frozen
//! `infra:vmware@0.1.0` WIT (`plugins/testing/legacy-v0_1`) still loads
//! beside the 0.2.0 built-in groups and works, on the simulator and on vcsim.

use serde_json::json;
use vmware_mcp_e2e::{Server, ServerOptions, TestPlugin, Vcsim, call, plugin_dir};

/// A plugin directory holding only the 0.1.0 component.
fn legacy_plugin_dir(name: &str) -> String {
    plugin_dir(name, &[TestPlugin::Legacy])
        .display()
        .to_string()
}

async fn check(server: &Server, what: &str) {
    let client = server.client().await;
    let tools = client.list_all_tools().await.unwrap();
    assert!(
        tools
            .iter()
            .any(|t| t.name == "infra.vmware.legacy.countVms"),
        "{what}: the 0.1.0 group's tool is registered"
    );
    let listed = call(&client, "infra.vmware.vms.listVMs", json!({}))
        .await
        .unwrap();
    let legacy = call(&client, "infra.vmware.legacy.countVms", json!({}))
        .await
        .unwrap();
    assert!(!legacy.is_error, "{what}: {}", legacy.text);
    assert_eq!(legacy.json["contract"], "0.1.0");
    assert_eq!(
        legacy.json["count"], listed.json["total"],
        "{what}: the 0.1.0 component reads the same inventory through retrieve"
    );
    let line = server
        .log_lines()
        .into_iter()
        .find(|l| l["message"] == "plugin loaded" && l["plugin"] == "legacy")
        .expect("the load is logged");
    assert_eq!(line["contract"], "0.1.0", "{line}");
    client.cancel().await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_component_built_against_0_1_0_still_loads_and_works() {
    let demo = Server::start(
        "contract-v0_1-demo",
        ServerOptions::demo()
            .arg("--plugins")
            .arg(legacy_plugin_dir("contract-v0_1-demo")),
    );
    check(&demo, "simulator").await;

    let sim = Vcsim::start("contract-v0_1-vcsim", &["-model", "vpx", "-vms", "2"]);
    let real = Server::start(
        "contract-v0_1-vcsim",
        sim.server_options()
            .arg("--plugins")
            .arg(legacy_plugin_dir("contract-v0_1-vcsim")),
    );
    check(&real, "vcsim").await;
}
