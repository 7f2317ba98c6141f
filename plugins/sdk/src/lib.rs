//! The SDK for vmware-mcp tool groups.
//!
//! A tool group is a WebAssembly component implementing the
//! `infra:vmware/tool-group-plugin` world. The crate owns every version of
//! that contract (`wit/since_v*/`; the host's bindings point here, so there
//! is no copy) and builds from the newest, so it builds wherever it is
//! fetched to. It generates the
//! bindings for that world once and wraps them so that a tool group is
//! small, typed code:
//!
//! - [`tool`]: declare tools ([`ToolSpec`]) with typed handlers in a
//!   [`Toolbox`], which answers `describe` and dispatches `call` with
//!   checked arguments; each tool's input schema is derived from its
//!   argument type (`#[derive(Deserialize, JsonSchema)]`), so the arguments
//!   are declared once; [`export_tool_group!`] exports it.
//! - [`capabilities`]: the types the group reads and the methods it
//!   invokes, declared on the [`Toolbox`]; the host refuses anything else.
//! - [`vsphere`]: targeted `read`s, `retrieve`, `invoke` and the service
//!   content, with collected objects as [`Obj`] values that have typed getters.
//! - [`inventory`]: the host's inventory index: resolve a name, inventory
//!   path or managed object id to one object (`ambiguous` and `not_found`
//!   errors help the caller), name referenced objects, list a page.
//! - [`approval`], [`log`]: ask for permission, write structured log lines.
//! - [`paging`]: the `limit`/`cursor` arguments and paged results of list tools.
//! - [`schema`], [`json`]: derive input schemas, build result schemas and results.
//!
//! Only the modules that call imports ([`vsphere`], [`inventory`],
//! [`approval`], [`log`]) need a host; everything else is plain Rust and is
//! unit-tested on the native target.

#![warn(missing_docs)]

/// The raw wit-bindgen bindings of the `tool-group-plugin` world, generated
/// once here so that every tool group shares them; prefer the wrappers.
#[allow(missing_docs, clippy::all)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "wit/since_v0.3.0",
        world: "tool-group-plugin",
        pub_export_macro: true,
        export_macro_name: "__export_tool_group_bindings",
    });
}

pub mod approval;
pub mod capabilities;
pub mod error;
pub mod inventory;
pub mod json;
pub mod log;
pub mod method;
pub mod moref;
pub mod object;
pub mod paging;
pub mod schema;
/// Derive `JsonSchema` on argument types (`#[derive(Deserialize, JsonSchema)]`).
pub use schemars::{self, JsonSchema};
/// Close-name suggestions and quoting names in messages (shared with the host).
pub use vmware_names as suggest;
/// Argument checks, error kinds and quoting, worded as the host words them.
pub use vmware_vocabulary as vocabulary;
pub mod tool;
pub mod unboxed;
pub mod vsphere;

pub use capabilities::Capabilities;
pub use error::{Error, Result};
pub use inventory::{Kind, Resolved};
pub use method::Method;
pub use moref::MoRef;
pub use object::Obj;
pub use tool::{NoArgs, ToolSpec, Toolbox};

/// The names a tool group usually needs, in one `use`.
pub mod prelude {
    pub use crate::approval::{self, Action};
    pub use crate::error::{Error, Result};
    pub use crate::inventory::{self, Kind, Resolved};
    pub use crate::json::{Map, Value, json};
    pub use crate::method::Method;
    pub use crate::moref::MoRef;
    pub use crate::object::Obj;
    pub use crate::schema;
    pub use crate::tool::{NoArgs, ToolSpec, Toolbox};
    pub use crate::vsphere;
    pub use schemars::JsonSchema;
}

/// Export a tool group: `export_tool_group!(toolbox)` where `toolbox` is a
/// `fn() -> Toolbox` path. It implements the WIT `tool-group` interface by
/// building the toolbox and delegating `describe` and `call` to it, so a tool
/// group never touches the generated bindings. Use it once per component.
///
/// Only a wasm build exports anything: the WIT export names (such as
/// `infra:vmware/tool-group@0.3.0#call`) are not valid native symbol names, so
/// a native build of the group (its unit tests, `cargo build --workspace`)
/// compiles the same code with nothing exported, and links.
#[macro_export]
macro_rules! export_tool_group {
    ($toolbox:path) => {
        #[doc(hidden)]
        #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
        struct __VmwareToolGroupExport;

        impl $crate::bindings::exports::infra::vmware::tool_group::Guest for __VmwareToolGroupExport {
            fn describe() -> $crate::bindings::exports::infra::vmware::tool_group::Manifest {
                let toolbox: $crate::Toolbox = $toolbox();
                toolbox.manifest()
            }

            fn call(
                tool: ::std::string::String,
                arguments: ::std::string::String,
            ) -> ::core::result::Result<::std::string::String, $crate::Error> {
                let toolbox: $crate::Toolbox = $toolbox();
                toolbox.call(&tool, &arguments)
            }
        }

        #[cfg(target_arch = "wasm32")]
        $crate::bindings::__export_tool_group_bindings!(__VmwareToolGroupExport with_types_in $crate::bindings);

        // Natively, this use keeps the tools live (no dead-code warnings).
        #[cfg(not(target_arch = "wasm32"))]
        const _: () = {
            let _ = <__VmwareToolGroupExport as $crate::bindings::exports::infra::vmware::tool_group::Guest>::describe;
            let _ = <__VmwareToolGroupExport as $crate::bindings::exports::infra::vmware::tool_group::Guest>::call;
        };
    };
}
