//! Maintenance mode as vCenter runs it. Entering waits until no powered-on
//! VM is left on the host; vCenter itself moves VMs only when DRS (fully
//! automated) can place them on other hosts of the cluster. When they cannot
//! leave, the real task sits until its timeout and then fails with
//! `Timedout`; the simulator fails at once with that fault and changes
//! nothing, whatever the timeout.

use std::collections::HashMap;

use serde_json::Value;

use crate::vocabulary::VsError;
use crate::vsphere::sim::args::Args;
use crate::vsphere::sim::faults;
use crate::vsphere::sim::model::{Meta, Model, Object, Power, reference};
use crate::vsphere::sim::vm;

/// A host's methods need it connected.
fn require_connected(h: &Object) -> Result<(), VsError> {
    if h.str("runtime.connectionState") == Some("connected") {
        Ok(())
    } else {
        Err(faults::not_connected("host"))
    }
}

/// `VM (vm-1), …` for fault messages.
fn names(m: &Model, vms: &[&Object]) -> String {
    vms.iter()
        .map(|v| format!("{} ({})", m.name(&v.id), v.id))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What entering maintenance mode has to move off a host, and where DRS may move it.
struct Evacuation<'m> {
    host_name: String,
    /// The VMs on the host that are powered on, in creation order.
    running: Vec<&'m Object>,
    /// The VMs on the host that are powered off or suspended, in creation order.
    parked: Vec<&'m Object>,
    clustered: bool,
    drs: bool,
    /// The other hosts of the cluster that can run VMs.
    candidates: Vec<&'m Object>,
    /// Memory each candidate has left in MB, lowered as the plan fills it.
    free: HashMap<String, i64>,
}

/// Memory a host has left for more VMs, in MB.
fn free_memory_mb(m: &Model, host: &Object) -> i64 {
    let used: i64 = m
        .objects()
        .filter(|v| {
            v.kind == "VirtualMachine"
                && v.ref_id("runtime.host").as_deref() == Some(host.id.as_str())
        })
        .map(vm::host_memory_mb)
        .sum();
    let total = host.int("hardware.memorySize").unwrap_or(0) / (1024 * 1024);
    let base = host.host_meta().map(|x| x.base_mem_mb).unwrap_or(0);
    total - base - used
}

impl<'m> Evacuation<'m> {
    fn of(m: &'m Model, host: &Object, compute: &str) -> Evacuation<'m> {
        let mut on_host: Vec<&Object> = m
            .objects()
            .filter(|o| {
                o.kind == "VirtualMachine"
                    && o.ref_id("runtime.host").as_deref() == Some(host.id.as_str())
            })
            .collect();
        on_host.sort_by_key(|o| o.seq);
        let (running, parked): (Vec<&Object>, Vec<&Object>) =
            on_host.into_iter().partition(|o| o.power() == Power::On);
        let cr_obj = m.get(compute);
        let clustered = cr_obj.is_some_and(|c| c.kind == "ClusterComputeResource");
        let candidates: Vec<&Object> = m
            .children(compute)
            .into_iter()
            .filter(|c| *c != host.id)
            .filter_map(|c| m.get(&c))
            .filter(|c| c.kind == "HostSystem" && vm::host_can_run_vms(c))
            .collect();
        let free = candidates
            .iter()
            .map(|c| (c.id.clone(), free_memory_mb(m, c)))
            .collect();
        Evacuation {
            host_name: host.name().to_string(),
            running,
            parked,
            clustered,
            drs: clustered && cr_obj.is_some_and(|c| c.flag("configurationEx.drsConfig.enabled")),
            candidates,
            free,
        }
    }

    fn free(&self, host: &str) -> i64 {
        self.free.get(host).copied().unwrap_or(0)
    }

    /// The candidate DRS would pick for `v`: one that sees its datastores and
    /// networks (and has `need` MB free, when given), the emptiest first.
    fn best_host(&self, m: &Model, v: &Object, need: Option<i64>) -> Option<&'m Object> {
        self.candidates
            .iter()
            .copied()
            .filter(|c| vm::host_serves(m, v, &c.id))
            .filter(|c| need.is_none_or(|n| self.free(&c.id) >= n))
            .max_by_key(|c| (self.free(&c.id), std::cmp::Reverse(c.seq)))
    }

    /// Where each running VM goes, or `Timedout` when one cannot go anywhere.
    fn plan_running(&mut self, m: &Model) -> Result<Vec<(String, String)>, VsError> {
        if self.running.is_empty() {
            return Ok(Vec::new());
        }
        if !self.drs {
            let why = if !self.clustered {
                "it is a standalone host, so nothing can migrate them"
            } else {
                "its cluster does not have DRS enabled, so vCenter does not migrate them"
            };
            return Err(faults::timed_out(&format!(
                "Host {} cannot enter maintenance mode: powered-on virtual machines {} remain on it and {why}. \
                 Power them off or migrate them first.",
                self.host_name,
                names(m, &self.running)
            )));
        }
        let mut plan = Vec::new();
        for v in self.running.clone() {
            let need = vm::memory_mb(v) + 64;
            let Some(best) = self.best_host(m, v, Some(need)) else {
                return Err(faults::timed_out(&format!(
                    "Host {} cannot enter maintenance mode: DRS found no other host in the cluster that is \
                     connected, out of maintenance mode, sees the datastores and networks of {} ({}) and has {need} MB of memory free.",
                    self.host_name,
                    v.name(),
                    v.id
                )));
            };
            if let Some(f) = self.free.get_mut(&best.id) {
                *f -= need;
            }
            plan.push((v.id.clone(), best.id.clone()));
        }
        Ok(plan)
    }

    /// Where each powered-off VM goes (`evacuatePoweredOffVms`): wherever DRS
    /// finds room; a cluster without DRS cannot move them.
    fn plan_parked(&self, m: &Model) -> Result<Vec<(String, String)>, VsError> {
        if self.parked.is_empty() {
            return Ok(Vec::new());
        }
        if self.drs {
            return Ok(self
                .parked
                .iter()
                .filter_map(|v| Some((v.id.clone(), self.best_host(m, v, None)?.id.clone())))
                .collect());
        }
        if self.clustered {
            return Err(faults::timed_out(&format!(
                "Host {} cannot enter maintenance mode with evacuatePoweredOffVms: its cluster has no DRS \
                 to move the powered-off virtual machines {}; move them first.",
                self.host_name,
                names(m, &self.parked)
            )));
        }
        Ok(Vec::new())
    }
}

/// `EnterMaintenanceMode_Task`: plan every move first, then make them all.
pub(super) fn enter(m: &mut Model, id: &str, a: &Args) -> Result<Value, VsError> {
    a.int("timeout")?;
    let evacuate_off = a.opt_boolean("evacuatePoweredOffVms")?.unwrap_or(false);
    a.opt_data("maintenanceSpec", "HostMaintenanceSpec")?;
    let h = m.try_get(id)?;
    if h.flag("runtime.inMaintenanceMode") {
        return Err(faults::invalid_state(&format!(
            "host {} is already in maintenance mode",
            h.name()
        )));
    }
    require_connected(h)?;
    let compute = m.compute_of_host(id).unwrap_or_default();
    let mut evacuation = Evacuation::of(m, h, &compute);
    let mut plan = evacuation.plan_running(m)?;
    if evacuate_off {
        plan.extend(evacuation.plan_parked(m)?);
    }
    let moved_running = plan
        .iter()
        .filter(|(v, _)| m.get(v).is_some_and(|o| o.power() == Power::On))
        .count() as i64;
    for (v, target) in &plan {
        m.try_get_mut(v)?
            .set("runtime.host", reference("HostSystem", target));
    }
    if let Some(Meta::Compute(c)) = m.get_mut(&compute).map(|o| &mut o.meta) {
        c.vmotions += moved_running;
    }
    m.try_get_mut(id)?
        .set("runtime.inMaintenanceMode", Value::Bool(true));
    Ok(Value::Null)
}

/// `ExitMaintenanceMode_Task`.
pub(super) fn exit(m: &mut Model, id: &str, a: &Args) -> Result<Value, VsError> {
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

/// Behaviour tests through the `Backend` trait, as a plugin sees it: every
/// method's effect, every fault, and that a fault leaves the inventory as it was.
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
