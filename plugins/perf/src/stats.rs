//! `getVMStats` and `getHostStats`: one `QueryPerf` (a read, so no approval)
//! for an entity's counters over the last samples of an interval, reduced
//! to each counter's latest, average and maximum.
//!
//! Counter keys come from `PerformanceManager.perfCounter`, which the host
//! reads from vCenter once per session and then serves from its cache
//! (a plugin instance lives for one call, so the plugin cannot keep it).

use std::collections::HashMap;

use serde::Serialize;
use vmware_plugin_sdk::json::{as_array, as_i64, as_str, lookup, unbox};
use vmware_plugin_sdk::prelude::*;

use crate::counters::{self, Counter, Interval};

/// Read performance samples: the one method the group invokes.
pub const QUERY_PERF: Method = Method::new("PerformanceManager", "QueryPerf");

/// Samples per window: 15 by default (5 minutes realtime), at most 360.
pub const DEFAULT_SAMPLES: u32 = 15;
/// The most samples a window takes (2 hours realtime; the result's size
/// does not grow with it, only vSphere's answer does).
pub const MAX_SAMPLES: u32 = 360;

/// Which counters over which window: the arguments both tools share.
#[derive(Debug, Clone, Default)]
pub struct Window {
    /// Groups or counters; `None` for all.
    pub metrics: Option<Vec<String>>,
    /// The sample period.
    pub interval: Option<Interval>,
    /// How many of the latest samples.
    pub samples: Option<u32>,
}

/// One counter over the window. Values are in `unit`; a percentage is in
/// percent (vSphere counts hundredths).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct CounterStats {
    /// vSphere's name for it, e.g. `cpu.usage.average`.
    pub counter: String,
    /// Its key on this server.
    pub key: i64,
    /// Its unit, as vSphere names it.
    pub unit: String,
    /// The newest sample (null when vSphere has none).
    pub latest: Option<f64>,
    /// The mean of the window's samples.
    pub average: Option<f64>,
    /// The largest of them.
    pub maximum: Option<f64>,
}

/// A tool's result: the entity, the window and its counters.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Stats {
    /// The VM or host name.
    pub name: String,
    /// Its managed object id.
    pub id: String,
    /// Seconds per sample.
    pub interval: u32,
    /// Samples in the window.
    pub samples: u32,
    /// The first sample's time.
    pub from: Option<String>,
    /// The last sample's time.
    pub to: Option<String>,
    /// Latest, average and maximum of each counter.
    pub counters: Vec<CounterStats>,
}

/// The statistics of the `kind` object named `argument` over `window`.
pub fn stats(kind: Kind, argument: &str, window: &Window) -> Result<Stats> {
    let samples = window.samples.unwrap_or(DEFAULT_SAMPLES);
    if !(1..=MAX_SAMPLES).contains(&samples) {
        return Err(Error::invalid_argument(format!(
            "samples must be 1 to {MAX_SAMPLES}, not {samples}"
        )));
    }
    let wanted = counters::select(window.metrics.as_deref())?;
    let interval = window.interval.unwrap_or_default().seconds();
    let entity = inventory::resolve(kind, argument)?;
    let manager = vsphere::service_object("perfManager")?;
    let infos = vsphere::read_one(&manager, &["perfCounter"])?;
    let catalog = counters::catalog(infos.get_array("perfCounter"));
    let known: Vec<(&str, &Counter)> = wanted
        .iter()
        .filter_map(|name| catalog.get(*name).map(|c| (*name, c)))
        .collect();
    let answer = vsphere::invoke(
        &manager,
        QUERY_PERF,
        json!({"querySpec": [query_spec(&entity.reference, &known, interval, samples)]}),
    )?;
    Ok(summarize(&entity, interval, samples, &known, &answer))
}

/// The `PerfQuerySpec` for the latest `samples` of `counters` (aggregate
/// instance) at `interval`. vSphere honours `maxSample` for realtime only and
/// answers a historical query with every sample it keeps, which
/// [`summarize`] cuts to the latest.
pub fn query_spec(
    entity: &MoRef,
    counters: &[(&str, &Counter)],
    interval: u32,
    samples: u32,
) -> Value {
    let ids: Vec<Value> = counters
        .iter()
        .map(|(_, c)| json!({"_typeName": "PerfMetricId", "counterId": c.key, "instance": ""}))
        .collect();
    json!({
        "_typeName": "PerfQuerySpec",
        "entity": entity.to_json(),
        "metricId": ids,
        "intervalId": interval,
        "maxSample": samples,
    })
}

/// Reduce QueryPerf's answer to the latest `samples` of each counter.
/// Samples are ordered by time, not by position (vcsim lists the newest
/// first, vCenter the oldest), and vSphere's `-1` (no value) is skipped.
/// vcsim 0.24 drops every 0 from a series as it encodes it (a simulator
/// bug), so there a series can be shorter than its sample times: values are
/// taken by position, and a counter whose series came empty has none.
pub fn summarize(
    entity: &Resolved,
    interval: u32,
    samples: u32,
    counters: &[(&str, &Counter)],
    answer: &Value,
) -> Stats {
    let metric = entity_metric(answer);
    let times: Vec<&str> = metric
        .and_then(|m| lookup(m, "sampleInfo"))
        .and_then(as_array)
        .map(|infos| {
            infos
                .iter()
                .map(|i| lookup(i, "timestamp").and_then(as_str).unwrap_or(""))
                .collect()
        })
        .unwrap_or_default();
    let mut order: Vec<usize> = (0..times.len()).collect();
    order.sort_by_key(|&i| times[i]);
    let window = &order[order.len().saturating_sub(samples as usize)..];
    let series = series_by_key(metric);
    let counters = counters
        .iter()
        .map(|(name, counter)| {
            let scale = if counter.unit == "percent" {
                100.0
            } else {
                1.0
            };
            let values: Vec<f64> = series
                .get(&counter.key)
                .map(|v| {
                    window
                        .iter()
                        .filter_map(|&i| v.get(i).copied().flatten())
                        .filter(|x| *x >= 0)
                        .map(|x| x as f64 / scale)
                        .collect()
                })
                .unwrap_or_default();
            reduce(name, counter, &values)
        })
        .collect();
    Stats {
        name: entity.name.clone(),
        id: entity.reference.value.clone(),
        interval,
        samples: window.len() as u32,
        from: window.first().map(|&i| times[i].to_string()),
        to: window.last().map(|&i| times[i].to_string()),
        counters,
    }
}

/// The one `PerfEntityMetric` in QueryPerf's answer (an array, boxed or not).
fn entity_metric(answer: &Value) -> Option<&Value> {
    match unbox(answer) {
        Value::Array(items) => items.first(),
        Value::Object(_) => Some(answer),
        _ => None,
    }
}

/// Each series' values by counter key, the aggregate instance (`""`) first.
fn series_by_key(metric: Option<&Value>) -> HashMap<i64, Vec<Option<i64>>> {
    let mut out = HashMap::new();
    let all = metric.and_then(|m| lookup(m, "value")).and_then(as_array);
    for series in all.into_iter().flatten() {
        let Some(key) = lookup(series, "id.counterId").and_then(as_i64) else {
            continue;
        };
        let aggregate = lookup(series, "id.instance")
            .and_then(as_str)
            .unwrap_or("")
            .is_empty();
        let values = lookup(series, "value")
            .and_then(as_array)
            .map(|v| v.iter().map(as_i64).collect())
            .unwrap_or_default();
        if aggregate || !out.contains_key(&key) {
            out.insert(key, values);
        }
    }
    out
}

/// One counter's latest, average and maximum over `values` (oldest first).
fn reduce(name: &str, counter: &Counter, values: &[f64]) -> CounterStats {
    let round = |x: f64| (x * 100.0).round() / 100.0;
    CounterStats {
        counter: name.to_string(),
        key: counter.key,
        unit: counter.unit.clone(),
        latest: values.last().copied().map(round),
        average: (!values.is_empty())
            .then(|| round(values.iter().sum::<f64>() / values.len() as f64)),
        maximum: values.iter().copied().reduce(f64::max).map(round),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vm() -> Resolved {
        let reference = MoRef::new("VirtualMachine", "vm-7");
        Resolved {
            reference: reference.clone(),
            name: "web-01".into(),
            path: "DC0/vm/web-01".into(),
            parent: None,
            properties: Obj::new(reference),
        }
    }

    fn counter(key: i64, unit: &str) -> Counter {
        Counter {
            key,
            unit: unit.into(),
        }
    }

    #[test]
    fn the_query_asks_for_the_aggregate_of_each_counter() {
        let usage = counter(2, "percent");
        let spec = query_spec(&vm().reference, &[("cpu.usage.average", &usage)], 300, 12);
        assert_eq!(spec["entity"]["value"], "vm-7");
        assert_eq!(
            spec["metricId"],
            json!([{"_typeName": "PerfMetricId", "counterId": 2, "instance": ""}])
        );
        assert_eq!(
            (spec["intervalId"].clone(), spec["maxSample"].clone()),
            (json!(300), json!(12))
        );
    }

    #[test]
    fn samples_are_ordered_by_time_cut_to_the_window_and_scaled() {
        let usage = counter(2, "percent");
        let ready = counter(12, "millisecond");
        let active = counter(33, "kiloBytes");
        // Newest first, as vcsim answers; the oldest falls outside a window of 3.
        let answer = json!([{
            "_typeName": "PerfEntityMetric",
            "sampleInfo": [{"timestamp": "2026-01-01T00:01:00Z", "interval": 20},
                           {"timestamp": "2026-01-01T00:00:40Z", "interval": 20},
                           {"timestamp": "2026-01-01T00:00:20Z", "interval": 20},
                           {"timestamp": "2026-01-01T00:00:00Z", "interval": 20}],
            "value": [
                {"id": {"counterId": 2, "instance": ""}, "value": [1000, 3000, 2000, 9900]},
                {"id": {"counterId": 12, "instance": "0"}, "value": [1, 1, 1, 1]},
                {"id": {"counterId": 12, "instance": ""}, "value": ["40", -1, 10, 99]}
            ]
        }]);
        let counters = [
            ("cpu.usage.average", &usage),
            ("cpu.ready.summation", &ready),
            ("mem.active.average", &active),
        ];
        let stats = summarize(&vm(), 20, 3, &counters, &answer);
        assert_eq!(
            (stats.samples, stats.from.as_deref(), stats.to.as_deref()),
            (
                3,
                Some("2026-01-01T00:00:20Z"),
                Some("2026-01-01T00:01:00Z")
            )
        );
        assert_eq!(
            stats.counters[0],
            CounterStats {
                counter: "cpu.usage.average".into(),
                key: 2,
                unit: "percent".into(),
                latest: Some(10.0),
                average: Some(20.0),
                maximum: Some(30.0),
            }
        );
        // -1 is no value; the aggregate instance wins over a per-CPU one.
        assert_eq!(
            (
                stats.counters[1].latest,
                stats.counters[1].average,
                stats.counters[1].maximum
            ),
            (Some(40.0), Some(25.0), Some(40.0))
        );
        // No series at all: no values, not zeros.
        assert_eq!(
            (stats.counters[2].latest, stats.counters[2].average),
            (None, None)
        );
        assert_eq!(summarize(&vm(), 20, 3, &counters, &json!([])).samples, 0);
    }
}
