//! A vSphere task's progress reaches the MCP client as progress notifications
//! when the client sent a progress token (vcsim with slow tasks).

use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, NumberOrString, ProgressToken, RequestMetaObject};
use rmcp::transport::StreamableHttpClientTransport;
use serde_json::json;
use vmware_mcp_e2e::helpers::ProgressRecorder;
use vmware_mcp_e2e::{Server, Vcsim, scratch_file};

#[tokio::test(flavor = "multi_thread")]
async fn task_progress_is_forwarded_to_the_client() {
    let name = "progress-vcsim";
    let sim = Vcsim::start(name, &["-model", "vpx", "-task-delay", "1500ms"]);
    let server = Server::start(
        name,
        sim.server_options().env(
            "APPROVAL_POLICY_PATH",
            scratch_file(name, "policy.toml", "default = \"allow\"\n"),
        ),
    );
    let recorder = ProgressRecorder::default();
    let client = recorder
        .clone()
        .serve(StreamableHttpClientTransport::from_uri(server.mcp_url()))
        .await
        .expect("client");

    let list = {
        let mut p = CallToolRequestParams::new("infra.vmware.vms.listVMs");
        p.arguments = Some(serde_json::Map::new());
        client.call_tool(p).await.expect("listVMs")
    };
    let vms = list.structured_content.expect("structured listVMs");
    let vm = vms["vms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["powerState"] == "poweredOn")
        .expect("a powered-on VM")["id"]
        .as_str()
        .unwrap()
        .to_string();

    let token = ProgressToken(NumberOrString::String("power-off-1".into()));
    let mut params = CallToolRequestParams::new("infra.vmware.vms.powerOffVm");
    params.arguments = Some(json!({"vmName": vm}).as_object().unwrap().clone());
    params.meta = Some(RequestMetaObject::with_progress_token(token.clone()));
    let result = client.call_tool(params).await.expect("powerOffVm");
    assert_ne!(result.is_error, Some(true), "{:?}", result.content);

    let seen = recorder.seen.lock().unwrap().clone();
    assert!(
        !seen.is_empty(),
        "progress notifications arrived while the task ran"
    );
    // rmcp's client attaches its own progress token to each request; all notifications carry the one it sent.
    assert!(
        seen.iter()
            .all(|p| p.progress_token == seen[0].progress_token),
        "{seen:?}"
    );
    assert!(
        seen.windows(2).all(|w| w[0].progress < w[1].progress),
        "progress strictly increases: {seen:?}"
    );
    assert_eq!(seen.last().map(|p| p.progress), Some(100.0), "{seen:?}");
    assert!(
        seen.iter().any(|p| p
            .message
            .as_deref()
            .unwrap_or("")
            .contains("PowerOffVM_Task")),
        "the message names the task: {seen:?}"
    );
    drop(seen);

    client.cancel().await.ok();
}
