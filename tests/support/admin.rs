//! Helpers for the operator side of approvals: start a server with an admin
//! token, find its admin API, run the real `vmware-mcp approvals` CLI, and
//! wait for pending approvals.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::server::{Server, ServerOptions, binary, scratch_dir};

/// The admin token every test server uses (written to a file per test).
pub const TOKEN: &str = "test-admin-token-5f2c";

/// An operator's view of a running server's admin API.
#[derive(Debug, Clone)]
pub struct Operator {
    /// `http://127.0.0.1:PORT`
    pub url: String,
    /// The file holding [`TOKEN`], as `ADMIN_TOKEN_SECRET_PATH`.
    pub token_file: PathBuf,
}

/// Demo-server options with the admin API on a free port, policy "ask"
/// (no policy file) and the given approval timeout.
pub fn options(test: &str, timeout_secs: u64) -> ServerOptions {
    let token_file = token_file(test);
    ServerOptions::demo()
        .env("ADMIN_PORT", "0")
        .env("ADMIN_TOKEN_SECRET_PATH", token_file.display().to_string())
        .env("APPROVAL_TIMEOUT_SECS", timeout_secs.to_string())
}

/// The token file for `test`.
pub fn token_file(test: &str) -> PathBuf {
    let path = scratch_dir(test).join("admin-token");
    std::fs::write(&path, format!("{TOKEN}\n")).expect("writing the admin token");
    path
}

impl Operator {
    /// The admin API of `server`, found from its `admin API listening` log line.
    pub fn of(server: &Server, test: &str) -> Operator {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(addr) = server
                .log_lines()
                .iter()
                .find(|l| l["message"] == "admin API listening")
                .and_then(|l| l["address"].as_str().map(str::to_string))
            {
                return Operator {
                    url: format!("http://{addr}"),
                    token_file: scratch_dir(test).join("admin-token"),
                };
            }
            assert!(
                Instant::now() < deadline,
                "no `admin API listening` line; log:\n{}",
                server.log_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Run `vmware-mcp approvals ARGS` against this admin API; returns
    /// (exit code, stdout, stderr).
    pub fn cli(&self, args: &[&str]) -> (Option<i32>, String, String) {
        let token_file = self.token_file.display().to_string();
        approvals_cli(
            &[
                ("ADMIN_URL", &self.url),
                ("ADMIN_TOKEN_SECRET_PATH", &token_file),
                ("USER", "e2e-operator"),
            ],
            args,
        )
    }

    /// `GET path` with `token` (or none); returns (status, JSON body or null).
    pub async fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let mut request = reqwest::Client::new().get(format!("{}{path}", self.url));
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        let response = request.send().await.expect("admin API answers");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Wait until an approval is pending for `tool`; returns it.
    pub async fn wait_for_pending(&self, tool: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let (status, body) = self.get("/api/approvals", Some(TOKEN)).await;
            assert_eq!(status, 200, "{body}");
            if let Some(a) = body["pending"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|a| a["tool"] == tool)
            {
                return a.clone();
            }
            assert!(
                Instant::now() < deadline,
                "no pending approval for {tool} within 60 s: {body}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Run `vmware-mcp approvals ARGS` with only `env` (and `PATH`) set, as an
/// operator's shell would; returns (exit code, stdout, stderr).
pub fn approvals_cli(env: &[(&str, &str)], args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(binary())
        .arg("approvals")
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().copied())
        .output()
        .expect("running vmware-mcp approvals");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The audit file's records, one JSON object per line (every line must parse).
pub fn audit_records(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("audit line {l:?} is not JSON: {e}"))
        })
        .collect()
}

/// Poll `requests.get` until the request is final; its record.
pub async fn final_request(
    client: &rmcp::service::RunningService<rmcp::RoleClient, ()>,
    id: &str,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let got = crate::call(
            client,
            "infra.vmware.requests.get",
            serde_json::json!({"requestId": id}),
        )
        .await
        .unwrap();
        assert!(!got.is_error, "requests.get {id}: {}", got.text);
        let status = got.json["status"].as_str().unwrap_or_default().to_string();
        if !["running", "pending_approval", "approved"].contains(&status.as_str()) {
            return got.json;
        }
        assert!(
            Instant::now() < deadline,
            "request {id} still {status} after 60 s: {}",
            got.text
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
