//! What vCenter remembers of what happened, and how clients read it: the
//! EventManager's events, the TaskManager's task history and the alarms
//! triggered on entities. Every task method the simulator runs leaves a
//! `TaskInfo` and an event, as vCenter does, so that "what changed on this
//! host last night?" has an answer on `--demo` too.
//!
//! * `subject`: who a call is about (the VM, its host, compute resource,
//!   datacenter), captured before the call so a deleted VM is still named.
//! * `event`: building and posting `Event` data objects.
//! * `task`: recording a finished task call as `TaskInfo` plus its event.
//! * `collector`: the EventManager's and TaskManager's history collectors
//!   (create, page size, latest page, read next/previous, destroy).
//! * `alarm`: alarm definitions, triggered states, and their propagation up
//!   the inventory as each entity's `triggeredAlarmState`.

mod alarm;
mod collector;
mod event;
mod subject;
mod task;

pub(super) use alarm::{
    Triggered, define as define_alarm, derive_triggered, trigger as trigger_alarm,
};
pub(super) use collector::{
    derive_latest_page, invoke_collector, invoke_event_manager, invoke_task_manager,
};
pub(super) use event::{EventSpec, post as post_event};
pub(super) use subject::Subject;
pub(super) use task::{Finished, record as record_task};

/// The history as a client reads it: tasks and events of calls, collectors'
/// filters and scrolling, alarms propagated up the inventory.
#[cfg(test)]
mod backend_tests {
    use serde_json::{Value, json};

    use crate::vsphere::sim::test_support::*;
    use crate::vsphere::{Backend, MoRef};

    /// One property of any object (a collector, the root folder), read as a
    /// targeted read does.
    async fn get(s: &crate::vsphere::sim::SimBackend, r: &MoRef, path: &str) -> Value {
        let objects = s
            .read(&ctx(), std::slice::from_ref(r), &[path.to_string()])
            .await
            .unwrap_or_default();
        objects
            .into_iter()
            .flat_map(|o| o.properties)
            .find(|(p, _)| p == path)
            .map(|(_, v)| v)
            .unwrap_or(Value::Null)
    }

    fn keys(page: &Value) -> Vec<i64> {
        page.as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["key"].as_i64())
            .collect()
    }

    #[tokio::test]
    async fn calls_leave_tasks_and_events_that_collectors_page() {
        let s = sim();
        let vm = find(&s, "DC0/vm/web/web-03");
        ok(&s, &vm, "PowerOnVM_Task", json!({})).await;
        fails_unchanged(&s, &vm, "PowerOnVM_Task", json!({}), "InvalidPowerState").await;

        let tm = MoRef::new("TaskManager", "TaskManager");
        let filter = json!({"_typeName": "TaskFilterSpec", "entity": {"_typeName": "TaskFilterSpecByEntity", "entity": vm.to_json(), "recursion": "self"}});
        let tasks = MoRef::from_json(
            &ok(
                &s,
                &tm,
                "CreateCollectorForTasks",
                json!({"filter": filter}),
            )
            .await,
        )
        .unwrap();
        let page = get(&s, &tasks, "latestPage").await;
        let states: Vec<&str> = page
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["state"].as_str().unwrap())
            .collect();
        assert_eq!(states, ["success", "error"], "{page}");
        assert_eq!(page[1]["error"]["fault"]["_typeName"], "InvalidPowerState");
        assert_eq!(page[0]["entityName"], "web-03");

        let em = MoRef::new("EventManager", "EventManager");
        let filter = json!({"_typeName": "EventFilterSpec", "entity": {"_typeName": "EventFilterSpecByEntity", "entity": vm.to_json(), "recursion": "all"}});
        let events = MoRef::from_json(
            &ok(
                &s,
                &em,
                "CreateCollectorForEvents",
                json!({"filter": filter}),
            )
            .await,
        )
        .unwrap();
        let latest = get(&s, &events, "latestPage").await;
        assert_eq!(latest[0]["_typeName"], "VmPoweredOnEvent", "{latest}");
        assert_eq!(latest[0]["vm"]["name"], "web-03");
        assert_eq!(
            latest[1]["_typeName"], "TaskEvent",
            "the failed task: {latest}"
        );
        // The scrollable view starts at the oldest and moves on.
        let first = ok(&s, &events, "ReadNextEvents", json!({"maxCount": 1})).await;
        let rest = ok(&s, &events, "ReadNextEvents", json!({"maxCount": 5})).await;
        assert_eq!([keys(&first), keys(&rest)].concat(), keys(&latest));
        assert_eq!(
            keys(&ok(&s, &events, "ReadNextEvents", json!({"maxCount": 5})).await),
            Vec::<i64>::new()
        );
        // A later change shows on the open collector.
        ok(&s, &vm, "PowerOffVM_Task", json!({})).await;
        let latest = get(&s, &events, "latestPage").await;
        assert_eq!(
            latest.as_array().unwrap().last().unwrap()["_typeName"],
            "VmPoweredOffEvent"
        );
        fails_unchanged(
            &s,
            &events,
            "SetCollectorPageSize",
            json!({"maxCount": 0}),
            "InvalidArgument",
        )
        .await;
        ok(&s, &events, "DestroyCollector", json!({})).await;
        assert!(
            call(&s, &events, "ReadNextEvents", json!({"maxCount": 1}))
                .await
                .is_err()
        );
    }

    #[tokio::test]
    async fn alarms_show_on_the_entity_and_everything_above_it() {
        let s = sim();
        let states = |v: Value| v.as_array().cloned().unwrap_or_default();
        let all = states(get(&s, &root_folder(), "triggeredAlarmState").await);
        assert_eq!(all.len(), 3, "the demo's alarms");
        let esx3 = find(&s, "DC0/host/prod/esx-03.lab.local");
        let on_host = states(get(&s, &esx3, "triggeredAlarmState").await);
        assert_eq!(on_host.len(), 1);
        assert_eq!(on_host[0]["overallStatus"], "red");
        let prod = find(&s, "DC0/host/prod");
        assert_eq!(states(get(&s, &prod, "triggeredAlarmState").await).len(), 1);
        let esx1 = find(&s, "DC0/host/prod/esx-01.lab.local");
        assert!(states(get(&s, &esx1, "triggeredAlarmState").await).is_empty());
        let alarm = MoRef::from_json(&on_host[0]["alarm"]).unwrap();
        assert_eq!(get(&s, &alarm, "info.name").await, "Host CPU usage");
    }
}
