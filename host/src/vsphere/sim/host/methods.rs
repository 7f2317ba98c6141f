//! The HostSystem methods the simulator implements, dispatched to
//! maintenance mode; a host cannot be renamed (vCenter names it by address).

use serde_json::Value;

use super::maintenance;
use crate::vocabulary::VsError;
use crate::vsphere::sim::args::Call;
use crate::vsphere::sim::model::Model;
use crate::vsphere::sim::{entity, faults};

/// The methods of `HostSystem` the simulator implements.
const METHODS: &[&str] = &[
    "EnterMaintenanceMode_Task",
    "ExitMaintenanceMode_Task",
    "Rename_Task",
];

/// Call a `HostSystem` method.
pub(in crate::vsphere::sim) fn invoke(m: &mut Model, call: &Call) -> Result<Value, VsError> {
    let id = call.id();
    match call.method {
        "EnterMaintenanceMode_Task" => {
            let params = ["timeout", "evacuatePoweredOffVms", "maintenanceSpec"];
            maintenance::enter(m, id, &call.params(&params)?)
        }
        "ExitMaintenanceMode_Task" => maintenance::exit(m, id, &call.params(&["timeout"])?),
        "Rename_Task" => {
            entity::new_name(call)?;
            Err(faults::not_supported(
                "a host is named by its address; reconnect it under another name instead",
            ))
        }
        _ => Err(call.not_found(METHODS)),
    }
}
