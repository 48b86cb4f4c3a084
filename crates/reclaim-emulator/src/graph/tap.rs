//! Temporary Access Pass methods (contract §4.b): create (201, pass shown once, one per user,
//! policy-enforced), list, get, delete; plus control routes that reveal held passes to tests.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use rand::Rng as _;
use rand::seq::SliceRandom as _;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use super::{ApiVersion, Ctx, Directory, User, ok_json, parse_body, user_not_found};
use crate::clock::rfc3339;
use crate::state::AppState;
use crate::wire_error::GraphError;

/// Roles that may create or delete a TAP.
const TAP_WRITE: &[&str] =
    &["UserAuthenticationMethod.ReadWrite.All", "UserAuthMethod-TAP.ReadWrite.All"];
/// Roles that may read TAP methods.
const TAP_READ: &[&str] = &[
    "UserAuthMethod-TAP.Read.All",
    "UserAuthMethod-TAP.ReadWrite.All",
    "UserAuthenticationMethod.Read.All",
    "UserAuthenticationMethod.ReadWrite.All",
];

/// API-wide lifetime bounds, independent of the tenant policy.
const API_MIN_LIFETIME: i64 = 10;
const API_MAX_LIFETIME: i64 = 43200;

const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
const LOWER: &[u8] = b"abcdefghijkmnopqrstuvwxyz";
const DIGITS: &[u8] = b"23456789";
const SYMBOLS: &[u8] = b"!#$%&*+=?@";

/// A TAP as the emulator holds it (the pass in clear, so tests can compare what the kiosk shows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TapRecord {
    pub id: Uuid,
    pub user_id: Uuid,
    pub temporary_access_pass: String,
    pub created: OffsetDateTime,
    pub start: OffsetDateTime,
    pub lifetime_in_minutes: i64,
    pub is_usable_once: bool,
    /// A one-time pass that has been used to sign in.
    pub used: bool,
}

impl TapRecord {
    /// `(isUsable, methodUsabilityReason)` at `now`.
    pub fn usability(&self, now: OffsetDateTime, policy_enabled: bool) -> (bool, &'static str) {
        if !policy_enabled {
            (false, "DisabledByPolicy")
        } else if now < self.start {
            (false, "NotYetValid")
        } else if now >= self.start + time::Duration::minutes(self.lifetime_in_minutes) {
            (false, "Expired")
        } else if self.is_usable_once && self.used {
            (false, "OneTimeUsed")
        } else {
            (true, "EnabledByPolicy")
        }
    }
}

/// Why a pass could not be redeemed through the control API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RedeemError {
    #[error("unknown user")]
    UnknownUser,
    #[error("the user has no Temporary Access Pass")]
    NoPass,
    #[error("the pass does not match")]
    Mismatch,
    #[error("the pass is not usable: {0}")]
    NotUsable(&'static str),
}

impl Directory {
    fn tap_policy_enabled(&self) -> bool {
        self.tap_policy().state.eq_ignore_ascii_case("enabled")
    }

    /// Whether the TAP policy lets this user hold a pass (enabled, included, not excluded).
    pub fn tap_policy_allows(&self, user: &User) -> bool {
        if !self.tap_policy_enabled() {
            return false;
        }
        let groups = self.transitive_groups(user);
        let p = self.tap_policy();
        p.include_targets.iter().any(|t| self.target_covers(user, &t.id, &groups))
            && !p.exclude_targets.iter().any(|t| self.target_covers(user, &t.id, &groups))
    }

    /// Every pass held, oldest first.
    pub fn taps(&self) -> Vec<TapRecord> {
        let mut all: Vec<TapRecord> =
            self.taps.lock().unwrap_or_else(|e| e.into_inner()).values().cloned().collect();
        all.sort_by_key(|t| t.created);
        all
    }

    /// The user's pass, if any.
    pub fn tap_for(&self, user_id: Uuid) -> Option<TapRecord> {
        self.taps.lock().unwrap_or_else(|e| e.into_inner()).get(&user_id).cloned()
    }

    /// Stores a pass, replacing the user's previous one (one TAP per user).
    fn put_tap(&self, tap: TapRecord) {
        self.taps.lock().unwrap_or_else(|e| e.into_inner()).insert(tap.user_id, tap);
    }

    /// Removes the user's pass if its id matches.
    fn delete_tap(&self, user_id: Uuid, id: Uuid) -> bool {
        let mut taps = self.taps.lock().unwrap_or_else(|e| e.into_inner());
        if taps.get(&user_id).is_some_and(|t| t.id == id) {
            taps.remove(&user_id);
            true
        } else {
            false
        }
    }

    /// Signs in with a pass (emulating the user typing it): checks it and consumes a one-time pass.
    pub fn redeem_tap(
        &self,
        user_key: &str,
        pass: &str,
        now: OffsetDateTime,
    ) -> Result<TapRecord, RedeemError> {
        let user = self.user(user_key).ok_or(RedeemError::UnknownUser)?;
        let enabled = self.tap_policy_allows(&user);
        let mut taps = self.taps.lock().unwrap_or_else(|e| e.into_inner());
        let tap = taps.get_mut(&user.id).ok_or(RedeemError::NoPass)?;
        if tap.temporary_access_pass != pass {
            return Err(RedeemError::Mismatch);
        }
        match tap.usability(now, enabled) {
            (true, _) => {
                tap.used = true;
                Ok(tap.clone())
            }
            (false, why) => Err(RedeemError::NotUsable(why)),
        }
    }
}

/// A fresh pass: policy length, every character class present.
fn generate_pass(length: usize) -> String {
    let mut rng = rand::rng();
    let all: Vec<u8> = [UPPER, LOWER, DIGITS, SYMBOLS].concat();
    let mut out: Vec<u8> = [UPPER, LOWER, DIGITS, SYMBOLS]
        .iter()
        .map(|set| set[rng.random_range(0..set.len())])
        .collect();
    while out.len() < length {
        out.push(all[rng.random_range(0..all.len())]);
    }
    out.shuffle(&mut rng);
    out.into_iter().map(char::from).collect()
}

/// The Graph entity; `pass` is only `Some` in the create response.
fn tap_json(
    ctx: &Ctx,
    t: &TapRecord,
    pass: Option<&str>,
    policy_enabled: bool,
    with_context: bool,
) -> Value {
    let mut v = json!({
        "@odata.type": "#microsoft.graph.temporaryAccessPassAuthenticationMethod",
        "id": t.id,
        "temporaryAccessPass": pass,
        "createdDateTime": rfc3339(t.created),
        "startDateTime": rfc3339(t.start),
        "lifetimeInMinutes": t.lifetime_in_minutes,
        "isUsableOnce": t.is_usable_once,
    });
    match ctx.version {
        ApiVersion::V1 => {
            let (usable, reason) = t.usability(ctx.state.clock().now(), policy_enabled);
            v["isUsable"] = json!(usable);
            v["methodUsabilityReason"] = json!(reason);
        }
        // Beta's entity has no usability fields but reports the last use.
        ApiVersion::Beta => v["lastUsedDateTime"] = Value::Null,
    }
    if with_context {
        v["@odata.context"] = json!(ctx.metadata(&format!(
            "users('{}')/authentication/temporaryAccessPassMethods/$entity",
            t.user_id
        )));
    }
    v
}

fn bad(message: impl Into<String>) -> GraphError {
    GraphError::new(StatusCode::BAD_REQUEST, "badRequest", message)
}

/// Fields the entity defines; anything else in a create body is refused like OData does.
const TAP_FIELDS: [&str; 10] = [
    "@odata.type",
    "id",
    "temporaryAccessPass",
    "createdDateTime",
    "startDateTime",
    "lifetimeInMinutes",
    "isUsableOnce",
    "isUsable",
    "methodUsabilityReason",
    "lastUsedDateTime",
];

/// What a create body asked for.
struct CreateRequest {
    start: Option<OffsetDateTime>,
    lifetime: Option<i64>,
    usable_once: Option<bool>,
}

fn parse_create(body: &[u8]) -> Result<CreateRequest, GraphError> {
    let v = parse_body(body)?;
    let obj = v.as_object().ok_or_else(|| bad("The request body must be a JSON object."))?;
    for k in obj.keys() {
        if !TAP_FIELDS.contains(&k.as_str()) {
            return Err(GraphError::new(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                format!(
                    "The property '{k}' does not exist on type 'microsoft.graph.temporaryAccessPassAuthenticationMethod'. Make sure to only use property names that are defined by the type."
                ),
            ));
        }
    }
    let convert = |field: &Value, edm: &str| {
        GraphError::new(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            format!("Cannot convert the literal '{field}' to the expected type '{edm}'."),
        )
    };
    let start = match obj.get("startDateTime") {
        None | Some(Value::Null) => None,
        Some(f) => Some(
            f.as_str()
                .and_then(|s| OffsetDateTime::parse(s, &Rfc3339).ok())
                .ok_or_else(|| convert(f, "Edm.DateTimeOffset"))?,
        ),
    };
    let lifetime = match obj.get("lifetimeInMinutes") {
        None | Some(Value::Null) => None,
        Some(f) => Some(
            f.as_i64()
                .filter(|n| i32::try_from(*n).is_ok())
                .ok_or_else(|| convert(f, "Edm.Int32"))?,
        ),
    };
    let usable_once = match obj.get("isUsableOnce") {
        None | Some(Value::Null) => None,
        Some(f) => Some(f.as_bool().ok_or_else(|| convert(f, "Edm.Boolean"))?),
    };
    Ok(CreateRequest { start, lifetime, usable_once })
}

/// `POST /{version}/users/{id | upn}/authentication/temporaryAccessPassMethods` — issue a TAP (201).
pub(crate) async fn create_tap(ctx: Ctx, Path(key): Path<String>, body: Bytes) -> Response {
    let r = (|| -> Result<Response, GraphError> {
        ctx.authorize(&[TAP_WRITE])?;
        let req = parse_create(&body)?;
        let dir = ctx.state.directory();
        let user = dir.user(&key).ok_or_else(|| user_not_found(&key))?;
        if user.is_guest() {
            return Err(bad("Temporary Access Pass cannot be added to an external guest user."));
        }
        if !dir.tap_policy_allows(&user) {
            let status = StatusCode::from_u16(ctx.state.settings().tap_policy_error_status)
                .unwrap_or(StatusCode::BAD_REQUEST);
            return Err(GraphError::new(
                status,
                "badRequest",
                "Converged UserCredentialPolicy does not allow creating or updating this authentication method. AuthMethodType [TemporaryAccessPass].",
            ));
        }
        let policy = dir.tap_policy();
        let (min, max) = (
            i64::from(policy.minimum_lifetime_in_minutes).max(API_MIN_LIFETIME),
            i64::from(policy.maximum_lifetime_in_minutes).min(API_MAX_LIFETIME),
        );
        let lifetime = req.lifetime.unwrap_or(i64::from(policy.default_lifetime_in_minutes));
        if !(min..=max).contains(&lifetime) {
            return Err(bad(format!(
                "Invalid LifetimeInMinutes specified. The valid range between {min} and {max}."
            )));
        }
        if policy.is_usable_once && req.usable_once == Some(false) {
            return Err(bad(
                "The Temporary Access Pass policy requires one-time use; isUsableOnce cannot be false.",
            ));
        }
        let now = ctx.state.clock().now();
        let tap = TapRecord {
            id: Uuid::new_v4(),
            user_id: user.id,
            temporary_access_pass: generate_pass(
                usize::try_from(policy.default_length).unwrap_or(8).clamp(8, 48),
            ),
            created: now,
            start: req.start.unwrap_or(now),
            lifetime_in_minutes: lifetime,
            is_usable_once: req.usable_once.unwrap_or(policy.is_usable_once),
            used: false,
        };
        // One TAP per user: a new one replaces the old.
        dir.put_tap(tap.clone());
        let body = tap_json(&ctx, &tap, Some(&tap.temporary_access_pass), true, true);
        let mut resp = ok_json(StatusCode::CREATED, body);
        let location = format!(
            "{}/{}/users/{}/authentication/temporaryAccessPassMethods/{}",
            ctx.base,
            ctx.version.as_str(),
            user.id,
            tap.id
        );
        if let Ok(v) = HeaderValue::from_str(&location) {
            resp.headers_mut().insert(header::LOCATION, v);
        }
        Ok(resp)
    })();
    ctx.respond(r)
}

/// `GET /{version}/users/{id | upn}/authentication/temporaryAccessPassMethods` — at most one item, pass hidden.
pub(crate) async fn list_taps(ctx: Ctx, Path(key): Path<String>) -> Response {
    let r = (|| -> Result<Response, GraphError> {
        ctx.authorize(&[TAP_READ])?;
        let dir = ctx.state.directory();
        let user = dir.user(&key).ok_or_else(|| user_not_found(&key))?;
        let enabled = dir.tap_policy_allows(&user);
        let value: Vec<Value> =
            dir.tap_for(user.id).iter().map(|t| tap_json(&ctx, t, None, enabled, false)).collect();
        Ok(ok_json(
            StatusCode::OK,
            json!({
                "@odata.context": ctx.metadata(&format!(
                    "users('{}')/authentication/temporaryAccessPassMethods",
                    user.id
                )),
                "value": value,
            }),
        ))
    })();
    ctx.respond(r)
}

/// The user and their pass with this id, or a 404.
fn find_tap(ctx: &Ctx, key: &str, id: &str) -> Result<(User, TapRecord), GraphError> {
    let dir = ctx.state.directory();
    let user = dir.user(key).ok_or_else(|| user_not_found(key))?;
    let tap = Uuid::parse_str(id.trim())
        .ok()
        .and_then(|id| dir.tap_for(user.id).filter(|t| t.id == id))
        .ok_or_else(|| {
            GraphError::not_found(format!(
                "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
            ))
        })?;
    Ok((user, tap))
}

/// `GET /{version}/users/{id | upn}/authentication/temporaryAccessPassMethods/{id}` — one method, pass hidden.
pub(crate) async fn get_tap(ctx: Ctx, Path((key, id)): Path<(String, String)>) -> Response {
    let r = (|| -> Result<Response, GraphError> {
        ctx.authorize(&[TAP_READ])?;
        let (user, tap) = find_tap(&ctx, &key, &id)?;
        let enabled = ctx.state.directory().tap_policy_allows(&user);
        Ok(ok_json(StatusCode::OK, tap_json(&ctx, &tap, None, enabled, true)))
    })();
    ctx.respond(r)
}

/// `DELETE /{version}/users/{id | upn}/authentication/temporaryAccessPassMethods/{id}` — 204.
pub(crate) async fn delete_tap(ctx: Ctx, Path((key, id)): Path<(String, String)>) -> Response {
    let r = (|| -> Result<Response, GraphError> {
        ctx.authorize(&[TAP_WRITE])?;
        let (user, tap) = find_tap(&ctx, &key, &id)?;
        ctx.state.directory().delete_tap(user.id, tap.id);
        Ok(StatusCode::NO_CONTENT.into_response())
    })();
    ctx.respond(r)
}

/// The control API's view of a pass: everything, the pass in clear included.
fn control_tap(state: &AppState, t: &TapRecord) -> Value {
    let dir = state.directory();
    let user = dir.user(&t.user_id.to_string());
    let enabled = user.as_ref().is_some_and(|u| dir.tap_policy_allows(u));
    let (usable, reason) = t.usability(state.clock().now(), enabled);
    json!({
        "id": t.id,
        "userId": t.user_id,
        "userPrincipalName": user.map(|u| u.user_principal_name),
        "temporaryAccessPass": t.temporary_access_pass,
        "createdDateTime": rfc3339(t.created),
        "startDateTime": rfc3339(t.start),
        "lifetimeInMinutes": t.lifetime_in_minutes,
        "isUsableOnce": t.is_usable_once,
        "isUsable": usable,
        "methodUsabilityReason": reason,
        "used": t.used,
    })
}

/// `GET {control}/directory/taps` — every pass the emulator holds, in clear.
async fn control_all(State(s): State<AppState>) -> Json<Value> {
    Json(Value::Array(s.directory().taps().iter().map(|t| control_tap(&s, t)).collect()))
}

/// `GET {control}/directory/users/{id | upn}/taps` — that user's passes (zero or one), in clear.
async fn control_user(State(s): State<AppState>, Path(key): Path<String>) -> Response {
    let dir = s.directory();
    match dir.user(&key) {
        Some(u) => {
            Json(Value::Array(dir.tap_for(u.id).iter().map(|t| control_tap(&s, t)).collect()))
                .into_response()
        }
        None => (StatusCode::NOT_FOUND, Json(json!({"error": "unknown_user", "user": key})))
            .into_response(),
    }
}

#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Redeem {
    temporary_access_pass: String,
}

/// `POST {control}/directory/users/{id | upn}/taps/redeem {"temporaryAccessPass": "…"}` — sign in
/// with the pass as the user would: 200 with the pass, or 400 with why it cannot be used.
async fn control_redeem(
    State(s): State<AppState>,
    Path(key): Path<String>,
    Json(r): Json<Redeem>,
) -> Response {
    match s.directory().redeem_tap(&key, &r.temporary_access_pass, s.clock().now()) {
        Ok(t) => Json(control_tap(&s, &t)).into_response(),
        Err(e) => (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "tap_refused", "reason": e.to_string()})),
        )
            .into_response(),
    }
}

/// Control routes for passes.
pub(crate) fn control_routes() -> Router<AppState> {
    Router::new()
        .route("/directory/taps", get(control_all))
        .route("/directory/users/{key}/taps", get(control_user))
        .route("/directory/users/{key}/taps/redeem", post(control_redeem))
}
