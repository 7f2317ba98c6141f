//! Operator commands that talk to a running server instead of being one.

pub mod approvals;
