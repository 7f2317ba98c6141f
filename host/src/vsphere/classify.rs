//! Which vSphere methods change state and therefore need a grant, decided by
//! the vim25 schema (see [`super::schema`]): only methods whose
//! required privilege (and every parameter's) is `System.Anonymous`,
//! `System.View` or `System.Read`, and whose name says it reads, are
//! read-only. Anything else, including a method or type the schema does not
//! know, needs a grant: forgetting a read-only method costs an approval,
//! forgetting a state-changing one would bypass it.

use super::schema::{Method, schema};

/// Methods that only read although the privilege they need is not a read
/// one, with that privilege: searching a datastore's files needs
/// `Datastore.Browse` (on the datastore; the schema names none).
pub const READS_BEHIND_PRIVILEGE: &[(&str, &str, &str)] = &[(
    "HostDatastoreBrowser",
    "SearchDatastore_Task",
    "Datastore.Browse",
)];

/// The privilege of a method in [`READS_BEHIND_PRIVILEGE`], if it is one.
pub fn read_behind_privilege(managed_type: &str, method: &str) -> Option<&'static str> {
    READS_BEHIND_PRIVILEGE
        .iter()
        .find(|(t, m, _)| *t == managed_type && *m == method)
        .map(|(_, _, privilege)| *privilege)
}

/// Whether calling `method` on a `managed_type` object only reads, so
/// `invoke` may run it without a grant.
pub fn is_read_only(managed_type: &str, method: &str) -> bool {
    read_behind_privilege(managed_type, method).is_some()
        || schema()
            .ok()
            .and_then(|s| s.method(managed_type, method))
            .is_some_and(method_reads_only)
}

/// Whether a schema method only reads, so it may run without an approval
/// grant and may be resent after a re-login.
///
/// Its privilege and every parameter privilege must be
/// `System.Anonymous`, `System.View` or `System.Read`, **and** its name
/// must say it reads (see [`reads_by_name`]). The name test is needed
/// because vSphere checks some destructive methods per argument behind a
/// nominal `System.View` (`VirtualDiskManager.DeleteVirtualDisk_Task`,
/// `HostLocalAccountManager.ChangePassword`, `SessionManager.Logout`...);
/// when in doubt the method needs a grant.
pub fn method_reads_only(method: &Method) -> bool {
    if COLLECTOR_UPKEEP.contains(&method.name.as_str()) {
        return true;
    }
    method
        .privilege
        .as_deref()
        .is_some_and(is_read_only_privilege)
        && method
            .param_privileges
            .iter()
            .all(|p| is_read_only_privilege(p))
        && reads_by_name(&method.name)
}

/// A history collector's own methods (`EventHistoryCollector`,
/// `TaskHistoryCollector`): the schema names no privilege for these, because
/// they only read, page or drop the collector the caller's session created
/// to read events or tasks.
const COLLECTOR_UPKEEP: &[&str] = &[
    "ReadNextEvents",
    "ReadPreviousEvents",
    "ReadNextTasks",
    "ReadPreviousTasks",
    "SetCollectorPageSize",
    "ResetCollector",
    "RewindCollector",
    "DestroyCollector",
];

/// Only these privileges can mark a method as read-only; everything else,
/// including methods with no single privilege, changes state.
pub fn is_read_only_privilege(privilege: &str) -> bool {
    matches!(
        privilege,
        "System.Anonymous" | "System.View" | "System.Read"
    )
}

/// Verbs that start the names of methods that only read.
const READ_VERBS: &[&str] = &[
    "Query",
    "Retrieve",
    "Find",
    "List",
    "Get",
    "Check",
    "Fetch",
    "Lookup",
    "Estimate",
    "Has",
    "Is",
    "Read",
    "Validate",
    "Recommend",
    "Wait",
    "Continue",
    "Can",
];

/// Methods that read or only manage the caller's own session-scoped reading
/// objects (views, collectors, filters) without a reading verb in their name.
const READ_ONLY_BY_NAME: &[&str] = &[
    "CurrentTime",
    "CreateFilter",
    "CreatePropertyCollector",
    "DestroyPropertyCollector",
    "CancelWaitForUpdates",
    "CancelRetrievePropertiesEx",
    "CreateContainerView",
    "CreateListView",
    "CreateListViewFromView",
    "CreateInventoryView",
    "DestroyView",
    "CreateCollectorForEvents",
    "CreateCollectorForTasks",
    "CreateCollectorWithInfoFilterForTasks",
    "ParseDescriptor",
    "CustomizationSpecItemToXml",
    "XmlToCustomizationSpecItem",
    "ConvertNamespacePathToUuidPath",
    "PlaceVm",
    "EvcManager",
    "ReconfigurationSatisfiable",
];

/// True when a method's name says it only reads: a reading verb at a word
/// boundary (`QueryPerf`, `getVchaConfig`, `IsSharedGraphicsActive`, not
/// `Install…`), or one of a few known reading methods.
pub fn reads_by_name(method: &str) -> bool {
    if READ_ONLY_BY_NAME.contains(&method) {
        return true;
    }
    READ_VERBS.iter().any(|verb| {
        let lower = verb.to_ascii_lowercase();
        let rest = method
            .strip_prefix(verb)
            .or_else(|| method.strip_prefix(lower.as_str()));
        rest.and_then(|r| r.chars().next())
            .is_some_and(|c| c.is_ascii_uppercase() || c == '_')
    })
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
            ("HostDatastoreBrowser", "SearchDatastore_Task"),
        ] {
            assert!(is_read_only(t, m), "{t}.{m}");
        }
    }

    #[test]
    fn destructive_methods_behind_a_nominal_view_privilege_need_a_grant() {
        for (t, m) in [
            ("VirtualDiskManager", "DeleteVirtualDisk_Task"),
            ("HostLocalAccountManager", "ChangePassword"),
            ("SessionManager", "Login"),
            ("SessionManager", "AcquireCloneTicket"),
            ("Datacenter", "PowerOnMultiVM_Task"),
            ("VcenterVStorageObjectManager", "DeleteVStorageObject_Task"),
            ("ManagedEntity", "Reload"),
            ("HostDatastoreBrowser", "DeleteFile"),
            ("HostDatastoreBrowser", "SearchDatastoreSubFolders_Task"),
            ("EventManager", "PostEvent"),
            ("AlarmManager", "AcknowledgeAlarm"),
            // No single privilege at all.
            ("VirtualMachine", "CloneVM_Task"),
        ] {
            assert!(!is_read_only(t, m), "{t}.{m} must need a grant");
        }
    }

    #[test]
    fn reading_and_session_scoped_housekeeping_stay_read_only() {
        for (t, m) in [
            ("PropertyCollector", "WaitForUpdatesEx"),
            ("PropertyCollector", "CancelRetrievePropertiesEx"),
            ("PropertyCollector", "CreatePropertyCollector"),
            ("PropertyCollector", "CreateFilter"),
            ("PropertyCollector", "DestroyPropertyCollector"),
            ("ContainerView", "DestroyView"),
            ("ServiceInstance", "RetrieveServiceContent"),
            ("FailoverClusterManager", "getClusterMode"),
            ("HostGraphicsManager", "IsSharedGraphicsActive"),
            // Reading events and tasks through a collector of one's own.
            ("EventManager", "CreateCollectorForEvents"),
            ("TaskManager", "CreateCollectorForTasks"),
            ("EventHistoryCollector", "SetCollectorPageSize"),
            ("EventHistoryCollector", "ReadNextEvents"),
            ("TaskHistoryCollector", "ReadNextTasks"),
            ("TaskHistoryCollector", "DestroyCollector"),
        ] {
            assert!(is_read_only(t, m), "{t}.{m} should be read-only");
        }
        assert!(!reads_by_name("Install"));
        assert!(!reads_by_name("Query"));
        assert!(reads_by_name("Query_Task"));
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
