//! The one path every plugin's vSphere call takes, whichever backend serves
//! it: the approval check for state changes, the log line and the metrics.
//! Keeping it in one place means a backend cannot forget the gate.

use std::sync::Arc;
use std::time::Instant;

use serde_json::{Map, Value};

use crate::approval::audit::{AuditLog, CallRecord, bounded_arguments, now_rfc3339};
use crate::approval::classify;
use crate::approval::grants::CallGrants;
use crate::error::VsError;
use crate::telemetry::metrics::{Metrics, names};
use crate::vsphere::{
    Backend, CallContext, ChangeObserver, MoRef, ObjectContent, RetrieveSpec, task_id,
};

/// Longest argument text written to a log line.
const MAX_LOGGED_ARGS: usize = 512;

/// Gated, logged access to a backend.
pub struct Gateway {
    backend: Arc<dyn Backend>,
    metrics: Arc<Metrics>,
    audit: Option<Arc<AuditLog>>,
    observer: Option<Arc<dyn ChangeObserver>>,
}

impl Gateway {
    /// Wrap a backend.
    pub fn new(backend: Arc<dyn Backend>, metrics: Arc<Metrics>) -> Self {
        Gateway {
            backend,
            metrics,
            audit: None,
            observer: None,
        }
    }

    /// Tell `observer` which objects each state-changing call may have
    /// changed, before the call returns, so the next tool call sees them.
    pub fn with_observer(mut self, observer: Arc<dyn ChangeObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Record every state-changing call in `audit`, before the call returns.
    pub fn with_audit(mut self, audit: Option<Arc<AuditLog>>) -> Self {
        self.audit = audit;
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

    /// Read properties of exactly these objects; always allowed.
    pub async fn read(
        &self,
        ctx: &CallContext,
        refs: &[MoRef],
        properties: &[String],
    ) -> Result<Vec<ObjectContent>, VsError> {
        let started = Instant::now();
        let result = self.backend.read(ctx, refs, properties).await;
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
            &result,
            None,
        );
        result
    }

    /// Call a method, refusing a state change that no grant of this call covers.
    pub async fn invoke(
        &self,
        ctx: &CallContext,
        grants: &CallGrants,
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
        let grant_id = match grants.authorize(method, target, std::time::Instant::now()) {
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
        let (result, task_id) =
            task_id::observe(self.backend.invoke(ctx, target, method, args)).await;
        self.record(ctx, &line, &result, task_id.as_deref());
        if let Some(observer) = &self.observer {
            observer
                .changed(ctx, &touched(target, args, result.as_ref().ok()))
                .await;
        }
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

    /// Append a state-changing call to the audit trail, flushed before the
    /// call returns. The change has happened (or was refused) by now, so a
    /// write failure cannot undo it: it is logged as an error instead.
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
        let Some(audit) = &self.audit else {
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
        let record = CallRecord {
            ts: now_rfc3339(),
            event: "vsphere_call",
            correlation_id: ctx.correlation_id.clone(),
            method: method.to_string(),
            target: target.to_string(),
            outcome,
            fault_type,
            error,
            duration_ms: started.elapsed().as_millis() as u64,
            grant_id,
            task_id,
            arguments: bounded_arguments(redact(&Value::Object(args.clone()))),
        };
        if let Err(e) = audit.append(&record) {
            tracing::error!(correlation_id = %ctx.correlation_id, method, object = %target, error = %e, "a state-changing vSphere call could not be written to the audit trail");
        }
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

/// Replace values of keys that look secret, wherever they are nested.
pub fn redact(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let lower = k.to_ascii_lowercase();
                    if ["password", "secret", "token", "credential"]
                        .iter()
                        .any(|s| lower.contains(s))
                    {
                        (k.clone(), Value::String("***".into()))
                    } else {
                        (k.clone(), redact(v))
                    }
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redact).collect()),
        other => other.clone(),
    }
}

fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…({} bytes)", &text[..end], text.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_at_any_depth() {
        let v = serde_json::json!({"spec": {"password": "hunter2", "name": "x"}, "list": [{"authToken": "t"}]});
        let r = redact(&v).to_string();
        assert!(!r.contains("hunter2") && !r.contains("\"t\""), "{r}");
        assert!(r.contains("\"name\":\"x\""));
    }

    #[test]
    fn long_arguments_are_truncated_on_a_char_boundary() {
        let s = "é".repeat(400);
        let t = truncate(&s, 11);
        assert!(t.starts_with("ééééé") && t.contains("800 bytes"), "{t}");
    }

    #[tokio::test]
    async fn state_changes_are_audited_with_grant_and_task_reads_are_not() {
        use crate::approval::grants::{GRANT_TTL, Grant};
        use crate::vsphere::sim::SimBackend;

        let path = std::env::temp_dir().join(format!(
            "vmware-mcp-gateway-audit-{}/audit.jsonl",
            std::process::id()
        ));
        let _ = std::fs::remove_file(&path);
        let sim = SimBackend::demo().with_task_delay(std::time::Duration::ZERO);
        let gateway = Gateway::new(Arc::new(sim), Arc::new(Metrics::new()))
            .with_audit(Some(Arc::new(AuditLog::open(&path).unwrap())));
        let ctx = CallContext {
            correlation_id: "corr-audit".into(),
            ..Default::default()
        };
        let spec = RetrieveSpec {
            object_type: "VirtualMachine".into(),
            root: None,
            recursive: true,
            properties: vec!["runtime.powerState".into()],
        };
        let vm = gateway
            .retrieve(&ctx, &spec)
            .await
            .unwrap()
            .into_iter()
            .find(|o| {
                serde_json::to_string(&o.properties)
                    .unwrap()
                    .contains("poweredOn")
            })
            .expect("a powered-on VM")
            .reference;
        let grants = CallGrants::new();
        let grant = Grant::new(
            "operator:alice",
            ["PowerOffVM_Task".to_string()],
            [vm.clone()],
            Instant::now(),
            GRANT_TTL,
        );
        let grant_id = grant.id.clone();
        grants.add(grant);
        let args = Map::new();
        gateway
            .invoke(&ctx, &grants, &vm, "PowerOffVM_Task", &args)
            .await
            .unwrap();
        // The replay is refused, and recorded too.
        assert!(
            gateway
                .invoke(&ctx, &grants, &vm, "PowerOffVM_Task", &args)
                .await
                .is_err()
        );
        let lines: Vec<Value> = std::fs::read_to_string(&path)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2, "reads are not audited: {lines:?}");
        assert_eq!(lines[0]["event"], "vsphere_call");
        assert_eq!(lines[0]["method"], "PowerOffVM_Task");
        assert_eq!(lines[0]["target"], vm.to_string());
        assert_eq!(lines[0]["outcome"], "ok");
        assert_eq!(lines[0]["grant_id"], grant_id.as_str());
        assert!(lines[0]["task_id"].as_str().unwrap().starts_with("task-"));
        assert_eq!(lines[0]["correlation_id"], "corr-audit");
        assert_eq!(lines[1]["outcome"], "approval_required");
        assert!(lines[1]["grant_id"].is_null() && lines[1]["task_id"].is_null());
    }
}
