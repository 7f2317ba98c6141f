//! The frozen 0.2.0 contract's values in the current contract's words and
//! back: the runtime needs them for what a 0.2.0 component returns, the host
//! interfaces (`wit_host::v0_2`) for what it asks, so they live here, below
//! both.

use super::bindings::types as now;
use super::bindings::v0_2::infra::vmware::types;

super::legacy::shared_type_conversions! {
    to_old: { now::Error::Cancelled(m) => types::Error::Cancelled(m) },
    to_now: { types::Error::Cancelled(m) => now::Error::Cancelled(m) },
}
