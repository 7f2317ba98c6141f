//! vmware-mcp: an MCP server for VMware vSphere whose tool groups are
//! sandboxed WebAssembly components. The library holds every part of the
//! server so that the binary and the tests share one implementation.

#![warn(missing_docs)]

pub mod admin;
pub mod app;
pub mod approval;
pub mod auth;
pub mod cli;
pub mod component_file;
pub mod config;
pub mod dispatch;
pub mod follow;
pub mod history;
pub mod inventory;
pub mod mcp;
pub mod notify;
pub mod plugins_file;
pub mod principal;
pub mod privileges;
pub mod process;
pub mod registry;
pub mod requests;
pub mod resume;
pub mod runtime;
pub mod serving;
pub mod telemetry;
#[cfg(feature = "harness")]
pub mod testing;
pub mod vocabulary;
pub mod vsphere;
pub mod wit_host;
