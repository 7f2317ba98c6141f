//! Suggesting close names when a name is not found.
//!
//! A `not-found` error is more useful with "did you mean" candidates: the
//! same name in another case, a longer or shorter name containing it, or a
//! name at most two edits away.

/// Names close to `query`, best first, at most `limit`: the same name in
/// another case, names containing it (or contained in it, for queries of
/// three or more characters), or at most two edits away.
pub fn close_matches<'a>(query: &str, names: &[&'a str], limit: usize) -> Vec<&'a str> {
    let q = query.to_lowercase();
    let mut scored: Vec<(usize, &'a str)> = Vec::new();
    for &name in names {
        let n = name.to_lowercase();
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

/// Levenshtein distance over characters, or `usize::MAX` when the lengths
/// differ by more than two (such names are never suggested, so the full
/// computation is skipped).
pub fn edit_distance(a: &str, b: &str) -> usize {
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
        assert_eq!(close_matches("web", &names, 5), vec!["web01"]);
        assert!(close_matches("zzzzzz", &names, 5).is_empty());
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("abc", "abcdefgh"), usize::MAX);
    }
}
