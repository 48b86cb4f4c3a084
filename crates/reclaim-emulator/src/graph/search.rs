//! `$search` on directory objects, as Graph serves it (`microsoft-apis-v2.md` §1; Microsoft
//! Learn, "Use the $search query parameter" → "Using $search on directory object collections",
//! repo `microsoftgraph/microsoft-graph-docs-contrib`, `concepts/search-query-parameter.md`).
//!
//! * The expression is quoted clauses `"property:text"` (inside a clause `"` and `\` are escaped
//!   with a backslash) combined with upper-case `AND` / `OR` and parentheses; `AND` binds
//!   tighter. An unquoted clause, a lower-case operator or a stray character is a syntax error.
//! * `displayName` (and `description`) are **tokenized**: both the stored value and the search
//!   text are cut into tokens — at spaces, at a lower→upper case change (`HelloWorld` → `hello`,
//!   `world`, but `HELLOworld` stays one token), between letters and digits (`hello123world` →
//!   `hello`, `123`, `world`); a symbol is a token of its own and the words it separates are also
//!   joined (`hello.world` → `hello`, `.`, `world`, `helloworld`); a change of alphabet does not
//!   cut. Every search token must match the **start** of some stored token, case-insensitively,
//!   in any order: no "contains" (`ana` finds `Ana Lima` and `Maria-Ana`, never `Mariana`).
//! * Any other filterable string property matches like `startsWith(property, 'text')` on the whole
//!   value, case-insensitively, without tokenization.
//! * No accent folding (`ana` does not find `Ána`): the documentation says nothing, so the
//!   emulator takes the strict reading and the kiosk must not rely on folding.

use axum::http::StatusCode;

use super::odata::{PropType, Schema};
use super::users::UserSchema;
use crate::wire_error::GraphError;

/// A parsed `$search` expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Search {
    /// `"property:text"`.
    Clause {
        /// Canonical property name.
        property: &'static str,
        /// The text, unescaped.
        text: String,
    },
    /// Every part holds.
    And(Vec<Search>),
    /// Some part holds.
    Or(Vec<Search>),
}

fn syntax_error(raw: &str) -> GraphError {
    GraphError::new(
        StatusCode::BAD_REQUEST,
        "Request_UnsupportedQuery",
        format!("Syntax error: the $search clause {raw} is not valid."),
    )
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Lexeme {
    Clause(String),
    And,
    Or,
    Open,
    Close,
}

fn lex(raw: &str) -> Result<Vec<Lexeme>, GraphError> {
    let mut out = Vec::new();
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {}
            '(' => out.push(Lexeme::Open),
            ')' => out.push(Lexeme::Close),
            '"' => {
                let mut text = String::new();
                loop {
                    match chars.next() {
                        None => return Err(syntax_error(raw)),
                        Some('"') => break,
                        Some('\\') => text.push(chars.next().ok_or_else(|| syntax_error(raw))?),
                        Some(c) => text.push(c),
                    }
                }
                out.push(Lexeme::Clause(text));
            }
            c if c.is_ascii_alphabetic() => {
                let mut word = String::from(c);
                while let Some(&n) = chars.peek() {
                    if !n.is_ascii_alphabetic() {
                        break;
                    }
                    word.push(n);
                    chars.next();
                }
                // Only upper-case operators outside the quotes (an unquoted term is an error).
                out.push(match word.as_str() {
                    "AND" => Lexeme::And,
                    "OR" => Lexeme::Or,
                    _ => return Err(syntax_error(raw)),
                });
            }
            _ => return Err(syntax_error(raw)),
        }
    }
    Ok(out)
}

struct Parser<'a> {
    raw: &'a str,
    lexemes: Vec<Lexeme>,
    at: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Lexeme> {
        self.lexemes.get(self.at)
    }

    fn or(&mut self) -> Result<Search, GraphError> {
        let mut parts = vec![self.and()?];
        while self.peek() == Some(&Lexeme::Or) {
            self.at += 1;
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { Search::Or(parts) })
    }

    fn and(&mut self) -> Result<Search, GraphError> {
        let mut parts = vec![self.factor()?];
        while self.peek() == Some(&Lexeme::And) {
            self.at += 1;
            parts.push(self.factor()?);
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { Search::And(parts) })
    }

    fn factor(&mut self) -> Result<Search, GraphError> {
        let lexeme = self.lexemes.get(self.at).cloned().ok_or_else(|| syntax_error(self.raw))?;
        self.at += 1;
        match lexeme {
            Lexeme::Open => {
                let inner = self.or()?;
                if self.peek() != Some(&Lexeme::Close) {
                    return Err(syntax_error(self.raw));
                }
                self.at += 1;
                Ok(inner)
            }
            Lexeme::Clause(text) => clause(self.raw, &text),
            Lexeme::And | Lexeme::Or | Lexeme::Close => Err(syntax_error(self.raw)),
        }
    }
}

/// `property:text`: the property is mandatory and must be a filterable string property.
fn clause(raw: &str, inside: &str) -> Result<Search, GraphError> {
    let (property, text) = inside.split_once(':').ok_or_else(|| syntax_error(raw))?;
    let (canon, ty, filterable) =
        UserSchema.property(property.trim()).ok_or_else(|| syntax_error(raw))?;
    if ty != PropType::String || !filterable {
        return Err(GraphError::new(
            StatusCode::BAD_REQUEST,
            "Request_UnsupportedQuery",
            format!("Unsupported query on property '{canon}'."),
        ));
    }
    Ok(Search::Clause { property: canon, text: text.to_owned() })
}

/// Parses a `$search` value (already percent-decoded).
pub(crate) fn parse(raw: &str) -> Result<Search, GraphError> {
    let lexemes = lex(raw)?;
    let mut p = Parser { raw, lexemes, at: 0 };
    let search = p.or()?;
    if p.at != p.lexemes.len() {
        return Err(syntax_error(raw));
    }
    Ok(search)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Lower,
    Upper,
    /// A letter without case (CJK, …).
    Letter,
    Digit,
}

fn class(c: char) -> Option<Class> {
    if c.is_numeric() {
        Some(Class::Digit)
    } else if c.is_lowercase() {
        Some(Class::Lower)
    } else if c.is_uppercase() {
        Some(Class::Upper)
    } else if c.is_alphabetic() {
        Some(Class::Letter)
    } else {
        None
    }
}

/// The tokens of a value (lower-case), per the documented rules (module docs).
pub(crate) fn tokens(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    for chunk in value.split_whitespace() {
        let mut words: Vec<String> = Vec::new();
        let mut word = String::new();
        let mut prev: Option<Class> = None;
        let mut symbols = 0;
        for c in chunk.chars() {
            let Some(k) = class(c) else {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
                out.push(c.to_lowercase().collect());
                symbols += 1;
                prev = None;
                continue;
            };
            let cut = match (prev, k) {
                (Some(Class::Lower), Class::Upper) => true,
                (Some(Class::Digit), Class::Digit) | (None, _) => false,
                (Some(Class::Digit), _) | (Some(_), Class::Digit) => true,
                _ => false,
            };
            if cut && !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            word.extend(c.to_lowercase());
            prev = Some(k);
        }
        if !word.is_empty() {
            words.push(word);
        }
        // Symbol-separated words are also one joined token (`hello.world` → `helloworld`).
        let joined = (symbols > 0 && words.len() > 1).then(|| words.concat());
        out.extend(words);
        out.extend(joined);
    }
    out
}

/// Does `value` of `property` satisfy one clause's `text`?
pub(crate) fn clause_matches(property: &str, value: Option<&str>, text: &str) -> bool {
    let Some(value) = value else { return false };
    if matches!(property, "displayName" | "description") {
        let stored = tokens(value);
        let wanted = tokens(text);
        !wanted.is_empty()
            && wanted.iter().all(|w| stored.iter().any(|s| s.starts_with(w.as_str())))
    } else {
        value.to_lowercase().starts_with(&text.to_lowercase())
    }
}

impl Search {
    /// Evaluates the expression; `value_of` gives a property's string value.
    pub(crate) fn matches(&self, value_of: &dyn Fn(&str) -> Option<String>) -> bool {
        match self {
            Search::Clause { property, text } => {
                clause_matches(property, value_of(property).as_deref(), text)
            }
            Search::And(parts) => parts.iter().all(|p| p.matches(value_of)),
            Search::Or(parts) => parts.iter().any(|p| p.matches(value_of)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(v: &str) -> Vec<String> {
        tokens(v)
    }

    /// The tokenization examples of `concepts/search-query-parameter.md`.
    #[test]
    fn tokenization_follows_the_documented_examples() {
        assert_eq!(t("hello world"), ["hello", "world"]);
        assert_eq!(t("HelloWorld"), ["hello", "world"]);
        assert_eq!(t("helloWORLD"), ["hello", "world"]);
        assert_eq!(t("HELLOworld"), ["helloworld"]);
        assert_eq!(t("HelloWORld"), ["hello", "world"]);
        assert_eq!(t("hello.world"), [".", "hello", "world", "helloworld"]);
        assert_eq!(t("hello123world"), ["hello", "123", "world"]);
        assert_eq!(t("蓝色group"), ["蓝色group"]);
        assert_eq!(t("contosoAdmin1"), ["contoso", "admin", "1"]);
    }

    #[test]
    fn documented_matches_and_non_matches() {
        let dn = |v: &str, q: &str| clause_matches("displayName", Some(v), q);
        // `李四(David Li)` matches `David`, `Li`, `Li 李` and `(李四`.
        for q in ["David", "Li", "Li 李", "(李四"] {
            assert!(dn("李四(David Li)", q), "{q}");
        }
        assert!(dn("蓝色group", "蓝色"));
        assert!(!dn("蓝色group", "group"));
        assert!(dn("hello-world", "helloworld"));
        // No contains: word prefixes only.
        assert!(dn("Oscar Ward", "wa"));
        assert!(dn("Ana Lima", "ana") && dn("Maria-Ana Sousa", "ana") && dn("AnaLima", "ana"));
        assert!(!dn("Mariana Costa", "ana") && !dn("Luana", "ana"));
        // Other properties: startsWith on the whole value.
        assert!(clause_matches("surname", Some("Lima Costa"), "lima"));
        assert!(!clause_matches("surname", Some("Lima Costa"), "costa"));
        assert!(!clause_matches("givenName", None, "a"));
        // No accent folding.
        assert!(!clause_matches("givenName", Some("Ána"), "ana"));
    }

    #[test]
    fn the_grammar() {
        let c = |p: &'static str, t: &str| Search::Clause { property: p, text: t.into() };
        assert_eq!(parse(r#""displayName:wa""#).unwrap(), c("displayName", "wa"));
        assert_eq!(
            parse(r#""displayName:ana" AND ("mail:ana" OR "displayName:lima")"#).unwrap(),
            Search::And(vec![
                c("displayName", "ana"),
                Search::Or(vec![c("mail", "ana"), c("displayName", "lima")])
            ])
        );
        assert_eq!(
            parse(r#""givenName:a" OR "surname:b" AND "surname:c""#).unwrap(),
            Search::Or(vec![
                c("givenName", "a"),
                Search::And(vec![c("surname", "b"), c("surname", "c")])
            ])
        );
        assert_eq!(parse(r#""surname:a\"b\\c""#).unwrap(), c("surname", r#"a"b\c"#));
        for bad in [
            "displayName:ana",
            r#""displayName:ana" and "mail:x""#,
            r#""ana""#,
            r#""displayName:ana" OR"#,
            r#"("displayName:ana""#,
            r#""nosuch:x""#,
            r#""displayName:ana"#,
            "",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert!(parse(r#""accountEnabled:true""#).is_err(), "not a string property");
    }
}
