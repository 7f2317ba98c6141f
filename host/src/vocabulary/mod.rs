//! The host's shared vocabulary: how an object is named ([`MoRef`]), how a
//! call fails ([`VsError`], and [`one_line`] for an error chain), and how
//! secrets are hidden ([`redact`]). Every
//! other module depends on these and they depend on no other module, so the
//! layers above (backends, index, approval, MCP) never need each other to
//! speak about an object or an error.

mod chain;
mod error;
mod redact;

pub use chain::one_line;

pub use error::{Candidate, ErrorKind, Fault, VsError};
pub use redact::redact;
/// Shared with the plugin SDK, so both speak the same VI/JSON form.
pub use vmware_vocabulary::MoRef;
