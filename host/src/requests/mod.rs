//! Durable requests: every call of a tool that may change state becomes a
//! request with one id (`req-…`) that lives apart from the HTTP exchange
//! that made it. The agent's result, the approvals page, the CLI, the audit
//! trail and the logs all name it; the agent checks back on it with
//! `infra.vmware.requests.get` when its client gave up waiting; a restart
//! picks it up where it stood (see [`crate::resume`]).
//!
//! The [`service`] keeps unfinished requests in memory (to wake whoever
//! waits on one) and writes every change to the [`store`] before telling
//! anyone, so what a caller was told is what a restart finds; [`events`] is
//! how the layers below report to it, and [`tools`] how agents read it.

pub mod events;
pub mod record;
pub mod service;
pub mod store;
pub mod tools;

pub use record::{Principal, Request, RequestStatus, Requester};
pub use service::{
    DEFAULT_RETENTION, MAX_KEPT, PRUNE_EVERY, RequestHandle, RequestService, keep_pruned, refusal,
};
