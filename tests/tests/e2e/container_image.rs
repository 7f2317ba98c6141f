//! Issue 11: the container image, built from the repo's `Dockerfile` and run
//! with podman (no Docker engine on these machines; see tests/support/podman.rs).
//!
//! The Dockerfile is used as users build it. Only its Rust builder stage is
//! replaced, by a named build context `builder` that holds the binary this
//! test run built (`--build-context builder=DIR`, DIR/out/vmware-mcp), so the
//! test does not compile the workspace a second time. Everything else (the
//! Debian runtime stage, `apt-get install ca-certificates`, the user, the
//! entrypoint, the HEALTHCHECK) is the real thing.
//!
//! It checks: `/healthz` through the published port and through the image's
//! HEALTHCHECK command; the server runs as uid 10001 (and the check fails for
//! an image whose user is changed to root); `entrypoint.sh` refuses a missing
//! secret; an MCP client with the token lists the tools and calls `listVMs`
//! through the published port.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use rmcp::ServiceExt;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::{Value, json};
use vmware_mcp_e2e::podman::{Cleanup, Podman, unique_name};
use vmware_mcp_e2e::server::binary;
use vmware_mcp_e2e::{call, workspace_root};

/// The image's user and group (Dockerfile `USER 10001:10001`).
const SERVICE_UID: u32 = 10001;
/// The bearer token, mounted as a secret file.
const MCP_TOKEN: &str = "container-test-mcp-token-3b9e";
/// A vCenter password, mounted as a secret file (the entrypoint checks every
/// `*_SECRET_PATH`, also in the demo).
const PASSWORD: &str = "container-test-vcenter-password";
/// Where the secrets are mounted, as docker compose's `secrets:` does.
const PASSWORD_IN_CONTAINER: &str = "/run/secrets/vcenter_password";
const TOKEN_IN_CONTAINER: &str = "/run/secrets/mcp_token";

/// The named build context that stands in for the Dockerfile's builder stage:
/// DIR/out/vmware-mcp is this test run's binary, without its debug sections
/// (smaller layers; the code is the same).
fn builder_context(dir: &Path) -> PathBuf {
    let context = dir.join("builder-context");
    std::fs::create_dir_all(context.join("out")).expect("creating the builder context");
    let target = context.join("out/vmware-mcp");
    let status = Command::new("objcopy")
        .arg("--strip-debug")
        .arg(binary())
        .arg(&target)
        .status()
        .expect("running objcopy (binutils)");
    assert!(status.success(), "objcopy --strip-debug failed: {status}");
    context
}

/// `podman build` of `dockerfile` with the workspace as the context and the
/// binary as the `builder` stage; returns the build's output (both streams).
fn build(podman: &Podman, dockerfile: &Path, builder: &Path, tag: &str) -> String {
    let started = Instant::now();
    let out = podman.output([
        "build",
        "--format",
        "docker", // OCI images drop HEALTHCHECK
        "--pull=never",
        // One container for all steps and one commit at the end: with vfs,
        // a layer per step copies the whole file system each time.
        "--layers=false",
        "--build-context",
        &format!("builder={}", builder.display()),
        "--file",
        &dockerfile.display().to_string(),
        "--tag",
        tag,
        &workspace_root().display().to_string(),
    ]);
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "podman build of {} failed ({}):\n{log}",
        dockerfile.display(),
        out.status
    );
    println!("built {tag} in {:?}", started.elapsed());
    log
}

/// The secret files, owned by the image's user with mode 0400, as
/// docs/container.md tells operators to prepare them.
fn secret_files(dir: &Path) -> (PathBuf, PathBuf) {
    let write = |name: &str, value: &str| {
        let path = dir.join(name);
        std::fs::write(&path, format!("{value}\n")).expect("writing a secret file");
        std::os::unix::fs::chown(&path, Some(SERVICE_UID), Some(SERVICE_UID)).unwrap_or_else(|e| {
            panic!(
                "chown {SERVICE_UID} {} (the test runs podman as root): {e}",
                path.display()
            )
        });
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400))
            .expect("chmod 0400");
        path
    };
    (
        write("vcenter_password", PASSWORD),
        write("mcp_token", MCP_TOKEN),
    )
}

/// `-v FILE:PATH:ro` for a secret.
fn mount(file: &Path, in_container: &str) -> String {
    format!("{}:{in_container}:ro", file.display())
}

/// A started container and the host port its 5005 is published on.
struct Running {
    name: String,
    port: u16,
}

impl Running {
    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

/// `podman run -d` the image with the demo, both secret files and port 5005
/// published on a free 127.0.0.1 port; wait until `/healthz` answers there.
async fn start(
    podman: &Podman,
    cleanup: &mut Cleanup,
    image: &str,
    secrets: &(PathBuf, PathBuf),
) -> Running {
    let name = unique_name("run");
    cleanup.container(&name);
    podman.run([
        "run",
        "--detach",
        "--name",
        &name,
        "--pull=never",
        "--publish",
        "127.0.0.1::5005",
        "--volume",
        &mount(&secrets.0, PASSWORD_IN_CONTAINER),
        "--volume",
        &mount(&secrets.1, TOKEN_IN_CONTAINER),
        "--env",
        &format!("VCENTER_PASSWORD_SECRET_PATH={PASSWORD_IN_CONTAINER}"),
        "--env",
        &format!("MCP_AUTH_TOKEN_SECRET_PATH={TOKEN_IN_CONTAINER}"),
        image,
        "--demo",
    ]);
    let published = podman.run(["port", &name, "5005/tcp"]);
    let port: u16 = published
        .trim()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("podman port printed {published:?}"));
    let running = Running { name, port };

    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("HTTP client");
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        if let Ok(r) = http.get(running.url("/healthz")).send().await
            && r.status() == 200
        {
            return running;
        }
        let state = podman.run(["inspect", "--format", "{{.State.Status}}", &running.name]);
        assert!(
            state.trim() == "running" && Instant::now() < deadline,
            "the container is {} and /healthz on port {} does not answer 200; its log:\n{}",
            state.trim(),
            running.port,
            logs(podman, &running.name)
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// Everything the container wrote to stdout and stderr.
fn logs(podman: &Podman, name: &str) -> String {
    let out = podman.output(["logs", name]);
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The server must be the container's PID 1 (the entrypoint `exec`s it) and
/// run with real, effective, saved and file-system uid and gid 10001.
/// `status` is the text of the container's `/proc/1/status`.
fn check_server_user(status: &str) -> Result<(), String> {
    let field = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .map(|v| v.split_whitespace().collect::<Vec<_>>())
            .unwrap_or_default()
    };
    let name = field("Name:").join(" ");
    if name != "vmware-mcp" {
        return Err(format!(
            "PID 1 is {name:?}, not vmware-mcp: entrypoint.sh must exec the server"
        ));
    }
    let expected = SERVICE_UID.to_string();
    for key in ["Uid:", "Gid:"] {
        let ids = field(key);
        if ids.len() != 4 || ids.iter().any(|id| *id != expected) {
            return Err(format!(
                "vmware-mcp runs with {key} {} (real, effective, saved, fs); expected {expected} \
                 for all (Dockerfile `USER {SERVICE_UID}:{SERVICE_UID}`)",
                ids.join(" ")
            ));
        }
    }
    Ok(())
}

/// `/proc/1/status` of a running container.
fn pid1_status(podman: &Podman, container: &str) -> String {
    podman.run(["exec", container, "cat", "/proc/1/status"])
}

/// The image's HEALTHCHECK command (the `CMD` form's argv).
fn healthcheck_argv(podman: &Podman, image: &str) -> Vec<String> {
    let raw = podman.run([
        "image",
        "inspect",
        "--format",
        "{{json .HealthCheck}}",
        image,
    ]);
    let check: Value = serde_json::from_str(raw.trim())
        .unwrap_or_else(|e| panic!("image HEALTHCHECK is not JSON ({e}): {raw}"));
    let test: Vec<String> = check["Test"]
        .as_array()
        .unwrap_or_else(|| panic!("the image has no HEALTHCHECK: {raw}"))
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    assert_eq!(
        test.first().map(String::as_str),
        Some("CMD"),
        "HEALTHCHECK uses the exec form: {raw}"
    );
    test[1..].to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn image_builds_runs_and_serves_mcp_as_uid_10001() {
    let began = Instant::now();
    let mark = |what: &str| println!("[{:>6.1?}] {what}", began.elapsed());
    let podman = Podman::for_tests();
    let mut cleanup = Cleanup::new(&podman);
    podman.remove_leftovers();
    podman.ensure_debian_base();
    mark("debian:bookworm-slim is there");

    let dir = podman.scratch_dir("files");
    cleanup.dir(&dir);
    let builder = builder_context(&dir);
    let secrets = secret_files(&dir);
    let image = unique_name("image");
    cleanup.image(&image);
    let build_log = build(
        &podman,
        &workspace_root().join("Dockerfile"),
        &builder,
        &image,
    );
    // The Dockerfile's fallback message, printed only when that step failed
    // (the build log also echoes the step itself, so match whole lines).
    assert!(
        !build_log
            .lines()
            .any(|l| l.starts_with("note: plugins not pre-compiled")),
        "the image's build-time plugin compilation failed:\n{build_log}"
    );

    let server = start(&podman, &mut cleanup, &image, &secrets).await;
    mark("the container serves /healthz");

    // 1. /healthz through the published port, and the image's HEALTHCHECK.
    let health = reqwest::get(server.url("/healthz"))
        .await
        .expect("/healthz answers");
    assert_eq!(health.status(), 200);
    let check = podman.output(["healthcheck", "run", &server.name]);
    assert!(
        check.status.success(),
        "podman healthcheck run (the image's HEALTHCHECK) failed: {}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    // The same command, run by hand: it passes, and fails against a port
    // nothing listens on (so it does probe the server).
    let argv = healthcheck_argv(&podman, &image);
    let mut exec = vec!["exec".to_string(), server.name.clone()];
    exec.extend(argv.iter().cloned());
    podman.run(&exec);
    let mut wrong_port = vec![
        "exec".to_string(),
        "--env".into(),
        "MCP_PORT=1".into(),
        server.name.clone(),
    ];
    wrong_port.extend(argv.iter().cloned());
    assert!(
        !podman.output(&wrong_port).status.success(),
        "the HEALTHCHECK command passed against a closed port: {argv:?}"
    );

    // 2. The server is PID 1 and runs as uid/gid 10001.
    let status = pid1_status(&podman, &server.name);
    if let Err(problem) = check_server_user(&status) {
        panic!("{problem}\n/proc/1/status:\n{status}");
    }

    // 3. An MCP call through the published port, with the token from the file.
    let unauthenticated = reqwest::Client::new()
        .post(server.url("/mcp"))
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#)
        .send()
        .await
        .expect("POST /mcp answers");
    assert_eq!(
        unauthenticated.status(),
        401,
        "the token file is in force: no token, no MCP"
    );
    let transport = StreamableHttpClientTransport::from_config(
        StreamableHttpClientTransportConfig::with_uri(server.url("/mcp")).auth_header(MCP_TOKEN),
    );
    let client = ().serve(transport).await.expect("MCP client connects");
    let tools = client.list_all_tools().await.expect("tools/list");
    assert!(
        tools.iter().any(|t| t.name == "infra.vmware.vms.listVMs"),
        "tools/list through the container: {:?}",
        tools.iter().map(|t| t.name.to_string()).collect::<Vec<_>>()
    );
    let vms = call(&client, "infra.vmware.vms.listVMs", json!({"limit": 5}))
        .await
        .expect("listVMs is answered");
    assert!(!vms.is_error, "listVMs failed: {}", vms.text);
    let rows = vms.json["vms"].as_array().cloned().unwrap_or_default();
    assert!(
        !rows.is_empty() && rows.iter().all(|vm| vm["name"].is_string()),
        "listVMs returned no named VMs: {}",
        vms.json
    );
    client.cancel().await.ok();

    // The secrets never appear in the container's log.
    let log = logs(&podman, &server.name);
    assert!(
        !log.contains(PASSWORD) && !log.contains(MCP_TOKEN),
        "a secret is in the container log:\n{log}"
    );

    mark("healthz, HEALTHCHECK, uid and MCP checked");

    // 4. entrypoint.sh refuses a missing secret: a vCenter configuration
    //    whose password file is not mounted.
    let refused_name = unique_name("refused");
    cleanup.container(&refused_name);
    let refused = podman.output([
        "run",
        "--rm",
        "--name",
        &refused_name,
        "--pull=never",
        "--volume",
        &mount(&secrets.1, TOKEN_IN_CONTAINER),
        "--env",
        "VCENTER_HOST=vcenter.example.com",
        "--env",
        "VCENTER_USER=administrator@vsphere.local",
        "--env",
        &format!("VCENTER_PASSWORD_SECRET_PATH={PASSWORD_IN_CONTAINER}"),
        "--env",
        &format!("MCP_AUTH_TOKEN_SECRET_PATH={TOKEN_IN_CONTAINER}"),
        &image,
    ]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(
        refused.status.code(),
        Some(64),
        "entrypoint.sh must exit 64 (EX_USAGE) on a missing secret; stderr:\n{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "VCENTER_PASSWORD_SECRET_PATH={PASSWORD_IN_CONTAINER}: file not found"
        )) && stderr.contains("not starting vmware-mcp"),
        "entrypoint.sh must name the missing secret file; stderr:\n{stderr}"
    );
    assert!(
        !stderr.contains("serving MCP"),
        "the server started despite the missing secret:\n{stderr}"
    );

    mark("the entrypoint refused a missing secret");

    // The uid check is not vacuous: the same Dockerfile with its user changed
    // to root builds and serves, and the check refuses it.
    let dockerfile = std::fs::read_to_string(workspace_root().join("Dockerfile"))
        .expect("reading the Dockerfile");
    let user_line = format!("\nUSER {SERVICE_UID}:{SERVICE_UID}\n");
    assert_eq!(
        dockerfile.matches(&user_line).count(),
        1,
        "the Dockerfile sets its user once, with {user_line:?}"
    );
    let as_root = dir.join("Dockerfile.user-root");
    std::fs::write(&as_root, dockerfile.replace(&user_line, "\nUSER root\n"))
        .expect("writing the root variant");
    let root_image = unique_name("image-root");
    cleanup.image(&root_image);
    build(&podman, &as_root, &builder, &root_image);
    let root_server = start(&podman, &mut cleanup, &root_image, &secrets).await;
    mark("the root variant serves");
    let root_status = pid1_status(&podman, &root_server.name);
    let verdict = check_server_user(&root_status);
    assert!(
        verdict
            .as_ref()
            .is_err_and(|e| e.contains("Uid: 0 0 0 0") && e.contains("expected 10001")),
        "the uid check must refuse the root image, got {verdict:?}; /proc/1/status:\n{root_status}"
    );
    drop(cleanup);
    mark("containers and images removed");
}
