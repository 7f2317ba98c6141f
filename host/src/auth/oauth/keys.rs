//! The issuer's signing keys, cached: fetched from its `jwks_uri` on first
//! use, and fetched again when a token names a `kid` the cache does not know
//! (keys are rotated), at most once per `jwks_min_refresh` so that tokens
//! with made-up key ids cannot make the server hammer the issuer.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{Jwk, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};

use crate::auth::oauth::discovery;

/// A verification key and the one algorithm it is used with.
#[derive(Clone)]
pub struct VerifyKey {
    /// The key.
    pub key: DecodingKey,
    /// RS256 or ES256.
    pub algorithm: Algorithm,
}

/// Why no key could be found for a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyError {
    /// The issuer publishes no key with this id (after a refresh, or a
    /// refresh was not allowed yet).
    UnknownKid(String),
    /// The issuer's metadata or JWKS could not be read.
    Unavailable(String),
}

#[derive(Default)]
struct State {
    jwks_uri: Option<String>,
    keys: HashMap<String, VerifyKey>,
    /// Keys published without a `kid`, tried for tokens without one.
    unnamed: Vec<VerifyKey>,
    fetched: Option<Instant>,
    /// Why the last fetch failed, until one succeeds: tokens are then
    /// answered "cannot check now" (503), not "unknown key" (401).
    failing: Option<String>,
}

/// The cache of one issuer's keys.
pub struct KeyCache {
    http: reqwest::Client,
    issuer: String,
    min_refresh: Duration,
    state: tokio::sync::Mutex<State>,
}

impl KeyCache {
    /// An empty cache for `issuer`'s keys.
    pub fn new(http: reqwest::Client, issuer: &str, min_refresh: Duration) -> KeyCache {
        KeyCache {
            http,
            issuer: issuer.to_string(),
            min_refresh,
            state: tokio::sync::Mutex::new(State::default()),
        }
    }

    /// The keys a token signed under `kid` may be checked with: the key of
    /// that id (refreshing the set when it is unknown and a refresh is due),
    /// or, without a `kid`, every key published without one.
    pub async fn keys_for(&self, kid: Option<&str>) -> Result<Vec<VerifyKey>, KeyError> {
        let mut state = self.state.lock().await;
        if let Some(found) = lookup(&state, kid) {
            return Ok(found);
        }
        let due = state
            .fetched
            .is_none_or(|at| at.elapsed() >= self.min_refresh);
        if due {
            let fetched = self.refresh(&mut state).await;
            state.failing = fetched.as_ref().err().map(|e| match e {
                KeyError::Unavailable(m) | KeyError::UnknownKid(m) => m.clone(),
            });
            fetched?;
            if let Some(found) = lookup(&state, kid) {
                return Ok(found);
            }
        } else if let Some(why) = &state.failing {
            return Err(KeyError::Unavailable(why.clone()));
        }
        Err(KeyError::UnknownKid(kid.unwrap_or("(none)").to_string()))
    }

    async fn refresh(&self, state: &mut State) -> Result<(), KeyError> {
        state.fetched = Some(Instant::now());
        let jwks_uri = match &state.jwks_uri {
            Some(uri) => uri.clone(),
            None => {
                let meta = discovery::discover(&self.http, &self.issuer)
                    .await
                    .map_err(KeyError::Unavailable)?;
                state.jwks_uri = Some(meta.jwks_uri.clone());
                meta.jwks_uri
            }
        };
        let set: JwkSet = async {
            let response = self
                .http
                .get(&jwks_uri)
                .send()
                .await
                .map_err(|e| e.to_string())?;
            if !response.status().is_success() {
                return Err(format!("HTTP {}", response.status().as_u16()));
            }
            response.json::<JwkSet>().await.map_err(|e| e.to_string())
        }
        .await
        .map_err(|e| KeyError::Unavailable(format!("the issuer's JWKS at {jwks_uri}: {e}")))?;
        state.keys.clear();
        state.unnamed.clear();
        for jwk in &set.keys {
            let Some(key) = verify_key(jwk) else { continue };
            match &jwk.common.key_id {
                Some(kid) => {
                    state.keys.insert(kid.clone(), key);
                }
                None => state.unnamed.push(key),
            }
        }
        tracing::info!(issuer = %self.issuer, keys = state.keys.len() + state.unnamed.len(), "OAuth signing keys fetched");
        Ok(())
    }
}

fn lookup(state: &State, kid: Option<&str>) -> Option<Vec<VerifyKey>> {
    match kid {
        Some(kid) => state.keys.get(kid).map(|k| vec![k.clone()]),
        None => (!state.unnamed.is_empty()).then(|| state.unnamed.clone()),
    }
}

/// A signing key of an algorithm the server accepts (RS256 or ES256 on
/// P-256), or `None` for any other (encryption keys, other algorithms).
fn verify_key(jwk: &Jwk) -> Option<VerifyKey> {
    if matches!(jwk.common.public_key_use, Some(ref u) if *u != PublicKeyUse::Signature) {
        return None;
    }
    let algorithm = match (&jwk.common.key_algorithm, &jwk.algorithm) {
        (Some(KeyAlgorithm::RS256), _) => Algorithm::RS256,
        (Some(KeyAlgorithm::ES256), _) => Algorithm::ES256,
        (Some(_), _) => return None,
        (None, jsonwebtoken::jwk::AlgorithmParameters::RSA(_)) => Algorithm::RS256,
        (None, jsonwebtoken::jwk::AlgorithmParameters::EllipticCurve(ec))
            if ec.curve == jsonwebtoken::jwk::EllipticCurve::P256 =>
        {
            Algorithm::ES256
        }
        _ => return None,
    };
    let key = DecodingKey::from_jwk(jwk).ok()?;
    Some(VerifyKey { key, algorithm })
}
