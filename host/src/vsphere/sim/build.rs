//! Constructors for each kind of managed object as vCenter would show it.
//! Both the fixture loader and the methods that create objects (CloneVM_Task,
//! CreateFolder) build through here, so a cloned VM looks like a loaded one.
//! Only primary properties are written; `derive` fills in the computed ones.

use serde_json::{Map, Value, json};

use super::model::{ComputeMeta, DatastoreMeta, HostMeta, Meta, Model, Power, VmMeta, reference};

/// vSphere guest OS ids the simulator knows, with vCenter's display names.
const GUESTS: &[(&str, &str)] = &[
    ("ubuntu64Guest", "Ubuntu Linux (64-bit)"),
    ("debian11_64Guest", "Debian GNU/Linux 11 (64-bit)"),
    ("debian12_64Guest", "Debian GNU/Linux 12 (64-bit)"),
    ("rhel8_64Guest", "Red Hat Enterprise Linux 8 (64-bit)"),
    ("rhel9_64Guest", "Red Hat Enterprise Linux 9 (64-bit)"),
    ("centos8_64Guest", "CentOS 8 (64-bit)"),
    ("rockylinux_64Guest", "Rocky Linux (64-bit)"),
    ("almalinux_64Guest", "AlmaLinux (64-bit)"),
    ("sles15_64Guest", "SUSE Linux Enterprise 15 (64-bit)"),
    ("photon64Guest", "VMware Photon OS (64-bit)"),
    ("other4xLinux64Guest", "Other 4.x Linux (64-bit)"),
    ("other5xLinux64Guest", "Other 5.x or later Linux (64-bit)"),
    ("otherLinux64Guest", "Other Linux (64-bit)"),
    (
        "windows9Server64Guest",
        "Microsoft Windows Server 2016 (64-bit)",
    ),
    (
        "windows2019srv_64Guest",
        "Microsoft Windows Server 2019 (64-bit)",
    ),
    (
        "windows2019srvNext_64Guest",
        "Microsoft Windows Server 2022 (64-bit)",
    ),
    (
        "windows2022srvNext_64Guest",
        "Microsoft Windows Server 2025 (64-bit)",
    ),
    ("windows9_64Guest", "Microsoft Windows 10 (64-bit)"),
    ("windows11_64Guest", "Microsoft Windows 11 (64-bit)"),
    ("freebsd13_64Guest", "FreeBSD 13 (64-bit)"),
    ("otherGuest64", "Other (64-bit)"),
    ("otherGuest", "Other (32-bit)"),
];

/// vCenter's display name for a guest id.
pub(super) fn guest_full_name(guest_id: &str) -> Option<&'static str> {
    GUESTS
        .iter()
        .find(|(id, _)| *id == guest_id)
        .map(|(_, n)| *n)
}

/// The guest ids the simulator knows, for error messages.
pub(super) fn known_guest_ids() -> Vec<&'static str> {
    GUESTS.iter().map(|(id, _)| *id).collect()
}

/// `guest.guestFamily` for a guest id.
pub(super) fn guest_family(guest_id: &str) -> &'static str {
    let g = guest_id.to_ascii_lowercase();
    if g.starts_with("win") {
        "windowsGuest"
    } else if [
        "linux", "ubuntu", "debian", "rhel", "centos", "rocky", "alma", "sles", "photon",
    ]
    .iter()
    .any(|k| g.contains(k))
    {
        "linuxGuest"
    } else {
        "otherGuestFamily"
    }
}

/// What a folder holds; decides its id prefix and `childType`, as in vCenter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FolderKind {
    /// The root folder or a folder of datacenters (`group-d`).
    Datacenters,
    /// A datacenter's VM folder or one below it (`group-v`).
    Vm,
    /// A datacenter's host folder or one below it (`group-h`).
    Host,
    /// A datacenter's datastore folder or one below it (`group-s`).
    Datastore,
    /// A datacenter's network folder or one below it (`group-n`).
    Network,
}

impl FolderKind {
    fn prefix(self) -> &'static str {
        match self {
            FolderKind::Datacenters => "group-d",
            FolderKind::Vm => "group-v",
            FolderKind::Host => "group-h",
            FolderKind::Datastore => "group-s",
            FolderKind::Network => "group-n",
        }
    }

    fn child_types(self) -> Value {
        match self {
            FolderKind::Datacenters => json!(["Folder", "Datacenter"]),
            FolderKind::Vm => json!(["Folder", "VirtualMachine", "VirtualApp"]),
            FolderKind::Host => json!(["Folder", "ComputeResource"]),
            FolderKind::Datastore => json!(["Folder", "Datastore", "StoragePod"]),
            FolderKind::Network => json!(["Folder", "Network", "DistributedVirtualSwitch"]),
        }
    }

    /// The kind of a folder from its `childType`.
    pub(super) fn of(model: &Model, folder: &str) -> Option<FolderKind> {
        let o = model.get(folder).filter(|o| o.kind == "Folder")?;
        let types: Vec<&str> = match o.get("childType") {
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        [
            FolderKind::Vm,
            FolderKind::Host,
            FolderKind::Datastore,
            FolderKind::Network,
            FolderKind::Datacenters,
        ]
        .into_iter()
        .find(|k| match k {
            FolderKind::Vm => types.contains(&"VirtualMachine"),
            FolderKind::Host => types.contains(&"ComputeResource"),
            FolderKind::Datastore => types.contains(&"Datastore"),
            FolderKind::Network => types.contains(&"Network"),
            FolderKind::Datacenters => types.contains(&"Datacenter"),
        })
    }
}

fn entity(name: &str, parent: Option<&Value>) -> Map<String, Value> {
    let mut p = Map::new();
    p.insert("name".into(), json!(name));
    if let Some(parent) = parent {
        p.insert("parent".into(), parent.clone());
    }
    p.insert("overallStatus".into(), json!("green"));
    p.insert("configStatus".into(), json!("green"));
    p
}

/// The root folder `group-d1`, named `Datacenters` as in vCenter.
pub(super) fn root_folder(m: &mut Model) -> String {
    let mut p = entity("Datacenters", None);
    p.insert("childType".into(), FolderKind::Datacenters.child_types());
    m.insert("Folder", "group-d1".into(), p, Meta::None);
    "group-d1".into()
}

/// A folder of `kind` named `name` under `parent`.
pub(super) fn folder(m: &mut Model, name: &str, parent: &str, kind: FolderKind) -> String {
    let id = m.alloc_id(kind.prefix());
    let mut p = entity(name, Some(&reference("Folder", parent)));
    p.insert("childType".into(), kind.child_types());
    m.insert("Folder", id.clone(), p, Meta::None);
    id
}

/// A datacenter with its four folders (`vm`, `host`, `datastore`, `network`).
pub(super) fn datacenter(m: &mut Model, name: &str, parent: &str) -> String {
    let id = m.alloc_id("datacenter");
    let p = entity(name, Some(&reference("Folder", parent)));
    m.insert("Datacenter", id.clone(), p, Meta::None);
    let vm = folder(m, "vm", &id, FolderKind::Vm);
    let host = folder(m, "host", &id, FolderKind::Host);
    let ds = folder(m, "datastore", &id, FolderKind::Datastore);
    let net = folder(m, "network", &id, FolderKind::Network);
    // The four folders' parent is the datacenter, typed as such.
    for f in [&vm, &host, &ds, &net] {
        if let Some(o) = m.get_mut(f) {
            o.set("parent", reference("Datacenter", &id));
        }
    }
    if let Some(o) = m.get_mut(&id) {
        o.set("vmFolder", reference("Folder", &vm));
        o.set("hostFolder", reference("Folder", &host));
        o.set("datastoreFolder", reference("Folder", &ds));
        o.set("networkFolder", reference("Folder", &net));
    }
    id
}

/// A cluster's DRS and HA switches.
#[derive(Debug, Clone, Copy)]
pub(super) struct ClusterConfig {
    /// DRS enabled (fully automated): evacuates hosts entering maintenance mode.
    pub drs: bool,
    /// vSphere HA enabled.
    pub ha: bool,
}

/// A cluster (`domain-c…`) or, without a cluster config, a standalone host's
/// compute resource (`domain-s…`), with its root resource pool `Resources`.
/// Returns the compute resource's and the root pool's ids.
pub(super) fn compute_resource(
    m: &mut Model,
    name: &str,
    parent: &str,
    cluster: Option<ClusterConfig>,
) -> (String, String) {
    let (kind, id) = match cluster {
        Some(_) => ("ClusterComputeResource", m.alloc_id("domain-c")),
        None => ("ComputeResource", m.alloc_id("domain-s")),
    };
    let mut p = entity(name, Some(&reference("Folder", parent)));
    match cluster {
        Some(c) => {
            let drs = json!({
                "_typeName": "ClusterDrsConfigInfo",
                "enabled": c.drs,
                "enableVmBehaviorOverrides": true,
                "defaultVmBehavior": "fullyAutomated",
                "vmotionRate": 3,
            });
            let das = json!({
                "_typeName": "ClusterDasConfigInfo",
                "enabled": c.ha,
                "vmMonitoring": "vmMonitoringDisabled",
                "hostMonitoring": "enabled",
                "failoverLevel": 1,
                "admissionControlEnabled": c.ha,
            });
            p.insert(
                "configurationEx".into(),
                json!({
                    "_typeName": "ClusterConfigInfoEx",
                    "vmSwapPlacement": "vmDirectory",
                    "dasConfig": das,
                    "drsConfig": drs,
                }),
            );
            p.insert(
                "configuration".into(),
                json!({ "_typeName": "ClusterConfigInfo", "dasConfig": das, "drsConfig": drs }),
            );
        }
        None => {
            p.insert(
                "configurationEx".into(),
                json!({ "_typeName": "ComputeResourceConfigInfo", "vmSwapPlacement": "vmDirectory" }),
            );
        }
    }
    m.insert(kind, id.clone(), p, Meta::Compute(ComputeMeta::default()));
    let pool = resource_pool(m, "Resources", (kind, &id), &id);
    if let Some(o) = m.get_mut(&id) {
        o.set("resourcePool", reference("ResourcePool", &pool));
    }
    (id, pool)
}

fn allocation(shares: i64, expandable: bool) -> Value {
    json!({
        "_typeName": "ResourceAllocationInfo",
        "reservation": 0,
        "expandableReservation": expandable,
        "limit": -1,
        "shares": { "_typeName": "SharesInfo", "shares": shares, "level": "normal" },
        "overheadLimit": 0,
    })
}

/// A resource pool named `name` whose parent is `parent` (kind, id) and whose
/// owner is the compute resource `owner`.
pub(super) fn resource_pool(
    m: &mut Model,
    name: &str,
    parent: (&str, &str),
    owner: &str,
) -> String {
    let id = m.alloc_id("resgroup");
    let owner_kind = m
        .get(owner)
        .map(|o| o.kind.clone())
        .unwrap_or_else(|| parent.0.to_string());
    let mut p = entity(name, Some(&reference(parent.0, parent.1)));
    p.insert("owner".into(), reference(&owner_kind, owner));
    p.insert(
        "config".into(),
        json!({
            "_typeName": "ResourceConfigSpec",
            "entity": reference("ResourcePool", &id),
            "cpuAllocation": allocation(4000, true),
            "memoryAllocation": allocation(163840, true),
        }),
    );
    m.insert("ResourcePool", id.clone(), p, Meta::None);
    id
}

/// Everything needed to add a host.
#[derive(Debug, Clone)]
pub(super) struct HostParams {
    /// Its name (usually the FQDN).
    pub name: String,
    /// `hardware.systemInfo.vendor`.
    pub vendor: String,
    /// `hardware.systemInfo.model`.
    pub model: String,
    /// `summary.hardware.cpuModel`.
    pub cpu_model: String,
    /// Core clock in MHz.
    pub cpu_mhz: i64,
    /// CPU sockets.
    pub packages: i64,
    /// Physical cores in total.
    pub cores: i64,
    /// Hardware threads in total.
    pub threads: i64,
    /// Memory in bytes.
    pub memory_bytes: i64,
    /// ESXi version, e.g. `8.0.3`.
    pub version: String,
    /// ESXi build, e.g. `24022510`.
    pub build: String,
    /// `runtime.connectionState`.
    pub connection: String,
    /// `runtime.powerState`.
    pub power: String,
    /// `runtime.inMaintenanceMode`.
    pub maintenance: bool,
    /// Mounted datastores' ids.
    pub datastores: Vec<String>,
    /// Attached networks' ids.
    pub networks: Vec<String>,
    /// The hypervisor's own CPU use in percent.
    pub base_cpu_pct: i64,
    /// The hypervisor's own memory use in MB.
    pub base_mem_mb: i64,
    /// `runtime.bootTime`, RFC 3339.
    pub boot_time: String,
}

/// ESXi's `AboutInfo`, as `config.product` and `summary.config.product` show it.
pub(super) fn esxi_about(version: &str, build: &str) -> Value {
    let major = version.split('.').next().unwrap_or("8");
    json!({
        "_typeName": "AboutInfo",
        "name": "VMware ESXi",
        "fullName": format!("VMware ESXi {version} build-{build}"),
        "vendor": "VMware, Inc.",
        "version": version,
        "build": build,
        "localeVersion": "INTL",
        "localeBuild": "000",
        "osType": "vmnix-x86",
        "productLineId": "embeddedEsx",
        "apiType": "HostAgent",
        "apiVersion": format!("{version}.0"),
        "licenseProductName": "VMware ESX Server",
        "licenseProductVersion": format!("{major}.0"),
    })
}

/// A host in the compute resource `parent` (a cluster or a standalone one).
pub(super) fn host(m: &mut Model, h: &HostParams, parent: &str) -> String {
    let id = m.alloc_id("host");
    let parent_kind = m
        .get(parent)
        .map(|o| o.kind.clone())
        .unwrap_or_else(|| "ComputeResource".into());
    let mut p = entity(&h.name, Some(&reference(&parent_kind, parent)));
    if h.connection != "connected" {
        p.insert("overallStatus".into(), json!("gray"));
    }
    let mut runtime = json!({
        "_typeName": "HostRuntimeInfo",
        "connectionState": h.connection,
        "powerState": h.power,
        "standbyMode": "none",
        "inMaintenanceMode": h.maintenance,
        "inQuarantineMode": false,
    });
    if h.power == "poweredOn"
        && let Value::Object(r) = &mut runtime
    {
        r.insert("bootTime".into(), json!(h.boot_time));
    }
    p.insert("runtime".into(), runtime);
    let uuid = super::model::uuid_from(&format!("host/{}", h.name));
    p.insert(
        "hardware".into(),
        json!({
            "_typeName": "HostHardwareInfo",
            "systemInfo": {
                "_typeName": "HostSystemInfo",
                "vendor": h.vendor,
                "model": h.model,
                "uuid": uuid,
                "serialNumber": format!("SN{:010X}", super::model::fnv(7, &h.name) & 0xff_ffff_ffff),
            },
            "cpuInfo": {
                "_typeName": "HostCpuInfo",
                "numCpuPackages": h.packages,
                "numCpuCores": h.cores,
                "numCpuThreads": h.threads,
                "hz": h.cpu_mhz * 1_000_000,
            },
            "memorySize": h.memory_bytes,
            "smcPresent": false,
        }),
    );
    p.insert(
        "config".into(),
        json!({
            "_typeName": "HostConfigInfo",
            "host": reference("HostSystem", &id),
            "product": esxi_about(&h.version, &h.build),
        }),
    );
    p.insert(
        "datastore".into(),
        Value::Array(
            h.datastores
                .iter()
                .map(|d| reference("Datastore", d))
                .collect(),
        ),
    );
    p.insert(
        "network".into(),
        Value::Array(h.networks.iter().map(|n| reference("Network", n)).collect()),
    );
    let meta = HostMeta {
        cpu_model: h.cpu_model.clone(),
        cpu_mhz: h.cpu_mhz,
        base_cpu_pct: h.base_cpu_pct,
        base_mem_mb: h.base_mem_mb,
    };
    m.insert("HostSystem", id.clone(), p, Meta::Host(meta));
    id
}

/// A datastore in the folder `parent`. Free space is derived from what the
/// VMs on it use; `other_used` is what the rest of its files take.
pub(super) fn datastore(
    m: &mut Model,
    name: &str,
    parent: &str,
    ds_type: &str,
    capacity: i64,
    other_used: i64,
) -> String {
    let id = m.alloc_id("datastore");
    let mut p = entity(name, Some(&reference("Folder", parent)));
    let h = super::model::fnv(3, name);
    let url = match ds_type {
        "NFS" | "NFS41" => format!(
            "ds:///vmfs/volumes/{:08x}-{:08x}/",
            h >> 32,
            h & 0xffff_ffff
        ),
        "vsan" => format!(
            "ds:///vmfs/volumes/vsan:{:016x}-{:016x}/",
            h,
            super::model::fnv(4, name)
        ),
        _ => format!(
            "ds:///vmfs/volumes/{:08x}-{:08x}-{:04x}-{:012x}/",
            h >> 32,
            h & 0xffff_ffff,
            (h >> 8) & 0xffff,
            super::model::fnv(5, name) & 0xffff_ffff_ffff
        ),
    };
    let info_type = match ds_type {
        "NFS" | "NFS41" => "NasDatastoreInfo",
        "vsan" => "VsanDatastoreInfo",
        _ => "VmfsDatastoreInfo",
    };
    p.insert(
        "info".into(),
        json!({
            "_typeName": info_type,
            "name": name,
            "url": url,
            "maxFileSize": 70_368_744_177_664i64,
            "maxVirtualDiskCapacity": 68_169_720_922_112i64,
            "maxMemoryFileSize": 70_368_744_177_664i64,
        }),
    );
    p.insert(
        "summary".into(),
        json!({
            "_typeName": "DatastoreSummary",
            "datastore": reference("Datastore", &id),
            "name": name,
            "url": url,
            "capacity": capacity,
            "uncommitted": 0,
            "accessible": true,
            "type": ds_type,
            "maintenanceMode": "normal",
        }),
    );
    p.insert(
        "capability".into(),
        json!({
            "_typeName": "DatastoreCapability",
            "directoryHierarchySupported": true,
            "rawDiskMappingsSupported": ds_type == "VMFS",
            "perFileThinProvisioningSupported": true,
        }),
    );
    m.insert(
        "Datastore",
        id.clone(),
        p,
        Meta::Datastore(DatastoreMeta { other_used }),
    );
    id
}

/// A standard port group network in the folder `parent`.
pub(super) fn network(m: &mut Model, name: &str, parent: &str) -> String {
    let id = m.alloc_id("network");
    let mut p = entity(name, Some(&reference("Folder", parent)));
    p.insert(
        "summary".into(),
        json!({ "_typeName": "NetworkSummary", "network": reference("Network", &id), "name": name, "accessible": true }),
    );
    m.insert("Network", id.clone(), p, Meta::None);
    id
}

/// Everything needed to add a VM.
#[derive(Debug, Clone)]
pub(super) struct VmParams {
    /// Its (escaped) name.
    pub name: String,
    /// The VM folder's id.
    pub folder: String,
    /// The host's id.
    pub host: String,
    /// The resource pool's id; `None` for a template.
    pub pool: Option<String>,
    /// The datastore holding its files.
    pub datastore: String,
    /// The networks of its NICs, one NIC each.
    pub networks: Vec<String>,
    /// vCPUs.
    pub num_cpu: i64,
    /// Cores per socket.
    pub cores_per_socket: i64,
    /// Memory in MB.
    pub memory_mb: i64,
    /// The guest OS id.
    pub guest_id: String,
    /// The guest OS display name.
    pub guest_full_name: String,
    /// Disk sizes in KB, one virtual disk each.
    pub disks_kb: Vec<i64>,
    /// Whether it is a template.
    pub template: bool,
    /// Its notes.
    pub annotation: Option<String>,
    /// `bios` or `efi`.
    pub firmware: String,
    /// Power state.
    pub power: Power,
    /// `runtime.bootTime`, RFC 3339, when powered on or suspended.
    pub boot_time: Option<String>,
    /// `runtime.suspendTime`, RFC 3339, when suspended.
    pub suspend_time: Option<String>,
    /// `config.uuid` (BIOS UUID).
    pub uuid: String,
    /// `config.instanceUuid` (vCenter's id).
    pub instance_uuid: String,
    /// `config.createDate`, RFC 3339.
    pub create_date: String,
    /// The guest's behaviour.
    pub meta: VmMeta,
}

/// A VM directory name on `datastore` not used by another VM, as vCenter
/// picks one (`name`, then `name_1`, …).
fn unique_dir(m: &Model, ds_name: &str, name: &str) -> String {
    let used = |dir: &str| {
        let prefix = format!("[{ds_name}] {dir}/");
        m.objects().any(|o| {
            o.kind == "VirtualMachine"
                && o.str("config.files.vmPathName")
                    .is_some_and(|p| p.starts_with(&prefix))
        })
    };
    if !used(name) {
        return name.to_string();
    }
    (1..)
        .map(|i| format!("{name}_{i}"))
        .find(|d| !used(d))
        .unwrap_or_else(|| name.to_string())
}

/// `1234567` → `1,234,567`, as vCenter writes disk sizes in device summaries.
fn thousands(n: i64) -> String {
    let s = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// The device list: a paravirtual SCSI controller, the disks and the NICs.
fn devices(m: &mut Model, p: &VmParams, ds_name: &str, dir: &str) -> Vec<Value> {
    let mut devs = Vec::new();
    let disk_keys: Vec<i64> = (0..p.disks_kb.len() as i64).map(|i| 2000 + i).collect();
    devs.push(json!({
        "_typeName": "ParaVirtualSCSIController",
        "key": 1000,
        "deviceInfo": { "_typeName": "Description", "label": "SCSI controller 0", "summary": "VMware paravirtual SCSI" },
        "controllerKey": 100,
        "unitNumber": 3,
        "busNumber": 0,
        "device": disk_keys,
        "hotAddRemove": true,
        "sharedBus": "noSharing",
        "scsiCtlrUnitNumber": 7,
    }));
    for (i, kb) in p.disks_kb.iter().enumerate() {
        let file = if i == 0 {
            format!("[{ds_name}] {dir}/{}.vmdk", p.name)
        } else {
            format!("[{ds_name}] {dir}/{}_{i}.vmdk", p.name)
        };
        // Unit 7 is the controller's own.
        let unit = if i >= 7 { i as i64 + 1 } else { i as i64 };
        devs.push(json!({
            "_typeName": "VirtualDisk",
            "key": 2000 + i as i64,
            "deviceInfo": { "_typeName": "Description", "label": format!("Hard disk {}", i + 1), "summary": format!("{} KB", thousands(*kb)) },
            "backing": {
                "_typeName": "VirtualDiskFlatVer2BackingInfo",
                "fileName": file,
                "datastore": reference("Datastore", &p.datastore),
                "diskMode": "persistent",
                "thinProvisioned": true,
                "eagerlyScrub": false,
                "uuid": super::model::uuid_from(&format!("{}/disk{i}", p.instance_uuid)).replace('-', "").to_uppercase(),
            },
            "controllerKey": 1000,
            "unitNumber": unit,
            "capacityInKB": kb,
            "capacityInBytes": kb * 1024,
        }));
    }
    for (i, net) in p.networks.iter().enumerate() {
        let net_name = m.name(net).to_string();
        let mac = m.alloc_mac();
        devs.push(json!({
            "_typeName": "VirtualVmxnet3",
            "key": 4000 + i as i64,
            "deviceInfo": { "_typeName": "Description", "label": format!("Network adapter {}", i + 1), "summary": net_name },
            "backing": {
                "_typeName": "VirtualEthernetCardNetworkBackingInfo",
                "deviceName": net_name,
                "useAutoDetect": false,
                "network": reference("Network", net),
            },
            "connectable": {
                "_typeName": "VirtualDeviceConnectInfo",
                "migrateConnect": "unset",
                "startConnected": true,
                "allowGuestControl": true,
                "connected": false,
                "status": "ok",
            },
            "controllerKey": 100,
            "unitNumber": 7 + i as i64,
            "addressType": "assigned",
            "macAddress": mac,
            "wakeOnLanEnabled": true,
            "uptCompatibilityEnabled": true,
        }));
    }
    devs
}

/// A VM's configuration (`VirtualMachineConfigInfo`).
fn vm_config(p: &VmParams, devices: Vec<Value>, ds_name: &str, dir: &str) -> Value {
    let dir_path = format!("[{ds_name}] {dir}/");
    let mut c = json!({
        "_typeName": "VirtualMachineConfigInfo",
        "changeVersion": p.create_date,
        "modified": p.create_date,
        "name": p.name,
        "guestFullName": p.guest_full_name,
        "version": "vmx-21",
        "uuid": p.uuid,
        "createDate": p.create_date,
        "instanceUuid": p.instance_uuid,
        "template": p.template,
        "guestId": p.guest_id,
        "files": {
            "_typeName": "VirtualMachineFileInfo",
            "vmPathName": format!("{dir_path}{}.vmx", p.name),
            "snapshotDirectory": dir_path,
            "suspendDirectory": dir_path,
            "logDirectory": dir_path,
        },
        "hardware": {
            "_typeName": "VirtualHardware",
            "numCPU": p.num_cpu,
            "numCoresPerSocket": p.cores_per_socket,
            "memoryMB": p.memory_mb,
            "virtualICH7MPresent": false,
            "virtualSMCPresent": false,
            "device": devices,
        },
        "cpuHotAddEnabled": false,
        "cpuHotRemoveEnabled": false,
        "memoryHotAddEnabled": false,
        "swapPlacement": "inherit",
        "firmware": p.firmware,
    });
    if let (Some(a), Value::Object(o)) = (&p.annotation, &mut c)
        && !a.is_empty()
    {
        o.insert("annotation".into(), json!(a));
    }
    c
}

/// A VM as described by `p`; returns its id.
pub(super) fn vm(m: &mut Model, p: &VmParams) -> String {
    let id = m.alloc_id("vm");
    let ds_name = m.name(&p.datastore).to_string();
    let dir = unique_dir(m, &ds_name, &p.name);
    let devs = devices(m, p, &ds_name, &dir);
    let mut props = entity(&p.name, Some(&reference("Folder", &p.folder)));
    props.insert("config".into(), vm_config(p, devs, &ds_name, &dir));
    let mut runtime = Map::new();
    runtime.insert("_typeName".into(), json!("VirtualMachineRuntimeInfo"));
    runtime.insert("host".into(), reference("HostSystem", &p.host));
    runtime.insert("connectionState".into(), json!("connected"));
    runtime.insert("powerState".into(), json!(p.power.as_str()));
    runtime.insert("faultToleranceState".into(), json!("notConfigured"));
    runtime.insert("toolsInstallerMounted".into(), json!(false));
    if p.power != Power::Off
        && let Some(t) = &p.boot_time
    {
        runtime.insert("bootTime".into(), json!(t));
    }
    if p.power == Power::Suspended
        && let Some(t) = &p.suspend_time
    {
        runtime.insert("suspendTime".into(), json!(t));
    }
    runtime.insert("suspendInterval".into(), json!(0));
    runtime.insert("numMksConnections".into(), json!(0));
    runtime.insert("consolidationNeeded".into(), json!(false));
    runtime.insert("onlineStandby".into(), json!(false));
    runtime.insert("paused".into(), json!(false));
    props.insert("runtime".into(), Value::Object(runtime));
    if let Some(pool) = &p.pool {
        props.insert("resourcePool".into(), reference("ResourcePool", pool));
    }
    props.insert(
        "datastore".into(),
        json!([reference("Datastore", &p.datastore)]),
    );
    let mut nets: Vec<Value> = Vec::new();
    for n in &p.networks {
        let r = reference("Network", n);
        if !nets.contains(&r) {
            nets.push(r);
        }
    }
    props.insert("network".into(), Value::Array(nets));
    m.insert(
        "VirtualMachine",
        id.clone(),
        props,
        Meta::Vm(p.meta.clone()),
    );
    id
}

/// The vCenter service content (`ServiceContent`) and its singleton objects.
pub(super) fn service_instance(m: &mut Model, instance_uuid: &str) {
    let singletons = [
        (
            "propertyCollector",
            "PropertyCollector",
            "propertyCollector",
        ),
        ("viewManager", "ViewManager", "ViewManager"),
        ("setting", "OptionManager", "VpxSettings"),
        ("userDirectory", "UserDirectory", "UserDirectory"),
        ("sessionManager", "SessionManager", "SessionManager"),
        (
            "authorizationManager",
            "AuthorizationManager",
            "AuthorizationManager",
        ),
        ("perfManager", "PerformanceManager", "PerfMgr"),
        ("eventManager", "EventManager", "EventManager"),
        ("taskManager", "TaskManager", "TaskManager"),
        (
            "customFieldsManager",
            "CustomFieldsManager",
            "CustomFieldsManager",
        ),
        ("searchIndex", "SearchIndex", "SearchIndex"),
        ("fileManager", "FileManager", "FileManager"),
        (
            "virtualDiskManager",
            "VirtualDiskManager",
            "virtualDiskManager",
        ),
        ("ovfManager", "OvfManager", "OvfManager"),
        ("licenseManager", "LicenseManager", "LicenseManager"),
    ];
    let mut content = Map::new();
    content.insert("_typeName".into(), json!("ServiceContent"));
    content.insert("rootFolder".into(), reference("Folder", "group-d1"));
    for (field, kind, id) in singletons {
        content.insert(field.into(), reference(kind, id));
        m.insert(kind, id.to_string(), Map::new(), Meta::None);
    }
    content.insert(
        "about".into(),
        json!({
            "_typeName": "AboutInfo",
            "name": "VMware vCenter Server (simulated)",
            "fullName": "VMware vCenter Server 8.0.3 build-24022515 (simulated)",
            "vendor": "VMware, Inc.",
            "version": "8.0.3",
            "build": "24022515",
            "localeVersion": "INTL",
            "localeBuild": "000",
            "osType": "linux-x64",
            "productLineId": "vpx",
            "apiType": "VirtualCenter",
            "apiVersion": "8.0.3.0",
            "instanceUuid": instance_uuid,
            "licenseProductName": "VMware VirtualCenter Server",
            "licenseProductVersion": "8.0",
        }),
    );
    let mut si = Map::new();
    si.insert("content".into(), Value::Object(content));
    m.insert("ServiceInstance", "ServiceInstance".into(), si, Meta::None);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(41_943_040), "41,943,040");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
    }

    #[test]
    fn guest_names_and_families() {
        assert_eq!(
            guest_full_name("ubuntu64Guest"),
            Some("Ubuntu Linux (64-bit)")
        );
        assert_eq!(guest_family("windows2019srv_64Guest"), "windowsGuest");
        assert_eq!(guest_family("rhel9_64Guest"), "linuxGuest");
    }
}
