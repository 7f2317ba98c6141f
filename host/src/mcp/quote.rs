//! Quoting client input in messages: at most a short prefix, so that a
//! megabyte-long argument, name or cursor cannot make a megabyte-long error
//! (or log line). Shared with the plugin SDK through `vmware-vocabulary`.

pub use vmware_vocabulary::quote::{MAX_QUOTED_CHARS, json, prefix};
