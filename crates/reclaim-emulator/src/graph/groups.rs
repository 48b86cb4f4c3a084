//! Group membership (contract §4.c): `checkMemberGroups` and `transitiveMemberOf` (with its
//! `microsoft.graph.group` cast), both transitive through nested groups.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};
use uuid::Uuid;

use super::odata::{self, PropType, QueryOptions, Schema, Val};
use super::{
    Ctx, GROUP_MEMBER_READ, Group, USER_READ, ok_json, page_response, parse_body, user_not_found,
};
use crate::wire_error::GraphError;

/// Most group ids one `checkMemberGroups` call may carry.
const MAX_CHECK_IDS: usize = 20;

/// `(name, type, filterable)` of group properties.
const GROUP_PROPERTIES: [(&str, PropType, bool); 12] = [
    ("id", PropType::String, true),
    ("deletedDateTime", PropType::String, false),
    ("classification", PropType::String, true),
    ("description", PropType::String, true),
    ("displayName", PropType::String, true),
    ("groupTypes", PropType::String, false),
    ("mail", PropType::String, true),
    ("mailEnabled", PropType::Boolean, true),
    ("mailNickname", PropType::String, true),
    ("securityEnabled", PropType::Boolean, true),
    ("securityIdentifier", PropType::String, true),
    ("visibility", PropType::String, true),
];

struct GroupSchema;

impl Schema for GroupSchema {
    fn property(&self, name: &str) -> Option<(&'static str, PropType, bool)> {
        GROUP_PROPERTIES.iter().find(|(p, ..)| p.eq_ignore_ascii_case(name)).copied()
    }
}

fn mail_nickname(g: &Group) -> String {
    let s: String = g.display_name.chars().filter(char::is_ascii_alphanumeric).collect();
    if s.is_empty() { g.id.simple().to_string() } else { s }
}

/// A stable, well-formed security identifier derived from the group id.
fn security_identifier(g: &Group) -> String {
    let b = g.id.as_bytes();
    let part = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    format!("S-1-12-1-{}-{}-{}-{}", part(0), part(4), part(8), part(12))
}

fn group_value(g: &Group, prop: &str) -> Value {
    match prop {
        "id" => json!(g.id),
        "displayName" => json!(g.display_name),
        "groupTypes" => json!([]),
        "mailEnabled" => json!(false),
        "securityEnabled" => json!(true),
        "mailNickname" => json!(mail_nickname(g)),
        "securityIdentifier" => json!(security_identifier(g)),
        _ => Value::Null,
    }
}

/// The `groupIds` of a `checkMemberGroups` body: at most 20 GUIDs, deduplicated.
fn check_ids(body: &[u8]) -> Result<Vec<Uuid>, GraphError> {
    let body = parse_body(body)?;
    let ids = body.get("groupIds").and_then(Value::as_array).ok_or_else(|| {
        GraphError::bad_request(
            "One or more parameters of the function import 'checkMemberGroups' are missing from the request payload. The missing parameters are: groupIds.",
        )
    })?;
    if ids.len() > MAX_CHECK_IDS {
        return Err(GraphError::bad_request(format!(
            "The number of group ids ({}) exceeds the maximum of {MAX_CHECK_IDS} allowed per request.",
            ids.len()
        )));
    }
    let mut wanted: Vec<Uuid> = Vec::new();
    for v in ids {
        let text = v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string());
        let id = Uuid::parse_str(text.trim())
            .map_err(|_| GraphError::bad_request(format!("Invalid object identifier '{text}'.")))?;
        if !wanted.contains(&id) {
            wanted.push(id);
        }
    }
    Ok(wanted)
}

/// `POST /{version}/groups/{id}/checkMemberGroups` — which of ≤ 20 groups the group is in,
/// transitively (GroupMember.Read.All).
pub(crate) async fn check_group_member_groups(
    ctx: Ctx,
    Path(key): Path<String>,
    body: Bytes,
) -> Response {
    let r = (|| -> Result<Response, GraphError> {
        ctx.authorize(&[GROUP_MEMBER_READ])?;
        let wanted = check_ids(&body)?;
        let dir = ctx.state.directory();
        let member_of = Uuid::parse_str(key.trim())
            .ok()
            .and_then(|id| dir.group_transitive_groups(id))
            .ok_or_else(|| {
                GraphError::not_found(format!(
                    "Resource '{key}' does not exist or one of its queried reference-property objects are not present."
                ))
            })?;
        let hits: Vec<String> =
            wanted.into_iter().filter(|g| member_of.contains(g)).map(|g| g.to_string()).collect();
        Ok(ok_json(
            StatusCode::OK,
            json!({ "@odata.context": ctx.metadata("Collection(Edm.String)"), "value": hits }),
        ))
    })();
    ctx.respond(r)
}

/// `POST /{version}/users/{id | upn}/checkMemberGroups` (also under `/directoryObjects/{id}`) — which of ≤ 20 groups the user is in, transitively.
pub(crate) async fn check_member_groups(
    ctx: Ctx,
    Path(key): Path<String>,
    body: Bytes,
) -> Response {
    let r = (|| -> Result<Response, GraphError> {
        ctx.authorize(&[USER_READ, GROUP_MEMBER_READ])?;
        let wanted = check_ids(&body)?;
        let dir = ctx.state.directory();
        let user = dir.user(&key).ok_or_else(|| user_not_found(&key))?;
        let member_of = dir.transitive_groups(&user);
        let hits: Vec<String> =
            wanted.into_iter().filter(|g| member_of.contains(g)).map(|g| g.to_string()).collect();
        Ok(ok_json(
            StatusCode::OK,
            json!({ "@odata.context": ctx.metadata("Collection(Edm.String)"), "value": hits }),
        ))
    })();
    ctx.respond(r)
}

/// Shared body of both `transitiveMemberOf` forms.
fn transitive(ctx: &Ctx, key: &str, raw: Option<&str>, cast: bool) -> Result<Response, GraphError> {
    let mut all_roles: Vec<&str> = USER_READ.to_vec();
    all_roles.extend_from_slice(GROUP_MEMBER_READ);
    ctx.authorize(&[&all_roles])?;
    let q = QueryOptions::parse(raw)?;
    let advanced = ctx.eventual() && q.count;
    let needs_advanced = cast || q.filter.is_some() || q.orderby.is_some() || q.search.is_some();
    if needs_advanced && !advanced {
        return Err(GraphError::new(
            StatusCode::BAD_REQUEST,
            "Request_UnsupportedQuery",
            "This query requires advanced query capabilities: send the header 'ConsistencyLevel: eventual' and '$count=true'.",
        ));
    }
    if q.has_skip {
        return Err(GraphError::bad_request("'$skip' is not supported by the service."));
    }
    if q.search.is_some() || q.orderby.is_some() {
        return Err(GraphError::new(
            StatusCode::BAD_REQUEST,
            "Request_UnsupportedQuery",
            "Sorting and searching are not supported for this collection.",
        ));
    }
    let filter = q.filter.as_deref().map(|f| odata::parse_filter(f, &GroupSchema)).transpose()?;
    let dir = ctx.state.directory();
    let user = dir.user(key).ok_or_else(|| user_not_found(key))?;
    let groups: Vec<&Group> = dir
        .transitive_groups(&user)
        .into_iter()
        .filter_map(|id| dir.group(id))
        .filter(|g| {
            filter.as_ref().is_none_or(|f| {
                let id = g.id.to_string();
                f.matches(&|p| match p {
                    "id" => Val::Str(Some(&id)),
                    "displayName" => Val::Str(Some(&g.display_name)),
                    "mailEnabled" => Val::Bool(false),
                    "securityEnabled" => Val::Bool(true),
                    _ => Val::Str(None),
                })
            })
        })
        .collect();
    let listed: Option<Vec<&'static str>> = match q.select.as_deref() {
        None => None,
        Some(raw) => {
            let mut l = Vec::new();
            for name in odata::select_list(raw)? {
                let (canon, ..) = GroupSchema.property(&name).ok_or_else(|| {
                    GraphError::bad_request(format!(
                        "Could not find a property named '{name}' on type 'microsoft.graph.{}'.",
                        if cast { "group" } else { "directoryObject" }
                    ))
                })?;
                if !l.contains(&canon) {
                    l.push(canon);
                }
            }
            Some(l)
        }
    };
    let props: Vec<&str> = match &listed {
        Some(l) => std::iter::once("id").chain(l.iter().copied().filter(|p| *p != "id")).collect(),
        None => GROUP_PROPERTIES.iter().map(|(p, ..)| *p).collect(),
    };
    let items: Vec<Value> = groups
        .iter()
        .map(|g| {
            let mut m = serde_json::Map::new();
            m.insert("@odata.type".into(), json!("#microsoft.graph.group"));
            for p in &props {
                m.insert((*p).to_owned(), group_value(g, p));
            }
            Value::Object(m)
        })
        .collect();
    let set = if cast { "groups" } else { "directoryObjects" };
    let context = match &listed {
        Some(l) => format!("{set}({})", l.join(",")),
        None => set.to_owned(),
    };
    let count = advanced.then_some(items.len());
    Ok(page_response(ctx, &q, ctx.metadata(&context), items, count))
}

/// `GET /{version}/users/{id | upn}/transitiveMemberOf` — every group the user is in, nested included.
pub(crate) async fn transitive_member_of(
    ctx: Ctx,
    Path(key): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    ctx.respond(transitive(&ctx, &key, raw.as_deref(), false))
}

/// `GET /{version}/users/{id | upn}/transitiveMemberOf/microsoft.graph.group` — the OData cast;
/// needs `ConsistencyLevel: eventual` and `$count=true`.
pub(crate) async fn transitive_member_of_groups(
    ctx: Ctx,
    Path(key): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    ctx.respond(transitive(&ctx, &key, raw.as_deref(), true))
}
