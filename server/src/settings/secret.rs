//! A secret read from a file the configuration names (an access key, an app secret). Owns
//! reading it (trimmed of the file's trailing newline) and keeping it out of every log: its
//! `Debug` and `Display` print `[redacted]`, and its memory is wiped on drop.
//! Must never print, log or serialize the secret itself.

use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// A secret value; only [`Secret::expose`] gives the text, for signing.
#[derive(Clone)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// A secret held in memory (tests and programmatic set-up).
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(Zeroizing::new(value.into()))
    }

    /// Reads the secret from `path`; surrounding whitespace (a trailing newline) is dropped.
    pub fn from_file(path: &Path) -> Result<Secret, SecretError> {
        let text = std::fs::read_to_string(path).map_err(|source| SecretError::Read {
            path: path.to_owned(),
            source,
        })?;
        let text = Zeroizing::new(text);
        let value = text.trim();
        if value.is_empty() {
            return Err(SecretError::Empty {
                path: path.to_owned(),
            });
        }
        Ok(Secret::new(value))
    }

    /// The secret's text (for computing a signature; never for a log line).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// A secret file that could not be used (its path is said, never its content).
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("无法读取密钥文件 {path}：{source} / cannot read the secret file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("密钥文件 {path} 是空的 / the secret file {path} is empty")]
    Empty { path: PathBuf },
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn a_secret_never_shows_in_debug_or_display() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("key");
        std::fs::write(&path, "s3cr3t-value\n").unwrap();
        let s = Secret::from_file(&path).unwrap();
        assert_eq!(s.expose(), "s3cr3t-value");
        assert!(!format!("{s:?} {s}").contains("s3cr3t"));
    }

    #[test]
    fn an_empty_secret_file_is_refused_with_its_path() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("empty");
        std::fs::write(&path, "\n").unwrap();
        let err = Secret::from_file(&path).unwrap_err().to_string();
        assert!(err.contains("empty"), "{err}");
    }
}
