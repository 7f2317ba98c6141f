//! The end-to-end tests: one test binary, so that 2 cores link it once
//! rather than once per file. Each module is one area; run one with
//! `cargo test -p vmware-mcp-e2e --test e2e <module>::`.

mod approval_audit;
mod approval_browser;
mod approval_channels;
mod approval_elicitation;
mod approval_gate;
mod approval_notify;
mod audit_every_change;
mod audit_write_ahead;
mod capabilities;
mod cluster_tools;
mod code_shape;
mod conformance;
mod container_image;
mod container_scripts;
mod contract_versions;
mod demo_approvals;
mod demo_tools;
mod durable_requests;
mod exact_names;
mod extension_group;
mod fuzz_tool_args;
mod hostile_plugins;
mod http_front_door;
mod inventory_index;
mod long_approval;
mod module_cycles;
mod name_claims;
mod network_tools;
mod one_declaration;
mod operations;
mod paging;
mod plugin_authoring;
mod portable_schemas;
mod privileges;
mod progress;
mod readme_commands;
mod round_trips;
mod secret_scan;
mod snapshot_names;
mod soap_vcsim;
mod stalled_vcenter;
mod storage_tools;
mod tools_command;
mod vm_changes;
