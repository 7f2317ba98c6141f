//! The vSphere privileges a set of loaded tool groups needs, computed from
//! their effective capabilities and the vim25 schema's method privileges
//! (generated from pyVmomi's method tables).
//!
//! Reading needs `System.Anonymous`, `System.View` and `System.Read` (the
//! privileges every vCenter role holds). Each invoked method needs the
//! privilege the schema names for it and the privileges it checks on its
//! parameters. A few methods have no fixed privilege in the schema because
//! vSphere checks them per argument; for those the privileges the vSphere
//! API reference lists for the common case are in [`DYNAMIC`].

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::runtime::LoadedPlugin;
use crate::runtime::capabilities::MethodRef;
use crate::vsphere::schema::schema;

/// What reading needs, whatever the group reads.
pub const READ_PRIVILEGES: &[&str] = &["System.Anonymous", "System.View", "System.Read"];

/// Methods whose privileges vSphere checks per argument (no single one in
/// pyVmomi's tables), with what the vSphere API reference requires for them:
/// `CloneVM_Task` needs `VirtualMachine.Provisioning.Clone` on the source,
/// `VirtualMachine.Inventory.CreateFromExisting` on the folder,
/// `Resource.AssignVMToPool` on the pool and `Datastore.AllocateSpace` on
/// the datastores. `Rename_Task` and `Destroy_Task` on a VM need
/// `VirtualMachine.Config.Rename` and `VirtualMachine.Inventory.Delete`;
/// `ReconfigVM_Task` the privilege of each setting changed (here CPU count
/// and memory); `RelocateVM_Task` cold or hot migration (by power state),
/// `Resource.AssignVMToPool` on the pool and `Datastore.AllocateSpace` on
/// the datastore.
pub const DYNAMIC: &[(&str, &str, &[&str])] = &[
    (
        "VirtualMachine",
        "CloneVM_Task",
        &[
            "VirtualMachine.Provisioning.Clone",
            "VirtualMachine.Inventory.CreateFromExisting",
            "Resource.AssignVMToPool",
            "Datastore.AllocateSpace",
        ],
    ),
    (
        "VirtualMachine",
        "Rename_Task",
        &["VirtualMachine.Config.Rename"],
    ),
    (
        "VirtualMachine",
        "Destroy_Task",
        &["VirtualMachine.Inventory.Delete"],
    ),
    (
        "VirtualMachine",
        "ReconfigVM_Task",
        &[
            "VirtualMachine.Config.CPUCount",
            "VirtualMachine.Config.Memory",
        ],
    ),
    (
        "VirtualMachine",
        "RelocateVM_Task",
        &[
            "Resource.ColdMigrate",
            "Resource.HotMigrate",
            "Resource.AssignVMToPool",
            "Datastore.AllocateSpace",
        ],
    ),
];

/// Who needs a privilege and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Need {
    /// The tool group.
    pub group: String,
    /// The tools (names within the group) that will fail without it; empty
    /// when the need is the group's as a whole (reads, a legacy group's grant).
    pub tools: Vec<String>,
    /// What needs it: `Type.Method`, or `reads`.
    pub reason: String,
}

/// The privileges the loaded groups need.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Requirements {
    /// Every needed privilege, with who needs it.
    pub privileges: BTreeMap<String, Vec<Need>>,
    /// Methods the schema gives no privilege for and [`DYNAMIC`] does not
    /// know: the operator must look them up.
    pub unresolved: Vec<Need>,
}

impl Requirements {
    /// The privilege ids, sorted.
    pub fn ids(&self) -> Vec<&str> {
        self.privileges.keys().map(String::as_str).collect()
    }

    /// The tools that fail without `privilege`, as `group.tool` (or the
    /// group with the reason when no single tool is known).
    pub fn tools_needing(&self, privilege: &str) -> Vec<String> {
        let mut out = BTreeSet::new();
        for need in self.privileges.get(privilege).into_iter().flatten() {
            if need.tools.is_empty() {
                out.insert(format!("{} ({})", need.group, need.reason));
            } else {
                for t in &need.tools {
                    out.insert(format!("{}.{t}", need.group));
                }
            }
        }
        out.into_iter().collect()
    }
}

/// The privileges `method` needs: the schema's, or [`DYNAMIC`]'s, or the
/// one a read behind a privilege needs.
pub fn method_privileges(method: &MethodRef) -> Vec<String> {
    if let Some(privilege) =
        crate::vsphere::classify::read_behind_privilege(&method.managed_type, &method.method)
    {
        return vec![privilege.to_string()];
    }
    if let Some((_, _, privs)) = DYNAMIC.iter().find(|(t, m, _)| {
        *m == method.method && schema().is_ok_and(|s| s.is_subtype(&method.managed_type, t))
    }) {
        return privs.iter().map(|p| p.to_string()).collect();
    }
    let Some(m) = schema()
        .ok()
        .and_then(|s| s.method(&method.managed_type, &method.method))
    else {
        return Vec::new();
    };
    let mut out: Vec<String> = m.privilege.iter().cloned().collect();
    for p in &m.param_privileges {
        if !out.contains(p) {
            out.push(p.clone());
        }
    }
    out
}

/// Compute what `plugins` need from their effective capabilities (after
/// the operator's narrowing).
pub fn requirements<'a>(plugins: impl IntoIterator<Item = &'a LoadedPlugin>) -> Requirements {
    let mut req = Requirements::default();
    for plugin in plugins {
        let group = &plugin.identity.group;
        let caps = &plugin.identity.capabilities;
        let reads = match caps.reads() {
            Some(types) => types.iter().cloned().collect::<Vec<_>>().join(", "),
            None => "any type (declares nothing)".into(),
        };
        for p in READ_PRIVILEGES {
            req.privileges.entry(p.to_string()).or_default().push(Need {
                group: group.clone(),
                tools: Vec::new(),
                reason: format!("reads {reads}"),
            });
        }
        for method in caps.invokes() {
            let tools: Vec<String> = plugin
                .manifest
                .tools
                .iter()
                .filter(|t| {
                    caps.tool_invokes(&t.name)
                        .is_some_and(|m| m.contains(&method))
                })
                .map(|t| t.name.clone())
                .collect();
            let need = Need {
                group: group.clone(),
                tools,
                reason: method.to_string(),
            };
            let privileges = method_privileges(&method);
            if privileges.is_empty() {
                req.unresolved.push(need);
                continue;
            }
            for p in privileges {
                req.privileges.entry(p).or_default().push(need.clone());
            }
        }
    }
    for needs in req.privileges.values_mut() {
        needs.sort();
        needs.dedup();
    }
    req
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(t: &str, name: &str) -> MethodRef {
        MethodRef::parse(&format!("{t}.{name}")).unwrap()
    }

    #[test]
    fn methods_map_to_their_privileges() {
        assert_eq!(
            method_privileges(&m("VirtualMachine", "PowerOnVM_Task")),
            ["VirtualMachine.Interact.PowerOn"]
        );
        assert_eq!(
            method_privileges(&m("VirtualMachineSnapshot", "RemoveSnapshot_Task")),
            ["VirtualMachine.State.RemoveSnapshot"]
        );
        assert_eq!(
            method_privileges(&m("HostSystem", "EnterMaintenanceMode_Task")),
            ["Host.Config.Maintenance"]
        );
        // No fixed privilege in the schema: the API reference's list.
        assert!(
            method_privileges(&m("VirtualMachine", "CloneVM_Task"))
                .contains(&"VirtualMachine.Provisioning.Clone".to_string())
        );
        // The VM changes of issue 18.
        for (method, privilege) in [
            ("Rename_Task", "VirtualMachine.Config.Rename"),
            ("Destroy_Task", "VirtualMachine.Inventory.Delete"),
            ("ReconfigVM_Task", "VirtualMachine.Config.CPUCount"),
            ("ReconfigVM_Task", "VirtualMachine.Config.Memory"),
            ("RelocateVM_Task", "Resource.HotMigrate"),
            ("RelocateVM_Task", "Resource.ColdMigrate"),
        ] {
            assert!(
                method_privileges(&m("VirtualMachine", method)).contains(&privilege.to_string()),
                "{method}: {privilege}"
            );
        }
        // Performance samples are a read: no privilege beyond reading.
        let perf = method_privileges(&m("PerformanceManager", "QueryPerf"));
        assert!(
            !perf.is_empty() && perf.iter().all(|p| READ_PRIVILEGES.contains(&p.as_str())),
            "{perf:?}"
        );
        // A read behind a privilege: searching a datastore.
        assert_eq!(
            method_privileges(&m("HostDatastoreBrowser", "SearchDatastore_Task")),
            ["Datastore.Browse"]
        );
        // Parameter privileges count too.
        assert!(
            method_privileges(&m("VirtualMachine", "MarkAsVirtualMachine"))
                .contains(&"Resource.AssignVMToPool".to_string())
        );
    }
}
