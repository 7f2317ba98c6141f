//! Role definitions an operator can paste: a `govc role.create` line, a
//! PowerCLI `New-VIRole` line, and the human-readable list they come from.

use super::requirements::Requirements;

/// `govc role.create NAME PRIV...`.
pub fn govc(role: &str, req: &Requirements) -> String {
    format!(
        "govc role.create {} {}",
        shell_quote(role),
        req.ids().join(" ")
    )
}

/// `New-VIRole -Name NAME -Privilege (Get-VIPrivilege -Id ...)`.
pub fn powercli(role: &str, req: &Requirements) -> String {
    let ids: Vec<String> = req.ids().iter().map(|p| format!("'{p}'")).collect();
    format!(
        "New-VIRole -Name '{}' -Privilege (Get-VIPrivilege -Id {})",
        role.replace('\'', "''"),
        ids.join(",")
    )
}

/// The whole report: per privilege, which tools and methods need it, then
/// the role definitions.
pub fn text(role: &str, groups: &[String], req: &Requirements) -> String {
    let mut out = format!(
        "vSphere privileges needed by the loaded tool groups ({}):\n\n",
        groups.join(", ")
    );
    let width = req.ids().iter().map(|p| p.len()).max().unwrap_or(0);
    for (privilege, needs) in &req.privileges {
        let mut first = true;
        for need in needs {
            let who = if need.tools.is_empty() {
                need.group.clone()
            } else {
                need.tools
                    .iter()
                    .map(|t| format!("{}.{t}", need.group))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let label = if first { privilege.as_str() } else { "" };
            out.push_str(&format!("  {label:width$}  {who}: {}\n", need.reason));
            first = false;
        }
    }
    if !req.unresolved.is_empty() {
        out.push_str(
            "\nMethods with no fixed privilege in the vim25 schema (vSphere checks them per argument; see the vSphere API reference):\n",
        );
        for need in &req.unresolved {
            out.push_str(&format!("  {}: {}\n", need.group, need.reason));
        }
    }
    out.push_str(&format!(
        "\nRole definition (assign it to the service account on the vCenter root folder, propagating):\n\n  {}\n\n  {}\n",
        govc(role, req),
        powercli(role, req)
    ));
    out
}

/// Quote `s` for a POSIX shell when it needs it.
fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::privileges::requirements::Need;

    #[test]
    fn role_lines_list_every_privilege() {
        let mut req = Requirements::default();
        for p in ["System.Read", "VirtualMachine.Interact.PowerOn"] {
            req.privileges.insert(
                p.into(),
                vec![Need {
                    group: "vms".into(),
                    tools: vec!["powerOnVm".into()],
                    reason: "VirtualMachine.PowerOnVM_Task".into(),
                }],
            );
        }
        assert_eq!(
            govc("mcp role", &req),
            "govc role.create 'mcp role' System.Read VirtualMachine.Interact.PowerOn"
        );
        assert_eq!(
            powercli("mcp", &req),
            "New-VIRole -Name 'mcp' -Privilege (Get-VIPrivilege -Id 'System.Read','VirtualMachine.Interact.PowerOn')"
        );
        let report = text("mcp", &["vms 1.0".into()], &req);
        assert!(
            report.contains("vms.powerOnVm: VirtualMachine.PowerOnVM_Task"),
            "{report}"
        );
    }
}
