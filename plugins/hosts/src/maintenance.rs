//! `enterMaintenanceMode` and `exitMaintenanceMode`.
//!
//! Each checks `runtime.inMaintenanceMode` first (a no-op is `invalid_state`,
//! without asking an approver), asks for approval of the one task method on
//! the host, invokes it with `timeout: 0` (no limit on vSphere's side), and
//! reads the mode back for the result.

use serde::Serialize;
use vmware_plugin_sdk::approval::Grant;
use vmware_plugin_sdk::prelude::*;

/// Which way a host moves; the result's `action` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
pub enum Direction {
    /// `EnterMaintenanceMode_Task`.
    #[serde(rename = "enterMaintenanceMode")]
    Enter,
    /// `ExitMaintenanceMode_Task`.
    #[serde(rename = "exitMaintenanceMode")]
    Exit,
}

/// Both tools' result: the one declaration of its fields (the output schema
/// is derived from it).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MaintenanceResult {
    /// The host's name.
    pub host: String,
    /// Its managed object id.
    pub id: String,
    /// Its inventory path.
    pub path: String,
    /// Which way it moved.
    pub action: Direction,
    /// Its maintenance mode before.
    pub previous_in_maintenance_mode: Option<bool>,
    /// Its maintenance mode read back after.
    pub in_maintenance_mode: Option<bool>,
    /// The grant that allowed it.
    pub approval: Grant,
}

/// Put a host into maintenance mode: named once, for the tool's declared
/// capability, its approval and its invoke.
pub const ENTER_MAINTENANCE_MODE: Method = Method::new("HostSystem", "EnterMaintenanceMode_Task");
/// Take a host out of maintenance mode (see [`ENTER_MAINTENANCE_MODE`]).
pub const EXIT_MAINTENANCE_MODE: Method = Method::new("HostSystem", "ExitMaintenanceMode_Task");

impl Direction {
    /// The method that moves a host this way.
    pub fn method(self) -> Method {
        match self {
            Direction::Enter => ENTER_MAINTENANCE_MODE,
            Direction::Exit => EXIT_MAINTENANCE_MODE,
        }
    }

    fn arguments(self) -> Value {
        match self {
            Direction::Enter => json!({ "timeout": 0, "evacuatePoweredOffVms": false }),
            Direction::Exit => json!({ "timeout": 0 }),
        }
    }
}

/// The host properties read before acting.
const STATE_PROPS: [&str; 4] = [
    "name",
    "runtime.inMaintenanceMode",
    "runtime.connectionState",
    "vm",
];

/// Why the host's current mode rules the move out, if it does (an unknown
/// mode lets vSphere decide).
pub fn refusal(
    direction: Direction,
    name: &str,
    id: &str,
    in_maintenance: Option<bool>,
) -> Option<String> {
    match (direction, in_maintenance) {
        (Direction::Enter, Some(true)) => Some(format!(
            "host '{name}' ({id}) is already in maintenance mode"
        )),
        (Direction::Exit, Some(false)) => {
            Some(format!("host '{name}' ({id}) is not in maintenance mode"))
        }
        _ => None,
    }
}

/// Move the host named by `host_argument` into or out of maintenance mode.
pub fn change(host_argument: &str, direction: Direction) -> Result<MaintenanceResult> {
    let host = inventory::resolve(Kind::HostSystem, host_argument)?;
    let before = vsphere::read_one(&host.reference, &STATE_PROPS)?;
    let previous = before.get_bool("runtime.inMaintenanceMode");
    if let Some(reason) = refusal(direction, &host.name, &host.reference.value, previous) {
        return Err(Error::invalid_state(reason));
    }
    let vm_count = before.get_refs("vm").len();
    let (operation, summary) = match direction {
        Direction::Enter => (
            "enter-maintenance-mode",
            format!(
                "Put host '{}' ({}) at {} into maintenance mode; its {vm_count} VM(s) must be migrated or powered off first",
                host.name, host.reference.value, host.path
            ),
        ),
        Direction::Exit => (
            "exit-maintenance-mode",
            format!(
                "Take host '{}' ({}) at {} out of maintenance mode",
                host.name, host.reference.value, host.path
            ),
        ),
    };
    let mut detail = direction.arguments();
    detail["host"] = json!(host.path);
    detail["id"] = json!(host.reference.value);
    detail["vmCount"] = json!(vm_count);
    detail["connectionState"] = json!(before.get_str("runtime.connectionState"));
    let action = Action::new(operation, summary)
        .target(&host.reference, &host.name)
        .method(direction.method())
        .detail(detail);
    let grant = approval::request(&action)?;
    vsphere::invoke(&host.reference, direction.method(), direction.arguments())?;

    let after = match vsphere::read_one(&host.reference, &["runtime.inMaintenanceMode"]) {
        Ok(object) => object.get_bool("runtime.inMaintenanceMode"),
        Err(err) => {
            vmware_plugin_sdk::log::warn!(
                "could not re-read the host after the action",
                host = host.reference.value,
                error = err.message()
            );
            None
        }
    };
    Ok(MaintenanceResult {
        host: host.name,
        id: host.reference.value,
        path: host.path,
        action: direction,
        previous_in_maintenance_mode: previous,
        in_maintenance_mode: after,
        approval: grant,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_no_ops_only() {
        assert!(
            refusal(Direction::Enter, "esx1", "host-1", Some(true))
                .unwrap()
                .contains("already in maintenance mode")
        );
        assert!(
            refusal(Direction::Exit, "esx1", "host-1", Some(false))
                .unwrap()
                .contains("not in maintenance mode")
        );
        assert_eq!(
            refusal(Direction::Enter, "esx1", "host-1", Some(false)),
            None
        );
        assert_eq!(refusal(Direction::Exit, "esx1", "host-1", None), None);
        assert_eq!(
            Direction::Enter.arguments(),
            json!({"timeout": 0, "evacuatePoweredOffVms": false})
        );
        assert_eq!(Direction::Exit.method().name(), "ExitMaintenanceMode_Task");
    }
}
