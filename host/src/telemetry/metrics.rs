//! One metrics registry with Prometheus-style names and labels, so the same
//! numbers can be served as JSON (the `getMetrics` tool) and as Prometheus text.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Latency bucket bounds in seconds, spanning a fast read to a slow clone.
const BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
];

/// Label pairs in a fixed order, so one series has one key.
pub type Labels = Vec<(&'static str, String)>;

#[derive(Debug, Default, Clone)]
struct Histogram {
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        if self.counts.is_empty() {
            self.counts = vec![0; BUCKETS.len()];
        }
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                self.counts[i] += 1;
            }
        }
        self.sum += seconds;
        self.count += 1;
    }
}

#[derive(Debug, Default)]
struct Series {
    counters: BTreeMap<(&'static str, Labels), f64>,
    gauges: BTreeMap<(&'static str, Labels), f64>,
    histograms: BTreeMap<(&'static str, Labels), Histogram>,
}

/// The process-wide registry.
#[derive(Debug)]
pub struct Metrics {
    started: Instant,
    series: Mutex<Series>,
    help: BTreeMap<&'static str, &'static str>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// Metric names, in one place so the tool, `/metrics` and the docs agree.
pub mod names {
    /// Tool calls by tool and outcome.
    pub const TOOL_CALLS: &str = "vmware_mcp_tool_calls_total";
    /// Tool call latency by tool.
    pub const TOOL_SECONDS: &str = "vmware_mcp_tool_call_duration_seconds";
    /// vSphere calls by method and outcome.
    pub const VSPHERE_CALLS: &str = "vmware_mcp_vsphere_calls_total";
    /// vSphere call latency by method.
    pub const VSPHERE_SECONDS: &str = "vmware_mcp_vsphere_call_duration_seconds";
    /// Approval decisions by decision.
    pub const APPROVALS: &str = "vmware_mcp_approvals_total";
    /// Plugin traps and timeouts by plugin and kind.
    pub const PLUGIN_FAILURES: &str = "vmware_mcp_plugin_failures_total";
    /// vCenter re-logins after session expiry.
    pub const RELOGINS: &str = "vmware_mcp_vcenter_relogins_total";
    /// HTTP requests sent to vCenter.
    pub const VCENTER_REQUESTS: &str = "vmware_mcp_vcenter_http_requests_total";
    /// Of those, the update feeds' waits and their cancellations.
    pub const VCENTER_FEED_REQUESTS: &str = "vmware_mcp_vcenter_feed_requests_total";
    /// Loaded plugins, labelled with their version.
    pub const PLUGINS: &str = "vmware_mcp_plugin_info";
    /// Seconds since start.
    pub const UPTIME: &str = "vmware_mcp_uptime_seconds";
    /// Tool calls the client cancelled while host work was pending, by tool.
    pub const CANCELLED_CALLS: &str = "vmware_mcp_cancelled_calls_total";
    /// Pages of history collectors read, by history (events, tasks) and
    /// source: `memory` (the recent history) or `vcenter`.
    pub const HISTORY_PAGES: &str = "vmware_mcp_history_pages_total";
    /// Objects in the inventory index.
    pub const INVENTORY_OBJECTS: &str = "vmware_mcp_inventory_objects";
    /// 1 while the inventory index follows vCenter's update stream, 0 while it falls back to direct reads.
    pub const INVENTORY_LIVE: &str = "vmware_mcp_inventory_stream_live";
    /// Approval notifications by receiver (scheme and host), format and
    /// outcome: `delivered`, `failed` (given up) or `dropped` (queue full).
    pub const NOTIFICATIONS: &str = "vmware_mcp_notifications_total";
    /// Approval notification attempts that failed and were tried again, by receiver and format.
    pub const NOTIFICATION_RETRIES: &str = "vmware_mcp_notification_retries_total";
}

impl Metrics {
    /// An empty registry whose uptime starts now.
    pub fn new() -> Self {
        let help = BTreeMap::from([
            (names::TOOL_CALLS, "MCP tool calls by tool and outcome."),
            (names::TOOL_SECONDS, "MCP tool call latency in seconds."),
            (
                names::VSPHERE_CALLS,
                "vSphere API calls by method and outcome.",
            ),
            (
                names::VSPHERE_SECONDS,
                "vSphere API call latency in seconds.",
            ),
            (names::APPROVALS, "Approval decisions by decision."),
            (
                names::PLUGIN_FAILURES,
                "Plugin traps and timeouts by plugin.",
            ),
            (names::RELOGINS, "vCenter re-logins after session expiry."),
            (names::VCENTER_REQUESTS, "HTTP requests sent to vCenter."),
            (
                names::VCENTER_FEED_REQUESTS,
                "Of the HTTP requests sent to vCenter, the update feeds' waits for changes and their cancellations (background work, whatever the tool calls).",
            ),
            (
                names::PLUGINS,
                "Loaded plugins (value 1) with their version.",
            ),
            (names::UPTIME, "Seconds since the server started."),
            (names::INVENTORY_OBJECTS, "Objects in the inventory index."),
            (
                names::HISTORY_PAGES,
                "History collector pages read, by history and source (memory: the recent history kept by the server; vcenter).",
            ),
            (
                names::CANCELLED_CALLS,
                "Tool calls cancelled by the client while host work was pending; that work was dropped.",
            ),
            (
                names::NOTIFICATIONS,
                "Approval notifications by receiver, format and outcome (delivered, failed, dropped).",
            ),
            (
                names::NOTIFICATION_RETRIES,
                "Approval notification attempts that failed and were tried again.",
            ),
            (
                names::INVENTORY_LIVE,
                "1 while the inventory index follows vCenter's update stream; 0 while it reads directly.",
            ),
        ]);
        Metrics {
            started: Instant::now(),
            series: Mutex::new(Series::default()),
            help,
        }
    }

    fn with<R>(&self, f: impl FnOnce(&mut Series) -> R) -> R {
        let mut guard = self.series.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }

    /// Add one to a counter.
    pub fn inc(&self, name: &'static str, labels: Labels) {
        self.with(|s| *s.counters.entry((name, labels)).or_default() += 1.0);
    }

    /// Set a counter kept elsewhere (e.g. by the vCenter client) to its current total.
    pub fn set_total(&self, name: &'static str, labels: Labels, value: f64) {
        self.with(|s| {
            s.counters.insert((name, labels), value);
        });
    }

    /// Set a gauge.
    pub fn set(&self, name: &'static str, labels: Labels, value: f64) {
        self.with(|s| {
            s.gauges.insert((name, labels), value);
        });
    }

    /// Record a duration in a histogram.
    pub fn observe(&self, name: &'static str, labels: Labels, elapsed: Duration) {
        self.with(|s| {
            s.histograms
                .entry((name, labels))
                .or_default()
                .observe(elapsed.as_secs_f64())
        });
    }

    /// Everything as JSON: counters and gauges as values, histograms as count, sum and mean.
    pub fn to_json(&self) -> Value {
        let uptime = self.started.elapsed().as_secs_f64();
        self.with(|s| {
            let label_obj = |labels: &Labels| Value::Object(labels.iter().map(|(k, v)| ((*k).to_string(), Value::String(v.clone()))).collect());
            let mut counters = Vec::new();
            for ((name, labels), v) in &s.counters {
                counters.push(json!({ "name": name, "labels": label_obj(labels), "value": v }));
            }
            let mut gauges = vec![json!({ "name": names::UPTIME, "labels": {}, "value": uptime })];
            for ((name, labels), v) in &s.gauges {
                gauges.push(json!({ "name": name, "labels": label_obj(labels), "value": v }));
            }
            let mut histograms = Vec::new();
            for ((name, labels), h) in &s.histograms {
                let mean = if h.count > 0 { h.sum / h.count as f64 } else { 0.0 };
                histograms.push(json!({ "name": name, "labels": label_obj(labels), "count": h.count, "sumSeconds": h.sum, "meanSeconds": mean }));
            }
            json!({ "uptimeSeconds": uptime, "counters": counters, "gauges": gauges, "histograms": histograms })
        })
    }

    /// Everything in the Prometheus text exposition format (version 0.0.4).
    pub fn to_prometheus(&self) -> String {
        let uptime = self.started.elapsed().as_secs_f64();
        let mut out = String::new();
        let header = |out: &mut String, name: &str, kind: &str| {
            let help = self.help.get(name).copied().unwrap_or("");
            out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
        };
        self.with(|s| {
            let mut last = "";
            for ((name, labels), v) in &s.counters {
                if *name != last {
                    header(&mut out, name, "counter");
                    last = name;
                }
                out.push_str(&format!("{name}{} {v}\n", render_labels(labels, None)));
            }
            header(&mut out, names::UPTIME, "gauge");
            out.push_str(&format!("{} {uptime}\n", names::UPTIME));
            last = "";
            for ((name, labels), v) in &s.gauges {
                if *name != last {
                    header(&mut out, name, "gauge");
                    last = name;
                }
                out.push_str(&format!("{name}{} {v}\n", render_labels(labels, None)));
            }
            last = "";
            for ((name, labels), h) in &s.histograms {
                if *name != last {
                    header(&mut out, name, "histogram");
                    last = name;
                }
                for (bound, count) in BUCKETS.iter().zip(&h.counts) {
                    out.push_str(&format!(
                        "{name}_bucket{} {count}\n",
                        render_labels(labels, Some(&bound.to_string()))
                    ));
                }
                out.push_str(&format!(
                    "{name}_bucket{} {}\n",
                    render_labels(labels, Some("+Inf")),
                    h.count
                ));
                out.push_str(&format!(
                    "{name}_sum{} {}\n",
                    render_labels(labels, None),
                    h.sum
                ));
                out.push_str(&format!(
                    "{name}_count{} {}\n",
                    render_labels(labels, None),
                    h.count
                ));
            }
        });
        out
    }
}

fn render_labels(labels: &Labels, le: Option<&str>) -> String {
    let mut parts: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", escape_label(v)))
        .collect();
    if let Some(le) = le {
        parts.push(format!("le=\"{le}\""));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("{{{}}}", parts.join(","))
    }
}

fn escape_label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_and_histograms_render_in_both_forms() {
        let m = Metrics::new();
        m.inc(
            names::TOOL_CALLS,
            vec![("tool", "a".into()), ("outcome", "ok".into())],
        );
        m.inc(
            names::TOOL_CALLS,
            vec![("tool", "a".into()), ("outcome", "ok".into())],
        );
        m.observe(
            names::TOOL_SECONDS,
            vec![("tool", "a\"b".into())],
            Duration::from_millis(20),
        );
        let j = m.to_json();
        assert_eq!(j["counters"][0]["value"], 2.0);
        assert_eq!(j["histograms"][0]["count"], 1);
        let text = m.to_prometheus();
        assert!(
            text.contains("vmware_mcp_tool_calls_total{tool=\"a\",outcome=\"ok\"} 2\n"),
            "{text}"
        );
        assert!(text.contains("le=\"0.025\"} 1"), "{text}");
        assert!(text.contains("le=\"0.01\"} 0"), "{text}");
        assert!(text.contains("tool=\"a\\\"b\""), "{text}");
    }
}
