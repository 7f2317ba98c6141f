//! HostSystem methods: maintenance mode as vCenter runs it. Entering waits
//! until no powered-on VM is left on the host; vCenter itself moves VMs only
//! when DRS (fully automated) can place them on other hosts of the cluster.
//! When they cannot leave, the real task sits until its timeout and then fails
//! with `Timedout`; the simulator fails at once with that fault and changes
//! nothing, whatever the timeout.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::args::Args;
use super::derive::{host_effective, vm_host_mem, vm_memory_mb};
use super::model::{Meta, Model, Object, Power, reference};
use super::{entity, faults, vm_state};
use crate::vocabulary::VsError;
use crate::vsphere::MoRef;

/// The methods of `HostSystem` the simulator implements.
pub(super) const METHODS: &[&str] = &[
    "EnterMaintenanceMode_Task",
    "ExitMaintenanceMode_Task",
    "Rename_Task",
];

fn require_connected(h: &Object) -> Result<(), VsError> {
    if h.str("runtime.connectionState") == Some("connected") {
        Ok(())
    } else {
        Err(faults::fault(
            "InvalidState",
            "The operation is not allowed in the current connection state of the host.",
            serde_json::json!({}),
        ))
    }
}

/// Call a `HostSystem` method.
pub(super) fn invoke(
    m: &mut Model,
    target: &MoRef,
    method: &str,
    args: &Map<String, Value>,
) -> Result<Value, VsError> {
    let id = target.value.as_str();
    match method {
        "EnterMaintenanceMode_Task" => enter(
            m,
            id,
            &Args::new(
                method,
                args,
                &["timeout", "evacuatePoweredOffVms", "maintenanceSpec"],
            )?,
        ),
        "ExitMaintenanceMode_Task" => {
            let a = Args::new(method, args, &["timeout"])?;
            a.int("timeout")?;
            let h = m.try_get(id)?;
            require_connected(h)?;
            if !h.flag("runtime.inMaintenanceMode") {
                return Err(faults::invalid_state(&format!(
                    "host {} is not in maintenance mode",
                    h.name()
                )));
            }
            m.try_get_mut(id)?
                .set("runtime.inMaintenanceMode", Value::Bool(false));
            Ok(Value::Null)
        }
        "Rename_Task" => {
            let a = Args::new(method, args, &["newName"])?;
            entity::rename(m, id, a.string("newName")?)?;
            Ok(Value::Null)
        }
        _ => Err(faults::method_not_found(target, method, METHODS)),
    }
}

fn names(m: &Model, ids: &[String]) -> String {
    ids.iter()
        .map(|v| format!("{} ({v})", m.name(v)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn enter(m: &mut Model, id: &str, a: &Args) -> Result<Value, VsError> {
    a.int("timeout")?;
    let evacuate_off = a.opt_boolean("evacuatePoweredOffVms")?.unwrap_or(false);
    a.opt_data("maintenanceSpec", "HostMaintenanceSpec")?;
    let h = m.try_get(id)?;
    let host_name = h.name().to_string();
    if h.flag("runtime.inMaintenanceMode") {
        return Err(faults::invalid_state(&format!(
            "host {host_name} is already in maintenance mode"
        )));
    }
    require_connected(h)?;
    let mut on_host: Vec<&Object> = m
        .objects()
        .filter(|o| o.kind == "VirtualMachine" && o.ref_id("runtime.host").as_deref() == Some(id))
        .collect();
    on_host.sort_by_key(|o| o.seq);
    let running: Vec<&Object> = on_host
        .iter()
        .copied()
        .filter(|o| o.power() == Power::On)
        .collect();
    let parked: Vec<&Object> = on_host
        .iter()
        .copied()
        .filter(|o| o.power() != Power::On)
        .collect();
    let cr = m.compute_of_host(id).unwrap_or_default();
    let cr_obj = m.get(&cr);
    let clustered = cr_obj.is_some_and(|c| c.kind == "ClusterComputeResource");
    let drs = clustered && cr_obj.is_some_and(|c| c.flag("configurationEx.drsConfig.enabled"));

    // Other hosts DRS may use, with the memory they have left.
    let candidates: Vec<&Object> = m
        .children(&cr)
        .into_iter()
        .filter(|c| c != id)
        .filter_map(|c| m.get(&c))
        .filter(|c| c.kind == "HostSystem" && host_effective(c))
        .collect();
    let mut free: HashMap<String, i64> = candidates
        .iter()
        .map(|c| {
            let used: i64 = m
                .objects()
                .filter(|v| {
                    v.kind == "VirtualMachine"
                        && v.ref_id("runtime.host").as_deref() == Some(c.id.as_str())
                })
                .map(vm_host_mem)
                .sum();
            let total = c.int("hardware.memorySize").unwrap_or(0) / (1024 * 1024);
            let base = c.host_meta().map(|x| x.base_mem_mb).unwrap_or(0);
            (c.id.clone(), total - base - used)
        })
        .collect();

    let mut plan: Vec<(String, String)> = Vec::new();
    if !running.is_empty() {
        let ids: Vec<String> = running.iter().map(|o| o.id.clone()).collect();
        if !drs {
            let why = if !clustered {
                "it is a standalone host, so nothing can migrate them"
            } else {
                "its cluster does not have DRS enabled, so vCenter does not migrate them"
            };
            return Err(faults::timed_out(&format!(
                "Host {host_name} cannot enter maintenance mode: powered-on virtual machines {} remain on it and {why}. \
                 Power them off or migrate them first.",
                names(m, &ids)
            )));
        }
        for v in &running {
            let need = vm_memory_mb(v) + 64;
            let best = candidates
                .iter()
                .filter(|c| vm_state::host_serves(m, v, &c.id))
                .filter(|c| free.get(&c.id).copied().unwrap_or(0) >= need)
                .max_by_key(|c| {
                    (
                        free.get(&c.id).copied().unwrap_or(0),
                        std::cmp::Reverse(c.seq),
                    )
                });
            let Some(best) = best else {
                return Err(faults::timed_out(&format!(
                    "Host {host_name} cannot enter maintenance mode: DRS found no other host in the cluster that is \
                     connected, out of maintenance mode, sees the datastores and networks of {} ({}) and has {need} MB of memory free.",
                    v.name(),
                    v.id
                )));
            };
            if let Some(f) = free.get_mut(&best.id) {
                *f -= need;
            }
            plan.push((v.id.clone(), best.id.clone()));
        }
    }
    if evacuate_off && !parked.is_empty() {
        if drs {
            for v in &parked {
                let best = candidates
                    .iter()
                    .filter(|c| vm_state::host_serves(m, v, &c.id))
                    .max_by_key(|c| {
                        (
                            free.get(&c.id).copied().unwrap_or(0),
                            std::cmp::Reverse(c.seq),
                        )
                    });
                if let Some(best) = best {
                    plan.push((v.id.clone(), best.id.clone()));
                }
            }
        } else if clustered {
            let ids: Vec<String> = parked.iter().map(|o| o.id.clone()).collect();
            return Err(faults::timed_out(&format!(
                "Host {host_name} cannot enter maintenance mode with evacuatePoweredOffVms: its cluster has no DRS \
                 to move the powered-off virtual machines {}; move them first.",
                names(m, &ids)
            )));
        }
    }

    let moved_running = plan
        .iter()
        .filter(|(v, _)| m.get(v).is_some_and(|o| o.power() == Power::On))
        .count() as i64;
    for (v, target) in &plan {
        m.try_get_mut(v)?
            .set("runtime.host", reference("HostSystem", target));
    }
    if let Some(Meta::Compute(c)) = m.get_mut(&cr).map(|o| &mut o.meta) {
        c.vmotions += moved_running;
    }
    m.try_get_mut(id)?
        .set("runtime.inMaintenanceMode", Value::Bool(true));
    Ok(Value::Null)
}

/// Behaviour tests through the `Backend` trait, as a plugin sees it: every method's effect, every fault, and that a fault leaves the inventory as it
/// was.
#[cfg(test)]
mod backend_tests {
    use std::time::Duration;

    use serde_json::json;

    use crate::vocabulary::VsError;
    use crate::vsphere::sim::test_support::*;
    use crate::vsphere::sim::*;

    #[tokio::test]
    async fn maintenance_in_a_drs_cluster_migrates_running_vms() {
        let s = sim();
        let esx01 = find(&s, "DC0/host/prod/esx-01.lab.local");
        let before = ref_values(read(&s, &esx01, "vm").await);
        let running: Vec<String> = {
            let m = s.lock();
            before
                .iter()
                .filter(|v| m.get(v).is_some_and(|o| o.power() == model::Power::On))
                .cloned()
                .collect()
        };
        assert!(running.len() >= 2, "esx-01 runs VMs: {running:?}");
        ok(
            &s,
            &esx01,
            "EnterMaintenanceMode_Task",
            json!({"timeout": 0}),
        )
        .await;
        assert_eq!(
            read(&s, &esx01, "runtime.inMaintenanceMode").await,
            Some(json!(true))
        );
        let after = ref_values(read(&s, &esx01, "vm").await);
        for v in &running {
            assert!(!after.contains(v), "{v} left esx-01");
            let vm = MoRef::new("VirtualMachine", v.clone());
            let h = MoRef::from_json(&read(&s, &vm, "runtime.host").await.unwrap_or_default())
                .unwrap_or_else(|| panic!("host"));
            assert_ne!(h, esx01);
            assert!(ref_values(read(&s, &h, "vm").await).contains(v));
            assert_eq!(read_str(&s, &vm, "runtime.powerState").await, "poweredOn");
        }
        // The powered-off template stays without evacuatePoweredOffVms.
        let tpl = find(&s, "DC0/vm/templates/tpl-win2022");
        assert!(after.contains(&tpl.value));
        let prod = find(&s, "DC0/host/prod");
        assert_eq!(
            read(&s, &prod, "summary.numEffectiveHosts").await,
            Some(json!(2))
        );
        assert_eq!(
            read(&s, &prod, "summary.numVmotions").await,
            Some(json!(running.len()))
        );

        fails_unchanged(
            &s,
            &esx01,
            "EnterMaintenanceMode_Task",
            json!({"timeout": 0}),
            "InvalidState",
        )
        .await;
        ok(
            &s,
            &esx01,
            "ExitMaintenanceMode_Task",
            json!({"timeout": 0}),
        )
        .await;
        assert_eq!(
            read(&s, &esx01, "runtime.inMaintenanceMode").await,
            Some(json!(false))
        );
        fails_unchanged(
            &s,
            &esx01,
            "ExitMaintenanceMode_Task",
            json!({"timeout": 0}),
            "InvalidState",
        )
        .await;
    }

    #[tokio::test]
    async fn maintenance_evacuates_powered_off_vms_on_request() {
        let s = sim();
        let esx03 = find(&s, "DC0/host/prod/esx-03.lab.local");
        ok(
            &s,
            &esx03,
            "EnterMaintenanceMode_Task",
            json!({"timeout": 60, "evacuatePoweredOffVms": true}),
        )
        .await;
        assert_eq!(
            ref_values(read(&s, &esx03, "vm").await),
            Vec::<String>::new()
        );
    }

    #[tokio::test]
    async fn maintenance_fails_when_vms_cannot_leave() {
        let s = sim();
        // A standalone host with a running VM.
        let esx05 = find(&s, "DC0/host/esx-05.lab.local/esx-05.lab.local");
        let e = fails_unchanged(
            &s,
            &esx05,
            "EnterMaintenanceMode_Task",
            json!({"timeout": 0}),
            "Timedout",
        )
        .await;
        assert!(e.to_string().contains("legacy-01"), "{e}");
        // A cluster without DRS.
        let esx04 = find(&s, "DC0/host/dev/esx-04.lab.local");
        fails_unchanged(
            &s,
            &esx04,
            "EnterMaintenanceMode_Task",
            json!({"timeout": 0}),
            "Timedout",
        )
        .await;
        // Once the VM is off the standalone host can enter; then the VM cannot start there.
        let legacy = find(&s, "DC0/vm/infra/legacy-01");
        ok(&s, &legacy, "PowerOffVM_Task", json!({})).await;
        ok(
            &s,
            &esx05,
            "EnterMaintenanceMode_Task",
            json!({"timeout": 0}),
        )
        .await;
        let e = fails_unchanged(&s, &legacy, "PowerOnVM_Task", json!({}), "InvalidHostState").await;
        if let VsError::Fault(f) = e {
            assert_eq!(f.detail["host"]["value"], esx05.value);
        }
        // esx-06 is in maintenance mode in the fixture.
        let esx06 = find(&s, "DC0/host/dev/esx-06.lab.local");
        assert_eq!(
            read(&s, &esx06, "runtime.inMaintenanceMode").await,
            Some(json!(true))
        );
        fails_unchanged(
            &s,
            &esx06,
            "EnterMaintenanceMode_Task",
            json!({"timeout": 0}),
            "InvalidState",
        )
        .await;
    }

    #[tokio::test]
    async fn drs_cannot_evacuate_vms_on_local_storage() {
        let fixture = r#"{"datacenters": [{"name": "DC", "datastores": [{"name": "shared"}, {"name": "local-a"}],
            "networks": ["net"],
            "clusters": [{"name": "c", "drs": true, "hosts": [
                {"name": "a", "datastores": ["shared", "local-a"]}, {"name": "b", "datastores": ["shared"]}]}],
            "vms": [{"name": "pinned", "host": "a", "datastore": "local-a", "power": "poweredOn"},
                    {"name": "mobile", "host": "a", "datastore": "shared", "power": "poweredOn"}]}]}"#;
        let s = SimBackend::from_fixture_json(fixture)
            .unwrap_or_else(|e| panic!("{e}"))
            .with_task_delay(Duration::ZERO);
        let a = find(&s, "DC/host/c/a");
        let e = fails_unchanged(
            &s,
            &a,
            "EnterMaintenanceMode_Task",
            json!({"timeout": 30}),
            "Timedout",
        )
        .await;
        assert!(e.to_string().contains("pinned"), "{e}");
        ok(&s, &find(&s, "DC/vm/pinned"), "PowerOffVM_Task", json!({})).await;
        ok(&s, &a, "EnterMaintenanceMode_Task", json!({"timeout": 30})).await;
        let mobile = find(&s, "DC/vm/mobile");
        assert_eq!(
            read(&s, &mobile, "runtime.host")
                .await
                .and_then(|v| MoRef::from_json(&v)),
            Some(find(&s, "DC/host/c/b"))
        );
    }
}
