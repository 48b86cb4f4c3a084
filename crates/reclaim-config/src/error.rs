//! `ConfigError`: every way loading or using a configuration file can fail, each naming the file,
//! the line and column, and the key path (`config.toml:12:1: tenant.client_id: not a GUID ("abc")`).

use std::fmt;
use std::path::PathBuf;

use crate::secrets::SecretError;

/// A configuration error. [`ConfigError::Multiple`] carries every error found in one pass; use
/// [`ConfigError::errors`] to walk them.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{}: cannot read the file: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The text is not valid TOML (no key path: the parser could not get that far).
    #[error("{file}:{line}:{column}: {message}")]
    Syntax {
        /// The file as given.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column (characters).
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// A key is unknown, missing, of the wrong type, or has a value that is not allowed.
    #[error("{file}:{line}:{column}: {key}: {message}")]
    Key {
        /// The file as given.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column (characters).
        column: usize,
        /// Dotted key path, arrays indexed: `providers[1].issuer_did`.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// Several errors, in file order; `Display` prints one per line.
    #[error("{}", DisplayAll(.0))]
    Multiple(Vec<ConfigError>),
    /// A secret the configuration needs could not be read.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// The certificate named by `tenant.credential.path` could not be used.
    #[error("{}: {message}", path.display())]
    Certificate {
        /// The file.
        path: PathBuf,
        /// What is wrong (never the key or password).
        message: String,
    },
    /// A production-only piece was asked for while `station.mode = "demo"` left it out.
    #[error("{file}: [{section}] is not configured (station.mode = \"demo\")")]
    NotConfigured {
        /// The file as given.
        file: String,
        /// The missing section.
        section: &'static str,
    },
}

struct DisplayAll<'a>(&'a [ConfigError]);

impl fmt::Display for DisplayAll<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl ConfigError {
    /// The individual errors: the members of [`ConfigError::Multiple`] (flattened), or `self`.
    pub fn errors(&self) -> Vec<&ConfigError> {
        match self {
            Self::Multiple(all) => all.iter().flat_map(ConfigError::errors).collect(),
            other => vec![other],
        }
    }

    /// The key path, for [`ConfigError::Key`].
    pub fn key(&self) -> Option<&str> {
        match self {
            Self::Key { key, .. } => Some(key),
            _ => None,
        }
    }

    /// The 1-based line, for [`ConfigError::Key`] and [`ConfigError::Syntax`].
    pub fn line(&self) -> Option<usize> {
        match self {
            Self::Key { line, .. } | Self::Syntax { line, .. } => Some(*line),
            _ => None,
        }
    }

    /// The 1-based column, for [`ConfigError::Key`] and [`ConfigError::Syntax`].
    pub fn column(&self) -> Option<usize> {
        match self {
            Self::Key { column, .. } | Self::Syntax { column, .. } => Some(*column),
            _ => None,
        }
    }

    /// The message without file, position or key.
    pub fn message(&self) -> String {
        match self {
            Self::Key { message, .. } | Self::Syntax { message, .. } => message.clone(),
            other => other.to_string(),
        }
    }

    /// One error, or [`ConfigError::Multiple`] for several (`None` for none).
    pub(crate) fn from_list(mut errors: Vec<ConfigError>) -> Option<Self> {
        match errors.len() {
            0 => None,
            1 => errors.pop(),
            _ => Some(Self::Multiple(errors)),
        }
    }
}

/// 1-based line and column (in characters) of a byte offset in `text`.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// An error and its sources, `: `-joined, for one-line messages (a TLS or HTTP error's cause is
/// usually in its source, not its own text).
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one_in_characters() {
        let text = "a = 1\nbé = \"x\"\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 4), (1, 5));
        assert_eq!(line_col(text, 6), (2, 1));
        // `=` after the two-byte `é` is character 4 of line 2.
        let eq = text.find(" = \"").map(|i| i + 1).expect("eq");
        assert_eq!(line_col(text, eq), (2, 4));
        assert_eq!(line_col(text, 10_000), (3, 1));
    }

    #[test]
    fn multiple_displays_one_per_line() {
        let e = ConfigError::from_list(vec![
            ConfigError::Key {
                file: "c.toml".into(),
                line: 1,
                column: 2,
                key: "a".into(),
                message: "x".into(),
            },
            ConfigError::Syntax { file: "c.toml".into(), line: 3, column: 4, message: "y".into() },
        ])
        .expect("some");
        assert_eq!(e.to_string(), "c.toml:1:2: a: x\nc.toml:3:4: y");
        assert_eq!(e.errors().len(), 2);
    }
}
