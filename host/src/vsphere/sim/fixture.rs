//! The fixture format: a compact, hand-writable description of a vCenter
//! inventory from which the simulator builds every object with vSphere's
//! real properties. Plugin tests describe just the inventory they need; the
//! demo inventory (`host/fixtures/demo-inventory.json`) is one such file.
//!
//! ```json
//! {
//!   "datacenters": [{
//!     "name": "DC0",
//!     "datastores": [{ "name": "ds-prod-01", "type": "VMFS", "capacityGB": 4096, "freeGB": 2100 }],
//!     "networks": ["VM Network", "prod-web"],
//!     "clusters": [{
//!       "name": "prod", "drs": true, "ha": true,
//!       "resourcePools": ["web", "web/gold"],
//!       "hosts": [{ "name": "esx-01.lab.local", "cpuCores": 32, "memoryGB": 512 }]
//!     }],
//!     "hosts": [{ "name": "esx-05.lab.local", "datastores": ["ds-local-05"] }],
//!     "vmFolders": ["web", "dev/team-a"],
//!     "vms": [{
//!       "name": "web-01", "folder": "web", "host": "esx-01.lab.local",
//!       "cpu": 2, "memoryMB": 4096, "guestId": "ubuntu64Guest",
//!       "power": "poweredOn", "tools": "running", "ip": "10.10.1.11",
//!       "disksGB": [40], "datastore": "ds-prod-01", "networks": ["prod-web"],
//!       "snapshots": [{ "name": "base", "children": [{ "name": "patched", "current": true }] }]
//!     }]
//!   }]
//! }
//! ```
//!
//! * **Datacenter**: `name`; optional `folder` (a path of datacenter folders
//!   under the root folder); `datastores`, `networks`, `clusters`, `hosts`
//!   (standalone hosts, each in a compute resource of its own), `vmFolders`
//!   (paths under the datacenter's `vm` folder; a VM's folder is created too
//!   when it is not listed) and `vms`.
//! * **Datastore**: `name`, `type` (`VMFS` default, `NFS`, `NFS41`, `vsan`),
//!   `capacityGB` (default 1024), `freeGB` (default half; the space the VMs'
//!   files take is counted in it, and it changes as VMs are created, powered
//!   on or destroyed).
//! * **Network**: a name; each is a standard port group (`Network`).
//! * **Cluster**: `name`, optional `folder` (under the `host` folder), `drs`
//!   (fully automated DRS, default false: with it, hosts entering maintenance
//!   mode are evacuated), `ha` (default false), `resourcePools` (paths under
//!   the root pool `Resources`; parents are created as needed), `hosts`.
//! * **Host**: `name`; hardware `vendor`, `model`, `cpuModel`, `cpuMhz`,
//!   `cpuPackages`, `cpuCores`, `cpuThreads` (default twice the cores),
//!   `memoryGB`; ESXi `version` and `build`; `connectionState` (`connected`
//!   default, `disconnected`, `notResponding`), `powerState` (`poweredOn`
//!   default, `poweredOff`, `standBy`), `maintenance` (default false);
//!   `datastores` and `networks` it sees (default: all of the datacenter's);
//!   `cpuUsagePct` and `memoryUsageMB` for the hypervisor's own load; `folder`
//!   (standalone hosts only, under the `host` folder).
//! * **VM**: `name`, `host` (required), `folder` (path under `vm`, default
//!   the `vm` folder itself), `resourcePool` (path under the host's root pool),
//!   `cpu` (1), `coresPerSocket` (1), `memoryMB` (1024), `guestId`
//!   (`otherGuest64`; one of vSphere's ids, `guestFullName` may override the
//!   display name), `power` (`poweredOff` default, `poweredOn`, `suspended`),
//!   `tools` (`running` default, `notRunning`, `notInstalled`, `old`), `ip`
//!   and `hostName` (reported by the guest while it runs with tools),
//!   `disksGB` ([16]), `datastore` (default the host's first), `networks`
//!   (default the host's first; one NIC each), `template`, `annotation`,
//!   `firmware` (`efi` default, `bios`), `cpuUsagePct` and `memoryUsagePct`
//!   (load while on), `uuid`, `instanceUuid` (default: stable values derived
//!   from the path), `snapshots`.
//! * **Snapshot**: `name`, `description`, `memory` (taken with memory: the
//!   snapshot's state is `poweredOn`), `quiesced`, `state` (overrides),
//!   `createTime` (RFC 3339), `current` (at most one per VM; default the last
//!   one listed), `children`.
//!
//! Names may contain any character; `/`, `\` and `%` are stored escaped as
//! vCenter does (`%2f`, `%5c`, `%25`). Unknown fields are errors, so a typo
//! does not silently fall back to a default.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use super::build::{self, ClusterConfig, FolderKind, HostParams, VmParams};
use super::model::{
    DatastoreMeta, Meta, Model, Power, Tools, VmMeta, ago, escape_name, fmt_time, fnv, parse_time,
    uuid_from,
};
use super::{derive, snapshot};

/// A whole inventory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Fixture {
    /// The datacenters, each with everything in it.
    pub datacenters: Vec<DatacenterSpec>,
}

/// A datacenter and its contents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DatacenterSpec {
    /// Its name.
    pub name: String,
    /// A path of datacenter folders under the root folder to put it in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder: Option<String>,
    /// Its datastores.
    #[serde(default)]
    pub datastores: Vec<DatastoreSpec>,
    /// Its networks (standard port groups), by name.
    #[serde(default)]
    pub networks: Vec<String>,
    /// Its clusters.
    #[serde(default)]
    pub clusters: Vec<ClusterSpec>,
    /// Its standalone hosts.
    #[serde(default)]
    pub hosts: Vec<HostSpec>,
    /// VM folder paths to create even when no VM is in them.
    #[serde(default)]
    pub vm_folders: Vec<String>,
    /// Its VMs and templates.
    #[serde(default)]
    pub vms: Vec<VmSpec>,
}

/// A datastore's file system type, as `summary.type` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum DatastoreType {
    /// VMFS on block storage.
    #[default]
    #[serde(rename = "VMFS")]
    Vmfs,
    /// NFS 3.
    #[serde(rename = "NFS")]
    Nfs,
    /// NFS 4.1.
    #[serde(rename = "NFS41")]
    Nfs41,
    /// vSAN.
    #[serde(rename = "vsan")]
    Vsan,
}

impl DatastoreType {
    fn as_str(self) -> &'static str {
        match self {
            DatastoreType::Vmfs => "VMFS",
            DatastoreType::Nfs => "NFS",
            DatastoreType::Nfs41 => "NFS41",
            DatastoreType::Vsan => "vsan",
        }
    }
}

/// A datastore.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DatastoreSpec {
    /// Its name.
    pub name: String,
    /// Its type.
    #[serde(default, rename = "type")]
    pub ds_type: DatastoreType,
    /// Capacity in GB (default 1024).
    #[serde(
        default,
        rename = "capacityGB",
        skip_serializing_if = "Option::is_none"
    )]
    pub capacity_gb: Option<f64>,
    /// Free space in GB when loaded (default half the capacity).
    #[serde(default, rename = "freeGB", skip_serializing_if = "Option::is_none")]
    pub free_gb: Option<f64>,
}

/// A cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ClusterSpec {
    /// Its name.
    pub name: String,
    /// A folder path under the datacenter's `host` folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder: Option<String>,
    /// Fully automated DRS.
    #[serde(default)]
    pub drs: bool,
    /// vSphere HA.
    #[serde(default)]
    pub ha: bool,
    /// Resource pool paths under the root pool.
    #[serde(default)]
    pub resource_pools: Vec<String>,
    /// Its hosts.
    #[serde(default)]
    pub hosts: Vec<HostSpec>,
}

/// A host's connection state (`runtime.connectionState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub enum HostConnection {
    /// Managed and reachable.
    #[default]
    Connected,
    /// Disconnected by an operator.
    Disconnected,
    /// Unreachable.
    NotResponding,
}

/// A host's power state (`runtime.powerState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum HostPower {
    /// On.
    #[default]
    #[serde(rename = "poweredOn")]
    PoweredOn,
    /// Off.
    #[serde(rename = "poweredOff")]
    PoweredOff,
    /// In standby (DPM).
    #[serde(rename = "standBy")]
    StandBy,
}

/// A host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HostSpec {
    /// Its name, usually its FQDN.
    pub name: String,
    /// Standalone hosts only: a folder path under the `host` folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder: Option<String>,
    /// Hardware vendor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    /// Hardware model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// CPU model string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_model: Option<String>,
    /// Core clock in MHz.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_mhz: Option<i64>,
    /// CPU sockets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_packages: Option<i64>,
    /// Physical cores in total.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_cores: Option<i64>,
    /// Hardware threads in total.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_threads: Option<i64>,
    /// Memory in GB.
    #[serde(default, rename = "memoryGB", skip_serializing_if = "Option::is_none")]
    pub memory_gb: Option<f64>,
    /// ESXi version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// ESXi build.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<String>,
    /// Connection state.
    #[serde(default)]
    pub connection_state: HostConnection,
    /// Power state.
    #[serde(default)]
    pub power_state: HostPower,
    /// In maintenance mode.
    #[serde(default)]
    pub maintenance: bool,
    /// Datastores it mounts (default all of the datacenter's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datastores: Option<Vec<String>>,
    /// Networks it has (default all of the datacenter's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub networks: Option<Vec<String>>,
    /// The hypervisor's own CPU use in percent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_usage_pct: Option<i64>,
    /// The hypervisor's own memory use in MB.
    #[serde(
        default,
        rename = "memoryUsageMB",
        skip_serializing_if = "Option::is_none"
    )]
    pub memory_usage_mb: Option<i64>,
}

/// A VM's power state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum VmPower {
    /// `poweredOn`
    #[serde(rename = "poweredOn")]
    PoweredOn,
    /// `poweredOff`
    #[default]
    #[serde(rename = "poweredOff")]
    PoweredOff,
    /// `suspended`
    #[serde(rename = "suspended")]
    Suspended,
}

impl From<VmPower> for Power {
    fn from(p: VmPower) -> Power {
        match p {
            VmPower::PoweredOn => Power::On,
            VmPower::PoweredOff => Power::Off,
            VmPower::Suspended => Power::Suspended,
        }
    }
}

/// VMware Tools in a guest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub enum ToolsState {
    /// Installed, current, running while the VM is on.
    #[default]
    Running,
    /// Installed but not running.
    NotRunning,
    /// Not installed.
    NotInstalled,
    /// Installed, outdated, running while the VM is on.
    Old,
}

/// A VM's firmware.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub enum Firmware {
    /// UEFI.
    #[default]
    Efi,
    /// Legacy BIOS.
    Bios,
}

/// A VM or template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct VmSpec {
    /// Its name.
    pub name: String,
    /// The host it is registered on.
    pub host: String,
    /// A folder path under the datacenter's `vm` folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder: Option<String>,
    /// A resource pool path under the host's root pool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_pool: Option<String>,
    /// vCPUs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<i64>,
    /// Cores per socket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cores_per_socket: Option<i64>,
    /// Memory in MB.
    #[serde(default, rename = "memoryMB", skip_serializing_if = "Option::is_none")]
    pub memory_mb: Option<i64>,
    /// vSphere guest OS id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guest_id: Option<String>,
    /// Guest OS display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guest_full_name: Option<String>,
    /// Power state.
    #[serde(default)]
    pub power: VmPower,
    /// VMware Tools.
    #[serde(default)]
    pub tools: ToolsState,
    /// The guest's IP address while it runs with tools.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// The guest's host name while it runs with tools (default the VM's name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_name: Option<String>,
    /// Disk sizes in GB.
    #[serde(default, rename = "disksGB", skip_serializing_if = "Option::is_none")]
    pub disks_gb: Option<Vec<f64>>,
    /// The datastore holding its files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datastore: Option<String>,
    /// Its NICs' networks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub networks: Option<Vec<String>>,
    /// A template rather than a VM.
    #[serde(default)]
    pub template: bool,
    /// Notes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotation: Option<String>,
    /// Firmware.
    #[serde(default)]
    pub firmware: Firmware,
    /// CPU load while on, percent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_usage_pct: Option<i64>,
    /// Guest memory use while on, percent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_usage_pct: Option<i64>,
    /// BIOS UUID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    /// vCenter instance UUID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_uuid: Option<String>,
    /// Snapshot trees.
    #[serde(default)]
    pub snapshots: Vec<SnapshotSpec>,
}

/// A snapshot and its children.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SnapshotSpec {
    /// Its name.
    pub name: String,
    /// Its description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Taken with the VM's memory (its state is then `poweredOn`).
    #[serde(default)]
    pub memory: bool,
    /// Taken with the guest file system quiesced.
    #[serde(default)]
    pub quiesced: bool,
    /// The VM's power state it captured (overrides `memory`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<VmPower>,
    /// When it was taken, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_time: Option<String>,
    /// The VM's current snapshot.
    #[serde(default)]
    pub current: bool,
    /// Snapshots taken after it, from it.
    #[serde(default)]
    pub children: Vec<SnapshotSpec>,
}

/// Why a fixture could not be loaded: which entry, and what was wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{entry}: {message}")]
pub struct FixtureError {
    /// The entry, e.g. `datacenters[0] "DC0" > vms[3] "web-01"`, or the file.
    pub entry: String,
    /// What was wrong.
    pub message: String,
}

fn err(entry: &str, message: impl Into<String>) -> FixtureError {
    FixtureError {
        entry: entry.to_string(),
        message: message.into(),
    }
}

impl Fixture {
    /// Parse a fixture from JSON text.
    pub fn from_json(text: &str) -> Result<Fixture, FixtureError> {
        serde_json::from_str(text).map_err(|e| err("fixture JSON", e.to_string()))
    }
}

const GB: f64 = 1024.0 * 1024.0 * 1024.0;

/// GB to bytes, refusing what no vSphere object has (the bound keeps sums in range).
fn gb_to_bytes(entry: &str, what: &str, gb: f64, max_gb: f64) -> Result<i64, FixtureError> {
    if !gb.is_finite() || !(0.0..=max_gb).contains(&gb) {
        return Err(err(
            entry,
            format!("{what} must be a number of GB between 0 and {max_gb}, got {gb}"),
        ));
    }
    Ok((gb * GB) as i64)
}

/// The largest datastore, host memory and disk the simulator accepts, in GB.
const MAX_DATASTORE_GB: f64 = 16.0 * 1024.0 * 1024.0;
const MAX_HOST_MEMORY_GB: f64 = 64.0 * 1024.0;
const MAX_DISK_GB: f64 = 64.0 * 1024.0;

fn positive(entry: &str, what: &str, v: i64, max: i64) -> Result<i64, FixtureError> {
    if v < 1 || v > max {
        return Err(err(
            entry,
            format!("{what} must be between 1 and {max}, got {v}"),
        ));
    }
    Ok(v)
}

fn pct(entry: &str, what: &str, v: i64) -> Result<i64, FixtureError> {
    if !(0..=100).contains(&v) {
        return Err(err(
            entry,
            format!("{what} must be between 0 and 100, got {v}"),
        ));
    }
    Ok(v)
}

fn check_name(entry: &str, name: &str) -> Result<String, FixtureError> {
    if name.trim().is_empty() {
        return Err(err(entry, "the name must not be empty"));
    }
    if name.chars().count() > 80 {
        return Err(err(
            entry,
            "the name must be at most 80 characters, as in vCenter",
        ));
    }
    Ok(escape_name(name))
}

/// Split a folder or pool path into escaped segments; empty means the base.
fn segments(entry: &str, path: &str) -> Result<Vec<String>, FixtureError> {
    let trimmed = path.trim_matches('/');
    if trimmed.is_empty() {
        return Ok(Vec::new());
    }
    if trimmed.split('/').count() > MAX_PATH_DEPTH {
        return Err(err(
            entry,
            format!("path `{path}` is more than {MAX_PATH_DEPTH} levels deep"),
        ));
    }
    trimmed
        .split('/')
        .map(|s| {
            check_name(entry, s).map_err(|e| err(entry, format!("path `{path}`: {}", e.message)))
        })
        .collect()
}

/// The deepest folder or resource pool path a fixture may give.
const MAX_PATH_DEPTH: usize = 32;

/// Find or create the child of `parent` named `name` of the given kind.
fn ensure_child(
    m: &mut Model,
    parent: &str,
    name: &str,
    make: impl FnOnce(&mut Model) -> String,
) -> String {
    let existing = m.children(parent).into_iter().find(|c| m.name(c) == name);
    existing.unwrap_or_else(|| make(m))
}

fn ensure_folder(
    m: &mut Model,
    base: &str,
    segs: &[String],
    kind: FolderKind,
    entry: &str,
) -> Result<String, FixtureError> {
    let mut cur = base.to_string();
    for s in segs {
        let existing = m.children(&cur).into_iter().find(|c| m.name(c) == s);
        cur = match existing {
            Some(c) if m.get(&c).is_some_and(|o| o.kind == "Folder") => c,
            Some(c) => {
                let kind_name = m.get(&c).map(|o| o.kind.clone()).unwrap_or_default();
                return Err(err(entry, format!("`{s}` is a {kind_name}, not a folder")));
            }
            None => build::folder(m, s, &cur, kind),
        };
    }
    Ok(cur)
}

struct DcContext {
    datastores: HashMap<String, String>,
    networks: HashMap<String, String>,
    network_order: Vec<String>,
    datastore_order: Vec<String>,
    vm_folder: String,
    host_folder: String,
    /// Free space wanted per datastore id, in bytes.
    free_wanted: Vec<(String, i64)>,
}

/// Hosts by name across the whole fixture (vCenter host names are unique).
type HostIndex = HashMap<String, (String, String)>; // raw name → (host id, datacenter id)

/// Build the model described by `fixture`.
pub(super) fn build(fixture: &Fixture, now: OffsetDateTime) -> Result<Model, FixtureError> {
    let mut m = Model::new();
    let root = build::root_folder(&mut m);
    build::service_instance(&mut m, &uuid_from("vcenter-instance"));
    let mut hosts: HostIndex = HashMap::new();
    let mut dc_names: Vec<String> = Vec::new();
    let mut free_wanted: Vec<(String, i64)> = Vec::new();
    for (i, dc) in fixture.datacenters.iter().enumerate() {
        let entry = format!("datacenters[{i}] \"{}\"", dc.name);
        let name = check_name(&entry, &dc.name)?;
        if dc_names.contains(&name) {
            return Err(err(
                &entry,
                format!("a second datacenter named `{}`", dc.name),
            ));
        }
        dc_names.push(name.clone());
        let folder_segs = segments(&entry, dc.folder.as_deref().unwrap_or(""))?;
        let parent = ensure_folder(&mut m, &root, &folder_segs, FolderKind::Datacenters, &entry)?;
        if m.children(&parent).iter().any(|c| m.name(c) == name) {
            return Err(err(
                &entry,
                format!("folder already holds an entity named `{}`", dc.name),
            ));
        }
        let dc_id = build::datacenter(&mut m, &name, &parent);
        let dco = m
            .get(&dc_id)
            .ok_or_else(|| err(&entry, "datacenter vanished"))?;
        let folder_of = |p: &str| dco.ref_id(p).unwrap_or_default();
        let mut ctx = DcContext {
            datastores: HashMap::new(),
            networks: HashMap::new(),
            network_order: Vec::new(),
            datastore_order: Vec::new(),
            vm_folder: folder_of("vmFolder"),
            host_folder: folder_of("hostFolder"),
            free_wanted: Vec::new(),
        };
        let ds_folder = folder_of("datastoreFolder");
        let net_folder = folder_of("networkFolder");

        for (j, ds) in dc.datastores.iter().enumerate() {
            let e = format!("{entry} > datastores[{j}] \"{}\"", ds.name);
            let n = check_name(&e, &ds.name)?;
            if ctx.datastores.contains_key(&ds.name) {
                return Err(err(&e, "a second datastore with this name"));
            }
            let capacity = gb_to_bytes(
                &e,
                "capacityGB",
                ds.capacity_gb.unwrap_or(1024.0),
                MAX_DATASTORE_GB,
            )?;
            let free = match ds.free_gb {
                Some(f) => gb_to_bytes(&e, "freeGB", f, MAX_DATASTORE_GB)?,
                None => capacity / 2,
            };
            if free > capacity {
                return Err(err(&e, "freeGB is larger than capacityGB"));
            }
            let id = build::datastore(&mut m, &n, &ds_folder, ds.ds_type.as_str(), capacity, 0);
            ctx.datastores.insert(ds.name.clone(), id.clone());
            ctx.datastore_order.push(id.clone());
            ctx.free_wanted.push((id, free));
        }
        for (j, net) in dc.networks.iter().enumerate() {
            let e = format!("{entry} > networks[{j}] \"{net}\"");
            let n = check_name(&e, net)?;
            if ctx.networks.contains_key(net) {
                return Err(err(&e, "a second network with this name"));
            }
            let id = build::network(&mut m, &n, &net_folder);
            ctx.networks.insert(net.clone(), id.clone());
            ctx.network_order.push(id);
        }
        for (j, c) in dc.clusters.iter().enumerate() {
            let e = format!("{entry} > clusters[{j}] \"{}\"", c.name);
            let n = check_name(&e, &c.name)?;
            let segs = segments(&e, c.folder.as_deref().unwrap_or(""))?;
            let parent = ensure_folder(&mut m, &ctx.host_folder, &segs, FolderKind::Host, &e)?;
            if m.children(&parent).iter().any(|x| m.name(x) == n) {
                return Err(err(
                    &e,
                    format!("the host folder already holds an entity named `{}`", c.name),
                ));
            }
            let (cr, pool) = build::compute_resource(
                &mut m,
                &n,
                &parent,
                Some(ClusterConfig {
                    drs: c.drs,
                    ha: c.ha,
                }),
            );
            for (k, p) in c.resource_pools.iter().enumerate() {
                let pe = format!("{e} > resourcePools[{k}] \"{p}\"");
                let segs = segments(&pe, p)?;
                if segs.is_empty() {
                    return Err(err(&pe, "a resource pool path must not be empty"));
                }
                let mut cur = pool.clone();
                for s in &segs {
                    let parent = cur.clone();
                    let owner = cr.clone();
                    cur = ensure_child(&mut m, &parent, s, |m| {
                        build::resource_pool(m, s, ("ResourcePool", &parent), &owner)
                    });
                }
            }
            for (k, h) in c.hosts.iter().enumerate() {
                let he = format!("{e} > hosts[{k}] \"{}\"", h.name);
                if h.folder.is_some() {
                    return Err(err(
                        &he,
                        "`folder` applies to standalone hosts only; a clustered host is in its cluster",
                    ));
                }
                add_host(&mut m, &ctx, h, &cr, &he, &dc_id, &mut hosts, now)?;
            }
        }
        for (j, h) in dc.hosts.iter().enumerate() {
            let he = format!("{entry} > hosts[{j}] \"{}\"", h.name);
            let n = check_name(&he, &h.name)?;
            let segs = segments(&he, h.folder.as_deref().unwrap_or(""))?;
            let parent = ensure_folder(&mut m, &ctx.host_folder, &segs, FolderKind::Host, &he)?;
            if m.children(&parent).iter().any(|x| m.name(x) == n) {
                return Err(err(
                    &he,
                    format!("the host folder already holds an entity named `{}`", h.name),
                ));
            }
            let (cr, _) = build::compute_resource(&mut m, &n, &parent, None);
            add_host(&mut m, &ctx, h, &cr, &he, &dc_id, &mut hosts, now)?;
        }
        for (j, f) in dc.vm_folders.iter().enumerate() {
            let fe = format!("{entry} > vmFolders[{j}] \"{f}\"");
            let segs = segments(&fe, f)?;
            ensure_folder(&mut m, &ctx.vm_folder, &segs, FolderKind::Vm, &fe)?;
        }
        for (j, v) in dc.vms.iter().enumerate() {
            let ve = format!("{entry} > vms[{j}] \"{}\"", v.name);
            add_vm(&mut m, &ctx, v, &ve, &dc_id, &hosts, now)?;
        }
        free_wanted.append(&mut ctx.free_wanted);
    }
    // Datastores: whatever the VMs do not take of the used space belongs to other files.
    for (ds, free) in free_wanted {
        let capacity = m
            .get(&ds)
            .and_then(|o| o.int("summary.capacity"))
            .unwrap_or(0);
        let vms_use: i64 = m
            .objects()
            .filter(|o| o.kind == "VirtualMachine" && o.ref_ids("datastore").contains(&ds))
            .map(derive::vm_committed)
            .fold(0i64, i64::saturating_add);
        if let Some(o) = m.get_mut(&ds) {
            o.meta = Meta::Datastore(DatastoreMeta {
                other_used: capacity.saturating_sub(free).saturating_sub(vms_use).max(0),
            });
        }
    }
    derive::resync(&mut m, now);
    Ok(m)
}

fn resolve_names(
    entry: &str,
    what: &str,
    names: Option<&Vec<String>>,
    all: &HashMap<String, String>,
    order: &[String],
) -> Result<Vec<String>, FixtureError> {
    match names {
        None => Ok(order.to_vec()),
        Some(list) => list
            .iter()
            .map(|n| {
                all.get(n).cloned().ok_or_else(|| {
                    let mut known: Vec<&String> = all.keys().collect();
                    known.sort();
                    err(
                        entry,
                        format!("unknown {what} `{n}` (the datacenter has: {known:?})"),
                    )
                })
            })
            .collect(),
    }
}

#[allow(clippy::too_many_arguments)]
fn add_host(
    m: &mut Model,
    ctx: &DcContext,
    h: &HostSpec,
    cr: &str,
    entry: &str,
    dc_id: &str,
    hosts: &mut HostIndex,
    now: OffsetDateTime,
) -> Result<(), FixtureError> {
    let name = check_name(entry, &h.name)?;
    if hosts.contains_key(&h.name) {
        return Err(err(
            entry,
            "a second host with this name (host names are unique in a vCenter)",
        ));
    }
    let cores = positive(entry, "cpuCores", h.cpu_cores.unwrap_or(32), 4096)?;
    let packages = positive(entry, "cpuPackages", h.cpu_packages.unwrap_or(2), 64)?;
    let threads = positive(
        entry,
        "cpuThreads",
        h.cpu_threads.unwrap_or(cores * 2),
        8192,
    )?;
    if threads < cores {
        return Err(err(entry, "cpuThreads must be at least cpuCores"));
    }
    let memory_bytes = gb_to_bytes(
        entry,
        "memoryGB",
        h.memory_gb.unwrap_or(512.0),
        MAX_HOST_MEMORY_GB,
    )?;
    if memory_bytes == 0 {
        return Err(err(entry, "memoryGB must be more than 0"));
    }
    let datastores = resolve_names(
        entry,
        "datastore",
        h.datastores.as_ref(),
        &ctx.datastores,
        &ctx.datastore_order,
    )?;
    let networks = resolve_names(
        entry,
        "network",
        h.networks.as_ref(),
        &ctx.networks,
        &ctx.network_order,
    )?;
    let hash = fnv(11, &h.name);
    let params = HostParams {
        name,
        vendor: h.vendor.clone().unwrap_or_else(|| "Dell Inc.".into()),
        model: h.model.clone().unwrap_or_else(|| "PowerEdge R650".into()),
        cpu_model: h
            .cpu_model
            .clone()
            .unwrap_or_else(|| "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz".into()),
        cpu_mhz: positive(entry, "cpuMhz", h.cpu_mhz.unwrap_or(1995), 10_000)?,
        packages,
        cores,
        threads,
        memory_bytes,
        version: h.version.clone().unwrap_or_else(|| "8.0.3".into()),
        build: h.build.clone().unwrap_or_else(|| "24022510".into()),
        connection: match h.connection_state {
            HostConnection::Connected => "connected",
            HostConnection::Disconnected => "disconnected",
            HostConnection::NotResponding => "notResponding",
        }
        .into(),
        power: match h.power_state {
            HostPower::PoweredOn => "poweredOn",
            HostPower::PoweredOff => "poweredOff",
            HostPower::StandBy => "standBy",
        }
        .into(),
        maintenance: h.maintenance,
        datastores,
        networks,
        base_cpu_pct: pct(entry, "cpuUsagePct", h.cpu_usage_pct.unwrap_or(2))?,
        base_mem_mb: match h.memory_usage_mb.unwrap_or(3072) {
            mb @ 0..=67_108_864 => mb,
            mb => {
                return Err(err(
                    entry,
                    format!("memoryUsageMB must be between 0 and 67108864, got {mb}"),
                ));
            }
        },
        boot_time: fmt_time(ago(
            now,
            Duration::days(30 + (hash % 60) as i64) + Duration::minutes((hash % 1440) as i64),
        )),
    };
    let id = build::host(m, &params, cr);
    hosts.insert(h.name.clone(), (id, dc_id.to_string()));
    Ok(())
}

fn add_vm(
    m: &mut Model,
    ctx: &DcContext,
    v: &VmSpec,
    entry: &str,
    dc_id: &str,
    hosts: &HostIndex,
    now: OffsetDateTime,
) -> Result<(), FixtureError> {
    let name = check_name(entry, &v.name)?;
    let (host, host_dc) = hosts
        .get(&v.host)
        .cloned()
        .ok_or_else(|| err(entry, format!("unknown host `{}`", v.host)))?;
    if host_dc != dc_id {
        return Err(err(
            entry,
            format!("host `{}` is in another datacenter", v.host),
        ));
    }
    let host_obj = m.get(&host).ok_or_else(|| err(entry, "host vanished"))?;
    let host_ds = host_obj.ref_ids("datastore");
    let host_nets = host_obj.ref_ids("network");
    let host_maintenance = host_obj.flag("runtime.inMaintenanceMode");
    let host_off = host_obj.str("runtime.powerState") != Some("poweredOn");
    let power: Power = v.power.into();
    if power == Power::On && host_maintenance {
        return Err(err(
            entry,
            format!(
                "cannot be powered on: host `{}` is in maintenance mode",
                v.host
            ),
        ));
    }
    if power == Power::On && host_off {
        return Err(err(
            entry,
            format!("cannot be powered on: host `{}` is not powered on", v.host),
        ));
    }
    if v.template && power != Power::Off {
        return Err(err(entry, "a template is always powered off"));
    }
    let cr = m
        .compute_of_host(&host)
        .ok_or_else(|| err(entry, "host has no compute resource"))?;
    let root_pool = m
        .get(&cr)
        .and_then(|o| o.ref_id("resourcePool"))
        .ok_or_else(|| err(entry, "no root resource pool"))?;
    let pool = match (&v.resource_pool, v.template) {
        (Some(_), true) => return Err(err(entry, "a template has no resource pool")),
        (None, true) => None,
        (None, false) => Some(root_pool),
        (Some(path), false) => {
            let mut cur = root_pool;
            for s in segments(entry, path)? {
                cur = m
                    .children(&cur)
                    .into_iter()
                    .find(|c| m.name(c) == s && m.get(c).is_some_and(|o| o.kind == "ResourcePool"))
                    .ok_or_else(|| err(entry, format!("resource pool `{path}` is not in the host's cluster (list it in resourcePools)")))?;
            }
            Some(cur)
        }
    };
    let datastore = match &v.datastore {
        None => host_ds
            .first()
            .cloned()
            .ok_or_else(|| err(entry, format!("host `{}` mounts no datastore", v.host)))?,
        Some(d) => {
            let id = ctx
                .datastores
                .get(d)
                .cloned()
                .ok_or_else(|| err(entry, format!("unknown datastore `{d}`")))?;
            if !host_ds.contains(&id) {
                return Err(err(
                    entry,
                    format!("datastore `{d}` is not mounted on host `{}`", v.host),
                ));
            }
            id
        }
    };
    let networks = match &v.networks {
        None => host_nets.first().cloned().into_iter().collect(),
        Some(list) => {
            let mut out = Vec::new();
            for n in list {
                let id = ctx
                    .networks
                    .get(n)
                    .cloned()
                    .ok_or_else(|| err(entry, format!("unknown network `{n}`")))?;
                if !host_nets.contains(&id) {
                    return Err(err(
                        entry,
                        format!("network `{n}` is not available on host `{}`", v.host),
                    ));
                }
                out.push(id);
            }
            out
        }
    };
    let folder_segs = segments(entry, v.folder.as_deref().unwrap_or(""))?;
    let folder = ensure_folder(m, &ctx.vm_folder, &folder_segs, FolderKind::Vm, entry)?;
    if m.children(&folder).iter().any(|c| m.name(c) == name) {
        return Err(err(
            entry,
            format!(
                "folder `{}` already holds an entity named `{}`",
                m.inventory_path(&folder),
                v.name
            ),
        ));
    }
    let cpu = positive(entry, "cpu", v.cpu.unwrap_or(1), 768)?;
    let cores_per_socket = positive(
        entry,
        "coresPerSocket",
        v.cores_per_socket.unwrap_or(1),
        768,
    )?;
    if cpu % cores_per_socket != 0 {
        return Err(err(
            entry,
            format!("cpu ({cpu}) must be a multiple of coresPerSocket ({cores_per_socket})"),
        ));
    }
    let memory_mb = positive(
        entry,
        "memoryMB",
        v.memory_mb.unwrap_or(1024),
        24 * 1024 * 1024,
    )?;
    let guest_id = v.guest_id.clone().unwrap_or_else(|| "otherGuest64".into());
    let guest_full_name = match (&v.guest_full_name, build::guest_full_name(&guest_id)) {
        (Some(n), _) => n.clone(),
        (None, Some(n)) => n.to_string(),
        (None, None) => {
            return Err(err(
                entry,
                format!(
                    "unknown guestId `{guest_id}`; give guestFullName too, or use one of {:?}",
                    build::known_guest_ids()
                ),
            ));
        }
    };
    let mut disks_kb = Vec::new();
    for gb in v.disks_gb.clone().unwrap_or_else(|| vec![16.0]) {
        let bytes = gb_to_bytes(entry, "disksGB", gb, MAX_DISK_GB)?;
        if bytes < 1024 * 1024 {
            return Err(err(entry, "each disk must be at least 1 MB"));
        }
        disks_kb.push(bytes / 1024);
    }
    if disks_kb.len() > 15 {
        return Err(err(entry, "at most 15 disks (one SCSI controller)"));
    }
    let path = format!("{}/{}", m.inventory_path(&folder), name);
    let hash = fnv(13, &path);
    let boot = ago(
        now,
        Duration::days(1 + (hash % 40) as i64) + Duration::minutes((hash % 1440) as i64),
    );
    let tools = match v.tools {
        ToolsState::Running => Tools::Running,
        ToolsState::NotRunning => Tools::NotRunning,
        ToolsState::NotInstalled => Tools::NotInstalled,
        ToolsState::Old => Tools::Old,
    };
    let meta = VmMeta {
        tools,
        ip: v.ip.clone().filter(|s| !s.is_empty()),
        host_name: Some(v.host_name.clone().unwrap_or_else(|| v.name.clone())),
        cpu_pct: pct(
            entry,
            "cpuUsagePct",
            v.cpu_usage_pct.unwrap_or(5 + (hash % 40) as i64),
        )?,
        mem_pct: pct(
            entry,
            "memoryUsagePct",
            v.memory_usage_pct.unwrap_or(20 + (hash % 50) as i64),
        )?,
        next_snapshot_id: 1,
    };
    let params = VmParams {
        name,
        folder,
        host,
        pool,
        datastore,
        networks,
        num_cpu: cpu,
        cores_per_socket,
        memory_mb,
        guest_id,
        guest_full_name,
        disks_kb,
        template: v.template,
        annotation: v.annotation.clone(),
        firmware: match v.firmware {
            Firmware::Efi => "efi".into(),
            Firmware::Bios => "bios".into(),
        },
        power,
        boot_time: Some(fmt_time(boot)),
        suspend_time: Some(fmt_time(ago(now, Duration::hours(2)))),
        uuid: v
            .uuid
            .clone()
            .unwrap_or_else(|| uuid_from(&format!("bios/{path}"))),
        instance_uuid: v
            .instance_uuid
            .clone()
            .unwrap_or_else(|| uuid_from(&format!("instance/{path}"))),
        create_date: fmt_time(ago(boot, Duration::days(30))),
        meta,
    };
    let vm_id = build::vm(m, &params);
    add_snapshots(m, &vm_id, v, entry, now)
}

fn count_snapshots(list: &[SnapshotSpec]) -> usize {
    list.iter().map(|s| 1 + count_snapshots(&s.children)).sum()
}

fn add_snapshots(
    m: &mut Model,
    vm_id: &str,
    v: &VmSpec,
    entry: &str,
    now: OffsetDateTime,
) -> Result<(), FixtureError> {
    let total = count_snapshots(&v.snapshots);
    if total == 0 {
        return Ok(());
    }
    let mut state = SnapState {
        index: 0,
        total,
        current: None,
        last: None,
    };
    for (i, s) in v.snapshots.iter().enumerate() {
        add_snapshot_tree(
            m,
            vm_id,
            None,
            s,
            &format!("{entry} > snapshots[{i}] \"{}\"", s.name),
            1,
            now,
            &mut state,
        )?;
    }
    let current = state
        .current
        .or(state.last)
        .ok_or_else(|| err(entry, "no snapshot was created"))?;
    snapshot::set_current(m, vm_id, Some(&current)).map_err(|e| err(entry, e.to_string()))
}

struct SnapState {
    index: usize,
    total: usize,
    current: Option<String>,
    last: Option<String>,
}

#[allow(clippy::too_many_arguments)]
fn add_snapshot_tree(
    m: &mut Model,
    vm_id: &str,
    parent: Option<&str>,
    s: &SnapshotSpec,
    entry: &str,
    depth: usize,
    now: OffsetDateTime,
    st: &mut SnapState,
) -> Result<(), FixtureError> {
    if depth > snapshot::MAX_DEPTH {
        return Err(err(
            entry,
            format!(
                "snapshot trees are at most {} levels deep",
                snapshot::MAX_DEPTH
            ),
        ));
    }
    let state: Power = match s.state {
        Some(p) => p.into(),
        None if s.memory => Power::On,
        None => Power::Off,
    };
    let create_time = match &s.create_time {
        Some(t) => {
            let parsed = parse_time(t)
                .ok_or_else(|| err(entry, format!("createTime `{t}` is not an RFC 3339 date")))?;
            fmt_time(parsed)
        }
        None => fmt_time(ago(now, Duration::days((st.total - st.index) as i64 * 3))),
    };
    st.index += 1;
    let id = snapshot::add(
        m,
        vm_id,
        parent,
        snapshot::NewSnapshot {
            name: s.name.clone(),
            description: s.description.clone().unwrap_or_default(),
            state,
            quiesced: s.quiesced,
            create_time,
        },
    )
    .map_err(|e| err(entry, e.to_string()))?;
    if s.current {
        if st.current.is_some() {
            return Err(err(
                entry,
                "a second snapshot marked current; a VM has one current snapshot",
            ));
        }
        st.current = Some(id.clone());
    }
    st.last = Some(id.clone());
    for (i, c) in s.children.iter().enumerate() {
        add_snapshot_tree(
            m,
            vm_id,
            Some(&id),
            c,
            &format!("{entry} > children[{i}] \"{}\"", c.name),
            depth + 1,
            now,
            st,
        )?;
    }
    Ok(())
}

/// Parse and build in one step, for the constructors.
pub(super) fn load(text: &str, now: OffsetDateTime) -> Result<Model, FixtureError> {
    build(&Fixture::from_json(text)?, now)
}
