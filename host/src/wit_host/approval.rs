//! `infra:vmware/approval`: a plugin describes the action it will take and
//! asks for a grant. The host names the targets itself (a plugin cannot
//! disguise `prod-db` as `dev-db`), consults the policy and channels, and
//! records the grant on the current call only.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::approval::gate::{ActionRequest, CallInfo};
use crate::runtime::contract::latest::approval::{Action, Grant, Host};
use crate::runtime::contract::latest::types::Error;
use crate::runtime::state::PluginState;
use crate::vocabulary::VsError;
use crate::vsphere::{Backend, CallContext, MoRef, ObjectContent};
use crate::wit_host::OnCancel;

impl Host for PluginState {
    fn request(&mut self, action: Action) -> Result<Grant, Error> {
        let plugin = self.plugin.group.clone();
        let grant = self.host_call(OnCancel::Drop, "an approval", |env| async move {
            let request = ActionRequest {
                operation: action.operation,
                summary: action.summary,
                targets: action.targets.into_iter().map(|t| (MoRef::from(t.ref_), t.name)).collect(),
                methods: action.methods,
                detail: action.detail,
            };
            let refs: Vec<MoRef> = request.targets.iter().map(|(r, _)| r.clone()).collect();
            let names = target_names(env.services.gateway.backend().as_ref(), &env.ctx, &refs).await?;
            let call = CallInfo {
                tool: env.tool.clone(),
                correlation_id: env.ctx.correlation_id.clone(),
                session: env.session.clone(),
                principal: env.principal.clone(),
                client: env.client.clone(),
                journal: env.approval_trail.clone(),
                preapproved: env.preapproved.clone(),
            };
            tracing::info!(correlation_id = %env.ctx.correlation_id, requested_by = env.principal.as_ref().map(|p| p.label()), plugin, tool = %env.tool, operation = %request.operation, methods = ?request.methods, targets = ?names, "approval requested");
            let grant = env.services.approvals.request(&call, &request, names).await?;
            // Serialize changes to these objects until this call ends.
            env.locks.hold(&env.services.target_locks, &refs).await?;
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

/// The names policy rules are matched against, read from vSphere by the
/// host with targeted reads of just the targets (never a scan): a plugin
/// cannot disguise `prod-db` as `dev-db`. A snapshot is named by its VM,
/// found through the snapshot's own `vm` property, since a VM's owner
/// decides over its snapshots.
pub async fn target_names(
    backend: &dyn Backend,
    ctx: &CallContext,
    refs: &[MoRef],
) -> Result<Vec<String>, VsError> {
    let snapshots: Vec<MoRef> = refs
        .iter()
        .filter(|r| r.kind == "VirtualMachineSnapshot")
        .cloned()
        .collect();
    let mut owner: BTreeMap<MoRef, MoRef> = BTreeMap::new();
    if !snapshots.is_empty() {
        for object in backend.read(ctx, &snapshots, &["vm".to_string()]).await? {
            if let Some(vm) = property(&object, "vm").and_then(MoRef::from_json) {
                owner.insert(object.reference, vm);
            }
        }
    }
    let mut by_kind: BTreeMap<&str, Vec<MoRef>> = BTreeMap::new();
    for r in refs
        .iter()
        .filter(|r| r.kind != "VirtualMachineSnapshot")
        .chain(owner.values())
    {
        let group = by_kind.entry(r.kind.as_str()).or_default();
        if !group.contains(r) {
            group.push(r.clone());
        }
    }
    let mut names: BTreeMap<MoRef, String> = BTreeMap::new();
    for group in by_kind.values() {
        for object in backend.read(ctx, group, &["name".to_string()]).await? {
            let name = property(&object, "name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            names.insert(object.reference, name);
        }
    }
    refs.iter()
        .map(|r| {
            let named = owner.get(r).unwrap_or(r);
            names
                .get(named)
                .cloned()
                .ok_or_else(|| VsError::NotFound(format!("approval target {r} does not exist")))
        })
        .collect()
}

fn property<'a>(object: &'a ObjectContent, path: &str) -> Option<&'a Value> {
    object
        .properties
        .iter()
        .find(|(p, _)| p == path)
        .map(|(_, v)| v)
}
