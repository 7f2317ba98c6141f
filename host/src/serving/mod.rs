//! The one serving path of every HTTP port the server opens (MCP and admin),
//! so that both have the same front door:
//!
//! - a header read timeout: slow or half-sent requests, and idle keep-alive
//!   connections, are closed;
//! - a bounded request head: hyper buffers at most [`MAX_HEAD_BYTES`] per
//!   connection, so memory is bounded by the connection cap;
//! - the connection cap of [`connections`], with head-room for the probes
//!   ([`ServeOptions::probes`]; other paths get 503 there);
//! - body limits ([`body`]): a size cap and a time limit on every body read;
//! - a graceful shutdown that lets in-flight requests finish.
//!
//! HTTP/1.1 only, which is what MCP clients, the operators' CLI and browsers
//! speak to these ports. What a port serves (its routes) stays with its own
//! module; only how connections are admitted and held lives here.

pub mod bearer;
pub mod body;
pub mod connections;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tower::ServiceExt;

use connections::{ConnectionLimits, Connections, Tier};

/// How a port treats connections.
#[derive(Clone, Copy, Debug)]
pub struct ServeOptions {
    /// How long a client may take to send a complete request head (also the idle keep-alive limit).
    pub header_timeout: Duration,
    /// The connection cap and the probes' head-room.
    pub limits: ConnectionLimits,
    /// The paths a connection in the head-room may reach (the port's probes).
    pub probes: &'static [&'static str],
    /// The setting that sets the cap, named in the log and in the 503 a
    /// connection in the head-room gets for any other path.
    pub cap_setting: &'static str,
}

/// Connections kept above the MCP port's cap for `/healthz` and `/readyz`.
pub const PROBE_RESERVE: usize = 32;

/// The most a connection may buffer of a request head (hyper's read buffer):
/// a head larger than this is refused with 431, so 2,000 connections cannot
/// hold more than 2,000 times this in header bytes.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;

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
    let router = router.layer(middleware::from_fn_with_state(
        Arc::new(options),
        probes_only_in_reserve,
    ));
    let connections = Connections::new(options.limits);
    let graceful = GracefulShutdown::new();
    let mut normal = http1::Builder::new();
    normal
        .timer(TokioTimer::new())
        .header_read_timeout(options.header_timeout)
        .max_buf_size(MAX_HEAD_BYTES);
    let mut reserve = normal.clone();
    reserve.keep_alive(false);
    let mut reporter = ShedReporter::new(options.cap_setting);
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

/// A connection admitted into the head-room above the connection cap may
/// reach the probes only: the head-room exists so they answer under load.
async fn probes_only_in_reserve(
    State(options): State<Arc<ServeOptions>>,
    request: Request,
    next: Next,
) -> Response {
    let reserve = request.extensions().get::<Tier>() == Some(&Tier::Reserve);
    if reserve && !options.probes.contains(&request.uri().path()) {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "1"), (header::CONNECTION, "close")],
            format!(
                "the server is at its connection limit ({}); retry shortly\n",
                options.cap_setting
            ),
        )
            .into_response();
    }
    next.run(request).await
}

/// Reports shed connections and accept failures at most every [`REPORT_EVERY`],
/// so an attack cannot flood the log.
struct ShedReporter {
    cap_setting: &'static str,
    last: Option<Instant>,
    reported: (u64, u64),
    accept_errors: u64,
}

impl ShedReporter {
    fn new(cap_setting: &'static str) -> ShedReporter {
        ShedReporter {
            cap_setting,
            last: None,
            reported: (0, 0),
            accept_errors: 0,
        }
    }

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
            tracing::warn!(error = %error, failures = self.accept_errors, cap = self.cap_setting, "cannot accept connections");
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
                cap = self.cap_setting,
                "connection cap reached: closing connections that never sent a request"
            );
            self.reported = shed;
        }
    }
}
