//! Collected objects with typed getters.
//!
//! `retrieve` returns each object's set properties keyed by the path that was
//! requested. [`Obj::get`] also reaches inside a property (`summary.hardware`
//! collected, `summary.hardware.cpuMhz` asked), and every getter treats an
//! absent property as `None`, because vSphere omits unset properties.

use serde_json::{Map, Value};

use crate::json;
use crate::moref::MoRef;

/// One collected object: its reference and its set properties by path.
#[derive(Debug, Clone, PartialEq)]
pub struct Obj {
    /// The object's reference.
    pub reference: MoRef,
    /// The set properties, keyed by the requested path, as VI/JSON.
    pub props: Map<String, Value>,
}

impl Obj {
    /// An object with no properties yet, for tests and for callers that
    /// assemble objects themselves.
    pub fn new(reference: MoRef) -> Self {
        Obj {
            reference,
            props: Map::new(),
        }
    }

    /// Add a property (builder style), mostly for tests.
    pub fn with(mut self, path: &str, value: Value) -> Self {
        self.props.insert(path.to_string(), value);
        self
    }

    /// The value at `path`: the property itself when collected under that
    /// path, otherwise the longest collected prefix walked to the rest
    /// (`summary.hardware` + `cpuMhz`). Boxes are looked through, and null
    /// or an empty string (how some servers send an unset property) is
    /// treated as absent.
    pub fn get(&self, path: &str) -> Option<&Value> {
        self.lookup(path).filter(|v| v.as_str() != Some(""))
    }

    fn lookup(&self, path: &str) -> Option<&Value> {
        if let Some(value) = self.props.get(path) {
            return json::lookup(value, "");
        }
        let mut split = path.len();
        while let Some(dot) = path[..split].rfind('.') {
            if let Some(value) = self.props.get(&path[..dot]) {
                return json::lookup(value, &path[dot + 1..]);
            }
            split = dot;
        }
        None
    }

    /// A string property.
    pub fn get_str(&self, path: &str) -> Option<&str> {
        self.get(path).and_then(json::as_str)
    }

    /// An integer property (`int`, `long`, `short`).
    pub fn get_i64(&self, path: &str) -> Option<i64> {
        self.get(path).and_then(json::as_i64)
    }

    /// A boolean property.
    pub fn get_bool(&self, path: &str) -> Option<bool> {
        self.get(path).and_then(json::as_bool)
    }

    /// A managed object reference property, e.g. `runtime.host`.
    pub fn get_ref(&self, path: &str) -> Option<MoRef> {
        self.get(path).and_then(MoRef::from_json)
    }

    /// An array of references, e.g. `datastore`; empty when unset.
    pub fn get_refs(&self, path: &str) -> Vec<MoRef> {
        self.get(path).map(json::as_refs).unwrap_or_default()
    }

    /// An array property's items; empty when unset.
    pub fn get_array(&self, path: &str) -> &[Value] {
        self.get(path)
            .and_then(json::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The `name` property, or the object's id when the name was not
    /// collected, so messages always have something to show.
    pub fn name(&self) -> &str {
        self.get_str("name").unwrap_or(&self.reference.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn host() -> Obj {
        Obj::new(MoRef::new("HostSystem", "host-1"))
            .with("name", json!("esx1"))
            .with("summary.hardware", json!({"_typeName": "HostHardwareSummary", "cpuMhz": 2400, "numCpuCores": 8}))
            .with("runtime.inMaintenanceMode", json!(false))
            .with("parent", json!({"_typeName": "ManagedObjectReference", "type": "ClusterComputeResource", "value": "domain-c7"}))
            .with("vm", json!([{"type": "VirtualMachine", "value": "vm-1"}, {"type": "VirtualMachine", "value": "vm-2"}]))
            .with("guest.ipAddress", Value::Null)
            .with("guest.hostName", json!(""))
    }

    #[test]
    fn getters_read_exact_and_nested_paths() {
        let host = host();
        assert_eq!(host.name(), "esx1");
        assert_eq!(host.get_i64("summary.hardware.cpuMhz"), Some(2400));
        assert_eq!(host.get_i64("summary.hardware.numCpuThreads"), None);
        assert_eq!(host.get_bool("runtime.inMaintenanceMode"), Some(false));
        assert_eq!(
            host.get_ref("parent"),
            Some(MoRef::new("ClusterComputeResource", "domain-c7"))
        );
        assert_eq!(host.get_refs("vm").len(), 2);
        assert_eq!(host.get_refs("datastore"), Vec::<MoRef>::new());
        assert_eq!(host.get_str("guest.ipAddress"), None);
        assert_eq!(host.get_str("guest.hostName"), None);
        assert_eq!(host.get_str("summary"), None);
        assert!(host.get_array("nothing").is_empty());
        assert_eq!(
            Obj::new(MoRef::new("Folder", "group-v3")).name(),
            "group-v3"
        );
    }
}
