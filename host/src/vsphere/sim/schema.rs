//! The shape of vSphere's types as far as the simulator needs it: which
//! properties a managed object type has, which fields a data object type has,
//! and which entity types a container view accepts. With it the simulator
//! rejects a misspelt property path or type name the way vCenter does, instead
//! of quietly answering "unset".

use super::vim_types::{DATA_TYPES, MANAGED_TYPES};

/// One property of a managed object type or one field of a data object type:
/// its name, its kind and the name of its type (element type for arrays).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Field(pub &'static str, pub FieldKind, pub &'static str);

/// What a property path may do after a field: only a data object can be
/// descended into; vCenter refuses a path through an array, a reference or a
/// scalar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FieldKind {
    /// A string, number, boolean, date or enum value.
    Scalar,
    /// A managed object reference.
    Ref,
    /// A data object with fields of its own.
    Data,
    /// An array of anything.
    Array,
}

type TypeRow = (&'static str, Option<&'static str>, &'static [Field]);

fn row(table: &'static [TypeRow], name: &str) -> Option<&'static TypeRow> {
    table.iter().find(|(n, _, _)| *n == name)
}

fn field_in(table: &'static [TypeRow], type_name: &str, field: &str) -> Option<&'static Field> {
    let mut current = Some(type_name);
    // The hierarchies are a few levels deep; the bound guards against a cycle.
    for _ in 0..16 {
        let (_, parent, fields) = row(table, current?)?;
        if let Some(f) = fields.iter().find(|f| f.0 == field) {
            return Some(f);
        }
        current = *parent;
    }
    None
}

/// True when the simulator knows the property list of this managed object type.
pub(super) fn managed_type_known(kind: &str) -> bool {
    row(MANAGED_TYPES, kind).is_some()
}

/// A property of a managed object type, inherited ones included.
pub(super) fn managed_field(kind: &str, property: &str) -> Option<&'static Field> {
    field_in(MANAGED_TYPES, kind, property)
}

/// True when the simulator knows the fields of this data object type.
pub(super) fn data_type_known(type_name: &str) -> bool {
    row(DATA_TYPES, type_name).is_some()
}

/// A field of a data object type, inherited ones included.
pub(super) fn data_field(type_name: &str, field: &str) -> Option<&'static Field> {
    field_in(DATA_TYPES, type_name, field)
}

/// A field of `type_name` or of one of its subtypes: a path may name a field
/// that only some values of a polymorphic property have (`configurationEx`
/// is a `ClusterConfigInfoEx` only on clusters); where the value lacks it, the
/// property is simply unset.
pub(super) fn data_field_in_family(type_name: &str, field: &str) -> Option<&'static Field> {
    if let Some(f) = data_field(type_name, field) {
        return Some(f);
    }
    DATA_TYPES
        .iter()
        .filter(|(n, _, _)| data_type_is_a(n, type_name))
        .find_map(|(n, _, _)| data_field(n, field))
}

/// True when data type `name` is `ancestor` or derives from it.
fn data_type_is_a(name: &str, ancestor: &str) -> bool {
    let mut current = Some(name);
    for _ in 0..16 {
        let Some(c) = current else { return false };
        if c == ancestor {
            return true;
        }
        current = row(DATA_TYPES, c).and_then(|(_, p, _)| *p);
    }
    false
}

/// The managed entity types a container view accepts: name, parent type, and
/// whether it can be a view's container.
const VIEW_TYPES: &[(&str, Option<&str>, bool)] = &[
    ("ManagedEntity", None, true),
    ("Folder", Some("ManagedEntity"), true),
    ("StoragePod", Some("Folder"), true),
    ("Datacenter", Some("ManagedEntity"), true),
    ("ComputeResource", Some("ManagedEntity"), true),
    ("ClusterComputeResource", Some("ComputeResource"), true),
    ("HostSystem", Some("ManagedEntity"), true),
    ("ResourcePool", Some("ManagedEntity"), true),
    ("VirtualApp", Some("ResourcePool"), true),
    ("VirtualMachine", Some("ManagedEntity"), false),
    ("Datastore", Some("ManagedEntity"), false),
    ("Network", Some("ManagedEntity"), false),
    ("OpaqueNetwork", Some("Network"), false),
    ("DistributedVirtualPortgroup", Some("Network"), false),
    ("DistributedVirtualSwitch", Some("ManagedEntity"), false),
    (
        "VmwareDistributedVirtualSwitch",
        Some("DistributedVirtualSwitch"),
        false,
    ),
];

/// True when `type_name` is a type a container view can collect.
pub(super) fn is_view_type(type_name: &str) -> bool {
    VIEW_TYPES.iter().any(|(n, _, _)| *n == type_name)
}

/// True when an object of this type can be a container view's root.
pub(super) fn is_container_kind(kind: &str) -> bool {
    VIEW_TYPES.iter().any(|(n, _, c)| *n == kind && *c)
}

/// True when `kind` is `ancestor` or one of its subtypes (`ClusterComputeResource`
/// is a `ComputeResource`, everything here is a `ManagedEntity`).
pub(super) fn kind_is_a(kind: &str, ancestor: &str) -> bool {
    let mut current = Some(kind);
    for _ in 0..8 {
        let Some(k) = current else { return false };
        if k == ancestor {
            return true;
        }
        current = VIEW_TYPES
            .iter()
            .find(|(n, _, _)| *n == k)
            .and_then(|(_, p, _)| *p);
    }
    false
}

/// True for managed entities (objects in the inventory tree, with a name and a parent).
pub(super) fn is_entity(kind: &str) -> bool {
    kind_is_a(kind, "ManagedEntity")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inherited_properties_are_found() {
        assert!(managed_field("VirtualMachine", "name").is_some());
        assert!(managed_field("VirtualMachine", "runtime").is_some());
        assert!(managed_field("ClusterComputeResource", "host").is_some());
        assert!(managed_field("VirtualMachine", "bogus").is_none());
        assert_eq!(
            data_field("VirtualDisk", "key").map(|f| f.1),
            Some(FieldKind::Scalar)
        );
        assert_eq!(
            data_field("VirtualHardware", "device").map(|f| f.1),
            Some(FieldKind::Array)
        );
        assert_eq!(
            data_field("ClusterComputeResourceSummary", "numHosts").map(|f| f.2),
            Some("int32")
        );
        assert!(data_field("ComputeResourceSummary", "numVmotions").is_none());
        assert!(data_field_in_family("ComputeResourceSummary", "numVmotions").is_some());
        assert!(data_field_in_family("ComputeResourceConfigInfo", "drsConfig").is_some());
        assert!(data_field_in_family("ComputeResourceConfigInfo", "bogus").is_none());
    }

    #[test]
    fn type_hierarchy_matches_vsphere() {
        assert!(kind_is_a("ClusterComputeResource", "ComputeResource"));
        assert!(kind_is_a("ClusterComputeResource", "ManagedEntity"));
        assert!(!kind_is_a("ComputeResource", "ClusterComputeResource"));
        assert!(is_entity("VirtualMachine"));
        assert!(!is_entity("VirtualMachineSnapshot"));
        assert!(is_container_kind("HostSystem"));
        assert!(!is_container_kind("VirtualMachine"));
    }
}
