//! Microsoft Graph subset (contract §4): users, group membership, authentication-method
//! policies, Verified ID profiles and Temporary Access Passes, under both `/v1.0` and `/beta`.

pub mod extensions;
pub mod groups;
pub mod mail;
pub mod odata;
pub mod photo;
pub mod policies;
pub mod profiles;
pub mod roles;
pub mod search;
pub mod tap;
pub mod users;

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Mutex, RwLock};

use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use base64::Engine as _;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::fixture::{
    Fixture, FixtureError, ProfileFixture, TapPolicyFixture, TargetFixture, VcPolicyFixture,
};
use crate::identity::{AccessClaims, AuthError, Resource};
use crate::server::PublicBase;
use crate::state::AppState;
use crate::wire_error::GraphError;

pub use roles::RoleAssignment;
pub use tap::TapRecord;

/// A directory user as the emulator holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: Uuid,
    pub user_principal_name: String,
    pub display_name: String,
    pub given_name: Option<String>,
    pub surname: Option<String>,
    pub account_enabled: bool,
    /// `Member` or `Guest`.
    pub user_type: String,
    pub mail: Option<String>,
    /// Direct group memberships.
    pub groups: Vec<Uuid>,
    /// `employeeId`.
    pub employee_id: Option<String>,
    /// Directory extension properties, only returned when `$select`ed.
    pub extensions: std::collections::BTreeMap<String, String>,
    /// The manager's userPrincipalName (`GET /users/{id}/manager`).
    pub manager: Option<String>,
    /// `otherMails`: alternate addresses, outside the tenant.
    pub other_mails: Vec<String>,
    /// `jobTitle`.
    pub job_title: Option<String>,
    /// `preferredLanguage`.
    pub preferred_language: Option<String>,
    /// Has a profile photo (`/users/{id}/photo/$value`, see [`photo`]).
    pub photo: bool,
}

impl User {
    pub fn is_guest(&self) -> bool {
        self.user_type.eq_ignore_ascii_case("guest")
    }
}

/// A security group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub id: Uuid,
    pub display_name: String,
}

/// The emulated directory: users (patchable through the control API), groups with nesting,
/// the two authentication-method policies, Verified ID profiles, and the TAP store.
#[derive(Debug)]
pub struct Directory {
    users: RwLock<Vec<User>>,
    groups: Vec<Group>,
    /// group → the groups it is a direct member of (reverse of the fixture's `member_groups`).
    parents: HashMap<Uuid, Vec<Uuid>>,
    /// Changeable through the control API (a policy turned off mid-recovery).
    vc_policy: RwLock<VcPolicyFixture>,
    tap_policy: RwLock<TapPolicyFixture>,
    /// Changeable through the control API (Face Check turned off).
    profiles: RwLock<Vec<ProfileFixture>>,
    taps: Mutex<HashMap<Uuid, TapRecord>>,
    /// Directory role assignments (active and eligible), to users and role-assignable groups.
    roles: RwLock<Vec<RoleAssignment>>,
    /// Mail sent through `sendMail`, per recipient, and the `revokeSignInSessions` log.
    mailboxes: mail::Mailboxes,
}

/// A change to a user made through the control API.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserPatch {
    pub account_enabled: Option<bool>,
    pub given_name: Option<Option<String>>,
    pub surname: Option<Option<String>>,
    pub display_name: Option<String>,
    /// Replaces the user's direct group memberships.
    pub groups: Option<Vec<Uuid>>,
    /// `jobTitle` (`""` clears it).
    pub job_title: Option<Option<String>>,
    /// `preferredLanguage` (`""` clears it).
    pub preferred_language: Option<Option<String>>,
    /// Whether the user has a profile photo.
    pub photo: Option<bool>,
}

impl Directory {
    pub fn from_fixture(f: &Fixture) -> Result<Self, FixtureError> {
        let users = f
            .users
            .iter()
            .map(|u| User {
                id: u.id,
                user_principal_name: u.user_principal_name.clone(),
                display_name: u.display_name.clone(),
                given_name: u.given_name.clone().filter(|s| !s.is_empty()),
                surname: u.surname.clone().filter(|s| !s.is_empty()),
                account_enabled: u.account_enabled,
                user_type: u.user_type.clone(),
                mail: u.mail.clone(),
                groups: u.groups.clone(),
                employee_id: u.employee_id.clone(),
                extensions: u.extensions.clone(),
                manager: u.manager.clone(),
                other_mails: u.other_mails.clone(),
                job_title: u.job_title.clone().filter(|s| !s.is_empty()),
                preferred_language: u.preferred_language.clone().filter(|s| !s.is_empty()),
                photo: u.photo,
            })
            .collect();
        let mut parents: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        for g in &f.groups {
            for child in &g.member_groups {
                parents.entry(*child).or_default().push(g.id);
            }
        }
        Ok(Self {
            users: RwLock::new(users),
            groups: f
                .groups
                .iter()
                .map(|g| Group { id: g.id, display_name: g.display_name.clone() })
                .collect(),
            parents,
            vc_policy: RwLock::new(f.policies.verifiable_credentials.clone()),
            tap_policy: RwLock::new(f.policies.temporary_access_pass.clone()),
            profiles: RwLock::new(f.profiles.clone()),
            taps: Mutex::new(HashMap::new()),
            roles: RwLock::new(
                f.role_assignments
                    .iter()
                    .map(|r| {
                        RoleAssignment::new(
                            r.principal_id,
                            &r.role_definition_id,
                            &r.directory_scope_id,
                            r.eligible,
                        )
                    })
                    .collect(),
            ),
            mailboxes: mail::Mailboxes::default(),
        })
    }

    /// All users, in directory order.
    pub fn users(&self) -> Vec<User> {
        self.users.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// A user by object id or by userPrincipalName (case-insensitive), as Graph resolves `/users/{key}`.
    pub fn user(&self, key: &str) -> Option<User> {
        let users = self.users.read().unwrap_or_else(|e| e.into_inner());
        match Uuid::parse_str(key) {
            Ok(id) => users.iter().find(|u| u.id == id).cloned(),
            Err(_) => {
                users.iter().find(|u| u.user_principal_name.eq_ignore_ascii_case(key)).cloned()
            }
        }
    }

    /// Applies a control-API change; `None` when the user is unknown.
    pub fn patch_user(&self, key: &str, patch: UserPatch) -> Option<User> {
        let id = self.user(key)?.id;
        let mut users = self.users.write().unwrap_or_else(|e| e.into_inner());
        let u = users.iter_mut().find(|u| u.id == id)?;
        if let Some(v) = patch.account_enabled {
            u.account_enabled = v;
        }
        if let Some(v) = patch.given_name {
            u.given_name = v.filter(|s| !s.is_empty());
        }
        if let Some(v) = patch.surname {
            u.surname = v.filter(|s| !s.is_empty());
        }
        if let Some(v) = patch.display_name {
            u.display_name = v;
        }
        if let Some(v) = patch.groups {
            u.groups = v;
        }
        if let Some(v) = patch.job_title {
            u.job_title = v.filter(|s| !s.is_empty());
        }
        if let Some(v) = patch.preferred_language {
            u.preferred_language = v.filter(|s| !s.is_empty());
        }
        if let Some(v) = patch.photo {
            u.photo = v;
        }
        Some(u.clone())
    }

    /// Sent mail and session revocations.
    pub fn mailboxes(&self) -> &mail::Mailboxes {
        &self.mailboxes
    }

    pub fn groups(&self) -> &[Group] {
        &self.groups
    }

    pub fn group(&self, id: Uuid) -> Option<&Group> {
        self.groups.iter().find(|g| g.id == id)
    }

    /// Every group the user belongs to, directly or through nesting: direct groups first, then
    /// outward breadth-first. Cycles in a hand-edited fixture are harmless.
    pub fn transitive_groups(&self, user: &User) -> Vec<Uuid> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        let mut queue: VecDeque<Uuid> = user.groups.iter().copied().collect();
        while let Some(g) = queue.pop_front() {
            if seen.insert(g) {
                out.push(g);
                if let Some(ps) = self.parents.get(&g) {
                    queue.extend(ps.iter().copied());
                }
            }
        }
        out
    }

    /// Whether a policy target (`all_users`, a user id or a group id) covers the user.
    pub fn target_covers(&self, user: &User, target_id: &str, member_of: &[Uuid]) -> bool {
        if target_id.eq_ignore_ascii_case("all_users") {
            return true;
        }
        match Uuid::parse_str(target_id) {
            Ok(id) => id == user.id || member_of.contains(&id),
            Err(_) => false,
        }
    }

    /// The VerifiableCredentials policy as it stands now.
    pub fn vc_policy(&self) -> VcPolicyFixture {
        self.vc_policy.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The TemporaryAccessPass policy as it stands now.
    pub fn tap_policy(&self) -> TapPolicyFixture {
        self.tap_policy.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Turns a policy on or off (control API); false for an unknown policy id.
    pub fn set_policy_state(&self, id: &str, enabled: bool) -> bool {
        let state = if enabled { "enabled" } else { "disabled" }.to_owned();
        if id.eq_ignore_ascii_case("VerifiableCredentials") {
            self.vc_policy.write().unwrap_or_else(|e| e.into_inner()).state = state;
        } else if id.eq_ignore_ascii_case("TemporaryAccessPass") {
            self.tap_policy.write().unwrap_or_else(|e| e.into_inner()).state = state;
        } else {
            return false;
        }
        true
    }

    /// The Verified ID profiles as they stand now.
    pub fn profiles(&self) -> Vec<ProfileFixture> {
        self.profiles.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Turns a profile's Face Check on or off (control API); false for an unknown profile.
    pub fn set_face_check(&self, id: Uuid, enabled: bool) -> bool {
        let mut profiles = self.profiles.write().unwrap_or_else(|e| e.into_inner());
        match profiles.iter_mut().find(|p| p.id == id) {
            Some(p) => {
                p.face_check = enabled;
                true
            }
            None => false,
        }
    }

    /// Replaces a policy's include targets (control API); false for an unknown policy id.
    /// VerifiableCredentials targets keep no profile mapping this way: only the TAP policy's.
    pub fn set_tap_include_targets(&self, id: &str, targets: Vec<TargetFixture>) -> bool {
        if !id.eq_ignore_ascii_case("TemporaryAccessPass") {
            return false;
        }
        self.tap_policy.write().unwrap_or_else(|e| e.into_inner()).include_targets = targets;
        true
    }

    /// Every group a group belongs to through nesting (not itself), outward breadth-first;
    /// `None` for an unknown group.
    pub fn group_transitive_groups(&self, id: Uuid) -> Option<Vec<Uuid>> {
        self.group(id)?;
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        let mut queue: VecDeque<Uuid> =
            self.parents.get(&id).into_iter().flatten().copied().collect();
        while let Some(g) = queue.pop_front() {
            if g != id && seen.insert(g) {
                out.push(g);
                if let Some(ps) = self.parents.get(&g) {
                    queue.extend(ps.iter().copied());
                }
            }
        }
        Some(out)
    }
}

/// Which Graph version a call came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiVersion {
    V1,
    Beta,
}

impl ApiVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            ApiVersion::V1 => "v1.0",
            ApiVersion::Beta => "beta",
        }
    }
}

/// Roles that grant reading users.
pub(crate) const USER_READ: &[&str] = &[
    "User.Read.All",
    "User.ReadWrite.All",
    "User.ReadBasic.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
/// Roles that grant reading group memberships.
pub(crate) const GROUP_MEMBER_READ: &[&str] = &[
    "GroupMember.Read.All",
    "GroupMember.ReadWrite.All",
    "Group.Read.All",
    "Group.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];

/// Per-request context every Graph handler starts from.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    pub state: AppState,
    pub headers: HeaderMap,
    pub version: ApiVersion,
    /// Public root of the Graph host, e.g. `https://graph.microsoft.com`.
    pub base: String,
    /// Path as the caller sent it below the host root, e.g. `/v1.0/users`.
    pub path: String,
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let version = parts.extensions.get::<ApiVersion>().copied().unwrap_or(ApiVersion::V1);
        let base = parts
            .extensions
            .get::<PublicBase>()
            .map(|b| b.0.clone())
            .unwrap_or_else(|| "https://graph.microsoft.com".to_owned());
        // Inside the version's nested router the URI has the `/v1.0` or `/beta` prefix stripped.
        let path = format!("/{}{}", version.as_str(), parts.uri.path());
        Ok(Self { state: state.clone(), headers: parts.headers.clone(), version, base, path })
    }
}

impl Ctx {
    /// Checks the bearer token; each inner slice is a set of alternatives, all slices must hold.
    pub fn authorize(&self, all_of: &[&[&str]]) -> Result<AccessClaims, GraphError> {
        let claims =
            self.state.authorize(&self.headers, Resource::Graph, &[]).map_err(|e| match e {
                AuthError::MissingRole => forbidden(),
                other => GraphError::new(
                    StatusCode::UNAUTHORIZED,
                    "InvalidAuthenticationToken",
                    other.to_string(),
                ),
            })?;
        let granted =
            all_of.iter().all(|any| claims.roles.iter().any(|r| any.contains(&r.as_str())));
        if granted { Ok(claims) } else { Err(forbidden()) }
    }

    /// `ConsistencyLevel: eventual` present (advanced query capabilities).
    pub fn eventual(&self) -> bool {
        self.headers
            .get("consistencylevel")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("eventual"))
    }

    /// `{base}/{version}/$metadata#{fragment}`.
    pub fn metadata(&self, fragment: &str) -> String {
        format!("{}/{}/$metadata#{fragment}", self.base, self.version.as_str())
    }

    /// Turns a handler result into a response, echoing `client-request-id` in error bodies.
    pub fn respond(&self, r: Result<Response, GraphError>) -> Response {
        match r {
            Ok(resp) => resp,
            Err(e) => e.with_client_request_id(&self.headers).into_response(),
        }
    }
}

/// 403 `Authorization_RequestDenied`.
pub(crate) fn forbidden() -> GraphError {
    GraphError::new(
        StatusCode::FORBIDDEN,
        "Authorization_RequestDenied",
        "Insufficient privileges to complete the operation.",
    )
}

/// 404 for an unknown user, with Graph's directory wording.
pub(crate) fn user_not_found(key: &str) -> GraphError {
    GraphError::not_found(format!(
        "Resource '{key}' does not exist or one of its queried reference-property objects are not present."
    ))
}

/// A JSON success response.
pub(crate) fn ok_json(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

/// Parses a JSON request body the way Graph reports unreadable payloads.
pub(crate) fn parse_body(body: &[u8]) -> Result<Value, GraphError> {
    let unreadable = || {
        GraphError::new(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
        )
    };
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(unreadable());
    }
    serde_json::from_slice(body).map_err(|_| unreadable())
}

/// Opaque `$skiptoken` for an offset into a result set.
pub(crate) fn encode_skiptoken(offset: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("RclmPage:{offset}"))
}

pub(crate) fn decode_skiptoken(token: &str) -> Result<usize, GraphError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix("RclmPage:").and_then(|n| n.parse().ok()))
        .ok_or_else(|| GraphError::bad_request("Invalid skip token."))
}

/// One page of a collection: `@odata.context`, optional `@odata.count` (first page only),
/// `value`, and an absolute `@odata.nextLink` that repeats the caller's query.
pub(crate) fn page_response(
    ctx: &Ctx,
    query: &odata::QueryOptions,
    context: String,
    items: Vec<Value>,
    count: Option<usize>,
) -> Response {
    let total = items.len();
    let start = query.skip.min(total);
    let end = start.saturating_add(query.page_size(&ctx.state)).min(total);
    let mut body = serde_json::Map::new();
    body.insert("@odata.context".into(), json!(context));
    if let (Some(n), 0) = (count, query.skip) {
        body.insert("@odata.count".into(), json!(n));
    }
    if end < total {
        let next = format!("{}{}?{}", ctx.base, ctx.path, query.next_query(end));
        body.insert("@odata.nextLink".into(), json!(next));
    }
    let page: Vec<Value> = items.into_iter().skip(start).take(end - start).collect();
    body.insert("value".into(), Value::Array(page));
    ok_json(StatusCode::OK, Value::Object(body))
}

/// Stamps `request-id` / `client-request-id` on every Graph response, as the real service does.
async fn request_ids(req: Request, next: Next) -> Response {
    let client_request_id = req.headers().get("client-request-id").cloned();
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    if !h.contains_key("request-id") {
        let id = Uuid::new_v4().to_string();
        if let Ok(v) = HeaderValue::from_str(&id) {
            h.insert("request-id", v.clone());
            if !h.contains_key("client-request-id") {
                h.insert("client-request-id", client_request_id.clone().unwrap_or(v));
            }
        }
    }
    if let Some(v) = client_request_id {
        h.insert("client-request-id", v);
    }
    if resp.status() == StatusCode::UNAUTHORIZED {
        resp.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(
                "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\"",
            ),
        );
    }
    resp
}

/// The API surface of one version.
fn api(version: ApiVersion) -> Router<AppState> {
    let router = Router::new()
        .route("/users", get(users::list_users))
        .route("/users/$count", get(users::count_users))
        .route("/users/{key}", get(users::get_user))
        .route("/users/{key}/checkMemberGroups", post(groups::check_member_groups))
        .route("/users/{key}/sendMail", post(mail::send_mail))
        .route("/users/{key}/revokeSignInSessions", post(mail::revoke_sign_in_sessions))
        .route("/users/{key}/manager", get(mail::get_manager))
        .route("/users/{key}/photo", get(photo::photo_metadata))
        .route("/users/{key}/photo/$value", get(photo::photo_value))
        .route("/users/{key}/photos", get(photo::list_photos))
        .route("/users/{key}/photos/{size}/$value", get(photo::photo_size_value))
        .route("/directoryObjects/{key}/checkMemberGroups", post(groups::check_member_groups))
        .route("/groups/{key}/checkMemberGroups", post(groups::check_group_member_groups))
        .route("/users/{key}/transitiveMemberOf", get(groups::transitive_member_of))
        .route(
            "/users/{key}/transitiveMemberOf/microsoft.graph.group",
            get(groups::transitive_member_of_groups),
        )
        .route(
            "/users/{key}/authentication/temporaryAccessPassMethods",
            get(tap::list_taps).post(tap::create_tap),
        )
        .route(
            "/users/{key}/authentication/temporaryAccessPassMethods/{id}",
            get(tap::get_tap).delete(tap::delete_tap),
        )
        .route(
            "/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/{id}",
            get(policies::get_method_configuration),
        )
        .route("/identity/verifiedId/profiles", get(profiles::list_profiles))
        .route("/identity/verifiedId/profiles/{id}", get(profiles::get_profile))
        .route("/identity/customAuthenticationExtensions", get(extensions::list_extensions))
        .route("/identity/customAuthenticationExtensions/{id}", get(extensions::get_extension));
    let router = roles::routes(router);
    let router = if version == ApiVersion::Beta { roles::beta_routes(router) } else { router };
    router.method_not_allowed_fallback(method_not_allowed).layer(Extension(version))
}

/// Routes of this emulated host, mounted at its root.
pub fn routes() -> Router<AppState> {
    Router::new()
        .nest("/v1.0", api(ApiVersion::V1))
        .nest("/beta", api(ApiVersion::Beta))
        .fallback(unknown_segment)
        .layer(axum::middleware::from_fn(request_ids))
}

/// Test-control routes, merged into `{control}`.
pub fn control_routes() -> Router<AppState> {
    tap::control_routes()
        .merge(users::control_routes())
        .merge(roles::control_routes())
        .merge(policies::control_routes())
        .merge(mail::control_routes())
        .merge(profiles::control_routes())
}

/// Any method on a path without a route: Graph's "unknown segment" answer.
async fn unknown_segment(headers: HeaderMap, uri: axum::http::Uri) -> Response {
    let path = uri.path();
    let first = path.trim_start_matches('/').split('/').next().unwrap_or_default();
    let e = if first != "v1.0" && first != "beta" {
        GraphError::new(StatusCode::BAD_REQUEST, "BadRequest", format!("Invalid version: {first}"))
    } else {
        let seg = path.trim_end_matches('/').rsplit('/').next().unwrap_or_default();
        let seg = percent_encoding::percent_decode_str(seg).decode_utf8_lossy().into_owned();
        GraphError::new(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            format!("Resource not found for the segment '{seg}'."),
        )
    };
    e.with_client_request_id(&headers).into_response()
}

/// A known path called with a method it does not support.
async fn method_not_allowed(headers: HeaderMap) -> Response {
    GraphError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "Request_BadRequest",
        "Specified HTTP method is not allowed for the request target.",
    )
    .with_client_request_id(&headers)
    .into_response()
}
