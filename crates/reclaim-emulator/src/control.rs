//! The emulator's test-control API (not part of any Microsoft contract): faults, the clock,
//! token expiry, and each emulated host's own controls merged in.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::faults::FaultRule;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(info))
        .route("/faults", get(list_faults).post(add_faults).delete(clear_faults))
        .route("/clock/advance", post(advance_clock))
        .route("/tokens/expire", post(expire_tokens))
        .route("/identity/id-token-tamper", post(set_tamper).delete(clear_tamper))
        .merge(crate::graph::control_routes())
        .merge(crate::request_service::control_routes())
        .merge(crate::phone::control_routes())
        .merge(crate::provider::control_routes())
        .merge(crate::myaccount::control_routes())
}

/// `GET {control}/` — base URLs, tenant, settings and clock offset.
async fn info(State(s): State<AppState>) -> Json<Value> {
    Json(json!({
        "urls": s.urls(),
        "tenant": { "id": s.tenant_id(), "domain": s.fixture().tenant.domain },
        "settings": s.settings(),
        "clockOffsetSeconds": s.clock().offset_secs(),
    }))
}

/// `GET {control}/faults` — rules still pending.
async fn list_faults(State(s): State<AppState>) -> Json<Vec<FaultRule>> {
    Json(s.faults().list())
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(FaultRule),
    Many(Vec<FaultRule>),
}

/// `POST {control}/faults` — one rule or an array of rules.
async fn add_faults(State(s): State<AppState>, Json(body): Json<OneOrMany>) -> StatusCode {
    match body {
        OneOrMany::One(r) => s.faults().add(r),
        OneOrMany::Many(rs) => rs.into_iter().for_each(|r| s.faults().add(r)),
    }
    StatusCode::NO_CONTENT
}

/// `DELETE {control}/faults`.
async fn clear_faults(State(s): State<AppState>) -> StatusCode {
    s.faults().clear();
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct Advance {
    seconds: i64,
}

/// `POST {control}/clock/advance {"seconds": N}` — move the emulated clock forward.
async fn advance_clock(State(s): State<AppState>, Json(a): Json<Advance>) -> Json<Value> {
    s.clock().advance(a.seconds);
    Json(json!({ "clockOffsetSeconds": s.clock().offset_secs() }))
}

/// `POST {control}/tokens/expire` — every access token issued so far is now expired.
async fn expire_tokens(State(s): State<AppState>) -> StatusCode {
    s.identity().expire_tokens_issued_before(s.clock().now_unix());
    StatusCode::NO_CONTENT
}

/// `POST {control}/identity/id-token-tamper` — the next ID token the token endpoint issues is
/// altered as described (wrong `aud`/`iss`/`tid`/`nonce`, backdated, signed with a key the JWKS
/// does not publish), so a relying party's validation can be tested against a misbehaving
/// identity provider.
async fn set_tamper(
    State(s): State<AppState>,
    Json(t): Json<crate::identity::id_token::Tamper>,
) -> StatusCode {
    s.identity().set_tamper(Some(t));
    StatusCode::NO_CONTENT
}

/// `DELETE {control}/identity/id-token-tamper`.
async fn clear_tamper(State(s): State<AppState>) -> StatusCode {
    s.identity().set_tamper(None);
    StatusCode::NO_CONTENT
}
