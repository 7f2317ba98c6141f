//! The tool-group author's whole path, from outside this repository:
//! `vmware-mcp plugin new` in a temporary directory under the system temp
//! dir, a `wasm32-wasip2` build of the new crate, `vmware-mcp plugin test`
//! on its cases (they pass; a wrong expectation fails and is named), and
//! the component served by the server from a plugins file pinning its
//! sha256 digest. Also: the SDK carries the newest WIT
//! contract inside its own crate, and packages it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use serde_json::json;
use vmware_mcp_e2e::server::binary;
use vmware_mcp_e2e::{Server, ServerOptions, call, workspace_root};

/// The new group's name (a crate name with a `-`, as authors write them).
const GROUP: &str = "team-power";

/// A `vmware-mcp plugin …` command, with the component cache under target/.
fn plugin_command(args: &[&str]) -> Output {
    Command::new(binary())
        .arg("plugin")
        .args(args)
        .env(
            "PLUGIN_CACHE_DIR",
            workspace_root().join("target/e2e/plugin-cache"),
        )
        .stdin(Stdio::null())
        .output()
        .expect("running vmware-mcp plugin")
}

/// `sha256sum FILE`'s digest, as an operator pins it.
fn sha256(path: &Path) -> String {
    let out = Command::new("sha256sum")
        .arg(path)
        .output()
        .expect("sha256sum runs");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .expect("a digest")
        .to_string()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The new crate (outside the workspace) and its built component, made once
/// for every test in this file.
struct Built {
    root: PathBuf,
    component: PathBuf,
}

fn built() -> &'static Built {
    static BUILT: OnceLock<Built> = OnceLock::new();
    BUILT.get_or_init(|| {
        let base =
            std::env::temp_dir().join(format!("vmware-mcp-authoring-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        std::fs::create_dir_all(&base).expect("temp dir");
        assert!(
            !base.starts_with(workspace_root()),
            "the group must be created outside the workspace"
        );
        let out = plugin_command(&["new", GROUP, "--dir", base.to_str().unwrap()]);
        assert!(out.status.success(), "plugin new: {}", text(&out));
        let root = base.join(GROUP);
        for file in [
            "Cargo.toml",
            "src/lib.rs",
            "inventory.json",
            "cases.toml",
            "tests/harness.rs",
            "README.md",
        ] {
            assert!(root.join(file).is_file(), "plugin new wrote {file}");
        }
        // The workspace's lock file pins the same dependency versions the
        // workspace builds, so the shared target dir below reuses them.
        std::fs::copy(workspace_root().join("Cargo.lock"), root.join("Cargo.lock"))
            .expect("lock file");
        let target = workspace_root().join("target/plugins");
        let mut build = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        build
            .current_dir(&root)
            .args(["build", "--release", "--target", "wasm32-wasip2"])
            .env("CARGO_TARGET_DIR", &target)
            .stdin(Stdio::null());
        for var in [
            "RUSTFLAGS",
            "CARGO_ENCODED_RUSTFLAGS",
            "CARGO_BUILD_RUSTFLAGS",
            "RUSTC_WORKSPACE_WRAPPER",
        ] {
            build.env_remove(var);
        }
        let out = build.output().expect("running cargo build");
        assert!(
            out.status.success(),
            "building the new group: {}",
            text(&out)
        );
        let component = target.join("wasm32-wasip2/release/team_power.wasm");
        assert!(component.is_file(), "{} was built", component.display());
        Built { root, component }
    })
}

fn run_cases(built: &Built, cases: &Path) -> Output {
    plugin_command(&[
        "test",
        built.component.to_str().unwrap(),
        "--inventory",
        built.root.join("inventory.json").to_str().unwrap(),
        cases.to_str().unwrap(),
    ])
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_group_builds_outside_the_repo_passes_its_cases_and_serves() {
    let built = built();
    let cargo = std::fs::read_to_string(built.root.join("Cargo.toml")).unwrap();
    assert!(cargo.contains("[workspace]"), "{cargo}");
    let sdk = workspace_root().join("plugins/sdk").canonicalize().unwrap();
    assert!(
        cargo.contains(&format!("path = \"{}\"", sdk.display())),
        "{cargo}"
    );

    let out = run_cases(built, &built.root.join("cases.toml"));
    let report = text(&out);
    assert!(out.status.success(), "plugin test: {report}");
    for case in [
        "summary reads a VM",
        "summary of an unknown VM is not_found",
        "suspend asks, and suspends when granted",
        "suspend does nothing when denied",
        "suspend refuses a powered-off VM without asking",
    ] {
        let line = report
            .lines()
            .find(|l| l.starts_with(case))
            .unwrap_or_else(|| panic!("{case} is in the table: {report}"));
        assert!(line.contains(" pass "), "{line}\n{report}");
    }
    assert!(report.contains("5 of 5 cases passed, 0 failed"), "{report}");

    // Deployed as an operator would: the component beside a plugins file
    // that pins its digest.
    let dir = vmware_mcp_e2e::scratch_dir("plugin-authoring-deploy");
    std::fs::copy(&built.component, dir.join("team_power.wasm")).unwrap();
    let digest = sha256(&dir.join("team_power.wasm"));
    let plugins_file = dir.join("plugins.toml");
    std::fs::write(
        &plugins_file,
        format!("[[plugin]]\npath = \"team_power.wasm\"\nsha256 = \"{digest}\"\n"),
    )
    .unwrap();
    let server = Server::start(
        "plugin-authoring",
        // No operator page: with no approval channel the suspend is refused at once.
        ServerOptions::demo()
            .env("ADMIN_API", "off")
            .arg("--plugins-file")
            .arg(plugins_file.display().to_string()),
    );
    let loaded = server
        .log_lines()
        .into_iter()
        .find(|l| l["message"] == "plugin loaded" && l["plugin"] == GROUP)
        .unwrap_or_else(|| panic!("the group's load is logged: {}", server.log_text()));
    assert_eq!(loaded["digest"], digest, "{loaded}");
    assert!(
        loaded.to_string().contains("VirtualMachine.SuspendVM_Task"),
        "the declared capabilities are shown: {loaded}"
    );
    let client = server.client().await;
    let tool = format!("infra.vmware.{GROUP}.vmSummary");
    let tools = client.list_all_tools().await.expect("tools/list");
    assert!(tools.iter().any(|t| t.name == tool), "{tool} is served");
    let row = vmware_mcp_e2e::first_vm(&client, json!({"powerState": "poweredOn"})).await;
    let vm = row["name"].as_str().expect("a VM name").to_string();
    let r = call(&client, &tool, json!({"vmName": vm})).await.unwrap();
    assert!(!r.is_error, "{}", r.text);
    assert_eq!(r.json["name"], vm);
    assert_eq!(r.json["powerState"], "poweredOn");
    let r = call(
        &client,
        &format!("infra.vmware.{GROUP}.suspendVm"),
        json!({"vmName": vm}),
    )
    .await
    .unwrap();
    assert!(
        r.is_error,
        "no approval channel: the suspend is refused: {}",
        r.text
    );
    assert_eq!(r.error_kind(), "approval_required", "{}", r.text);
    client.cancel().await.ok();
}

#[test]
fn a_wrong_expectation_fails_the_run_and_names_the_case() {
    let built = built();
    let cases = std::fs::read_to_string(built.root.join("cases.toml")).unwrap();
    let wrong = cases.replace(
        r#"expect = { result = { "/previousState" = "poweredOn", "/powerState" = "suspended" } }"#,
        r#"expect = { result = { "/previousState" = "poweredOn", "/powerState" = "poweredOff" } }"#,
    );
    assert_ne!(wrong, cases, "the template's case was found and changed");
    let path = built.root.join("wrong-cases.toml");
    std::fs::write(&path, wrong).unwrap();
    let out = run_cases(built, &path);
    let report = text(&out);
    assert_eq!(out.status.code(), Some(1), "plugin test fails: {report}");
    let line = report
        .lines()
        .find(|l| l.starts_with("suspend asks, and suspends when granted"))
        .unwrap_or_else(|| panic!("the case is named: {report}"));
    assert!(line.contains(" FAIL "), "{line}");
    assert!(
        report.contains(r#"result /powerState is "suspended", expected "poweredOff""#),
        "the reason is given: {report}"
    );
    assert!(report.contains("4 of 5 cases passed, 1 failed"), "{report}");
}

/// The SDK owns the contract, every version of it, and builds from the
/// newest; the host's bindings point at the same folder (no copy anywhere);
/// a packaged SDK carries it.
#[test]
fn the_sdk_owns_the_wit_contract_and_builds_from_the_newest() {
    let root = workspace_root();
    let wit = root.join("plugins/sdk/wit");
    let mut versions: Vec<(Vec<u64>, String)> = std::fs::read_dir(&wit)
        .unwrap()
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let version = name.strip_prefix("since_v")?;
            let parts: Vec<u64> = version
                .split('.')
                .map(|p| p.parse().ok())
                .collect::<Option<_>>()?;
            Some((parts, name))
        })
        .collect();
    versions.sort();
    let (_, newest) = versions.last().expect("plugins/sdk/wit/since_v*/ folders");
    let lib = std::fs::read_to_string(root.join("plugins/sdk/src/lib.rs")).unwrap();
    assert!(
        lib.contains(&format!(r#"path: "wit/{newest}","#)) && !lib.contains("../"),
        "the SDK generates its bindings from its own wit/{newest}"
    );
    // One host file per contract version, Zed's way: since_v0.2.0/ is
    // bound in host/src/runtime/contract/since_v0_2.rs, pointing here.
    for (parts, folder) in &versions {
        let file = format!(
            "host/src/runtime/contract/since_v{}_{}.rs",
            parts[0], parts[1]
        );
        let bindings = std::fs::read_to_string(root.join(&file))
            .unwrap_or_else(|e| panic!("{file}, the host's file for {folder}: {e}"));
        assert!(
            bindings.contains(&format!(r#"path: "../plugins/sdk/wit/{folder}","#)),
            "{file} binds the SDK's wit/{folder}"
        );
    }
    // An emptied folder an old checkout kept is no copy; a file is.
    let holds_a_file = |p: &Path| {
        p.is_file() || std::fs::read_dir(p).is_ok_and(|mut entries| entries.next().is_some())
    };
    let copies: Vec<String> = ["wit", "host/wit", "plugins/sdk/wit/vmware.wit"]
        .iter()
        .filter(|p| holds_a_file(&root.join(p)))
        .map(|p| p.to_string())
        .collect();
    assert!(
        copies.is_empty(),
        "no second copy of the contract: {copies:?}"
    );

    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(&root)
        .args([
            "package",
            "-p",
            "vmware-plugin-sdk",
            "--list",
            "--allow-dirty",
        ])
        .stdin(Stdio::null())
        .output()
        .expect("cargo package --list");
    let listed = text(&out);
    assert!(out.status.success(), "cargo package --list: {listed}");
    assert!(
        listed
            .lines()
            .any(|l| l.trim() == format!("wit/{newest}/vmware.wit")),
        "the packaged SDK includes its WIT: {listed}"
    );
}

/// The new crate's own `cargo test` (its `tests/harness.rs`, through
/// `vmware_mcp::testing::Harness`, the `harness` feature) passes against the
/// built component. It shares this workspace's target directory, so only the
/// host library is compiled again for the new crate (about 3.5 minutes on two
/// cores); it runs in CI like every other test.
#[test]
fn the_new_groups_own_tests_pass_through_the_in_process_harness() {
    let built = built();
    let mut test = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    test.current_dir(&built.root)
        .args(["test", "--test", "harness"])
        .env("CARGO_TARGET_DIR", workspace_root().join("target"))
        .env("VMWARE_PLUGIN_COMPONENT", &built.component)
        .stdin(Stdio::null());
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
    ] {
        test.env_remove(var);
    }
    let out = test.output().expect("running cargo test in the new crate");
    let report = text(&out);
    assert!(out.status.success(), "the new group's cargo test: {report}");
    assert!(report.contains("test result: ok. 3 passed"), "{report}");
}

/// The server build leaves the author's harness out: cargo resolves
/// `vmware-mcp` without the `harness` feature when nothing but a normal
/// build asks for it (its own dev-dependency only turns it on for its
/// tests), and the container's builder stage asks for no feature. So the
/// binary operators run has no scripted approver or recorder in it.
#[test]
fn the_server_build_leaves_the_harness_out() {
    let root = workspace_root();
    let features = |edges: &[&str]| {
        let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .current_dir(&root)
            .args([
                "tree",
                "-p",
                "vmware-mcp",
                "--depth",
                "0",
                "-f",
                "{p} [{f}]",
            ])
            .args(edges)
            .stdin(Stdio::null())
            .output()
            .expect("cargo tree");
        assert!(out.status.success(), "cargo tree: {}", text(&out));
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .unwrap_or("")
            .to_string()
    };
    let server = features(&["-e", "no-dev"]);
    assert!(
        server.starts_with("vmware-mcp ") && !server.contains("harness"),
        "a normal build of vmware-mcp enables no harness: {server}"
    );
    let tested = features(&[]);
    assert!(
        tested.contains("[harness]"),
        "the crate's own tests see the harness: {tested}"
    );
    let dockerfile = std::fs::read_to_string(root.join("Dockerfile")).unwrap();
    let builds: Vec<&str> = dockerfile
        .lines()
        .filter(|l| l.contains("cargo build") && l.contains("-p vmware-mcp"))
        .collect();
    assert!(
        !builds.is_empty()
            && builds
                .iter()
                .all(|l| !l.contains("--features") && !l.contains("--all-features")),
        "the container builds the server without features: {builds:?}"
    );
}
