//! Serving the router on the MCP port with connection hygiene: a header
//! read timeout (slow or half-sent requests, and idle keep-alive connections,
//! are closed), the connection cap of [`crate::mcp::connections`], and a
//! graceful shutdown that lets in-flight requests finish. HTTP/1.1 only,
//! which is what MCP clients speak over Streamable HTTP.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tower::ServiceExt;

use crate::mcp::connections::{ConnectionLimits, Connections, Tier};

/// How the MCP port treats connections.
#[derive(Clone, Copy, Debug)]
pub struct ServeOptions {
    /// How long a client may take to send a complete request head (also the idle keep-alive limit).
    pub header_timeout: Duration,
    /// The connection cap and the probes' head-room.
    pub limits: ConnectionLimits,
}

/// Connections kept above the cap for `/healthz` and `/readyz`.
pub const PROBE_RESERVE: usize = 32;

/// How often, at most, shed connections are reported in the log.
const REPORT_EVERY: Duration = Duration::from_secs(10);

/// Serve `router` on `listener` until `shutdown` completes, then stop
/// accepting and wait for open connections to finish their requests (the
/// caller bounds that wait with its grace period).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    options: ServeOptions,
    shutdown: impl Future<Output = ()>,
) {
    let connections = Connections::new(options.limits);
    let graceful = GracefulShutdown::new();
    let mut normal = http1::Builder::new();
    normal
        .timer(TokioTimer::new())
        .header_read_timeout(options.header_timeout);
    let mut reserve = normal.clone();
    reserve.keep_alive(false);
    let mut reporter = ShedReporter::default();
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(e) => {
                    // EMFILE and friends: back off briefly instead of spinning.
                    reporter.accept_failed(&e);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        reporter.maybe_report(&connections);
        let Some(ticket) = connections.admit() else {
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let ticket = Arc::new(ticket);
        let tier = ticket.tier();
        let kill = ticket.kill();
        let service = {
            let ticket = ticket.clone();
            let router = router.clone();
            hyper::service::service_fn(move |mut request: Request<Incoming>| {
                ticket.proven();
                request.extensions_mut().insert(tier);
                router.clone().oneshot(request)
            })
        };
        let builder = if tier == Tier::Reserve {
            &reserve
        } else {
            &normal
        };
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            tokio::select! {
                served = connection => if let Err(e) = served {
                    tracing::debug!(error = %e, "connection closed with an error");
                },
                _ = kill.cancelled() => tracing::debug!("connection evicted to make room"),
            }
            drop(ticket);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// Reports shed connections and accept failures at most every [`REPORT_EVERY`],
/// so an attack cannot flood the log.
#[derive(Default)]
struct ShedReporter {
    last: Option<Instant>,
    reported: (u64, u64),
    accept_errors: u64,
}

impl ShedReporter {
    fn due(&mut self) -> bool {
        let due = self.last.is_none_or(|t| t.elapsed() >= REPORT_EVERY);
        if due {
            self.last = Some(Instant::now());
        }
        due
    }

    fn accept_failed(&mut self, error: &std::io::Error) {
        self.accept_errors += 1;
        if self.due() {
            tracing::warn!(error = %error, failures = self.accept_errors, "cannot accept connections");
        }
    }

    fn maybe_report(&mut self, connections: &Connections) {
        let shed = connections.shed();
        if shed != self.reported && self.due() {
            let (normal, reserve) = connections.open();
            tracing::warn!(
                evicted = shed.0,
                refused = shed.1,
                open = normal,
                reserve_open = reserve,
                "connection cap reached: closing connections that never sent a request (MCP_MAX_CONNECTIONS)"
            );
            self.reported = shed;
        }
    }
}
