//! Properties that do not change while the server runs, read from vCenter
//! once and then served from memory: the performance counter catalog
//! (`PerformanceManager.perfCounter`, hundreds of `PerfCounterInfo`s that
//! only a vCenter upgrade changes). A tool group cannot keep it itself,
//! because each tool call runs in a fresh plugin instance; the gateway,
//! which lives as long as the server, keeps it for every group.

use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::Value;

use super::ObjectContent;
use crate::vocabulary::MoRef;

/// The fixed properties: (managed type, property).
pub const FIXED: &[(&str, &str)] = &[("PerformanceManager", "perfCounter")];

/// Whether a read of `properties` of `refs` asks only for fixed properties.
pub fn covers(refs: &[MoRef], properties: &[String]) -> bool {
    !refs.is_empty()
        && !properties.is_empty()
        && refs.iter().all(|r| {
            properties
                .iter()
                .all(|p| FIXED.iter().any(|(t, f)| *t == r.kind && f == p))
        })
}

/// The fixed properties read so far, by object and property.
#[derive(Debug, Default)]
pub struct FixedProperties {
    values: Mutex<HashMap<(MoRef, String), Value>>,
}

impl FixedProperties {
    /// The answer to a read [`covers`] accepts, when every value is kept.
    pub fn get(&self, refs: &[MoRef], properties: &[String]) -> Option<Vec<ObjectContent>> {
        let values = self.values.lock().unwrap_or_else(|e| e.into_inner());
        refs.iter()
            .map(|r| {
                let properties = properties
                    .iter()
                    .map(|p| Some((p.clone(), values.get(&(r.clone(), p.clone()))?.clone())))
                    .collect::<Option<Vec<_>>>()?;
                Some(ObjectContent {
                    reference: r.clone(),
                    properties,
                })
            })
            .collect()
    }

    /// Keep the values of a read [`covers`] accepted.
    pub fn keep(&self, objects: &[ObjectContent]) {
        let mut values = self.values.lock().unwrap_or_else(|e| e.into_inner());
        for o in objects {
            for (path, value) in &o.properties {
                values.insert((o.reference.clone(), path.clone()), value.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_fixed_properties_are_kept_and_served() {
        let manager = MoRef::new("PerformanceManager", "PerfMgr");
        let counters = vec!["perfCounter".to_string()];
        assert!(covers(std::slice::from_ref(&manager), &counters));
        assert!(!covers(
            std::slice::from_ref(&manager),
            &["historicalInterval".into()]
        ));
        assert!(!covers(&[MoRef::new("VirtualMachine", "vm-1")], &counters));
        assert!(!covers(&[], &counters));
        let fixed = FixedProperties::default();
        assert!(
            fixed
                .get(std::slice::from_ref(&manager), &counters)
                .is_none()
        );
        fixed.keep(&[ObjectContent {
            reference: manager.clone(),
            properties: vec![("perfCounter".into(), serde_json::json!([{"key": 2}]))],
        }]);
        let hit = fixed
            .get(std::slice::from_ref(&manager), &counters)
            .unwrap();
        assert_eq!(hit[0].properties[0].1[0]["key"], 2);
    }
}
