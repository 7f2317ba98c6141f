//! Shared helpers for the end-to-end tests: start the real `vmware-mcp`
//! binary, connect real MCP clients, and read its log.

pub mod admin;
pub mod conformance;
pub mod helpers;
pub mod module_graph;
pub mod oidc;
pub mod plugins;
pub mod podman;
pub mod server;
pub mod tool_calls;
pub mod vcsim;
pub mod vsphere_driver;

pub use plugins::{TestPlugin, plugin_dir};
pub use server::{
    CallOutcome, Server, ServerOptions, call, first_vm, inspector_cli, node_modules, scratch_dir,
    scratch_file, workspace_root,
};
pub use vcsim::{Vcsim, VcsimEndpoint};
