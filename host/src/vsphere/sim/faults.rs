//! The vSphere faults the simulator raises, with vim25's type names, vCenter's
//! wording and the detail fields each type carries, so that a plugin handling
//! a fault from the simulator handles the same fault from vCenter.

use serde_json::{Map, Value, json};

use crate::vocabulary::{Fault, VsError};
use crate::vsphere::MoRef;

/// A fault of `type_name` whose detail carries `fields` beside `_typeName` and `msg`.
pub(super) fn fault(type_name: &str, message: impl Into<String>, fields: Value) -> VsError {
    let message = message.into();
    let mut detail = Map::new();
    detail.insert("_typeName".into(), Value::from(type_name));
    if let Value::Object(extra) = fields {
        detail.extend(extra);
    }
    detail.insert("msg".into(), Value::from(message.clone()));
    VsError::Fault(Fault {
        type_name: type_name.to_string(),
        message,
        detail: Value::Object(detail),
    })
}

/// vCenter's words for a power state in fault messages.
fn state_words(state: &str) -> &str {
    match state {
        "poweredOn" => "Powered on",
        "poweredOff" => "Powered off",
        "suspended" => "Suspended",
        other => other,
    }
}

/// `ManagedObjectNotFound`: the reference names nothing (deleted, never existed, wrong type).
pub(super) fn object_not_found(r: &MoRef) -> VsError {
    fault(
        "ManagedObjectNotFound",
        format!(
            "The object 'vim.{}:{}' has already been deleted or has not been completely created",
            r.kind, r.value
        ),
        json!({ "obj": r.to_json() }),
    )
}

/// `InvalidPowerState`: the VM's power state forbids the operation.
pub(super) fn invalid_power_state(requested: &str, existing: &str) -> VsError {
    fault(
        "InvalidPowerState",
        format!(
            "The attempted operation cannot be performed in the current state ({}).",
            state_words(existing)
        ),
        json!({ "requestedState": requested, "existingState": existing }),
    )
}

/// `InvalidState`: the object's state forbids the operation; `why` says which state.
pub(super) fn invalid_state(why: &str) -> VsError {
    let message = if why.is_empty() {
        "The operation is not allowed in the current state.".to_string()
    } else {
        format!("The operation is not allowed in the current state: {why}")
    };
    fault("InvalidState", message, json!({}))
}

/// `InvalidState` for an object whose host is not connected: vCenter refuses
/// almost everything on a disconnected host and on the VMs registered on it.
/// `what` is `host` or `virtual machine`, as vCenter's message says.
pub(super) fn not_connected(what: &str) -> VsError {
    fault(
        "InvalidState",
        format!("The operation is not allowed in the current connection state of the {what}."),
        json!({}),
    )
}

/// `InvalidHostState`: the host's state (e.g. maintenance mode) forbids the operation.
pub(super) fn invalid_host_state(host: &MoRef, why: &str) -> VsError {
    fault(
        "InvalidHostState",
        format!("The operation is not allowed in the current state of the host: {why}"),
        json!({ "host": host.to_json() }),
    )
}

/// `ToolsUnavailable`: a guest operation needs VMware Tools running in the guest.
pub(super) fn tools_unavailable() -> VsError {
    fault(
        "ToolsUnavailable",
        "Cannot complete operation because VMware Tools is not running in this virtual machine.",
        json!({}),
    )
}

/// `DuplicateName`: another entity in the same place already has the name.
pub(super) fn duplicate_name(name: &str, existing: &MoRef) -> VsError {
    fault(
        "DuplicateName",
        format!("The name '{name}' already exists."),
        json!({ "name": name, "object": existing.to_json() }),
    )
}

/// `InvalidName`: the name cannot be used (empty, too long).
pub(super) fn invalid_name(name: &str, entity: Option<&MoRef>) -> VsError {
    let mut fields = json!({ "name": name });
    if let (Some(e), Value::Object(o)) = (entity, &mut fields) {
        o.insert("entity".into(), e.to_json());
    }
    fault(
        "InvalidName",
        format!("The name '{name}' is invalid."),
        fields,
    )
}

/// `MethodNotFound`: the target's type has no such method (or the simulator does not implement it).
pub(super) fn method_not_found(target: &MoRef, method: &str, implemented: &[&str]) -> VsError {
    fault(
        "MethodNotFound",
        format!(
            "Method {method} not found on {} {}; the simulated inventory implements: {}",
            target.kind,
            target.value,
            if implemented.is_empty() {
                "no methods".to_string()
            } else {
                implemented.join(", ")
            }
        ),
        json!({ "receiver": target.to_json(), "method": method }),
    )
}

/// `InvalidProperty`: a property path that the type does not have.
pub(super) fn invalid_property(kind: &str, path: &str) -> VsError {
    fault(
        "InvalidProperty",
        format!("Property {path} is not a valid property of {kind}"),
        json!({ "name": path }),
    )
}

/// `InvalidArgument`: a parameter vCenter refuses; `property` names it as vCenter does.
pub(super) fn invalid_argument(property: &str, why: &str) -> VsError {
    fault(
        "InvalidArgument",
        format!("A specified parameter was not correct: {property} ({why})"),
        json!({ "invalidProperty": property }),
    )
}

/// `NotSupported`: the operation does not apply to this object.
pub(super) fn not_supported(why: &str) -> VsError {
    fault(
        "NotSupported",
        format!("The operation is not supported on the object: {why}"),
        json!({}),
    )
}

/// `NotFound`: an item the operation needs does not exist (e.g. no current snapshot).
pub(super) fn not_found(why: &str) -> VsError {
    fault(
        "NotFound",
        format!("The object or item referred to could not be found: {why}"),
        json!({}),
    )
}

/// `Timedout`: what vCenter's task reports when it could not finish, e.g. a
/// host that cannot enter maintenance mode because VMs cannot leave it.
pub(super) fn timed_out(why: &str) -> VsError {
    fault("Timedout", format!("Operation timed out. {why}"), json!({}))
}

/// `TooManySnapshotLevels`: the snapshot tree is as deep as vSphere allows.
pub(super) fn too_many_snapshot_levels() -> VsError {
    fault(
        "TooManySnapshotLevels",
        "Exceeded the maximum number of permitted snapshots.",
        json!({}),
    )
}
