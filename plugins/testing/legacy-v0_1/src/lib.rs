//! A tool group built straight from the frozen `infra:vmware@0.1.0` WIT
//! (`plugins/sdk/wit/since_v0.1.0`), without the SDK, the way a team's group built
//! before 0.2.0 looks. The host must keep loading and running it: the
//! end-to-end test `contract_versions` calls its tool through MCP.

#[allow(missing_docs, clippy::all)]
mod bindings {
    wit_bindgen::generate!({
        path: "../../sdk/wit/since_v0.1.0",
        world: "tool-group-plugin",
    });
}

use bindings::exports::infra::vmware::tool_group::{Annotations, Guest, Manifest, Tool};
use bindings::infra::vmware::types::Error;
use bindings::infra::vmware::vsphere::{self, RetrieveRequest};

// Natively (`cargo build --workspace`) nothing is exported: the WIT export
// names are not valid native symbol names, so the native library would not link.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
struct Legacy;

impl Guest for Legacy {
    fn describe() -> Manifest {
        Manifest {
            group: "legacy".into(),
            version: "0.1.0".into(),
            tools: vec![Tool {
                name: "countVms".into(),
                description: "Count the inventory's virtual machines (a 0.1.0 component, for the contract-version test).".into(),
                input_schema: r#"{"type":"object","properties":{},"additionalProperties":false}"#.into(),
                output_schema: None,
                annotations: Annotations {
                    read_only: true,
                    destructive: false,
                    idempotent: true,
                },
            }],
        }
    }

    fn call(tool: String, _arguments: String) -> Result<String, Error> {
        if tool != "countVms" {
            return Err(Error::InvalidArgument(format!("no tool {tool}")));
        }
        let vms = vsphere::retrieve(&RetrieveRequest {
            object_type: "VirtualMachine".into(),
            root: None,
            recursive: true,
            properties: vec!["name".into()],
        })?;
        let mut names: Vec<String> = vms
            .iter()
            .flat_map(|vm| vm.properties.iter())
            .filter(|p| p.path == "name")
            .filter_map(|p| serde_json::from_str::<String>(&p.value).ok())
            .collect();
        names.sort();
        Ok(
            serde_json::json!({ "count": vms.len(), "names": names, "contract": "0.1.0" })
                .to_string(),
        )
    }
}

#[cfg(target_arch = "wasm32")]
bindings::export!(Legacy with_types_in bindings);

// Natively, this use keeps the tool live (no dead-code warnings).
#[cfg(not(target_arch = "wasm32"))]
const _: () = {
    let _ = <Legacy as Guest>::describe;
    let _ = <Legacy as Guest>::call;
};
