//! A vim25 method a tool invokes, named once.
//!
//! A state-changing method appears in three places: the tool's declared
//! capabilities ([`ToolSpec::invokes`](crate::ToolSpec::invokes)), the
//! approval it asks for ([`Action::method`](crate::approval::Action::method))
//! and the call itself ([`vsphere::invoke`](crate::vsphere::invoke)). Each
//! takes a [`Method`], so a group names the method once, as a constant,
//! and the three cannot disagree (a typo in one would be refused by the host
//! at run time, after the operator approved).

use std::fmt;

/// A vim25 method and the managed type that declares it, e.g.
/// `Method::new("VirtualMachine", "PowerOnVM_Task")`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Method {
    owner: &'static str,
    name: &'static str,
}

impl Method {
    /// The method `name` of the managed type `owner` (the type whose
    /// objects the method is called on, as the capability names it).
    pub const fn new(owner: &'static str, name: &'static str) -> Method {
        Method { owner, name }
    }

    /// The WSDL name, e.g. `PowerOnVM_Task`: what the host invokes and
    /// what approvals and results show.
    pub const fn name(self) -> &'static str {
        self.name
    }

    /// The managed type, e.g. `VirtualMachine`.
    pub const fn owner(self) -> &'static str {
        self.owner
    }

    /// `Type.Method`, the form capabilities declare.
    pub fn qualified(self) -> String {
        format!("{}.{}", self.owner, self.name)
    }
}

impl fmt::Display for Method {
    /// The WSDL name alone, as messages quote it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POWER_ON: Method = Method::new("VirtualMachine", "PowerOnVM_Task");

    #[test]
    fn one_constant_gives_every_form() {
        assert_eq!(POWER_ON.name(), "PowerOnVM_Task");
        assert_eq!(POWER_ON.owner(), "VirtualMachine");
        assert_eq!(POWER_ON.qualified(), "VirtualMachine.PowerOnVM_Task");
        assert_eq!(POWER_ON.to_string(), "PowerOnVM_Task");
    }
}
