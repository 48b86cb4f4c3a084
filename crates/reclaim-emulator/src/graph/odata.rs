//! OData query options as Graph's directory endpoints read them: `$filter` (a small, total parser —
//! hostile input yields an error, never a panic), `$select`, `$top`, `$count`, `$skiptoken`,
//! `$orderby`, `$search`, and the query string an `@odata.nextLink` repeats.

use axum::http::StatusCode;

use crate::state::AppState;
use crate::wire_error::GraphError;

/// Deepest nesting of parentheses / `not` a filter may use.
const MAX_DEPTH: usize = 32;
/// Longest `$filter` accepted (Graph rejects very long URLs long before this).
const MAX_FILTER_LEN: usize = 4096;

/// System query options the service knows; any other `$name` is refused.
const KNOWN_OPTIONS: [&str; 11] = [
    "$filter",
    "$select",
    "$top",
    "$count",
    "$skiptoken",
    "$skip",
    "$orderby",
    "$search",
    "$expand",
    "$format",
    "$deltatoken",
];

/// Parsed query options of a collection request.
#[derive(Debug, Clone, Default)]
pub struct QueryOptions {
    /// Decoded `(name, value)` pairs in caller order, without `$skiptoken` (repeated in nextLinks).
    pairs: Vec<(String, String)>,
    pub filter: Option<String>,
    pub select: Option<String>,
    pub top: Option<usize>,
    pub count: bool,
    /// Offset decoded from `$skiptoken`.
    pub skip: usize,
    /// `$skip` was given (not supported on directory collections).
    pub has_skip: bool,
    pub orderby: Option<String>,
    pub search: Option<String>,
}

impl QueryOptions {
    /// Reads a raw query string (`+` and `%xx` decoded, names case-insensitive).
    pub fn parse(raw: Option<&str>) -> Result<Self, GraphError> {
        let mut q = QueryOptions::default();
        let mut seen: Vec<String> = Vec::new();
        for (k, v) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
            let name = k.trim().to_ascii_lowercase();
            let value = v.into_owned();
            if !name.starts_with('$') {
                // Graph ignores parameters that are not system query options.
                q.pairs.push((k.into_owned(), value));
                continue;
            }
            if !KNOWN_OPTIONS.contains(&name.as_str()) {
                return Err(GraphError::new(
                    StatusCode::BAD_REQUEST,
                    "BadRequest",
                    format!("The query parameter '{k}' is not supported."),
                ));
            }
            if seen.contains(&name) {
                return Err(GraphError::new(
                    StatusCode::BAD_REQUEST,
                    "BadRequest",
                    format!(
                        "Query option '{name}' was specified more than once, but it must be specified at most once."
                    ),
                ));
            }
            seen.push(name.clone());
            match name.as_str() {
                "$skiptoken" => {
                    q.skip = super::decode_skiptoken(&value)?;
                    continue;
                }
                "$filter" => q.filter = Some(value.clone()),
                "$select" => q.select = Some(value.clone()),
                "$top" => {
                    let bad = || {
                        GraphError::bad_request(format!(
                            "Invalid page size specified: '{value}'. Must be between 1 and 999 inclusive."
                        ))
                    };
                    let n: usize = value.trim().parse().map_err(|_| bad())?;
                    if !(1..=999).contains(&n) {
                        return Err(bad());
                    }
                    q.top = Some(n);
                }
                "$count" => {
                    q.count = match value.trim().to_ascii_lowercase().as_str() {
                        "true" => true,
                        "false" => false,
                        _ => {
                            return Err(GraphError::bad_request(format!(
                                "'{value}' is not a valid count option."
                            )));
                        }
                    }
                }
                "$skip" => q.has_skip = true,
                "$orderby" => q.orderby = Some(value.clone()),
                "$search" => q.search = Some(value.clone()),
                _ => {}
            }
            q.pairs.push((name, value));
        }
        Ok(q)
    }

    /// Items per page: `$top`, else the tenant default.
    pub fn page_size(&self, state: &AppState) -> usize {
        self.top.unwrap_or(state.settings().graph_default_page_size).max(1)
    }

    /// The caller's query with a `$skiptoken` for `offset`, URL-encoded.
    pub fn next_query(&self, offset: usize) -> String {
        let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let mut parts: Vec<String> = self
            .pairs
            .iter()
            .map(|(k, v)| {
                // System option names stay readable (`$filter`), as in Graph's own links.
                let key = if k.starts_with('$') { k.clone() } else { enc(k) };
                format!("{key}={}", enc(v))
            })
            .collect();
        parts.push(format!("$skiptoken={}", super::encode_skiptoken(offset)));
        parts.join("&")
    }
}

/// Splits `$select` into trimmed names; empty items are a syntax error.
pub fn select_list(raw: &str) -> Result<Vec<String>, GraphError> {
    let items: Vec<String> = raw.split(',').map(|s| s.trim().to_owned()).collect();
    if items.iter().any(String::is_empty) {
        return Err(GraphError::bad_request(format!("Invalid $select clause: '{raw}'.")));
    }
    Ok(items)
}

/// Why a `$filter` was refused; each maps onto a Graph error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    #[error("Invalid filter clause: {0}")]
    Syntax(String),
    #[error("Could not find a property named '{0}' on type 'microsoft.graph.user'.")]
    UnknownProperty(String),
    #[error(
        "Unsupported or invalid query filter clause specified for property '{0}' of resource 'User'."
    )]
    Unsupported(String),
    #[error(
        "A binary operator with incompatible types was detected. Found operand types '{0}' and '{1}' for operator kind '{2}'."
    )]
    Incompatible(&'static str, &'static str, &'static str),
}

impl From<FilterError> for GraphError {
    fn from(e: FilterError) -> Self {
        match e {
            FilterError::Unsupported(_) => {
                GraphError::new(StatusCode::BAD_REQUEST, "Request_UnsupportedQuery", e.to_string())
            }
            other => GraphError::bad_request(other.to_string()),
        }
    }
}

/// Type of a filterable property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PropType {
    String,
    Boolean,
}

/// How an entity's properties look to the filter: canonical name and type, or unknown.
pub trait Schema {
    /// `Some((canonical name, type, filterable))` for a property of the entity.
    fn property(&self, name: &str) -> Option<(&'static str, PropType, bool)>;
}

/// A literal on the right-hand side of a comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Literal {
    Str(String),
    Bool(bool),
    Null,
}

impl Literal {
    fn type_name(&self) -> &'static str {
        match self {
            Literal::Str(_) => "Edm.String",
            Literal::Bool(_) => "Edm.Boolean",
            Literal::Null => "null",
        }
    }
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Ge,
    Le,
}

/// A parsed `$filter` expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    Cmp { prop: &'static str, op: CmpOp, value: Literal },
    In { prop: &'static str, values: Vec<Literal> },
    StartsWith { prop: &'static str, value: String },
    EndsWith { prop: &'static str, value: String },
}

/// A property value of one entity, for evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Val<'a> {
    Str(Option<&'a str>),
    Bool(bool),
}

impl Filter {
    /// The first property used in a way that needs advanced query parameters
    /// (`ConsistencyLevel: eventual` + `$count=true`): `ne`, `not`, `endsWith`, `eq null`.
    pub fn needs_advanced(&self) -> Option<&'static str> {
        match self {
            Filter::And(a, b) | Filter::Or(a, b) => {
                a.needs_advanced().or_else(|| b.needs_advanced())
            }
            Filter::Not(inner) => Some(inner.first_prop()),
            Filter::Cmp { prop, op: CmpOp::Ne, .. } => Some(prop),
            Filter::Cmp { prop, value: Literal::Null, .. } => Some(prop),
            Filter::EndsWith { prop, .. } => Some(prop),
            Filter::Cmp { .. } | Filter::In { .. } | Filter::StartsWith { .. } => None,
        }
    }

    fn first_prop(&self) -> &'static str {
        match self {
            Filter::And(a, _) | Filter::Or(a, _) => a.first_prop(),
            Filter::Not(inner) => inner.first_prop(),
            Filter::Cmp { prop, .. }
            | Filter::In { prop, .. }
            | Filter::StartsWith { prop, .. }
            | Filter::EndsWith { prop, .. } => prop,
        }
    }

    /// Evaluates against one entity. Strings compare case-insensitively (as the directory does);
    /// diacritics are significant.
    pub fn matches<'a>(&self, get: &dyn Fn(&str) -> Val<'a>) -> bool {
        match self {
            Filter::And(a, b) => a.matches(get) && b.matches(get),
            Filter::Or(a, b) => a.matches(get) || b.matches(get),
            Filter::Not(inner) => !inner.matches(get),
            Filter::Cmp { prop, op, value } => compare(&get(prop), *op, value),
            Filter::In { prop, values } => {
                let v = get(prop);
                values.iter().any(|l| compare(&v, CmpOp::Eq, l))
            }
            Filter::StartsWith { prop, value } => match get(prop) {
                Val::Str(Some(s)) => s.to_lowercase().starts_with(&value.to_lowercase()),
                _ => false,
            },
            Filter::EndsWith { prop, value } => match get(prop) {
                Val::Str(Some(s)) => s.to_lowercase().ends_with(&value.to_lowercase()),
                _ => false,
            },
        }
    }
}

fn compare(v: &Val<'_>, op: CmpOp, lit: &Literal) -> bool {
    let ord = match (v, lit) {
        (Val::Str(None), Literal::Null) => Some(std::cmp::Ordering::Equal),
        (Val::Str(Some(_)), Literal::Null) | (Val::Str(None), Literal::Str(_)) => None,
        (Val::Str(Some(a)), Literal::Str(b)) => Some(a.to_lowercase().cmp(&b.to_lowercase())),
        (Val::Bool(a), Literal::Bool(b)) => Some(a.cmp(b)),
        _ => None,
    };
    match op {
        CmpOp::Eq => ord == Some(std::cmp::Ordering::Equal),
        CmpOp::Ne => ord != Some(std::cmp::Ordering::Equal),
        CmpOp::Ge => ord.is_some_and(|o| o != std::cmp::Ordering::Less),
        CmpOp::Le => ord.is_some_and(|o| o != std::cmp::Ordering::Greater),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Ident(String),
    Str(String),
    Open,
    Close,
    Comma,
}

fn tokenize(src: &str) -> Result<Vec<Tok>, FilterError> {
    let mut out = Vec::new();
    let mut chars = src.char_indices().peekable();
    while let Some(&(i, c)) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' => {
                chars.next();
                out.push(Tok::Open);
            }
            ')' => {
                chars.next();
                out.push(Tok::Close);
            }
            ',' => {
                chars.next();
                out.push(Tok::Comma);
            }
            '\'' => {
                chars.next();
                let mut s = String::new();
                loop {
                    match chars.next() {
                        Some((_, '\'')) => {
                            // `''` is an escaped quote inside the literal.
                            if chars.peek().is_some_and(|&(_, c)| c == '\'') {
                                chars.next();
                                s.push('\'');
                            } else {
                                break;
                            }
                        }
                        Some((_, c)) => s.push(c),
                        None => {
                            return Err(FilterError::Syntax(format!(
                                "unterminated string literal at position {i}"
                            )));
                        }
                    }
                }
                out.push(Tok::Str(s));
            }
            c if c.is_alphanumeric() || c == '_' || c == '.' || c == '/' || c == '-' => {
                let mut s = String::new();
                while let Some(&(_, c)) = chars.peek() {
                    if c.is_alphanumeric() || c == '_' || c == '.' || c == '/' || c == '-' {
                        s.push(c);
                        chars.next();
                    } else {
                        break;
                    }
                }
                out.push(Tok::Ident(s));
            }
            other => {
                return Err(FilterError::Syntax(format!(
                    "character '{other}' is not valid at position {i}"
                )));
            }
        }
    }
    Ok(out)
}

struct Parser<'s> {
    toks: Vec<Tok>,
    pos: usize,
    schema: &'s dyn Schema,
}

/// Parses a `$filter` against an entity schema.
pub fn parse_filter(src: &str, schema: &dyn Schema) -> Result<Filter, FilterError> {
    if src.len() > MAX_FILTER_LEN {
        return Err(FilterError::Syntax("the filter is too long".into()));
    }
    let toks = tokenize(src)?;
    if toks.is_empty() {
        return Err(FilterError::Syntax("the filter is empty".into()));
    }
    let mut p = Parser { toks, pos: 0, schema };
    let f = p.or_expr(0)?;
    if p.pos != p.toks.len() {
        return Err(FilterError::Syntax(format!("unexpected token at position {}", p.pos)));
    }
    Ok(f)
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn keyword(&self, kw: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(s)) if s.eq_ignore_ascii_case(kw))
    }

    fn expect(&mut self, t: Tok, what: &str) -> Result<(), FilterError> {
        if self.next().as_ref() == Some(&t) {
            Ok(())
        } else {
            Err(FilterError::Syntax(format!("expected {what}")))
        }
    }

    fn or_expr(&mut self, depth: usize) -> Result<Filter, FilterError> {
        let mut left = self.and_expr(depth)?;
        while self.keyword("or") {
            self.pos += 1;
            let right = self.and_expr(depth)?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and_expr(&mut self, depth: usize) -> Result<Filter, FilterError> {
        let mut left = self.unary(depth)?;
        while self.keyword("and") {
            self.pos += 1;
            let right = self.unary(depth)?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self, depth: usize) -> Result<Filter, FilterError> {
        if depth > MAX_DEPTH {
            return Err(FilterError::Syntax("the filter is nested too deeply".into()));
        }
        if self.keyword("not") {
            self.pos += 1;
            return Ok(Filter::Not(Box::new(self.unary(depth + 1)?)));
        }
        if self.peek() == Some(&Tok::Open) {
            self.pos += 1;
            let inner = self.or_expr(depth + 1)?;
            self.expect(Tok::Close, "')'")?;
            return Ok(inner);
        }
        self.primary()
    }

    fn property(&self, name: &str) -> Result<(&'static str, PropType), FilterError> {
        match self.schema.property(name) {
            Some((canon, ty, true)) => Ok((canon, ty)),
            Some((canon, _, false)) => Err(FilterError::Unsupported(canon.to_owned())),
            None => Err(FilterError::UnknownProperty(name.to_owned())),
        }
    }

    fn literal(&mut self) -> Result<Literal, FilterError> {
        match self.next() {
            Some(Tok::Str(s)) => Ok(Literal::Str(s)),
            Some(Tok::Ident(s)) if s == "null" => Ok(Literal::Null),
            Some(Tok::Ident(s)) if s == "true" => Ok(Literal::Bool(true)),
            Some(Tok::Ident(s)) if s == "false" => Ok(Literal::Bool(false)),
            Some(Tok::Ident(s)) => {
                Err(FilterError::Syntax(format!("'{s}' is not a supported literal")))
            }
            _ => Err(FilterError::Syntax("expected a literal".into())),
        }
    }

    fn primary(&mut self) -> Result<Filter, FilterError> {
        let Some(Tok::Ident(name)) = self.next() else {
            return Err(FilterError::Syntax("expected a property or function".into()));
        };
        let lower = name.to_ascii_lowercase();
        if (lower == "startswith" || lower == "endswith") && self.peek() == Some(&Tok::Open) {
            self.pos += 1;
            let Some(Tok::Ident(prop)) = self.next() else {
                return Err(FilterError::Syntax(format!("{name} expects a property first")));
            };
            let (prop, ty) = self.property(&prop)?;
            self.expect(Tok::Comma, "','")?;
            let value = match self.literal()? {
                Literal::Str(s) if ty == PropType::String => s,
                other => {
                    return Err(FilterError::Incompatible(
                        prop_type_name(ty),
                        other.type_name(),
                        "StartsWith",
                    ));
                }
            };
            self.expect(Tok::Close, "')'")?;
            return Ok(if lower == "startswith" {
                Filter::StartsWith { prop, value }
            } else {
                Filter::EndsWith { prop, value }
            });
        }
        let (prop, ty) = self.property(&name)?;
        let Some(Tok::Ident(op)) = self.next() else {
            return Err(FilterError::Syntax(format!("expected an operator after '{name}'")));
        };
        let op = match op.to_ascii_lowercase().as_str() {
            "eq" => CmpOp::Eq,
            "ne" => CmpOp::Ne,
            "ge" => CmpOp::Ge,
            "le" => CmpOp::Le,
            "in" => {
                self.expect(Tok::Open, "'(' after in")?;
                let mut values = vec![self.typed_literal(prop, ty, "In")?];
                while self.peek() == Some(&Tok::Comma) {
                    self.pos += 1;
                    values.push(self.typed_literal(prop, ty, "In")?);
                }
                self.expect(Tok::Close, "')'")?;
                return Ok(Filter::In { prop, values });
            }
            "gt" | "lt" | "has" => return Err(FilterError::Unsupported(prop.to_owned())),
            other => return Err(FilterError::Syntax(format!("unknown operator '{other}'"))),
        };
        let kind = match op {
            CmpOp::Eq => "Equal",
            CmpOp::Ne => "NotEqual",
            CmpOp::Ge => "GreaterThanOrEqual",
            CmpOp::Le => "LessThanOrEqual",
        };
        let value = self.typed_literal(prop, ty, kind)?;
        if ty == PropType::Boolean && matches!(op, CmpOp::Ge | CmpOp::Le) {
            return Err(FilterError::Unsupported(prop.to_owned()));
        }
        Ok(Filter::Cmp { prop, op, value })
    }

    fn typed_literal(
        &mut self,
        _prop: &'static str,
        ty: PropType,
        kind: &'static str,
    ) -> Result<Literal, FilterError> {
        let lit = self.literal()?;
        match (&lit, ty) {
            (Literal::Null, _)
            | (Literal::Str(_), PropType::String)
            | (Literal::Bool(_), PropType::Boolean) => Ok(lit),
            _ => Err(FilterError::Incompatible(prop_type_name(ty), lit.type_name(), kind)),
        }
    }
}

fn prop_type_name(t: PropType) -> &'static str {
    match t {
        PropType::String => "Edm.String",
        PropType::Boolean => "Edm.Boolean",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    struct S;
    impl Schema for S {
        fn property(&self, name: &str) -> Option<(&'static str, PropType, bool)> {
            match name.to_ascii_lowercase().as_str() {
                "givenname" => Some(("givenName", PropType::String, true)),
                "surname" => Some(("surname", PropType::String, true)),
                "accountenabled" => Some(("accountEnabled", PropType::Boolean, true)),
                "jobtitle" => Some(("jobTitle", PropType::String, false)),
                _ => None,
            }
        }
    }

    fn get(p: &str) -> Val<'static> {
        match p {
            "givenName" => Val::Str(Some("Siobhán")),
            "surname" => Val::Str(Some("O'Brien")),
            "accountEnabled" => Val::Bool(true),
            _ => Val::Str(None),
        }
    }

    #[test]
    fn quotes_double_and_case_folds() {
        let f = parse_filter("givenName eq 'SIOBHÁN' and surname eq 'o''brien'", &S).unwrap();
        assert!(f.matches(&get));
        assert_eq!(f.needs_advanced(), None);
        let f = parse_filter("surname eq 'OBrien'", &S).unwrap();
        assert!(!f.matches(&get));
    }

    #[test]
    fn functions_in_and_booleans() {
        assert!(parse_filter("startsWith(surname,'o''b')", &S).unwrap().matches(&get));
        assert!(parse_filter("givenName in ('x', 'siobhán')", &S).unwrap().matches(&get));
        assert!(parse_filter("accountEnabled eq true", &S).unwrap().matches(&get));
        let f = parse_filter("not (givenName eq 'x') or endswith(surname,'n')", &S).unwrap();
        assert_eq!(f.needs_advanced(), Some("givenName"));
        assert_eq!(parse_filter("surname eq null", &S).unwrap().needs_advanced(), Some("surname"));
    }

    #[test]
    fn hostile_input_is_an_error_not_a_panic() {
        for bad in [
            "",
            "givenName eq",
            "givenName eq 'unterminated",
            "givenName = 'x'",
            "(((((",
            ")",
            "startsWith(",
            "startsWith(givenName)",
            "givenName in ()",
            "and and",
            "givenName eq 'a' and",
            "'x' eq givenName",
            "givenName eq 'a' 'b'",
            "accountEnabled eq 'yes'",
            "givenName eq 1",
        ] {
            assert!(parse_filter(bad, &S).is_err(), "{bad}");
        }
        let deep = format!("{}givenName eq 'a'{}", "(".repeat(200), ")".repeat(200));
        assert!(matches!(parse_filter(&deep, &S), Err(FilterError::Syntax(_))));
        let long = format!("givenName eq '{}'", "a".repeat(MAX_FILTER_LEN));
        assert!(matches!(parse_filter(&long, &S), Err(FilterError::Syntax(_))));
        let nots = format!("{}givenName eq 'a'", "not ".repeat(100));
        assert!(parse_filter(&nots, &S).is_err());
    }

    #[test]
    fn unknown_and_unfilterable_properties_are_named() {
        assert_eq!(
            parse_filter("nickname eq 'x'", &S),
            Err(FilterError::UnknownProperty("nickname".into()))
        );
        assert_eq!(
            parse_filter("jobtitle eq 'x'", &S),
            Err(FilterError::Unsupported("jobTitle".into()))
        );
    }
}
