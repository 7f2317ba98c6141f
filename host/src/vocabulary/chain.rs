//! An error and its causes as one line, each cause said once. Error types
//! often put their cause in their own message *and* return it as their
//! `source()` (the audit trail's "cannot write … : Permission denied (os
//! error 13)"), so printing the chain naïvely (`{:#}`) says the OS error
//! twice; a cause whose text the message already holds is left out.

/// `error` and each of its causes joined by `: `, skipping a cause already
/// said by what precedes it.
pub fn one_line(error: &(dyn std::error::Error + 'static)) -> String {
    let mut line = error.to_string();
    let mut cause = error.source();
    while let Some(next) = cause {
        let text = next.to_string();
        if !text.is_empty() && !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        cause = next.source();
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot write the audit trail /x: {source}")]
    struct SaysItsCause {
        source: std::io::Error,
    }

    #[test]
    fn a_cause_already_in_the_message_is_said_once() {
        let os = std::io::Error::from_raw_os_error(13);
        let os_text = os.to_string();
        let error = anyhow::Error::new(SaysItsCause { source: os }).context("opening the trail");
        let line = one_line(error.as_ref());
        assert_eq!(line.matches(&os_text).count(), 1, "{line}");
        assert!(
            line.starts_with("opening the trail: cannot write the audit trail /x"),
            "{line}"
        );
        let plain = anyhow::anyhow!("inner").context("outer");
        assert_eq!(one_line(plain.as_ref()), "outer: inner");
    }
}
