//! The `perf` tool group: recent performance of a VM or a host (MCP tools
//! `infra.vmware.perf.*`): CPU, memory, disk and network counters, each as
//! its latest, average and maximum over a window of realtime or historical
//! samples.
//!
//! This file declares the tools and their argument types; `counters` knows
//! the counters and intervals, `stats` queries and reduces them. VM and host
//! arguments accept a name, an inventory path or an id.

mod counters;
mod stats;

use serde::Deserialize;
use vmware_plugin_sdk::prelude::*;

use crate::counters::Interval;
use crate::stats::{DEFAULT_SAMPLES, MAX_SAMPLES, Window};

/// `getVMStats` arguments.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct VmStatsArgs {
    /// The VM: name, inventory path or id.
    #[schemars(length(min = 1))]
    vm_name: String,
    /// Groups (cpu, mem, disk, net) or counter names; default all.
    metrics: Option<Vec<String>>,
    /// Sample period (default realtime: 20 s).
    interval: Option<Interval>,
    /// How many latest samples.
    #[schemars(range(min = 1, max = MAX_SAMPLES), extend("default" = DEFAULT_SAMPLES))]
    samples: Option<u32>,
}

/// `getHostStats` arguments.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct HostStatsArgs {
    /// The host: name, inventory path or id.
    #[schemars(length(min = 1))]
    host_name: String,
    /// Groups (cpu, mem, disk, net) or counter names; default all.
    metrics: Option<Vec<String>>,
    /// Sample period (default realtime: 20 s).
    interval: Option<Interval>,
    /// How many latest samples.
    #[schemars(range(min = 1, max = MAX_SAMPLES), extend("default" = DEFAULT_SAMPLES))]
    samples: Option<u32>,
}

/// The group's tools; built on every call (cheap) because handlers are not `Sync`.
fn toolbox() -> Toolbox {
    Toolbox::new("perf", env!("CARGO_PKG_VERSION"))
        // The entities it names and the counter catalog; its one method,
        // QueryPerf, is a read.
        .reads(&["VirtualMachine", "HostSystem", "PerformanceManager"])
        .tool(
            ToolSpec::new(
                "getVMStats",
                "A VM's CPU, memory, disk and network counters: unit, latest, average, maximum.",
            )
            .invokes(&[stats::QUERY_PERF])
            .read_only(),
            |args: VmStatsArgs| {
                let window = Window {
                    metrics: args.metrics,
                    interval: args.interval,
                    samples: args.samples,
                };
                stats::stats(Kind::VirtualMachine, &args.vm_name, &window)
            },
        )
        .tool(
            ToolSpec::new(
                "getHostStats",
                "A host's CPU, memory, disk and network counters: unit, latest, average, maximum.",
            )
            .invokes(&[stats::QUERY_PERF])
            .read_only(),
            |args: HostStatsArgs| {
                let window = Window {
                    metrics: args.metrics,
                    interval: args.interval,
                    samples: args.samples,
                };
                stats::stats(Kind::HostSystem, &args.host_name, &window)
            },
        )
}

vmware_plugin_sdk::export_tool_group!(toolbox);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declares_the_contracted_tools() {
        let manifest = toolbox().manifest();
        assert_eq!(manifest.group, "perf");
        let names: Vec<&str> = manifest.tools.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["getVMStats", "getHostStats"]);
        assert!(manifest.tools.iter().all(|t| t.annotations.read_only));
        let schema: Value = serde_json::from_str(&manifest.tools[0].input_schema).unwrap();
        assert_eq!(
            schema["properties"]["interval"]["enum"],
            json!(["realtime", "5m", "30m", "2h", "1d"])
        );
    }

    #[test]
    fn bad_arguments_fail_before_any_vsphere_call() {
        let toolbox = toolbox();
        let fails = |tool: &str, args: &str, word: &str| {
            assert!(
                matches!(toolbox.call(tool, args), Err(Error::InvalidArgument(m)) if m.contains(word)),
                "{tool} {args}"
            )
        };
        fails("getVMStats", "{}", "vmName");
        fails(
            "getHostStats",
            r#"{"hostName": "h", "interval": "1h"}"#,
            "interval",
        );
        fails(
            "getVMStats",
            r#"{"vmName": "v", "samples": 361}"#,
            "samples",
        );
        fails("getVMStats", r#"{"vmName": "v", "samples": 0}"#, "samples");
        fails(
            "getHostStats",
            r#"{"hostName": "h", "metrics": ["cpu", "gpu"]}"#,
            "gpu",
        );
    }
}
