//! The frozen 0.1.0 contract's values in the current contract's words and
//! back. The runtime needs them for what a 0.1.0 component returns, the
//! host interfaces (`wit_host::v0_1`) for what it asks, so they live here,
//! beside the bindings, below both.

use super::bindings::types as now;
use super::bindings::v0_1::infra::vmware::types;

super::legacy::shared_type_conversions! {
    // 0.1.0 has no `cancelled`: the nearest honest kind is `internal`.
    to_old: { now::Error::Cancelled(m) => types::Error::Internal(m) },
    to_now: {},
}
