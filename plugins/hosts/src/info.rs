//! `getHostInfo`: one host in detail.
//!
//! The summary plus hardware identity, uptime, and the names of the host's
//! VMs and datastores (named from the host's inventory index).

use vmware_plugin_sdk::prelude::*;

use crate::summary::{SUMMARY_PROPS, schema_properties, summarize_with_names};

/// The result schema: the summary's fields plus the detail ones.
pub fn output_schema() -> Value {
    let mut properties = schema_properties();
    properties.extend([
        ("vendor", schema::nullable("string")),
        ("model", schema::nullable("string")),
        ("cpuModel", schema::nullable("string")),
        ("uptimeSeconds", schema::nullable("integer")),
        ("vms", schema::array_of(schema::of("object"))),
        ("datastores", schema::array_of(schema::of("object"))),
    ]);
    schema::result_object(&properties)
}

/// Show the host named by `host_argument`.
pub fn host_info(host_argument: &str) -> Result<Value> {
    let host = inventory::resolve(Kind::HostSystem, host_argument)?;
    let mut properties: Vec<&str> = SUMMARY_PROPS.to_vec();
    properties.push("datastore");
    let object = vsphere::read_one(&host.reference, &properties)?;

    let vm_refs = object.get_refs("vm");
    let datastore_refs = object.get_refs("datastore");
    let mut referenced = vm_refs.clone();
    referenced.extend(datastore_refs.iter().cloned());
    let names = inventory::names(&referenced);
    let named = |r: &MoRef| json!({ "name": names.get(r), "id": r.value });

    let mut info = summarize_with_names(&object, &host);
    info["vendor"] = json!(object.get_str("summary.hardware.vendor"));
    info["model"] = json!(object.get_str("summary.hardware.model"));
    info["cpuModel"] = json!(object.get_str("summary.hardware.cpuModel"));
    info["uptimeSeconds"] = json!(object.get_i64("summary.quickStats.uptime"));
    info["vms"] = Value::Array(vm_refs.iter().map(named).collect());
    info["datastores"] = Value::Array(datastore_refs.iter().map(named).collect());
    Ok(info)
}
