//! Starting the real binary and talking to it over Streamable HTTP with rmcp's client.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rmcp::model::CallToolRequestParams;
use rmcp::service::RunningService;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::{RoleClient, ServiceExt};
use serde_json::{Map, Value};

/// The workspace root (the folder holding `Cargo.toml` with `[workspace]`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace")
        .to_path_buf()
}

/// Where `tools/test.sh` installs the Node clients (the TypeScript SDK, the
/// Inspector CLI, playwright-core): `target/npm/node_modules`.
pub fn node_modules() -> PathBuf {
    workspace_root().join("target/npm/node_modules")
}

/// Run the Inspector CLI (`mcp-inspector --cli URL --transport http ARGS`)
/// against `url` off the async runtime; its output.
pub async fn inspector_cli(url: &str, args: &[&str]) -> std::process::Output {
    let url = url.to_string();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        Command::new(node_modules().join(".bin/mcp-inspector"))
            .args(["--cli", &url, "--transport", "http"])
            .args(&args)
            .output()
            .expect("the Inspector CLI runs (tools/test.sh installs it into target/npm)")
    })
    .await
    .expect("the Inspector CLI task")
}

/// The built binary; `cargo build -p vmware-mcp --features harness` makes it
/// (the harness serves `plugin test`). `VMWARE_MCP_BIN`
/// names another (the scale benchmark runs the release build).
pub fn binary() -> PathBuf {
    if let Some(bin) = std::env::var_os("VMWARE_MCP_BIN") {
        return PathBuf::from(bin);
    }
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/<test> -> target/<profile>/vmware-mcp
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test binary lives in target/<profile>/deps");
    let bin = profile_dir.join("vmware-mcp");
    assert!(
        bin.is_file(),
        "{} is missing: run `cargo build -p vmware-mcp --features harness` before the end-to-end tests",
        bin.display()
    );
    bin
}

/// A place for test files that survives the test (artefacts, caches).
pub fn scratch_dir(name: &str) -> PathBuf {
    let dir = workspace_root().join("target").join("e2e").join(name);
    std::fs::create_dir_all(&dir).expect("creating a scratch dir");
    dir
}

/// Write `contents` to a file in the test's scratch dir and return its path.
pub fn scratch_file(test: &str, file: &str, contents: &str) -> String {
    let path = scratch_dir(test).join(file);
    std::fs::write(&path, contents).expect("writing a scratch file");
    path.display().to_string()
}

/// How to start the server.
#[derive(Debug, Clone, Default)]
pub struct ServerOptions {
    /// Extra command-line arguments (e.g. `--demo`).
    pub args: Vec<String>,
    /// Extra environment variables.
    pub env: Vec<(String, String)>,
}

impl ServerOptions {
    /// `--demo` with the built-in inventory; its operator page (on by
    /// default in the demo) on a free port, so parallel tests never compete
    /// for 5006.
    pub fn demo() -> Self {
        ServerOptions {
            args: vec!["--demo".into()],
            env: vec![("ADMIN_PORT".into(), "0".into())],
        }
    }

    /// Add an argument.
    pub fn arg(mut self, a: impl Into<String>) -> Self {
        self.args.push(a.into());
        self
    }

    /// Add an environment variable.
    pub fn env(mut self, k: impl Into<String>, v: impl Into<String>) -> Self {
        self.env.push((k.into(), v.into()));
        self
    }
}

/// A running server process; killed on drop.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub base_url: String,
    log_path: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Start the binary on an ephemeral port and wait until it serves.
    pub fn start(name: &str, options: ServerOptions) -> Server {
        let dir = scratch_dir(name);
        let log_path = dir.join("server.log");
        let log = std::fs::File::create(&log_path).expect("creating the server log");
        // A state directory of the test's own, fresh, unless the test names
        // one (a restart test keeps its requests across two servers).
        let state_dir = dir.join("state");
        if !options.env.iter().any(|(k, _)| k == "STATE_DIR") {
            let _ = std::fs::remove_dir_all(&state_dir);
        }
        let mut cmd = Command::new(binary());
        cmd.args(&options.args)
            .env_clear()
            .env("STATE_DIR", &state_dir)
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("MCP_PORT", "0")
            .env("LOG_FORMAT", "json")
            .env(
                "PLUGIN_CACHE_DIR",
                workspace_root()
                    .join("target")
                    .join("e2e")
                    .join("plugin-cache"),
            )
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log);
        for (k, v) in &options.env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("starting vmware-mcp");
        let mut server = Server {
            child,
            base_url: String::new(),
            log_path,
        };
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(addr) = server
                .log_lines()
                .iter()
                .find(|l| l["message"] == "serving MCP over Streamable HTTP")
                .and_then(|l| l["address"].as_str().map(str::to_string))
            {
                server.base_url = format!("http://{addr}");
                return server;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!(
                    "vmware-mcp exited with {status} before serving; log:\n{}",
                    server.log_text()
                );
            }
            assert!(
                Instant::now() < deadline,
                "vmware-mcp did not start within 120 s; log:\n{}",
                server.log_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Run the binary to completion with the given arguments (for start-up refusals).
    pub fn run_to_exit(options: ServerOptions) -> (Option<i32>, String) {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let state_dir = std::env::temp_dir().join(format!(
            "vmware-mcp-e2e-state-{}-{nanos}",
            std::process::id()
        ));
        let out = Command::new(binary())
            .args(&options.args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("STATE_DIR", &state_dir)
            .env("MCP_PORT", "0")
            .env(
                "PLUGIN_CACHE_DIR",
                workspace_root()
                    .join("target")
                    .join("e2e")
                    .join("plugin-cache"),
            )
            .envs(options.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .output()
            .expect("running vmware-mcp");
        (
            out.status.code(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    }

    /// Send SIGTERM and wait (up to 60 s) for the process to exit; returns its exit code.
    pub fn terminate(&mut self) -> Option<i32> {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "sending SIGTERM to {pid}");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            assert!(
                Instant::now() < deadline,
                "vmware-mcp did not stop within 60 s of SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The server's process id (to read its memory use).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `GET /readyz`: (status, JSON body or null).
    pub async fn readyz(&self) -> (u16, Value) {
        let r = reqwest::get(format!("{}/readyz", self.base_url))
            .await
            .expect("/readyz answers");
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    /// Poll `/readyz` until it says `ready` (200) or not (503); returns how
    /// long that took and the body. Fails after `within`.
    pub async fn until_readyz(&self, ready: bool, within: Duration) -> (Duration, Value) {
        let started = Instant::now();
        loop {
            let (status, body) = self.readyz().await;
            if (status == 200) == ready {
                return (started.elapsed(), body);
            }
            assert!(
                started.elapsed() < within,
                "/readyz not {} within {within:?}: {status} {body}",
                if ready { "ready" } else { "unready" }
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// `GET /metrics`: the Prometheus text.
    pub async fn metrics(&self) -> String {
        reqwest::get(format!("{}/metrics", self.base_url))
            .await
            .expect("/metrics answers")
            .text()
            .await
            .expect("/metrics text")
    }

    /// The sum of a metric's samples whose labels contain every one of
    /// `labels` (`source="memory"`), 0 when there are none.
    pub async fn metric_sum(&self, name: &str, labels: &[&str]) -> f64 {
        self.metrics()
            .await
            .lines()
            .filter(|l| l.starts_with(&format!("{name}{{")) || l.starts_with(&format!("{name} ")))
            .filter(|l| labels.iter().all(|label| l.contains(label)))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }

    /// The MCP endpoint.
    pub fn mcp_url(&self) -> String {
        format!("{}/mcp", self.base_url)
    }

    /// Connect an rmcp client over Streamable HTTP.
    pub async fn client(&self) -> RunningService<RoleClient, ()> {
        let transport = StreamableHttpClientTransport::from_uri(self.mcp_url());
        ().serve(transport).await.expect("MCP client connects")
    }

    /// Everything the server logged so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// The JSON log lines so far (non-JSON lines are skipped).
    pub fn log_lines(&self) -> Vec<Value> {
        self.log_text()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }
}

/// A tool call's outcome, reduced to what tests check.
#[derive(Debug, Clone)]
pub struct CallOutcome {
    /// Whether the result is a tool error.
    pub is_error: bool,
    /// Structured content, or the first text block parsed as JSON.
    pub json: Value,
    /// All text blocks joined.
    pub text: String,
    /// The result's `_meta`.
    pub meta: Value,
}

impl CallOutcome {
    /// The error kind of a failed call.
    pub fn error_kind(&self) -> &str {
        self.json["error"]["kind"].as_str().unwrap_or("")
    }

    /// The error message of a failed call.
    pub fn error_message(&self) -> &str {
        self.json["error"]["message"].as_str().unwrap_or("")
    }
}

/// Call a tool; a protocol-level error comes back as `Err(message)`.
pub async fn call(
    client: &RunningService<RoleClient, ()>,
    tool: &str,
    args: Value,
) -> Result<CallOutcome, String> {
    let mut params = CallToolRequestParams::new(tool.to_string());
    params.arguments = Some(match args {
        Value::Object(m) => m,
        Value::Null => Map::new(),
        other => panic!("arguments must be an object, got {other}"),
    });
    let result = client.call_tool(params).await.map_err(|e| e.to_string())?;
    let texts: Vec<String> = result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect();
    let json = result
        .structured_content
        .clone()
        .or_else(|| texts.first().and_then(|t| serde_json::from_str(t).ok()))
        .unwrap_or(Value::Null);
    Ok(CallOutcome {
        is_error: result.is_error.unwrap_or(false),
        json,
        text: texts.join("\n"),
        meta: result
            .meta
            .as_ref()
            .map(|m| Value::Object(m.0.clone()))
            .unwrap_or(Value::Null),
    })
}

/// The first `listVMs` row matching `filters` (e.g. `{"powerState":
/// "poweredOn"}`), for tests that need some VM to act on; fails if none.
pub async fn first_vm(client: &RunningService<RoleClient, ()>, filters: Value) -> Value {
    let mut args = filters;
    args["limit"] = Value::from(1);
    let page = call(client, "infra.vmware.vms.listVMs", args.clone())
        .await
        .expect("listVMs is answered");
    assert!(!page.is_error, "listVMs {args}: {}", page.text);
    page.json["vms"][0].clone()
}
