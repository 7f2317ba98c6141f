//! A tool group's capabilities: the managed object types it reads and the
//! vim25 methods it may invoke, as the component declared them (contract
//! 0.3.0 and later) and as the operator's plugins file narrowed them. The
//! host checks them on every vSphere call the plugin makes, below the
//! plugin and before the approval gate, so no grant can widen them.
//!
//! A component built against 0.1.0 or 0.2.0 declares nothing. It gets what
//! such a group needed before capabilities existed and no more: it may read
//! any type and invoke the methods the vim25 schema classes as read-only;
//! a state-changing method is refused unless the operator's plugins file
//! grants it to that component (pinned by digest).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::vsphere::schema::{Schema, schema};

/// One vim25 method a group may invoke, on a managed type and its subtypes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MethodRef {
    /// The managed type that has the method, e.g. `VirtualMachine`.
    pub managed_type: String,
    /// The WSDL method name, e.g. `PowerOnVM_Task`.
    pub method: String,
}

impl fmt::Display for MethodRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.managed_type, self.method)
    }
}

impl MethodRef {
    /// Parse `Type.Method` and check it against the vim25 schema: the type
    /// must be a managed type and the method must exist on it (declared or
    /// inherited), so a typo is caught at load rather than at the first call.
    pub fn parse(text: &str) -> Result<MethodRef, String> {
        let schema = schema()?;
        let Some((managed_type, method)) = text.split_once('.') else {
            return Err(format!(
                "`{text}` is not of the form `Type.Method` (e.g. `VirtualMachine.PowerOnVM_Task`)"
            ));
        };
        if schema.managed_type(managed_type).is_none() {
            return Err(format!(
                "`{text}`: `{managed_type}` is not a managed object type of the vim25 schema {}",
                schema.version
            ));
        }
        if schema.method(managed_type, method).is_none() {
            return Err(format!(
                "`{text}`: `{managed_type}` has no method `{method}` in the vim25 schema {}",
                schema.version
            ));
        }
        Ok(MethodRef {
            managed_type: managed_type.to_string(),
            method: method.to_string(),
        })
    }

    /// Whether this entry allows `method` on an object of `target_type`.
    fn allows(&self, schema: &Schema, target_type: &str, method: &str) -> bool {
        self.method == method && schema.is_subtype(target_type, &self.managed_type)
    }
}

/// What a component said about its rights.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Declaration {
    /// A 0.3.0+ manifest's `capabilities`.
    Declared {
        /// Managed object types it reads.
        reads: BTreeSet<String>,
        /// Methods it may invoke.
        invokes: BTreeSet<MethodRef>,
        /// Each tool's own methods, a subset of `invokes`.
        tools: BTreeMap<String, BTreeSet<MethodRef>>,
    },
    /// A 0.1.0 or 0.2.0 component, which cannot declare anything.
    Legacy,
}

/// What the host lets one loaded group do: its declaration, and the
/// operator's narrowing (declared groups) or grant (legacy groups).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capabilities {
    /// What the component declared.
    pub declaration: Declaration,
    /// The operator's `invokes` list from the plugins file, when given:
    /// a subset of the declared methods, or for a legacy component the
    /// state-changing methods it is granted.
    pub operator_invokes: Option<BTreeSet<MethodRef>>,
}

impl Capabilities {
    /// Nothing at all: what `describe()` runs with (it cannot call vSphere).
    pub fn none() -> Capabilities {
        Capabilities {
            declaration: Declaration::Declared {
                reads: BTreeSet::new(),
                invokes: BTreeSet::new(),
                tools: BTreeMap::new(),
            },
            operator_invokes: None,
        }
    }

    /// A legacy component's rights (see the module documentation).
    pub fn legacy() -> Capabilities {
        Capabilities {
            declaration: Declaration::Legacy,
            operator_invokes: None,
        }
    }

    /// A component's own declaration, checked against the vim25 schema:
    /// every read type must be a managed type, every method must exist, and
    /// each tool's methods (`(tool, invokes)`) must be among the group's.
    pub fn declared(
        reads: &[String],
        invokes: &[String],
        tools: &[(String, Vec<String>)],
    ) -> Result<Capabilities, String> {
        let schema = schema()?;
        let mut read_set = BTreeSet::new();
        for t in reads {
            if schema.managed_type(t).is_none() {
                return Err(format!(
                    "capabilities.reads: `{t}` is not a managed object type of the vim25 schema {} (e.g. VirtualMachine, HostSystem, Datastore)",
                    schema.version
                ));
            }
            read_set.insert(t.clone());
        }
        let invoke_set = invokes
            .iter()
            .map(|m| MethodRef::parse(m).map_err(|e| format!("capabilities.invokes: {e}")))
            .collect::<Result<BTreeSet<_>, _>>()?;
        let mut tool_map = BTreeMap::new();
        for (tool, methods) in tools {
            let mut set = BTreeSet::new();
            for text in methods {
                let m =
                    MethodRef::parse(text).map_err(|e| format!("tool `{tool}` invokes: {e}"))?;
                if !invoke_set.contains(&m) {
                    return Err(format!(
                        "tool `{tool}` invokes `{m}`, which is not in the group's capabilities.invokes ({})",
                        list(&invoke_set)
                    ));
                }
                set.insert(m);
            }
            tool_map.insert(tool.clone(), set);
        }
        Ok(Capabilities {
            declaration: Declaration::Declared {
                reads: read_set,
                invokes: invoke_set,
                tools: tool_map,
            },
            operator_invokes: None,
        })
    }

    /// Apply the operator's `invokes` list. For a declared component it
    /// must be a subset of the declaration (a method outside it is an error:
    /// the operator cannot widen what the author declared); for a legacy
    /// component it grants those methods.
    pub fn with_operator_invokes(mut self, invokes: &[String]) -> Result<Capabilities, String> {
        let mut set = BTreeSet::new();
        for text in invokes {
            let m = MethodRef::parse(text)?;
            if let Declaration::Declared {
                invokes: declared, ..
            } = &self.declaration
                && !declared.contains(&m)
            {
                return Err(format!(
                    "`{m}` is not among the methods the component declares ({}); a plugins file can only narrow a declaration",
                    list(declared)
                ));
            }
            set.insert(m);
        }
        self.operator_invokes = Some(set);
        Ok(self)
    }

    /// Whether the component declared its capabilities (0.3.0 and later).
    pub fn is_declared(&self) -> bool {
        matches!(self.declaration, Declaration::Declared { .. })
    }

    /// The types it may read, `None` for any (legacy).
    pub fn reads(&self) -> Option<&BTreeSet<String>> {
        match &self.declaration {
            Declaration::Declared { reads, .. } => Some(reads),
            Declaration::Legacy => None,
        }
    }

    /// The methods it may invoke after the operator's narrowing; for a
    /// legacy component, the granted state-changing ones (its read-only
    /// methods are not listed: they are any).
    pub fn invokes(&self) -> BTreeSet<MethodRef> {
        match (&self.declaration, &self.operator_invokes) {
            (_, Some(operator)) => operator.clone(),
            (Declaration::Declared { invokes, .. }, None) => invokes.clone(),
            (Declaration::Legacy, None) => BTreeSet::new(),
        }
    }

    /// Check a `retrieve` of `managed_type` or a `read` of an object of it;
    /// the error says what the group declared.
    pub fn check_read(&self, group: &str, managed_type: &str) -> Result<(), String> {
        let Some(reads) = self.reads() else {
            return Ok(());
        };
        let schema = schema()?;
        if reads.iter().any(|t| schema.is_subtype(managed_type, t)) {
            return Ok(());
        }
        Err(format!(
            "the `{group}` group may not read {managed_type} objects: its manifest declares reads of {}; the host refuses reads outside a group's declared capabilities",
            list(reads)
        ))
    }

    /// The methods `tool` declared, `None` for a legacy component (or an
    /// unknown tool).
    pub fn tool_invokes(&self, tool: &str) -> Option<&BTreeSet<MethodRef>> {
        match &self.declaration {
            Declaration::Declared { tools, .. } => tools.get(tool),
            Declaration::Legacy => None,
        }
    }

    /// Check an `invoke` of `method` on an object of `target_type` during a
    /// call of `tool` (the tool's name within its group). Runs before the
    /// approval gate: a method outside the group's effective capabilities
    /// or the tool's own list is refused even when the call holds a grant.
    pub fn check_invoke(
        &self,
        group: &str,
        tool: &str,
        target_type: &str,
        method: &str,
    ) -> Result<(), String> {
        let schema = schema()?;
        let allowed = self.invokes();
        let wanted = format!("{target_type}.{method}");
        if allowed
            .iter()
            .any(|m| m.allows(schema, target_type, method))
        {
            if let Declaration::Declared { tools, .. } = &self.declaration {
                let own = tools.get(tool).cloned().unwrap_or_default();
                if !own.iter().any(|m| m.allows(schema, target_type, method)) {
                    return Err(format!(
                        "the `{group}` group's tool `{tool}` may not invoke {wanted}: the tool declares invokes of {}; the host refuses methods a tool did not declare, whatever the approval",
                        list(&own)
                    ));
                }
            }
            return Ok(());
        }
        match &self.declaration {
            Declaration::Declared { invokes, .. } => {
                let declared_it = invokes
                    .iter()
                    .any(|m| m.allows(schema, target_type, method));
                if declared_it {
                    Err(format!(
                        "the `{group}` group may not invoke {wanted}: it declares it, but the operator's plugins file narrowed its methods to {}; the host refuses methods outside a group's effective capabilities, whatever the approval",
                        list(&allowed)
                    ))
                } else {
                    Err(format!(
                        "the `{group}` group may not invoke {wanted}: its manifest declares invokes of {}; the host refuses methods a group did not declare, whatever the approval",
                        list(invokes)
                    ))
                }
            }
            Declaration::Legacy => {
                if schema
                    .method(target_type, method)
                    .is_some_and(crate::vsphere::classify::method_reads_only)
                {
                    return Ok(());
                }
                Err(format!(
                    "the `{group}` group may not invoke {wanted}: it was built against a contract before 0.3.0 and declares no capabilities, so it may only read, plus the state-changing methods the operator grants it in the plugins file (granted: {})",
                    list(&allowed)
                ))
            }
        }
    }
}

/// A set as `[a, b]`, or `nothing` when empty, for messages and logs.
pub fn list<T: fmt::Display>(items: &BTreeSet<T>) -> String {
    if items.is_empty() {
        return "nothing".to_string();
    }
    let shown: Vec<String> = items.iter().map(ToString::to_string).collect();
    format!("[{}]", shown.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_declaration_is_checked_against_the_schema() {
        assert!(
            Capabilities::declared(
                &strings(&["VirtualMachine"]),
                &strings(&["VirtualMachine.PowerOnVM_Task"]),
                &[]
            )
            .is_ok()
        );
        let typo = Capabilities::declared(&[], &strings(&["VirtualMachine.PowerOnVm_Task"]), &[])
            .unwrap_err();
        assert!(typo.contains("has no method `PowerOnVm_Task`"), "{typo}");
        let unqualified =
            Capabilities::declared(&[], &strings(&["PowerOnVM_Task"]), &[]).unwrap_err();
        assert!(unqualified.contains("`Type.Method`"), "{unqualified}");
        let bad_type =
            Capabilities::declared(&strings(&["VirtualMachineConfigSpec"]), &[], &[]).unwrap_err();
        assert!(bad_type.contains("not a managed object type"), "{bad_type}");
        let outside = Capabilities::declared(
            &[],
            &strings(&["VirtualMachine.PowerOnVM_Task"]),
            &[("reset".into(), strings(&["VirtualMachine.ResetVM_Task"]))],
        )
        .unwrap_err();
        assert!(
            outside.contains("tool `reset` invokes `VirtualMachine.ResetVM_Task`"),
            "{outside}"
        );
    }

    #[test]
    fn only_declared_methods_and_types_pass() {
        let both = strings(&[
            "VirtualMachine.PowerOffVM_Task",
            "ManagedEntity.Rename_Task",
        ]);
        let caps = Capabilities::declared(
            &strings(&["VirtualMachine", "Folder"]),
            &both,
            &[
                ("t".into(), both.clone()),
                ("off".into(), strings(&["VirtualMachine.PowerOffVM_Task"])),
            ],
        )
        .unwrap();
        assert!(
            caps.check_invoke("g", "t", "VirtualMachine", "PowerOffVM_Task")
                .is_ok()
        );
        // A base type's method covers its subtypes.
        assert!(
            caps.check_invoke("g", "t", "HostSystem", "Rename_Task")
                .is_ok()
        );
        // A tool may only use its own methods.
        let other_tool = caps
            .check_invoke("g", "off", "HostSystem", "Rename_Task")
            .unwrap_err();
        assert!(
            other_tool.contains("tool `off` may not invoke HostSystem.Rename_Task"),
            "{other_tool}"
        );
        let refused = caps
            .check_invoke("g", "t", "VirtualMachine", "ResetVM_Task")
            .unwrap_err();
        assert!(
            refused.contains("may not invoke VirtualMachine.ResetVM_Task"),
            "{refused}"
        );
        assert!(
            refused.contains("ManagedEntity.Rename_Task, VirtualMachine.PowerOffVM_Task"),
            "{refused}"
        );
        // Read-only methods must be declared too.
        assert!(
            caps.check_invoke("g", "t", "SearchIndex", "FindByInventoryPath")
                .is_err()
        );
        assert!(caps.check_read("g", "VirtualMachine").is_ok());
        let read = caps.check_read("g", "HostSystem").unwrap_err();
        assert!(read.contains("may not read HostSystem"), "{read}");
    }

    #[test]
    fn the_operator_can_only_narrow() {
        let methods = strings(&[
            "VirtualMachine.PowerOffVM_Task",
            "VirtualMachine.ResetVM_Task",
        ]);
        let caps = Capabilities::declared(&[], &methods, &[("t".into(), methods.clone())]).unwrap();
        let widened = caps
            .clone()
            .with_operator_invokes(&strings(&["VirtualMachine.PowerOnVM_Task"]))
            .unwrap_err();
        assert!(widened.contains("not among the methods"), "{widened}");
        let narrowed = caps
            .with_operator_invokes(&strings(&["VirtualMachine.PowerOffVM_Task"]))
            .unwrap();
        assert!(
            narrowed
                .check_invoke("g", "t", "VirtualMachine", "PowerOffVM_Task")
                .is_ok()
        );
        let refused = narrowed
            .check_invoke("g", "t", "VirtualMachine", "ResetVM_Task")
            .unwrap_err();
        assert!(refused.contains("narrowed"), "{refused}");
    }

    #[test]
    fn legacy_components_read_and_need_a_grant_to_change_state() {
        let legacy = Capabilities::legacy();
        assert!(legacy.check_read("old", "HostSystem").is_ok());
        assert!(
            legacy
                .check_invoke("old", "t", "SearchIndex", "FindByInventoryPath")
                .is_ok()
        );
        let refused = legacy
            .check_invoke("old", "t", "VirtualMachine", "PowerOffVM_Task")
            .unwrap_err();
        assert!(refused.contains("before 0.3.0"), "{refused}");
        let granted = legacy
            .with_operator_invokes(&strings(&["VirtualMachine.PowerOffVM_Task"]))
            .unwrap();
        assert!(
            granted
                .check_invoke("old", "t", "VirtualMachine", "PowerOffVM_Task")
                .is_ok()
        );
    }
}
