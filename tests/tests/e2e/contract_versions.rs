//! The versioned contract: components built from the frozen
//! `infra:vmware@0.1.0` and `@0.2.0` WIT (`plugins/testing/legacy-v0_1`,
//! `plugins/testing/legacy-v0_2`) still load beside the current built-in
//! groups and work through the host's translations, on the simulator and on
//! vcsim: what each version imports (0.2.0's `inventory` included) and an
//! error crossing back in the old contract's words.

use serde_json::json;
use vmware_mcp_e2e::{Server, ServerOptions, TestPlugin, Vcsim, call, plugin_dir};

/// A plugin directory holding the 0.1.0 and 0.2.0 components.
fn legacy_plugin_dir(name: &str) -> String {
    plugin_dir(name, &[TestPlugin::Legacy, TestPlugin::LegacyV02])
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

    let v02 = call(&client, "infra.vmware.legacy2.countVms", json!({}))
        .await
        .unwrap();
    assert!(!v02.is_error, "{what}: {}", v02.text);
    assert_eq!(v02.json["contract"], "0.2.0");
    assert_eq!(
        v02.json["selected"], listed.json["total"],
        "{what}: the 0.2.0 component selects the same inventory through 0.2.0's inventory"
    );
    assert_eq!(v02.json["retrieved"], listed.json["total"], "{what}");
    let first = &listed.json["vms"][0];
    let resolved = call(
        &client,
        "infra.vmware.legacy2.resolveVm",
        json!({"vmName": first["name"]}),
    )
    .await
    .unwrap();
    assert!(!resolved.is_error, "{what}: {}", resolved.text);
    assert_eq!(
        resolved.json["id"], first["id"],
        "{what}: {}",
        resolved.text
    );
    let missing = call(
        &client,
        "infra.vmware.legacy2.resolveVm",
        json!({"vmName": "no-such-vm"}),
    )
    .await
    .unwrap();
    assert!(missing.is_error, "{what}: {}", missing.text);
    assert_eq!(
        missing.error_kind(),
        "not_found",
        "{what}: a 0.2.0 error crosses back as the same kind: {}",
        missing.text
    );
    let line = server
        .log_lines()
        .into_iter()
        .find(|l| l["message"] == "plugin loaded" && l["plugin"] == "legacy2")
        .expect("the 0.2.0 load is logged");
    assert_eq!(line["contract"], "0.2.0", "{line}");
    client.cancel().await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn components_built_against_0_1_0_and_0_2_0_still_load_and_work() {
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
