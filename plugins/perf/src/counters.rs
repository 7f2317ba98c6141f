//! The counters the tools read, how `metrics` picks among them, and the
//! sample periods `interval` names.
//!
//! Counters are named as vSphere names them (`group.name.rollup`) and
//! resolved to the server's numeric keys from `PerformanceManager.perfCounter`:
//! keys differ between vCenter and ESXi, names do not.

use std::collections::HashMap;

use schemars::JsonSchema;
use serde::Deserialize;
use vmware_plugin_sdk::json::{as_i64, as_str, lookup};
use vmware_plugin_sdk::prelude::*;

/// The counters read, by group: CPU usage and ready time; active,
/// ballooned and swapped memory; disk read and write rates and the
/// highest latency; network receive and transmit rates.
pub const COUNTERS: &[&str] = &[
    "cpu.usage.average",
    "cpu.ready.summation",
    "mem.active.average",
    "mem.vmmemctl.average",
    "mem.swapped.average",
    "disk.read.average",
    "disk.write.average",
    "disk.maxTotalLatency.latest",
    "net.received.average",
    "net.transmitted.average",
];

/// The groups `metrics` may name instead of counters.
pub const GROUPS: &[&str] = &["cpu", "mem", "disk", "net"];

/// The sample period: vSphere's realtime rate (20 s) or one of its
/// historical intervals (kept a day, a week, a month and a year).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, JsonSchema)]
pub enum Interval {
    // 20 s samples, kept an hour.
    #[default]
    #[serde(rename = "realtime")]
    Realtime,
    // 5 min samples, kept a day.
    #[serde(rename = "5m")]
    FiveMinutes,
    // 30 min samples, kept a week.
    #[serde(rename = "30m")]
    HalfHour,
    // 2 h samples, kept a month.
    #[serde(rename = "2h")]
    TwoHours,
    // 1 day samples, kept a year.
    #[serde(rename = "1d")]
    Day,
}

impl Interval {
    /// Its length in seconds, which is also vSphere's `intervalId`.
    pub fn seconds(self) -> u32 {
        match self {
            Interval::Realtime => 20,
            Interval::FiveMinutes => 300,
            Interval::HalfHour => 1800,
            Interval::TwoHours => 7200,
            Interval::Day => 86_400,
        }
    }
}

/// The counters `metrics` asks for, in [`COUNTERS`] order: every one when
/// absent; otherwise each entry is a group (`cpu`) or a counter
/// (`cpu.ready.summation`). An unknown entry is refused with the valid names.
pub fn select(metrics: Option<&[String]>) -> Result<Vec<&'static str>> {
    let Some(metrics) = metrics else {
        return Ok(COUNTERS.to_vec());
    };
    if metrics.is_empty() {
        return Err(Error::invalid_argument(
            "metrics is empty; leave it out for every counter",
        ));
    }
    let unknown: Vec<&str> = metrics
        .iter()
        .map(String::as_str)
        .filter(|m| !GROUPS.contains(m) && !COUNTERS.contains(m))
        .collect();
    if !unknown.is_empty() {
        return Err(Error::invalid_argument(format!(
            "unknown metrics {}: use the groups {} or the counters {}",
            unknown.join(", "),
            GROUPS.join(", "),
            COUNTERS.join(", ")
        )));
    }
    Ok(COUNTERS
        .iter()
        .copied()
        .filter(|c| {
            metrics
                .iter()
                .any(|m| m == c || c.split('.').next() == Some(m.as_str()))
        })
        .collect())
}

/// A counter as the server numbers it.
#[derive(Debug, Clone, PartialEq)]
pub struct Counter {
    /// Its key on this server.
    pub key: i64,
    /// Its unit (`percent`, `millisecond`, `kiloBytes`, `kiloBytesPerSecond`…).
    pub unit: String,
}

/// The server's counters by `group.name.rollup`, from the `PerfCounterInfo`s
/// of `PerformanceManager.perfCounter`.
pub fn catalog(infos: &[Value]) -> HashMap<String, Counter> {
    infos
        .iter()
        .filter_map(|info| {
            let part = |path: &str| lookup(info, path).and_then(as_str);
            let name = format!(
                "{}.{}.{}",
                part("groupInfo.key")?,
                part("nameInfo.key")?,
                part("rollupType")?
            );
            let counter = Counter {
                key: lookup(info, "key").and_then(as_i64)?,
                unit: part("unitInfo.key").unwrap_or("").to_string(),
            };
            Some((name, counter))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(m: &[&str]) -> Option<Vec<String>> {
        Some(m.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn metrics_pick_groups_and_counters_in_catalog_order() {
        assert_eq!(select(None).unwrap(), COUNTERS);
        let picked = select(names(&["net", "cpu.ready.summation"]).as_deref()).unwrap();
        assert_eq!(
            picked,
            [
                "cpu.ready.summation",
                "net.received.average",
                "net.transmitted.average"
            ]
        );
        assert_eq!(select(names(&["mem"]).as_deref()).unwrap().len(), 3);
    }

    #[test]
    fn unknown_metrics_are_refused_with_the_valid_names() {
        let err = select(names(&["cpu", "gpu", "cpu.usage"]).as_deref()).unwrap_err();
        let message = err.message();
        assert!(matches!(err, Error::InvalidArgument(_)));
        assert!(message.contains("gpu, cpu.usage"), "{message}");
        assert!(message.contains("cpu, mem, disk, net"), "{message}");
        assert!(message.contains("disk.maxTotalLatency.latest"), "{message}");
        assert!(select(Some(&[])).is_err());
    }

    #[test]
    fn the_catalog_names_counters_as_vsphere_does() {
        let info = json!({"_typeName": "PerfCounterInfo", "key": 2,
            "nameInfo": {"key": "usage"}, "groupInfo": {"key": "cpu"},
            "unitInfo": {"key": "percent"}, "rollupType": "average"});
        let catalog = catalog(&[info, json!({"key": 3})]);
        assert_eq!(catalog.len(), 1);
        assert_eq!(
            catalog["cpu.usage.average"],
            Counter {
                key: 2,
                unit: "percent".into()
            }
        );
        assert_eq!(Interval::default().seconds(), 20);
        assert_eq!(Interval::TwoHours.seconds(), 7200);
    }
}
