//! Host-side bindings generated from `wit/`, so the host and the plugins are
//! compiled against the very same contract.

wasmtime::component::bindgen!({
    world: "tool-group-plugin",
    path: "../wit",
});

pub use exports::infra::vmware::tool_group;
pub use infra::vmware::{approval, log, types, vsphere};
