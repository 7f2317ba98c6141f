//! The `vmware-mcp` binary: parse configuration, build the app, serve.

use clap::Parser;
use rmcp::ServiceExt;
use tokio_util::sync::CancellationToken;
use vmware_mcp::config::{Cli, Command};
use vmware_mcp::mcp::handler::McpHandler;
use vmware_mcp::telemetry::logging;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let format = match cli.log_format.parse() {
        Ok(f) => f,
        Err(e) => {
            eprintln!("vmware-mcp: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    if let Err(e) = logging::init(&cli.log_level, format, cli.stdio) {
        eprintln!("vmware-mcp: {e:#}");
        return std::process::ExitCode::from(2);
    }
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "vmware-mcp stopped");
            eprintln!("vmware-mcp: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let app = vmware_mcp::app::build(&cli).await?;
    if let Some(Command::Tools) = cli.command {
        let tools = app.registry.tools();
        println!("{}", serde_json::to_string_pretty(&tools)?);
        return Ok(());
    }
    if cli.stdio {
        let service = McpHandler::new(app).serve(rmcp::transport::stdio()).await?;
        service.waiting().await?;
        return Ok(());
    }
    let shutdown = CancellationToken::new();
    let router = vmware_mcp::mcp::http::router(app, cli.allowed_hosts.clone(), shutdown.clone());
    let addr = format!("{}:{}", cli.bind, cli.port);
    let listener = tokio::net::TcpListener::bind(&addr).await.map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
    let local = listener.local_addr()?;
    tracing::info!(address = %local, url = format!("http://{local}/mcp"), "serving MCP over Streamable HTTP");
    let stop = shutdown.clone();
    axum::serve(listener, router)
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            tracing::info!("shutdown requested; finishing in-flight calls");
            stop.cancel();
        })
        .await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
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
