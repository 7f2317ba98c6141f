//! Which vSphere methods change state and therefore need a grant.
//!
//! This is an explicit **allowlist** of read-only methods: anything not listed,
//! including methods this table has never heard of, needs a grant. Forgetting
//! a read-only method costs an unnecessary approval; forgetting a state-changing
//! one would bypass approval, so the table errs on the side of asking. A later
//! change derives the classification from the vim25 schema's privileges.

/// vim25 methods that only read, or that only manage the caller's own session
/// objects (views, filters, collectors) used for reading. Grouped by manager
/// and sorted within each group, for review.
const READ_ONLY_METHODS: &[&str] = &[
    // Property collector: reading and its own cursors and filters.
    "CancelRetrievePropertiesEx",
    "CancelWaitForUpdates",
    "CheckForUpdates",
    "ContinueRetrievePropertiesEx",
    "CreateFilter",
    "CreatePropertyCollector",
    "DestroyPropertyCollector",
    "DestroyPropertyFilter",
    "RetrieveContents",
    "RetrieveProperties",
    "RetrievePropertiesEx",
    "WaitForUpdates",
    "WaitForUpdatesEx",
    // View manager: session-scoped views used for collection (housekeeping).
    "CreateContainerView",
    "CreateInventoryView",
    "CreateListView",
    "DestroyView",
    // Search index.
    "FindAllByDnsName",
    "FindAllByIp",
    "FindAllByUuid",
    "FindByDatastorePath",
    "FindByDnsName",
    "FindByInventoryPath",
    "FindByIp",
    "FindByUuid",
    "FindChild",
    // Performance manager.
    "QueryAvailablePerfMetric",
    "QueryPerf",
    "QueryPerfComposite",
    "QueryPerfCounter",
    "QueryPerfCounterByLevel",
    "QueryPerfProviderSummary",
    // Environment browser: what a VM could be configured with.
    "QueryConfigOption",
    "QueryConfigOptionDescriptor",
    "QueryConfigOptionEx",
    "QueryConfigTarget",
    "QueryTargetCapabilities",
    // Service instance.
    "CurrentTime",
    "RetrieveServiceContent",
    // Events and tasks history.
    "QueryEvents",
];

/// Whether `method` only reads, so `invoke` may run it without a grant.
/// Unknown methods are not read-only: the safe default is to ask.
pub fn is_read_only(method: &str) -> bool {
    READ_ONLY_METHODS.contains(&method)
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
        for m in [
            "PowerOffVM_Task",
            "PowerOnVM_Task",
            "Destroy_Task",
            "ReconfigVM_Task",
            "RebootHost_Task",
            "Login",
            "SetField",
        ] {
            assert!(!is_read_only(m), "{m}");
        }
    }

    #[test]
    fn reads_do_not() {
        for m in [
            "RetrievePropertiesEx",
            "ContinueRetrievePropertiesEx",
            "CreateContainerView",
            "DestroyView",
            "FindByInventoryPath",
            "QueryPerf",
            "CurrentTime",
            "WaitForUpdatesEx",
            "QueryConfigOption",
        ] {
            assert!(is_read_only(m), "{m}");
        }
    }

    #[test]
    fn unknown_and_miscased_methods_need_a_grant() {
        assert!(!is_read_only("retrievepropertiesex"));
        assert!(!is_read_only("RetrievePropertiesEx "));
        assert!(!is_read_only(""));
        assert!(!is_read_only("SomeFutureMethod"));
    }

    #[test]
    fn table_has_no_duplicates() {
        let mut sorted = READ_ONLY_METHODS.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), READ_ONLY_METHODS.len());
        assert!(READ_ONLY_METHODS.iter().all(|m| looks_like_method_name(m)));
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
