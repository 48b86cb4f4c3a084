//! Directory role assignments (`microsoft-apis-v2.md` §2): active assignments
//! (`roleAssignments`, v1.0 and beta), the transitive view that also returns assignments held
//! through role-assignable groups (`transitiveRoleAssignments`, beta only, 404 without
//! `ConsistencyLevel: eventual`), and PIM-eligible ones (`roleEligibilityScheduleInstances`).
//! Only `$filter=principalId eq '…'` is served (what Reclaim sends); a test can grant a role
//! mid-session through the control API.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine as _;
use serde_json::{Value, json};
use uuid::Uuid;

use super::odata::QueryOptions;
use super::{Ctx, Directory, ok_json};
use crate::state::AppState;
use crate::wire_error::GraphError;

/// Permissions that read role assignments (least first).
const ROLE_READ: &[&str] = &[
    "RoleManagement.Read.Directory",
    "RoleManagement.Read.All",
    "Directory.Read.All",
    "RoleManagement.ReadWrite.Directory",
    "Directory.ReadWrite.All",
];
/// Permissions that read eligibility schedules.
const ELIGIBILITY_READ: &[&str] = &[
    "RoleEligibilitySchedule.Read.Directory",
    "RoleManagement.Read.Directory",
    "RoleManagement.Read.All",
    "Directory.Read.All",
    "RoleEligibilitySchedule.ReadWrite.Directory",
    "RoleManagement.ReadWrite.Directory",
    "Directory.ReadWrite.All",
];

/// One role assignment as the emulator holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleAssignment {
    pub id: String,
    pub principal_id: Uuid,
    pub role_definition_id: String,
    pub directory_scope_id: String,
    pub eligible: bool,
}

impl RoleAssignment {
    /// An assignment with an id in the shape Graph uses (base64url of the role and principal,
    /// `-1` suffix).
    pub fn new(
        principal_id: Uuid,
        role_definition_id: &str,
        directory_scope_id: &str,
        eligible: bool,
    ) -> Self {
        let mut bytes = principal_id.as_bytes().to_vec();
        bytes.extend(Uuid::parse_str(role_definition_id).map(|u| *u.as_bytes()).unwrap_or([0; 16]));
        let id = format!(
            "{}-{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes),
            if eligible { 2 } else { 1 }
        );
        Self {
            id,
            principal_id,
            role_definition_id: role_definition_id.to_ascii_lowercase(),
            directory_scope_id: directory_scope_id.to_owned(),
            eligible,
        }
    }
}

impl Directory {
    /// Every role assignment, active and eligible.
    pub fn role_assignments(&self) -> Vec<RoleAssignment> {
        self.roles.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Adds an assignment (control API).
    pub fn add_role_assignment(&self, a: RoleAssignment) {
        self.roles.write().unwrap_or_else(|e| e.into_inner()).push(a);
    }

    /// Active assignments whose principal is `principal` itself.
    fn active_of(&self, principal: Uuid) -> Vec<RoleAssignment> {
        self.role_assignments()
            .into_iter()
            .filter(|a| !a.eligible && a.principal_id == principal)
            .collect()
    }

    /// Active assignments of the principal and, for a user, of every group it is in
    /// (transitively): group-held ones keep the group's id as `principalId`.
    fn transitive_of(&self, principal: Uuid) -> Vec<RoleAssignment> {
        let mut ids = vec![principal];
        if let Some(user) = self.user(&principal.to_string()) {
            ids.extend(self.transitive_groups(&user));
        }
        self.role_assignments()
            .into_iter()
            .filter(|a| !a.eligible && ids.contains(&a.principal_id))
            .collect()
    }

    /// Eligible assignments whose principal is `principal` itself.
    fn eligible_of(&self, principal: Uuid) -> Vec<RoleAssignment> {
        self.role_assignments()
            .into_iter()
            .filter(|a| a.eligible && a.principal_id == principal)
            .collect()
    }
}

/// The principal id of `principalId eq '<guid>'` (the only filter served).
fn principal_filter(q: &QueryOptions) -> Result<Option<Uuid>, GraphError> {
    let Some(f) = q.filter.as_deref() else { return Ok(None) };
    let unsupported = || {
        GraphError::new(
            StatusCode::BAD_REQUEST,
            "Request_UnsupportedQuery",
            "Unsupported or invalid query filter clause specified for property 'principalId' of resource 'UnifiedRoleAssignment'.",
        )
    };
    let f = f.trim();
    let (prop, rest) = f.split_once(char::is_whitespace).ok_or_else(unsupported)?;
    let (op, value) = rest.trim().split_once(char::is_whitespace).ok_or_else(unsupported)?;
    if !prop.eq_ignore_ascii_case("principalId") || !op.eq_ignore_ascii_case("eq") {
        return Err(unsupported());
    }
    let value = value.trim();
    let inner =
        value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')).ok_or_else(unsupported)?;
    // A principal id that is not a GUID matches nobody (Graph answers an empty collection).
    Ok(Some(Uuid::parse_str(inner).unwrap_or(Uuid::nil())))
}

fn assignment_json(a: &RoleAssignment) -> Value {
    json!({
        "id": a.id,
        "principalId": a.principal_id,
        "resourceScope": a.directory_scope_id,
        "directoryScopeId": a.directory_scope_id,
        "roleDefinitionId": a.role_definition_id,
    })
}

fn eligibility_json(a: &RoleAssignment) -> Value {
    json!({
        "id": a.id,
        "principalId": a.principal_id,
        "roleDefinitionId": a.role_definition_id,
        "directoryScopeId": a.directory_scope_id,
        "appScopeId": null,
        "startDateTime": "2026-01-01T00:00:00Z",
        "endDateTime": null,
        "memberType": "Direct",
        "roleEligibilityScheduleId": a.id,
    })
}

fn collection(ctx: &Ctx, fragment: &str, items: Vec<Value>, count: bool) -> Response {
    let mut body = serde_json::Map::new();
    body.insert("@odata.context".into(), json!(ctx.metadata(fragment)));
    if count {
        body.insert("@odata.count".into(), json!(items.len()));
    }
    body.insert("value".into(), Value::Array(items));
    ok_json(StatusCode::OK, Value::Object(body))
}

/// `GET /{version}/roleManagement/directory/roleAssignments[?$filter=principalId eq '…']` —
/// active assignments whose principal is exactly that id (a group's are not the user's).
pub(crate) async fn role_assignments(ctx: Ctx, RawQuery(raw): RawQuery) -> Response {
    let r = (|| -> Result<Response, GraphError> {
        ctx.authorize(&[ROLE_READ])?;
        let q = QueryOptions::parse(raw.as_deref())?;
        let dir = ctx.state.directory();
        let items: Vec<Value> = match principal_filter(&q)? {
            Some(p) => dir.active_of(p),
            None => dir.role_assignments().into_iter().filter(|a| !a.eligible).collect(),
        }
        .iter()
        .map(assignment_json)
        .collect();
        Ok(collection(&ctx, "roleManagement/directory/roleAssignments", items, false))
    })();
    ctx.respond(r)
}

/// `GET /beta/roleManagement/directory/transitiveRoleAssignments?$count=true&$filter=principalId eq '…'`
/// with `ConsistencyLevel: eventual` (404 without it; `$count` and `$filter` required).
pub(crate) async fn transitive_role_assignments(ctx: Ctx, RawQuery(raw): RawQuery) -> Response {
    let r = (|| -> Result<Response, GraphError> {
        ctx.authorize(&[ROLE_READ])?;
        if !ctx.eventual() {
            return Err(GraphError::not_found(
                "The request requires the 'ConsistencyLevel: eventual' header.",
            ));
        }
        let q = QueryOptions::parse(raw.as_deref())?;
        let Some(principal) = principal_filter(&q)?.filter(|_| q.count) else {
            return Err(GraphError::new(
                StatusCode::BAD_REQUEST,
                "Request_UnsupportedQuery",
                "This query requires '$count=true' and a '$filter' on principalId, roleDefinitionId or directoryScopeId.",
            ));
        };
        let items: Vec<Value> =
            ctx.state.directory().transitive_of(principal).iter().map(assignment_json).collect();
        Ok(collection(&ctx, "roleManagement/directory/transitiveRoleAssignments", items, true))
    })();
    ctx.respond(r)
}

/// `GET /{version}/roleManagement/directory/roleEligibilityScheduleInstances[?$filter=principalId eq '…']`.
pub(crate) async fn role_eligibility_instances(ctx: Ctx, RawQuery(raw): RawQuery) -> Response {
    let r = (|| -> Result<Response, GraphError> {
        ctx.authorize(&[ELIGIBILITY_READ])?;
        let q = QueryOptions::parse(raw.as_deref())?;
        let dir = ctx.state.directory();
        let items: Vec<Value> = match principal_filter(&q)? {
            Some(p) => dir.eligible_of(p),
            None => dir.role_assignments().into_iter().filter(|a| a.eligible).collect(),
        }
        .iter()
        .map(eligibility_json)
        .collect();
        Ok(collection(
            &ctx,
            "roleManagement/directory/roleEligibilityScheduleInstances",
            items,
            false,
        ))
    })();
    ctx.respond(r)
}

#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Grant {
    principal_id: Uuid,
    role_definition_id: String,
    #[serde(default)]
    eligible: bool,
}

/// `GET {control}/directory/roleAssignments` — every assignment, active and eligible.
async fn control_list(State(s): State<AppState>) -> Json<Value> {
    let all = s.directory().role_assignments();
    Json(Value::Array(
        all.iter()
            .map(|a| {
                let mut v = assignment_json(a);
                v["eligible"] = json!(a.eligible);
                v
            })
            .collect(),
    ))
}

/// `POST {control}/directory/roleAssignments {"principalId", "roleDefinitionId", "eligible"?}` —
/// grants a role (to a user or a group), e.g. while a recovery is under way.
async fn control_grant(State(s): State<AppState>, Json(g): Json<Grant>) -> Response {
    if Uuid::parse_str(&g.role_definition_id).is_err() {
        return (StatusCode::BAD_REQUEST, Json(json!({"error": "role_definition_id_not_a_guid"})))
            .into_response();
    }
    let dir = s.directory();
    let known =
        dir.user(&g.principal_id.to_string()).is_some() || dir.group(g.principal_id).is_some();
    if !known {
        return (StatusCode::NOT_FOUND, Json(json!({"error": "unknown_principal"})))
            .into_response();
    }
    let a = RoleAssignment::new(g.principal_id, &g.role_definition_id, "/", g.eligible);
    dir.add_role_assignment(a.clone());
    (StatusCode::CREATED, Json(assignment_json(&a))).into_response()
}

/// Control routes for role assignments.
pub(crate) fn control_routes() -> Router<AppState> {
    Router::new().route("/directory/roleAssignments", get(control_list).post(control_grant))
}

/// Graph routes of both versions.
pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    router.route("/roleManagement/directory/roleAssignments", get(role_assignments)).route(
        "/roleManagement/directory/roleEligibilityScheduleInstances",
        get(role_eligibility_instances),
    )
}

/// Beta-only routes.
pub(crate) fn beta_routes(router: Router<AppState>) -> Router<AppState> {
    router.route(
        "/roleManagement/directory/transitiveRoleAssignments",
        get(transitive_role_assignments),
    )
}
