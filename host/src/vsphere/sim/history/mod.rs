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
