//! OAuth 2.1 resource server for the MCP port, as the MCP authorization
//! spec describes it: access tokens are JWTs from one issuer
//! (`OAUTH_ISSUER`), found by discovery ([`discovery`]), checked against its
//! JWKS ([`keys`]) for signature (RS256, ES256), expiry, issuer and audience
//! ([`validate`]); the server publishes its protected-resource metadata
//! (RFC 9728) and answers 401 and 403 with the challenges MCP clients
//! follow ([`metadata`]).

pub mod discovery;
pub mod keys;
pub mod metadata;
pub mod settings;
pub mod validate;

pub use settings::OAuthSettings;
pub use validate::{TokenError, Validator};
