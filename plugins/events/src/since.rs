//! When a window starts: `since` is an RFC 3339 time or a duration back
//! from vCenter's clock (`90s`, `30m`, `2h`, `7d`), which is the clock the
//! events and tasks were stamped with.

use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};
use vmware_plugin_sdk::prelude::*;

/// vCenter's clock, read only when a duration needs it.
pub const CURRENT_TIME: Method = Method::new("ServiceInstance", "CurrentTime");

/// How `since` must look, for error messages.
const FORMS: &str = "an RFC 3339 time (2026-12-01T08:00:00Z) or a duration (90s, 30m, 2h, 7d)";

/// A duration like `2h`, if `text` is one.
fn duration(text: &str) -> Result<Option<Duration>> {
    let Some(unit) = text.chars().last().filter(char::is_ascii_alphabetic) else {
        return Ok(None);
    };
    let Ok(n) = text[..text.len() - 1].parse::<i64>() else {
        return Ok(None);
    };
    let d = match unit {
        's' => Duration::seconds(n),
        'm' => Duration::minutes(n),
        'h' => Duration::hours(n),
        'd' => Duration::days(n),
        _ => return Ok(None),
    };
    if n <= 0 || n > 3_650 * 86_400 {
        return Err(Error::invalid_argument(format!(
            "since `{text}` must be a positive duration; give {FORMS}"
        )));
    }
    Ok(Some(d))
}

/// Check `since` without calling vSphere: its form and, for a duration, its size.
pub fn check(since: &str) -> Result<()> {
    if duration(since)?.is_some() || parse(since).is_some() {
        Ok(())
    } else {
        Err(Error::invalid_argument(format!(
            "since `{since}` is not {FORMS}"
        )))
    }
}

/// An RFC 3339 time.
pub fn parse(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

/// RFC 3339 text of a time.
pub fn format(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

/// The start of the window `since` gives, as RFC 3339.
pub fn start(since: &str) -> Result<String> {
    check(since)?;
    let Some(back) = duration(since)? else {
        return Ok(since.to_string());
    };
    let si = MoRef::new("ServiceInstance", "ServiceInstance");
    let now = vsphere::invoke(&si, CURRENT_TIME, serde_json::Value::Null)?;
    let now = now
        .as_str()
        .and_then(parse)
        .ok_or_else(|| Error::internal(format!("vCenter's CurrentTime is not a time: {now}")))?;
    Ok(format(now - back))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_times_are_accepted_and_nothing_else() {
        for ok in [
            "90s",
            "30m",
            "2h",
            "7d",
            "2026-12-01T08:00:00Z",
            "2026-12-01T08:00:00.5+01:00",
        ] {
            assert!(check(ok).is_ok(), "{ok}");
        }
        for bad in ["", "2", "h", "2x", "-2h", "0m", "yesterday", "2026-12-01"] {
            assert!(check(bad).is_err(), "{bad}");
        }
        assert_eq!(
            start("2026-12-01T08:00:00Z").ok().as_deref(),
            Some("2026-12-01T08:00:00Z")
        );
    }
}
