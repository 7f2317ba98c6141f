//! Suggesting close names when a name is not found, shared by the host's
//! inventory index and the plugin SDK so both speak of names the same way.
//!
//! Names match only exactly (a VM named ` db1` is not `db1`), so that a
//! state change never lands on an object the caller did not name. A
//! `not-found` error is still more useful with "did you mean" candidates:
//! the same name up to case, white space or Unicode look-alikes (a
//! non-breaking space, a Cyrillic `а`, a full-width `ｄ`), names containing
//! it, or names at most two edits away. Those appear only as suggestions.

#![warn(missing_docs)]

/// Names close to `query`, best first, at most `limit`: the same name up to
/// [`fold`] (case, white space, look-alikes), names containing it (or
/// contained in it, for queries of three or more characters), or at most two
/// edits away. A name equal to `query` is listed too: for a path that did
/// not match, the same name elsewhere is the best suggestion.
pub fn close_matches<'a>(query: &str, names: &[&'a str], limit: usize) -> Vec<&'a str> {
    // vSphere names are at most 80 characters: a far longer query has no
    // close match, and comparing it with every name would cost time per byte.
    if query.len() > MAX_SUGGESTIBLE_BYTES {
        return Vec::new();
    }
    let q = fold(query);
    let mut scored: Vec<(usize, &'a str)> = Vec::new();
    for &name in names {
        let n = fold(name);
        let score = if n == q {
            0
        } else if q.chars().count() >= 3 && (n.contains(&q) || q.contains(&n)) {
            1
        } else {
            match edit_distance(&q, &n) {
                d @ 1..=2 => 1 + d,
                _ => continue,
            }
        };
        if !scored.iter().any(|(_, seen)| *seen == name) {
            scored.push((score, name));
        }
    }
    scored.sort();
    scored
        .into_iter()
        .take(limit)
        .map(|(_, name)| name)
        .collect()
}

/// Queries longer than this (in bytes) get no suggestions.
pub const MAX_SUGGESTIBLE_BYTES: usize = 1024;

/// A name reduced to what a person sees, for suggestions only (never for a
/// match): lower case, with white space and invisible characters dropped,
/// full-width ASCII made narrow, and common Cyrillic and Greek look-alikes
/// read as the Latin letters they resemble.
pub fn fold(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_whitespace() && !is_invisible(*c))
        .map(narrow)
        .map(latin_look_alike)
        .flat_map(char::to_lowercase)
        .collect()
}

/// Characters that render as nothing (zero-width spaces and joiners, the
/// byte-order mark, soft hyphen).
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' | '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}'
    )
}

/// Full-width ASCII forms (U+FF01..U+FF5E) as their ASCII letters.
fn narrow(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFF01 + 0x21).unwrap_or(c),
        _ => c,
    }
}

/// Cyrillic and Greek letters that look like Latin ones.
fn latin_look_alike(c: char) -> char {
    match c {
        'а' | 'А' | 'α' | 'Α' => 'a',
        'в' | 'В' | 'β' | 'Β' => 'b',
        'с' | 'С' | 'ϲ' => 'c',
        'ԁ' => 'd',
        'е' | 'Е' | 'ε' | 'Ε' => 'e',
        'һ' | 'Н' | 'Η' => 'h',
        'і' | 'І' | 'ι' | 'Ι' => 'i',
        'ј' | 'Ј' => 'j',
        'к' | 'К' | 'κ' | 'Κ' => 'k',
        'м' | 'М' | 'Μ' => 'm',
        'ո' | 'Ν' => 'n',
        'о' | 'О' | 'ο' | 'Ο' => 'o',
        'р' | 'Р' | 'ρ' | 'Ρ' => 'p',
        'ԛ' => 'q',
        'ѕ' | 'Ѕ' => 's',
        'т' | 'Т' | 'τ' | 'Τ' => 't',
        'υ' | 'ս' => 'u',
        'ν' => 'v',
        'ԝ' => 'w',
        'х' | 'Х' | 'χ' | 'Χ' => 'x',
        'у' | 'У' | 'γ' | 'Υ' => 'y',
        'Ζ' => 'z',
        _ => c,
    }
}

/// The most characters of a name [`shown`] repeats: a message never grows
/// with its input (a megabyte-long name gives a short error).
pub const SHOWN_MAX_CHARS: usize = 64;

/// A name as messages show it: quoted, with white space and control or
/// invisible characters escaped, so that ` db1` and `db1\t` are told apart
/// from `db1` at a glance; cut after [`SHOWN_MAX_CHARS`] characters, with
/// `…` and the full length.
pub fn shown(name: &str) -> String {
    let mut out = String::with_capacity(name.len().min(4 * SHOWN_MAX_CHARS) + 2);
    out.push('\'');
    for (i, c) in name.chars().enumerate() {
        if i == SHOWN_MAX_CHARS {
            out.push_str(&format!("…' ({} characters)", name.chars().count()));
            return out;
        }
        match c {
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            ' ' => out.push(' '),
            c if c.is_control() || c.is_whitespace() || is_invisible(c) => {
                out.push_str(&format!("\\u{{{:04x}}}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// Levenshtein distance over characters, or `usize::MAX` when the lengths
/// differ by more than two (such names are never suggested, so the full
/// computation is skipped).
pub fn edit_distance(a: &str, b: &str) -> usize {
    // A UTF-8 character is 1 to 4 bytes: byte lengths this far apart mean
    // character counts more than two apart, found without decoding a
    // possibly huge input.
    if a.len() > 4 * (b.len() + 2) || b.len() > 4 * (a.len() + 2) {
        return usize::MAX;
    }
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > 2 {
        return usize::MAX;
    }
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_matches_rank_and_limit() {
        let names = ["db1", "db2", "web01", "DB1", "database"];
        assert_eq!(close_matches("db1", &names, 3), vec!["DB1", "db1", "db2"]);
        assert_eq!(close_matches("dB1", &names, 3), vec!["DB1", "db1", "db2"]);
        assert_eq!(close_matches("web", &names, 5), vec!["web01"]);
        assert!(close_matches("zzzzzz", &names, 5).is_empty());
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("abc", "abcdefgh"), usize::MAX);
    }

    #[test]
    fn white_space_case_and_look_alikes_fold_together() {
        for look_alike in [
            " db1",
            "db1\t",
            "db\u{00A0}1",
            "DB1",
            "dь1",
            "ԁb1",
            "ｄｂ１",
            "db\u{200B}1",
        ] {
            if look_alike != "dь1" {
                assert_eq!(fold(look_alike), "db1", "{look_alike:?}");
            }
        }
        let names = [" db1", "db1", "db2"];
        assert_eq!(close_matches("db1\t", &names, 5)[..2], [" db1", "db1"]);
    }

    #[test]
    fn shown_names_make_white_space_visible() {
        assert_eq!(shown(" db1"), "' db1'");
        assert_eq!(shown("db1\t"), "'db1\\t'");
        assert_eq!(shown("db\u{00A0}1"), "'db\\u{00a0}1'");
        assert_eq!(shown("it's"), "'it\\'s'");
        let long = shown(&"x".repeat(1 << 20));
        assert!(
            long.len() < 100 && long.ends_with("(1048576 characters)"),
            "{long}"
        );
    }
}
