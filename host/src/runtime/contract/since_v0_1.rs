//! `infra:vmware@0.1.0`, frozen: its bindings and its translation onto the
//! latest contract, so components built against it keep loading and
//! working unchanged. 0.1.0 has no `read`, no `inventory` and no
//! `cancelled` error; everything it has means the same in the latest
//! contract.

#![allow(missing_docs)]

use super::latest as now;
use crate::runtime::state::PluginState;

wasmtime::component::bindgen!({
    world: "tool-group-plugin",
    path: "../plugins/sdk/wit/since_v0.1.0",
});

use infra::vmware::{approval, log, types, vsphere};

super::frozen::frozen_contract! {
    // 0.1.0 has no `cancelled`: the nearest honest kind is `internal`.
    error_to_old: { now::types::Error::Cancelled(m) => types::Error::Internal(m) },
    error_to_now: {},
    vsphere_since: {},
}
