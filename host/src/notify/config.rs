//! Where notifications go: one receiver from the environment
//! (`APPROVAL_WEBHOOK_URL`, `APPROVAL_WEBHOOK_FORMAT`,
//! `APPROVAL_WEBHOOK_SECRET_PATH`) and any number from the policy file's
//! `[[notify]]` list, checked at start so that a typo stops the server with
//! a message naming the setting, instead of notifications that never arrive.
//!
//! A webhook URL is a secret for Slack and Teams (the token is its path), so
//! no message here or in the logs ever shows more than its scheme and host:
//! its [`endpoint`](Receiver::endpoint).

use std::fmt;
use std::path::Path;

use reqwest::Url;

use crate::approval::policy::{NotifyEntry, Policy};
use crate::config::{Cli, Secret};

/// The environment variable naming the one receiver configured without a policy file.
pub const URL_ENV: &str = "APPROVAL_WEBHOOK_URL";
/// The environment variable naming that receiver's format.
pub const FORMAT_ENV: &str = "APPROVAL_WEBHOOK_FORMAT";
/// The environment variable naming the file with that receiver's HMAC key.
pub const SECRET_ENV: &str = "APPROVAL_WEBHOOK_SECRET_PATH";
/// The environment variable with the admin API's address as operators reach it.
pub const PUBLIC_ADMIN_URL_ENV: &str = "PUBLIC_ADMIN_URL";

/// What a receiver understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The generic JSON event, signed with HMAC-SHA256; for receivers that
    /// act on it (a ticketing bridge, an on-call pager, a script).
    Json,
    /// A Slack incoming webhook: Block Kit blocks and a text fallback.
    Slack,
    /// A Microsoft Teams incoming webhook or workflow: an Adaptive Card.
    Teams,
}

impl Format {
    /// Every format's name, for messages that list what is valid.
    pub const NAMES: &'static str = "json, slack or teams";

    /// The format named `name` (any case), or `None`.
    pub fn parse(name: &str) -> Option<Format> {
        match name.trim().to_ascii_lowercase().as_str() {
            "json" => Some(Format::Json),
            "slack" => Some(Format::Slack),
            "teams" => Some(Format::Teams),
            _ => None,
        }
    }

    /// The name, as in configuration and metric labels.
    pub fn label(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Slack => "slack",
            Format::Teams => "teams",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One checked receiver. `Debug` shows only the endpoint: the URL and the
/// key are secrets.
#[derive(Clone)]
pub struct Receiver {
    url: Url,
    /// What it understands.
    pub format: Format,
    /// The HMAC key; always there for `json`, optional for the others (then
    /// their requests are signed too).
    pub secret: Option<Secret>,
    /// Where it was configured (`APPROVAL_WEBHOOK_URL`, or the policy file's
    /// entry and line), for messages.
    pub origin: String,
}

impl fmt::Debug for Receiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("endpoint", &self.endpoint())
            .field("format", &self.format)
            .field("signed", &self.secret.is_some())
            .field("origin", &self.origin)
            .finish()
    }
}

impl Receiver {
    /// The URL to POST to: for the one place that sends.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// `scheme://host[:port]`: what logs, errors and metrics may show of
    /// the URL (its path and query may hold a token).
    pub fn endpoint(&self) -> String {
        endpoint(&self.url)
    }
}

/// The shareable part of a URL: scheme, host and an explicit port.
pub fn endpoint(url: &Url) -> String {
    let host = url.host_str().unwrap_or("");
    match url.port() {
        Some(port) => format!("{}://{host}:{port}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    }
}

/// The checked configuration: the receivers and where links point.
#[derive(Debug, Clone, Default)]
pub struct NotifyConfig {
    /// Every receiver, the environment's first, then the policy file's in order.
    pub receivers: Vec<Receiver>,
    /// `PUBLIC_ADMIN_URL`, without a trailing slash, when set.
    pub public_admin_url: Option<String>,
}

/// A setting that cannot be used: what is wrong and what would be valid.
/// It never holds a webhook URL's path or a key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("approval notifications: {0}")]
pub struct NotifyConfigError(String);

impl NotifyConfig {
    /// Read and check the receivers from `cli` (the environment) and
    /// `policy` (its `[[notify]]` list). Every problem is an error: an
    /// unknown format, a URL that is not http(s), a `json` receiver without
    /// a key, a key file that cannot be read, a format or key without a URL.
    pub fn load(cli: &Cli, policy: &Policy) -> Result<NotifyConfig, NotifyConfigError> {
        let mut receivers = Vec::new();
        match &cli.approval_webhook_url {
            Some(url) => receivers.push(receiver(
                URL_ENV.to_string(),
                url,
                cli.approval_webhook_format.as_deref(),
                FORMAT_ENV,
                cli.approval_webhook_secret_path.as_deref(),
                SECRET_ENV,
            )?),
            None => {
                for (set, name) in [
                    (cli.approval_webhook_format.is_some(), FORMAT_ENV),
                    (cli.approval_webhook_secret_path.is_some(), SECRET_ENV),
                ] {
                    if set {
                        return Err(NotifyConfigError(format!(
                            "{name} is set but {URL_ENV} is not; set {URL_ENV} to the receiver's http:// or https:// URL, or unset {name}"
                        )));
                    }
                }
            }
        }
        let folder = policy.origin().and_then(Path::parent);
        let file = policy
            .origin()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "the approval policy".into());
        for (n, entry) in policy.notify().iter().enumerate() {
            receivers.push(policy_receiver(entry, n + 1, &file, folder)?);
        }
        let public_admin_url = match cli.public_admin_url.as_deref() {
            Some(text) => {
                let url = http_url(text).map_err(|problem| {
                    NotifyConfigError(format!("{PUBLIC_ADMIN_URL_ENV}: {problem}"))
                })?;
                Some(url.as_str().trim_end_matches('/').to_string())
            }
            None => None,
        };
        Ok(NotifyConfig {
            receivers,
            public_admin_url,
        })
    }
}

fn policy_receiver(
    entry: &NotifyEntry,
    number: usize,
    file: &str,
    folder: Option<&Path>,
) -> Result<Receiver, NotifyConfigError> {
    let origin = format!("{file}, [[notify]] entry {number} (line {})", entry.line);
    let secret_path = entry.secret_path.as_ref().map(|p| match folder {
        Some(folder) if p.is_relative() => folder.join(p),
        _ => p.clone(),
    });
    receiver(
        origin.clone(),
        &entry.url,
        entry.format.as_deref(),
        &format!("{origin}: format"),
        secret_path.as_deref(),
        &format!("{origin}: secret_path"),
    )
}

fn receiver(
    origin: String,
    url: &str,
    format: Option<&str>,
    format_setting: &str,
    secret_path: Option<&Path>,
    secret_setting: &str,
) -> Result<Receiver, NotifyConfigError> {
    let url = http_url(url).map_err(|problem| NotifyConfigError(format!("{origin}: {problem}")))?;
    let format = match format {
        None => Format::Json,
        Some(name) => Format::parse(name).ok_or_else(|| {
            NotifyConfigError(format!(
                "{format_setting} {:?} is not a notification format; valid formats are {}",
                vmware_vocabulary::quote::cut(name, 40),
                Format::NAMES
            ))
        })?,
    };
    let secret = secret_path
        .map(|path| {
            Secret::from_file(secret_setting, path).map_err(|e| NotifyConfigError(e.to_string()))
        })
        .transpose()?;
    if format == Format::Json && secret.is_none() {
        let hint = if origin == URL_ENV {
            format!("set {SECRET_ENV} to a file holding the key")
        } else {
            "add secret_path = \"<file holding the key>\" to the entry".into()
        };
        return Err(NotifyConfigError(format!(
            "{origin}: the json format is signed with HMAC-SHA256, so it needs a key: {hint} (receivers check the X-Vmware-Mcp-Signature header with it), or choose format slack or teams"
        )));
    }
    Ok(Receiver {
        url,
        format,
        secret,
        origin,
    })
}

/// `text` as an absolute http(s) URL with a host; the problem otherwise,
/// which never repeats the URL (its path may be a token).
fn http_url(text: &str) -> Result<Url, String> {
    let url = Url::parse(text.trim())
        .map_err(|e| format!("not a valid URL ({e}); give an absolute http:// or https:// URL"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "the scheme {:?} is not supported; give an http:// or https:// URL",
            url.scheme()
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("the URL has no host; give an http:// or https:// URL with a host".into());
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use std::path::PathBuf;

    /// A `[[notify]]` entry at line 4.
    fn entry(url: &str, format: Option<&str>, secret_path: Option<PathBuf>) -> NotifyEntry {
        NotifyEntry {
            url: url.into(),
            format: format.map(str::to_string),
            secret_path,
            line: 4,
        }
    }

    fn cli(env: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("vmware-mcp").chain(env.iter().copied())).unwrap()
    }

    fn key_file(name: &str, content: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("vmware-mcp-notify-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, content).unwrap();
        path
    }

    fn load(args: &[&str], policy: &str) -> Result<NotifyConfig, String> {
        NotifyConfig::load(&cli(args), &Policy::from_toml_str(policy).unwrap())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn nothing_configured_is_no_receiver() {
        let config = load(&[], "").unwrap();
        assert!(config.receivers.is_empty() && config.public_admin_url.is_none());
    }

    #[test]
    fn the_environment_gives_one_receiver_json_by_default() {
        let key = key_file("k1", "s3cret\n");
        let config = load(
            &[
                "--approval-webhook-url",
                "https://hooks.example.com:8443/in/T0K3N",
                "--approval-webhook-secret-path",
                key.to_str().unwrap(),
                "--public-admin-url",
                "https://ops.example.com/vmware/",
            ],
            "",
        )
        .unwrap();
        let r = &config.receivers[0];
        assert_eq!(r.format, Format::Json);
        assert_eq!(r.secret.as_ref().unwrap().expose(), "s3cret");
        assert_eq!(r.endpoint(), "https://hooks.example.com:8443");
        assert!(!format!("{r:?}").contains("T0K3N"), "{r:?}");
        assert_eq!(
            config.public_admin_url.as_deref(),
            Some("https://ops.example.com/vmware")
        );
    }

    #[test]
    fn bad_settings_say_what_is_wrong_and_what_is_valid() {
        let slack = ["--approval-webhook-format", "slack"];
        let e = load(&["--approval-webhook-url", "ftp://h/x/T0K3N"], "").unwrap_err();
        assert!(
            e.contains("APPROVAL_WEBHOOK_URL") && e.contains("\"ftp\"") && e.contains("https://"),
            "{e}"
        );
        assert!(!e.contains("T0K3N"), "{e}");
        let e = load(&["--approval-webhook-url", "hooks/T0K3N"], "").unwrap_err();
        assert!(e.contains("not a valid URL") && !e.contains("T0K3N"), "{e}");
        let e = load(
            &[
                "--approval-webhook-url",
                "https://h/x",
                "--approval-webhook-format",
                "xml",
            ],
            "",
        )
        .unwrap_err();
        assert!(
            e.contains("APPROVAL_WEBHOOK_FORMAT") && e.contains("json, slack or teams"),
            "{e}"
        );
        let e = load(&["--approval-webhook-url", "https://h/x"], "").unwrap_err();
        assert!(
            e.contains("APPROVAL_WEBHOOK_SECRET_PATH") && e.contains("HMAC"),
            "{e}"
        );
        let e = load(
            &[
                "--approval-webhook-url",
                "https://h/x",
                "--approval-webhook-secret-path",
                "/nonexistent/key",
            ],
            "",
        )
        .unwrap_err();
        assert!(
            e.contains("APPROVAL_WEBHOOK_SECRET_PATH=/nonexistent/key")
                && e.contains("cannot read"),
            "{e}"
        );
        let e = load(&slack, "").unwrap_err();
        assert!(e.contains("APPROVAL_WEBHOOK_URL is not"), "{e}");
        let e = load(&["--public-admin-url", "admin.example.com"], "").unwrap_err();
        assert!(e.contains("PUBLIC_ADMIN_URL"), "{e}");
        // Slack and Teams need no key.
        let mut args = vec!["--approval-webhook-url", "https://hooks.slack.com/s/T0K3N"];
        args.extend(slack);
        assert_eq!(load(&args, "").unwrap().receivers[0].format, Format::Slack);
    }

    #[test]
    fn policy_entries_name_their_line_and_resolve_keys_beside_the_file() {
        let key = key_file("k2", "k");
        let folder = key.parent().unwrap();
        let ok = policy_receiver(
            &entry("https://a.example/x", None, Some(PathBuf::from("k2"))),
            1,
            "policy.toml",
            Some(folder),
        )
        .unwrap();
        assert_eq!(ok.secret.unwrap().expose(), "k");
        let e = policy_receiver(
            &entry("https://a.example/x", Some("TEAMS "), None),
            2,
            "policy.toml",
            Some(folder),
        )
        .unwrap();
        assert_eq!(e.format, Format::Teams);
        let e = policy_receiver(
            &entry("https://a.example/x", None, None),
            3,
            "policy.toml",
            None,
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("policy.toml, [[notify]] entry 3 (line 4)") && e.contains("secret_path"),
            "{e}"
        );
        let e = policy_receiver(
            &entry("https://a.example/x", Some("email"), None),
            1,
            "policy.toml",
            None,
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("entry 1 (line 4): format \"email\"") && e.contains("json, slack or teams"),
            "{e}"
        );
        let both = load(
            &[],
            "[[notify]]\nurl = \"https://a.example/1\"\nformat = \"slack\"\n[[notify]]\nurl = \"https://b.example/2\"\nformat = \"teams\"\n",
        )
        .unwrap();
        assert_eq!(both.receivers.len(), 2);
        assert_eq!(both.receivers[1].endpoint(), "https://b.example");
    }
}
