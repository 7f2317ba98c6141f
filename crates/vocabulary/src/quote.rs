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
        Some((end, _)) => format!(
            "{}… ({} characters in all)",
            &text[..end],
            text.chars().count()
        ),
    }
}

/// `text` cut to at most `max_chars` characters (never inside one), with
/// `…` when it was cut: the one cut for every bounded quote, whatever its
/// budget (a log line's arguments, a test report's result, an approval's
/// names).
pub fn cut(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        None => text.to_string(),
        Some((end, _)) => format!("{}…", &text[..end]),
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
    fn cut_keeps_whole_characters_and_marks_the_cut() {
        assert_eq!(cut("db1", 3), "db1");
        assert_eq!(cut("ééé", 2), "éé…");
        assert_eq!(cut("", 0), "");
    }

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
