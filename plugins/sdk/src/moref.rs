//! Managed object references as an ordinary Rust value.
//!
//! [`MoRef`] is the one the host uses too (from `vmware-vocabulary`), so a
//! group and the host read and write the same VI/JSON form. The generated
//! `ObjectRef` only derives `Clone`; tools need references as map keys and
//! in comparisons, so they hold [`MoRef`] and convert at the WIT boundary
//! with `From`.

use crate::error::ObjectRef;

pub use vmware_vocabulary::MoRef;

impl From<&MoRef> for ObjectRef {
    /// The reference as the WIT record, for imports.
    fn from(reference: &MoRef) -> Self {
        ObjectRef {
            type_: reference.kind.clone(),
            value: reference.value.clone(),
        }
    }
}

impl From<&ObjectRef> for MoRef {
    /// The reference from the WIT record, as imports return it.
    fn from(reference: &ObjectRef) -> Self {
        MoRef::new(reference.type_.clone(), reference.value.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wit_round_trip() {
        let vm = MoRef::new("VirtualMachine", "vm-42");
        let record = ObjectRef::from(&vm);
        assert_eq!(record.type_, "VirtualMachine");
        assert_eq!(MoRef::from(&record), vm);
    }
}
