//! Checks tool arguments against the tool's input schema before any plugin
//! runs. The check and its messages live in the `vmware-vocabulary` crate,
//! which the plugin SDK runs too, so a bad argument reads the same whether
//! the host or the plugin refuses it.

pub use vmware_vocabulary::args::{check, describe_arguments, validate};
