//! The one path every plugin's vSphere call takes, whichever backend serves
//! it: the approval check for state changes, the log line and the metrics.
//! Keeping it in one place means a backend cannot forget the gate.

use std::sync::Arc;
use std::time::Instant;

use serde_json::{Map, Value};

use crate::approval::classify;
use crate::approval::grants::CallGrants;
use crate::error::VsError;
use crate::telemetry::metrics::{Metrics, names};
use crate::vsphere::{Backend, CallContext, MoRef, ObjectContent, RetrieveSpec};

/// Longest argument text written to a log line.
const MAX_LOGGED_ARGS: usize = 512;

/// Gated, logged access to a backend.
pub struct Gateway {
    backend: Arc<dyn Backend>,
    metrics: Arc<Metrics>,
}

impl Gateway {
    /// Wrap a backend.
    pub fn new(backend: Arc<dyn Backend>, metrics: Arc<Metrics>) -> Self {
        Gateway { backend, metrics }
    }

    /// The backend, for host-side reads (e.g. naming approval targets).
    pub fn backend(&self) -> &Arc<dyn Backend> {
        &self.backend
    }

    /// The service content; always allowed.
    pub async fn service_content(&self, ctx: &CallContext) -> Result<Value, VsError> {
        let started = Instant::now();
        let result = self.backend.service_content(ctx).await;
        self.record(ctx, "RetrieveServiceContent", None, "", started, &result);
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
            "RetrievePropertiesEx",
            spec.root.as_ref(),
            &args,
            started,
            &result,
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
        if !classify::is_read_only(method) {
            match grants.authorize(method, target, std::time::Instant::now()) {
                Ok(grant_id) => {
                    tracing::info!(correlation_id = %ctx.correlation_id, grant_id = %grant_id, method, object = %target, "state change authorized by grant")
                }
                Err(refusal) => {
                    let result: Result<Value, VsError> = Err(refusal);
                    self.record(ctx, method, Some(target), &args_text, started, &result);
                    return result;
                }
            }
        }
        let result = self.backend.invoke(ctx, target, method, args).await;
        self.record(ctx, method, Some(target), &args_text, started, &result);
        result
    }

    fn record<T>(
        &self,
        ctx: &CallContext,
        method: &str,
        target: Option<&MoRef>,
        args: &str,
        started: Instant,
        result: &Result<T, VsError>,
    ) {
        let elapsed = started.elapsed();
        let outcome = match result {
            Ok(_) => "ok",
            Err(e) => e.kind(),
        };
        let target = target.map(|t| t.to_string()).unwrap_or_default();
        match result {
            Ok(_) => {
                tracing::info!(correlation_id = %ctx.correlation_id, method, object = %target, args, duration_ms = elapsed.as_millis() as u64, outcome, "vsphere call")
            }
            Err(e) => {
                let (fault_type, fault_message) = match e {
                    VsError::Fault(f) => (f.type_name.as_str(), f.message.as_str()),
                    _ => ("", ""),
                };
                tracing::info!(correlation_id = %ctx.correlation_id, method, object = %target, args, duration_ms = elapsed.as_millis() as u64, outcome, fault_type, fault_message, error = %e, "vsphere call")
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
}
