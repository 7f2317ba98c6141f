//! MCP serving: the tool registry, argument checking, the rmcp handler and
//! the HTTP app (`/mcp`, `/healthz`).

pub mod args;
pub mod handler;
pub mod http;
pub mod link;
pub mod mrtr;
pub mod registry;
pub mod result;
pub mod security;
