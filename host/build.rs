//! Builds the built-in tool groups for `wasm32-wasip2` so the host binary can
//! embed them and run from anywhere.
//!
//! Only the embedded groups are built here, so a production build (the
//! container's included) compiles nothing else. The test and example
//! components (`plugins/testing/*`, `plugins/examples/*`) are built by the
//! tests themselves (`tests/support/plugins.rs`).
//!
//! A nested cargo cannot share the outer build's target dir (its lock is held
//! for the whole build), so the plugins build in `target/plugins`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The embedded groups: `(cargo package, env name for include_bytes!, component file)`.
const EMBEDDED: &[(&str, &str, &str)] = &[
    ("vmware-plugin-vms", "VMS", "vmware_plugin_vms.wasm"),
    ("vmware-plugin-hosts", "HOSTS", "vmware_plugin_hosts.wasm"),
    (
        "vmware-plugin-storage",
        "STORAGE",
        "vmware_plugin_storage.wasm",
    ),
    (
        "vmware-plugin-events",
        "EVENTS",
        "vmware_plugin_events.wasm",
    ),
    ("vmware-plugin-perf", "PERF", "vmware_plugin_perf.wasm"),
    (
        "vmware-plugin-networks",
        "NETWORKS",
        "vmware_plugin_networks.wasm",
    ),
    (
        "vmware-plugin-clusters",
        "CLUSTERS",
        "vmware_plugin_clusters.wasm",
    ),
];

/// What the embedded groups are built from; a change to any of these rebuilds them.
const SOURCES: &[&str] = &[
    "plugins/sdk",
    "plugins/vms",
    "plugins/hosts",
    "plugins/storage",
    "plugins/events",
    "plugins/perf",
    "plugins/networks",
    "plugins/clusters",
    "crates",
    "Cargo.lock",
];

fn main() {
    let manifest_dir =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let workspace = manifest_dir
        .parent()
        .expect("host/ sits in the workspace")
        .to_path_buf();
    for watched in SOURCES {
        println!(
            "cargo:rerun-if-changed={}",
            workspace.join(watched).display()
        );
    }
    println!("cargo:rerun-if-env-changed=VMWARE_MCP_PLUGIN_DIR");

    let out = match std::env::var("VMWARE_MCP_PLUGIN_DIR") {
        // Prebuilt plugins (e.g. a container build stage that built them already).
        Ok(dir) => PathBuf::from(dir),
        Err(_) => build_plugins(&workspace),
    };
    for (_, name, file) in EMBEDDED {
        let path = out.join(file);
        if !path.is_file() {
            panic!(
                "plugin component {} was not built; run `rustup target add wasm32-wasip2`",
                path.display()
            );
        }
        println!(
            "cargo:rustc-env=VMWARE_MCP_PLUGIN_{name}={}",
            path.display()
        );
        // A component deleted or replaced since (say, `rm -r target/plugins`)
        // is built again rather than leaving `include_bytes!` without a file.
        println!("cargo:rerun-if-changed={}", path.display());
    }
}

fn build_plugins(workspace: &Path) -> PathBuf {
    let target_dir = workspace.join("target").join("plugins");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace)
        .args([
            "build",
            "--release",
            "--target",
            "wasm32-wasip2",
            "--target-dir",
        ])
        .arg(&target_dir);
    for (package, _, _) in EMBEDDED {
        cmd.args(["-p", package]);
    }
    // The outer build's flags are for the host, not for wasm.
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
    ] {
        cmd.env_remove(var);
    }
    let status = cmd.status().expect("running cargo to build the plugins");
    if !status.success() {
        panic!(
            "building the wasm plugins failed (is the wasm32-wasip2 target installed? `rustup target add wasm32-wasip2`)"
        );
    }
    target_dir.join("wasm32-wasip2").join("release")
}
