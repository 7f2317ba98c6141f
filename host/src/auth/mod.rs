//! Who is calling the MCP port. A presented bearer token is checked, in
//! this order, against:
//!
//! - the named tokens file (`MCP_TOKENS_PATH`, [`named_tokens`]): each
//!   agent its own token, whose label is its identity;
//! - the one shared token (`MCP_AUTH_TOKEN_SECRET_PATH`), which names nobody;
//! - OAuth 2.1 access tokens (JWTs) from `OAUTH_ISSUER` ([`oauth`]), as the
//!   MCP authorization spec describes: the token's subject, name and client
//!   are the identity, its scopes what it may do ([`scopes`]).
//!
//! The [`layer`] puts the caller's [`Identity`] into the request's
//! extensions, where the MCP handler reads it; the [`scope_gate`] refuses a
//! state-changing tool call before any request or approval exists when the
//! token lacks the operate scope.

pub mod build;
pub mod identity;
pub mod layer;
pub mod named_tokens;
pub mod oauth;
pub mod scope_gate;
pub mod scopes;

pub use identity::Identity;
pub use layer::Authenticator;
