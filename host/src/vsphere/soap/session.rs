//! The vCenter session: the cookie every call carries, login, re-login after
//! expiry, and logout.
//!
//! One session is shared by all concurrent calls. When several calls see it
//! expire at once, only the first logs in again; the others find the session
//! generation changed and just use the new cookie.

use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Map, Value};

use super::exchange::send_raw;
use super::fault::is_not_authenticated;
use super::transport::{SESSION_COOKIE, Transport};
use crate::config::Secret;
use crate::vocabulary::{MoRef, VsError};
use crate::vsphere::CallContext;
use crate::vsphere::schema::Schema;

/// Where and as whom to log in: the parts of the client a login needs.
pub(super) struct LoginTarget<'a> {
    /// The vim25 schema, to encode the calls.
    pub schema: &'a Schema,
    /// The connection to vCenter.
    pub transport: &'a Transport,
    /// The `SessionManager` of the service content.
    pub session_manager: &'a MoRef,
    /// The configured user.
    pub user: &'a str,
    /// The configured password.
    pub password: &'a Secret,
}

/// The session cookie and bookkeeping.
#[derive(Debug, Default)]
pub struct Session {
    cookie: RwLock<Option<String>>,
    generation: AtomicU64,
    relogins: AtomicU64,
    relogin_lock: tokio::sync::Mutex<()>,
}

impl Session {
    /// The cookie to send (`vmware_soap_session=…`), if logged in.
    pub fn cookie(&self) -> Option<String> {
        self.cookie.read().ok().and_then(|c| c.clone())
    }

    /// Bumped at every login, so a caller can tell whether someone else has
    /// already replaced the session it saw expire.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// How many times the session was logged in again after expiring.
    pub fn relogin_count(&self) -> u64 {
        self.relogins.load(Ordering::SeqCst)
    }

    fn set(&self, cookie: Option<String>) {
        if let Ok(mut c) = self.cookie.write() {
            *c = cookie;
        }
        self.generation.fetch_add(1, Ordering::SeqCst);
    }
}

impl Session {
    /// Log in with the configured user and password and keep the cookie.
    /// The request is sent without a cookie so the server starts a fresh
    /// session and sets one. Errors never contain the password.
    pub(super) async fn login(
        &self,
        to: &LoginTarget<'_>,
        ctx: &CallContext,
    ) -> Result<(), VsError> {
        let mut args = Map::new();
        args.insert("userName".into(), Value::String(to.user.to_string()));
        args.insert(
            "password".into(),
            Value::String(to.password.expose().to_string()),
        );
        let result = send_raw(
            to.schema,
            to.transport,
            ctx,
            to.session_manager,
            "Login",
            &args,
            None,
            None,
        )
        .await;
        drop(args);
        let (_session, cookie) = result.map_err(|e| match e {
            VsError::Fault(mut f) => {
                f.message = format!(
                    "login to {} as {} failed: {}",
                    to.transport.endpoint(),
                    to.user,
                    f.message
                );
                VsError::Fault(f)
            }
            other => other,
        })?;
        let cookie = cookie.ok_or_else(|| {
            VsError::Internal(format!(
                "{} accepted the login but set no {} cookie",
                to.transport.endpoint(),
                SESSION_COOKIE
            ))
        })?;
        self.set(Some(cookie));
        Ok(())
    }

    /// Log in again after NotAuthenticated, unless another call already did
    /// since `seen_generation`.
    pub(super) async fn relogin(
        &self,
        to: &LoginTarget<'_>,
        ctx: &CallContext,
        seen_generation: u64,
    ) -> Result<(), VsError> {
        let _guard = self.relogin_lock.lock().await;
        if self.generation() != seen_generation {
            return Ok(());
        }
        tracing::warn!(url = %to.transport.endpoint(), correlation_id = %ctx.correlation_id, "vCenter session expired; logging in again");
        self.login(to, ctx).await?;
        self.relogins.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    /// End the session. A session that has already expired counts as ended.
    pub(super) async fn logout(&self, to: &LoginTarget<'_>) -> Result<(), VsError> {
        let Some(cookie) = self.cookie() else {
            return Ok(());
        };
        let ctx = CallContext {
            correlation_id: "logout".into(),
            ..Default::default()
        };
        let result = send_raw(
            to.schema,
            to.transport,
            &ctx,
            to.session_manager,
            "Logout",
            &Map::new(),
            Some(&cookie),
            None,
        )
        .await;
        self.set(None);
        match result {
            Ok(_) => Ok(()),
            Err(e) if is_not_authenticated(&e) => Ok(()),
            Err(e) => Err(e),
        }
    }
}
