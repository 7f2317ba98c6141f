//! A VM's virtual hardware device list (`config.hardware.device`): building
//! it as vCenter lays it out (a paravirtual SCSI controller, the disks on it,
//! one VMXNET3 NIC per network) and reading the disks and NICs back out of
//! it, for the summary, the datastore space and clones.

use serde_json::{Value, json};

use super::params::VmParams;
use crate::vsphere::MoRef;
use crate::vsphere::sim::model::{Model, Object, reference, uuid_from};

/// The devices in a `VirtualHardware` value (none when it has none).
pub(super) fn of_hardware(hardware: &Value) -> &[Value] {
    match hardware.get("device") {
        Some(Value::Array(a)) => a,
        _ => &[],
    }
}

/// The VM's devices.
pub(super) fn of_vm(vm: &Object) -> &[Value] {
    vm.get("config.hardware").map(of_hardware).unwrap_or(&[])
}

/// True for a network adapter (the devices with a MAC address).
pub(super) fn is_nic(d: &Value) -> bool {
    d.get("macAddress").is_some()
}

/// True for a virtual disk.
pub(super) fn is_disk(d: &Value) -> bool {
    d.get("_typeName").and_then(Value::as_str) == Some("VirtualDisk")
}

/// The VM's virtual disks.
pub(super) fn disks(vm: &Object) -> impl Iterator<Item = &Value> {
    of_vm(vm).iter().filter(|d| is_disk(d))
}

/// The networks the NICs among `devices` are backed by, one per NIC.
pub(super) fn nic_networks(devices: &[Value]) -> impl Iterator<Item = &Value> {
    devices
        .iter()
        .filter_map(|d| d.get("backing").and_then(|b| b.get("network")))
}

/// The ids of the networks the NICs among `devices` are backed by, one per NIC.
pub(super) fn nic_network_ids(devices: &[Value]) -> Vec<String> {
    nic_networks(devices)
        .filter_map(MoRef::from_json)
        .map(|r| r.value)
        .collect()
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

/// The paravirtual SCSI controller every disk hangs off.
fn scsi_controller(disk_count: usize) -> Value {
    let disk_keys: Vec<i64> = (0..disk_count as i64).map(|i| 2000 + i).collect();
    json!({
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
    })
}

/// Disk `i` of `kb` KB, thin, in the VM's directory `dir` on `ds_name`.
fn disk(p: &VmParams, i: usize, kb: i64, ds_name: &str, dir: &str) -> Value {
    let file = if i == 0 {
        format!("[{ds_name}] {dir}/{}.vmdk", p.name)
    } else {
        format!("[{ds_name}] {dir}/{}_{i}.vmdk", p.name)
    };
    // Unit 7 is the controller's own.
    let unit = if i >= 7 { i as i64 + 1 } else { i as i64 };
    json!({
        "_typeName": "VirtualDisk",
        "key": 2000 + i as i64,
        "deviceInfo": { "_typeName": "Description", "label": format!("Hard disk {}", i + 1), "summary": format!("{} KB", thousands(kb)) },
        "backing": {
            "_typeName": "VirtualDiskFlatVer2BackingInfo",
            "fileName": file,
            "datastore": reference("Datastore", &p.placement.datastore),
            "diskMode": "persistent",
            "thinProvisioned": true,
            "eagerlyScrub": false,
            "uuid": uuid_from(&format!("{}/disk{i}", p.identity.instance_uuid)).replace('-', "").to_uppercase(),
        },
        "controllerKey": 1000,
        "unitNumber": unit,
        "capacityInKB": kb,
        "capacityInBytes": kb * 1024,
    })
}

/// NIC `i` on the network `net`, with a MAC address vCenter assigns.
fn nic(m: &mut Model, i: usize, net: &str) -> Value {
    let net_name = m.name(net).to_string();
    let mac = m.alloc_mac();
    json!({
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
    })
}

/// The device list of a new VM: the controller, the disks and the NICs.
pub(super) fn build(m: &mut Model, p: &VmParams, ds_name: &str, dir: &str) -> Vec<Value> {
    let mut devs = vec![scsi_controller(p.hardware.disks_kb.len())];
    for (i, kb) in p.hardware.disks_kb.iter().enumerate() {
        devs.push(disk(p, i, *kb, ds_name, dir));
    }
    for (i, net) in p.placement.networks.iter().enumerate() {
        devs.push(nic(m, i, net));
    }
    devs
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
}
