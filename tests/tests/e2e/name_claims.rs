//! The right object every time (issue 15, point 1), against vcsim with
//! another client (pyVmomi, one session kept open) changing names behind
//! the server's back:
//! - a blue/green swap (VM A `X` → `X-old`, VM B → `X`) followed at once by
//!   `powerOffVm("X")` never powers off A, the VM that lost the name;
//! - a VM cloned elsewhere and targeted at once is found, not `not_found`.
//!
//! vcsim 0.24 hands out property changes on a 250 ms tick, so right after a
//! change the server's index still holds the old names: exactly the window
//! these tests act in.

use serde_json::{Value, json};
use vmware_mcp_e2e::vsphere_driver::Driver;
use vmware_mcp_e2e::{Server, Vcsim, call, scratch_file};

/// Two powered-on VMs' ids, from listVMs.
async fn two_running_vms(
    client: &rmcp::service::RunningService<rmcp::RoleClient, ()>,
) -> (String, String) {
    let page = call(
        client,
        "infra.vmware.vms.listVMs",
        json!({"powerState": "poweredOn", "limit": 2}),
    )
    .await
    .unwrap();
    let ids: Vec<String> = page.json["vms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 2, "two running VMs: {}", page.text);
    (ids[0].clone(), ids[1].clone())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_name_swapped_under_a_power_off_never_reaches_the_vm_that_lost_it() {
    let sim = Vcsim::start("name-swap", &["-model", "vpx", "-vms", "2"]);
    let policy = scratch_file("name-swap", "policy.toml", "default = \"allow\"\n");
    let server = Server::start(
        "name-swap",
        sim.server_options().env("APPROVAL_POLICY_PATH", policy),
    );
    let client = server.client().await;
    let (a, b) = two_running_vms(&client).await;
    let mut driver = Driver::start(&sim);
    driver.run(&format!("rename {a} X"));
    driver.run(&format!("rename {b} Y"));

    let (mut a_hit, mut b_hit, mut refused) = (0, 0, 0);
    for trial in 0..20 {
        // Settle: A is `X`, B is `Y`, both on, and the server knows it.
        driver.run(&format!("poweron {a}"));
        driver.run(&format!("poweron {b}"));
        let started = std::time::Instant::now();
        loop {
            let seen = call(
                &client,
                "infra.vmware.vms.getVMInfo",
                json!({"vmName": "X"}),
            )
            .await
            .unwrap();
            if seen.json["id"] == a.as_str() {
                break;
            }
            assert!(
                started.elapsed().as_secs() < 5,
                "trial {trial}: the server never saw A named X again: {}",
                seen.text
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }

        // The swap, then the power-off with no delay at all.
        driver.run(&format!("rename {a} X-old"));
        driver.run(&format!("rename {b} X"));
        let off = call(
            &client,
            "infra.vmware.vms.powerOffVm",
            json!({"vmName": "X"}),
        )
        .await
        .unwrap();

        let a_state = driver.run(&format!("power {a}"));
        let b_state = driver.run(&format!("power {b}"));
        if a_state != "poweredOn" {
            a_hit += 1;
        }
        if b_state != "poweredOn" {
            b_hit += 1;
            assert!(
                !off.is_error,
                "B went off, so the call succeeded: {}",
                off.text
            );
            assert!(
                off.text.contains(b.as_str()),
                "the result names the VM that now holds the name ({b}): {}",
                off.text
            );
        } else {
            refused += 1;
            assert!(
                off.is_error && off.error_kind() == "invalid_state",
                "nothing was powered off, so the call says why: {}",
                off.text
            );
        }
        // Back to the start: B is `Y`, A is `X`.
        driver.run(&format!("rename {b} Y"));
        driver.run(&format!("rename {a} X"));
    }
    println!(
        "20 swaps: the VM that lost the name was hit {a_hit} times; the new holder {b_hit}; refused {refused}"
    );
    assert_eq!(
        a_hit, 0,
        "the VM that lost the name was acted on in {a_hit} of 20 trials"
    );
    assert!(
        b_hit >= 15,
        "the VM that holds the name now is the target: powered off in only {b_hit} of 20 trials"
    );
    client.cancel().await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_vm_cloned_elsewhere_is_found_the_moment_the_clone_is_done() {
    let sim = Vcsim::start("clone-at-once", &["-model", "vpx", "-vms", "2"]);
    let server = Server::start("clone-at-once", sim.server_options());
    let client = server.client().await;
    let (source, _) = two_running_vms(&client).await;
    let mut driver = Driver::start(&sim);
    for trial in 0..10 {
        let name = format!("made-elsewhere-{trial}");
        let id = driver.run(&format!("clone {source} {name}"));
        let info = call(
            &client,
            "infra.vmware.vms.getVMInfo",
            json!({"vmName": name}),
        )
        .await
        .unwrap();
        assert_eq!(
            info.json["id"],
            Value::from(id.as_str()),
            "trial {trial}: a clone made a moment ago is found: {}",
            info.text
        );
    }
    client.cancel().await.ok();
}
