//! The admin API: the operators' side of approvals, on its own listener so
//! that MCP clients (agents) cannot reach it.
//!
//! It is off unless an admin token is configured (`ADMIN_TOKEN_SECRET_PATH`),
//! binds to loopback by default (`ADMIN_BIND`, `ADMIN_PORT`) and refuses a
//! non-loopback bind unless `ADMIN_ALLOW_REMOTE=true`. Every `/api/` route
//! needs `Authorization: Bearer <token>`; the web page at `/approvals` is
//! static and asks the operator for the token.

pub mod api;
pub mod page;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::approval::pending::PendingApprovals;
use crate::mcp::security::{Secret, is_loopback};

/// The environment variable holding the admin token's file.
pub const TOKEN_ENV: &str = "ADMIN_TOKEN_SECRET_PATH";

/// Where and how the admin API serves.
#[derive(Debug, Clone)]
pub struct AdminConfig {
    /// Address to bind (`ADMIN_BIND`).
    pub bind: String,
    /// Port (`ADMIN_PORT`; 0 picks a free one).
    pub port: u16,
    /// The bearer token operators present.
    pub token: Secret,
    /// Whether a non-loopback bind is accepted (`ADMIN_ALLOW_REMOTE`).
    pub allow_remote: bool,
}

impl AdminConfig {
    /// The admin API's configuration, or `None` when no admin token is
    /// configured (then it does not run and operators cannot approve). A
    /// configured token that cannot be read, or a refused bind, is an error.
    pub fn from_cli(cli: &crate::config::Cli) -> anyhow::Result<Option<AdminConfig>> {
        let Some(path) = cli.admin_token_file.as_deref() else {
            tracing::warn!(
                "operator approvals are unavailable: ADMIN_TOKEN_SECRET_PATH is not set, so the admin API (CLI `vmware-mcp approvals`, web page /approvals) does not run"
            );
            return Ok(None);
        };
        let config = AdminConfig {
            bind: cli.admin_bind.clone(),
            port: cli.admin_port,
            token: Secret::from_file(TOKEN_ENV, path)?,
            allow_remote: cli.admin_allow_remote,
        };
        config.check()?;
        Ok(Some(config))
    }

    /// Check the bind rule: loopback only, unless remote access was asked for.
    pub fn check(&self) -> anyhow::Result<()> {
        if is_loopback(&self.bind) {
            return Ok(());
        }
        anyhow::ensure!(
            self.allow_remote,
            "refusing to serve the admin API on non-loopback address {}: operators approve state changes there, so it is loopback-only by default; bind ADMIN_BIND to 127.0.0.1, or set ADMIN_ALLOW_REMOTE=true to accept remote operators (the admin token still applies)",
            self.bind
        );
        tracing::warn!(
            bind = %self.bind,
            "SECURITY: the admin API is reachable from other hosts because ADMIN_ALLOW_REMOTE=true; anyone with the admin token can approve state changes"
        );
        Ok(())
    }
}

/// A running admin API.
pub struct AdminServer {
    /// Where it listens.
    pub address: SocketAddr,
    /// Ends when the server has stopped.
    pub task: tokio::task::JoinHandle<()>,
}

/// Bind and serve the admin API until `shutdown` is cancelled. Logs
/// `"admin API listening"` with the address, as the MCP listener does.
pub async fn serve(
    config: &AdminConfig,
    pending: Arc<PendingApprovals>,
    shutdown: CancellationToken,
) -> anyhow::Result<AdminServer> {
    config.check()?;
    let addr = format!("{}:{}", config.bind, config.port);
    let listener = tokio::net::TcpListener::bind(&addr).await.map_err(|e| {
        anyhow::anyhow!("cannot listen for the admin API on {addr} (ADMIN_BIND/ADMIN_PORT): {e}")
    })?;
    let address = listener.local_addr()?;
    tracing::info!(
        address = %address,
        url = format!("http://{address}/approvals"),
        "admin API listening"
    );
    let router = api::router(pending, config.token.clone());
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, router)
            .with_graceful_shutdown(async move { shutdown.cancelled().await })
            .await;
        if let Err(e) = served {
            tracing::error!(error = %e, "the admin API stopped with an error");
        }
    });
    Ok(AdminServer { address, task })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(bind: &str, allow_remote: bool) -> AdminConfig {
        AdminConfig {
            bind: bind.into(),
            port: 0,
            token: Secret::new("t"),
            allow_remote,
        }
    }

    #[test]
    fn remote_binds_need_an_explicit_yes() {
        assert!(config("127.0.0.1", false).check().is_ok());
        assert!(config("::1", false).check().is_ok());
        let e = config("0.0.0.0", false).check().unwrap_err().to_string();
        assert!(
            e.contains("ADMIN_ALLOW_REMOTE") && e.contains("0.0.0.0"),
            "{e}"
        );
        assert!(config("0.0.0.0", true).check().is_ok());
    }
}
