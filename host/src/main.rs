//! The `vmware-mcp` binary: parse configuration, build the app, serve.

use std::time::Duration;

use clap::Parser;
use rmcp::ServiceExt;
use tokio_util::sync::CancellationToken;
use vmware_mcp::config::{Cli, Command};
use vmware_mcp::mcp::call_limit::CallLimit;
use vmware_mcp::mcp::handler::McpHandler;
use vmware_mcp::mcp::http::{PROBES, RequestLimits};
use vmware_mcp::mcp::security::{self, AccessPolicy};
use vmware_mcp::process;
use vmware_mcp::serving::body::BodyLimits;
use vmware_mcp::serving::connections::ConnectionLimits;
use vmware_mcp::serving::{PROBE_RESERVE, ServeOptions, serve};
use vmware_mcp::telemetry::logging;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    // Operator commands talk to a running server: no app, no plugins, no logging setup.
    if let Some(Command::Approvals(args)) = &cli.command {
        return vmware_mcp::cli::approvals::run(args, cli.admin_token_file.as_deref()).await;
    }
    // Authors' commands: no server, no vCenter.
    if let Some(Command::Plugin(args)) = &cli.command {
        return vmware_mcp::cli::plugin::run(args).await;
    }
    let format = match cli.log_format.parse() {
        Ok(f) => f,
        Err(e) => {
            eprintln!("vmware-mcp: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    // stdout carries the MCP protocol under --stdio, the tool list under
    // `tools` and the report under `privileges`: logs go to stderr then.
    let logs_to_stderr = cli.stdio
        || matches!(
            cli.command,
            Some(Command::Tools) | Some(Command::Privileges(_))
        );
    if let Err(e) = logging::init(&cli.log_level, format, logs_to_stderr) {
        eprintln!("vmware-mcp: {e:#}");
        return std::process::ExitCode::from(2);
    }
    // Loads the groups only: no vCenter, no server.
    if let Some(Command::Privileges(args)) = &cli.command {
        return vmware_mcp::privileges::run(&cli, args);
    }
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // Each cause once: an error that repeats its cause in its own
            // message (an OS error) is not said twice.
            let said = vmware_mcp::vocabulary::one_line(e.as_ref());
            tracing::error!(error = %said, "vmware-mcp stopped");
            eprintln!("vmware-mcp: {said}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    // Process-wide settings first, before anything allocates or opens much.
    let open_files = process::raise_open_files_limit();
    let large_blocks_returned = process::return_large_blocks_to_the_system();
    let admin = vmware_mcp::admin::AdminConfig::from_cli(&cli)?;
    let pending = admin
        .as_ref()
        .map(|_| std::sync::Arc::new(vmware_mcp::approval::pending::PendingApprovals::new()));
    let app = vmware_mcp::app::build_with(&cli, pending.clone()).await?;
    if let Some(Command::Tools) = cli.command {
        let tools = vmware_mcp::mcp::tool_list::mcp_tools(&app.registry);
        println!("{}", serde_json::to_string_pretty(&tools)?);
        return Ok(());
    }
    let admin_stop = CancellationToken::new();
    let _admin_stop_guard = admin_stop.clone().drop_guard();
    let mut admin_address = None;
    if let (Some(admin), Some(pending)) = (&admin, pending) {
        match vmware_mcp::admin::serve(admin, pending, admin_stop.clone()).await {
            Ok(server) => {
                admin_address = Some(server.address);
                if admin.generated_token {
                    // Straight to the terminal, not into the structured log:
                    // the newcomer reads it, log shippers need not see it.
                    eprintln!(
                        "{}",
                        vmware_mcp::admin::demo_banner(server.address, &admin.token)
                    );
                }
            }
            // No operator channel, no server: approvals would wait for nobody.
            Err(e) => return Err(e),
        }
    }
    // Before any call or resumed request can file an approval.
    app.start_notifications(admin_address)?;
    // Requests the last run left unfinished: reconciled, asked again or run.
    tokio::spawn(vmware_mcp::resume::resume_unfinished(app.clone()));
    tokio::spawn(vmware_mcp::requests::keep_pruned(
        std::sync::Arc::downgrade(&app.requests),
    ));
    if cli.stdio {
        let service = McpHandler::new(app)
            .with_call_limit(CallLimit::new(cli.max_concurrent_calls))
            .serve(rmcp::transport::stdio())
            .await?;
        service.waiting().await?;
        return Ok(());
    }
    let has_credentials = cli.auth_token_file.is_some()
        || cli.auth.mcp_tokens.is_some()
        || cli.auth.oauth_issuer.is_some();
    security::check_bind(&cli.bind, has_credentials, cli.allow_unauthenticated)?;
    let addr = format!("{}:{}", cli.bind, cli.port);
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
    let local = listener.local_addr()?;
    // After binding: the default OAuth audience is the address bound.
    let auth = std::sync::Arc::new(vmware_mcp::auth::build::mcp_authenticator(
        &cli,
        local.port(),
    )?);
    let allowed_hosts = if !cli.allowed_hosts.is_empty() {
        cli.allowed_hosts.clone()
    } else if security::is_loopback(&cli.bind) {
        vec!["localhost".into(), "127.0.0.1".into(), "::1".into()]
    } else {
        Vec::new() // reachable under any name; the token guards it
    };
    let access = AccessPolicy {
        auth,
        allowed_origins: cli.allowed_origins.clone(),
    };
    let shutdown = CancellationToken::new();
    let limits = RequestLimits {
        body: BodyLimits {
            max_bytes: cli.max_request_bytes.max(1024),
            read_timeout: Duration::from_secs(cli.body_timeout_secs.max(1)),
        },
        calls: CallLimit::new(cli.max_concurrent_calls),
    };
    let router = vmware_mcp::mcp::http::router(
        app.clone(),
        access,
        allowed_hosts,
        limits.clone(),
        shutdown.clone(),
    );
    let options = ServeOptions {
        header_timeout: Duration::from_secs(cli.header_timeout_secs.max(1)),
        limits: ConnectionLimits {
            max: cli.max_connections.max(1),
            reserve: PROBE_RESERVE,
        },
        probes: PROBES,
        cap_setting: "MCP_MAX_CONNECTIONS",
    };
    // Both ports' connections share the process's file descriptors.
    let admin_connections = admin.as_ref().map_or(0, |a| {
        let admin = a.front.serve_options().limits;
        admin.max + admin.reserve
    });
    if let Some((soft, _)) = open_files
        && soft < (options.limits.max + options.limits.reserve + admin_connections) as u64 + 256
    {
        tracing::warn!(
            open_files_limit = soft,
            max_connections = options.limits.max,
            admin_max_connections = admin_connections,
            "the open-files limit is close to or below MCP_MAX_CONNECTIONS plus ADMIN_MAX_CONNECTIONS; lower them or raise the limit (ulimit -n)"
        );
    }
    tracing::info!(
        header_timeout_secs = options.header_timeout.as_secs(),
        body_timeout_secs = limits.body.read_timeout.as_secs(),
        max_request_bytes = limits.body.max_bytes,
        max_connections = options.limits.max,
        max_concurrent_calls = limits.calls.max(),
        open_files_limit = open_files.map(|(soft, _)| soft),
        large_blocks_returned,
        "HTTP limits"
    );
    tracing::info!(address = %local, url = format!("http://{local}/mcp"), "serving MCP over Streamable HTTP");
    let stop = shutdown.clone();
    let grace = Duration::from_secs(cli.shutdown_grace_secs);
    let served = tokio::spawn(serve(listener, router, options, async move {
        shutdown_signal().await;
        tracing::info!(
            grace_secs = grace.as_secs(),
            "shutdown requested; no new connections, finishing in-flight calls"
        );
        stop.cancel();
    }));
    shutdown.cancelled().await;
    match tokio::time::timeout(grace, served).await {
        Ok(result) => result?,
        Err(_) => tracing::warn!(
            grace_secs = grace.as_secs(),
            "in-flight calls did not finish within the grace period; stopping anyway"
        ),
    }
    app.shutdown().await;
    tracing::info!("vmware-mcp stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => return ctrl_c.await.unwrap_or(()),
            };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    ctrl_c.await.unwrap_or(());
}
