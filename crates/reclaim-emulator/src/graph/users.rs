//! `GET /users` (find by name with `$filter`, `$search` (see [`super::search`]), `$select`,
//! paging, `$count`), `GET /users/$count`,
//! `GET /users/{id | userPrincipalName}`, and the control API's user patch.

use axum::Json;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use super::odata::{self, Filter, PropType, QueryOptions, Schema, Val};
use super::{Ctx, USER_READ, User, UserPatch, page_response, user_not_found};
use crate::state::AppState;
use crate::wire_error::GraphError;

/// `(name, type, filterable, returned by default in v1.0)` for every user property the emulator knows.
const PROPERTIES: [(&str, PropType, bool, bool); 22] = [
    ("id", PropType::String, true, true),
    ("businessPhones", PropType::String, false, true),
    ("displayName", PropType::String, true, true),
    ("givenName", PropType::String, true, true),
    ("jobTitle", PropType::String, true, true),
    ("mail", PropType::String, true, true),
    ("mobilePhone", PropType::String, true, true),
    ("officeLocation", PropType::String, true, true),
    ("preferredLanguage", PropType::String, true, true),
    ("surname", PropType::String, true, true),
    ("userPrincipalName", PropType::String, true, true),
    ("accountEnabled", PropType::Boolean, true, false),
    ("userType", PropType::String, true, false),
    ("mailNickname", PropType::String, true, false),
    ("otherMails", PropType::String, false, false),
    ("proxyAddresses", PropType::String, false, false),
    ("department", PropType::String, true, false),
    ("companyName", PropType::String, true, false),
    ("employeeId", PropType::String, true, false),
    ("usageLocation", PropType::String, true, false),
    ("creationType", PropType::String, true, false),
    ("externalUserState", PropType::String, true, false),
];

/// The `microsoft.graph.user` schema for `$filter` and `$select`.
#[derive(Debug, Clone, Copy)]
pub struct UserSchema;

impl Schema for UserSchema {
    fn property(&self, name: &str) -> Option<(&'static str, PropType, bool)> {
        PROPERTIES
            .iter()
            .find(|(p, ..)| p.eq_ignore_ascii_case(name))
            .map(|(p, t, f, _)| (*p, *t, *f))
    }
}

fn mail_nickname(u: &User) -> &str {
    u.user_principal_name.split('@').next().unwrap_or_default()
}

/// A property's value for `$filter`; `id` is passed in as text (Graph compares ids as strings).
fn filter_value<'a>(u: &'a User, id: &'a str, prop: &str) -> Val<'a> {
    match prop {
        "id" => Val::Str(Some(id)),
        "displayName" => Val::Str(Some(&u.display_name)),
        "givenName" => Val::Str(u.given_name.as_deref()),
        "surname" => Val::Str(u.surname.as_deref()),
        "userPrincipalName" => Val::Str(Some(&u.user_principal_name)),
        "mail" => Val::Str(u.mail.as_deref()),
        "jobTitle" => Val::Str(u.job_title.as_deref()),
        "preferredLanguage" => Val::Str(u.preferred_language.as_deref()),
        "accountEnabled" => Val::Bool(u.account_enabled),
        "userType" => Val::Str(Some(&u.user_type)),
        "mailNickname" => Val::Str(Some(mail_nickname(u))),
        "creationType" => Val::Str(u.is_guest().then_some("Invitation")),
        "externalUserState" => Val::Str(u.is_guest().then_some("Accepted")),
        _ => Val::Str(None),
    }
}

/// A property's value as JSON.
fn json_value(u: &User, prop: &str) -> Value {
    match prop {
        "id" => json!(u.id),
        "businessPhones" | "proxyAddresses" => json!([]),
        "otherMails" => json!(u.other_mails),
        "displayName" => json!(u.display_name),
        "givenName" => json!(u.given_name),
        "surname" => json!(u.surname),
        "userPrincipalName" => json!(u.user_principal_name),
        "mail" => json!(u.mail),
        "jobTitle" => json!(u.job_title),
        "preferredLanguage" => json!(u.preferred_language),
        "accountEnabled" => json!(u.account_enabled),
        "userType" => json!(u.user_type),
        "mailNickname" => json!(mail_nickname(u)),
        "creationType" => json!(u.is_guest().then_some("Invitation")),
        "externalUserState" => json!(u.is_guest().then_some("Accepted")),
        "employeeId" => json!(u.employee_id),
        _ => Value::Null,
    }
}

/// Which properties a response carries and how `@odata.context` names them.
#[derive(Debug, Clone)]
pub(crate) struct Selection {
    props: Vec<&'static str>,
    listed: Option<Vec<&'static str>>,
    /// Directory extension properties (`extension_{appId}_{name}`) named in `$select`: Graph
    /// returns them only when selected, and omits one the user has no value for.
    extensions: Vec<String>,
}

/// `extension_{32 hex}_{name}`.
fn is_extension_property(name: &str) -> bool {
    name.strip_prefix("extension_").and_then(|r| r.split_once('_')).is_some_and(|(app, prop)| {
        app.len() == 32
            && app.chars().all(|c| c.is_ascii_hexdigit())
            && !prop.is_empty()
            && prop.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

impl Selection {
    pub fn parse(q: &QueryOptions, version: super::ApiVersion) -> Result<Self, GraphError> {
        let Some(raw) = q.select.as_deref() else {
            let props = PROPERTIES
                .iter()
                // beta returns the full entity by default; v1.0 a fixed default set.
                .filter(|(_, _, _, default)| *default || version == super::ApiVersion::Beta)
                .map(|(p, ..)| *p)
                .collect();
            return Ok(Self { props, listed: None, extensions: Vec::new() });
        };
        let mut listed: Vec<&'static str> = Vec::new();
        let mut extensions = Vec::new();
        for name in odata::select_list(raw)? {
            if name == "*" {
                listed.extend(PROPERTIES.iter().map(|(p, ..)| *p));
                continue;
            }
            if is_extension_property(&name) {
                if !extensions.contains(&name) {
                    extensions.push(name);
                }
                continue;
            }
            let (canon, ..) = UserSchema.property(&name).ok_or_else(|| {
                GraphError::bad_request(format!(
                    "Could not find a property named '{name}' on type 'microsoft.graph.user'."
                ))
            })?;
            if !listed.contains(&canon) {
                listed.push(canon);
            }
        }
        let mut props = vec!["id"];
        props.extend(listed.iter().filter(|p| **p != "id"));
        Ok(Self { props, listed: Some(listed), extensions })
    }

    /// `users` or `users(id,givenName,…)`.
    pub fn context(&self, set: &str) -> String {
        match &self.listed {
            Some(l) => {
                let names: Vec<&str> =
                    l.iter().copied().chain(self.extensions.iter().map(String::as_str)).collect();
                format!("{set}({})", names.join(","))
            }
            None => set.to_owned(),
        }
    }

    pub fn render(&self, u: &User) -> Value {
        let mut o: serde_json::Map<String, Value> =
            self.props.iter().map(|p| ((*p).to_owned(), json_value(u, p))).collect();
        for e in &self.extensions {
            if let Some(v) = u.extensions.get(e) {
                o.insert(e.clone(), json!(v));
            }
        }
        Value::Object(o)
    }
}

/// Users matching `$filter` / `$search`, ordered per `$orderby`, enforcing which forms need
/// advanced query parameters.
fn find(ctx: &Ctx, q: &QueryOptions, advanced: bool) -> Result<Vec<User>, GraphError> {
    if q.has_skip {
        return Err(GraphError::bad_request("'$skip' is not supported by the service."));
    }
    let filter: Option<Filter> = match q.filter.as_deref() {
        Some(src) => {
            let f = odata::parse_filter(src, &UserSchema)?;
            if let (Some(prop), false) = (f.needs_advanced(), advanced) {
                return Err(odata::FilterError::Unsupported(prop.to_owned()).into());
            }
            Some(f)
        }
        None => None,
    };
    let search = match q.search.as_deref() {
        Some(_) if !ctx.eventual() => {
            return Err(GraphError::new(
                StatusCode::BAD_REQUEST,
                "Request_UnsupportedQuery",
                "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'",
            ));
        }
        Some(s) => Some(super::search::parse(s)?),
        None => None,
    };
    let mut users: Vec<User> = ctx
        .state
        .directory()
        .users()
        .into_iter()
        .filter(|u| {
            filter.as_ref().is_none_or(|f| {
                let id = u.id.to_string();
                f.matches(&|p| filter_value(u, &id, p))
            })
        })
        .filter(|u| {
            search
                .as_ref()
                .is_none_or(|s| s.matches(&|p| json_value(u, p).as_str().map(str::to_owned)))
        })
        .collect();
    if let Some(order) = q.orderby.as_deref() {
        let (prop, desc) = parse_orderby(order, advanced, q.filter.is_some())?;
        users.sort_by(|a, b| {
            let key = |u: &User| json_value(u, prop).as_str().unwrap_or_default().to_lowercase();
            let o = key(a).cmp(&key(b));
            if desc { o.reverse() } else { o }
        });
    }
    Ok(users)
}

/// `$orderby` on users: displayName / userPrincipalName by default; more with advanced queries.
fn parse_orderby(
    raw: &str,
    advanced: bool,
    filtered: bool,
) -> Result<(&'static str, bool), GraphError> {
    let unsupported = || {
        GraphError::new(
            StatusCode::BAD_REQUEST,
            "Request_UnsupportedQuery",
            "Sorting not supported for current query.",
        )
    };
    let mut words = raw.split_whitespace();
    let name = words.next().ok_or_else(|| GraphError::bad_request("Invalid $orderby clause."))?;
    let desc = match words.next().map(str::to_ascii_lowercase).as_deref() {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(_) => return Err(GraphError::bad_request("Invalid $orderby clause.")),
    };
    if words.next().is_some() || raw.contains(',') {
        return Err(unsupported());
    }
    let (prop, ty, _) = UserSchema.property(name).ok_or_else(|| {
        GraphError::bad_request(format!(
            "Could not find a property named '{name}' on type 'microsoft.graph.user'."
        ))
    })?;
    let by_default = matches!(prop, "displayName" | "userPrincipalName");
    if ty != PropType::String || (filtered && !advanced) || (!by_default && !advanced) {
        return Err(unsupported());
    }
    Ok((prop, desc))
}

/// `GET /{version}/users` — list users, e.g. find one by `givenName`/`surname`.
pub(crate) async fn list_users(ctx: Ctx, RawQuery(raw): RawQuery) -> Response {
    let r = (|| -> Result<Response, GraphError> {
        ctx.authorize(&[USER_READ])?;
        let q = QueryOptions::parse(raw.as_deref())?;
        let advanced = ctx.eventual() && q.count;
        let users = find(&ctx, &q, advanced)?;
        let select = Selection::parse(&q, ctx.version)?;
        // Without `ConsistencyLevel: eventual`, `$count=true` is silently ignored.
        let count = advanced.then_some(users.len());
        let items = users.iter().map(|u| select.render(u)).collect();
        Ok(page_response(&ctx, &q, ctx.metadata(&select.context("users")), items, count))
    })();
    ctx.respond(r)
}

/// `GET /{version}/users/$count` — a plain-text number; needs `ConsistencyLevel: eventual`.
pub(crate) async fn count_users(ctx: Ctx, RawQuery(raw): RawQuery) -> Response {
    let r = (|| -> Result<Response, GraphError> {
        ctx.authorize(&[USER_READ])?;
        if !ctx.eventual() {
            return Err(GraphError::bad_request("$count is not currently supported."));
        }
        let q = QueryOptions::parse(raw.as_deref())?;
        let n = find(&ctx, &q, true)?.len();
        Ok(([(header::CONTENT_TYPE, "text/plain;charset=utf-8")], n.to_string()).into_response())
    })();
    ctx.respond(r)
}

/// `GET /{version}/users/{id | userPrincipalName}` — one user.
pub(crate) async fn get_user(
    ctx: Ctx,
    Path(key): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let r = (|| -> Result<Response, GraphError> {
        ctx.authorize(&[USER_READ])?;
        let q = QueryOptions::parse(raw.as_deref())?;
        let user = ctx.state.directory().user(&key).ok_or_else(|| user_not_found(&key))?;
        let select = Selection::parse(&q, ctx.version)?;
        let mut body = select.render(&user);
        if let Value::Object(m) = &mut body {
            m.insert(
                "@odata.context".into(),
                json!(ctx.metadata(&format!("{}/$entity", select.context("users")))),
            );
        }
        Ok((StatusCode::OK, Json(body)).into_response())
    })();
    ctx.respond(r)
}

/// The control API's view of a user: everything, including transitive groups.
fn control_user(state: &AppState, u: &User) -> Value {
    let dir = state.directory();
    json!({
        "id": u.id,
        "userPrincipalName": u.user_principal_name,
        "displayName": u.display_name,
        "givenName": u.given_name,
        "surname": u.surname,
        "accountEnabled": u.account_enabled,
        "userType": u.user_type,
        "mail": u.mail,
        "jobTitle": u.job_title,
        "preferredLanguage": u.preferred_language,
        "photo": u.photo,
        "groups": u.groups,
        "transitiveGroups": dir.transitive_groups(u),
    })
}

fn control_not_found(key: &str) -> Response {
    (StatusCode::NOT_FOUND, Json(json!({"error": "unknown_user", "user": key}))).into_response()
}

/// `GET {control}/directory/users` — every user as the emulator holds it.
async fn control_list(State(s): State<AppState>) -> Json<Value> {
    Json(Value::Array(s.directory().users().iter().map(|u| control_user(&s, u)).collect()))
}

/// `GET {control}/directory/users/{id | upn}` — one user as the emulator holds it.
async fn control_get(State(s): State<AppState>, Path(key): Path<String>) -> Response {
    match s.directory().user(&key) {
        Some(u) => Json(control_user(&s, &u)).into_response(),
        None => control_not_found(&key),
    }
}

/// `PATCH {control}/directory/users/{id | upn}` — change accountEnabled / givenName / surname /
/// displayName / jobTitle / preferredLanguage / photo, or replace the direct group memberships
/// (`groups`).
async fn control_patch(
    State(s): State<AppState>,
    Path(key): Path<String>,
    Json(patch): Json<UserPatch>,
) -> Response {
    match s.directory().patch_user(&key, patch) {
        Some(u) => Json(control_user(&s, &u)).into_response(),
        None => control_not_found(&key),
    }
}

/// Control routes for users.
pub(crate) fn control_routes() -> Router<AppState> {
    Router::new()
        .route("/directory/users", get(control_list))
        .route("/directory/users/{key}", get(control_get).patch(control_patch))
}
