//! Recording a finished call: a task method leaves a `TaskInfo` in the task
//! history, and a call vCenter logs leaves its event (the specific one, such
//! as `VmPoweredOnEvent`, on success; a `TaskEvent` otherwise).

use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::event::{EventSpec, post};
use super::subject::Subject;
use crate::vocabulary::VsError;
use crate::vsphere::sim::model::{Model, fmt_time};

/// The user the simulator's calls run as, as vCenter names a session's user.
const SIM_USER: &str = "VSPHERE.LOCAL\\vmware-mcp";

/// The event a successful call posts, by method: (method, event type, what
/// happened to the subject, in vCenter's words).
const EVENTS: &[(&str, &str, &str)] = &[
    ("PowerOnVM_Task", "VmPoweredOnEvent", "is powered on"),
    ("PowerOffVM_Task", "VmPoweredOffEvent", "is powered off"),
    ("SuspendVM_Task", "VmSuspendedEvent", "is suspended"),
    ("ResetVM_Task", "VmResettingEvent", "is reset"),
    ("RebootGuest", "VmGuestRebootEvent", "Guest OS reboot"),
    (
        "ShutdownGuest",
        "VmGuestShutdownEvent",
        "Guest OS shut down",
    ),
    ("Destroy_Task", "VmRemovedEvent", "is removed"),
    ("ReconfigVM_Task", "VmReconfiguredEvent", "is reconfigured"),
    ("RelocateVM_Task", "VmRelocatedEvent", "is migrated"),
    ("CloneVM_Task", "VmClonedEvent", "is cloned"),
    ("Rename_Task", "VmRenamedEvent", "is renamed"),
    (
        "EnterMaintenanceMode_Task",
        "EnteredMaintenanceModeEvent",
        "has entered maintenance mode",
    ),
    (
        "ExitMaintenanceMode_Task",
        "ExitMaintenanceModeEvent",
        "has exited maintenance mode",
    ),
];

/// One finished call, for the record.
pub(in crate::vsphere::sim) struct Finished<'a> {
    /// The task's id, when the method returns a task.
    pub task: Option<&'a str>,
    /// The vim25 method.
    pub method: &'a str,
    /// Who it was about, as it was before the call.
    pub subject: &'a Subject,
    /// When it started and finished.
    pub started: OffsetDateTime,
    /// Its outcome.
    pub outcome: &'a Result<Value, VsError>,
}

/// Record a finished call: its task (if it is one) and its event (if
/// vCenter logs one for it).
pub(in crate::vsphere::sim) fn record(m: &mut Model, call: Finished<'_>) {
    // A Vm… event only ever names a VM (a renamed folder logs a TaskEvent).
    let specific = EVENTS.iter().find(|(method, type_name, _)| {
        *method == call.method
            && (!type_name.starts_with("Vm") || call.subject.entity.kind == "VirtualMachine")
    });
    let (type_name, message, fields) = match (call.outcome, specific) {
        (Ok(_), Some((_, type_name, words))) => {
            let subject = call.subject;
            let mut fields = Map::new();
            let mut message = format!("{} {words}", subject.placed());
            if *type_name == "VmRenamedEvent" {
                let new_name = m.name(&subject.entity.id).to_string();
                message = format!("Renamed {} to {new_name}", subject.entity.name);
                fields.insert("oldName".into(), json!(subject.entity.name));
                fields.insert("newName".into(), json!(new_name));
            }
            (*type_name, message, fields)
        }
        (Err(e), _) if call.task.is_some() => (
            "TaskEvent",
            format!(
                "Task: {} on {} failed: {e}",
                call.method, call.subject.entity.name
            ),
            Map::new(),
        ),
        _ if call.task.is_some() => (
            "TaskEvent",
            format!("Task: {} on {}", call.method, call.subject.entity.name),
            Map::new(),
        ),
        _ => return,
    };
    let key = post(
        m,
        call.started,
        EventSpec {
            type_name,
            subject: Some(call.subject),
            message,
            user: SIM_USER,
            fields,
        },
    );
    if let Some(task) = call.task {
        let info = task_info(task, &call, key);
        m.history.tasks.push(info);
    }
}

/// The `TaskInfo` of a finished task.
fn task_info(task: &str, call: &Finished<'_>, event_key: i64) -> Value {
    let entity = &call.subject.entity;
    let now = fmt_time(call.started);
    let mut info = json!({
        "_typeName": "TaskInfo",
        "key": task,
        "task": {"_typeName": "ManagedObjectReference", "type": "Task", "value": task},
        "name": call.method,
        "descriptionId": format!("{}.{}", entity.kind, call.method),
        "entity": entity.reference(),
        "entityName": entity.name,
        "state": if call.outcome.is_ok() { "success" } else { "error" },
        "cancelled": false,
        "cancelable": false,
        "progress": 100,
        "reason": {"_typeName": "TaskReasonUser", "userName": SIM_USER},
        "queueTime": now,
        "startTime": now,
        "completeTime": now,
        "eventChainId": event_key,
    });
    if let Err(e) = call.outcome {
        info["error"] = json!({
            "_typeName": "LocalizedMethodFault",
            "fault": fault_detail(e),
            "localizedMessage": e.to_string(),
        });
    }
    info
}

/// A failure's fault as VI/JSON (a `SystemError` for one that is not a vSphere fault).
fn fault_detail(e: &VsError) -> Value {
    match e {
        VsError::Fault(f) => f.detail.clone(),
        other => json!({"_typeName": "SystemError", "reason": other.to_string()}),
    }
}
