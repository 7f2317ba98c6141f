//! A tool group built straight from the frozen `infra:vmware@0.2.0` WIT
//! (`plugins/sdk/wit/since_v0.2.0`), without the SDK, the way a team's group built
//! before 0.3.0 looks. The host must keep loading and running it through
//! its 0.2.0 translations: the end-to-end test `contract_versions` calls
//! its tools through MCP, which exercise what 0.2.0 added (`inventory`),
//! `vsphere`, and an error crossing back (`not-found`).

#[allow(missing_docs, clippy::all)]
mod bindings {
    wit_bindgen::generate!({
        path: "../../sdk/wit/since_v0.2.0",
        world: "tool-group-plugin",
    });
}

use bindings::exports::infra::vmware::tool_group::{Annotations, Guest, Manifest, Tool};
use bindings::infra::vmware::inventory::{self, Kind, Query};
use bindings::infra::vmware::types::Error;
use bindings::infra::vmware::vsphere::{self, RetrieveRequest};

// Natively (`cargo build --workspace`) nothing is exported: the WIT export
// names are not valid native symbol names, so the native library would not link.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
struct LegacyV02;

/// A read-only tool of this group, as 0.2.0 declares it.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn read_tool(name: &str, description: &str, input_schema: &str) -> Tool {
    Tool {
        name: name.into(),
        description: description.into(),
        input_schema: input_schema.into(),
        output_schema: None,
        annotations: Annotations {
            read_only: true,
            destructive: false,
            idempotent: true,
        },
    }
}

impl Guest for LegacyV02 {
    fn describe() -> Manifest {
        Manifest {
            group: "legacy2".into(),
            version: "0.2.0".into(),
            tools: vec![
                read_tool(
                    "countVms",
                    "Count the inventory's virtual machines two ways (a 0.2.0 component, for the contract-version test).",
                    r#"{"type":"object","properties":{},"additionalProperties":false}"#,
                ),
                read_tool(
                    "resolveVm",
                    "Resolve a VM by name through 0.2.0's inventory (for the contract-version test).",
                    r#"{"type":"object","properties":{"vmName":{"type":"string","minLength":1}},"required":["vmName"],"additionalProperties":false}"#,
                ),
            ],
        }
    }

    fn call(tool: String, arguments: String) -> Result<String, Error> {
        match tool.as_str() {
            "countVms" => count_vms(),
            "resolveVm" => {
                let args: serde_json::Value = serde_json::from_str(&arguments)
                    .map_err(|e| Error::InvalidArgument(e.to_string()))?;
                let name = args["vmName"].as_str().unwrap_or_default();
                let vm = inventory::resolve(Kind::VirtualMachine, name)?;
                Ok(serde_json::json!({
                    "id": vm.ref_.value,
                    "name": vm.name,
                    "path": vm.path,
                    "contract": "0.2.0",
                })
                .to_string())
            }
            other => Err(Error::InvalidArgument(format!("no tool {other}"))),
        }
    }
}

/// The VM count through `inventory.select` and through `vsphere.retrieve`.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn count_vms() -> Result<String, Error> {
    let query = Query {
        kind: Kind::VirtualMachine,
        scope: None,
        conditions: Vec::new(),
    };
    let page = inventory::select(&query, 1, None)?;
    let retrieved = vsphere::retrieve(&RetrieveRequest {
        object_type: "VirtualMachine".into(),
        root: None,
        recursive: true,
        properties: vec!["name".into()],
    })?;
    Ok(serde_json::json!({
        "selected": page.total,
        "retrieved": retrieved.len(),
        "contract": "0.2.0",
    })
    .to_string())
}

#[cfg(target_arch = "wasm32")]
bindings::export!(LegacyV02 with_types_in bindings);

// Natively, this use keeps the tools live (no dead-code warnings).
#[cfg(not(target_arch = "wasm32"))]
const _: () = {
    let _ = <LegacyV02 as Guest>::describe;
    let _ = <LegacyV02 as Guest>::call;
};
