//! The admin API: the operators' side of approvals, on its own listener so
//! that MCP clients (agents) cannot reach it.
//!
//! It is off unless an admin token is configured (`ADMIN_TOKEN_SECRET_PATH`)
//! or the server runs on the simulated inventory (`--demo`), where a token is
//! generated for the run and shown in the start-up banner, so a newcomer can
//! try an approval with no configuration. A real vCenter never gets that
//! default. It binds to loopback by default (`ADMIN_BIND`, `ADMIN_PORT`) and refuses a
//! non-loopback bind unless `ADMIN_ALLOW_REMOTE=true`. Every `/api/` route
//! needs `Authorization: Bearer <token>`; the web page at `/approvals` is
//! static and asks the operator for the token.
//!
//! It is served through [`crate::serving`], the MCP port's front door: a
//! header timeout, a connection cap with head-room for `/healthz`, and
//! bounded bodies ([`front`]), so a flood of half-sent requests can take
//! neither the operators' page nor the process's file descriptors.

pub mod api;
pub mod front;
pub mod page;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::approval::pending::PendingApprovals;
use crate::config::{AdminApi, Secret};
use crate::mcp::security::is_loopback;
use front::FrontDoor;

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
    /// Each operator's own token, by label (`ADMIN_TOKENS_PATH`).
    pub named: crate::auth::named_tokens::NamedTokens,
    /// Whether a non-loopback bind is accepted (`ADMIN_ALLOW_REMOTE`).
    pub allow_remote: bool,
    /// Whether the token was generated for this run (demo only): it is then
    /// shown in the start-up banner.
    pub generated_token: bool,
    /// Whether a taken port is replaced by a free one (`--demo`, where a
    /// second copy on one machine is normal and the banner prints the
    /// address). Otherwise a taken port stops the server: operators were
    /// told where to approve, and a server without that channel would leave
    /// every approval waiting for nobody.
    pub free_port_if_taken: bool,
    /// How connections and bodies are bounded (`ADMIN_MAX_CONNECTIONS`,
    /// `ADMIN_HEADER_TIMEOUT_SECS`, `ADMIN_BODY_TIMEOUT_SECS`).
    pub front: FrontDoor,
}

impl AdminConfig {
    /// The admin API's configuration, or `None` when no admin token is
    /// configured (then it does not run and operators cannot approve). A
    /// configured token that cannot be read, or a refused bind, is an error.
    pub fn from_cli(cli: &crate::config::Cli) -> anyhow::Result<Option<AdminConfig>> {
        if cli.admin_api == AdminApi::Off {
            tracing::warn!(
                "operator approvals are unavailable: ADMIN_API=off, so the admin API (CLI `vmware-mcp approvals`, web page /approvals) does not run"
            );
            return Ok(None);
        }
        let named = crate::auth::build::admin_tokens(cli)?;
        let (token, generated_token) = match cli.admin_token_file.as_deref() {
            Some(path) => (Secret::from_file(TOKEN_ENV, path)?, false),
            // Named tokens only: the shared one is unguessable and never shown.
            None if named.is_some() => (one_time_token(), false),
            None if cli.wants_demo() => (one_time_token(), true),
            None => {
                tracing::warn!(
                    "operator approvals are unavailable: ADMIN_TOKEN_SECRET_PATH is not set, so the admin API (CLI `vmware-mcp approvals`, web page /approvals) does not run"
                );
                return Ok(None);
            }
        };
        let config = AdminConfig {
            bind: cli.admin_bind.clone(),
            port: cli.admin_port,
            token,
            named: named.unwrap_or_default(),
            allow_remote: cli.admin_allow_remote,
            generated_token,
            free_port_if_taken: cli.wants_demo(),
            front: FrontDoor::from_cli(cli),
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

/// A token for this run only: 256 random bits, never written anywhere but
/// the start-up banner.
fn one_time_token() -> Secret {
    Secret::new(format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    ))
}

/// The banner a demo prints when its admin token was generated: the
/// operator page's address with the token in the fragment (which browsers
/// never send to the server, so it stays out of access logs), and the
/// `vmware-mcp approvals` line ready to paste, so a newcomer needs no file.
pub fn demo_banner(address: SocketAddr, token: &Secret) -> String {
    format!(
        "DEMO: state changes wait for an operator. Approve them at\n    http://{address}/approvals#token={token}\n  or from another terminal (the token is valid for this run only):\n    ADMIN_URL=http://{address} ADMIN_TOKEN={token} vmware-mcp approvals list",
        token = token.expose()
    )
}

/// A running admin API.
pub struct AdminServer {
    /// Where it listens.
    pub address: SocketAddr,
    /// Ends when the server has stopped.
    pub task: tokio::task::JoinHandle<()>,
}

/// The admin API's listener: on the configured port, or, where
/// [`AdminConfig::free_port_if_taken`] allows and that port is taken, on a
/// free one (said in the log; the demo banner prints the address).
async fn listen(config: &AdminConfig) -> anyhow::Result<tokio::net::TcpListener> {
    let addr = format!("{}:{}", config.bind, config.port);
    let refused = |addr: &str, e: std::io::Error| {
        anyhow::anyhow!("cannot listen for the admin API on {addr} (ADMIN_BIND/ADMIN_PORT): {e}")
    };
    match tokio::net::TcpListener::bind(&addr).await {
        Ok(listener) => Ok(listener),
        Err(e)
            if config.free_port_if_taken
                && config.port != 0
                && e.kind() == std::io::ErrorKind::AddrInUse =>
        {
            let any = format!("{}:0", config.bind);
            let listener = tokio::net::TcpListener::bind(&any)
                .await
                .map_err(|e| refused(&any, e))?;
            tracing::info!(
                taken = %addr,
                address = %listener.local_addr()?,
                "the admin port is taken (another demo?): the admin API listens on a free port instead"
            );
            Ok(listener)
        }
        Err(e) => Err(refused(&addr, e)),
    }
}

/// Bind and serve the admin API until `shutdown` is cancelled. Logs
/// `"admin API listening"` with the address, as the MCP listener does.
pub async fn serve(
    config: &AdminConfig,
    pending: Arc<PendingApprovals>,
    shutdown: CancellationToken,
) -> anyhow::Result<AdminServer> {
    config.check()?;
    let listener = listen(config).await?;
    let address = listener.local_addr()?;
    tracing::info!(
        address = %address,
        url = format!("http://{address}/approvals"),
        "admin API listening"
    );
    tracing::info!(
        header_timeout_secs = config.front.header_timeout.as_secs(),
        body_timeout_secs = config.front.body.read_timeout.as_secs(),
        max_request_bytes = config.front.body.max_bytes,
        max_connections = config.front.max_connections,
        "admin API limits"
    );
    let router = config.front.wrap(api::router(
        pending,
        api::AdminTokens {
            shared: config.token.clone(),
            named: config.named.clone(),
        },
    ));
    let options = config.front.serve_options();
    let task = tokio::spawn(crate::serving::serve(
        listener,
        router,
        options,
        async move { shutdown.cancelled().await },
    ));
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
            named: Default::default(),
            generated_token: false,
            free_port_if_taken: false,
            allow_remote,
            front: FrontDoor::default(),
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

    #[test]
    fn only_the_demo_gets_a_generated_token() {
        use clap::Parser;
        let parse = |args: &[&str]| {
            crate::config::Cli::try_parse_from(
                std::iter::once("vmware-mcp").chain(args.iter().copied()),
            )
            .unwrap()
        };
        assert!(
            AdminConfig::from_cli(&parse(&["--vcenter-host", "vc1"]))
                .unwrap()
                .is_none(),
            "a real vCenter never gets a generated admin token"
        );
        let demo = AdminConfig::from_cli(&parse(&["--demo"])).unwrap().unwrap();
        assert!(demo.generated_token);
        assert_eq!(demo.token.expose().len(), 64);
        assert!(
            AdminConfig::from_cli(&parse(&["--demo", "--admin-api", "off"]))
                .unwrap()
                .is_none()
        );
        let again = AdminConfig::from_cli(&parse(&["--demo"])).unwrap().unwrap();
        assert_ne!(demo.token.expose(), again.token.expose());
        let banner = demo_banner("127.0.0.1:5006".parse().unwrap(), &demo.token);
        assert!(banner.contains(&format!(
            "http://127.0.0.1:5006/approvals#token={}",
            demo.token.expose()
        )));
    }
}
