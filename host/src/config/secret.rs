//! The one secret-file type: the vCenter password, the MCP bearer token and
//! the admin token are all read from files (mounted Docker or Kubernetes
//! secrets) the same way, and none of them can be printed by accident.

use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A secret read from a file: never printed (`Debug` and `Display` show
/// `***`), compared in constant time.
#[derive(Clone)]
pub struct Secret(Arc<str>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

impl Secret {
    /// Read a secret file, trimming one trailing newline (as `echo` and editors
    /// leave); an empty or white-space-only file is an error naming `variable`.
    pub fn from_file(variable: &str, path: &Path) -> Result<Secret, SecretFileError> {
        let refuse = |problem: String| SecretFileError {
            variable: variable.to_string(),
            path: path.to_path_buf(),
            problem,
        };
        let text = std::fs::read_to_string(path)
            .map_err(|e| refuse(format!("cannot read the secret file: {e}")))?;
        let trimmed = text
            .strip_suffix('\n')
            .map(|t| t.strip_suffix('\r').unwrap_or(t))
            .unwrap_or(&text);
        if trimmed.is_empty() {
            return Err(refuse("the secret file is empty".into()));
        }
        // A token of only white space can never be presented (clients and
        // this server trim it from the header), so every request would get
        // 401: refuse it at start instead.
        if trimmed.trim().is_empty() {
            return Err(refuse(
                "the secret file holds only white space; write the secret into it".into(),
            ));
        }
        Ok(Secret(Arc::from(trimmed)))
    }

    /// Build from a string (tests and derived secrets).
    pub fn new(value: impl AsRef<str>) -> Secret {
        Secret(Arc::from(value.as_ref()))
    }

    /// The secret's text, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Constant-time equality, so a token cannot be guessed byte by byte from timing.
    pub fn matches(&self, candidate: &str) -> bool {
        let a = self.0.as_bytes();
        let b = candidate.as_bytes();
        let mut diff = a.len() ^ b.len();
        for i in 0..a.len().max(b.len()) {
            diff |= (*a.get(i).unwrap_or(&0) ^ *b.get(i).unwrap_or(&0)) as usize;
        }
        diff == 0
    }
}

/// A secret file that cannot be used; names the variable and the file,
/// never the content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable}={}: {problem}", path.display())]
pub struct SecretFileError {
    /// The setting that named the file, e.g. `VCENTER_PASSWORD_SECRET_PATH`.
    pub variable: String,
    /// The file.
    pub path: PathBuf,
    /// What is wrong with it.
    pub problem: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_exactly_and_never_print() {
        let s = Secret::new("tok-123");
        assert!(s.matches("tok-123"));
        assert!(!s.matches("tok-12") && !s.matches("tok-1234") && !s.matches(""));
        assert_eq!(format!("{s:?}"), "Secret(***)");
    }

    #[test]
    fn secret_files_lose_one_trailing_newline() {
        let dir = std::env::temp_dir().join(format!("vmware-mcp-secret-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("s");
        std::fs::write(&p, "abc\n").unwrap();
        assert!(Secret::from_file("X", &p).unwrap().matches("abc"));
        std::fs::write(&p, "").unwrap();
        assert!(
            Secret::from_file("X", &p)
                .unwrap_err()
                .to_string()
                .contains("empty")
        );
        std::fs::write(&p, " \t\n\n").unwrap();
        let blank = Secret::from_file("X", &p).unwrap_err().to_string();
        assert!(
            blank.starts_with("X=") && blank.contains("only white space"),
            "{blank}"
        );
        let missing = Secret::from_file("X", &dir.join("nope"))
            .unwrap_err()
            .to_string();
        assert!(
            missing.starts_with("X=") && missing.contains("cannot read"),
            "{missing}"
        );
    }

    #[test]
    fn secrets_never_display() {
        assert_eq!(Secret::new("hunter2").to_string(), "***");
    }
}
