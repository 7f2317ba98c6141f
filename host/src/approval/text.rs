//! Bounded rendering of names, methods and lists inside approval messages.
//!
//! Approval messages go back to agents and into logs, and some of what they
//! quote (method names, references, plugin-supplied names) comes from a
//! plugin. Capping every quoted string and list keeps a hostile or buggy
//! plugin from inflating a message without bound.

/// Longest single quoted item, in characters.
const MAX_ITEM_CHARS: usize = 120;

/// Most list items rendered before the rest are summarised as a count.
const MAX_LIST_ITEMS: usize = 10;

/// `s` cut to a bounded length, with control characters replaced, so that a
/// quoted string cannot flood or forge lines in a message.
pub(crate) fn clip(s: &str) -> String {
    vmware_vocabulary::quote::cut(s, MAX_ITEM_CHARS)
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// The items joined with `, `, each clipped, at most [`MAX_LIST_ITEMS`] of
/// them followed by `and N more`; `(none)` for an empty list.
pub(crate) fn list<I, T>(items: I) -> String
where
    I: IntoIterator<Item = T>,
    T: std::fmt::Display,
{
    let mut shown = Vec::new();
    let mut more = 0usize;
    for item in items {
        if shown.len() < MAX_LIST_ITEMS {
            shown.push(clip(&item.to_string()));
        } else {
            more += 1;
        }
    }
    if shown.is_empty() {
        return "(none)".to_string();
    }
    let mut out = shown.join(", ");
    if more > 0 {
        out.push_str(&format!(" and {more} more"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_bounds_length_and_control_characters() {
        assert_eq!(clip("a\nb"), "a?b");
        let long = "x".repeat(500);
        let clipped = clip(&long);
        assert_eq!(clipped.chars().count(), MAX_ITEM_CHARS + 1);
        assert!(clipped.ends_with('…'));
        assert_eq!(
            clip(&"y".repeat(MAX_ITEM_CHARS)),
            "y".repeat(MAX_ITEM_CHARS)
        );
    }

    #[test]
    fn list_caps_items() {
        assert_eq!(list(Vec::<String>::new()), "(none)");
        assert_eq!(list(["a", "b"]), "a, b");
        let many: Vec<String> = (0..13).map(|i| i.to_string()).collect();
        assert_eq!(list(&many), "0, 1, 2, 3, 4, 5, 6, 7, 8, 9 and 3 more");
    }
}
