//! The conformance suite (tests/support/conformance.rs) against each backend:
//! the built-in simulated inventory, vcsim as vCenter, and vcsim as ESXi.

use vmware_mcp_e2e::conformance::{Flavor, run_all};
use vmware_mcp_e2e::{Server, ServerOptions, Vcsim, scratch_file};

fn allow_all(name: &str) -> String {
    scratch_file(name, "policy.toml", "default = \"allow\"\n")
}

#[tokio::test(flavor = "multi_thread")]
async fn simulated_inventory_conforms() {
    let server = Server::start(
        "conformance-sim",
        ServerOptions::demo().env("APPROVAL_POLICY_PATH", allow_all("conformance-sim")),
    );
    let client = server.client().await;
    run_all(
        &client,
        Flavor {
            name: "simulator",
            clone_supported: true,
            guest_reboot: true,
        },
    )
    .await;
    client.cancel().await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn vcsim_vcenter_conforms() {
    let sim = Vcsim::start("conformance-vpx", &["-model", "vpx"]);
    let server = Server::start(
        "conformance-vpx",
        sim.server_options()
            .env("APPROVAL_POLICY_PATH", allow_all("conformance-vpx")),
    );
    let client = server.client().await;
    // vcsim 0.24 reports VMware Tools as not running and does not implement
    // RebootGuest, so the reboot tool resets instead (a simulator limitation).
    run_all(
        &client,
        Flavor {
            name: "vcsim-vpx",
            clone_supported: true,
            guest_reboot: false,
        },
    )
    .await;
    client.cancel().await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn vcsim_standalone_esxi_conforms_and_refuses_clone() {
    let sim = Vcsim::start("conformance-esx", &["-model", "esx"]);
    let server = Server::start(
        "conformance-esx",
        sim.server_options()
            .env("APPROVAL_POLICY_PATH", allow_all("conformance-esx")),
    );
    let client = server.client().await;
    run_all(
        &client,
        Flavor {
            name: "vcsim-esx",
            clone_supported: false,
            guest_reboot: false,
        },
    )
    .await;
    client.cancel().await.ok();
}
