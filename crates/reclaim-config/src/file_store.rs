//! [`FileStore`]: secrets from a file only the service's user may read — for the recovery
//! service on a server, where there is no desktop session and so no Secret Service keyring.
//!
//! The file holds one `name = "value"` line per secret, in TOML (the names are those of
//! [`SecretName`]: `client-secret`, `provider.ID.capture-api-key`, …). It is refused unless it
//! is a regular file readable by its owner only (mode 0600 or 0400): a secrets file the group
//! or others could read is an error, not a warning. Values are checked like the keyring's and
//! zeroed when the store is dropped. The store is read-only: change the file, then restart.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use secrecy::SecretString;

use crate::secrets::{SecretError, SecretName, SecretStore};

/// Why a secrets file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum FileStoreError {
    /// It cannot be read.
    #[error("{path}: cannot read the secrets file: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Its permissions let someone besides its owner read it.
    #[error(
        "{path}: the secrets file is readable by others (mode {mode:o}); make it the service user's \
         alone: `chmod 600 {path}`"
    )]
    TooOpen {
        /// The file.
        path: String,
        /// Its mode bits.
        mode: u32,
    },
    /// Not TOML `name = "value"` lines (the message names the line, never a value).
    #[error("{path}: {message}")]
    Syntax {
        /// The file.
        path: String,
        /// What is wrong, and where.
        message: String,
    },
}

/// Secrets from a file (see the module docs). `Debug` lists names only.
pub struct FileStore {
    path: PathBuf,
    values: HashMap<String, SecretString>,
}

impl fmt::Debug for FileStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&String> = self.values.keys().collect();
        names.sort();
        f.debug_struct("FileStore").field("path", &self.path).field("names", &names).finish()
    }
}

impl FileStore {
    /// Reads and checks `path`.
    pub fn open(path: &Path) -> Result<FileStore, FileStoreError> {
        let shown = path.display().to_string();
        let io = |source| FileStoreError::Io { path: shown.clone(), source };
        let meta = std::fs::metadata(path).map_err(io)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(FileStoreError::TooOpen { path: shown, mode });
            }
        }
        if !meta.is_file() {
            return Err(FileStoreError::Syntax { path: shown, message: "not a file".into() });
        }
        let text = zeroize::Zeroizing::new(std::fs::read_to_string(path).map_err(io)?);
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            // toml's message quotes the offending line, which may be a secret: keep the
            // position only.
            let at = e.span().map(|s| line_of(&text, s.start)).unwrap_or(0);
            FileStoreError::Syntax {
                path: shown.clone(),
                message: format!("line {at}: not `name = \"value\"` TOML"),
            }
        })?;
        let mut values = HashMap::new();
        for (name, value) in table {
            let parsed = SecretName::parse(&name).map_err(|e| FileStoreError::Syntax {
                path: shown.clone(),
                message: e.to_string(),
            })?;
            let toml::Value::String(value) = value else {
                return Err(FileStoreError::Syntax {
                    path: shown.clone(),
                    message: format!("`{name}` must be a string"),
                });
            };
            let secret = SecretString::from(value);
            parsed.check_value(&secret).map_err(|e| FileStoreError::Syntax {
                path: shown.clone(),
                message: e.to_string(),
            })?;
            values.insert(parsed.account(), secret);
        }
        Ok(FileStore { path: path.to_owned(), values })
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset).map_or(0, |t| t.matches('\n').count() + 1)
}

impl SecretStore for FileStore {
    fn get(&self, name: &SecretName) -> Result<SecretString, SecretError> {
        // Missing, as the keyring says it: an optional secret (the audit key) is then absent.
        self.values.get(&name.account()).cloned().ok_or_else(|| SecretError::Missing {
            name: name.account(),
            what: format!(
                "{}, a line of the secrets file {}",
                name.describe(),
                self.path.display()
            ),
        })
    }

    fn set(&self, name: &SecretName, _value: &SecretString) -> Result<(), SecretError> {
        Err(SecretError::Invalid {
            name: name.account(),
            reason: format!("the secrets file {} is read-only here; edit it", self.path.display()),
        })
    }

    fn delete(&self, name: &SecretName) -> Result<(), SecretError> {
        self.set(name, &SecretString::from(String::new()))
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use secrecy::ExposeSecret as _;

    use super::*;

    #[allow(clippy::unwrap_used)] // a failed set-up is a failed test
    fn write(dir: &Path, text: &str, mode: u32) -> PathBuf {
        let path = dir.join("secrets.toml");
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        path
    }

    #[test]
    fn reads_named_secrets_from_a_private_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "client-secret = \"s3cr3t-value\"\n", 0o600);
        let store = FileStore::open(&path).unwrap();
        let got = store.get(&SecretName::ClientSecret).unwrap();
        assert_eq!(got.expose_secret(), "s3cr3t-value");
        assert!(!format!("{store:?}").contains("s3cr3t"), "a value in Debug");
        assert!(store.get(&SecretName::RelayCredential).is_err());
        assert!(store.set(&SecretName::ClientSecret, &SecretString::from("x".to_owned())).is_err());
    }

    #[test]
    fn a_file_others_can_read_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "client-secret = \"s3cr3t-value\"\n", 0o644);
        let err = FileStore::open(&path).unwrap_err().to_string();
        assert!(err.contains("readable by others (mode 644)"), "{err}");
    }

    #[test]
    fn errors_name_the_line_or_the_name_never_the_value() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "client-secret = \"ok-value\"\nbroken s3cr3t\n", 0o600);
        let err = FileStore::open(&path).unwrap_err().to_string();
        assert!(err.contains("line 2") && !err.contains("s3cr3t"), "{err}");
        let path = write(dir.path(), "no-such-secret = \"s3cr3t\"\n", 0o600);
        let err = FileStore::open(&path).unwrap_err().to_string();
        assert!(err.contains("no-such-secret") && !err.contains("\"s3cr3t\""), "{err}");
    }
}
