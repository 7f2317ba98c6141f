//! The container's checks, run by `cargo test`: the entrypoint's
//! configuration tests (with a stub server, no image needed) and the static
//! lint of the Dockerfile and scripts. No Docker engine is needed for either.

use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace")
        .to_path_buf()
}

/// Run `bash <script>` from the workspace root; fail with its output unless it exits 0.
fn run_script(script: &str) {
    let root = workspace_root();
    let output = Command::new("bash")
        .arg(root.join(script))
        .current_dir(&root)
        .output()
        .unwrap_or_else(|e| panic!("cannot run bash {script}: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{script} failed ({})\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        output.status
    );
    // Shown with `cargo test -- --nocapture`.
    println!("{stdout}");
}

#[test]
fn entrypoint_configuration_checks() {
    run_script("tests/container/entrypoint_test.sh");
}

#[test]
fn dockerfile_and_scripts_lint() {
    run_script("tests/container/lint_dockerfile.sh");
}
