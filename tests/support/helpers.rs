//! Small pieces several end-to-end tests share.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use rmcp::RoleClient;
use rmcp::handler::client::ClientHandler;
use rmcp::model::ProgressNotificationParam;
use rmcp::service::NotificationContext;

use crate::server::{scratch_dir, workspace_root};

/// A directory holding only the hostile test plugin, for `--plugins`.
/// `name` keeps concurrent tests from sharing one directory.
pub fn hostile_plugin_dir(name: &str) -> PathBuf {
    let built =
        workspace_root().join("target/plugins/wasm32-wasip2/release/vmware_plugin_hostile.wasm");
    assert!(
        built.is_file(),
        "{} is built by host/build.rs; run `cargo build -p vmware-mcp`",
        built.display()
    );
    let dir = scratch_dir(name);
    std::fs::copy(&built, dir.join("hostile.wasm")).expect("copy the hostile plugin");
    dir
}

/// An MCP client that records the progress notifications it receives.
#[derive(Clone, Default)]
pub struct ProgressRecorder {
    /// Every notification so far, in order.
    pub seen: Arc<Mutex<Vec<ProgressNotificationParam>>>,
}

impl ClientHandler for ProgressRecorder {
    async fn on_progress(
        &self,
        params: ProgressNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        self.seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(params);
    }
}
