//! The `infra:vmware` contract versions the host serves, Zed's
//! `since_vX` way: one file per version holds its bindings (generated from
//! the SDK's `plugins/sdk/wit/since_vX/`, the one copy of each version,
//! owned by the SDK as Zed's `extension_api` owns its WIT) and its
//! translation onto the latest version, and nothing else. The latest
//! version (`since_v0_3`, also named [`latest`]) is the one the host's
//! logic is written against; what the frozen versions share is said once,
//! in `frozen`.
//!
//! [`Contract`] is a component pre-linked against the version it was
//! built for; adding a version is a file here and an arm in each match.

mod frozen;
pub mod since_v0_1;
pub mod since_v0_2;
pub mod since_v0_3;

pub use since_v0_3 as latest;

use anyhow::Context;
use wasmtime::Store;
use wasmtime::component::{InstancePre, Linker};

use super::state::PluginState;
use latest::tool_group::Manifest;

/// A component pre-linked against the contract version it was built for.
#[derive(Clone)]
pub enum Contract {
    /// `infra:vmware@0.3.0`.
    V0_3(since_v0_3::ToolGroupPluginPre<PluginState>),
    /// `infra:vmware@0.2.0`, frozen.
    V0_2(since_v0_2::ToolGroupPluginPre<PluginState>),
    /// `infra:vmware@0.1.0`, frozen.
    V0_1(since_v0_1::ToolGroupPluginPre<PluginState>),
}

/// Offer every version's host interfaces, so a component of any of them links.
pub fn link_all(linker: &mut Linker<PluginState>) -> anyhow::Result<()> {
    since_v0_3::link(linker)
        .map_err(anyhow::Error::from)
        .context("linking the host interfaces")?;
    since_v0_2::link(linker)
        .map_err(anyhow::Error::from)
        .context("linking the 0.2.0 host interfaces")?;
    since_v0_1::link(linker)
        .map_err(anyhow::Error::from)
        .context("linking the 0.1.0 host interfaces")?;
    Ok(())
}

impl Contract {
    /// The version `instance` exports, newest first; `source` names the
    /// component in the error when it exports none.
    pub fn of(instance: InstancePre<PluginState>, source: &str) -> anyhow::Result<Contract> {
        if let Ok(pre) = since_v0_3::ToolGroupPluginPre::new(instance.clone()) {
            return Ok(Contract::V0_3(pre));
        }
        if let Ok(pre) = since_v0_2::ToolGroupPluginPre::new(instance.clone()) {
            return Ok(Contract::V0_2(pre));
        }
        since_v0_1::ToolGroupPluginPre::new(instance)
            .map(Contract::V0_1)
            .map_err(anyhow::Error::from)
            .with_context(|| {
                format!("{source} exports none of infra:vmware/tool-group@0.3.0, @0.2.0 or @0.1.0")
            })
    }

    /// The contract's version, for logs.
    pub fn version(&self) -> &'static str {
        match self {
            Contract::V0_3(_) => "0.3.0",
            Contract::V0_2(_) => "0.2.0",
            Contract::V0_1(_) => "0.1.0",
        }
    }

    /// Whether the version predates declared capabilities (0.3.0).
    pub fn is_legacy(&self) -> bool {
        !matches!(self, Contract::V0_3(_))
    }

    /// Instantiate and run `describe`.
    pub fn describe(&self, store: &mut Store<PluginState>) -> wasmtime::Result<Manifest> {
        match self {
            Contract::V0_3(pre) => since_v0_3::describe(pre, store),
            Contract::V0_2(pre) => since_v0_2::describe(pre, store),
            Contract::V0_1(pre) => since_v0_1::describe(pre, store),
        }
    }

    /// Instantiate and run one tool: `Err` is a failed start, `Ok(Err)` a
    /// trap, `Ok(Ok(Err))` the tool's own error.
    #[allow(clippy::type_complexity)]
    pub fn call(
        &self,
        store: &mut Store<PluginState>,
        tool: &str,
        arguments: String,
    ) -> wasmtime::Result<wasmtime::Result<Result<String, latest::types::Error>>> {
        match self {
            Contract::V0_3(pre) => since_v0_3::call(pre, store, tool, arguments),
            Contract::V0_2(pre) => since_v0_2::call(pre, store, tool, arguments),
            Contract::V0_1(pre) => since_v0_1::call(pre, store, tool, arguments),
        }
    }
}
