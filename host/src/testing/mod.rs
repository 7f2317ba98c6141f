//! Testing a tool group without a server or a vCenter: the in-process
//! harness that `cargo test` in a tool group's crate uses, and the case
//! files that `vmware-mcp plugin test` runs with it.
//!
//! The harness loads a component into the host's real plugin runtime (same
//! sandbox, limits, WIT host and approval gate as the server), in front of
//! the simulated inventory built from a fixture. It records what each call
//! did below the plugin: the vim25 methods that reached the inventory
//! ([`recorder`]) and the approvals asked for, answered by a script
//! ([`approver`]). Spin's `factors-test` is the model: the real host pieces,
//! wired for a test, not mocks of them.

pub mod approver;
pub mod cases;
pub mod harness;
pub mod recorder;

pub use approver::{ApprovalAsked, Approvals};
pub use harness::{Call, Harness, Inventory};
pub use recorder::Invocation;
