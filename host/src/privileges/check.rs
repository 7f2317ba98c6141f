//! The start-up check against a real vCenter: what the session's role holds
//! on the root folder (`AuthorizationManager.FetchUserPrivilegeOnEntities`
//! for the session's user) against what the loaded groups need. Each
//! missing privilege is a warning naming the tools that will fail; a role
//! holding administrator-only privileges no group needs is a warning that
//! the role is far broader than needed. A failed check is a warning too:
//! it never stops the server.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use super::requirements::Requirements;
use crate::error::VsError;
use crate::vsphere::{Backend, CallContext, MoRef};

/// Privileges only an administrator-like role holds (managing roles,
/// permissions, sessions, extensions, licences): no tool group needs them,
/// so a role holding them is far broader than needed.
pub const ADMIN_MARKERS: &[&str] = &[
    "Authorization.ModifyRoles",
    "Authorization.ModifyPermissions",
    "Sessions.TerminateSession",
    "Extension.Register",
    "Global.Licenses",
];

/// What the check found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Finding {
    /// The session's user.
    pub user: String,
    /// Needed privileges the role lacks, each with the tools that need it.
    pub missing: Vec<(String, Vec<String>)>,
    /// Administrator-only privileges the role holds that nothing needs.
    pub excess: Vec<String>,
    /// How many privileges the role holds.
    pub held: usize,
}

/// Compare the privileges `held` with `req`.
pub fn compare(user: &str, held: &BTreeSet<String>, req: &Requirements) -> Finding {
    let missing = req
        .ids()
        .into_iter()
        .filter(|p| !held.contains(*p))
        .map(|p| (p.to_string(), req.tools_needing(p)))
        .collect();
    let needed: BTreeSet<&str> = req.ids().into_iter().collect();
    let excess = ADMIN_MARKERS
        .iter()
        .filter(|m| held.contains(**m) && !needed.contains(**m))
        .map(|m| m.to_string())
        .collect();
    Finding {
        user: user.to_string(),
        missing,
        excess,
        held: held.len(),
    }
}

/// Run the check and log what it finds (see the module documentation).
pub async fn check_session(backend: &dyn Backend, req: &Requirements) {
    let ctx = CallContext {
        correlation_id: "startup-privilege-check".into(),
        progress: None,
    };
    match held_privileges(backend, &ctx).await {
        Ok((user, held)) => log(&compare(&user, &held, req), req),
        Err(e) => tracing::warn!(
            error = %e,
            "could not check the vCenter session's privileges (AuthorizationManager.FetchUserPrivilegeOnEntities); run `vmware-mcp privileges` and compare with the service account's role"
        ),
    }
}

fn log(finding: &Finding, req: &Requirements) {
    for (privilege, tools) in &finding.missing {
        tracing::warn!(
            user = %finding.user,
            privilege = %privilege,
            tools = %tools.join(", "),
            "the vCenter session's role lacks {privilege}: {} will fail",
            tools.join(", ")
        );
    }
    if !finding.excess.is_empty() {
        tracing::warn!(
            user = %finding.user,
            held = finding.held,
            needed = req.privileges.len(),
            admin_privileges = %finding.excess.join(", "),
            "the vCenter session's role is far broader than the loaded tool groups need (it holds administrator privileges such as {}); give the service account a least-privilege role: `vmware-mcp privileges` prints one",
            finding.excess.join(", ")
        );
    }
    if finding.missing.is_empty() && finding.excess.is_empty() {
        tracing::info!(
            user = %finding.user,
            held = finding.held,
            needed = req.privileges.len(),
            "the vCenter session's role holds every privilege the loaded tool groups need, and no administrator privileges"
        );
    }
}

/// The session's user and the privileges it holds on the root folder.
async fn held_privileges(
    backend: &dyn Backend,
    ctx: &CallContext,
) -> Result<(String, BTreeSet<String>), VsError> {
    let content = backend.service_content(ctx).await?;
    let moref = |field: &str| {
        MoRef::from_json(&content[field]).ok_or_else(|| {
            VsError::Internal(format!("the service content has no {field} reference"))
        })
    };
    let root = moref("rootFolder")?;
    let authz = moref("authorizationManager")?;
    let sessions = moref("sessionManager")?;
    let session = backend
        .read(
            ctx,
            std::slice::from_ref(&sessions),
            &["currentSession".to_string()],
        )
        .await?;
    let user = session
        .first()
        .and_then(|o| o.properties.iter().find(|p| p.0 == "currentSession"))
        .and_then(|p| p.1.get("userName"))
        .and_then(Value::as_str)
        .ok_or_else(|| VsError::Internal("the session manager reports no current session".into()))?
        .to_string();
    let mut args = Map::new();
    args.insert("entities".into(), json!([root.to_json()]));
    args.insert("userName".into(), json!(user));
    let result = backend
        .invoke(ctx, &authz, "FetchUserPrivilegeOnEntities", &args)
        .await?;
    let held = result
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r.get("privileges").and_then(Value::as_array))
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect();
    Ok((user, held))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::privileges::requirements::Need;

    fn req() -> Requirements {
        let mut req = Requirements::default();
        for (p, tool) in [
            ("System.Read", ""),
            ("VirtualMachine.State.CreateSnapshot", "createSnapshot"),
        ] {
            req.privileges.insert(
                p.into(),
                vec![Need {
                    group: "vms".into(),
                    tools: if tool.is_empty() {
                        vec![]
                    } else {
                        vec![tool.into()]
                    },
                    reason: "x".into(),
                }],
            );
        }
        req
    }

    #[test]
    fn missing_and_excess_privileges_are_found() {
        let held: BTreeSet<String> = ["System.Read", "Authorization.ModifyRoles"]
            .into_iter()
            .map(String::from)
            .collect();
        let f = compare("u", &held, &req());
        assert_eq!(
            f.missing,
            [(
                "VirtualMachine.State.CreateSnapshot".to_string(),
                vec!["vms.createSnapshot".to_string()]
            )]
        );
        assert_eq!(f.excess, ["Authorization.ModifyRoles"]);
        let exact: BTreeSet<String> = ["System.Read", "VirtualMachine.State.CreateSnapshot"]
            .into_iter()
            .map(String::from)
            .collect();
        assert_eq!(
            compare("u", &exact, &req()),
            Finding {
                user: "u".into(),
                missing: vec![],
                excess: vec![],
                held: 2
            }
        );
    }
}
