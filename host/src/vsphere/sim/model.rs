//! The object store: every managed object as its reference plus a VI/JSON
//! property tree, with the few sim-only knobs (guest identity, load) that
//! vSphere derives from a running guest. Everything a client can read lives
//! in the property trees, so retrieval is generic; `derive` keeps the
//! properties vSphere computes (inverse links, summaries) consistent.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::faults;
use crate::vocabulary::VsError;
use crate::vsphere::MoRef;

/// A VM's power state, as the vim25 enum `VirtualMachinePowerState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Power {
    /// `poweredOn`
    On,
    /// `poweredOff`
    Off,
    /// `suspended`
    Suspended,
}

impl Power {
    /// The vim25 enum value.
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Power::On => "poweredOn",
            Power::Off => "poweredOff",
            Power::Suspended => "suspended",
        }
    }

    /// Parse the vim25 enum value; anything else counts as powered off.
    pub(super) fn parse(s: &str) -> Power {
        match s {
            "poweredOn" => Power::On,
            "suspended" => Power::Suspended,
            _ => Power::Off,
        }
    }
}

/// What VMware Tools does in a guest: decides `guest.*` and whether guest
/// operations (reboot, shutdown, quiesced snapshots) work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tools {
    /// Installed, current, running while the VM is powered on.
    Running,
    /// Installed but not running even while the VM is on.
    NotRunning,
    /// Not installed.
    NotInstalled,
    /// Installed, outdated, running while the VM is powered on.
    Old,
}

/// Sim-only facts about a VM: what its guest reports when running, and how busy it is.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct VmMeta {
    /// VMware Tools' state.
    pub tools: Tools,
    /// The guest's primary IP address while it runs with tools.
    pub ip: Option<String>,
    /// The guest's host name while it runs with tools.
    pub host_name: Option<String>,
    /// CPU load in percent of the VM's vCPUs while powered on.
    pub cpu_pct: i64,
    /// Guest memory in use, percent of configured memory, while powered on.
    pub mem_pct: i64,
    /// The next `VirtualMachineSnapshotTree.id` for this VM.
    pub next_snapshot_id: i64,
}

/// Sim-only facts about a host: what the summary shows that the property tree does not hold.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct HostMeta {
    /// `summary.hardware.cpuModel`.
    pub cpu_model: String,
    /// `summary.hardware.cpuMhz`.
    pub cpu_mhz: i64,
    /// The hypervisor's own CPU use, percent of the host's capacity.
    pub base_cpu_pct: i64,
    /// The hypervisor's own memory use in MB.
    pub base_mem_mb: i64,
}

/// Sim-only facts about a datastore.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct DatastoreMeta {
    /// Bytes used by files that belong to no VM in the inventory (ISOs, old VMs).
    pub other_used: i64,
}

/// Sim-only facts about a cluster or standalone compute resource.
#[derive(Debug, Clone, PartialEq, Default)]
pub(super) struct ComputeMeta {
    /// vMotions performed by DRS, for `summary.numVmotions`.
    pub vmotions: i64,
}

/// The sim-only part of an object, by kind.
#[derive(Debug, Clone, PartialEq, Default)]
pub(super) enum Meta {
    /// Nothing beyond the property tree.
    #[default]
    None,
    /// A virtual machine.
    Vm(VmMeta),
    /// A host.
    Host(HostMeta),
    /// A datastore.
    Datastore(DatastoreMeta),
    /// A cluster or standalone compute resource.
    Compute(ComputeMeta),
    /// A standard port group network: its VLAN, which each host's
    /// `config.network.portgroup` states.
    Network {
        /// The VLAN id.
        vlan: u16,
    },
    /// An event or task history collector.
    Collector(CollectorMeta),
}

/// Sim-only facts about a history collector: its page size and where its
/// scrollable view stands, as the client set them.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct CollectorMeta {
    /// How many items `latestPage` holds (vCenter's default is 10).
    pub page_size: usize,
    /// The scrollable view's position: how many of the matching items,
    /// oldest first, lie before it (0 on creation, as vCenter rewinds).
    pub position: usize,
}

/// What vCenter remembers of what happened, beside the inventory: events and
/// tasks oldest first, each with a key that grows with time, and the alarm
/// states triggered on entities (the entities' `triggeredAlarmState` is
/// derived from these).
#[derive(Debug, Clone, PartialEq, Default)]
pub(super) struct History {
    /// `Event` data objects, oldest first.
    pub events: Vec<Value>,
    /// `TaskInfo` data objects, oldest first.
    pub tasks: Vec<Value>,
    /// `AlarmState` data objects, each naming the entity that triggered it.
    pub alarm_states: Vec<Value>,
    /// The key of the next event (vCenter's event ids grow from 1).
    pub next_event_key: i64,
    /// Collectors created so far, numbering the next one.
    pub collectors_created: u64,
}

/// One managed object.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Object {
    /// The server id, e.g. `vm-42`.
    pub id: String,
    /// The managed object type, e.g. `VirtualMachine`.
    pub kind: String,
    /// Creation order, so that lists come out in a stable order.
    pub seq: u64,
    /// The properties as VI/JSON, keyed by top-level property name.
    pub props: Map<String, Value>,
    /// Sim-only facts.
    pub meta: Meta,
}

impl Object {
    /// This object's reference.
    pub(super) fn moref(&self) -> MoRef {
        MoRef::new(self.kind.clone(), self.id.clone())
    }

    /// The value at a dotted path, e.g. `runtime.powerState`.
    pub(super) fn get(&self, path: &str) -> Option<&Value> {
        let mut parts = path.split('.');
        let mut v = self.props.get(parts.next()?)?;
        for p in parts {
            v = v.as_object()?.get(p)?;
        }
        Some(v)
    }

    /// Set the value at a dotted path, creating intermediate objects as needed.
    pub(super) fn set(&mut self, path: &str, value: Value) {
        set_in(&mut self.props, path, value);
    }

    /// Remove the value at a dotted path (making the property unset).
    pub(super) fn unset(&mut self, path: &str) {
        match path.rsplit_once('.') {
            None => {
                self.props.remove(path);
            }
            Some((head, last)) => {
                let mut parts = head.split('.');
                let Some(first) = parts.next() else { return };
                let mut cur = self.props.get_mut(first);
                for p in parts {
                    cur = cur
                        .and_then(|v| v.as_object_mut())
                        .and_then(|o| o.get_mut(p));
                }
                if let Some(Value::Object(o)) = cur {
                    o.remove(last);
                }
            }
        }
    }

    /// The string at a dotted path.
    pub(super) fn str(&self, path: &str) -> Option<&str> {
        self.get(path).and_then(Value::as_str)
    }

    /// The integer at a dotted path.
    pub(super) fn int(&self, path: &str) -> Option<i64> {
        self.get(path).and_then(Value::as_i64)
    }

    /// The boolean at a dotted path.
    pub(super) fn flag(&self, path: &str) -> bool {
        self.get(path).and_then(Value::as_bool).unwrap_or(false)
    }

    /// The id of the reference at a dotted path.
    pub(super) fn ref_id(&self, path: &str) -> Option<String> {
        self.get(path).and_then(MoRef::from_json).map(|r| r.value)
    }

    /// The ids of the references in the array at a dotted path.
    pub(super) fn ref_ids(&self, path: &str) -> Vec<String> {
        ref_values(self.get(path))
    }

    /// The entity's name (empty for objects without one).
    pub(super) fn name(&self) -> &str {
        self.str("name").unwrap_or("")
    }

    /// A VM's power state.
    pub(super) fn power(&self) -> Power {
        Power::parse(self.str("runtime.powerState").unwrap_or(""))
    }

    /// The VM facts, when this is a VM.
    pub(super) fn vm_meta(&self) -> Option<&VmMeta> {
        match &self.meta {
            Meta::Vm(m) => Some(m),
            _ => None,
        }
    }

    /// The host facts, when this is a host.
    pub(super) fn host_meta(&self) -> Option<&HostMeta> {
        match &self.meta {
            Meta::Host(m) => Some(m),
            _ => None,
        }
    }
}

/// The ids of the references in a VI/JSON array (none when it is not one):
/// how every list-of-references property reads, for the model and for the
/// tests that check such lists.
pub(super) fn ref_values(list: Option<&Value>) -> Vec<String> {
    match list {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(MoRef::from_json)
            .map(|r| r.value)
            .collect(),
        _ => Vec::new(),
    }
}

/// Set `value` at a dotted path inside `map`, creating intermediate objects.
pub(super) fn set_in(map: &mut Map<String, Value>, path: &str, value: Value) {
    match path.split_once('.') {
        None => {
            map.insert(path.to_string(), value);
        }
        Some((first, rest)) => {
            let entry = map
                .entry(first.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            if let Value::Object(inner) = entry {
                set_in(inner, rest, value);
            }
        }
    }
}

/// A VI/JSON reference to `id` of type `kind`.
pub(super) fn reference(kind: &str, id: &str) -> Value {
    MoRef::new(kind, id).to_json()
}

/// An RFC 3339 timestamp, as VI/JSON writes `xsd:dateTime`.
/// Microseconds, as vCenter reports them.
pub(super) fn fmt_time(t: OffsetDateTime) -> String {
    let t = t.replace_microsecond(t.microsecond()).unwrap_or(t);
    t.format(&Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_string())
}

/// `now` minus `d`, or `now` itself if that date cannot be represented.
pub(super) fn ago(now: OffsetDateTime, d: time::Duration) -> OffsetDateTime {
    now.checked_sub(d).unwrap_or(now)
}

/// Parse an RFC 3339 timestamp.
pub(super) use crate::vsphere::history_filter::parse_time;

/// Whole seconds from the RFC 3339 time `since` to `now` (0 when unset or in
/// the future): the uptime VMs and hosts report from their boot time.
pub(super) fn seconds_since(since: Option<&str>, now: OffsetDateTime) -> i64 {
    since
        .and_then(parse_time)
        .map(|b| (now - b).whole_seconds().max(0))
        .unwrap_or(0)
}

/// Escape an entity name as vCenter stores it: `%` → `%25`, `/` → `%2f`,
/// `\` → `%5c`, so that inventory paths can be split on `/`.
pub(super) fn escape_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            '%' => out.push_str("%25"),
            '/' => out.push_str("%2f"),
            '\\' => out.push_str("%5c"),
            c => out.push(c),
        }
    }
    out
}

/// FNV-1a, for deterministic ids (UUIDs, MACs) derived from names.
pub(super) fn fnv(seed: u64, s: &str) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64 ^ seed;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// A version-4-shaped UUID derived from `s`, stable across runs.
pub(super) fn uuid_from(s: &str) -> String {
    let hi = fnv(1, s);
    let lo = fnv(2, s);
    let hi = (hi & 0xffff_ffff_ffff_0fff) | 0x4000;
    let lo = (lo & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xffff,
        hi & 0xffff,
        lo >> 48,
        lo & 0xffff_ffff_ffff
    )
}

/// The whole inventory.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Model {
    objects: BTreeMap<String, Object>,
    /// Events, tasks and triggered alarms.
    pub history: History,
    next_seq: u64,
    next_entity: u64,
    next_snapshot: u64,
    next_mac: u64,
}

impl Model {
    /// An empty store; ids start where a fresh vCenter's do.
    pub(super) fn new() -> Self {
        Model {
            objects: BTreeMap::new(),
            history: History {
                next_event_key: 1,
                ..History::default()
            },
            next_seq: 0,
            next_entity: 2,
            next_snapshot: 101,
            next_mac: 0x10,
        }
    }

    /// A fresh entity id with vCenter's prefix, e.g. `vm` → `vm-42`, `group-v` → `group-v43`.
    pub(super) fn alloc_id(&mut self, prefix: &str) -> String {
        let n = self.next_entity;
        self.next_entity += 1;
        if prefix.ends_with('-') || prefix.starts_with("group-") {
            format!("{prefix}{n}")
        } else {
            format!("{prefix}-{n}")
        }
    }

    /// A fresh snapshot id, e.g. `snapshot-101`.
    pub(super) fn alloc_snapshot_id(&mut self) -> String {
        let n = self.next_snapshot;
        self.next_snapshot += 1;
        format!("snapshot-{n}")
    }

    /// A fresh MAC address in VMware's vCenter-assigned range 00:50:56:xx:xx:xx.
    pub(super) fn alloc_mac(&mut self) -> String {
        let n = self.next_mac;
        self.next_mac += 1;
        format!(
            "00:50:56:{:02x}:{:02x}:{:02x}",
            (n >> 16) & 0x3f,
            (n >> 8) & 0xff,
            n & 0xff
        )
    }

    /// Add an object; returns its reference.
    pub(super) fn insert(
        &mut self,
        kind: &str,
        id: String,
        props: Map<String, Value>,
        meta: Meta,
    ) -> MoRef {
        let seq = self.next_seq;
        self.next_seq += 1;
        let r = MoRef::new(kind, id.clone());
        self.objects.insert(
            id.clone(),
            Object {
                id,
                kind: kind.to_string(),
                seq,
                props,
                meta,
            },
        );
        r
    }

    /// Remove an object.
    pub(super) fn remove(&mut self, id: &str) -> Option<Object> {
        self.objects.remove(id)
    }

    /// The object with this id.
    pub(super) fn get(&self, id: &str) -> Option<&Object> {
        self.objects.get(id)
    }

    /// The object with this id, to change it.
    pub(super) fn get_mut(&mut self, id: &str) -> Option<&mut Object> {
        self.objects.get_mut(id)
    }

    /// The object a reference names, or vCenter's `ManagedObjectNotFound`
    /// (also when the type does not match: `{HostSystem, vm-42}` names nothing).
    pub(super) fn resolve(&self, r: &MoRef) -> Result<&Object, VsError> {
        self.objects
            .get(&r.value)
            .filter(|o| o.kind == r.kind)
            .ok_or_else(|| faults::object_not_found(r))
    }

    /// The object with this id, or an internal error: for ids the model itself
    /// stored, whose absence would be a simulator bug.
    pub(super) fn try_get(&self, id: &str) -> Result<&Object, VsError> {
        self.objects
            .get(id)
            .ok_or_else(|| VsError::Internal(format!("simulated inventory lost object {id}")))
    }

    /// The object with this id to change, or an internal error (see [`Model::try_get`]).
    pub(super) fn try_get_mut(&mut self, id: &str) -> Result<&mut Object, VsError> {
        self.objects
            .get_mut(id)
            .ok_or_else(|| VsError::Internal(format!("simulated inventory lost object {id}")))
    }

    /// Every object, in id order.
    pub(super) fn objects(&self) -> impl Iterator<Item = &Object> {
        self.objects.values()
    }

    /// The ids of every object of exactly this kind, in creation order.
    pub(super) fn ids_of_kind(&self, kind: &str) -> Vec<String> {
        let mut v: Vec<&Object> = self.objects.values().filter(|o| o.kind == kind).collect();
        v.sort_by_key(|o| o.seq);
        v.into_iter().map(|o| o.id.clone()).collect()
    }

    /// The name of an object (empty if it has none or does not exist).
    pub(super) fn name(&self, id: &str) -> &str {
        self.get(id).map(Object::name).unwrap_or("")
    }

    /// The reference to an object that exists.
    pub(super) fn moref(&self, id: &str) -> Option<MoRef> {
        self.get(id).map(Object::moref)
    }

    /// An entity's parent id.
    pub(super) fn parent(&self, id: &str) -> Option<String> {
        self.get(id)?.ref_id("parent")
    }

    /// The entities whose parent is `id`, in creation order (what `childEntity`
    /// and a resource pool's `resourcePool` list).
    pub(super) fn children(&self, id: &str) -> Vec<String> {
        let mut v: Vec<&Object> = self
            .objects
            .values()
            .filter(|o| o.ref_id("parent").as_deref() == Some(id))
            .collect();
        v.sort_by_key(|o| o.seq);
        v.into_iter().map(|o| o.id.clone()).collect()
    }

    /// The inventory path of an entity, e.g. `DC0/vm/web/web-01` (the root folder is not named).
    pub(super) fn inventory_path(&self, id: &str) -> String {
        let mut parts = Vec::new();
        let mut cur = Some(id.to_string());
        while let Some(c) = cur {
            let Some(o) = self.get(&c) else { break };
            let p = o.ref_id("parent");
            if p.is_none() {
                break; // the root folder
            }
            parts.push(o.name().to_string());
            cur = p;
            if parts.len() > 256 {
                break;
            }
        }
        parts.reverse();
        parts.join("/")
    }

    /// The datacenter an entity belongs to.
    pub(super) fn datacenter_of(&self, id: &str) -> Option<String> {
        let mut cur = Some(id.to_string());
        for _ in 0..256 {
            let c = cur?;
            let o = self.get(&c)?;
            if o.kind == "Datacenter" {
                return Some(c);
            }
            cur = o.ref_id("parent");
        }
        None
    }

    /// True when `id` is `ancestor` or lies below it in the inventory tree.
    pub(super) fn is_within(&self, id: &str, ancestor: &str) -> bool {
        let mut cur = Some(id.to_string());
        for _ in 0..256 {
            let Some(c) = cur else { return false };
            if c == ancestor {
                return true;
            }
            cur = self.parent(&c);
        }
        false
    }

    /// The compute resource (cluster or standalone) a host belongs to.
    pub(super) fn compute_of_host(&self, host: &str) -> Option<String> {
        self.parent(host).filter(|p| {
            self.get(p)
                .is_some_and(|o| o.kind.ends_with("ComputeResource"))
        })
    }

    /// The compute resource that owns a resource pool.
    pub(super) fn owner_of_pool(&self, pool: &str) -> Option<String> {
        self.get(pool)?.ref_id("owner")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dotted_paths_read_and_write() {
        let mut m = Model::new();
        let r = m.insert("VirtualMachine", "vm-1".into(), Map::new(), Meta::None);
        let o = m.get_mut(&r.value).expect("inserted");
        o.set("runtime.powerState", json!("poweredOn"));
        o.set("name", json!("a"));
        assert_eq!(o.str("runtime.powerState"), Some("poweredOn"));
        assert_eq!(o.power(), Power::On);
        o.unset("runtime.powerState");
        assert!(o.get("runtime.powerState").is_none());
        assert!(o.get("runtime").is_some());
    }

    #[test]
    fn names_are_escaped_like_vcenter() {
        assert_eq!(escape_name("a/b%c\\d"), "a%2fb%25c%5cd");
    }

    #[test]
    fn uuids_are_stable_and_well_formed() {
        let a = uuid_from("DC0/web-01");
        assert_eq!(a, uuid_from("DC0/web-01"));
        assert_ne!(a, uuid_from("DC0/web-02"));
        assert!(uuid::Uuid::parse_str(&a).is_ok(), "{a}");
        assert_eq!(a.len(), 36);
    }

    #[test]
    fn ids_follow_vcenter_prefixes() {
        let mut m = Model::new();
        assert_eq!(m.alloc_id("datacenter"), "datacenter-2");
        assert_eq!(m.alloc_id("group-v"), "group-v3");
        assert_eq!(m.alloc_snapshot_id(), "snapshot-101");
        assert!(m.alloc_mac().starts_with("00:50:56:"));
    }
}
