//! Who a call is about, as vCenter's events name it: the entity and the
//! VM, host, compute resource, datastore and datacenter around it, each with
//! its name. Captured before the call runs, so that an event about a VM the
//! call deleted or renamed still names it as it was.

use serde_json::{Map, Value, json};

use crate::vsphere::sim::model::Model;

/// One object an event refers to: its id, type and name.
#[derive(Debug, Clone, PartialEq)]
pub(in crate::vsphere::sim) struct Named {
    /// The object's id.
    pub id: String,
    /// Its managed type.
    pub kind: String,
    /// Its name when the call started.
    pub name: String,
}

impl Named {
    fn of(m: &Model, id: &str) -> Option<Named> {
        let o = m.get(id)?;
        Some(Named {
            id: o.id.clone(),
            kind: o.kind.clone(),
            name: o.name().to_string(),
        })
    }

    /// The reference, as VI/JSON.
    pub fn reference(&self) -> Value {
        json!({"_typeName": "ManagedObjectReference", "type": self.kind, "value": self.id})
    }
}

/// The entity a call is about and the objects around it.
#[derive(Debug, Clone, PartialEq)]
pub(in crate::vsphere::sim) struct Subject {
    /// The entity itself (for a snapshot's methods, its VM).
    pub entity: Named,
    /// The VM, when the entity is one.
    pub vm: Option<Named>,
    /// The host: the entity, or the VM's host.
    pub host: Option<Named>,
    /// The host's or VM's compute resource (cluster or standalone).
    pub compute: Option<Named>,
    /// The datastore, when the entity is one.
    pub datastore: Option<Named>,
    /// The datacenter holding the entity.
    pub datacenter: Option<Named>,
}

impl Subject {
    /// The subject of a call on `id`, or `None` when it is no entity (a
    /// manager, a collector).
    pub(in crate::vsphere::sim) fn of(m: &Model, id: &str) -> Option<Subject> {
        let o = m.get(id)?;
        let entity_id = match o.kind.as_str() {
            "VirtualMachineSnapshot" => o.ref_id("vm")?,
            _ => id.to_string(),
        };
        let entity = Named::of(m, &entity_id)?;
        let host_id = match entity.kind.as_str() {
            "VirtualMachine" => m.get(&entity_id).and_then(|vm| vm.ref_id("runtime.host")),
            "HostSystem" => Some(entity_id.clone()),
            _ => None,
        };
        let compute = match entity.kind.as_str() {
            "ClusterComputeResource" | "ComputeResource" => Some(entity_id.clone()),
            _ => host_id.as_deref().and_then(|h| m.compute_of_host(h)),
        };
        let is = |kind: &str| (entity.kind == kind).then(|| entity.clone());
        Some(Subject {
            vm: is("VirtualMachine"),
            datastore: is("Datastore"),
            host: host_id.and_then(|h| Named::of(m, &h)),
            compute: compute.and_then(|c| Named::of(m, &c)),
            datacenter: m.datacenter_of(&entity_id).and_then(|d| Named::of(m, &d)),
            entity,
        })
    }

    /// The event arguments (`vm`, `host`, `computeResource`, `ds`,
    /// `datacenter`) an `Event` carries for this subject.
    pub(in crate::vsphere::sim) fn event_arguments(&self) -> Map<String, Value> {
        let mut args = Map::new();
        let slots = [
            ("vm", "VmEventArgument", &self.vm),
            ("host", "HostEventArgument", &self.host),
            (
                "computeResource",
                "ComputeResourceEventArgument",
                &self.compute,
            ),
            ("ds", "DatastoreEventArgument", &self.datastore),
            ("datacenter", "DatacenterEventArgument", &self.datacenter),
        ];
        for (field, type_name, named) in slots {
            if let Some(n) = named {
                let link = match field {
                    "ds" => "datastore",
                    other => other,
                };
                args.insert(
                    field.into(),
                    json!({"_typeName": type_name, "name": n.name, link: n.reference()}),
                );
            }
        }
        args
    }

    /// How vCenter's messages place a VM or host: `web-01 on esx-01 in DC0`.
    pub(in crate::vsphere::sim) fn placed(&self) -> String {
        let mut words = self.entity.name.clone();
        if let Some(host) = self.host.as_ref().filter(|h| h.id != self.entity.id) {
            words.push_str(&format!(" on {}", host.name));
        }
        if let Some(dc) = &self.datacenter {
            words.push_str(&format!(" in {}", dc.name));
        }
        words
    }
}
