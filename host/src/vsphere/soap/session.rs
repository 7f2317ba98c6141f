//! The vCenter session: the cookie every call carries, login, re-login after
//! expiry, and logout.
//!
//! One session is shared by all concurrent calls. When several calls see it
//! expire at once, only the first logs in again; the others find the session
//! generation changed and just use the new cookie.

use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Map, Value};

use super::{Inner, send_raw};
use crate::error::VsError;
use crate::vsphere::CallContext;

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

impl Inner {
    /// Log in with the configured user and password and keep the cookie.
    /// The request is sent without a cookie so the server starts a fresh
    /// session and sets one. Errors never contain the password.
    pub(super) async fn login(&self, ctx: &CallContext) -> Result<(), VsError> {
        let mut args = Map::new();
        args.insert("userName".into(), Value::String(self.config.user.clone()));
        args.insert(
            "password".into(),
            Value::String(self.config.password.expose().to_string()),
        );
        let result = send_raw(
            self.schema,
            &self.transport,
            ctx,
            &self.refs.session_manager,
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
                    self.transport.endpoint(),
                    self.config.user,
                    f.message
                );
                VsError::Fault(f)
            }
            other => other,
        })?;
        let cookie = cookie.ok_or_else(|| {
            VsError::Internal(format!(
                "{} accepted the login but set no {} cookie",
                self.transport.endpoint(),
                super::transport::SESSION_COOKIE
            ))
        })?;
        self.session.set(Some(cookie));
        Ok(())
    }

    /// Log in again after NotAuthenticated, unless another call already did
    /// since `seen_generation`.
    pub(super) async fn relogin(
        &self,
        ctx: &CallContext,
        seen_generation: u64,
    ) -> Result<(), VsError> {
        let _guard = self.session.relogin_lock.lock().await;
        if self.session.generation() != seen_generation {
            return Ok(());
        }
        tracing::warn!(url = %self.transport.endpoint(), correlation_id = %ctx.correlation_id, "vCenter session expired; logging in again");
        self.login(ctx).await?;
        self.session.relogins.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    /// End the session. A session that has already expired counts as ended.
    pub(super) async fn logout(&self) -> Result<(), VsError> {
        let Some(cookie) = self.session.cookie() else {
            return Ok(());
        };
        let ctx = CallContext {
            correlation_id: "logout".into(),
            ..Default::default()
        };
        let result = send_raw(
            self.schema,
            &self.transport,
            &ctx,
            &self.refs.session_manager,
            "Logout",
            &Map::new(),
            Some(&cookie),
            None,
        )
        .await;
        self.session.set(None);
        match result {
            Ok(_) => Ok(()),
            Err(e) if super::fault::is_not_authenticated(&e) => Ok(()),
            Err(e) => Err(e),
        }
    }
}
