//! An example tool group a team could ship on its own: datastores. It is not
//! built into the server; it is loaded with `--plugins DIR` and reaches
//! vSphere only through the generic `retrieve`, which is the point: a new
//! group needs no change to the host or to the WIT contract.

use vmware_plugin_sdk::prelude::*;

/// Bytes in a GiB, for readable capacities.
const GIB: f64 = (1u64 << 30) as f64;

/// Every datastore with its type, capacity, free space and VM count.
fn list_datastores(_: NoArgs) -> Result<Value> {
    let stores = vsphere::retrieve(
        "Datastore",
        None,
        true,
        &[
            "name",
            "summary.type",
            "summary.capacity",
            "summary.freeSpace",
            "summary.accessible",
            "vm",
        ],
    )?;
    let rows: Vec<Value> = stores
        .iter()
        .map(|d| {
            let capacity = d.get_i64("summary.capacity").unwrap_or(0) as f64;
            let free = d.get_i64("summary.freeSpace").unwrap_or(0) as f64;
            json!({
                "name": d.name(),
                "id": d.reference.value,
                "type": d.get_str("summary.type"),
                "accessible": d.get_bool("summary.accessible"),
                "capacityGB": (capacity / GIB * 10.0).round() / 10.0,
                "freeGB": (free / GIB * 10.0).round() / 10.0,
                "vmCount": d.get_refs("vm").len(),
            })
        })
        .collect();
    Ok(json!({ "count": rows.len(), "datastores": rows }))
}

/// The group's one tool.
fn toolbox() -> Toolbox {
    Toolbox::new("datastores", env!("CARGO_PKG_VERSION"))
        // Read-only: it reads datastores and invokes nothing, so the host
        // refuses any method it might try and its role needs no privilege
        // beyond reading.
        .reads(&["Datastore"])
        .tool(
            ToolSpec::new(
                "listDatastores",
                "List datastores with type, capacity, free space and how many VMs use each. Read-only.",
            )
            .read_only(),
            list_datastores,
        )
}

vmware_plugin_sdk::export_tool_group!(toolbox);
