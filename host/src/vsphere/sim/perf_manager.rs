//! The PerformanceManager: the counters vCenter numbers for CPU, memory,
//! disk and network (`perfCounter`), its historical intervals
//! (`historicalInterval`), and `QueryPerf`, which answers with samples
//! derived from each VM's or host's quick stats and id: plausible, and the
//! same for the same entity, counter and sample time, so tests can compare
//! two queries. Nothing is stored; the samples are computed per query.

use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::args::{Args, Call};
use super::faults::invalid_argument;
use super::model::{Model, Object, fmt_time, fnv, parse_time};
use crate::vocabulary::VsError;

/// The PerformanceManager's id, as the service content names it.
pub(super) const ID: &str = "PerfMgr";

/// The methods of `PerformanceManager` the simulator implements.
pub(super) const METHODS: &[&str] = &["QueryPerf"];

/// The counters: (key as vCenter numbers it, group, name, rollup, unit, stats type).
const COUNTERS: &[(i64, &str, &str, &str, &str, &str)] = &[
    (2, "cpu", "usage", "average", "percent", "rate"),
    (12, "cpu", "ready", "summation", "millisecond", "delta"),
    (33, "mem", "active", "average", "kiloBytes", "absolute"),
    (70, "mem", "swapped", "average", "kiloBytes", "absolute"),
    (90, "mem", "vmmemctl", "average", "kiloBytes", "absolute"),
    (130, "disk", "read", "average", "kiloBytesPerSecond", "rate"),
    (
        131,
        "disk",
        "write",
        "average",
        "kiloBytesPerSecond",
        "rate",
    ),
    (
        133,
        "disk",
        "maxTotalLatency",
        "latest",
        "millisecond",
        "absolute",
    ),
    (
        148,
        "net",
        "received",
        "average",
        "kiloBytesPerSecond",
        "rate",
    ),
    (
        149,
        "net",
        "transmitted",
        "average",
        "kiloBytesPerSecond",
        "rate",
    ),
];

/// The sample periods and how long each is kept, in seconds: realtime
/// (20 s, an hour), then vCenter's four historical intervals.
const INTERVALS: &[(i64, i64, &str)] = &[
    (20, 3_600, "Realtime"),
    (300, 86_400, "Past day"),
    (1_800, 604_800, "Past week"),
    (7_200, 2_592_000, "Past month"),
    (86_400, 31_536_000, "Past year"),
];

/// `perfCounter` and `historicalInterval` on the PerformanceManager.
pub(super) fn build(m: &mut Model) {
    let text = |key: &str| json!({"_typeName": "ElementDescription", "label": key, "summary": key, "key": key});
    let counters: Vec<Value> = COUNTERS
        .iter()
        .map(|&(key, group, name, rollup, unit, stats)| {
            json!({
                "_typeName": "PerfCounterInfo", "key": key,
                "nameInfo": text(name), "groupInfo": text(group), "unitInfo": text(unit),
                "rollupType": rollup, "statsType": stats, "level": 1,
            })
        })
        .collect();
    let historical: Vec<Value> = INTERVALS[1..]
        .iter()
        .enumerate()
        .map(|(i, &(period, kept, name))| {
            json!({"_typeName": "PerfInterval", "key": i + 1, "samplingPeriod": period,
                   "name": name, "length": kept, "level": 1, "enabled": true})
        })
        .collect();
    if let Some(manager) = m.get_mut(ID) {
        manager.set("perfCounter", Value::Array(counters));
        manager.set("historicalInterval", Value::Array(historical));
    }
}

/// Run a `PerformanceManager` method.
pub(super) fn invoke(m: &Model, call: &Call) -> Result<Value, VsError> {
    if call.method != "QueryPerf" {
        return Err(call.not_found(METHODS));
    }
    call.params(&["querySpec"])?;
    let specs = match call.args.get("querySpec") {
        Some(Value::Array(specs)) => specs.as_slice(),
        Some(spec @ Value::Object(_)) => std::slice::from_ref(spec),
        _ => return Err(invalid_argument("querySpec", "one PerfQuerySpec or more")),
    };
    let metrics = specs
        .iter()
        .map(|spec| match spec {
            Value::Object(spec) => query(m, spec, call.now),
            _ => Err(invalid_argument("querySpec", "a PerfQuerySpec object")),
        })
        .collect::<Result<Vec<Value>, VsError>>()?;
    Ok(Value::Array(metrics))
}

/// One `PerfQuerySpec`'s `PerfEntityMetric`: the sample times in
/// `(startTime, endTime]` at `intervalId` (realtime when unset), the latest
/// `maxSample` of them when set, oldest first as vCenter orders them.
fn query(m: &Model, spec: &Map<String, Value>, now: OffsetDateTime) -> Result<Value, VsError> {
    let fields = [
        "_typeName",
        "entity",
        "startTime",
        "endTime",
        "maxSample",
        "metricId",
        "intervalId",
        "format",
    ];
    let args = Args::new("QueryPerf", spec, &fields)?;
    let entity = args.reference("entity", &["VirtualMachine", "HostSystem"])?;
    let o = m.resolve(&entity)?;
    let interval = args.opt_int("intervalId")?.unwrap_or(20);
    let &(_, kept, _) = INTERVALS
        .iter()
        .find(|(period, ..)| *period == interval)
        .ok_or_else(|| invalid_argument("intervalId", "not an interval this vCenter keeps"))?;
    let time = |p: &str| -> Result<Option<i64>, VsError> {
        match args.opt_string(p)? {
            None => Ok(None),
            Some(s) => parse_time(s)
                .map(|t| Some(t.unix_timestamp()))
                .ok_or_else(|| invalid_argument(p, "not an xsd:dateTime")),
        }
    };
    let now = now.unix_timestamp();
    let end = time("endTime")?.unwrap_or(now).min(now);
    let start = time("startTime")?.unwrap_or(i64::MIN).max(now - kept);
    let last = end.div_euclid(interval);
    let first = (start.div_euclid(interval) + 1).max(last - (kept / interval) + 1);
    let mut ticks: Vec<i64> = (first..=last).collect();
    if let Some(max) = args.opt_int("maxSample")?.filter(|n| *n > 0) {
        ticks.drain(..ticks.len().saturating_sub(max as usize));
    }
    let series = metric_ids(spec)?
        .into_iter()
        .map(|(key, instance)| {
            let values: Vec<i64> = ticks.iter().map(|t| sample(o, key, interval, *t)).collect();
            json!({"_typeName": "PerfMetricIntSeries",
                   "id": {"_typeName": "PerfMetricId", "counterId": key, "instance": instance},
                   "value": values})
        })
        .collect::<Vec<Value>>();
    let infos: Vec<Value> = ticks
        .iter()
        .map(|t| {
            let at = OffsetDateTime::from_unix_timestamp(t * interval)
                .unwrap_or(OffsetDateTime::UNIX_EPOCH);
            json!({"_typeName": "PerfSampleInfo", "timestamp": fmt_time(at), "interval": interval})
        })
        .collect();
    Ok(
        json!({"_typeName": "PerfEntityMetric", "entity": entity.to_json(),
              "sampleInfo": infos, "value": series}),
    )
}

/// The `(counterId, instance)`s a spec asks for; every counter's aggregate
/// when it names none. A counter vCenter does not have is refused.
fn metric_ids(spec: &Map<String, Value>) -> Result<Vec<(i64, String)>, VsError> {
    let Some(ids) = spec.get("metricId").and_then(Value::as_array) else {
        return Ok(COUNTERS.iter().map(|c| (c.0, String::new())).collect());
    };
    ids.iter()
        .map(|id| {
            let key = id["counterId"]
                .as_i64()
                .filter(|k| COUNTERS.iter().any(|c| c.0 == *k))
                .ok_or_else(|| invalid_argument("metricId", "an unknown counterId"))?;
            Ok((key, id["instance"].as_str().unwrap_or("").to_string()))
        })
        .collect()
}

/// The value of counter `key` for `o` in the sample at `tick` (its time over
/// `interval`): the entity's level scaled by a deterministic wobble of ±25%.
fn sample(o: &Object, key: i64, interval: i64, tick: i64) -> i64 {
    let wobble = fnv(tick as u64, &format!("{}|{key}|{interval}", o.id)) % 501;
    level(o, key, interval) * (750 + wobble as i64) / 1000
}

/// The typical value of counter `key` for `o`, from its quick stats: CPU
/// use against its capacity, memory in use, and I/O rates that follow the
/// CPU load; none for a VM that is off.
fn level(o: &Object, key: i64, interval: i64) -> i64 {
    let vm = o.kind == "VirtualMachine";
    let stat = |path: &str| o.int(&format!("summary.quickStats.{path}")).unwrap_or(0);
    let capacity = if vm {
        o.int("summary.runtime.maxCpuUsage").unwrap_or(0)
    } else {
        o.int("summary.hardware.cpuMhz").unwrap_or(0)
            * o.int("summary.hardware.numCpuCores").unwrap_or(0)
    };
    // Hundredths of a percent, as vSphere counts `percent` counters.
    let cpu = (stat("overallCpuUsage") * 10_000)
        .checked_div(capacity)
        .unwrap_or(0)
        .min(10_000);
    let busy = cpu > 0;
    let spread = (fnv(7, &o.id) % 100) as i64;
    match key {
        2 => cpu,
        12 => i64::from(busy) * interval * 1_000 * (1 + spread % 3) / 100,
        33 if vm => stat("guestMemoryUsage") * 1_024,
        33 => stat("overallMemoryUsage") * 1_024 * 6 / 10,
        70 => stat("swappedMemory") * 1_024,
        90 => stat("balloonedMemory") * 1_024,
        130 | 131 => {
            i64::from(busy) * (40 + spread * 4) * (1 + cpu / 2_000) / if key == 131 { 2 } else { 1 }
        }
        133 => i64::from(busy) * (1 + spread % 6),
        148 | 149 => {
            i64::from(busy) * (20 + spread * 3) * (1 + cpu / 2_500) / if key == 149 { 3 } else { 1 }
        }
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vsphere::sim::test_support::*;
    use crate::vsphere::{Backend, MoRef};

    fn manager() -> MoRef {
        MoRef::new("PerformanceManager", ID)
    }

    /// One spec's answer for `entity` with extra spec fields.
    async fn answer(
        s: &super::super::SimBackend,
        entity: &MoRef,
        extra: Value,
    ) -> Result<Value, VsError> {
        let mut spec = json!({"_typeName": "PerfQuerySpec", "entity": entity.to_json(),
            "metricId": [{"counterId": 2, "instance": ""}, {"counterId": 148, "instance": ""}]});
        spec.as_object_mut().unwrap().extend(args(extra));
        call(s, &manager(), "QueryPerf", json!({"querySpec": [spec]}))
            .await
            .map(|v| v[0].clone())
    }

    /// A property of the manager (which no container view collects).
    async fn property(s: &super::super::SimBackend, path: &str) -> Value {
        let read = s
            .read(&ctx(), &[manager()], &[path.to_string()])
            .await
            .unwrap();
        read[0].properties[0].1.clone()
    }

    fn times(metric: &Value) -> Vec<i64> {
        metric["sampleInfo"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                parse_time(i["timestamp"].as_str().unwrap())
                    .unwrap()
                    .unix_timestamp()
            })
            .collect()
    }

    #[tokio::test]
    async fn counters_are_numbered_as_vcenter_numbers_them() {
        let s = sim();
        let counters = property(&s, "perfCounter").await;
        let names: Vec<String> = counters
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                format!(
                    "{}={}.{}.{}",
                    c["key"],
                    c["groupInfo"]["key"].as_str().unwrap(),
                    c["nameInfo"]["key"].as_str().unwrap(),
                    c["rollupType"].as_str().unwrap()
                )
            })
            .collect();
        assert!(
            names.contains(&"2=cpu.usage.average".to_string()),
            "{names:?}"
        );
        assert!(
            names.contains(&"133=disk.maxTotalLatency.latest".to_string()),
            "{names:?}"
        );
        let intervals = property(&s, "historicalInterval").await;
        let periods: Vec<i64> = intervals
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["samplingPeriod"].as_i64().unwrap())
            .collect();
        assert_eq!(periods, [300, 1_800, 7_200, 86_400]);
    }

    #[tokio::test]
    async fn realtime_samples_are_the_latest_oldest_first_and_repeatable() {
        let s = sim();
        let web = find(&s, "DC0/vm/web/web-01");
        let metric = answer(&s, &web, json!({"intervalId": 20, "maxSample": 5}))
            .await
            .unwrap();
        let t = times(&metric);
        assert_eq!(t.len(), 5);
        assert!(t.windows(2).all(|w| w[1] - w[0] == 20), "{t:?}");
        assert!(OffsetDateTime::now_utc().unix_timestamp() - t[4] < 40);
        let cpu = metric["value"][0]["value"].as_array().unwrap();
        assert_eq!(metric["value"][0]["id"]["counterId"], 2);
        assert!(
            cpu.iter()
                .all(|v| (1..=10_000).contains(&v.as_i64().unwrap())),
            "{cpu:?}"
        );
        // The same sample times give the same values.
        let end = metric["sampleInfo"][4]["timestamp"].clone();
        let again = answer(&s, &web, json!({"maxSample": 5, "endTime": end}))
            .await
            .unwrap();
        assert_eq!(again["value"], metric["value"]);
        // A VM that is off does nothing.
        let off = answer(&s, &find(&s, "DC0/vm/web/web-03"), json!({"maxSample": 3}))
            .await
            .unwrap();
        assert_eq!(off["value"][0]["value"], json!([0, 0, 0]));
    }

    #[tokio::test]
    async fn historical_samples_honour_the_window_and_what_is_kept() {
        let s = sim();
        let host = find(&s, "DC0/host/prod/esx-01.lab.local");
        let end = OffsetDateTime::now_utc() - time::Duration::days(2);
        let start = end - time::Duration::hours(2);
        let window =
            json!({"intervalId": 1_800, "startTime": fmt_time(start), "endTime": fmt_time(end)});
        let t = times(&answer(&s, &host, window).await.unwrap());
        assert_eq!(t.len(), 4, "{t:?}");
        assert!(
            t.iter().all(|x| x % 1_800 == 0
                && *x > start.unix_timestamp()
                && *x <= end.unix_timestamp())
        );
        // 5-minute samples are kept a day: a week ago has none.
        let old = json!({"intervalId": 300, "endTime": fmt_time(end - time::Duration::days(5))});
        assert!(times(&answer(&s, &host, old).await.unwrap()).is_empty());
        let day = answer(&s, &host, json!({"intervalId": 300})).await.unwrap();
        assert_eq!(times(&day).len(), 288);
        assert!(
            day["value"][1]["value"][0].as_i64().unwrap() > 0,
            "a running host sends"
        );
    }

    #[tokio::test]
    async fn unknown_intervals_and_counters_are_refused() {
        let s = sim();
        let web = find(&s, "DC0/vm/web/web-01");
        let r = answer(&s, &web, json!({"intervalId": 60})).await;
        assert_eq!(fault_type(&r), "InvalidArgument");
        let r = answer(
            &s,
            &web,
            json!({"metricId": [{"counterId": 99_999, "instance": ""}]}),
        )
        .await;
        assert_eq!(fault_type(&r), "InvalidArgument");
        let r = call(&s, &manager(), "QueryPerfComposite", json!({})).await;
        assert_eq!(fault_type(&r), "MethodNotFound");
    }
}
