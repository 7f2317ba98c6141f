//! `getHostInfo`: one host in detail.
//!
//! The summary plus hardware identity, uptime, and the names of the host's
//! VMs and datastores (named from the host's inventory index).

use serde::Serialize;
use vmware_plugin_sdk::inventory::Named;
use vmware_plugin_sdk::prelude::*;

use crate::summary::{HostSummary, SUMMARY_PROPS, summarize_with_names};

/// `getHostInfo`'s result: the summary's fields, then the detail ones; the
/// one declaration of them (the output schema is derived from it).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HostInfo {
    /// What `listHosts` shows of the host.
    #[serde(flatten)]
    pub summary: HostSummary,
    /// The hardware vendor.
    pub vendor: Option<String>,
    /// The hardware model.
    pub model: Option<String>,
    /// The CPU model.
    pub cpu_model: Option<String>,
    /// Seconds since boot.
    pub uptime_seconds: Option<i64>,
    /// Its VMs.
    pub vms: Vec<Named>,
    /// Its datastores.
    pub datastores: Vec<Named>,
}

/// Show the host named by `host_argument`.
pub fn host_info(host_argument: &str) -> Result<HostInfo> {
    let host = inventory::resolve(Kind::HostSystem, host_argument)?;
    let mut properties: Vec<&str> = SUMMARY_PROPS.to_vec();
    properties.push("datastore");
    let object = vsphere::read_one(&host.reference, &properties)?;

    let vm_refs = object.get_refs("vm");
    let datastore_refs = object.get_refs("datastore");
    let mut referenced = vm_refs.clone();
    referenced.extend(datastore_refs.iter().cloned());
    let names = inventory::names(&referenced);
    let named = |r: &MoRef| Named::of(r, &names);
    let text = |path: &str| object.get_str(path).map(String::from);
    Ok(HostInfo {
        summary: summarize_with_names(&object, &host),
        vendor: text("summary.hardware.vendor"),
        model: text("summary.hardware.model"),
        cpu_model: text("summary.hardware.cpuModel"),
        uptime_seconds: object.get_i64("summary.quickStats.uptime"),
        vms: vm_refs.iter().map(named).collect(),
        datastores: datastore_refs.iter().map(named).collect(),
    })
}
