//! The approval policy: which tool calls may change state without asking a
//! person, which are refused outright, and which need an operator.
//!
//! The policy is a TOML file whose path is in [`POLICY_PATH_ENV`]:
//!
//! ```toml
//! default = "ask"      # "ask" | "allow" | "deny"; "ask" when omitted
//! read_only = false    # true refuses every state change outright
//! require_distinct_approver = false  # true: nobody approves their own request
//!
//! [[rules]]
//! tools = ["infra.vmware.vms.powerOnVm"]   # globs on full MCP tool names
//! targets = ["dev-*"]                      # optional globs on target names
//! decision = "allow"
//! # optional: the rule applies only inside one of these windows (UTC)
//! windows = [{ days = ["sat", "sun"], start = "22:00", end = "04:00" }]
//! ```
//!
//! # Semantics
//!
//! 1. `read_only = true` denies every state change; rules are not consulted.
//! 2. Otherwise rules are checked in file order and the **first** matching
//!    rule decides. A rule matches when
//!    - one of its `tools` globs matches the full tool name, and
//!    - if it has `targets`: there is at least one target and **every**
//!      target name matches one of the `targets` globs (an action touching
//!      `dev-1` and `prod-1` does not match `targets = ["dev-*"]`), and
//!    - if it has `windows`: the current time is inside one of them.
//! 3. When no rule matches, `default` decides.
//!
//! Target names are the names the host read from vSphere, never names a
//! plugin supplied. Globs are case-sensitive; `*` matches any run of
//! characters (including `.` and `/`), `?` one character, `[abc]` a class and
//! `{a,b}` alternatives.
//!
//! A window is `{ days, start, end, tz }`: `start` and `end` are `HH:MM`,
//! `days` (optional, default every day) lists the days (`mon` … `sun`) on
//! which the window **starts**, and `tz` (optional) must be `"UTC"`. A window
//! whose `end` is not after its `start` runs past midnight into the next day,
//! so `days = ["sat"], start = "22:00", end = "04:00"` is Saturday 22:00 to
//! Sunday 04:00. `start` is inside the window, `end` is not.
//!
//! The file may also list where operators are told about approvals, one
//! `[[notify]]` entry per receiver (checked and used by [`crate::notify`]):
//!
//! ```toml
//! [[notify]]
//! url = "https://hooks.slack.com/services/T000/B000/XXXX"
//! format = "slack"                      # "json" (default) | "slack" | "teams"
//! # secret_path = "/run/secrets/hook"   # HMAC key file; required for "json"
//! ```
//!
//! An absent policy (no path configured) means `default = "ask"` with no
//! rules. A configured path that cannot be read, or a file that is not valid,
//! is an error naming the file and line, so a typo never silently loosens or
//! tightens the policy.

use std::fmt;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Deserializer};
use time::{OffsetDateTime, UtcOffset, Weekday};

/// The environment variable holding the policy file's path; the server reads
/// it at start so deployments can keep the policy beside their other config.
pub const POLICY_PATH_ENV: &str = "APPROVAL_POLICY_PATH";

/// What the policy says about a state change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// An operator must approve; the safe default when nothing is configured.
    #[default]
    Ask,
    /// Approved by policy, no person involved.
    Allow,
    /// Refused by policy.
    Deny,
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Decision::Ask => "ask",
            Decision::Allow => "allow",
            Decision::Deny => "deny",
        })
    }
}

/// Which part of the policy produced a decision, so that logs and the audit
/// trail can say why an action was allowed or refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchedBy {
    /// `read_only = true` refused the change.
    ReadOnly,
    /// A `[[rules]]` entry matched.
    Rule {
        /// The rule's position, counting from 1 in file order as a person
        /// reading the file would.
        number: usize,
        /// The line the rule starts on, when the policy came from text.
        line: Option<usize>,
    },
    /// No rule matched; the `default` decided.
    Default,
}

impl fmt::Display for MatchedBy {
    /// `read_only`, `rule N` or `default`, as used in `decided_by` values.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MatchedBy::ReadOnly => f.write_str("read_only"),
            MatchedBy::Rule { number, .. } => write!(f, "rule {number}"),
            MatchedBy::Default => f.write_str("default"),
        }
    }
}

/// A decision and what made it, returned together so that the caller can
/// both act on the decision and record its reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicyOutcome {
    /// What to do.
    pub decision: Decision,
    /// Why.
    pub matched: MatchedBy,
}

/// Why a policy could not be loaded; the message names the file, the line and
/// what would have been valid, so an operator can fix it without guessing.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The configured file could not be read (missing, permissions…).
    #[error("cannot read approval policy {}: {source}", path.display())]
    Read {
        /// The configured path.
        path: PathBuf,
        /// The I/O failure.
        #[source]
        source: std::io::Error,
    },
    /// The text is not a valid policy.
    #[error("invalid approval policy {origin}{}: {message}", line.map(|l| format!(", line {l}")).unwrap_or_default())]
    Invalid {
        /// The file's path, or `<text>` for a policy given as a string.
        origin: String,
        /// The 1-based line of the problem, when known.
        line: Option<usize>,
        /// What is wrong and what is valid.
        message: String,
    },
}

/// A loaded approval policy. See the module documentation for its semantics.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    default: Decision,
    read_only: bool,
    distinct_approver: bool,
    rules: Vec<Rule>,
    notify: Vec<NotifyEntry>,
    origin: Option<PathBuf>,
}

/// One `[[notify]]` entry as written: a receiver of approval notifications.
/// Only its shape is checked here; [`crate::notify`] checks the URL, the
/// format and the secret file at start, naming the entry's line.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyEntry {
    /// Where to POST.
    pub url: String,
    /// `json`, `slack` or `teams`; `json` when omitted.
    #[serde(default)]
    pub format: Option<String>,
    /// The file holding the HMAC key, as written (a relative path is
    /// relative to the policy file's folder).
    #[serde(default)]
    pub secret_path: Option<PathBuf>,
    /// The line the entry starts on.
    #[serde(skip)]
    pub line: usize,
}

impl Policy {
    /// Load the policy at `path`, or the built-in default (`ask`, no rules)
    /// when no path is configured. A configured path that cannot be read is
    /// an error rather than a silent fallback.
    pub fn load(path: Option<&Path>) -> Result<Policy, PolicyError> {
        let Some(path) = path else {
            return Ok(Policy::default());
        };
        let text = std::fs::read_to_string(path).map_err(|source| PolicyError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut policy = Policy::parse(&text, &path.display().to_string())?;
        policy.origin = Some(path.to_path_buf());
        Ok(policy)
    }

    /// Parse a policy from TOML text, for tests and for policies embedded in
    /// other configuration.
    pub fn from_toml_str(text: &str) -> Result<Policy, PolicyError> {
        Policy::parse(text, "<text>")
    }

    /// The decision when no rule matches.
    pub fn default_decision(&self) -> Decision {
        self.default
    }

    /// Whether every state change is refused, for start-up logs.
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// Whether an operator may not approve a request they made themselves
    /// (`require_distinct_approver`, compared by identity: the requester's
    /// token subject, name or label against the approver's name or label).
    pub fn require_distinct_approver(&self) -> bool {
        self.distinct_approver
    }

    /// How many rules the policy has, for start-up logs.
    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    /// The `[[notify]]` entries, in file order, for the notifications setup.
    pub fn notify(&self) -> &[NotifyEntry] {
        &self.notify
    }

    /// The file the policy was loaded from, when it came from one: errors
    /// about its entries name it, and relative paths in it start from its folder.
    pub fn origin(&self) -> Option<&Path> {
        self.origin.as_deref()
    }

    /// Decide on a state change by `tool` on objects named `target_names` at
    /// `now`, following the semantics in the module documentation.
    pub fn decide(
        &self,
        tool: &str,
        target_names: &[String],
        now: OffsetDateTime,
    ) -> PolicyOutcome {
        if self.read_only {
            return PolicyOutcome {
                decision: Decision::Deny,
                matched: MatchedBy::ReadOnly,
            };
        }
        for (i, rule) in self.rules.iter().enumerate() {
            if rule.matches(tool, target_names, now) {
                return PolicyOutcome {
                    decision: rule.decision,
                    matched: MatchedBy::Rule {
                        number: i + 1,
                        line: rule.line,
                    },
                };
            }
        }
        PolicyOutcome {
            decision: self.default,
            matched: MatchedBy::Default,
        }
    }

    fn parse(text: &str, origin: &str) -> Result<Policy, PolicyError> {
        let file: PolicyFile = toml::from_str(text).map_err(|e| PolicyError::Invalid {
            origin: origin.to_string(),
            line: e.span().map(|span| line_of(text, span.start)),
            message: e.message().trim().replace('\n', "; "),
        })?;
        let rules = file
            .rules
            .into_iter()
            .map(|spanned| {
                let line = line_of(text, spanned.span().start);
                let raw = spanned.into_inner();
                Rule {
                    tools: raw.tools,
                    targets: raw.targets,
                    decision: raw.decision,
                    windows: raw.windows.map(|w| w.0),
                    line: Some(line),
                }
            })
            .collect();
        let notify = file
            .notify
            .into_iter()
            .map(|spanned| {
                let line = line_of(text, spanned.span().start);
                NotifyEntry {
                    line,
                    ..spanned.into_inner()
                }
            })
            .collect();
        Ok(Policy {
            default: file.default,
            read_only: file.read_only,
            distinct_approver: file.require_distinct_approver,
            rules,
            notify,
            origin: None,
        })
    }
}

/// The 1-based line holding byte `offset` of `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text.bytes().take(offset).filter(|b| *b == b'\n').count() + 1
}

/// The file as written; validated while deserializing so that every error
/// carries the span of the value at fault.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    #[serde(default)]
    default: Decision,
    #[serde(default)]
    read_only: bool,
    #[serde(default)]
    require_distinct_approver: bool,
    #[serde(default)]
    rules: Vec<toml::Spanned<RuleFile>>,
    #[serde(default)]
    notify: Vec<toml::Spanned<NotifyEntry>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    tools: GlobList,
    #[serde(default)]
    targets: Option<GlobList>,
    decision: Decision,
    #[serde(default)]
    windows: Option<Windows>,
}

/// One `[[rules]]` entry, validated.
#[derive(Debug, Clone)]
struct Rule {
    tools: GlobList,
    targets: Option<GlobList>,
    decision: Decision,
    windows: Option<Vec<Window>>,
    line: Option<usize>,
}

impl Rule {
    fn matches(&self, tool: &str, target_names: &[String], now: OffsetDateTime) -> bool {
        if !self.tools.is_match(tool) {
            return false;
        }
        if let Some(targets) = &self.targets {
            // A rule about targets says nothing about an action with none.
            if target_names.is_empty() || !target_names.iter().all(|name| targets.is_match(name)) {
                return false;
            }
        }
        match &self.windows {
            Some(windows) => windows.iter().any(|w| w.contains(now)),
            None => true,
        }
    }
}

/// A non-empty list of globs compiled into one matcher.
#[derive(Debug, Clone)]
struct GlobList {
    set: GlobSet,
}

impl GlobList {
    fn is_match(&self, s: &str) -> bool {
        self.set.is_match(s)
    }
}

impl<'de> Deserialize<'de> for GlobList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let patterns = Vec::<String>::deserialize(deserializer)?;
        if patterns.is_empty() {
            return Err(D::Error::custom(
                "the list of globs is empty; list at least one glob, e.g. \"*\" for any",
            ));
        }
        let mut builder = GlobSetBuilder::new();
        for pattern in &patterns {
            let glob = Glob::new(pattern).map_err(|e| {
                D::Error::custom(format!(
                    "invalid glob {:?}: {}; globs use * (any run), ? (one character), [abc] (a class) and {{a,b}} (alternatives)",
                    super::text::clip(pattern),
                    e.kind()
                ))
            })?;
            builder.add(glob);
        }
        let set = builder
            .build()
            .map_err(|e| D::Error::custom(format!("invalid globs: {e}")))?;
        Ok(GlobList { set })
    }
}

/// A non-empty list of windows (an empty list would never match, which is
/// more likely a mistake than an intent).
struct Windows(Vec<Window>);

impl<'de> Deserialize<'de> for Windows {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let windows = Vec::<Window>::deserialize(deserializer)?;
        if windows.is_empty() {
            return Err(D::Error::custom(
                "windows is empty; omit it to apply the rule at any time, or list at least one window",
            ));
        }
        Ok(Windows(windows))
    }
}

/// A weekly time window in UTC; see the module documentation.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "WindowFile")]
struct Window {
    /// Days the window starts on, indexed from Monday.
    days: [bool; 7],
    /// Minutes after midnight.
    start: u16,
    /// Minutes after midnight; not after `start` means the next day.
    end: u16,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WindowFile {
    #[serde(default)]
    days: Option<Vec<String>>,
    start: String,
    end: String,
    #[serde(default)]
    tz: Option<String>,
}

impl TryFrom<WindowFile> for Window {
    type Error = String;

    fn try_from(raw: WindowFile) -> Result<Self, String> {
        if let Some(tz) = raw
            .tz
            .as_deref()
            .filter(|tz| !tz.eq_ignore_ascii_case("UTC"))
        {
            return Err(format!(
                "unsupported tz {:?}; only \"UTC\" is supported, so write the window's times in UTC",
                super::text::clip(tz)
            ));
        }
        let days = match raw.days {
            None => [true; 7],
            Some(list) if list.is_empty() => return Err("days is empty; omit it for every day, or list some of mon, tue, wed, thu, fri, sat, sun".to_string()),
            Some(list) => {
                let mut days = [false; 7];
                for day in &list {
                    if let Some(slot) = days.get_mut(parse_day(day)?) {
                        *slot = true;
                    }
                }
                days
            }
        };
        let start = parse_time(&raw.start)?;
        let end = parse_time(&raw.end)?;
        if start == end {
            return Err(format!(
                "start and end are both {}; a window must not be empty (use 00:00 to 23:59, or omit windows, for all day)",
                raw.start
            ));
        }
        Ok(Window { days, start, end })
    }
}

impl Window {
    /// Whether the window starts on day `index` (0 = Monday).
    fn starts_on(&self, index: usize) -> bool {
        self.days.get(index).copied().unwrap_or(false)
    }

    fn contains(&self, now: OffsetDateTime) -> bool {
        let now = now.to_offset(UtcOffset::UTC);
        let minute = u16::from(now.hour()) * 60 + u16::from(now.minute());
        let today = day_index(now.weekday());
        if self.start < self.end {
            self.starts_on(today) && self.start <= minute && minute < self.end
        } else {
            // Runs past midnight: the evening part belongs to today's start,
            // the early-morning part to yesterday's.
            let yesterday = (today + 6) % 7;
            (self.starts_on(today) && minute >= self.start)
                || (self.starts_on(yesterday) && minute < self.end)
        }
    }
}

fn day_index(day: Weekday) -> usize {
    usize::from(day.number_days_from_monday())
}

const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

fn parse_day(day: &str) -> Result<usize, String> {
    let lower = day.to_ascii_lowercase();
    DAY_NAMES.iter().position(|d| *d == lower).ok_or_else(|| {
        format!(
            "unknown day {:?}; valid days are {}",
            super::text::clip(day),
            DAY_NAMES.join(", ")
        )
    })
}

/// `HH:MM` (or `H:MM`) to minutes after midnight.
fn parse_time(s: &str) -> Result<u16, String> {
    let bad = || {
        format!(
            "invalid time {:?}; use HH:MM from 00:00 to 23:59 (UTC)",
            super::text::clip(s)
        )
    };
    let (h, m) = s.split_once(':').ok_or_else(bad)?;
    let digits = |part: &str, max_len: usize| {
        !part.is_empty() && part.len() <= max_len && part.bytes().all(|b| b.is_ascii_digit())
    };
    if !digits(h, 2) || !digits(m, 2) || m.len() != 2 {
        return Err(bad());
    }
    let hour: u16 = h.parse().map_err(|_| bad())?;
    let minute: u16 = m.parse().map_err(|_| bad())?;
    if hour > 23 || minute > 59 {
        return Err(bad());
    }
    Ok(hour * 60 + minute)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    const NOW: OffsetDateTime = datetime!(2025-06-04 12:00 UTC); // a Wednesday

    fn invalid(text: &str) -> (Option<usize>, String) {
        match Policy::from_toml_str(text) {
            Err(PolicyError::Invalid { line, message, .. }) => (line, message),
            other => panic!("expected an invalid policy, got {other:?}"),
        }
    }

    #[test]
    fn absent_path_is_ask_with_no_rules() {
        let p = Policy::load(None).unwrap();
        assert_eq!(p.default_decision(), Decision::Ask);
        assert!(!p.is_read_only());
        assert_eq!(p.rule_count(), 0);
        assert_eq!(
            p.decide("infra.vmware.vms.powerOnVm", &names(&["dev-1"]), NOW),
            PolicyOutcome {
                decision: Decision::Ask,
                matched: MatchedBy::Default
            }
        );
    }

    #[test]
    fn empty_text_is_the_default_policy() {
        let p = Policy::from_toml_str("").unwrap();
        assert_eq!(p.default_decision(), Decision::Ask);
        assert_eq!(p.rule_count(), 0);
    }

    #[test]
    fn parses_a_full_policy() {
        let p = Policy::from_toml_str(
            r#"
default = "deny"
read_only = false

[[rules]]
tools = ["infra.vmware.vms.powerOnVm"]
targets = ["dev-*"]
decision = "allow"

[[rules]]
tools = ["infra.vmware.*"]
decision = "ask"
windows = [{ days = ["sat", "sun"], start = "22:00", end = "04:00", tz = "UTC" }]
"#,
        )
        .unwrap();
        assert_eq!(p.default_decision(), Decision::Deny);
        assert_eq!(p.rule_count(), 2);
        let out = p.decide("infra.vmware.vms.powerOnVm", &names(&["dev-1"]), NOW);
        assert_eq!(
            out,
            PolicyOutcome {
                decision: Decision::Allow,
                matched: MatchedBy::Rule {
                    number: 1,
                    line: Some(5)
                }
            }
        );
        assert_eq!(out.matched.to_string(), "rule 1");
    }

    #[test]
    fn missing_file_is_an_error_naming_it() {
        let err = Policy::load(Some(Path::new("/nonexistent/approval-policy.toml"))).unwrap_err();
        assert!(matches!(err, PolicyError::Read { .. }));
        assert!(
            err.to_string()
                .contains("/nonexistent/approval-policy.toml"),
            "{err}"
        );
    }

    #[test]
    fn loads_from_a_file_and_names_it_in_errors() {
        let dir = std::env::temp_dir().join(format!("vmware-mcp-policy-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good.toml");
        std::fs::write(&good, "default = \"allow\"\n").unwrap();
        assert_eq!(
            Policy::load(Some(&good)).unwrap().default_decision(),
            Decision::Allow
        );
        let bad = dir.join("bad.toml");
        std::fs::write(&bad, "default = \"allow\"\nreadonly = true\n").unwrap();
        let err = Policy::load(Some(&bad)).unwrap_err().to_string();
        assert!(err.contains("bad.toml") && err.contains("line 2"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn unknown_top_level_key_names_line_and_valid_keys() {
        let (line, msg) = invalid("default = \"ask\"\n\nreadonly = true\n");
        assert_eq!(line, Some(3));
        assert!(
            msg.contains("readonly") && msg.contains("read_only") && msg.contains("rules"),
            "{msg}"
        );
    }

    #[test]
    fn notify_entries_are_kept_with_their_lines() {
        let p = Policy::from_toml_str(
            "default = \"ask\"\n\n[[notify]]\nurl = \"https://a.example/h\"\nsecret_path = \"k\"\n\n[[notify]]\nurl = \"https://b.example/h\"\nformat = \"slack\"\n",
        )
        .unwrap();
        let n = p.notify();
        assert_eq!(n.len(), 2);
        assert_eq!((n[0].line, n[0].format.as_deref()), (3, None));
        assert_eq!(n[0].secret_path.as_deref(), Some(Path::new("k")));
        assert_eq!((n[1].line, n[1].format.as_deref()), (7, Some("slack")));
        let (line, msg) = invalid("[[notify]]\nurl = \"https://a.example\"\nsecret = \"x\"\n");
        assert_eq!(line, Some(3));
        assert!(msg.contains("secret_path"), "{msg}");
    }

    #[test]
    fn unknown_rule_key_is_rejected() {
        let (line, msg) =
            invalid("[[rules]]\ntools = [\"*\"]\ndecision = \"allow\"\ntarget = [\"dev-*\"]\n");
        assert_eq!(line, Some(4));
        assert!(msg.contains("target") && msg.contains("targets"), "{msg}");
    }

    #[test]
    fn bad_decision_lists_valid_ones() {
        let (line, msg) = invalid("[[rules]]\ntools = [\"*\"]\n\ndecision = \"maybe\"\n");
        assert_eq!(line, Some(4));
        assert!(
            msg.contains("maybe")
                && msg.contains("ask")
                && msg.contains("allow")
                && msg.contains("deny"),
            "{msg}"
        );
        let (line, _) = invalid("default = \"yes\"\n");
        assert_eq!(line, Some(1));
    }

    #[test]
    fn bad_glob_is_named() {
        let (line, msg) = invalid(
            "[[rules]]\ndecision = \"allow\"\ntools = [\"*\"]\ntargets = [\"ok\", \"dev-[\"]\n",
        );
        assert_eq!(line, Some(4));
        assert!(msg.contains("\"dev-[\""), "{msg}");
    }

    #[test]
    fn empty_glob_lists_are_rejected() {
        let (line, msg) = invalid("[[rules]]\ntools = []\ndecision = \"allow\"\n");
        assert_eq!(line, Some(2));
        assert!(msg.contains("empty"), "{msg}");
        let (line, _) = invalid("[[rules]]\ntools = [\"*\"]\ntargets = []\ndecision = \"allow\"\n");
        assert_eq!(line, Some(3));
    }

    #[test]
    fn missing_required_rule_field_is_reported() {
        let (line, msg) = invalid("default = \"ask\"\n[[rules]]\ntools = [\"*\"]\n");
        assert!(line.is_some_and(|l| (2..=3).contains(&l)), "{line:?}");
        assert!(msg.contains("decision"), "{msg}");
    }

    #[test]
    fn syntax_error_has_a_line() {
        let (line, _) = invalid("default = \"ask\"\nread_only = \n");
        assert_eq!(line, Some(2));
    }

    #[test]
    fn bad_windows_are_reported_with_lines() {
        let rule = "[[rules]]\ntools = [\"*\"]\ndecision = \"allow\"\n";
        for (window, needle) in [
            (
                "{ days = [\"caturday\"], start = \"22:00\", end = \"04:00\" }",
                "mon, tue",
            ),
            ("{ start = \"25:00\", end = \"04:00\" }", "HH:MM"),
            ("{ start = \"2200\", end = \"04:00\" }", "HH:MM"),
            (
                "{ start = \"22:00\", end = \"04:00\", tz = \"Europe/Paris\" }",
                "UTC",
            ),
            ("{ start = \"22:00\", end = \"22:00\" }", "empty"),
            (
                "{ days = [], start = \"22:00\", end = \"23:00\" }",
                "days is empty",
            ),
            (
                "{ start = \"22:00\", end = \"23:00\", zone = \"UTC\" }",
                "zone",
            ),
        ] {
            let (line, msg) = invalid(&format!("{rule}windows = [{window}]\n"));
            assert_eq!(line, Some(4), "{window}: {msg}");
            assert!(msg.contains(needle), "{window}: {msg}");
        }
        let (line, msg) = invalid(&format!("{rule}windows = []\n"));
        assert_eq!(line, Some(4));
        assert!(msg.contains("windows is empty"), "{msg}");
    }

    #[test]
    fn error_display_names_origin_and_line() {
        let err = Policy::from_toml_str("\ndefault = \"sometimes\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("invalid approval policy <text>, line 2: "),
            "{err}"
        );
    }

    #[test]
    fn read_only_denies_everything() {
        let p = Policy::from_toml_str(
            "read_only = true\n[[rules]]\ntools = [\"*\"]\ndecision = \"allow\"\n",
        )
        .unwrap();
        let out = p.decide("infra.vmware.vms.powerOnVm", &names(&["dev-1"]), NOW);
        assert_eq!(
            out,
            PolicyOutcome {
                decision: Decision::Deny,
                matched: MatchedBy::ReadOnly
            }
        );
        assert_eq!(out.matched.to_string(), "read_only");
    }

    #[test]
    fn first_matching_rule_wins() {
        let p = Policy::from_toml_str(
            r#"
[[rules]]
tools = ["infra.vmware.vms.powerOffVm"]
targets = ["prod-*"]
decision = "deny"

[[rules]]
tools = ["infra.vmware.vms.*"]
decision = "allow"

[[rules]]
tools = ["*"]
decision = "deny"
"#,
        )
        .unwrap();
        let off = "infra.vmware.vms.powerOffVm";
        assert_eq!(
            p.decide(off, &names(&["prod-db"]), NOW).matched,
            MatchedBy::Rule {
                number: 1,
                line: Some(2)
            }
        );
        assert_eq!(
            p.decide(off, &names(&["prod-db"]), NOW).decision,
            Decision::Deny
        );
        assert_eq!(
            p.decide(off, &names(&["dev-db"]), NOW).decision,
            Decision::Allow
        );
        assert_eq!(
            p.decide(off, &names(&["dev-db"]), NOW).matched.to_string(),
            "rule 2"
        );
        assert_eq!(
            p.decide("infra.vmware.hosts.reboot", &names(&["esx1"]), NOW)
                .matched
                .to_string(),
            "rule 3"
        );
    }

    #[test]
    fn no_match_falls_to_default() {
        let p = Policy::from_toml_str("default = \"deny\"\n[[rules]]\ntools = [\"infra.vmware.vms.powerOnVm\"]\ndecision = \"allow\"\n").unwrap();
        let out = p.decide("infra.vmware.vms.powerOffVm", &names(&["dev-1"]), NOW);
        assert_eq!(
            out,
            PolicyOutcome {
                decision: Decision::Deny,
                matched: MatchedBy::Default
            }
        );
    }

    #[test]
    fn target_globs_must_match_every_target() {
        let p = Policy::from_toml_str(
            "[[rules]]\ntools = [\"*\"]\ntargets = [\"dev-*\", \"test-?\"]\ndecision = \"allow\"\n",
        )
        .unwrap();
        let tool = "infra.vmware.vms.powerOnVm";
        assert_eq!(
            p.decide(tool, &names(&["dev-1", "test-2"]), NOW).decision,
            Decision::Allow
        );
        assert_eq!(
            p.decide(tool, &names(&["dev-1", "prod-1"]), NOW).decision,
            Decision::Ask
        );
        assert_eq!(
            p.decide(tool, &names(&["test-22"]), NOW).decision,
            Decision::Ask
        );
        // A rule about targets does not match an action without targets.
        assert_eq!(p.decide(tool, &[], NOW).decision, Decision::Ask);
    }

    #[test]
    fn dev_star_matches_prefix_only() {
        let p = Policy::from_toml_str(
            "[[rules]]\ntools = [\"*\"]\ntargets = [\"dev-*\"]\ndecision = \"allow\"\n",
        )
        .unwrap();
        let tool = "infra.vmware.vms.powerOnVm";
        for name in ["dev-", "dev-web-1", "dev-a/b"] {
            assert_eq!(
                p.decide(tool, &names(&[name]), NOW).decision,
                Decision::Allow,
                "{name}"
            );
        }
        for name in ["web-dev-1", "DEV-1", "dev", "xdev-1", ""] {
            assert_eq!(
                p.decide(tool, &names(&[name]), NOW).decision,
                Decision::Ask,
                "{name}"
            );
        }
    }

    #[test]
    fn rule_without_targets_matches_any_targets() {
        let p = Policy::from_toml_str("[[rules]]\ntools = [\"infra.vmware.vms.{powerOnVm,powerOffVm}\"]\ndecision = \"allow\"\n").unwrap();
        assert_eq!(
            p.decide("infra.vmware.vms.powerOffVm", &names(&["anything"]), NOW)
                .decision,
            Decision::Allow
        );
        assert_eq!(
            p.decide("infra.vmware.vms.powerOffVm", &[], NOW).decision,
            Decision::Allow
        );
        assert_eq!(
            p.decide("infra.vmware.vms.resetVm", &names(&["anything"]), NOW)
                .decision,
            Decision::Ask
        );
    }

    #[test]
    fn windows_in_and_out() {
        let p = Policy::from_toml_str(
            "[[rules]]\ntools = [\"*\"]\ndecision = \"allow\"\nwindows = [{ days = [\"sat\", \"Sun\"], start = \"22:00\", end = \"04:00\", tz = \"UTC\" }, { days = [\"wed\"], start = \"9:00\", end = \"10:30\" }]\n",
        )
        .unwrap();
        let t = "infra.vmware.vms.powerOffVm";
        let n = names(&["vm1"]);
        let at = |when: OffsetDateTime| p.decide(t, &n, when).decision;
        // 2025-06-07 is a Saturday.
        assert_eq!(at(datetime!(2025-06-07 22:00 UTC)), Decision::Allow); // start is inside
        assert_eq!(at(datetime!(2025-06-07 21:59 UTC)), Decision::Ask);
        assert_eq!(at(datetime!(2025-06-08 03:59 UTC)), Decision::Allow); // Sunday morning from Saturday
        assert_eq!(at(datetime!(2025-06-08 04:00 UTC)), Decision::Ask); // end is outside
        assert_eq!(at(datetime!(2025-06-08 23:00 UTC)), Decision::Allow); // Sunday evening
        assert_eq!(at(datetime!(2025-06-09 01:00 UTC)), Decision::Allow); // Monday morning from Sunday
        assert_eq!(at(datetime!(2025-06-10 01:00 UTC)), Decision::Ask); // Tuesday morning: Monday has no window
        assert_eq!(at(datetime!(2025-06-07 01:00 UTC)), Decision::Ask); // Saturday morning: Friday has none
        // Same-day window on Wednesday.
        assert_eq!(at(datetime!(2025-06-04 09:00 UTC)), Decision::Allow);
        assert_eq!(at(datetime!(2025-06-04 10:29 UTC)), Decision::Allow);
        assert_eq!(at(datetime!(2025-06-04 10:30 UTC)), Decision::Ask);
        assert_eq!(at(datetime!(2025-06-05 09:30 UTC)), Decision::Ask);
        // Offsets are converted to UTC: 00:30+03:00 Sunday is 21:30 UTC Saturday.
        assert_eq!(at(datetime!(2025-06-08 00:30 +03:00)), Decision::Ask);
        assert_eq!(at(datetime!(2025-06-08 01:30 +03:00)), Decision::Allow);
    }

    #[test]
    fn window_without_days_applies_daily() {
        let p = Policy::from_toml_str("[[rules]]\ntools = [\"*\"]\ndecision = \"deny\"\nwindows = [{ start = \"08:00\", end = \"18:00\" }]\n").unwrap();
        let n = names(&["vm1"]);
        assert_eq!(
            p.decide("t", &n, datetime!(2025-06-08 12:00 UTC)).decision,
            Decision::Deny
        );
        assert_eq!(
            p.decide("t", &n, datetime!(2025-06-08 19:00 UTC)).decision,
            Decision::Ask
        );
    }
}
