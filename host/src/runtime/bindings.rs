//! Host-side bindings generated from the SDK's `plugins/sdk/wit/` (the one
//! copy of every contract version, owned by the SDK as Zed's `extension_api`
//! owns its WIT), so the host and the plugins are compiled against the very
//! same contract. Each contract version the host
//! serves has its own module: `v0_3` (current) and the frozen `v0_2` and
//! `v0_1`. The generated items carry the WIT file's own doc comments where
//! wasmtime emits them.

#![allow(missing_docs)]

/// `infra:vmware@0.3.0`, the current contract.
pub mod v0_3 {
    wasmtime::component::bindgen!({
        world: "tool-group-plugin",
        path: "../plugins/sdk/wit/since_v0.3.0",
    });
}

/// `infra:vmware@0.2.0`, frozen: components built against it keep loading.
pub mod v0_2 {
    wasmtime::component::bindgen!({
        world: "tool-group-plugin",
        path: "../plugins/sdk/wit/since_v0.2.0",
    });
}

/// `infra:vmware@0.1.0`, frozen: components built against it keep loading.
pub mod v0_1 {
    wasmtime::component::bindgen!({
        world: "tool-group-plugin",
        path: "../plugins/sdk/wit/since_v0.1.0",
    });
}

pub use v0_3::exports::infra::vmware::tool_group;
pub use v0_3::infra::vmware::{approval, inventory, log, types, vsphere};
pub use v0_3::{ToolGroupPlugin, ToolGroupPluginPre};
