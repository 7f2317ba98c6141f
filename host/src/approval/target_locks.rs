//! Per-object locks on the targets of a grant, so that changes to one object
//! run one call at a time.
//!
//! A plugin reads an object, asks for a grant, then acts; two calls doing
//! that at once on one VM both read "no snapshot `s1`" and both create one.
//! A plugin instance lives for one call, so only the host can serialize
//! them: when the gate issues a grant (after any wait for an operator, so a
//! slow approval never blocks other calls), the call takes the lock of every
//! target and keeps it until the call ends. A plugin that re-reads after its
//! grant therefore sees what the previous holder did. A lock wait is
//! bounded: past [`LOCK_WAIT`] the call fails with `timeout`, saying which
//! object is busy, and nothing was done.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::OwnedMutexGuard;

use crate::vocabulary::{MoRef, VsError};

/// How long a call waits for another call's change to the same object:
/// long enough for a snapshot task on a busy vCenter, short enough that a
/// stuck call does not hold its peers for ever.
pub const LOCK_WAIT: Duration = Duration::from_secs(60);

/// The lock of each object some call holds or waits for, shared by every
/// call of the server. An entry lives only while someone holds or waits for
/// it, so the table stays as small as the number of objects being changed.
pub struct TargetLocks {
    table: Mutex<HashMap<MoRef, Arc<tokio::sync::Mutex<()>>>>,
    wait: Duration,
}

impl TargetLocks {
    /// Locks whose waits give up after `wait`.
    pub fn new(wait: Duration) -> Arc<TargetLocks> {
        Arc::new(TargetLocks {
            table: Mutex::new(HashMap::new()),
            wait,
        })
    }

    /// How many objects are locked or waited for now (for tests and metrics).
    pub fn busy_objects(&self) -> usize {
        self.table.lock().map(|t| t.len()).unwrap_or(0)
    }

    async fn lock(self: &Arc<Self>, target: &MoRef) -> Result<HeldTarget, VsError> {
        let lock = {
            let mut table = self
                .table
                .lock()
                .map_err(|_| VsError::Internal("the target lock table is poisoned".into()))?;
            table.entry(target.clone()).or_default().clone()
        };
        let mut held = HeldTarget {
            locks: self.clone(),
            target: target.clone(),
            guard: None,
        };
        match tokio::time::timeout(self.wait, lock.lock_owned()).await {
            Ok(guard) => {
                held.guard = Some(guard);
                Ok(held)
            }
            // `held` drops here without a guard and tidies the entry.
            Err(_) => Err(VsError::Timeout(format!(
                "another tool call has been changing {} {} for over {} s; nothing was done by this call, retry when that change has finished",
                target.kind,
                target.value,
                self.wait.as_secs()
            ))),
        }
    }
}

/// One object's lock, held (or being waited for) by one call.
struct HeldTarget {
    locks: Arc<TargetLocks>,
    target: MoRef,
    guard: Option<OwnedMutexGuard<()>>,
}

impl Drop for HeldTarget {
    fn drop(&mut self) {
        self.guard.take();
        if let Ok(mut table) = self.locks.table.lock() {
            // Only the table's own reference left: nobody holds or waits.
            if table
                .get(&self.target)
                .is_some_and(|lock| Arc::strong_count(lock) == 1)
            {
                table.remove(&self.target);
            }
        }
    }
}

/// The locks one tool call holds; they are released when the call's
/// environment is dropped, i.e. when the call ends.
#[derive(Default)]
pub struct CallLocks {
    held: Mutex<Vec<HeldTarget>>,
}

impl CallLocks {
    /// Take the lock of every target this call does not hold yet, in a fixed
    /// order (so two calls locking the same set cannot deadlock). On a
    /// timeout the locks taken by this attempt are let go again.
    pub async fn hold(&self, locks: &Arc<TargetLocks>, targets: &[MoRef]) -> Result<(), VsError> {
        let wanted: BTreeSet<&MoRef> = {
            let held = self
                .held
                .lock()
                .map_err(|_| VsError::Internal("a call's target locks are poisoned".into()))?;
            targets
                .iter()
                .filter(|t| !held.iter().any(|h| &h.target == *t))
                .collect()
        };
        let mut taken = Vec::with_capacity(wanted.len());
        for target in wanted {
            taken.push(locks.lock(target).await?);
        }
        self.held
            .lock()
            .map_err(|_| VsError::Internal("a call's target locks are poisoned".into()))?
            .extend(taken);
        Ok(())
    }

    /// The objects this call holds.
    pub fn held(&self) -> Vec<MoRef> {
        self.held
            .lock()
            .map(|h| h.iter().map(|t| t.target.clone()).collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vm(id: &str) -> MoRef {
        MoRef::new("VirtualMachine", id)
    }

    #[tokio::test]
    async fn a_second_call_waits_for_the_first_and_the_table_empties() {
        let locks = TargetLocks::new(Duration::from_secs(5));
        let first = CallLocks::default();
        first.hold(&locks, &[vm("vm-1")]).await.unwrap();
        // The same call asking again (a second grant) does not wait on itself.
        first.hold(&locks, &[vm("vm-1"), vm("vm-2")]).await.unwrap();
        assert_eq!(first.held(), [vm("vm-1"), vm("vm-2")]);

        let second = Arc::new(CallLocks::default());
        let waiter = {
            let (locks, second) = (locks.clone(), second.clone());
            tokio::spawn(async move { second.hold(&locks, &[vm("vm-2")]).await })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(
            !waiter.is_finished(),
            "the second call waits while the first holds vm-2"
        );
        drop(first);
        waiter.await.unwrap().unwrap();
        assert_eq!(second.held(), [vm("vm-2")]);
        assert_eq!(locks.busy_objects(), 1, "vm-1 was let go and forgotten");
        drop(second);
        assert_eq!(locks.busy_objects(), 0);
    }

    #[tokio::test]
    async fn a_wait_is_bounded_and_says_which_object_is_busy() {
        let locks = TargetLocks::new(Duration::from_millis(50));
        let first = CallLocks::default();
        first.hold(&locks, &[vm("vm-7")]).await.unwrap();
        let second = CallLocks::default();
        let error = second
            .hold(&locks, &[vm("vm-1"), vm("vm-7")])
            .await
            .unwrap_err();
        assert!(
            matches!(&error, VsError::Timeout(m) if m.contains("VirtualMachine vm-7") && m.contains("nothing was done")),
            "{error:?}"
        );
        assert!(second.held().is_empty(), "a failed attempt keeps nothing");
        drop(first);
        assert_eq!(locks.busy_objects(), 0);
    }
}
