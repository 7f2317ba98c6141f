//! The wasm components the tests load with `--plugins`, and the one way to
//! put them in a plugin directory.
//!
//! The test and example components are not part of a production build
//! (`host/build.rs` builds only the embedded groups), so the tests build them
//! here, on first use, into `target/test-plugins`. Test binaries may run as
//! parallel processes: each process builds at most once, and cargo's own lock
//! on `target/test-plugins` serialises the builds, so a second process waits
//! for the first and then finds everything fresh.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use crate::server::{scratch_dir, workspace_root};

/// A component a test can put in a plugin directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestPlugin {
    /// `plugins/testing/hostile`: tries to bypass approval, loops, exhausts
    /// memory and traps, to show the sandbox holds.
    Hostile,
    /// `plugins/examples/datastores`: a team's own group, needing no host change.
    Datastores,
    /// `plugins/testing/legacy-v0_1`: built from the frozen `infra:vmware@0.1.0` WIT.
    Legacy,
    /// `plugins/testing/legacy-v0_2`: built from the frozen `infra:vmware@0.2.0` WIT.
    LegacyV02,
    /// `plugins/vms`: the built-in vms group again, to provoke a tool-name clash.
    Vms,
}

impl TestPlugin {
    /// Every test component, built together by one cargo run.
    pub const ALL: [TestPlugin; 5] = [
        TestPlugin::Hostile,
        TestPlugin::Datastores,
        TestPlugin::Legacy,
        TestPlugin::LegacyV02,
        TestPlugin::Vms,
    ];

    /// The cargo package that builds it.
    pub fn package(self) -> &'static str {
        match self {
            TestPlugin::Hostile => "vmware-plugin-hostile",
            TestPlugin::Datastores => "vmware-plugin-datastores",
            TestPlugin::Legacy => "vmware-plugin-legacy",
            TestPlugin::LegacyV02 => "vmware-plugin-legacy-v0-2",
            TestPlugin::Vms => "vmware-plugin-vms",
        }
    }

    /// The file name it gets in a plugin directory (the server logs it).
    pub fn file_name(self) -> &'static str {
        match self {
            TestPlugin::Hostile => "hostile.wasm",
            TestPlugin::Datastores => "datastores.wasm",
            TestPlugin::Legacy => "legacy.wasm",
            TestPlugin::LegacyV02 => "legacy2.wasm",
            TestPlugin::Vms => "vms.wasm",
        }
    }

    /// The built component, building every test component on first use.
    pub fn component(self) -> PathBuf {
        let path = build_all().join(format!("{}.wasm", self.package().replace('-', "_")));
        assert!(
            path.is_file(),
            "{} is missing after building {}",
            path.display(),
            self.package()
        );
        path
    }
}

/// A fresh directory `target/e2e/<name>/plugins` holding exactly `plugins`,
/// for `--plugins`. `name` keeps concurrent tests from sharing a directory.
pub fn plugin_dir(name: &str, plugins: &[TestPlugin]) -> PathBuf {
    let dir = scratch_dir(name).join("plugins");
    if dir.exists() {
        std::fs::remove_dir_all(&dir).expect("emptying the plugin dir");
    }
    std::fs::create_dir_all(&dir).expect("creating the plugin dir");
    for plugin in plugins {
        std::fs::copy(plugin.component(), dir.join(plugin.file_name()))
            .unwrap_or_else(|e| panic!("copying {}: {e}", plugin.package()));
    }
    dir
}

/// Build every test component for `wasm32-wasip2` once per process; returns
/// the directory holding the `.wasm` files.
fn build_all() -> PathBuf {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let target_dir = workspace_root().join("target").join("test-plugins");
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let mut cmd = Command::new(cargo);
            cmd.current_dir(workspace_root())
                .args(["build", "--release", "--target", "wasm32-wasip2"])
                .arg("--target-dir")
                .arg(&target_dir);
            for plugin in TestPlugin::ALL {
                cmd.args(["-p", plugin.package()]);
            }
            // Flags meant for a native build are not for wasm.
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
            let out = cmd
                .output()
                .map_err(|e| format!("running cargo to build the test plugins: {e}"))?;
            if !out.status.success() {
                return Err(format!(
                    "building the test plugins failed ({}); is the wasm32-wasip2 target installed \
                     (`rustup target add wasm32-wasip2`, or run tools/test.sh)?\n{}",
                    out.status,
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
            Ok(target_dir.join("wasm32-wasip2").join("release"))
        })
        .clone()
        .unwrap_or_else(|e| panic!("{e}"))
}
