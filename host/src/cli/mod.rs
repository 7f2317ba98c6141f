//! Commands other than serving: the operator's (talking to a running
//! server) and the tool-group author's (creating and testing a group).

pub mod approvals;
pub mod plugin;
pub mod plugin_new;
#[cfg(feature = "harness")]
pub mod plugin_test;
