//! `infra:vmware@0.3.0`, the latest contract: its bindings, and how a
//! component built against it is linked, described and called. The host's
//! logic is written against this version only (`wit_host`, a module per
//! interface); each frozen version translates onto it.

#![allow(missing_docs)]

use wasmtime::Store;
use wasmtime::component::{HasSelf, Linker};

use crate::runtime::state::PluginState;

wasmtime::component::bindgen!({
    world: "tool-group-plugin",
    path: "../plugins/sdk/wit/since_v0.3.0",
});

pub use exports::infra::vmware::tool_group;
pub use infra::vmware::{approval, inventory, log, types, vsphere};

/// Offer the host's interfaces of this version to components.
pub fn link(linker: &mut Linker<PluginState>) -> wasmtime::Result<()> {
    ToolGroupPlugin::add_to_linker::<_, HasSelf<_>>(linker, |state| state)
}

/// Instantiate and run `describe`.
pub fn describe(
    pre: &ToolGroupPluginPre<PluginState>,
    store: &mut Store<PluginState>,
) -> wasmtime::Result<tool_group::Manifest> {
    pre.instantiate(&mut *store)?
        .infra_vmware_tool_group()
        .call_describe(store)
}

/// Instantiate and run one tool: `Err` is a failed start, `Ok(Err)` a
/// trap, `Ok(Ok(Err))` the tool's own error.
#[allow(clippy::type_complexity)]
pub fn call(
    pre: &ToolGroupPluginPre<PluginState>,
    store: &mut Store<PluginState>,
    tool: &str,
    arguments: String,
) -> wasmtime::Result<wasmtime::Result<Result<String, types::Error>>> {
    let instance = pre.instantiate(&mut *store)?;
    Ok(instance
        .infra_vmware_tool_group()
        .call_call(store, tool, &arguments))
}
