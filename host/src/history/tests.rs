//! The recent history against the simulator's own collectors: every page
//! it answers from memory is the page a collector in the simulator shows
//! for the same filter and size, and no collector reaches the simulator
//! for it; filters it does not decide still get vCenter's answer.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value, json};

use super::*;
use crate::telemetry::metrics::Metrics;
use crate::testing::recorder::RecordingBackend;
use crate::vsphere::history_filter::Collects;
use crate::vsphere::sim::SimBackend;
use crate::vsphere::{Backend, CallContext, ChangeObserver, MoRef};

fn ctx(id: &str) -> CallContext {
    CallContext {
        correlation_id: id.into(),
        ..Default::default()
    }
}

fn args(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// A collector's latest page for `filter` at `size`, the way the events
/// group reads one: create, size, read, destroy.
async fn latest_page(
    backend: &dyn Backend,
    ctx: &CallContext,
    collects: Collects,
    filter: &Value,
    size: usize,
) -> Vec<Value> {
    let collector = sized_collector(backend, ctx, collects, filter, size).await;
    let read = backend
        .read(
            ctx,
            std::slice::from_ref(&collector),
            &["latestPage".into()],
        )
        .await
        .unwrap();
    backend
        .invoke(ctx, &collector, "DestroyCollector", &Map::new())
        .await
        .unwrap();
    read.into_iter()
        .flat_map(|o| o.properties)
        .find(|(p, _)| p == "latestPage")
        .and_then(|(_, v)| v.as_array().cloned())
        .unwrap_or_default()
}

/// A new collector for `filter` whose page size is `size`.
async fn sized_collector(
    backend: &dyn Backend,
    ctx: &CallContext,
    collects: Collects,
    filter: &Value,
    size: usize,
) -> MoRef {
    let (manager, method) = match collects {
        Collects::Events => (
            MoRef::new("EventManager", "EventManager"),
            "CreateCollectorForEvents",
        ),
        Collects::Tasks => (
            MoRef::new("TaskManager", "TaskManager"),
            "CreateCollectorForTasks",
        ),
    };
    let made = backend
        .invoke(ctx, &manager, method, &args(json!({ "filter": filter })))
        .await
        .unwrap();
    let collector = MoRef::from_json(&made).unwrap();
    backend
        .invoke(
            ctx,
            &collector,
            "SetCollectorPageSize",
            &args(json!({ "maxCount": size })),
        )
        .await
        .unwrap();
    collector
}

/// Power `vm` off if it is on, else on: a change that leaves two events
/// (the task's and the power state's).
async fn toggle_power(sim: &SimBackend, vm: &MoRef) {
    let state = sim
        .read(
            &ctx("setup"),
            std::slice::from_ref(vm),
            &["runtime.powerState".into()],
        )
        .await
        .unwrap()[0]
        .properties[0]
        .1
        .clone();
    let method = if state == "poweredOn" {
        "PowerOffVM_Task"
    } else {
        "PowerOnVM_Task"
    };
    sim.invoke(&ctx("setup"), vm, method, &Map::new())
        .await
        .unwrap();
}

struct Setup {
    sim: Arc<SimBackend>,
    recorder: Arc<RecordingBackend>,
    history: Arc<RecentHistory>,
    cached: Arc<CachedHistoryBackend>,
}

impl Setup {
    /// A page through the cached backend (under the id `cached`).
    async fn cached_page(&self, collects: Collects, filter: &Value, size: usize) -> Vec<Value> {
        latest_page(self.cached.as_ref(), &ctx("cached"), collects, filter, size).await
    }

    /// The same page from the simulator's own collector.
    async fn direct_page(&self, collects: Collects, filter: &Value, size: usize) -> Vec<Value> {
        latest_page(self.sim.as_ref(), &ctx("direct"), collects, filter, size).await
    }

    /// The methods the cached backend passed to the simulator so far.
    fn reached(&self) -> Vec<String> {
        self.recorder
            .take("cached")
            .into_iter()
            .map(|i| i.method)
            .collect()
    }
}

/// The demo with some history, its recent history followed, and a cached
/// backend over a recorder of what reaches the simulator.
async fn setup() -> Setup {
    let sim = Arc::new(SimBackend::demo().with_task_delay(Duration::ZERO));
    let history = RecentHistory::new(sim.clone());
    history.start();
    let recorder = RecordingBackend::new(sim.clone());
    let cached =
        CachedHistoryBackend::new(recorder.clone(), history.clone(), Arc::new(Metrics::new()));
    for path in [
        "DC0/vm/web/web-01",
        "DC0/vm/web/web-02",
        "DC0/vm/web/web-01",
    ] {
        let vm = sim.find_by_path(path).unwrap();
        toggle_power(&sim, &vm).await;
        history.changed(&ctx("setup"), &[vm]).await;
    }
    for _ in 0..200 {
        if history.follows(Collects::Events) && history.follows(Collects::Tasks) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(history.follows(Collects::Events) && history.follows(Collects::Tasks));
    Setup {
        sim,
        recorder,
        history,
        cached,
    }
}

fn on(kind: &str, r: &MoRef, recursion: &str, spec: &str) -> Value {
    json!({"_typeName": spec, "entity": {"_typeName": format!("{spec}ByEntity"),
           "entity": {"_typeName": "ManagedObjectReference", "type": kind, "value": r.value}, "recursion": recursion}})
}

#[tokio::test]
async fn pages_from_memory_are_the_simulators_pages_and_reach_no_collector() {
    let s = setup().await;
    let web01 = s.sim.find_by_path("DC0/vm/web/web-01").unwrap();
    let host = s
        .sim
        .read(
            &ctx("t"),
            std::slice::from_ref(&web01),
            &["runtime.host".into()],
        )
        .await
        .unwrap()[0]
        .properties[0]
        .1
        .clone();
    let host = MoRef::from_json(&host).unwrap();
    let event_filters = [
        json!({"_typeName": "EventFilterSpec"}),
        json!({"_typeName": "EventFilterSpec", "maxCount": 4}),
        json!({"_typeName": "EventFilterSpec", "eventTypeId": ["VmPoweredOffEvent", "VmPoweredOnEvent"]}),
        on("VirtualMachine", &web01, "all", "EventFilterSpec"),
        on("VirtualMachine", &web01, "self", "EventFilterSpec"),
        on("HostSystem", &host, "all", "EventFilterSpec"),
        json!({"_typeName": "EventFilterSpec", "userName": {"_typeName": "EventFilterSpecByUsername", "systemUser": false, "userList": ["VSPHERE.LOCAL\\vmware-mcp"]}}),
    ];
    let task_filters = [
        json!({"_typeName": "TaskFilterSpec"}),
        json!({"_typeName": "TaskFilterSpec", "state": ["success"]}),
        on("VirtualMachine", &web01, "all", "TaskFilterSpec"),
    ];
    let cases = event_filters
        .iter()
        .map(|f| (Collects::Events, f))
        .chain(task_filters.iter().map(|f| (Collects::Tasks, f)));
    let mut compared = 0;
    for (collects, filter) in cases {
        for size in [1, 2, 5, 1000] {
            let direct = s.direct_page(collects, filter, size).await;
            let cached = s.cached_page(collects, filter, size).await;
            assert_eq!(cached, direct, "{collects:?} {filter} at {size}");
            assert!(
                !direct.is_empty(),
                "{filter}: the demo's history has such items"
            );
            compared += 1;
        }
    }
    assert_eq!(compared, 40);
    assert_eq!(
        s.reached(),
        Vec::<String>::new(),
        "every page was answered from memory"
    );
}

#[tokio::test]
async fn a_filter_the_rings_do_not_decide_goes_to_the_simulator() {
    let s = setup().await;
    let cluster = s.sim.find_by_path("DC0/host/prod").unwrap();
    let filter = on("ClusterComputeResource", &cluster, "all", "EventFilterSpec");
    let direct = s.direct_page(Collects::Events, &filter, 5).await;
    let cached = s.cached_page(Collects::Events, &filter, 5).await;
    assert_eq!(cached, direct);
    assert!(!direct.is_empty());
    assert_eq!(
        s.reached(),
        [
            "CreateCollectorForEvents",
            "SetCollectorPageSize",
            "DestroyCollector"
        ]
    );
}

#[tokio::test]
async fn a_change_made_through_the_server_is_on_the_next_page() {
    let s = setup().await;
    let web02 = s.sim.find_by_path("DC0/vm/web/web-02").unwrap();
    let filter = on("VirtualMachine", &web02, "all", "EventFilterSpec");
    let before = s.cached_page(Collects::Events, &filter, 50).await;
    toggle_power(&s.sim, &web02).await;
    s.history
        .changed(&ctx("change"), std::slice::from_ref(&web02))
        .await;
    let after = s.cached_page(Collects::Events, &filter, 50).await;
    assert_eq!(after.len(), before.len() + 1, "{after:?}");
    let direct = s.direct_page(Collects::Events, &filter, 50).await;
    assert_eq!(after, direct);
    assert_eq!(s.reached(), Vec::<String>::new());
}

#[tokio::test]
async fn scrolling_a_collector_creates_it_in_the_simulator_with_its_filter_and_size() {
    let s = setup().await;
    let filter = json!({"_typeName": "EventFilterSpec"});
    let held = sized_collector(
        s.cached.as_ref(),
        &ctx("cached"),
        Collects::Events,
        &filter,
        3,
    )
    .await;
    let read = s
        .cached
        .invoke(
            &ctx("cached"),
            &held,
            "ReadNextEvents",
            &args(json!({"maxCount": 2})),
        )
        .await
        .unwrap();
    assert_eq!(read.as_array().map(Vec::len), Some(2));
    let bad = s
        .cached
        .invoke(
            &ctx("cached"),
            &held,
            "SetCollectorPageSize",
            &args(json!({"maxCount": 0})),
        )
        .await;
    assert!(
        bad.is_err(),
        "vCenter's refusal of a bad size comes through"
    );
    s.cached
        .invoke(&ctx("cached"), &held, "DestroyCollector", &Map::new())
        .await
        .unwrap();
    assert_eq!(
        s.reached(),
        [
            "CreateCollectorForEvents",
            "SetCollectorPageSize",
            "ReadNextEvents",
            "SetCollectorPageSize",
            "DestroyCollector"
        ]
    );
    let gone = s
        .cached
        .invoke(
            &ctx("cached"),
            &held,
            "ReadNextEvents",
            &args(json!({"maxCount": 2})),
        )
        .await;
    assert!(gone.is_err());
}

/// A plugin's read of a held collector: the page's text from memory, the
/// same page a read gives, and nothing reaches the simulator; a filter the
/// rings do not decide is read from the simulator and comes back as text.
#[tokio::test]
async fn a_page_read_as_text_is_the_page_read_as_values() {
    let s = setup().await;
    let web01 = s.sim.find_by_path("DC0/vm/web/web-01").unwrap();
    let cluster = s.sim.find_by_path("DC0/host/prod").unwrap();
    let properties = ["latestPage".to_string(), "filter".to_string()];
    for (filter, from_memory) in [
        (on("VirtualMachine", &web01, "all", "EventFilterSpec"), true),
        (
            on("ClusterComputeResource", &cluster, "all", "EventFilterSpec"),
            false,
        ),
    ] {
        let direct = s.direct_page(Collects::Events, &filter, 5).await;
        let collector = sized_collector(
            s.cached.as_ref(),
            &ctx("cached"),
            Collects::Events,
            &filter,
            5,
        )
        .await;
        let refs = std::slice::from_ref(&collector);
        let texts = s
            .cached
            .read_text(&ctx("cached"), refs, &properties)
            .await
            .unwrap();
        let values = s
            .cached
            .read(&ctx("cached"), refs, &properties)
            .await
            .unwrap();
        s.cached
            .invoke(&ctx("cached"), &collector, "DestroyCollector", &Map::new())
            .await
            .unwrap();
        let [text] = texts.as_slice() else {
            panic!("one object: {texts:?}")
        };
        assert_eq!(text.reference, collector);
        let names: Vec<&str> = text.properties.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(names, ["latestPage", "filter"]);
        let page: Vec<Value> = serde_json::from_str(&text.properties[0].1).unwrap();
        assert!(!page.is_empty(), "{filter}: the demo has such events");
        assert_eq!(page, direct, "{filter}");
        assert_eq!(Value::Array(page), values[0].properties[0].1);
        let read_filter: Value = serde_json::from_str(&text.properties[1].1).unwrap();
        assert_eq!(read_filter, values[0].properties[1].1);
        let reached = s.reached();
        if from_memory {
            assert_eq!(reached, Vec::<String>::new(), "{filter}");
        } else {
            assert!(
                reached.contains(&"CreateCollectorForEvents".to_string()),
                "{reached:?}"
            );
        }
    }
}
