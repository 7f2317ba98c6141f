//! MCP serving: the rmcp handler (arguments checked by `vmware_vocabulary::args`), the HTTP app (`/mcp`,
//! `/healthz`) and what is particular to the MCP port (JSON-RPC body
//! answers, the call cap, the access policy). How connections are admitted
//! and held is [`crate::serving`], shared with the admin port.

pub mod call_limit;
pub mod handler;
pub mod http;
pub mod jsonrpc_guard;
pub mod legacy_tasks;
pub mod link;
pub mod mrtr;
pub mod readiness;
pub mod result;
pub mod security;
pub mod tasks;
pub mod tool_list;
