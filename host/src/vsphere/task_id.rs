//! Which vSphere task a state-changing call started, for the audit trail.
//!
//! The gateway runs each state-changing backend call inside [`observe`]; a
//! backend that starts a vSphere task calls [`report`] with its reference.
//! A task-local rather than a new parameter or [`CallContext`](super::CallContext)
//! field, so that no [`Backend`](super::Backend) implementation or caller has
//! to change: a backend that never reports simply leaves the task id empty.

use std::sync::{Arc, Mutex};

use super::MoRef;

tokio::task_local! {
    static SEEN: Arc<Mutex<Option<String>>>;
}

/// Record that the current call started `task` (the first report wins, as a
/// call that follows one task may touch others while doing so).
pub fn report(task: &MoRef) {
    let _ = SEEN.try_with(|seen| {
        let mut slot = seen.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            *slot = Some(task.value.clone());
        }
    });
}

/// Run `call`, returning its output and the id of the task it reported.
pub async fn observe<F: Future>(call: F) -> (F::Output, Option<String>) {
    let seen = Arc::new(Mutex::new(None));
    let output = SEEN.scope(seen.clone(), call).await;
    let id = seen.lock().unwrap_or_else(|p| p.into_inner()).take();
    (output, id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reports_reach_the_observer_and_nothing_else() {
        let (out, id) = observe(async {
            report(&MoRef::new("Task", "task-7"));
            report(&MoRef::new("Task", "task-8"));
            1
        })
        .await;
        assert_eq!((out, id.as_deref()), (1, Some("task-7")));
        // Outside an observer a report is a no-op.
        report(&MoRef::new("Task", "task-9"));
        let ((), none) = observe(async {}).await;
        assert_eq!(none, None);
    }
}
