//! The real vSphere backend: a schema-driven vim25 SOAP client.
//!
//! Plugins send VI/JSON; this module turns it into SOAP bodies the server
//! accepts (element order, `xsi:type`, escaping) using the vim25 schema
//! generated from pyVmomi's tables (`host/schema/vim25.json`), and turns
//! replies back into VI/JSON. It owns the session (login, cookie, re-login on
//! expiry, logout), retrieval through container views with paging, and task
//! awaiting with progress.
//!
//! Files, bottom up: `xml`, `encode`, `decode`, `fault` and `response` (the
//! codec, typed by the vim25 schema in [`crate::vsphere::schema`]);
//! `endpoint` and `config` (what to reach and with which credentials);
//! `transport` (HTTP, TLS, request counting); `exchange` (one round trip);
//! `session` (login, re-login, logout); `collector` (container views and
//! private PropertyCollectors), `retrieve` (paged RetrievePropertiesEx) and
//! `watch` (the inventory's update feed); `task` (awaiting tasks).

mod collector;
mod config;
pub mod decode;
pub mod encode;
mod endpoint;
mod exchange;
pub mod fault;
mod response;
mod retrieve;

mod session;
mod task;
mod transport;
mod watch;
pub mod xml;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Map, Value};

pub use config::SoapConfig;
pub use endpoint::{Endpoint, parse_endpoint};

use self::exchange::send_raw;
use self::fault::is_not_authenticated;
use self::session::Session;
use self::transport::Transport;
use crate::vocabulary::{Fault, VsError};
use crate::vsphere::schema::{self, Schema};
use crate::vsphere::{
    Backend, CallContext, MoRef, ObjectContent, RetrieveSpec, UpdateFeed, WatchSpec,
};

/// SessionManager methods a plugin may not call through `invoke`: they would
/// log the shared session in or out, or hand out tickets that act as
/// credentials. The backend owns the session.
const RESERVED_SESSION_METHODS: &[&str] = &[
    "Login",
    "LoginByToken",
    "LoginBySSPI",
    "LoginExtensionByCertificate",
    "LoginExtensionBySubjectName",
    "Logout",
    "CloneSession",
    "AcquireCloneTicket",
    "AcquireGenericServiceTicket",
    "AcquireLocalTicket",
    "ImpersonateUser",
    "SetLocale",
];

/// The service's singletons the backend itself uses.
#[derive(Debug, Clone)]
struct ServiceRefs {
    root_folder: MoRef,
    property_collector: MoRef,
    view_manager: MoRef,
    session_manager: MoRef,
}

impl ServiceRefs {
    fn from_content(content: &Value) -> Result<Self, VsError> {
        let get = |k: &str| {
            content.get(k).and_then(MoRef::from_json).ok_or_else(|| {
                VsError::Internal(format!(
                    "the server's ServiceContent has no {k}; is this a vSphere SDK endpoint?"
                ))
            })
        };
        Ok(ServiceRefs {
            root_folder: get("rootFolder")?,
            property_collector: get("propertyCollector")?,
            view_manager: get("viewManager")?,
            session_manager: get("sessionManager")?,
        })
    }
}

/// State shared by every clone of a [`SoapBackend`] and every concurrent call.
#[derive(Debug)]
struct Inner {
    schema: &'static Schema,
    config: SoapConfig,
    transport: Transport,
    session: Session,
    content: Value,
    refs: ServiceRefs,
    api_version: String,
    /// Update feed requests (waits, cancellations), counted apart.
    feed_requests: std::sync::atomic::AtomicU64,
}

/// The vSphere backend over SOAP. Cheap to clone; all clones share one
/// session and one HTTP connection pool.
#[derive(Debug, Clone)]
pub struct SoapBackend {
    inner: Arc<Inner>,
}

/// Compare dotted version strings numerically (`8.0.2.0` < `8.0.10`);
/// non-numeric parts count as 0.
fn version_key(v: &str) -> Vec<u64> {
    v.split('.')
        .map(|p| {
            p.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
                .parse()
                .unwrap_or(0)
        })
        .collect()
}

/// The newest vim25 version in a `vimServiceVersions.xml` that the schema
/// also knows, so requests ask for what both sides understand.
fn negotiate_version(doc: &str, schema_version: &str) -> Option<String> {
    let root = xml::parse(doc).ok()?;
    let ns = root
        .children
        .iter()
        .find(|n| n.name == "namespace" && n.child_text("name") == Some("urn:vim25"))?;
    let mut versions: Vec<&str> = ns.child_text("version").into_iter().collect();
    if let Some(prior) = ns.child("priorVersions") {
        versions.extend(
            prior
                .children
                .iter()
                .filter(|c| c.name == "version")
                .map(|c| c.text.as_str()),
        );
    }
    let limit = version_key(schema_version);
    versions
        .into_iter()
        .map(str::trim)
        .filter(|v| !v.is_empty() && version_key(v) <= limit)
        .max_by_key(|v| version_key(v))
        .map(str::to_string)
}

impl SoapBackend {
    /// Connect to vCenter (or ESXi): negotiate the API version, read the
    /// ServiceContent and log in. Fails with a clear error on a bad host,
    /// TLS verification failure (saying to set VCENTER_CA_FILE or
    /// VCENTER_IGNORE_SSL) or bad credentials.
    pub async fn connect(config: SoapConfig) -> Result<Self, VsError> {
        let schema = schema::schema().map_err(VsError::Internal)?;
        if let Some(t) = schema::parse_time() {
            tracing::debug!(parse_ms = t.as_millis() as u64, version = %schema.version, "vim25 schema loaded");
        }
        let endpoint = parse_endpoint(&config.host)?;
        let transport = Transport::new(&config, endpoint)?;
        let ctx = CallContext {
            correlation_id: "connect".into(),
            ..Default::default()
        };
        // Pick the API version: the server's list when it publishes one,
        // otherwise what ServiceContent.about says.
        let listed = match transport.get_sibling("vimServiceVersions.xml").await {
            Ok(Some(doc)) => negotiate_version(&doc, &schema.version),
            Ok(None) => None,
            Err(e) => return Err(e),
        };
        if let Some(v) = &listed {
            transport.set_api_version(v);
        }
        let mut content = service_content(schema, &transport, &ctx).await?;
        let api_version = match listed {
            Some(v) => v,
            None => {
                let about = content
                    .pointer("/about/apiVersion")
                    .and_then(Value::as_str)
                    .unwrap_or("6.7")
                    .to_string();
                let chosen = if version_key(&about) <= version_key(&schema.version) {
                    about
                } else {
                    schema.version.clone()
                };
                transport.set_api_version(&chosen);
                content = service_content(schema, &transport, &ctx).await?;
                chosen
            }
        };
        let refs = ServiceRefs::from_content(&content)?;
        let inner = Inner {
            schema,
            config,
            transport,
            session: Session::default(),
            content,
            refs,
            api_version,
            feed_requests: Default::default(),
        };
        inner.session.login(&inner.login_target(), &ctx).await?;
        let product = inner
            .content
            .pointer("/about/fullName")
            .and_then(|v| v.as_str())
            .unwrap_or("?")
            .to_string();
        tracing::info!(
            url = %inner.transport.endpoint(),
            api_version = %inner.api_version,
            product = %product,
            user = %inner.config.user,
            "connected to vSphere"
        );
        Ok(SoapBackend {
            inner: Arc::new(inner),
        })
    }

    /// Log out of vCenter, releasing the session (call at shutdown).
    pub async fn logout(&self) -> Result<(), VsError> {
        self.inner.session.logout(&self.inner.login_target()).await
    }

    /// HTTP requests sent so far, for tests and metrics.
    pub fn request_count(&self) -> u64 {
        self.inner.transport.request_count()
    }

    /// How many times the session expired and was logged in again.
    pub fn relogin_count(&self) -> u64 {
        self.inner.session.relogin_count()
    }

    /// The vim25 API version requests are sent with.
    pub fn api_version(&self) -> &str {
        &self.inner.api_version
    }

    /// The SDK URL this backend talks to.
    pub fn endpoint(&self) -> &Endpoint {
        self.inner.transport.endpoint()
    }
}

/// `RetrieveServiceContent`, the one call made before logging in.
async fn service_content(
    schema: &Schema,
    transport: &Transport,
    ctx: &CallContext,
) -> Result<Value, VsError> {
    let si = MoRef::new("ServiceInstance", "ServiceInstance");
    let (content, _) = send_raw(
        schema,
        transport,
        ctx,
        &si,
        "RetrieveServiceContent",
        &Map::new(),
        None,
        None,
    )
    .await?;
    Ok(content)
}

impl Inner {
    /// What the session needs to log in, log in again or out.
    fn login_target(&self) -> session::LoginTarget<'_> {
        session::LoginTarget {
            schema: self.schema,
            transport: &self.transport,
            session_manager: &self.refs.session_manager,
            user: &self.config.user,
            password: &self.config.password,
        }
    }

    /// One call in the current session, without session-expiry handling.
    async fn send(
        &self,
        ctx: &CallContext,
        this: &MoRef,
        method: &str,
        args: &Map<String, Value>,
        timeout: Option<Duration>,
    ) -> Result<Value, VsError> {
        let cookie = self.session.cookie();
        send_raw(
            self.schema,
            &self.transport,
            ctx,
            this,
            method,
            args,
            cookie.as_deref(),
            timeout,
        )
        .await
        .map(|(v, _)| v)
    }

    /// One call in the session. If the session has expired, log in again
    /// once; then resend only if the method is read-only. A state-changing
    /// call is not resent: its error says the outcome is unknown.
    async fn call(
        &self,
        ctx: &CallContext,
        this: &MoRef,
        method: &str,
        args: &Map<String, Value>,
    ) -> Result<Value, VsError> {
        self.call_with_timeout(ctx, this, method, args, None).await
    }

    async fn call_with_timeout(
        &self,
        ctx: &CallContext,
        this: &MoRef,
        method: &str,
        args: &Map<String, Value>,
        timeout: Option<Duration>,
    ) -> Result<Value, VsError> {
        let generation = self.session.generation();
        match self.send(ctx, this, method, args, timeout).await {
            Err(e) if is_not_authenticated(&e) => {
                self.session
                    .relogin(&self.login_target(), ctx, generation)
                    .await?;
                if self.is_read_only(this, method) {
                    self.send(ctx, this, method, args, timeout).await
                } else {
                    Err(outcome_unknown(&e, method, this))
                }
            }
            other => other,
        }
    }

    /// Whether the schema says `method` only reads, so resending it is safe.
    fn is_read_only(&self, this: &MoRef, method: &str) -> bool {
        crate::vsphere::classify::read_behind_privilege(&this.kind, method).is_some()
            || self
                .schema
                .method(&this.kind, method)
                .is_some_and(crate::vsphere::classify::method_reads_only)
    }

    /// `invoke` without the plugin-facing checks: call, then await a Task.
    async fn invoke(
        &self,
        ctx: &CallContext,
        target: &MoRef,
        method: &str,
        args: &Map<String, Value>,
    ) -> Result<Value, VsError> {
        let returns_task = self
            .schema
            .method(&target.kind, method)
            .is_some_and(schema::Method::returns_task);
        let result = match self.call(ctx, target, method, args).await {
            Ok(result) => result,
            Err(VsError::Timeout(m)) if !self.is_read_only(target, method) => {
                return Err(VsError::Timeout(format!(
                    "{method} on {target} was sent, but {m}. Whether it took effect is unknown (no task \
                     reference came back) and it was not retried: check the object's state before trying again"
                )));
            }
            Err(e) => return Err(e),
        };
        if !returns_task {
            return Ok(result);
        }
        let task = MoRef::from_json(&result).ok_or_else(|| {
            VsError::Internal(format!(
                "{method} on {target} should return a Task, but returned {result}"
            ))
        })?;
        // Name the task in the audit trail (a no-op outside the gateway's audited calls).
        ctx.report_task(&task);
        self.await_task(ctx, &task, method, target).await
    }
}

/// The error for a state-changing call refused with NotAuthenticated.
fn outcome_unknown(e: &VsError, method: &str, target: &MoRef) -> VsError {
    let detail = match e {
        VsError::Fault(f) => f.detail.clone(),
        _ => Value::Null,
    };
    VsError::Fault(Fault {
        type_name: fault::NOT_AUTHENTICATED.into(),
        message: format!(
            "the vCenter session had expired when {method} on {target} was sent. The host logged in again but did \
             not resend the call because it changes state, so its outcome is unknown: check the object's state \
             before retrying"
        ),
        detail,
    })
}

#[async_trait]
impl Backend for SoapBackend {
    fn is_simulated(&self) -> bool {
        false
    }

    fn counters(&self) -> crate::vsphere::BackendCounters {
        crate::vsphere::BackendCounters {
            requests: self.request_count(),
            feed_requests: self
                .inner
                .feed_requests
                .load(std::sync::atomic::Ordering::Relaxed),
            relogins: self.relogin_count(),
        }
    }

    async fn is_ready(&self) -> bool {
        self.inner.session.cookie().is_some()
    }

    async fn shutdown(&self) {
        match self.inner.session.logout(&self.inner.login_target()).await {
            Ok(()) => tracing::info!(endpoint = %self.endpoint(), "logged out of vCenter"),
            Err(e) => tracing::warn!(error = %e, "logging out of vCenter failed"),
        }
    }

    async fn service_content(&self, _ctx: &CallContext) -> Result<Value, VsError> {
        Ok(self.inner.content.clone())
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
        Ok(Box::new(self.inner.watch(spec).await?))
    }

    async fn invoke(
        &self,
        ctx: &CallContext,
        target: &MoRef,
        method: &str,
        args: &Map<String, Value>,
    ) -> Result<Value, VsError> {
        if self.inner.schema.is_subtype(&target.kind, "SessionManager")
            && RESERVED_SESSION_METHODS.contains(&method)
        {
            return Err(VsError::InvalidArgument(format!(
                "SessionManager.{method} is reserved to the host, which owns the vCenter session"
            )));
        }
        if target == &self.inner.refs.property_collector && method == "DestroyPropertyCollector" {
            return Err(VsError::InvalidArgument(
                "the service's PropertyCollector is shared by every call and cannot be destroyed; \
                 create one with CreatePropertyCollector"
                    .into(),
            ));
        }
        self.inner.invoke(ctx, target, method, args).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_negotiation() {
        let doc = r#"<?xml version="1.0" encoding="UTF-8" ?><namespaces version="1.0"><namespace><name>urn:vim25</name><version>8.0.2.0</version>
<priorVersions><version>8.0.1.0</version><version>7.0</version><version>6.7.3</version></priorVersions></namespace>
<namespace><name>urn:vim2</name><version>2.0</version></namespace></namespaces>"#;
        assert_eq!(
            negotiate_version(doc, "9.1.1.0").as_deref(),
            Some("8.0.2.0")
        );
        assert_eq!(
            negotiate_version(doc, "8.0.1.5").as_deref(),
            Some("8.0.1.0")
        );
        assert_eq!(negotiate_version(doc, "6.0").as_deref(), None);
        assert_eq!(negotiate_version("<html/>", "9.0").as_deref(), None);
        assert!(version_key("8.0.10") > version_key("8.0.2.0"));
    }
}
