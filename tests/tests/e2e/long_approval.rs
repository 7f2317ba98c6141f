//! A long approval survives: with `APPROVAL_TIMEOUT_SECS=400`, an operator's
//! approval given 350 s into the wait completes the call. Before the fix the
//! MCP session idled out at 300 s and the agent got a transport error.
//! (This test waits six minutes by design.)

use std::time::Duration;

use serde_json::json;
use vmware_mcp_e2e::admin::{self, Operator};
use vmware_mcp_e2e::{Server, call, first_vm};

#[tokio::test(flavor = "multi_thread")]
async fn an_approval_given_after_350_s_completes_the_call() {
    let name = "long-approval";
    // A client that waits as long as it takes (CALL_WAIT_SECS above the
    // approval's wait): the call itself carries the result.
    let server = Server::start(name, admin::options(name, 400).env("CALL_WAIT_SECS", "400"));
    let op = Operator::of(&server, name);
    let client = server.client().await;
    let vm = first_vm(&client, json!({"powerState": "poweredOn"})).await["name"]
        .as_str()
        .unwrap()
        .to_string();

    let waiting = tokio::spawn({
        let vm = vm.clone();
        async move {
            let r = call(
                &client,
                "infra.vmware.vms.powerOffVm",
                json!({"vmName": vm}),
            )
            .await;
            (client, r)
        }
    });
    let pending = op.wait_for_pending("infra.vmware.vms.powerOffVm").await;
    let id = pending["id"].as_str().unwrap().to_string();
    tokio::time::sleep(Duration::from_secs(350)).await;
    let (code, out, err) = tokio::task::spawn_blocking(move || {
        op.cli(&["approve", &id, "--reason", "late but approved"])
    })
    .await
    .unwrap();
    assert_eq!(code, Some(0), "{out}{err}");
    let (client, result) = waiting.await.unwrap();
    let result = result.expect("the call is answered, not a transport error");
    assert!(!result.is_error, "{}", result.text);
    assert_eq!(result.json["powerState"], "poweredOff", "{}", result.text);
    client.cancel().await.ok();
}
