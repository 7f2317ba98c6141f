//! Getting notifications to one receiver without ever holding anything up:
//! a bounded queue in front of a worker of its own.
//!
//! Filing an event never waits: it goes into the receiver's queue, and when
//! the queue is full the oldest event is dropped (and counted) to make room,
//! since the newest is the one an operator can still act on. The worker
//! POSTs one event at a time with a per-request timeout, and tries again with
//! exponential backoff after a connection failure, a timeout, a 408, a 429
//! or a 5xx (honouring `Retry-After` up to the longest backoff); any other
//! answer is final. Every outcome is counted in
//! `vmware_mcp_notifications_total{receiver,format,outcome}` and retries in
//! `vmware_mcp_notification_retries_total`. Logs and metrics name a receiver
//! by its scheme and host only: the rest of its URL may be a token.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::config::Receiver;
use super::event::Event;
use super::payload;
use super::sign::{SIGNATURE_HEADER, signature};
use crate::telemetry::metrics::{Labels, Metrics, names};

/// The header naming the event (`approval.requested`…), so a receiver can
/// route it before parsing the body.
pub const EVENT_HEADER: &str = "X-Vmware-Mcp-Event";

/// The header with one id per event and receiver, the same on every retry,
/// so a receiver can ignore a repeat.
pub const DELIVERY_HEADER: &str = "X-Vmware-Mcp-Delivery";

/// Events a receiver's queue holds; beyond it the oldest is dropped.
pub const QUEUE_CAPACITY: usize = 512;

/// How hard a worker tries.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts per event, the first included.
    pub attempts: u32,
    /// The wait after the first failed attempt; it doubles after each.
    pub first_backoff: Duration,
    /// The longest wait between attempts (also for `Retry-After`).
    pub max_backoff: Duration,
    /// How long one POST may take, connecting included.
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    /// 4 attempts over about 3.5 s of backoff, 5 s each: a receiver that is
    /// briefly away still gets the event, and one that is gone costs the
    /// worker under half a minute per event.
    fn default() -> Self {
        RetryPolicy {
            attempts: 4,
            first_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            timeout: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    fn backoff(&self, failed_attempts: u32) -> Duration {
        let factor = 2u32.saturating_pow(failed_attempts.saturating_sub(1));
        self.first_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }
}

/// One receiver's queue and the counters its worker keeps.
pub struct Lane {
    receiver: Receiver,
    endpoint: String,
    queue: Mutex<VecDeque<Arc<Event>>>,
    wake: Notify,
    capacity: usize,
    dropped: AtomicU64,
    metrics: Arc<Metrics>,
}

/// Why an attempt failed, and whether another may succeed.
enum Failure {
    /// Worth another attempt (after at least the given wait, if the receiver asked for one).
    Transient(String, Option<Duration>),
    /// Another attempt would get the same answer.
    Final(String),
}

impl Lane {
    /// A lane for `receiver` holding at most `capacity` events.
    pub fn new(receiver: Receiver, capacity: usize, metrics: Arc<Metrics>) -> Lane {
        Lane {
            endpoint: receiver.endpoint(),
            receiver,
            queue: Mutex::new(VecDeque::new()),
            wake: Notify::new(),
            capacity: capacity.max(1),
            dropped: AtomicU64::new(0),
            metrics,
        }
    }

    fn labels(&self, outcome: Option<&str>) -> Labels {
        let mut labels = vec![
            ("receiver", self.endpoint.clone()),
            ("format", self.receiver.format.label().to_string()),
        ];
        if let Some(outcome) = outcome {
            labels.push(("outcome", outcome.to_string()));
        }
        labels
    }

    /// Queue `event` without waiting; when the queue is full the oldest
    /// event makes room, and the drop is counted and logged.
    pub fn offer(&self, event: Arc<Event>) {
        let dropped = {
            let mut queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
            let dropped = (queue.len() >= self.capacity)
                .then(|| queue.pop_front())
                .flatten();
            queue.push_back(event);
            dropped
        };
        self.wake.notify_one();
        if let Some(old) = dropped {
            self.metrics
                .inc(names::NOTIFICATIONS, self.labels(Some("dropped")));
            let total = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            // The first drop, then one line per hundred: a flood must not flood the log.
            if total == 1 || total.is_multiple_of(100) {
                tracing::warn!(
                    receiver = %self.endpoint, format = %self.receiver.format,
                    approval_id = %old.approval.id, event = old.kind.name(), dropped_total = total,
                    "approval notification dropped: the receiver's queue is full (it is slow or down)"
                );
            }
        }
    }

    async fn next(&self) -> Arc<Event> {
        loop {
            if let Some(event) = self
                .queue
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .pop_front()
            {
                return event;
            }
            self.wake.notified().await;
        }
    }

    /// Deliver queued events one at a time until `stop` is cancelled.
    pub async fn run(
        self: Arc<Self>,
        client: reqwest::Client,
        retry: RetryPolicy,
        stop: CancellationToken,
    ) {
        loop {
            let event = tokio::select! {
                _ = stop.cancelled() => return,
                event = self.next() => event,
            };
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = self.deliver(&client, &retry, &event) => {}
            }
        }
    }

    async fn deliver(&self, client: &reqwest::Client, retry: &RetryPolicy, event: &Event) {
        let body = match serde_json::to_vec(&payload::render(self.receiver.format, event)) {
            Ok(body) => body,
            Err(e) => {
                tracing::error!(receiver = %self.endpoint, error = %e, "approval notification could not be rendered");
                self.metrics
                    .inc(names::NOTIFICATIONS, self.labels(Some("failed")));
                return;
            }
        };
        let delivery = uuid::Uuid::new_v4().to_string();
        let mut attempt = 1;
        loop {
            let failure = match self.attempt(client, retry, event, &body, &delivery).await {
                Ok(()) => {
                    self.metrics
                        .inc(names::NOTIFICATIONS, self.labels(Some("delivered")));
                    tracing::debug!(
                        receiver = %self.endpoint, format = %self.receiver.format,
                        approval_id = %event.approval.id, event = event.kind.name(), attempt,
                        "approval notification delivered"
                    );
                    return;
                }
                Err(failure) => failure,
            };
            let (problem, wait) = match failure {
                Failure::Transient(problem, asked) if attempt < retry.attempts => {
                    let wait = retry
                        .backoff(attempt)
                        .max(asked.unwrap_or_default())
                        .min(retry.max_backoff);
                    (problem, wait)
                }
                Failure::Transient(problem, _) | Failure::Final(problem) => {
                    self.metrics
                        .inc(names::NOTIFICATIONS, self.labels(Some("failed")));
                    tracing::warn!(
                        receiver = %self.endpoint, format = %self.receiver.format,
                        approval_id = %event.approval.id, event = event.kind.name(), attempts = attempt,
                        error = %problem, "approval notification failed; operators were not told through this receiver"
                    );
                    return;
                }
            };
            self.metrics
                .inc(names::NOTIFICATION_RETRIES, self.labels(None));
            tracing::info!(
                receiver = %self.endpoint, format = %self.receiver.format,
                approval_id = %event.approval.id, event = event.kind.name(), attempt,
                retry_in_ms = wait.as_millis() as u64, error = %problem,
                "approval notification attempt failed; trying again"
            );
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    async fn attempt(
        &self,
        client: &reqwest::Client,
        retry: &RetryPolicy,
        event: &Event,
        body: &[u8],
        delivery: &str,
    ) -> Result<(), Failure> {
        let mut request = client
            .post(self.receiver.url().clone())
            .timeout(retry.timeout)
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(EVENT_HEADER, event.kind.name())
            .header(DELIVERY_HEADER, delivery);
        if let Some(secret) = &self.receiver.secret {
            // Signed at each attempt, so the timestamp says when it was sent.
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            request = request.header(
                SIGNATURE_HEADER,
                signature(secret.expose().as_bytes(), now, body),
            );
        }
        let response = request
            .body(body.to_vec())
            .send()
            .await
            .map_err(|e| Failure::Transient(describe(e), None))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let asked = response
            .headers()
            .get(http::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let problem = format!("the receiver answered {status}");
        if status.is_server_error() || status.as_u16() == 429 || status.as_u16() == 408 {
            Err(Failure::Transient(problem, asked))
        } else {
            Err(Failure::Final(problem))
        }
    }
}

/// A send error in words, without its URL (a Slack or Teams URL's path is
/// the token that lets anyone post).
fn describe(error: reqwest::Error) -> String {
    let timed_out = error.is_timeout();
    let connect = error.is_connect();
    let line = crate::vocabulary::one_line(&error.without_url());
    if timed_out {
        format!("timed out: {line}")
    } else if connect {
        format!("cannot connect: {line}")
    } else {
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::approval::pending::Status;
    use crate::notify::config::{Format, NotifyConfig};
    use crate::notify::event::tests::event;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A receiver of `url` in `format`, signing with the key `k`.
    fn receiver(url: &str, format: Format) -> Receiver {
        let key = std::env::temp_dir().join(format!("vmware-mcp-lane-{}", std::process::id()));
        std::fs::write(&key, "k").unwrap();
        let cli = <crate::config::Cli as clap::Parser>::try_parse_from([
            "vmware-mcp",
            "--approval-webhook-url",
            url,
            "--approval-webhook-format",
            format.label(),
            "--approval-webhook-secret-path",
            key.to_str().unwrap(),
        ])
        .unwrap();
        NotifyConfig::load(&cli, &crate::approval::policy::Policy::default())
            .unwrap()
            .receivers
            .remove(0)
    }

    /// A receiver answering each request with the next status of `answers`
    /// (the last one from then on); returns its URL and the bodies and
    /// signature headers it got.
    async fn receiver_answering(answers: Vec<u16>) -> (String, Arc<Mutex<Vec<(String, String)>>>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook/T0K3N", listener.local_addr().unwrap());
        let got = Arc::new(Mutex::new(Vec::new()));
        let seen = got.clone();
        tokio::spawn(async move {
            let mut n = 0;
            loop {
                let (mut socket, _) = listener.accept().await.unwrap();
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                // Read the head, then the body by Content-Length.
                let (head, body_start) = loop {
                    let k = socket.read(&mut chunk).await.unwrap();
                    buf.extend_from_slice(&chunk[..k]);
                    if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break (String::from_utf8_lossy(&buf[..at]).to_string(), at + 4);
                    }
                };
                let length: usize = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse().unwrap())
                    })
                    .unwrap_or(0);
                while buf.len() < body_start + length {
                    let k = socket.read(&mut chunk).await.unwrap();
                    buf.extend_from_slice(&chunk[..k]);
                }
                let signature = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .starts_with("x-vmware-mcp-signature:")
                            .then(|| l.split_once(':').unwrap().1.trim().to_string())
                    })
                    .unwrap_or_default();
                seen.lock().unwrap().push((
                    String::from_utf8_lossy(&buf[body_start..body_start + length]).to_string(),
                    signature,
                ));
                let status = answers[n.min(answers.len() - 1)];
                n += 1;
                let reply = format!(
                    "HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                );
                let _ = socket.write_all(reply.as_bytes()).await;
            }
        });
        (url, got)
    }

    fn quick() -> RetryPolicy {
        RetryPolicy {
            attempts: 3,
            first_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(50),
            timeout: Duration::from_secs(2),
        }
    }

    async fn until(metrics: &Metrics, text: &str) -> String {
        for _ in 0..400 {
            let all = metrics.to_prometheus();
            if all.contains(text) {
                return all;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("{text} never appeared in\n{}", metrics.to_prometheus());
    }

    #[tokio::test]
    async fn server_errors_are_retried_until_delivered_and_signed_each_time() {
        let (url, got) = receiver_answering(vec![503, 503, 200]).await;
        let metrics = Arc::new(Metrics::new());
        let lane = Arc::new(Lane::new(receiver(&url, Format::Json), 8, metrics.clone()));
        let stop = CancellationToken::new();
        tokio::spawn(
            lane.clone()
                .run(reqwest::Client::new(), quick(), stop.clone()),
        );
        lane.offer(Arc::new(event(Status::Pending)));
        let endpoint = url.trim_end_matches("/hook/T0K3N");
        let text = until(&metrics, "outcome=\"delivered\"} 1").await;
        assert!(
            text.contains(&format!(
                "vmware_mcp_notification_retries_total{{receiver=\"{endpoint}\",format=\"json\"}} 2"
            )),
            "{text}"
        );
        assert!(!text.contains("T0K3N"), "{text}");
        let got = got.lock().unwrap().clone();
        assert_eq!(got.len(), 3);
        for (body, header) in &got {
            assert!(
                crate::notify::sign::verify(b"k", header, body.as_bytes()),
                "{header}"
            );
        }
        stop.cancel();
    }

    #[tokio::test]
    async fn a_client_error_is_final_and_a_full_queue_drops_the_oldest() {
        let (url, got) = receiver_answering(vec![404]).await;
        let metrics = Arc::new(Metrics::new());
        let lane = Arc::new(Lane::new(receiver(&url, Format::Slack), 2, metrics.clone()));
        // No worker yet: three events into a queue of two drop the first.
        for status in [Status::Pending, Status::Approved, Status::Denied] {
            lane.offer(Arc::new(event(status)));
        }
        until(&metrics, "outcome=\"dropped\"} 1").await;
        let stop = CancellationToken::new();
        tokio::spawn(
            lane.clone()
                .run(reqwest::Client::new(), quick(), stop.clone()),
        );
        let text = until(&metrics, "outcome=\"failed\"} 2").await;
        assert!(
            !text.contains("vmware_mcp_notification_retries_total"),
            "{text}"
        );
        let bodies: Vec<String> = got.lock().unwrap().iter().map(|(b, _)| b.clone()).collect();
        assert_eq!(bodies.len(), 2, "one attempt each");
        assert!(bodies[0].contains("Approved by alice"), "{}", bodies[0]);
        stop.cancel();
    }

    #[tokio::test]
    async fn a_closed_port_is_retried_and_counted_failed_without_the_url() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let metrics = Arc::new(Metrics::new());
        let url = format!("http://127.0.0.1:{port}/hook/T0K3N");
        let lane = Arc::new(Lane::new(receiver(&url, Format::Teams), 8, metrics.clone()));
        let stop = CancellationToken::new();
        tokio::spawn(
            lane.clone()
                .run(reqwest::Client::new(), quick(), stop.clone()),
        );
        lane.offer(Arc::new(event(Status::TimedOut)));
        let text = until(&metrics, "outcome=\"failed\"} 1").await;
        assert!(
            text.contains("retries_total{receiver=\"http://127.0.0.1:"),
            "{text}"
        );
        stop.cancel();
        let e = reqwest::Client::new().post(&url).send().await.unwrap_err();
        let said = describe(e);
        assert!(
            said.starts_with("cannot connect") && !said.contains("T0K3N"),
            "{said}"
        );
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff(1), Duration::from_millis(500));
        assert_eq!(p.backoff(2), Duration::from_secs(1));
        assert_eq!(p.backoff(3), Duration::from_secs(2));
        assert_eq!(p.backoff(30), Duration::from_secs(30));
    }
}
