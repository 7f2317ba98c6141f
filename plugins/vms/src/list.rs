//! `listVMs`: one row per virtual machine, a page at a time.
//!
//! The host's inventory index filters (folder, name glob, power state, host,
//! cluster, guest OS), pages, and carries every column a row shows (it is
//! kept current from vCenter's update stream), so a page costs no vCenter
//! round trip at all, at 200 VMs or 20,000. Host names and folder paths
//! come from the index too. Rows are built by a pure function so their
//! shape is unit-tested.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use vmware_plugin_sdk::inventory::{MatchOp, Page, Query, select};
use vmware_plugin_sdk::paging::{PageRow, Paged, Paging};
use vmware_plugin_sdk::prelude::*;

/// Rows per page: 100 by default (about 60 KB of result, well under the
/// 100 KB a default call may return), at most 500.
pub const PAGING: Paging = Paging {
    default: 100,
    max: 500,
};

/// The power states a filter accepts (vim25 `VirtualMachinePowerState`).
pub const POWER_STATES: [&str; 3] = ["poweredOn", "poweredOff", "suspended"];

/// `listVMs` arguments, filters and paging: the one declaration of them. The
/// input schema is derived from it, and the handler lists with it as is.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ListArgs {
    /// Only VMs in this VM folder or datacenter and below: name, inventory path or id.
    #[schemars(length(min = 1))]
    pub folder: Option<String>,
    /// Only VMs whose name matches this case-insensitive glob (* for any run of characters, ? for one), e.g. web-*.
    #[schemars(length(min = 1))]
    pub name: Option<String>,
    /// Only VMs in this power state.
    #[schemars(extend("enum" = POWER_STATES))]
    pub power_state: Option<String>,
    /// Only VMs running on this host: a name, inventory path or id.
    #[schemars(length(min = 1))]
    pub host: Option<String>,
    /// Only VMs running on a host of this cluster: a name, inventory path or id.
    #[schemars(length(min = 1))]
    pub cluster: Option<String>,
    /// Only VMs whose guest OS name contains this text, ignoring case (e.g. windows).
    #[schemars(length(min = 1))]
    pub guest_os: Option<String>,
    /// Rows per page, 1 to 500 (default 100).
    #[schemars(range(min = 1, max = PAGING.max), extend("default" = PAGING.default))]
    pub limit: Option<u32>,
    /// The nextCursor of the previous page, with the same filters.
    #[schemars(length(min = 1))]
    pub cursor: Option<String>,
}

/// One row of `listVMs`: the row's one declaration (its schema is derived).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct VmRow {
    /// The VM's name.
    pub name: String,
    /// Its managed object id, e.g. `vm-42`.
    pub id: String,
    /// `poweredOn`, `poweredOff` or `suspended`, when vCenter says.
    pub power_state: Option<String>,
    /// The host it runs on: its name, or its id when the name is unknown.
    pub host: Option<String>,
    /// The inventory path of its folder.
    pub folder: Option<String>,
    /// Virtual CPUs.
    pub cpu: Option<i64>,
    /// Memory in MB.
    #[serde(rename = "memoryMB")]
    pub memory_mb: Option<i64>,
    /// The guest OS's full name, or its id.
    #[serde(rename = "guestOS")]
    pub guest_os: Option<String>,
    /// The guest's primary IP address, when VMware Tools reports one.
    pub ip_address: Option<String>,
    /// Whether it is a template.
    pub template: bool,
}

impl PageRow for VmRow {
    const ROWS: &'static str = "vms";
}

/// The folder or datacenter a listing was scoped to.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Scope {
    /// Its inventory path.
    pub path: String,
    /// Its managed object id.
    pub id: String,
}

/// `listVMs`'s result: a page of rows, and the scope when `folder` was given.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct VmPage {
    /// The rows and paging fields.
    #[serde(flatten)]
    pub page: Paged<VmRow>,
    /// The folder or datacenter `folder` named, resolved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<Scope>,
}

/// The index query for the filters, or `None` when it can match nothing
/// (a cluster without hosts).
fn query(filters: &ListArgs) -> Result<(Option<Query>, Option<Resolved>)> {
    let mut query = Query::new(Kind::VirtualMachine);
    let scope = match &filters.folder {
        Some(folder) => Some(inventory::resolve(Kind::Container, folder)?),
        None => None,
    };
    if let Some(scope) = &scope {
        query = query.within(&scope.reference);
    }
    if let Some(name) = &filters.name {
        query = query.filter("name", MatchOp::Glob, [name.as_str()]);
    }
    if let Some(state) = &filters.power_state {
        if !POWER_STATES.contains(&state.as_str()) {
            return Err(Error::invalid_argument(format!(
                "powerState must be one of {}; got '{}'",
                POWER_STATES.join(", "),
                state.chars().take(40).collect::<String>()
            )));
        }
        query = query.filter("runtime.powerState", MatchOp::Equals, [state.as_str()]);
    }
    if let Some(host) = &filters.host {
        let host = inventory::resolve(Kind::HostSystem, host)?;
        query = query.filter("runtime.host", MatchOp::Equals, [host.reference.value]);
    }
    if let Some(cluster) = &filters.cluster {
        let cluster = inventory::resolve(Kind::Cluster, cluster)?;
        let hosts = select(
            &Query::new(Kind::HostSystem).within(&cluster.reference),
            5000,
            None,
        )?;
        if hosts.entries.is_empty() {
            return Ok((None, scope));
        }
        query = query.filter(
            "runtime.host",
            MatchOp::Equals,
            hosts.entries.into_iter().map(|h| h.reference.value),
        );
    }
    if let Some(guest) = &filters.guest_os {
        query = query.filter("config.guestFullName", MatchOp::Contains, [guest.as_str()]);
    }
    Ok((Some(query), scope))
}

/// One page of VMs matching `filters`.
pub fn list_vms(filters: &ListArgs) -> Result<VmPage> {
    let limit = PAGING.limit(filters.limit)?;
    let (query, scope) = query(filters)?;
    let page = match query {
        Some(query) => select(&query, limit, filters.cursor.as_deref())?,
        None => Page {
            entries: Vec::new(),
            total: 0,
            next_cursor: None,
        },
    };
    let host_refs: Vec<MoRef> = page
        .entries
        .iter()
        .filter_map(|e| e.properties.get_ref("runtime.host"))
        .collect();
    let hosts = inventory::names(&host_refs);
    let rows = page
        .entries
        .iter()
        .map(|entry| row(entry, &entry.properties, &hosts))
        .collect();
    Ok(VmPage {
        page: Paged::of(&page, rows),
        scope: scope.map(|scope| Scope {
            path: scope.path,
            id: scope.reference.value,
        }),
    })
}

/// One VM's row: missing properties are null, the host is named when known
/// (its id otherwise) and the folder is the parent's inventory path.
pub fn row(entry: &Resolved, vm: &Obj, host_names: &HashMap<MoRef, String>) -> VmRow {
    let host = vm
        .get_ref("runtime.host")
        .map(|h| host_names.get(&h).cloned().unwrap_or(h.value));
    let folder = entry
        .path
        .rsplit_once('/')
        .map(|(folder, _)| folder.to_string());
    let text = |path: &str| vm.get_str(path).map(String::from);
    VmRow {
        name: entry.name.clone(),
        id: entry.reference.value.clone(),
        power_state: text("runtime.powerState"),
        host,
        folder,
        cpu: vm.get_i64("config.hardware.numCPU"),
        memory_mb: vm.get_i64("config.hardware.memoryMB"),
        guest_os: text("config.guestFullName").or_else(|| text("config.guestId")),
        ip_address: text("guest.ipAddress"),
        template: vm.get_bool("config.template").unwrap_or(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, name: &str, path: &str) -> Resolved {
        Resolved {
            reference: MoRef::new("VirtualMachine", id),
            name: name.into(),
            path: path.into(),
            parent: None,
            properties: Obj::new(MoRef::new("VirtualMachine", id)),
        }
    }

    #[test]
    fn rows_name_hosts_and_folders_and_tolerate_gaps() {
        let hosts = HashMap::from([(MoRef::new("HostSystem", "host-1"), "esx1".to_string())]);
        let full = Obj::new(MoRef::new("VirtualMachine", "vm-42"))
            .with("runtime.powerState", json!("poweredOn"))
            .with("runtime.host", MoRef::new("HostSystem", "host-1").to_json())
            .with("config.hardware.numCPU", json!(2))
            .with("config.hardware.memoryMB", json!(4096))
            .with("config.guestId", json!("otherGuest"))
            .with("guest.ipAddress", json!("10.0.0.5"));
        let row =
            serde_json::to_value(row(&entry("vm-42", "db1", "DC0/vm/db1"), &full, &hosts)).unwrap();
        assert_eq!(
            row,
            json!({"name": "db1", "id": "vm-42", "powerState": "poweredOn", "host": "esx1", "folder": "DC0/vm",
                   "cpu": 2, "memoryMB": 4096, "guestOS": "otherGuest", "ipAddress": "10.0.0.5", "template": false})
        );
        let bare = super::row(
            &entry("vm-7", "vm-7", "vm-7"),
            &Obj::new(MoRef::new("VirtualMachine", "vm-7")),
            &HashMap::new(),
        );
        assert_eq!(bare.name, "vm-7");
        assert_eq!(bare.host, None);
        assert_eq!(bare.folder, None);
        let schema = schema::output_for::<VmPage>().unwrap();
        let keys: Vec<&str> = schema["properties"]["vms"]["items"]["required"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let row_keys: Vec<&str> = row
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, row_keys);
    }

    #[test]
    fn the_schema_states_the_paging_bounds() {
        let schema = schema::input_for::<ListArgs>();
        assert_eq!(schema["properties"]["limit"]["maximum"], PAGING.max);
        assert_eq!(schema["properties"]["limit"]["default"], PAGING.default);
        assert_eq!(
            schema["properties"]["powerState"]["enum"],
            json!(POWER_STATES)
        );
    }
}
