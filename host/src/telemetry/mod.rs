//! Logs and metrics: what operators read to know what the server did.

pub mod logging;
pub mod metrics;
