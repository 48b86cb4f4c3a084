//! Verified ID Request Service (contract §2): presentation and issuance requests, the wallet-side
//! request objects, and real callbacks; served under `/v1.0` with `/beta` as an alias.

pub mod callback;
pub mod contracts;
pub mod credential;
pub mod presentation;
pub mod validation;

use std::collections::HashMap;
use std::io::Cursor;
use std::sync::Mutex;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::fixture::{Fixture, FixtureError};
use crate::identity::{AuthError, Resource};
use crate::server::PublicBase;
use crate::state::AppState;
use crate::wire_error::VcError;

pub use callback::Delivery;
pub use validation::{IssuanceSpec, PresentationSpec};

/// Roles that allow `createPresentationRequest`.
const PRESENT_ROLES: &[&str] =
    &["VerifiableCredential.Create.All", "VerifiableCredential.Create.PresentRequest"];
/// Roles that allow `createIssuanceRequest`.
const ISSUE_ROLES: &[&str] =
    &["VerifiableCredential.Create.All", "VerifiableCredential.Create.IssueRequest"];

/// Presentation or issuance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum RequestKind {
    Presentation,
    Issuance,
}

impl RequestKind {
    /// Path segment of the wallet-side request object.
    fn segment(self) -> &'static str {
        match self {
            RequestKind::Presentation => "presentationRequests",
            RequestKind::Issuance => "issuanceRequests",
        }
    }
}

/// Where a request is in its life: created → retrieved → one terminal state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    Created,
    Retrieved,
    PresentationVerified,
    PresentationError,
    IssuanceSuccessful,
    IssuanceError,
}

impl RequestStatus {
    pub fn is_terminal(self) -> bool {
        !matches!(self, RequestStatus::Created | RequestStatus::Retrieved)
    }
}

/// The validated body of a request.
#[derive(Debug, Clone)]
pub enum RequestSpec {
    Presentation(PresentationSpec),
    Issuance(IssuanceSpec),
}

/// A request as the service holds it.
#[derive(Debug, Clone)]
pub struct StoredRequest {
    pub id: String,
    pub kind: RequestKind,
    /// The body exactly as the caller posted it.
    pub body: Value,
    pub spec: RequestSpec,
    pub state: String,
    pub callback_url: String,
    pub callback_headers: Vec<(String, String)>,
    pub created: i64,
    /// Epoch seconds; at or after it the request is dead.
    pub expiry: i64,
    pub status: RequestStatus,
    /// The simulated phone that opened it, if any.
    pub phone_id: Option<String>,
    pub deliveries: Vec<Delivery>,
}

impl StoredRequest {
    pub fn is_expired(&self, now: i64) -> bool {
        now >= self.expiry
    }
}

/// Why a request cannot move on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("no request with id {0}")]
    Unknown(String),
    #[error("request {0} has expired")]
    Expired(String),
    #[error("request {id} is {status:?} and cannot do that")]
    WrongState { id: String, status: RequestStatus },
}

/// All requests, keyed by id.
#[derive(Debug, Default)]
pub struct RequestStore {
    requests: Mutex<HashMap<String, StoredRequest>>,
}

impl RequestStore {
    pub fn from_fixture(_f: &Fixture) -> Result<Self, FixtureError> {
        Ok(Self::default())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, StoredRequest>> {
        self.requests.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn insert(&self, r: StoredRequest) {
        self.lock().insert(r.id.clone(), r);
    }

    pub fn get(&self, id: &str) -> Option<StoredRequest> {
        self.lock().get(id).cloned()
    }

    /// How many requests were created (any kind, any status).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// No request was created.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// A live (known, unexpired) request.
    pub fn live(&self, id: &str, now: i64) -> Result<StoredRequest, RequestError> {
        let r = self.get(id).ok_or_else(|| RequestError::Unknown(id.to_owned()))?;
        if r.is_expired(now) {
            return Err(RequestError::Expired(id.to_owned()));
        }
        Ok(r)
    }

    /// Atomically moves a live request from one of `from` to `to`; returns it as it was before.
    pub fn transition(
        &self,
        id: &str,
        now: i64,
        from: &[RequestStatus],
        to: RequestStatus,
        phone_id: Option<&str>,
    ) -> Result<StoredRequest, RequestError> {
        let mut all = self.lock();
        let r = all.get_mut(id).ok_or_else(|| RequestError::Unknown(id.to_owned()))?;
        if r.is_expired(now) {
            return Err(RequestError::Expired(id.to_owned()));
        }
        if !from.contains(&r.status) {
            return Err(RequestError::WrongState { id: id.to_owned(), status: r.status });
        }
        let before = r.clone();
        r.status = to;
        if let Some(p) = phone_id {
            r.phone_id = Some(p.to_owned());
        }
        Ok(before)
    }

    /// Callback URL and headers of a request.
    pub fn callback_target(&self, id: &str) -> Option<(String, Vec<(String, String)>)> {
        self.lock().get(id).map(|r| (r.callback_url.clone(), r.callback_headers.clone()))
    }

    pub fn record_delivery(&self, id: &str, d: Delivery) {
        if let Some(r) = self.lock().get_mut(id) {
            r.deliveries.push(d);
        }
    }
}

/// Routes of this emulated host, mounted at its root.
pub fn routes() -> Router<AppState> {
    Router::new().nest("/v1.0", versioned()).nest("/beta", versioned()).fallback(not_found)
}

fn versioned() -> Router<AppState> {
    Router::new()
        .route("/verifiableCredentials/createPresentationRequest", post(create_presentation))
        .route("/verifiableCredentials/createIssuanceRequest", post(create_issuance))
        .route(
            "/tenants/{tid}/verifiableCredentials/presentationRequests/{id}",
            get(presentation_object),
        )
        .route("/tenants/{tid}/verifiableCredentials/issuanceRequests/{id}", get(issuance_object))
        .route(
            "/tenants/{tid}/verifiableCredentials/contracts/{id}/manifest",
            get(contracts::manifest),
        )
        // The doc examples' form without `/tenants` (contract §8.5).
        .route("/{tid}/verifiableCredentials/presentationRequests/{id}", get(presentation_object))
        .route("/{tid}/verifiableCredentials/issuanceRequests/{id}", get(issuance_object))
        .route("/{tid}/verifiableCredentials/contracts/{id}/manifest", get(contracts::manifest))
}

/// Test-control routes, merged into `{control}`.
pub fn control_routes() -> Router<AppState> {
    Router::new().route("/requests/{request_id}", get(control_request))
}

/// Any other path on the Request Service host.
async fn not_found() -> VcError {
    VcError::new(StatusCode::NOT_FOUND, "notFound", "The requested resource was not found.")
}

/// The Request Service's answer to a refused bearer token.
fn auth_error(e: AuthError) -> VcError {
    let status = match e {
        AuthError::WrongAudience | AuthError::MissingRole => StatusCode::FORBIDDEN,
        _ => StatusCode::UNAUTHORIZED,
    };
    VcError::new(status, "tokenError", e.to_string()).with_target("Authorization")
}

/// `openid-vc://?request_uri=…` for a request.
fn deep_link(state: &AppState, base: &str, kind: RequestKind, id: &str) -> String {
    let tenants = if state.settings().deep_link_tenants_segment { "tenants/" } else { "" };
    format!(
        "openid-vc://?request_uri={base}/v1.0/{tenants}{}/verifiableCredentials/{}/{id}",
        state.tenant_id(),
        kind.segment()
    )
}

/// A `data:image/png;base64,…` QR code of `text`.
fn qr_data_uri(text: &str) -> Result<String, VcError> {
    let internal = |m: String| VcError::new(StatusCode::INTERNAL_SERVER_ERROR, "internalError", m);
    let code = qrcode::QrCode::new(text.as_bytes()).map_err(|e| internal(e.to_string()))?;
    let img = code.render::<image::Luma<u8>>().min_dimensions(300, 300).build();
    let mut png = Cursor::new(Vec::new());
    image::DynamicImage::ImageLuma8(img)
        .write_to(&mut png, image::ImageFormat::Png)
        .map_err(|e| internal(e.to_string()))?;
    Ok(format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(png.into_inner())
    ))
}

/// Stores a validated request and builds the 201 body.
fn accept(
    state: &AppState,
    base: &str,
    kind: RequestKind,
    body: &[u8],
    spec: RequestSpec,
) -> Result<Response, VcError> {
    let (cb, include_qr) = match &spec {
        RequestSpec::Presentation(p) => (&p.callback, p.include_qr_code),
        RequestSpec::Issuance(i) => (&i.callback, i.include_qr_code),
    };
    let id = Uuid::new_v4().to_string();
    let now = state.clock().now_unix();
    let expiry = now + state.settings().request_lifetime_secs;
    let url = deep_link(state, base, kind, &id);
    let mut out = json!({ "requestId": id, "url": url, "expiry": expiry });
    if include_qr {
        out["qrCode"] = json!(qr_data_uri(&url)?);
    }
    let stored = StoredRequest {
        id: id.clone(),
        kind,
        body: serde_json::from_slice(body).unwrap_or(Value::Null),
        state: cb.state.clone(),
        callback_url: cb.url.clone(),
        callback_headers: cb.headers.clone(),
        spec,
        created: now,
        expiry,
        status: RequestStatus::Created,
        phone_id: None,
        deliveries: Vec::new(),
    };
    state.requests().insert(stored);
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

/// `POST /v1.0/verifiableCredentials/createPresentationRequest` (and `/beta/…`).
async fn create_presentation(
    State(state): State<AppState>,
    PublicBase(base): PublicBase,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, VcError> {
    state.authorize(&headers, Resource::RequestService, PRESENT_ROLES).map_err(auth_error)?;
    let spec = validation::presentation(&body, state.settings())?;
    accept(&state, &base, RequestKind::Presentation, &body, RequestSpec::Presentation(spec))
}

/// `POST /v1.0/verifiableCredentials/createIssuanceRequest` (and `/beta/…`).
async fn create_issuance(
    State(state): State<AppState>,
    PublicBase(base): PublicBase,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, VcError> {
    state.authorize(&headers, Resource::RequestService, ISSUE_ROLES).map_err(auth_error)?;
    let mut spec = validation::issuance(&body, state.settings())?;
    contracts::resolve(&state, &mut spec)?;
    accept(&state, &base, RequestKind::Issuance, &body, RequestSpec::Issuance(spec))
}

/// The wallet's view of a live request (our own shape; the real one is undocumented).
fn request_object(
    state: &AppState,
    tid: &str,
    id: &str,
    kind: RequestKind,
) -> Result<Json<Value>, VcError> {
    let missing = || {
        VcError::new(StatusCode::NOT_FOUND, "notFound", format!("Request {id} was not found."))
            .with_target("requestId")
    };
    if !tid.eq_ignore_ascii_case(&state.tenant_id().to_string()) {
        return Err(missing());
    }
    let r = state.requests().live(id, state.clock().now_unix()).map_err(|_| missing())?;
    if r.kind != kind {
        return Err(missing());
    }
    let mut out = json!({
        "id": r.id, "kind": r.kind, "status": r.status, "expiry": r.expiry,
    });
    match &r.spec {
        RequestSpec::Presentation(p) => {
            out["authority"] = json!(p.authority);
            out["registration"] = json!({ "clientName": p.client_name, "purpose": p.purpose });
            out["requestedCredentials"] = r.body["requestedCredentials"].clone();
        }
        RequestSpec::Issuance(i) => {
            out["authority"] = json!(i.authority);
            out["registration"] = json!({ "clientName": i.client_name });
            out["type"] = json!(i.credential.types);
            out["manifest"] = json!(i.manifest);
            out["pinRequired"] = json!(i.pin.is_some());
            if let Some(pin) = &i.pin {
                out["pinLength"] = json!(pin.length);
            }
        }
    }
    Ok(Json(out))
}

/// `GET /v1.0/tenants/{tid}/verifiableCredentials/presentationRequests/{id}` — wallet side.
async fn presentation_object(
    State(state): State<AppState>,
    Path((tid, id)): Path<(String, String)>,
) -> Result<Json<Value>, VcError> {
    request_object(&state, &tid, &id, RequestKind::Presentation)
}

/// `GET /v1.0/tenants/{tid}/verifiableCredentials/issuanceRequests/{id}` — wallet side.
async fn issuance_object(
    State(state): State<AppState>,
    Path((tid, id)): Path<(String, String)>,
) -> Result<Json<Value>, VcError> {
    request_object(&state, &tid, &id, RequestKind::Issuance)
}

/// `GET {control}/requests/{requestId}` — status and every callback attempt.
async fn control_request(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let Some(r) = state.requests().get(&id) else {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({ "error": "unknown_request", "requestId": id })),
        )
            .into_response();
    };
    let expired = !r.status.is_terminal() && r.is_expired(state.clock().now_unix());
    Json(json!({
        "requestId": r.id,
        "kind": r.kind,
        "status": r.status,
        "expired": expired,
        "expiry": r.expiry,
        "state": r.state,
        "callbackUrl": r.callback_url,
        "phoneId": r.phone_id,
        "deliveries": r.deliveries,
    }))
    .into_response()
}
