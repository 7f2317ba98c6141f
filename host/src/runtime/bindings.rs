//! Host-side bindings generated from `wit/`, so the host and the plugins are
//! compiled against the very same contract. The generated items carry the
//! WIT file's own doc comments where wasmtime emits them.

#![allow(missing_docs)]

wasmtime::component::bindgen!({
    world: "tool-group-plugin",
    path: "../wit",
});

pub use exports::infra::vmware::tool_group;
pub use infra::vmware::{approval, log, types, vsphere};
