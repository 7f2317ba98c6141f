//! A newcomer can try an approval in `--demo` with no configuration (issue
//! 11): the start-up banner shows the operator page's address with a token
//! generated for the run; a state-changing call waits, is approved through
//! the operator API with that token, and completes. A real vCenter never
//! gets this default.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use vmware_mcp_e2e::{Server, ServerOptions, Vcsim, call, first_vm};

/// The operator page's base URL and the token from the banner.
fn banner(server: &Server) -> (String, String) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let log = server.log_text();
        if let Some(url) = log
            .split_whitespace()
            .find(|w| w.starts_with("http://") && w.contains("/approvals#token="))
        {
            let (page, token) = url.split_once("#token=").expect("a token fragment");
            let base = page.trim_end_matches("/approvals").to_string();
            return (base, token.to_string());
        }
        assert!(Instant::now() < deadline, "no demo banner; log:\n{log}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_demo_call_waits_for_the_operator_and_completes_when_approved_with_the_banners_token() {
    let server = Server::start("demo-approvals", ServerOptions::demo());
    let (admin, token) = banner(&server);
    assert_eq!(token.len(), 64, "a 256-bit token: {token}");
    // The token is shown to the person at the terminal, not written into
    // the structured log.
    assert!(
        !server
            .log_lines()
            .iter()
            .any(|l| l.to_string().contains(&token)),
        "the token is in a log record"
    );

    approve_a_power_off_through_the_operator_api(&server, &admin, &token).await;
}

/// A state-changing call waits; the operator API at `admin` refuses
/// without `token`, lists the approval with it and approves it; the call
/// completes and the VM is off.
async fn approve_a_power_off_through_the_operator_api(server: &Server, admin: &str, token: &str) {
    let client = server.client().await;
    let vm = first_vm(&client, json!({"powerState": "poweredOn"})).await;
    let name = vm["name"].as_str().expect("a VM name").to_string();
    let waiting = tokio::spawn(async move {
        let outcome = call(
            &client,
            "infra.vmware.vms.powerOffVm",
            json!({ "vmName": name }),
        )
        .await;
        (outcome, client)
    });

    let http = reqwest::Client::new();
    // Without the token the operator API refuses.
    let refused = http
        .get(format!("{admin}/api/approvals"))
        .send()
        .await
        .expect("the operator API answers");
    assert_eq!(refused.status().as_u16(), 401);

    let deadline = Instant::now() + Duration::from_secs(60);
    let approval = loop {
        let list: Value = http
            .get(format!("{admin}/api/approvals"))
            .bearer_auth(token)
            .send()
            .await
            .expect("the operator API answers")
            .json()
            .await
            .expect("JSON");
        if let Some(a) = list["pending"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|a| a["tool"] == "infra.vmware.vms.powerOffVm")
        {
            break a.clone();
        }
        assert!(!waiting.is_finished(), "the call ended without waiting");
        assert!(Instant::now() < deadline, "no pending approval: {list}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let id = approval["id"].as_str().expect("an approval id");
    let approved = http
        .post(format!("{admin}/api/approvals/{id}/approve"))
        .bearer_auth(token)
        .json(&json!({ "reason": "trying the demo", "approver": "newcomer" }))
        .send()
        .await
        .expect("the operator API answers");
    assert!(approved.status().is_success(), "{}", approved.status());

    let (outcome, client) = tokio::time::timeout(Duration::from_secs(60), waiting)
        .await
        .expect("the approved call completes")
        .expect("the call task");
    let outcome = outcome.expect("the call is answered");
    assert!(!outcome.is_error, "{}", outcome.text);
    let after = call(
        &client,
        "infra.vmware.vms.getVMInfo",
        json!({ "vmName": vm["name"] }),
    )
    .await
    .expect("getVMInfo is answered");
    assert!(
        after.text.contains("poweredOff"),
        "the VM is off after the approved call: {}",
        after.text
    );
}

/// Issue 19, point 4: a second `--demo` on one machine finds the admin port
/// taken. It takes a free port, prints it in the banner, and its operator
/// channel is real: an approval through it completes the call. Nothing warns
/// that the page is unavailable.
#[tokio::test(flavor = "multi_thread")]
async fn a_demo_whose_admin_port_is_taken_serves_its_operator_api_on_a_free_port() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a port to occupy");
    let port = taken.local_addr().unwrap().port();
    let server = Server::start(
        "demo-admin-port-taken",
        ServerOptions::demo().env("ADMIN_PORT", port.to_string()),
    );
    let (admin, token) = banner(&server);
    assert!(
        !admin.ends_with(&format!(":{port}")),
        "the banner names a free port, not the taken {port}: {admin}"
    );
    let log = server.log_text();
    assert!(
        !log.contains("unavailable"),
        "no warning of a missing page: {log}"
    );
    assert!(
        log.contains("the admin port is taken"),
        "the move is logged: {log}"
    );
    approve_a_power_off_through_the_operator_api(&server, &admin, &token).await;
    drop(taken);
}

/// Issue 19, point 3: the banner prints the `vmware-mcp approvals` line
/// ready to paste (admin URL and token in the environment, no file), and it
/// works as printed: it lists the waiting approval and approves it.
#[tokio::test(flavor = "multi_thread")]
async fn the_banners_cli_line_lists_and_approves_as_printed() {
    let server = Server::start("demo-banner-cli", ServerOptions::demo());
    let (_, token) = banner(&server);
    let log = server.log_text();
    let line = log
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("ADMIN_URL=") && l.ends_with("vmware-mcp approvals list"))
        .unwrap_or_else(|| panic!("no CLI line in the banner:\n{log}"));
    let words: Vec<&str> = line.split_whitespace().collect();
    let env: Vec<(&str, &str)> = words.iter().filter_map(|w| w.split_once('=')).collect();
    assert_eq!(env.len(), 2, "{line}");
    assert!(env.contains(&("ADMIN_TOKEN", token.as_str())), "{line}");
    let cli = |args: &[&str]| {
        let (code, stdout, stderr) = vmware_mcp_e2e::admin::approvals_cli(&env, args);
        (code == Some(0), format!("{stdout}{stderr}"))
    };

    let client = server.client().await;
    let vm = first_vm(&client, json!({"powerState": "poweredOn"})).await;
    let name = vm["name"].as_str().expect("a VM name").to_string();
    let waiting = tokio::spawn(async move {
        call(
            &client,
            "infra.vmware.vms.powerOffVm",
            json!({ "vmName": name }),
        )
        .await
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let id = loop {
        let (ok, listed) = cli(&["list", "--json"]);
        assert!(ok, "the printed line works: {listed}");
        let listed: Value = serde_json::from_str(&listed).expect("JSON");
        if let Some(id) = listed["pending"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|a| a["tool"] == "infra.vmware.vms.powerOffVm")
            .and_then(|a| a["id"].as_str())
        {
            break id.to_string();
        }
        assert!(Instant::now() < deadline, "no pending approval: {listed}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let (ok, approved) = cli(&["approve", &id, "--reason", "from the banner's line"]);
    assert!(ok, "{approved}");
    let outcome = tokio::time::timeout(Duration::from_secs(60), waiting)
        .await
        .expect("the approved call completes")
        .expect("the call task")
        .expect("the call is answered");
    assert!(!outcome.is_error, "{}", outcome.text);
}

/// Issue 19, point 4: against a vCenter, a taken admin port stops the
/// server at start, naming the address, rather than serving without the
/// channel operators approve on.
#[test]
fn a_taken_admin_port_is_a_start_up_error_against_a_vcenter() {
    let name = "admin-port-taken-vcenter";
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a port to occupy");
    let port = taken.local_addr().unwrap().port();
    let sim = Vcsim::start(name, &["-model", "vpx", "-vms", "2"]);
    let token =
        vmware_mcp_e2e::scratch_file(name, "admin-token", "an-admin-token-of-some-length\n");
    let (code, out) = Server::run_to_exit(
        sim.server_options()
            .env("ADMIN_TOKEN_SECRET_PATH", token)
            .env("ADMIN_PORT", port.to_string()),
    );
    assert_ne!(code, Some(0), "{out}");
    assert!(
        out.contains(&format!(
            "cannot listen for the admin API on 127.0.0.1:{port}"
        )),
        "{out}"
    );
    drop(taken);
}

#[test]
fn a_real_vcenter_gets_no_generated_token() {
    // Nothing listens on port 1: the server stops at connecting, after it
    // has decided about the admin API.
    let password = vmware_mcp_e2e::scratch_file("demo-approvals-real", "password", "pw\n");
    let (code, out) = Server::run_to_exit(
        ServerOptions {
            args: vec![],
            env: vec![],
        }
        .env("VCENTER_HOST", "127.0.0.1:1")
        .env("VCENTER_USER", "u")
        .env("VCENTER_PASSWORD_SECRET_PATH", password)
        .env("VCENTER_CONNECT_TIMEOUT_SECS", "2"),
    );
    assert_ne!(code, Some(0), "{out}");
    assert!(out.contains("operator approvals are unavailable"), "{out}");
    assert!(!out.contains("#token="), "{out}");
}
