//! The `storage` tool group: list, inspect and browse datastores (MCP tools
//! `infra.vmware.storage.*`).
//!
//! This file declares the tools and their argument types; the work lives in
//! one module per tool. Datastore arguments accept a name, an inventory path
//! (`DC0/datastore/ds1`) or an id (`datastore-12`).

mod browse;
mod info;
mod list;
mod summary;

use serde::Deserialize;
use vmware_plugin_sdk::prelude::*;

/// Arguments of tools that act on one datastore.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct DatastoreArgs {
    /// The datastore: name, inventory path or id.
    #[schemars(length(min = 1))]
    datastore_name: String,
}

/// The group's tools; built on every call (cheap) because handlers are not `Sync`.
fn toolbox() -> Toolbox {
    Toolbox::new("storage", env!("CARGO_PKG_VERSION"))
        // Exactly the types the tools read (hosts and VMs for their names);
        // browseDatastore invokes its one search, a read.
        .reads(&[
            "Datastore",
            "ClusterComputeResource",
            "Datacenter",
            "HostSystem",
            "VirtualMachine",
        ])
        .tool(
            ToolSpec::new(
                "listDatastores",
                "List datastores: type, capacity, free and provisioned space, accessibility, maintenance, host and VM counts.",
            )
            .read_only(),
            |args: list::ListArgs| list::list_datastores(&args),
        )
        .tool(
            ToolSpec::new(
                "getDatastoreInfo",
                "Show one datastore: its summary, URL, hosts and VMs.",
            )
            .read_only(),
            |args: DatastoreArgs| info::datastore_info(&args.datastore_name),
        )
        .tool(
            ToolSpec::new(
                "browseDatastore",
                "List the files in a datastore folder: name, type, size, modified.",
            )
            .invokes(&[browse::SEARCH_DATASTORE])
            .read_only(),
            |args: browse::BrowseArgs| browse::browse(&args),
        )
}

vmware_plugin_sdk::export_tool_group!(toolbox);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declares_the_contracted_tools() {
        let manifest = toolbox().manifest();
        assert_eq!(manifest.group, "storage");
        let names: Vec<&str> = manifest.tools.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            ["listDatastores", "getDatastoreInfo", "browseDatastore"]
        );
        assert!(manifest.tools.iter().all(|t| t.annotations.read_only));
    }

    #[test]
    fn bad_arguments_fail_before_any_vsphere_call() {
        let toolbox = toolbox();
        assert!(
            matches!(toolbox.call("getDatastoreInfo", "{}"), Err(Error::InvalidArgument(m)) if m.contains("datastoreName"))
        );
        assert!(
            matches!(toolbox.call("listDatastores", r#"{"datastore": "x"}"#), Err(Error::InvalidArgument(m)) if m.contains("datastore"))
        );
    }
}
