//! Summaries of a VM's virtual disks and network adapters.
//!
//! `config.hardware.device` lists every virtual device; an agent wants the
//! disks (size, file) and NICs (MAC, network, connected), not controllers and
//! keyboards. Pure functions over the VI/JSON list, so they are unit-tested.

use serde_json::{Value, json};
use vmware_plugin_sdk::json::{as_bool, as_i64, as_str, lookup};

/// Device types that are network adapters (all extend `VirtualEthernetCard`).
const NIC_TYPES: [&str; 8] = [
    "VirtualE1000",
    "VirtualE1000e",
    "VirtualPCNet32",
    "VirtualVmxnet",
    "VirtualVmxnet2",
    "VirtualVmxnet3",
    "VirtualVmxnet3Vrdma",
    "VirtualSriovEthernetCard",
];

/// The disks and NICs among `devices`, as `(disks, nics)` result rows.
pub fn summarize(devices: &[Value]) -> (Vec<Value>, Vec<Value>) {
    let mut disks = Vec::new();
    let mut nics = Vec::new();
    for device in devices {
        let type_name = device
            .get("_typeName")
            .and_then(Value::as_str)
            .unwrap_or("");
        if type_name == "VirtualDisk" {
            disks.push(disk(device));
        } else if NIC_TYPES.contains(&type_name) || device.get("macAddress").is_some() {
            nics.push(nic(device, type_name));
        }
    }
    (disks, nics)
}

fn label(device: &Value, fallback: &str) -> String {
    lookup(device, "deviceInfo.label")
        .and_then(as_str)
        .map(str::to_string)
        .unwrap_or_else(|| match lookup(device, "key").and_then(as_i64) {
            Some(key) => format!("{fallback} {key}"),
            None => fallback.to_string(),
        })
}

fn disk(device: &Value) -> Value {
    let bytes = lookup(device, "capacityInBytes")
        .and_then(as_i64)
        .or_else(|| {
            lookup(device, "capacityInKB")
                .and_then(as_i64)
                .map(|kb| kb.saturating_mul(1024))
        });
    let gigabytes = bytes.map(|b| (b as f64 / 1_073_741_824.0 * 100.0).round() / 100.0);
    json!({
        "label": label(device, "Disk"),
        "capacityGB": gigabytes,
        "file": lookup(device, "backing.fileName").and_then(as_str),
        "thinProvisioned": lookup(device, "backing.thinProvisioned").and_then(as_bool),
    })
}

fn nic(device: &Value, type_name: &str) -> Value {
    let network = lookup(device, "backing.deviceName")
        .and_then(as_str)
        .or_else(|| lookup(device, "backing.port.portgroupKey").and_then(as_str));
    json!({
        "label": label(device, "Network adapter"),
        "type": type_name.strip_prefix("Virtual").unwrap_or(type_name),
        "macAddress": lookup(device, "macAddress").and_then(as_str),
        "network": network,
        "connected": lookup(device, "connectable.connected").and_then(as_bool),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_disks_and_nics() {
        let devices = vec![
            json!({"_typeName": "VirtualIDEController", "key": 200, "deviceInfo": {"label": "IDE 0"}}),
            json!({"_typeName": "VirtualDisk", "key": 2000, "deviceInfo": {"_typeName": "Description", "label": "Hard disk 1"},
                   "capacityInKB": 10485760, "backing": {"_typeName": "VirtualDiskFlatVer2BackingInfo", "fileName": "[LocalDS_0] db1/db1.vmdk", "thinProvisioned": true}}),
            json!({"_typeName": "VirtualDisk", "key": 2001, "capacityInBytes": 1610612736}),
            json!({"_typeName": "VirtualE1000", "key": 4000, "deviceInfo": {"label": "Network adapter 1"}, "macAddress": "00:50:56:aa:bb:cc",
                   "backing": {"deviceName": "VM Network"}, "connectable": {"connected": true}}),
            json!({"_typeName": "VirtualVmxnet3", "key": 4001, "backing": {"port": {"portgroupKey": "dvportgroup-11"}}}),
        ];
        let (disks, nics) = summarize(&devices);
        assert_eq!(disks.len(), 2);
        assert_eq!(disks[0]["label"], "Hard disk 1");
        assert_eq!(disks[0]["capacityGB"], 10.0);
        assert_eq!(disks[0]["file"], "[LocalDS_0] db1/db1.vmdk");
        assert_eq!(disks[0]["thinProvisioned"], true);
        assert_eq!(disks[1]["label"], "Disk 2001");
        assert_eq!(disks[1]["capacityGB"], 1.5);
        assert_eq!(disks[1]["file"], Value::Null);
        assert_eq!(nics.len(), 2);
        assert_eq!(nics[0]["type"], "E1000");
        assert_eq!(nics[0]["network"], "VM Network");
        assert_eq!(nics[0]["connected"], true);
        assert_eq!(nics[1]["network"], "dvportgroup-11");
        assert_eq!(nics[1]["macAddress"], Value::Null);
        assert_eq!(summarize(&[]), (vec![], vec![]));
    }
}
