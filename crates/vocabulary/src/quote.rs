//! Quoting client input in messages: at most a short prefix, so that a
//! megabyte-long argument, name or cursor cannot make a megabyte-long error
//! (or log line).

/// The most characters of any input repeated in a message.
pub const MAX_QUOTED_CHARS: usize = 64;

/// `text` cut to [`MAX_QUOTED_CHARS`] characters, with `…` and the total
/// length when it was cut.
pub fn prefix(text: &str) -> String {
    match text.char_indices().nth(MAX_QUOTED_CHARS) {
        None => text.to_string(),
        Some((cut, _)) => format!(
            "{}… ({} characters in all)",
            &text[..cut],
            text.chars().count()
        ),
    }
}

/// A JSON value as compact text, cut like [`prefix`].
pub fn json(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => format!("{:?}", ShortStr(s)),
        other => prefix(&other.to_string()),
    }
}

/// Debug-quotes a string's prefix: `"abc…" (n characters in all)`.
struct ShortStr<'a>(&'a str);

impl std::fmt::Debug for ShortStr<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.char_indices().nth(MAX_QUOTED_CHARS) {
            None => write!(f, "{:?}", self.0),
            Some((cut, _)) => write!(
                f,
                "{:?}… ({} characters in all)",
                &self.0[..cut],
                self.0.chars().count()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_input_is_cut_and_short_input_kept() {
        assert_eq!(prefix("db1"), "db1");
        let long = "x".repeat(1_000_000);
        let shown = prefix(&long);
        assert!(
            shown.len() < 120 && shown.contains("1000000 characters"),
            "{shown}"
        );
        let quoted = json(&serde_json::Value::String(long));
        assert!(quoted.starts_with('"') && quoted.len() < 120, "{quoted}");
        assert_eq!(json(&serde_json::json!("a\"b")), r#""a\"b""#);
    }
}
