//! What a VM consumes: memory, CPU and datastore space, from its configured
//! hardware, its power state and the sim-only load of its guest. Its own
//! quick statistics show them, and so do the host, resource pool and
//! datastore it uses; maintenance mode and fixtures size things by them.

use crate::vsphere::sim::model::{Model, Object, Power};

/// The VM's configured memory in MB.
pub(in crate::vsphere::sim) fn memory_mb(vm: &Object) -> i64 {
    vm.int("config.hardware.memoryMB").unwrap_or(0)
}

/// The VM's vCPUs.
pub(super) fn num_cpu(vm: &Object) -> i64 {
    vm.int("config.hardware.numCPU").unwrap_or(0)
}

/// Bytes the VM's files take on its datastore: disks, a few MB of
/// configuration and logs, and a swap or suspend file the size of its memory
/// while it is on or suspended.
pub(in crate::vsphere::sim) fn committed_bytes(vm: &Object) -> i64 {
    let disks: i64 = super::devices::disks(vm)
        .filter_map(|d| d.get("capacityInBytes").and_then(serde_json::Value::as_i64))
        .sum();
    let memory = if vm.power() == Power::Off {
        0
    } else {
        memory_mb(vm) * 1024 * 1024
    };
    disks + memory + 2 * 1024 * 1024
}

/// The clock of the VM's host in MHz, which its CPU use is counted in.
pub(super) fn host_mhz(m: &Model, vm: &Object) -> i64 {
    vm.ref_id("runtime.host")
        .and_then(|h| m.get(&h))
        .and_then(Object::host_meta)
        .map(|h| h.cpu_mhz)
        .unwrap_or(2000)
}

/// The VM's CPU use in MHz (`summary.quickStats.overallCpuUsage`).
pub(in crate::vsphere::sim) fn cpu_usage_mhz(m: &Model, vm: &Object) -> i64 {
    if vm.power() != Power::On {
        return 0;
    }
    let pct = vm.vm_meta().map(|x| x.cpu_pct).unwrap_or(10);
    num_cpu(vm) * host_mhz(m, vm) * pct / 100
}

/// Guest memory in use in MB (`summary.quickStats.guestMemoryUsage`).
pub(super) fn guest_memory_mb(vm: &Object) -> i64 {
    if vm.power() != Power::On {
        return 0;
    }
    memory_mb(vm) * vm.vm_meta().map(|x| x.mem_pct).unwrap_or(20) / 100
}

/// Host memory the VM consumes in MB (`summary.quickStats.hostMemoryUsage`).
pub(in crate::vsphere::sim) fn host_memory_mb(vm: &Object) -> i64 {
    if vm.power() != Power::On {
        return 0;
    }
    (guest_memory_mb(vm) + memory_mb(vm) / 20 + 32).min(memory_mb(vm) + 64)
}
