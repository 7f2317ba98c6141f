//! `infra:vmware/approval`: a plugin describes the action it will take and
//! asks for a grant. The host names the targets itself (a plugin cannot
//! disguise `prod-db` as `dev-db`), consults the policy and channels, and
//! records the grant on the current call only.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::approval::gate::{ActionRequest, CallInfo};
use crate::error::VsError;
use crate::runtime::bindings::approval::{Action, Grant, Host};
use crate::runtime::bindings::types::Error;
use crate::runtime::state::PluginState;
use crate::vsphere::{Backend, CallContext, MoRef, RetrieveSpec};

impl Host for PluginState {
    fn request(&mut self, action: Action) -> Result<Grant, Error> {
        let plugin = self.plugin.group.clone();
        let grant = self.host_call(|env| async move {
            let request = ActionRequest {
                operation: action.operation,
                summary: action.summary,
                targets: action.targets.into_iter().map(|t| (MoRef::from(t.ref_), t.name)).collect(),
                methods: action.methods,
                detail: action.detail,
            };
            let refs: Vec<MoRef> = request.targets.iter().map(|(r, _)| r.clone()).collect();
            let names = target_names(env.services.gateway.backend().as_ref(), &env.ctx, &refs).await?;
            let call = CallInfo { tool: env.tool.clone(), correlation_id: env.ctx.correlation_id.clone(), session: env.session.clone(), client: env.client.clone() };
            tracing::info!(correlation_id = %env.ctx.correlation_id, plugin, tool = %env.tool, operation = %request.operation, methods = ?request.methods, targets = ?names, "approval requested");
            let grant = env.services.approvals.request(&call, &request, names).await?;
            env.grants.add(grant.clone());
            Ok(grant)
        })?;
        let expires_in_ms = grant
            .expires_at
            .saturating_duration_since(std::time::Instant::now())
            .as_millis() as u64;
        Ok(Grant {
            id: grant.id,
            decided_by: grant.decided_by,
            expires_in_ms,
        })
    }
}

/// The names policy rules are matched against, read from vSphere by the host.
/// A snapshot is named by its VM, since a VM's owner decides over its snapshots.
pub async fn target_names(
    backend: &dyn Backend,
    ctx: &CallContext,
    refs: &[MoRef],
) -> Result<Vec<String>, VsError> {
    let mut by_kind: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for r in refs {
        let kind = if r.kind == "VirtualMachineSnapshot" {
            "VirtualMachine"
        } else {
            r.kind.as_str()
        };
        by_kind.entry(kind).or_default().insert(r.value.as_str());
    }
    let mut names: BTreeMap<MoRef, String> = BTreeMap::new();
    let mut snapshot_owner: BTreeMap<String, String> = BTreeMap::new();
    for kind in by_kind.keys() {
        let mut properties = vec!["name".to_string()];
        let wants_snapshots =
            *kind == "VirtualMachine" && refs.iter().any(|r| r.kind == "VirtualMachineSnapshot");
        if wants_snapshots {
            properties.push("snapshot".to_string());
        }
        let spec = RetrieveSpec {
            object_type: kind.to_string(),
            root: None,
            recursive: true,
            properties,
        };
        for object in backend.retrieve(ctx, &spec).await? {
            let name = object
                .properties
                .iter()
                .find(|(p, _)| p == "name")
                .and_then(|(_, v)| v.as_str())
                .unwrap_or_default()
                .to_string();
            if let Some((_, info)) = object.properties.iter().find(|(p, _)| p == "snapshot") {
                let mut ids = Vec::new();
                collect_snapshot_ids(
                    info.get("rootSnapshotList").unwrap_or(&Value::Null),
                    &mut ids,
                );
                for id in ids {
                    snapshot_owner.insert(id, name.clone());
                }
            }
            names.insert(object.reference, name);
        }
    }
    refs.iter()
        .map(|r| {
            let found = if r.kind == "VirtualMachineSnapshot" {
                snapshot_owner.get(&r.value).cloned()
            } else {
                names.get(r).cloned()
            };
            found.ok_or_else(|| VsError::NotFound(format!("approval target {r} does not exist")))
        })
        .collect()
}

fn collect_snapshot_ids(list: &Value, out: &mut Vec<String>) {
    for tree in list.as_array().into_iter().flatten() {
        if let Some(r) = tree.get("snapshot").and_then(MoRef::from_json) {
            out.push(r.value);
        }
        collect_snapshot_ids(tree.get("childSnapshotList").unwrap_or(&Value::Null), out);
    }
}
