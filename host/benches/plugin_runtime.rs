//! Plugin runtime costs, as ratios against baselines measured in the same
//! process (absolute times vary too much between machines to mean anything):
//!
//! - loading the built-in components from the on-disk compile cache versus
//!   compiling them with Cranelift (why a warm start takes well under a second);
//! - a plugin tool call (fresh instance, limits, WIT calls into the simulated
//!   inventory) versus the host-served `getMetrics` tool (no plugin at all).
//!
//! Run with `cargo bench -p vmware-mcp --bench plugin_runtime`.

use std::time::{Duration, Instant};

use clap::Parser;
use serde_json::Map;
use vmware_mcp::config::Cli;
use vmware_mcp::mcp::handler::McpHandler;
use vmware_mcp::mcp::link::CallOrigin;
use vmware_mcp::runtime::cache::ComponentCache;
use vmware_mcp::runtime::limits::PluginLimits;
use vmware_mcp::runtime::{PluginRuntime, builtin};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn time_loads(runtime: &PluginRuntime, rounds: usize) -> Duration {
    let samples = (0..rounds)
        .map(|_| {
            let started = Instant::now();
            for (source, wasm) in builtin::components() {
                runtime
                    .load(source, wasm)
                    .expect("built-in component loads");
            }
            started.elapsed()
        })
        .collect();
    median(samples)
}

async fn time_calls(handler: &McpHandler, tool: &str, rounds: usize) -> Duration {
    let mut samples = Vec::with_capacity(rounds);
    for i in 0..rounds {
        let origin = CallOrigin {
            correlation_id: format!("bench-{i}"),
            ..Default::default()
        };
        let started = Instant::now();
        let result = handler
            .run(tool, Map::new(), origin)
            .await
            .expect("tool runs");
        samples.push(started.elapsed());
        assert_ne!(
            result.is_error,
            Some(true),
            "{tool} failed: {:?}",
            result.content
        );
    }
    median(samples)
}

fn main() -> anyhow::Result<()> {
    let cache_dir =
        std::env::temp_dir().join(format!("vmware-mcp-bench-cache-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&cache_dir);

    let uncached = PluginRuntime::new(PluginLimits::default(), ComponentCache::new(None))?;
    let compile = time_loads(&uncached, 3);
    let cached = PluginRuntime::new(
        PluginLimits::default(),
        ComponentCache::new(Some(cache_dir.clone())),
    )?;
    time_loads(&cached, 1); // fill the cache
    let warm = time_loads(&cached, 5);
    println!(
        "load built-in components: compile {compile:?}, from cache {warm:?} → cache is {:.1}× faster",
        compile.as_secs_f64() / warm.as_secs_f64()
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let cli = Cli::parse_from(["vmware-mcp", "--demo", "--plugin-cache-dir", &cache_dir.display().to_string()]);
        let app = vmware_mcp::app::build(&cli).await?;
        let handler = McpHandler::new(app);
        let baseline = time_calls(&handler, "infra.vmware.getMetrics", 50).await;
        for tool in ["infra.vmware.vms.listVMs", "infra.vmware.hosts.listHosts"] {
            let plugin = time_calls(&handler, tool, 50).await;
            println!("{tool}: {plugin:?} per call vs host-only getMetrics {baseline:?} → {:.1}× the baseline", plugin.as_secs_f64() / baseline.as_secs_f64());
        }
        anyhow::Ok(())
    })?;
    let _ = std::fs::remove_dir_all(&cache_dir);
    Ok(())
}
