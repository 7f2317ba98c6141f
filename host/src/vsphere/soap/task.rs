//! Awaiting a Task: its result, its fault, or a timeout naming it.
//!
//! A task that is already finished costs one request (most vCenter tasks on
//! small objects are). Otherwise the backend waits on a private
//! PropertyCollector with WaitForUpdatesEx, so the server wakes it on each
//! change of `info.state`/`info.progress`/`info.error`/`info.result` instead of
//! being polled, and progress is forwarded to the call's hook. A private
//! collector keeps concurrent waits from stealing each other's updates.

use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use super::Inner;
use super::decode::unbox;
use super::fault::from_localized;
use crate::vocabulary::{Fault, VsError};
use crate::vsphere::{CallContext, MoRef};

/// The task properties followed.
const PATHS: [&str; 5] = [
    "info.state",
    "info.progress",
    "info.error",
    "info.result",
    "info.description",
];

/// The longest single WaitForUpdatesEx; the server answers sooner on change.
const MAX_WAIT: Duration = Duration::from_secs(60);

/// How many times following a task restarts after the session was replaced.
const MAX_RESTARTS: usize = 3;

fn object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// What is known of the task so far.
#[derive(Debug, Default)]
struct TaskState {
    state: Option<String>,
    progress: Option<i64>,
    error: Option<Value>,
    result: Option<Value>,
    description: Option<String>,
    reported: Option<(i64, String)>,
}

impl TaskState {
    fn apply(&mut self, name: &str, val: Option<Value>) {
        let val = val.map(unbox).filter(|v| !v.is_null());
        match name {
            "info.state" => self.state = val.and_then(|v| v.as_str().map(str::to_string)),
            "info.progress" => self.progress = val.and_then(|v| v.as_i64()),
            "info.error" => self.error = val,
            "info.result" => self.result = val,
            "info.description" => {
                self.description = val
                    .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_string))
                    .filter(|s| !s.is_empty())
            }
            _ => {}
        }
    }

    /// The outcome once the task has finished.
    fn outcome(&self) -> Option<Result<Value, Fault>> {
        match self.state.as_deref() {
            Some("success") => Some(Ok(self.result.clone().unwrap_or(Value::Null))),
            Some("error") => Some(Err(from_localized(
                self.error.as_ref().unwrap_or(&Value::Null),
            ))),
            _ => None,
        }
    }

    /// Tell the hook about progress that has changed since the last report.
    fn report(&mut self, ctx: &CallContext, label: &str) {
        let percent = match self.state.as_deref() {
            Some("success") => 100,
            _ => self.progress.unwrap_or(0).clamp(0, 100),
        };
        let message = self
            .description
            .clone()
            .unwrap_or_else(|| format!("{label}: {}", self.state.as_deref().unwrap_or("queued")));
        let now = (percent, message);
        if self.reported.as_ref() != Some(&now) {
            ctx.report_progress(u32::try_from(now.0).unwrap_or(0), now.1.clone());
            self.reported = Some(now);
        }
    }
}

impl Inner {
    /// Wait for `task` (started by `method` on `target`) and return its
    /// result (or null) or its fault. Errors while following name the task,
    /// since its outcome is then unknown.
    pub(super) async fn await_task(
        &self,
        ctx: &CallContext,
        task: &MoRef,
        method: &str,
        target: &MoRef,
    ) -> Result<Value, VsError> {
        let label = format!("{method} on {target}");
        let timeout = self.config.task_timeout;
        let deadline = Instant::now() + timeout;
        match self.follow(ctx, task, &label, deadline).await {
            Ok(Ok(v)) => Ok(unbox(v)),
            Ok(Err(fault)) => Err(VsError::Fault(fault)),
            Err(_) if Instant::now() >= deadline => Err(VsError::Timeout(format!(
                "{label}: task {task} did not finish within {}s; it may still be running",
                timeout.as_secs()
            ))),
            Err(e) => Err(annotate(e, &label, task)),
        }
    }

    async fn follow(
        &self,
        ctx: &CallContext,
        task: &MoRef,
        label: &str,
        deadline: Instant,
    ) -> Result<Result<Value, Fault>, VsError> {
        let mut state = TaskState::default();
        // One read first: a finished task needs nothing more.
        let args = object(json!({
            "specSet": [{"propSet": [{"type": "Task", "pathSet": PATHS}], "objectSet": [{"obj": task.to_json(), "skip": false}]}],
            "options": {}
        }));
        let first = self
            .call(
                ctx,
                &self.refs.property_collector,
                "RetrievePropertiesEx",
                &args,
            )
            .await?;
        for p in first
            .pointer("/objects/0/propSet")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(name) = p.get("name").and_then(Value::as_str) {
                state.apply(name, p.get("val").cloned());
            }
        }
        state.report(ctx, label);
        if let Some(outcome) = state.outcome() {
            return Ok(outcome);
        }
        let mut restarts = 0;
        loop {
            let generation = self.session.generation();
            let collector = self.create_collector(ctx).await?;
            let result = self
                .wait_on(ctx, &collector, task, label, deadline, &mut state)
                .await;
            if self.session.generation() == generation
                && let Err(e) = self
                    .call(ctx, &collector, "DestroyPropertyCollector", &Map::new())
                    .await
            {
                tracing::debug!(error = %e, "DestroyPropertyCollector failed");
            }
            match result {
                // The session was replaced while waiting: the collector went
                // with it. Start over in the new session.
                Err(_)
                    if self.session.generation() != generation
                        && restarts < MAX_RESTARTS
                        && Instant::now() < deadline =>
                {
                    restarts += 1;
                }
                other => return other,
            }
        }
    }

    async fn wait_on(
        &self,
        ctx: &CallContext,
        collector: &MoRef,
        task: &MoRef,
        label: &str,
        deadline: Instant,
        state: &mut TaskState,
    ) -> Result<Result<Value, Fault>, VsError> {
        let filter = object(json!({
            "spec": {"propSet": [{"type": "Task", "pathSet": PATHS}], "objectSet": [{"obj": task.to_json(), "skip": false}]},
            "partialUpdates": false
        }));
        self.call(ctx, collector, "CreateFilter", &filter).await?;
        let mut version = String::new();
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(VsError::Timeout(format!(
                    "{label}: task {task} is still running"
                )));
            }
            // Each wait is bounded by the request timeout (half of it waiting
            // for changes, the rest as grace), so a stalled vCenter shows as a
            // timeout after at most one request timeout, not after a long wait.
            let request_timeout = self.transport.request_timeout();
            let wait = remaining
                .min(MAX_WAIT)
                .min(request_timeout / 2)
                .as_secs()
                .max(1);
            let args = object(json!({"version": version, "options": {"maxWaitSeconds": wait}}));
            let http_timeout = request_timeout.max(Duration::from_secs(wait + 1));
            let update = self
                .call_with_timeout(
                    ctx,
                    collector,
                    "WaitForUpdatesEx",
                    &args,
                    Some(http_timeout),
                )
                .await?;
            if update.is_null() {
                continue;
            }
            if let Some(v) = update.get("version").and_then(Value::as_str) {
                version = v.to_string();
            }
            for fs in update
                .get("filterSet")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                for os in fs
                    .get("objectSet")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if os.get("kind").and_then(Value::as_str) == Some("leave") {
                        return Err(VsError::Internal(format!(
                            "task {task} disappeared before it finished"
                        )));
                    }
                    for change in os
                        .get("changeSet")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        let Some(name) = change.get("name").and_then(Value::as_str) else {
                            continue;
                        };
                        match change.get("op").and_then(Value::as_str) {
                            Some("remove") | Some("indirectRemove") => state.apply(name, None),
                            _ => state.apply(name, change.get("val").cloned()),
                        }
                    }
                }
            }
            state.report(ctx, label);
            if let Some(outcome) = state.outcome() {
                return Ok(outcome);
            }
        }
    }
}

/// Keep an error's kind but say which task it was about.
fn annotate(e: VsError, label: &str, task: &MoRef) -> VsError {
    let prefix =
        format!("{label} started task {task}, but following it failed, so its outcome is unknown");
    match e {
        VsError::Fault(mut f) => {
            f.message = format!("{prefix}: {}", f.message);
            VsError::Fault(f)
        }
        VsError::Timeout(m) => VsError::Timeout(format!("{prefix}: {m}")),
        VsError::InvalidArgument(m)
        | VsError::Internal(m)
        | VsError::NotFound(m)
        | VsError::InvalidState(m) => VsError::Internal(format!("{prefix}: {m}")),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::vsphere::ProgressHook;

    #[test]
    fn task_state_outcomes_and_progress() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        let ctx = CallContext {
            correlation_id: "c".into(),
            progress: Some(ProgressHook::new(move |p, m| {
                sink.lock().unwrap().push((p, m))
            })),
            ..Default::default()
        };
        let mut s = TaskState::default();
        s.apply(
            "info.state",
            Some(json!({"_typeName": "TaskInfoState", "_value": "running"})),
        );
        s.apply(
            "info.progress",
            Some(json!({"_typeName": "int", "_value": 40})),
        );
        assert!(s.outcome().is_none());
        s.report(&ctx, "PowerOnVM_Task on VirtualMachine:vm-1");
        s.report(&ctx, "PowerOnVM_Task on VirtualMachine:vm-1");
        s.apply("info.state", Some(json!("success")));
        s.apply("info.result", Some(json!({"_typeName": "ManagedObjectReference", "type": "VirtualMachine", "value": "vm-9"})));
        s.report(&ctx, "x");
        assert_eq!(s.outcome().unwrap().unwrap()["value"], "vm-9");
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 2, "{seen:?}");
        assert_eq!(
            seen[0],
            (
                40,
                "PowerOnVM_Task on VirtualMachine:vm-1: running".to_string()
            )
        );
        assert_eq!(seen[1].0, 100);

        let mut s = TaskState::default();
        s.apply("info.state", Some(json!("error")));
        s.apply(
            "info.error",
            Some(json!({"_typeName": "LocalizedMethodFault", "fault": {"_typeName": "InvalidPowerState", "existingState": "poweredOff"}, "localizedMessage": "The attempted operation cannot be performed in the current state (Powered off)."})),
        );
        let f = s.outcome().unwrap().unwrap_err();
        assert_eq!(f.type_name, "InvalidPowerState");
        assert!(f.message.contains("Powered off"));
    }

    #[test]
    fn annotation_names_the_task() {
        let e = annotate(
            VsError::Internal("connection reset".into()),
            "PowerOffVM_Task on VirtualMachine:vm-1",
            &MoRef::new("Task", "task-7"),
        );
        let m = e.to_string();
        assert!(
            m.contains("Task:task-7")
                && m.contains("outcome is unknown")
                && m.contains("connection reset"),
            "{m}"
        );
    }
}
