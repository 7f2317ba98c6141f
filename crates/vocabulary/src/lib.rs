//! The words the vmware-mcp host and its plugin SDK share, so that both say
//! the same thing in the same way: how an object is named ([`MoRef`]), the
//! check of a tool's arguments against its input schema and its messages
//! ([`args`]), the kinds of error an agent sees ([`ErrorKind`]), and how
//! client input is quoted in messages ([`quote`]).
//!
//! Both sides call this crate rather than keeping their own copy: a bad
//! argument gets the same message whether the host refuses it before the
//! plugin runs or the SDK refuses it inside the plugin (a component run
//! without the host's check, e.g. by an older host or a test harness).

#![warn(missing_docs)]

pub mod args;
pub mod error_kind;
pub mod moref;
pub mod quote;

pub use error_kind::ErrorKind;
pub use moref::MoRef;

/// The prefix of every MCP tool name: a group's tool `t` is
/// `infra.vmware.<group>.<t>`.
pub const TOOL_PREFIX: &str = "infra.vmware";

/// The MCP name of `tool` in `group`, e.g. `infra.vmware.vms.powerOnVm`.
pub fn tool_name(group: &str, tool: &str) -> String {
    format!("{TOOL_PREFIX}.{group}.{tool}")
}
