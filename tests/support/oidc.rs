//! A real OpenID provider for the OAuth tests: `tests/oidc/provider.mjs`
//! (node-oidc-provider, from `target/npm`) on a free loopback port, and the
//! two ways an MCP client gets a token from it over real HTTP: client
//! credentials, and authorization code with PKCE (following the provider's
//! redirects and cookies as a browser would, with its test interaction
//! logging the user `alice` in).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::server::{node_modules, workspace_root};

/// The redirect URI of the `ide` client (never served: the code is read
/// from the redirect itself).
pub const REDIRECT_URI: &str = "http://127.0.0.1/callback";

/// A running provider; stopped on drop.
pub struct Provider {
    child: Child,
    /// Its issuer identifier, `http://127.0.0.1:PORT`.
    pub issuer: String,
    /// Client id → secret (none for the public `ide` client).
    pub clients: BTreeMap<String, Option<String>>,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Provider {
    /// Start the provider; panics with the install line when oidc-provider is missing.
    pub fn start() -> Provider {
        let modules = node_modules();
        assert!(
            modules.join("oidc-provider/package.json").exists(),
            "oidc-provider is missing: npm install --no-fund --no-audit --prefix target/npm oidc-provider (tools/test.sh does)"
        );
        let mut child = Command::new("node")
            .arg(workspace_root().join("tests/oidc/provider.mjs"))
            .env("NODE_MODULES", &modules)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node runs the provider");
        let stdout = child.stdout.take().expect("provider stdout");
        let mut first = String::new();
        let mut lines = BufReader::new(stdout);
        lines
            .read_line(&mut first)
            .expect("the provider says where it is");
        // Keep draining its notices so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines.lines() {});
        let ready: Value = serde_json::from_str(&first)
            .unwrap_or_else(|e| panic!("the provider's first line is not JSON ({e}): {first}"));
        let clients = ready["clients"]
            .as_object()
            .expect("clients")
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().map(str::to_string)))
            .collect();
        Provider {
            child,
            issuer: ready["issuer"].as_str().expect("issuer").to_string(),
            clients,
        }
    }

    /// An access token for `resource` by client credentials.
    pub async fn client_credentials(&self, client: &str, scope: &str, resource: &str) -> String {
        let secret = self.clients[client].clone().expect("a confidential client");
        let response = reqwest::Client::new()
            .post(format!("{}/token", self.issuer))
            .basic_auth(client, Some(secret))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&[
                ("grant_type", "client_credentials"),
                ("scope", scope),
                ("resource", resource),
            ]))
            .send()
            .await
            .expect("the token endpoint answers");
        token_of(response).await
    }

    /// An access token for `resource` by authorization code with PKCE, as
    /// the public client `ide` gets it for the user `alice`.
    pub async fn authorization_code(&self, scope: &str, resource: &str) -> String {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let verifier = format!("v-{}-{}", std::process::id(), "k".repeat(48));
        let challenge = base64url(&Sha256::digest(verifier.as_bytes()));
        let mut url = reqwest::Url::parse(&format!("{}/auth", self.issuer)).unwrap();
        url.query_pairs_mut()
            .append_pair("client_id", "ide")
            .append_pair("response_type", "code")
            .append_pair("redirect_uri", REDIRECT_URI)
            .append_pair("scope", scope)
            .append_pair("resource", resource)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256")
            .append_pair("state", "e2e-state");
        let mut cookies: BTreeMap<String, String> = BTreeMap::new();
        let mut next = url.to_string();
        let code = loop {
            if let Some(query) = next.strip_prefix(&format!("{REDIRECT_URI}?")) {
                let pairs: BTreeMap<String, String> =
                    reqwest::Url::parse(&format!("http://x/?{query}"))
                        .unwrap()
                        .query_pairs()
                        .into_owned()
                        .collect();
                assert_eq!(pairs.get("state").map(String::as_str), Some("e2e-state"));
                break pairs
                    .get("code")
                    .cloned()
                    .unwrap_or_else(|| panic!("no code: {next}"));
            }
            let cookie = cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            let response = http
                .get(&next)
                .header("cookie", cookie)
                .send()
                .await
                .expect("the provider answers");
            for set in response.headers().get_all("set-cookie") {
                let pair = set.to_str().unwrap().split(';').next().unwrap_or("");
                if let Some((k, v)) = pair.split_once('=') {
                    cookies.insert(k.trim().to_string(), v.to_string());
                }
            }
            let status = response.status();
            let location = response
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_string());
            let Some(location) = location else {
                panic!(
                    "{next} answered {status} without a redirect: {}",
                    response.text().await.unwrap_or_default()
                );
            };
            next = if location.starts_with('/') {
                format!("{}{location}", self.issuer)
            } else {
                location
            };
        };
        let response = http
            .post(format!("{}/token", self.issuer))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&[
                ("grant_type", "authorization_code"),
                ("client_id", "ide"),
                ("code", &code),
                ("code_verifier", &verifier),
                ("redirect_uri", REDIRECT_URI),
                ("resource", resource),
            ]))
            .send()
            .await
            .expect("the token endpoint answers");
        token_of(response).await
    }

    /// Rotate the signing key: a new key signs from now on (the old stay published).
    pub async fn rotate(&self) -> String {
        let r: Value = reqwest::Client::new()
            .post(format!("{}/test/rotate", self.issuer))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        r["kid"].as_str().unwrap().to_string()
    }

    /// A token for `audience`, from this issuer's name but signed by a key it never published.
    pub async fn forged(&self, audience: &str) -> String {
        let r: Value = reqwest::Client::new()
            .post(format!("{}/test/forge", self.issuer))
            .json(&serde_json::json!({"audience": audience}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        r["token"].as_str().unwrap().to_string()
    }
}

/// A form body (`application/x-www-form-urlencoded`) of `pairs`.
fn form(pairs: &[(&str, &str)]) -> String {
    let mut url = reqwest::Url::parse("http://x/").unwrap();
    url.query_pairs_mut().extend_pairs(pairs);
    url.query().unwrap_or_default().to_string()
}

async fn token_of(response: reqwest::Response) -> String {
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert_eq!(status, 200, "token endpoint: {body}");
    body["access_token"]
        .as_str()
        .expect("access_token")
        .to_string()
}

/// A token's claims, decoded without checking (for assertions).
pub fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap_or("");
    serde_json::from_slice(&unbase64url(payload)).unwrap_or(Value::Null)
}

/// The token's header.
pub fn header(token: &str) -> Value {
    let part = token.split('.').next().unwrap_or("");
    serde_json::from_slice(&unbase64url(part)).unwrap_or(Value::Null)
}

const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn base64url(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (*b as u32) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

fn unbase64url(text: &str) -> Vec<u8> {
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.bytes() {
        let Some(v) = ALPHABET.iter().position(|a| *a == c) else {
            continue;
        };
        bits = bits << 6 | v as u32;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    out
}
