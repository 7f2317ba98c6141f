//! Recording which vim25 methods a tool call invoked: a [`Backend`] that
//! passes every call to the simulator and notes each `invoke` that reached
//! it, under the call's correlation id. It sits below the gateway, so what
//! it records got past the approval check and would have reached vCenter.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde_json::{Map, Value};

use crate::vocabulary::{ErrorKind, VsError};
use crate::vsphere::{
    Backend, BackendCounters, CallContext, MoRef, ObjectContent, RetrieveSpec, UpdateFeed,
    WatchSpec,
};

/// One vim25 method call that reached the (simulated) vCenter.
#[derive(Debug, Clone, PartialEq)]
pub struct Invocation {
    /// The method, e.g. `PowerOffVM_Task`.
    pub method: String,
    /// The object it was called on.
    pub target: MoRef,
    /// Its arguments, by parameter name.
    pub arguments: Map<String, Value>,
    /// `None` when it succeeded, else the kind of error it failed with.
    pub failed: Option<ErrorKind>,
}

/// A backend that records the invocations passing through it.
pub struct RecordingBackend {
    inner: Arc<dyn Backend>,
    calls: Mutex<Vec<(String, Invocation)>>,
}

impl RecordingBackend {
    /// Record the invocations sent to `inner`.
    pub fn new(inner: Arc<dyn Backend>) -> Arc<Self> {
        Arc::new(RecordingBackend {
            inner,
            calls: Mutex::new(Vec::new()),
        })
    }

    /// Remove and return the invocations made under `correlation_id`, in order.
    pub fn take(&self, correlation_id: &str) -> Vec<Invocation> {
        let mut calls = self.calls.lock().unwrap_or_else(|p| p.into_inner());
        let (mine, others): (Vec<_>, Vec<_>) =
            calls.drain(..).partition(|(id, _)| id == correlation_id);
        *calls = others;
        mine.into_iter().map(|(_, invocation)| invocation).collect()
    }
}

#[async_trait]
impl Backend for RecordingBackend {
    fn is_simulated(&self) -> bool {
        self.inner.is_simulated()
    }

    async fn is_ready(&self) -> bool {
        self.inner.is_ready().await
    }

    fn counters(&self) -> BackendCounters {
        self.inner.counters()
    }

    async fn shutdown(&self) {
        self.inner.shutdown().await
    }

    async fn service_content(&self, ctx: &CallContext) -> Result<Value, VsError> {
        self.inner.service_content(ctx).await
    }

    async fn retrieve(
        &self,
        ctx: &CallContext,
        spec: &RetrieveSpec,
    ) -> Result<Vec<ObjectContent>, VsError> {
        self.inner.retrieve(ctx, spec).await
    }

    async fn read(
        &self,
        ctx: &CallContext,
        refs: &[MoRef],
        properties: &[String],
    ) -> Result<Vec<ObjectContent>, VsError> {
        self.inner.read(ctx, refs, properties).await
    }

    async fn watch(&self, spec: &WatchSpec) -> Result<Box<dyn UpdateFeed>, VsError> {
        self.inner.watch(spec).await
    }

    async fn invoke(
        &self,
        ctx: &CallContext,
        target: &MoRef,
        method: &str,
        args: &Map<String, Value>,
    ) -> Result<Value, VsError> {
        let result = self.inner.invoke(ctx, target, method, args).await;
        let invocation = Invocation {
            method: method.to_string(),
            target: target.clone(),
            arguments: args.clone(),
            failed: result.as_ref().err().map(VsError::error_kind),
        };
        self.calls
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((ctx.correlation_id.clone(), invocation));
        result
    }
}
