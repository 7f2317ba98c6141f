//! A group's capabilities: the managed object types it reads, declared with
//! [`Toolbox::reads`](crate::Toolbox::reads), and the vim25 methods it may
//! invoke, declared next to each tool with
//! [`ToolSpec::invokes`](crate::ToolSpec::invokes).
//!
//! The host enforces them below the plugin: a read of another type or an
//! invoke of another method is refused (`approval-denied`), even with an
//! approval grant. They are shown at load, can be narrowed by the
//! operator's plugins file, and give the vSphere privileges the service
//! account needs (`vmware-mcp privileges`). Declare exactly what the
//! handlers use: an undeclared method fails at run time, a superfluous one
//! asks the operator for a privilege nobody needs.

use crate::bindings::exports::infra::vmware::tool_group::Capabilities as WitCapabilities;

/// The declared reads and invokes, in declaration order without repeats.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// Managed object types read through `read`, `retrieve` and the
    /// inventory index, e.g. `VirtualMachine`; a base type covers subtypes.
    pub reads: Vec<String>,
    /// Methods invoked, each as `Type.Method`, e.g. `VirtualMachine.PowerOnVM_Task`.
    pub invokes: Vec<String>,
}

impl Capabilities {
    /// Add read types, skipping repeats.
    pub fn add_reads<S: AsRef<str>>(&mut self, types: &[S]) {
        add(&mut self.reads, types);
    }

    /// Add invoked methods, skipping repeats.
    pub fn add_invokes<S: AsRef<str>>(&mut self, methods: &[S]) {
        add(&mut self.invokes, methods);
    }

    /// The WIT record in the manifest.
    pub(crate) fn to_wit(&self) -> WitCapabilities {
        WitCapabilities {
            reads: self.reads.clone(),
            invokes: self.invokes.clone(),
        }
    }
}

fn add<S: AsRef<str>>(into: &mut Vec<String>, items: &[S]) {
    for item in items {
        let item = item.as_ref();
        if !into.iter().any(|existing| existing == item) {
            into.push(item.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_are_declared_once() {
        let mut caps = Capabilities::default();
        caps.add_reads(&["VirtualMachine", "HostSystem"]);
        caps.add_reads(&["VirtualMachine"]);
        caps.add_invokes(&[
            "VirtualMachine.PowerOnVM_Task",
            "VirtualMachine.PowerOnVM_Task",
        ]);
        assert_eq!(caps.reads, ["VirtualMachine", "HostSystem"]);
        assert_eq!(caps.to_wit().invokes, ["VirtualMachine.PowerOnVM_Task"]);
    }
}
