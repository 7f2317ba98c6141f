//! Small pieces several end-to-end tests share.

use std::sync::{Arc, Mutex};

use rmcp::RoleClient;
use rmcp::handler::client::ClientHandler;
use rmcp::model::ProgressNotificationParam;
use rmcp::service::NotificationContext;

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
