//! Which vSphere methods change state and therefore need a grant, decided by
//! the vim25 schema (see [`super::schema`]): only methods whose
//! required privilege (and every parameter's) is `System.Anonymous`,
//! `System.View` or `System.Read`, and whose name says it reads, are
//! read-only. Anything else, including a method or type the schema does not
//! know, needs a grant: forgetting a read-only method costs an approval,
//! forgetting a state-changing one would bypass it.

use super::schema::{Method, schema};

/// Whether calling `method` on a `managed_type` object only reads, so
/// `invoke` may run it without a grant.
pub fn is_read_only(managed_type: &str, method: &str) -> bool {
    schema()
        .ok()
        .and_then(|s| s.method(managed_type, method))
        .is_some_and(Method::is_read_only)
}

/// Whether `method` has the shape of a vim25 method name (an ASCII letter
/// followed by letters, digits and `_`, e.g. `PowerOffVM_Task`), so that an
/// approval request naming garbage is refused before anyone is asked about it.
pub fn looks_like_method_name(method: &str) -> bool {
    let mut chars = method.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    method.len() <= 128
        && first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_changes_need_a_grant() {
        for (t, m) in [
            ("VirtualMachine", "PowerOffVM_Task"),
            ("VirtualMachine", "PowerOnVM_Task"),
            ("VirtualMachine", "RebootGuest"),
            ("VirtualMachine", "CreateSnapshot_Task"),
            ("VirtualMachine", "CloneVM_Task"),
            ("VirtualMachineSnapshot", "RemoveSnapshot_Task"),
            ("HostSystem", "EnterMaintenanceMode_Task"),
            ("ManagedEntity", "Destroy_Task"),
            ("VirtualMachine", "Destroy_Task"), // inherited from ManagedEntity
            ("VirtualDiskManager", "DeleteVirtualDisk_Task"),
            ("SessionManager", "Logout"),
        ] {
            assert!(!is_read_only(t, m), "{t}.{m}");
        }
    }

    #[test]
    fn reads_do_not() {
        for (t, m) in [
            ("PropertyCollector", "RetrievePropertiesEx"),
            ("PropertyCollector", "ContinueRetrievePropertiesEx"),
            ("ViewManager", "CreateContainerView"),
            ("SearchIndex", "FindByInventoryPath"),
            ("PerformanceManager", "QueryPerf"),
            ("ServiceInstance", "CurrentTime"),
        ] {
            assert!(is_read_only(t, m), "{t}.{m}");
        }
    }

    #[test]
    fn unknown_types_and_methods_need_a_grant() {
        assert!(!is_read_only("PropertyCollector", "retrievepropertiesex"));
        assert!(!is_read_only("VirtualMachine", "RetrievePropertiesEx"));
        assert!(!is_read_only("VirtualMachine", ""));
        assert!(!is_read_only("FutureManager", "SomeFutureMethod"));
    }

    #[test]
    fn method_name_shape() {
        assert!(looks_like_method_name("PowerOffVM_Task"));
        assert!(looks_like_method_name("Destroy"));
        for bad in [
            "",
            "_Task",
            "1Power",
            "Power Off",
            "Power.Off",
            "PowerOff\n",
            &"A".repeat(129),
        ] {
            assert!(!looks_like_method_name(bad), "{bad:?}");
        }
    }
}
