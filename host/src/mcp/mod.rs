//! MCP serving: argument checking, the rmcp handler and
//! the HTTP app (`/mcp`, `/healthz`) and how the MCP port is served
//! (connection and body limits, the call cap).

pub mod args;
pub mod call_limit;
pub mod connections;
pub mod handler;
pub mod http;
pub mod jsonrpc_guard;
pub mod legacy_tasks;
pub mod link;
pub mod mrtr;
pub mod quote;
pub mod result;
pub mod security;
pub mod serve;
pub mod tasks;
pub mod tool_list;
