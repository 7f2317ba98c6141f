//! The one path every plugin's vSphere call takes, whichever backend serves
//! it: the approval check for state changes, the log line and the metrics.
//! Keeping it in one place means a backend cannot forget the gate.

use std::sync::Arc;
use std::time::Instant;

use serde_json::{Map, Value};

use super::claim_check;
use super::claims;
use super::classify;
use super::fixed::{self, FixedProperties};
use super::hooks::{
    StateChangeCall, StateChangeGate, StateChangeIntent, StateChangeRecord, StateChangeRecorder,
};
use super::{
    Backend, CallContext, ChangeObserver, ObjectContent, ObjectText, RetrieveSpec, StartedTask,
};
use crate::telemetry::metrics::{Metrics, names};
use crate::vocabulary::{MoRef, VsError, redact};

/// Longest argument text written to a log line.
const MAX_LOGGED_ARGS: usize = 512;

/// Gated, logged access to a backend.
pub struct Gateway {
    backend: Arc<dyn Backend>,
    metrics: Arc<Metrics>,
    recorder: Option<Arc<dyn StateChangeRecorder>>,
    observers: Vec<Arc<dyn ChangeObserver>>,
    /// Properties read once and then served from memory (see [`fixed`]).
    fixed: FixedProperties,
}

impl Gateway {
    /// Wrap a backend.
    pub fn new(backend: Arc<dyn Backend>, metrics: Arc<Metrics>) -> Self {
        Gateway {
            backend,
            metrics,
            recorder: None,
            observers: Vec::new(),
            fixed: FixedProperties::default(),
        }
    }

    /// Tell `observer` (as well as those already told) which objects each
    /// state-changing call may have changed, before the call returns, so
    /// the next tool call sees them.
    pub fn with_observer(mut self, observer: Arc<dyn ChangeObserver>) -> Self {
        self.observers.push(observer);
        self
    }

    /// Tell `recorder` (the audit trail) of every state-changing call,
    /// before the call returns.
    pub fn with_recorder(mut self, recorder: Option<Arc<dyn StateChangeRecorder>>) -> Self {
        self.recorder = recorder;
        self
    }

    /// The backend, for host-side reads (e.g. naming approval targets).
    pub fn backend(&self) -> &Arc<dyn Backend> {
        &self.backend
    }

    /// The service content; always allowed.
    pub async fn service_content(&self, ctx: &CallContext) -> Result<Value, VsError> {
        let started = Instant::now();
        let result = self.backend.service_content(ctx).await;
        self.record(
            ctx,
            &CallLine {
                method: "RetrieveServiceContent",
                target: None,
                args: "",
                started,
            },
            &result,
            None,
        );
        result
    }

    /// Collect properties; always allowed.
    pub async fn retrieve(
        &self,
        ctx: &CallContext,
        spec: &RetrieveSpec,
    ) -> Result<Vec<ObjectContent>, VsError> {
        let started = Instant::now();
        let result = self.backend.retrieve(ctx, spec).await;
        let args = format!(
            "type={} root={} recursive={} properties={:?}",
            spec.object_type,
            spec.root
                .as_ref()
                .map(|r| r.to_string())
                .unwrap_or_else(|| "rootFolder".into()),
            spec.recursive,
            spec.properties
        );
        self.record(
            ctx,
            &CallLine {
                method: "RetrievePropertiesEx",
                target: spec.root.as_ref(),
                args: &args,
                started,
            },
            &result,
            None,
        );
        result
    }

    /// Read properties of exactly these objects; always allowed. Fixed
    /// properties (the counter catalog) are read from vCenter once.
    pub async fn read(
        &self,
        ctx: &CallContext,
        refs: &[MoRef],
        properties: &[String],
    ) -> Result<Vec<ObjectContent>, VsError> {
        let cacheable = fixed::covers(refs, properties);
        if cacheable && let Some(kept) = self.fixed.get(refs, properties) {
            tracing::debug!(correlation_id = %ctx.correlation_id, ?properties, "fixed properties served from memory");
            return Ok(kept);
        }
        let started = Instant::now();
        let result = self.backend.read(ctx, refs, properties).await;
        if cacheable && let Ok(objects) = &result {
            self.fixed.keep(objects);
        }
        self.record_read(ctx, refs, properties, started, &result);
        result
    }

    /// Read as [`Gateway::read`] does, each value as VI/JSON text, for a
    /// plugin: values the backend keeps serialized (the recent history's
    /// pages) are handed over without being built and serialized again.
    pub async fn read_text(
        &self,
        ctx: &CallContext,
        refs: &[MoRef],
        properties: &[String],
    ) -> Result<Vec<ObjectText>, VsError> {
        if fixed::covers(refs, properties) {
            let objects = self.read(ctx, refs, properties).await?;
            return Ok(objects.into_iter().map(ObjectText::from).collect());
        }
        let started = Instant::now();
        let result = self.backend.read_text(ctx, refs, properties).await;
        self.record_read(ctx, refs, properties, started, &result);
        result
    }

    /// The log line and metrics of a read.
    fn record_read<T>(
        &self,
        ctx: &CallContext,
        refs: &[MoRef],
        properties: &[String],
        started: Instant,
        result: &Result<T, VsError>,
    ) {
        let shown: Vec<String> = refs.iter().take(3).map(MoRef::to_string).collect();
        let args = format!(
            "objects={} [{}{}] properties={properties:?}",
            refs.len(),
            shown.join(", "),
            if refs.len() > 3 { ", …" } else { "" }
        );
        self.record(
            ctx,
            &CallLine {
                method: "RetrievePropertiesEx",
                target: refs.first(),
                args: &truncate(&args, MAX_LOGGED_ARGS),
                started,
            },
            result,
            None,
        );
    }

    /// Call a method; a state change runs only if `gate` (the tool call's
    /// grants) authorizes it.
    pub async fn invoke(
        &self,
        ctx: &CallContext,
        gate: &dyn StateChangeGate,
        target: &MoRef,
        method: &str,
        args: &Map<String, Value>,
    ) -> Result<Value, VsError> {
        let started = Instant::now();
        let args_text = truncate(
            &redact(&Value::Object(args.clone())).to_string(),
            MAX_LOGGED_ARGS,
        );
        let line = CallLine {
            method,
            target: Some(target),
            args: &args_text,
            started,
        };
        if classify::is_read_only(&target.kind, method) {
            let result = self.backend.invoke(ctx, target, method, args).await;
            self.record(ctx, &line, &result, None);
            return result;
        }
        let grant_id = match gate.authorize(method, target) {
            Ok(grant_id) => {
                tracing::info!(correlation_id = %ctx.correlation_id, grant_id = %grant_id, method, object = %target, "state change authorized by grant");
                grant_id
            }
            Err(refusal) => {
                let result: Result<Value, VsError> = Err(refusal);
                self.record(ctx, &line, &result, None);
                self.audit_call(ctx, target, method, args, started, &result, None, None);
                return result;
            }
        };
        let refusal = match self.before_sending(ctx, method, target).await {
            Some(refusal) => Some(refusal),
            None => self.write_ahead(ctx, method, target, args, &grant_id),
        };
        let (result, task_id) = match refusal {
            Some(refusal) => {
                tracing::warn!(correlation_id = %ctx.correlation_id, method, object = %target, error = %refusal, "state change refused before it was sent");
                (Err(refusal), None)
            }
            None => self.send_change(ctx, target, method, args).await,
        };
        self.record(ctx, &line, &result, task_id.as_deref());
        self.audit_call(
            ctx,
            target,
            method,
            args,
            started,
            &result,
            Some(grant_id),
            task_id,
        );
        result
    }

    /// Send an authorized change, watching for the task it starts, and tell
    /// the observer what it touched: the result and the task's id.
    async fn send_change(
        &self,
        ctx: &CallContext,
        target: &MoRef,
        method: &str,
        args: &Map<String, Value>,
    ) -> (Result<Value, VsError>, Option<String>) {
        let watched = CallContext {
            started_task: StartedTask::watching(),
            ..ctx.clone()
        };
        let result = self.backend.invoke(&watched, target, method, args).await;
        let touched = touched(target, args, result.as_ref().ok());
        for observer in &self.observers {
            observer.changed(ctx, &touched).await;
        }
        (result, watched.started_task.id())
    }

    /// The last checks before an authorized change is sent; a refusal
    /// stops it. The index may lag a rename made elsewhere, so every name or
    /// path the call found an object by must still hold in vCenter; and the
    /// request behind the call must have recorded the intent.
    async fn before_sending(
        &self,
        ctx: &CallContext,
        method: &str,
        target: &MoRef,
    ) -> Option<VsError> {
        let claims = ctx.name_claims.all();
        if !claims.is_empty() {
            match claim_check::broken_claims(self.backend.as_ref(), ctx, &claims).await {
                Ok(broken) if broken.is_empty() => {}
                Ok(broken) => return Some(claims::unsettled(&broken)),
                Err(e) => {
                    return Some(VsError::InvalidState(format!(
                        "could not confirm with vCenter that the objects this call named still hold their names ({e}), so nothing was changed"
                    )));
                }
            }
        }
        let journal = ctx.journal.0.as_ref()?;
        journal.sending(method, target).err()
    }

    /// The write-ahead record of a change about to be sent; a refusal when
    /// it cannot be written (disk full, read-only…): nothing reaches vCenter
    /// unrecorded.
    fn write_ahead(
        &self,
        ctx: &CallContext,
        method: &str,
        target: &MoRef,
        args: &Map<String, Value>,
        grant_id: &str,
    ) -> Option<VsError> {
        let recorder = self.recorder.as_ref()?;
        let intent = StateChangeIntent {
            call: which_call(ctx, method, target),
            grant_id: grant_id.to_string(),
            arguments: redact(&Value::Object(args.clone())),
        };
        let error = recorder.intent(&intent).err()?;
        Some(VsError::InvalidState(format!(
            "{method} on {target} was not sent: its intent could not be written to the audit trail ({error}); every change is recorded before it is made"
        )))
    }

    /// Tell the recorder of a state-changing call. The change has happened
    /// (or was refused) by now, so the recorder cannot undo it.
    #[allow(clippy::too_many_arguments)]
    fn audit_call(
        &self,
        ctx: &CallContext,
        target: &MoRef,
        method: &str,
        args: &Map<String, Value>,
        started: Instant,
        result: &Result<Value, VsError>,
        grant_id: Option<String>,
        task_id: Option<String>,
    ) {
        let Some(recorder) = &self.recorder else {
            return;
        };
        let (outcome, fault_type, error) = match result {
            Ok(_) => ("ok".to_string(), None, None),
            Err(e) => (
                e.kind().to_string(),
                match e {
                    VsError::Fault(f) => Some(f.type_name.clone()),
                    _ => None,
                },
                Some(e.to_string()),
            ),
        };
        recorder.record(&StateChangeRecord {
            call: which_call(ctx, method, target),
            outcome,
            fault_type,
            error,
            duration_ms: started.elapsed().as_millis() as u64,
            grant_id,
            task_id,
            arguments: redact(&Value::Object(args.clone())),
        });
    }

    fn record<T>(
        &self,
        ctx: &CallContext,
        line: &CallLine,
        result: &Result<T, VsError>,
        task_id: Option<&str>,
    ) {
        let CallLine {
            method,
            target,
            args,
            started,
        } = *line;
        let elapsed = started.elapsed();
        let outcome = match result {
            Ok(_) => "ok",
            Err(e) => e.kind(),
        };
        let target = target.map(|t| t.to_string()).unwrap_or_default();
        match result {
            Ok(_) => {
                tracing::info!(correlation_id = %ctx.correlation_id, method, object = %target, args, duration_ms = elapsed.as_millis() as u64, outcome, task_id, "vsphere call")
            }
            Err(e) => {
                let (fault_type, fault_message) = match e {
                    VsError::Fault(f) => (f.type_name.as_str(), f.message.as_str()),
                    _ => ("", ""),
                };
                tracing::info!(correlation_id = %ctx.correlation_id, method, object = %target, args, duration_ms = elapsed.as_millis() as u64, outcome, fault_type, fault_message, error = %e, task_id, "vsphere call")
            }
        }
        self.metrics.inc(
            names::VSPHERE_CALLS,
            vec![
                ("method", method.to_string()),
                ("outcome", outcome.to_string()),
            ],
        );
        self.metrics.observe(
            names::VSPHERE_SECONDS,
            vec![("method", method.to_string())],
            elapsed,
        );
    }
}

/// The objects a state-changing call may have changed: its target and every
/// reference in its arguments and result (a clone's new VM, the VMs a
/// folder move takes).
fn touched(target: &MoRef, args: &Map<String, Value>, result: Option<&Value>) -> Vec<MoRef> {
    fn collect(value: &Value, out: &mut Vec<MoRef>) {
        if let Some(r) = MoRef::from_json(value) {
            out.push(r);
            return;
        }
        match value {
            Value::Array(items) => items.iter().for_each(|v| collect(v, out)),
            Value::Object(map) => map.values().for_each(|v| collect(v, out)),
            _ => {}
        }
    }
    let mut out = vec![target.clone()];
    args.values().for_each(|v| collect(v, &mut out));
    if let Some(result) = result {
        collect(result, &mut out);
    }
    out.sort();
    out.dedup();
    out
}

/// What one log line says about a vSphere call, besides its result.
#[derive(Clone, Copy)]
struct CallLine<'a> {
    method: &'a str,
    target: Option<&'a MoRef>,
    /// The arguments as logged: redacted and truncated.
    args: &'a str,
    started: Instant,
}

/// Logged arguments cut to `max` characters, with their full length.
fn truncate(text: &str, max: usize) -> String {
    let cut = vmware_vocabulary::quote::cut(text, max);
    if cut.len() == text.len() {
        cut
    } else {
        format!("{cut}({} bytes)", text.len())
    }
}

/// Which call a gateway record speaks of.
fn which_call(ctx: &CallContext, method: &str, target: &MoRef) -> StateChangeCall {
    StateChangeCall {
        correlation_id: ctx.correlation_id.clone(),
        request_id: ctx.journal.0.as_ref().map(|j| j.request_id().to_string()),
        method: method.to_string(),
        target: target.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn power_state(sim: &crate::vsphere::sim::SimBackend, vm: MoRef) -> Value {
        let state = sim
            .read(
                &CallContext::default(),
                &[vm],
                &["runtime.powerState".into()],
            )
            .await
            .unwrap();
        state[0].properties[0].1.clone()
    }

    /// Grants everything: the name check under test comes after the grant.
    struct GrantAll;

    impl StateChangeGate for GrantAll {
        fn authorize(&self, _method: &str, _target: &MoRef) -> Result<String, VsError> {
            Ok("grant-test".into())
        }
    }

    #[tokio::test]
    async fn the_counter_catalog_is_read_from_vcenter_once() {
        let sim = Arc::new(crate::vsphere::sim::SimBackend::demo());
        let metrics = Arc::new(Metrics::new());
        let gateway = Gateway::new(sim, metrics.clone());
        let manager = MoRef::new("PerformanceManager", "PerfMgr");
        let reads = || {
            metrics.to_json()["counters"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| c["labels"]["method"] == "RetrievePropertiesEx")
                .map(|c| c["value"].as_f64().unwrap())
                .sum::<f64>()
        };
        let ctx = CallContext::default();
        let counters = ["perfCounter".to_string()];
        let first = gateway
            .read(&ctx, std::slice::from_ref(&manager), &counters)
            .await
            .unwrap();
        let second = gateway
            .read(&ctx, std::slice::from_ref(&manager), &counters)
            .await
            .unwrap();
        assert_eq!(first, second);
        assert!(
            first[0].properties[0]
                .1
                .as_array()
                .is_some_and(|c| c.len() >= 10)
        );
        assert_eq!(reads(), 1.0, "the second read is served from memory");
        // Other properties are read each time.
        let intervals = ["historicalInterval".to_string()];
        gateway
            .read(&ctx, std::slice::from_ref(&manager), &intervals)
            .await
            .unwrap();
        gateway.read(&ctx, &[manager], &intervals).await.unwrap();
        assert_eq!(reads(), 3.0);
    }

    #[tokio::test]
    async fn a_state_change_on_an_object_that_lost_the_callers_name_is_refused() {
        let sim = Arc::new(crate::vsphere::sim::SimBackend::demo());
        let gateway = Gateway::new(sim.clone(), Arc::new(Metrics::new()));
        let web1 = sim.find_by_path("DC0/vm/web/web-01").unwrap();
        let web2 = sim.find_by_path("DC0/vm/web/web-02").unwrap();
        let power = |ctx: CallContext, target: MoRef| {
            let gateway = &gateway;
            async move {
                gateway
                    .invoke(&ctx, &GrantAll, &target, "PowerOffVM_Task", &Map::new())
                    .await
            }
        };
        // The call found web-02 by the name web-01: vCenter disagrees.
        let ctx = CallContext::default();
        ctx.name_claims
            .add(claims::NameClaim::of_resolution("web-01", &web2, None).unwrap());
        let refused = power(ctx, web2.clone()).await.unwrap_err();
        assert_eq!(refused.kind(), "invalid_state", "{refused}");
        assert!(refused.to_string().contains("web-01"), "{refused}");
        assert_eq!(
            power_state(&sim, web2).await,
            "poweredOn",
            "nothing was sent"
        );

        // A claim vCenter agrees with lets the change through.
        let ctx = CallContext::default();
        ctx.name_claims
            .add(claims::NameClaim::of_resolution("web-01", &web1, None).unwrap());
        power(ctx, web1).await.unwrap();
    }

    /// A recorder whose disk is full: no intent can be written.
    struct FullDisk(std::sync::Mutex<Vec<String>>);

    impl StateChangeRecorder for FullDisk {
        fn intent(&self, _call: &StateChangeIntent) -> Result<(), String> {
            Err("No space left on device (os error 28)".into())
        }
        fn record(&self, call: &StateChangeRecord) {
            self.0.lock().unwrap().push(call.outcome.clone());
        }
    }

    #[tokio::test]
    async fn a_change_whose_intent_cannot_be_written_is_not_sent() {
        let sim = Arc::new(crate::vsphere::sim::SimBackend::demo());
        let recorder = Arc::new(FullDisk(Default::default()));
        let gateway = Gateway::new(sim.clone(), Arc::new(Metrics::new()))
            .with_recorder(Some(recorder.clone() as Arc<dyn StateChangeRecorder>));
        let vm = sim.find_by_path("DC0/vm/web/web-01").unwrap();
        let refused = gateway
            .invoke(
                &CallContext::default(),
                &GrantAll,
                &vm,
                "PowerOffVM_Task",
                &Map::new(),
            )
            .await
            .unwrap_err();
        assert!(
            refused.to_string().contains("was not sent")
                && refused.to_string().contains("No space"),
            "{refused}"
        );
        assert_eq!(power_state(&sim, vm).await, "poweredOn", "nothing was sent");
        assert_eq!(
            *recorder.0.lock().unwrap(),
            ["invalid_state"],
            "the refusal is recorded"
        );
    }

    #[test]
    fn long_arguments_are_truncated_on_a_char_boundary() {
        let s = "é".repeat(400);
        let t = truncate(&s, 11);
        assert!(t.starts_with("ééééé") && t.contains("800 bytes"), "{t}");
    }
}
