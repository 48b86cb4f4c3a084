//! From text to [`RawConfig`](crate::raw::RawConfig): TOML syntax (every syntax error the parser
//! can recover from), then each top-level section deserialized on its own, with each error's
//! byte span turned into line:column and the key path found by walking the spanned document.

use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use crate::error::{ConfigError, line_col};
use crate::raw::{RawConfig, SECTIONS};

/// The text being loaded and the name it is reported under.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Source<'a> {
    /// The file name as given by the caller (used verbatim in messages).
    pub file: &'a str,
    /// The whole file.
    pub text: &'a str,
}

impl Source<'_> {
    /// A [`ConfigError::Key`] at `span`.
    pub fn key_error(
        &self,
        span: Range<usize>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> ConfigError {
        let (line, column) = line_col(self.text, span.start);
        ConfigError::Key {
            file: self.file.to_owned(),
            line,
            column,
            key: key.into(),
            message: message.into(),
        }
    }

    fn syntax_error(&self, span: Range<usize>, message: &str) -> ConfigError {
        let (line, column) = line_col(self.text, span.start);
        ConfigError::Syntax { file: self.file.to_owned(), line, column, message: one_line(message) }
    }
}

/// Parses the document. `Err` for syntax errors (all of them); otherwise the sections that
/// deserialized, plus an error for each unknown section and each section that did not.
pub(crate) fn parse(src: Source<'_>) -> Result<(RawConfig, Vec<ConfigError>), ConfigError> {
    let (root, syntax) = DeTable::parse_recoverable(src.text);
    if !syntax.is_empty() {
        let errors = syntax
            .iter()
            .map(|e| src.syntax_error(e.span().unwrap_or(0..0), e.message()))
            .collect();
        return Err(ConfigError::from_list(errors).unwrap_or(ConfigError::Multiple(Vec::new())));
    }
    let mut raw = RawConfig::default();
    let mut errors = Vec::new();
    for (key, value) in root.get_ref().iter() {
        let name: &str = key.get_ref();
        let mut section =
            Section { src, root: &root, name, errors: &mut errors, pruned: Vec::new() };
        macro_rules! section {
            ($field:ident) => {{
                raw.$field = section.deserialize(value.clone());
                if raw.$field.is_none() {
                    raw.failed.push(name.to_owned());
                }
            }};
        }
        match name {
            "station" => section!(station),
            "tenant" => section!(tenant),
            "endpoints" => section!(endpoints),
            "verifier" => section!(verifier),
            "relay" => section!(relay),
            "providers" => section!(providers),
            "timeouts" => section!(timeouts),
            "recovery" => section!(recovery),
            "logging" => section!(logging),
            "updater" => section!(updater),
            "service" => section!(service),
            "server" => section!(server),
            "audit" => section!(audit),
            "webhook" => section!(webhook),
            "console" => section!(console),
            _ => section.errors.push(src.key_error(
                key.span(),
                name,
                format!("unknown section or key; expected one of {}", list(SECTIONS)),
            )),
        }
        raw.pruned.append(&mut section.pruned);
    }
    errors.sort_by_key(|e| (e.line(), e.column()));
    Ok((raw, errors))
}

/// One top-level section being deserialized.
struct Section<'s, 'i> {
    src: Source<'s>,
    root: &'s Spanned<DeTable<'i>>,
    name: &'s str,
    errors: &'s mut Vec<ConfigError>,
    /// Key paths removed after an error (so validation does not also call them missing).
    pruned: Vec<String>,
}

impl<'i> Section<'_, 'i> {
    /// Deserializes the section. serde stops at the first problem, so after each error the
    /// offending key is removed and the section tried again: an unknown key or a wrong type
    /// does not hide the other errors of the same section. `None` when it cannot go on.
    fn deserialize<T: Deserialize<'i>>(&mut self, mut value: Spanned<DeValue<'i>>) -> Option<T> {
        let section_span = value.span();
        for _ in 0..64 {
            let e = match T::deserialize(ValueDeserializer::from(value.clone())) {
                Ok(v) => return Some(v),
                Err(e) => e,
            };
            let span = e.span().unwrap_or_else(|| section_span.clone());
            let key = key_path_at(self.root.get_ref(), span.start)
                .unwrap_or_else(|| self.name.to_owned());
            let mut message = one_line(e.message());
            if let Some(hint) = secret_hint(&key) {
                message.push_str(hint);
            }
            self.errors.push(self.src.key_error(span, key.clone(), message));
            // Remove the whole key (for an array element: the array) and retry.
            let rest = key.strip_prefix(self.name)?;
            let mut segments = segments(rest);
            while matches!(segments.last(), Some(Segment::Index(_))) {
                segments.pop();
            }
            if segments.is_empty() || !remove(value.get_mut(), &segments) {
                return None;
            }
            let kept: Vec<String> = segments.iter().map(Segment::to_string).collect();
            self.pruned.push(format!("{}{}", self.name, kept.concat()));
        }
        None
    }
}

#[derive(Debug)]
enum Segment<'a> {
    Key(&'a str),
    Index(usize),
}

impl std::fmt::Display for Segment<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Key(k) => write!(f, ".{k}"),
            Self::Index(i) => write!(f, "[{i}]"),
        }
    }
}

/// `.a[1].b` → `Key(a), Index(1), Key(b)`.
fn segments(path: &str) -> Vec<Segment<'_>> {
    let mut out = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (key, mut indexes) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            out.push(Segment::Key(key));
        }
        while let Some(close) = indexes.find(']') {
            match indexes[1..close].parse() {
                Ok(i) => out.push(Segment::Index(i)),
                Err(_) => return Vec::new(),
            }
            indexes = &indexes[close + 1..];
        }
    }
    out
}

/// Removes the key at `path` (the last segment is a key); false if it is not there.
fn remove(value: &mut DeValue<'_>, path: &[Segment<'_>]) -> bool {
    match (path, value) {
        ([Segment::Key(k)], DeValue::Table(t)) => t.remove(*k).is_some(),
        ([Segment::Key(k), rest @ ..], DeValue::Table(t)) => {
            t.get_mut(*k).is_some_and(|v| remove(v.get_mut(), rest))
        }
        ([Segment::Index(i), rest @ ..], DeValue::Array(a)) => {
            a.get_mut(*i).is_some_and(|v| remove(v.get_mut(), rest))
        }
        _ => false,
    }
}

/// Someone tried to put a secret in the file.
fn secret_hint(key: &str) -> Option<&'static str> {
    let last = key.rsplit('.').next().unwrap_or(key).to_ascii_lowercase();
    ["secret", "password", "credential", "api_key", "apikey", "signing_key", "token"]
        .iter()
        .any(|w| last.contains(w))
        .then_some(
            " (secrets never go in this file: store them in the OS keyring with \
             `reclaim-config set-secret NAME`)",
        )
}

/// The dotted path (`providers[1].id`) of the deepest key whose key or value span contains
/// `offset`.
pub(crate) fn key_path_at(table: &DeTable<'_>, offset: usize) -> Option<String> {
    fn contains(span: &Range<usize>, offset: usize) -> bool {
        span.start <= offset && (offset < span.end || span.is_empty() && offset == span.start)
    }
    fn in_value(value: &Spanned<DeValue<'_>>, path: String, offset: usize) -> Option<String> {
        match value.get_ref() {
            DeValue::Table(t) => in_table(t, &path, offset),
            DeValue::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
                let p = format!("{path}[{i}]");
                in_value(item, p.clone(), offset)
                    .or_else(|| contains(&item.span(), offset).then_some(p))
            }),
            _ => None,
        }
    }
    fn in_table(table: &DeTable<'_>, prefix: &str, offset: usize) -> Option<String> {
        table.iter().find_map(|(k, v)| {
            let name: &str = k.get_ref();
            let path = if prefix.is_empty() { name.to_owned() } else { format!("{prefix}.{name}") };
            in_value(v, path.clone(), offset).or_else(|| {
                (contains(&k.span(), offset) || contains(&v.span(), offset)).then_some(path)
            })
        })
    }
    in_table(table, "", offset)
}

/// `a`, `b`, `c`.
pub(crate) fn list(items: &[&str]) -> String {
    items.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")
}

fn one_line(message: &str) -> String {
    message.trim().lines().map(str::trim).collect::<Vec<_>>().join(" ")
}
