//! `migrateVm`: move a VM to another host, datastore or resource pool.
//!
//! Targets are resolved by name, path or id through the inventory index;
//! only those that differ from where the VM is go into the
//! `VirtualMachineRelocateSpec`. The approval states each move before →
//! after ("host esx-1 → esx-2"), and the placement is read back after.

use serde::Serialize;
use vmware_plugin_sdk::approval::Grant;
use vmware_plugin_sdk::prelude::*;

use crate::methods::RELOCATE;
use crate::target::{power_state, read_after, read_vm, resolve_vm};

/// The VM properties that say where it is.
const PLACEMENT_PROPS: [&str; 4] = [
    "runtime.host",
    "datastore",
    "resourcePool",
    "runtime.powerState",
];

/// One part of a VM's placement: the spec field, how the approver reads
/// it, where the VM is (id and name of each) and where it should go.
#[derive(Debug, Clone, PartialEq)]
pub struct Move {
    /// The `VirtualMachineRelocateSpec` field: `host`, `datastore` or `pool`.
    pub field: &'static str,
    /// The word in the approval: `host`, `datastore`, `resource pool`.
    pub label: &'static str,
    /// Where the VM is now: (reference, name), several for datastores.
    pub current: Vec<(MoRef, String)>,
    /// Where it should go, when given.
    pub target: Option<(MoRef, String)>,
}

impl Move {
    /// Whether the VM is somewhere else than the target.
    fn changes(&self) -> bool {
        self.target
            .as_ref()
            .is_some_and(|(r, _)| self.current.len() != 1 || &self.current[0].0 != r)
    }

    /// `host esx-1 → esx-2`.
    fn describe(&self) -> String {
        let from: Vec<&str> = self.current.iter().map(|(_, n)| n.as_str()).collect();
        let from = if from.is_empty() {
            "none".to_string()
        } else {
            from.join(", ")
        };
        let to = self.target.as_ref().map_or("", |(_, n)| n.as_str());
        format!("{} {from} → {to}", self.label)
    }
}

/// The moves that change something, each described before → after, or why
/// there is nothing to do.
pub fn plan(moves: &[Move]) -> Result<Vec<(&Move, String)>> {
    if moves.iter().all(|m| m.target.is_none()) {
        return Err(Error::invalid_argument(
            "give targetHost, targetDatastore, targetResourcePool or several",
        ));
    }
    let changing: Vec<(&Move, String)> = moves
        .iter()
        .filter(|m| m.changes())
        .map(|m| (m, m.describe()))
        .collect();
    if changing.is_empty() {
        return Err(Error::invalid_argument(
            "the VM is already where the targets say; nothing to move",
        ));
    }
    Ok(changing)
}

/// The `spec` argument of `RelocateVM_Task` for the moves that change something.
pub fn relocate_spec(changing: &[(&Move, String)]) -> Value {
    let mut spec = json!({ "_typeName": "VirtualMachineRelocateSpec" });
    for (m, _) in changing {
        if let Some((r, _)) = &m.target {
            spec[m.field] = r.to_json();
        }
    }
    spec
}

/// `migrateVm`'s result: the one declaration of its fields.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MigrateResult {
    /// The VM's name.
    pub vm: String,
    /// Its managed object id.
    pub id: String,
    /// What moved, before → after.
    pub changes: Vec<String>,
    /// Its host read back after.
    pub host: Option<String>,
    /// Its datastores read back after.
    pub datastores: Vec<String>,
    /// Its resource pool read back after.
    pub resource_pool: Option<String>,
    /// The grant that allowed it.
    pub approval: Grant,
}

/// Resolve an optional target argument.
fn target(kind: Kind, argument: Option<&str>) -> Result<Option<(MoRef, String)>> {
    argument
        .map(|a| inventory::resolve(kind, a).map(|r| (r.reference, r.name)))
        .transpose()
}

/// The references with their names from the index (the id when it has none).
fn named(refs: Vec<MoRef>) -> Vec<(MoRef, String)> {
    let names = inventory::names(&refs);
    refs.into_iter()
        .map(|r| {
            let n = names.get(&r).cloned().unwrap_or_else(|| r.value.clone());
            (r, n)
        })
        .collect()
}

/// Where the VM is: (host, datastores, pool), named.
fn placement(vm: &Obj) -> [Vec<(MoRef, String)>; 3] {
    [
        named(vm.get_ref("runtime.host").into_iter().collect()),
        named(vm.get_refs("datastore")),
        named(vm.get_ref("resourcePool").into_iter().collect()),
    ]
}

/// Migrate the VM named by `vm_argument`.
pub fn migrate_vm(
    vm_argument: &str,
    host: Option<&str>,
    datastore: Option<&str>,
    pool: Option<&str>,
) -> Result<MigrateResult> {
    let vm = resolve_vm(vm_argument)?;
    let targets = [
        ("host", "host", target(Kind::HostSystem, host)?),
        (
            "datastore",
            "datastore",
            target(Kind::Datastore, datastore)?,
        ),
        ("pool", "resource pool", target(Kind::ResourcePool, pool)?),
    ];
    let before = read_vm(&vm, &PLACEMENT_PROPS)?;
    let moves: Vec<Move> = placement(&before)
        .into_iter()
        .zip(targets)
        .map(|(current, (field, label, target))| Move {
            field,
            label,
            current,
            target,
        })
        .collect();
    let changing = plan(&moves)?;
    let changes: Vec<String> = changing.iter().map(|(_, d)| d.clone()).collect();

    let action = Action::new(
        "migrate-vm",
        format!(
            "Migrate VM '{}' ({}, {}): {}",
            vm.name,
            vm.reference.value,
            power_state(&before),
            changes.join(", ")
        ),
    )
    .target(&vm.reference, &vm.name)
    .method(RELOCATE)
    .detail(json!({ "vm": vm.path, "id": vm.reference.value, "changes": changes }));
    let grant = approval::request(&action)?;
    vsphere::invoke(
        &vm.reference,
        RELOCATE,
        json!({ "spec": relocate_spec(&changing) }),
    )?;

    let after = read_after(&vm, &PLACEMENT_PROPS[..3]).map(|o| placement(&o));
    let names = |i: usize| -> Vec<String> {
        after
            .as_ref()
            .map(|p| p[i].iter().map(|(_, n)| n.clone()).collect())
            .unwrap_or_default()
    };
    Ok(MigrateResult {
        host: names(0).into_iter().next(),
        datastores: names(1),
        resource_pool: names(2).into_iter().next(),
        vm: vm.name,
        id: vm.reference.value,
        changes,
        approval: grant,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(kind: &str, id: &str, name: &str) -> (MoRef, String) {
        (MoRef::new(kind, id), name.to_string())
    }

    fn moves(host: Option<&str>, ds: Option<&str>) -> Vec<Move> {
        vec![
            Move {
                field: "host",
                label: "host",
                current: vec![at("HostSystem", "host-1", "esx-1")],
                target: host.map(|h| at("HostSystem", h, h)),
            },
            Move {
                field: "datastore",
                label: "datastore",
                current: vec![at("Datastore", "ds-1", "ds1")],
                target: ds.map(|d| at("Datastore", d, d)),
            },
            Move {
                field: "pool",
                label: "resource pool",
                current: vec![at("ResourcePool", "rp-1", "Resources")],
                target: None,
            },
        ]
    }

    #[test]
    fn states_each_move_before_and_after() {
        let m = moves(Some("esx-2"), Some("ds-1"));
        let changing = plan(&m).unwrap();
        let described: Vec<&str> = changing.iter().map(|(_, d)| d.as_str()).collect();
        assert_eq!(described, ["host esx-1 → esx-2"]);
        let spec = relocate_spec(&changing);
        assert_eq!(spec["host"]["value"], "esx-2");
        assert_eq!(
            spec.get("datastore"),
            None,
            "an unchanged target is left out"
        );
        assert_eq!(spec.get("pool"), None);
    }

    #[test]
    fn refuses_no_target_and_no_move() {
        assert!(
            matches!(plan(&moves(None, None)), Err(Error::InvalidArgument(m)) if m.contains("give targetHost"))
        );
        assert!(
            matches!(plan(&moves(Some("host-1"), Some("ds-1"))), Err(Error::InvalidArgument(m)) if m.contains("nothing to move"))
        );
    }
}
