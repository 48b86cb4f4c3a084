//! Microsoft Authenticator stand-in: simulated phones that hold credentials, open `openid-vc://`
//! links, present (with a chosen Face Check score), decline or ignore presentation requests, and
//! accept (by default at once) or decline issuance requests — through a crate API, a JSON control
//! API, and a small mobile web page.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::Digest as _;
use uuid::Uuid;

use crate::clock::rfc3339;
use crate::fixture::{Fixture, FixtureError};
use crate::request_service::presentation::{self, Presentation, Refusal};
use crate::request_service::{RequestError, RequestKind, RequestSpec, RequestStatus, callback};
use crate::server::PublicBase;
use crate::state::AppState;

mod page;

/// A credential in a phone's wallet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HeldCredential {
    pub id: String,
    pub issuer: String,
    /// e.g. `["VerifiableCredential", "verifiedIdentity"]`.
    pub types: Vec<String>,
    /// Claim name → string value.
    pub claims: Map<String, Value>,
    /// ISO-8601 UTC.
    pub issuance_date: String,
    pub expiration_date: String,
    pub revoked: bool,
}

/// A request a phone has opened.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct OpenedRequest {
    request_id: String,
    kind: RequestKind,
    /// The person put the phone away: the request is left to expire.
    ignored: bool,
}

#[derive(Debug, Default)]
struct Phone {
    credentials: Vec<HeldCredential>,
    requests: Vec<OpenedRequest>,
    /// The code the kiosk beside this phone shows now (demo: the phone's camera "sees" it).
    viewfinder: Option<String>,
    /// The work account (UPN) signed in to this Authenticator: a VerifiedEmployee issuance reads
    /// the directory as this user (`microsoft-apis-v2.md` §5.1).
    account: Option<String>,
}

/// What opening a link did.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum OpenOutcome {
    /// A presentation request is on screen, waiting for present/decline/ignore.
    PresentationPending { request_id: String },
    /// An issuance request is on screen (opened without accepting), waiting for accept/decline.
    IssuancePending { request_id: String },
    /// An issuance request with a PIN is on screen, waiting for the PIN (accept with `pin`).
    PinRequired { request_id: String, pin_length: u8 },
    /// An issuance completed; the credential is in the wallet.
    Issued { credential_id: String },
    /// The issuance failed (a wrong PIN): `issuance_error` was sent with this code and message.
    IssuanceFailed { request_id: String, code: String, message: String },
}

/// What presenting did.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum PresentOutcome {
    /// `presentation_verified` was sent.
    Verified { request_id: String },
    /// `presentation_error` was sent with this code.
    Failed { request_id: String, code: String, message: String },
}

/// Why a phone action was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PhoneError {
    #[error("phone id must be 1–64 letters, digits, '.', '_' or '-'")]
    BadPhoneId,
    #[error("not an openid-vc:// link or request URI: {0}")]
    BadUrl(String),
    #[error("no request with id {0}")]
    UnknownRequest(String),
    #[error("request {0} has expired")]
    Expired(String),
    #[error("request {0} is not waiting for this action")]
    NotPending(String),
    #[error("this phone has no request waiting")]
    NoPendingRequest,
    #[error("score must be a number from 0 to 100")]
    BadScore,
    #[error("this issuance needs the PIN the issuer shows you")]
    PinRequired,
    #[error("the issuance failed: {0}")]
    IssuanceFailed(String),
    /// A VerifiedEmployee issuance needs a work account signed in to Authenticator.
    #[error("this credential needs you to sign in with your work account first")]
    SignInRequired,
    /// The signed-in account cannot sign in (disabled) or is not in the directory.
    #[error("sign-in refused: {0}")]
    SignInRefused(String),
}

impl From<RequestError> for PhoneError {
    fn from(e: RequestError) -> Self {
        match e {
            RequestError::Unknown(id) => PhoneError::UnknownRequest(id),
            RequestError::Expired(id) => PhoneError::Expired(id),
            RequestError::WrongState { id, .. } => PhoneError::NotPending(id),
        }
    }
}

impl PhoneError {
    fn status(&self) -> StatusCode {
        match self {
            PhoneError::BadPhoneId
            | PhoneError::BadUrl(_)
            | PhoneError::BadScore
            | PhoneError::PinRequired
            | PhoneError::SignInRequired => StatusCode::BAD_REQUEST,
            PhoneError::SignInRefused(_) => StatusCode::FORBIDDEN,
            PhoneError::IssuanceFailed(_) => StatusCode::CONFLICT,
            PhoneError::UnknownRequest(_) => StatusCode::NOT_FOUND,
            PhoneError::Expired(_) => StatusCode::GONE,
            PhoneError::NotPending(_) | PhoneError::NoPendingRequest => StatusCode::CONFLICT,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            PhoneError::BadPhoneId => "bad_phone_id",
            PhoneError::BadUrl(_) => "bad_url",
            PhoneError::UnknownRequest(_) => "unknown_request",
            PhoneError::Expired(_) => "expired",
            PhoneError::NotPending(_) => "not_pending",
            PhoneError::NoPendingRequest => "no_pending_request",
            PhoneError::BadScore => "bad_score",
            PhoneError::PinRequired => "pin_required",
            PhoneError::IssuanceFailed(_) => "issuance_failed",
            PhoneError::SignInRequired => "sign_in_required",
            PhoneError::SignInRefused(_) => "sign_in_refused",
        }
    }
}

impl IntoResponse for PhoneError {
    fn into_response(self) -> Response {
        (self.status(), Json(json!({ "error": self.code(), "message": self.to_string() })))
            .into_response()
    }
}

/// Every simulated phone, created on first use.
#[derive(Debug, Default)]
pub struct Phones {
    phones: Mutex<HashMap<String, Phone>>,
}

impl Phones {
    pub fn from_fixture(_f: &Fixture) -> Result<Self, FixtureError> {
        Ok(Self::default())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Phone>> {
        self.phones.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Marks a credential revoked on whichever phone holds it; false when no phone does.
    pub fn revoke(&self, credential_id: &str) -> bool {
        let mut phones = self.lock();
        let mut found = false;
        for c in phones.values_mut().flat_map(|p| p.credentials.iter_mut()) {
            if c.id == credential_id {
                c.revoked = true;
                found = true;
            }
        }
        found
    }

    /// The credentials a phone holds (none for a phone never used).
    pub fn credentials(&self, phone_id: &str) -> Vec<HeldCredential> {
        self.lock().get(phone_id).map(|p| p.credentials.clone()).unwrap_or_default()
    }

    /// What the phone's camera sees on the kiosk's screen (`None`: no code).
    pub fn set_viewfinder(&self, phone_id: &str, url: Option<String>) {
        self.lock().entry(phone_id.to_owned()).or_default().viewfinder = url;
    }

    /// The code in the phone's viewfinder, if any.
    pub fn viewfinder(&self, phone_id: &str) -> Option<String> {
        self.lock().get(phone_id).and_then(|p| p.viewfinder.clone())
    }

    /// Puts a credential into a phone's wallet.
    pub fn add_credential(&self, phone_id: &str, c: HeldCredential) {
        self.lock().entry(phone_id.to_owned()).or_default().credentials.push(c);
    }

    /// Signs a work account in to (or, with `None`, out of) the phone's Authenticator.
    pub fn set_account(&self, phone_id: &str, upn: Option<String>) {
        self.lock().entry(phone_id.to_owned()).or_default().account = upn;
    }

    /// The work account signed in to the phone's Authenticator, if any.
    pub fn account(&self, phone_id: &str) -> Option<String> {
        self.lock().get(phone_id).and_then(|p| p.account.clone())
    }

    fn record_open(&self, phone_id: &str, request_id: &str, kind: RequestKind) {
        let mut phones = self.lock();
        let p = phones.entry(phone_id.to_owned()).or_default();
        if !p.requests.iter().any(|r| r.request_id == request_id) {
            p.requests.push(OpenedRequest {
                request_id: request_id.to_owned(),
                kind,
                ignored: false,
            });
        }
    }

    fn mark_ignored(&self, phone_id: &str, request_id: &str) {
        let mut phones = self.lock();
        let p = phones.entry(phone_id.to_owned()).or_default();
        match p.requests.iter_mut().find(|r| r.request_id == request_id) {
            Some(r) => r.ignored = true,
            None => p.requests.push(OpenedRequest {
                request_id: request_id.to_owned(),
                kind: RequestKind::Presentation,
                ignored: true,
            }),
        }
    }

    fn opened(&self, phone_id: &str) -> Vec<OpenedRequest> {
        self.lock().get(phone_id).map(|p| p.requests.clone()).unwrap_or_default()
    }
}

pub(crate) fn check_phone_id(id: &str) -> Result<(), PhoneError> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok { Ok(()) } else { Err(PhoneError::BadPhoneId) }
}

/// The holder DID a phone presents as (stable per phone).
pub fn holder_did(phone_id: &str) -> String {
    let digest = sha2::Sha256::digest(format!("reclaim-phone:{phone_id}").as_bytes());
    format!("did:ion:{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest))
}

/// The request id at the end of an `openid-vc://?request_uri=…` link or a bare request URI.
fn request_id_from_url(url: &str) -> Result<String, PhoneError> {
    let bad = || PhoneError::BadUrl(url.to_owned());
    let url = url.trim();
    let uri = if url.starts_with("openid-vc:") {
        let query = url.split_once('?').map(|(_, q)| q).ok_or_else(bad)?;
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == "request_uri")
            .map(|(_, v)| v.into_owned())
            .ok_or_else(bad)?
    } else {
        url.to_owned()
    };
    let parsed = url::Url::parse(&uri).map_err(|_| bad())?;
    let mut segments: Vec<&str> = parsed.path_segments().ok_or_else(bad)?.collect();
    let id = segments.pop().filter(|s| !s.is_empty()).ok_or_else(bad)?;
    let kind_ok =
        segments.last().is_some_and(|s| *s == "presentationRequests" || *s == "issuanceRequests");
    if !kind_ok {
        return Err(bad());
    }
    Ok(id.to_owned())
}

/// Opens a link on a phone as if its QR code was scanned (no HTTP fetch of the request object);
/// an issuance is accepted at once.
pub async fn open_url(
    state: &AppState,
    phone_id: &str,
    url: &str,
) -> Result<OpenOutcome, PhoneError> {
    open_url_with(state, phone_id, url, true).await
}

/// Opens a link on a phone; with `accept_issuance` false an issuance request stays on screen
/// ([`OpenOutcome::IssuancePending`]) until [`accept`] or [`decline`].
pub async fn open_url_with(
    state: &AppState,
    phone_id: &str,
    url: &str,
    accept_issuance: bool,
) -> Result<OpenOutcome, PhoneError> {
    open_url_with_pin(state, phone_id, url, accept_issuance, None).await
}

/// Opens a link on a phone; an issuance is accepted at once when `accept_issuance` (with `pin`
/// when the request has one; without it the request waits for the PIN: [`OpenOutcome::PinRequired`]).
pub async fn open_url_with_pin(
    state: &AppState,
    phone_id: &str,
    url: &str,
    accept_issuance: bool,
    pin: Option<&str>,
) -> Result<OpenOutcome, PhoneError> {
    check_phone_id(phone_id)?;
    let id = request_id_from_url(url)?;
    let now = state.clock().now_unix();
    let r = state.requests().live(&id, now)?;
    // Re-opening on the same phone shows the same pending request again, without a callback.
    if r.status == RequestStatus::Retrieved && r.phone_id.as_deref() == Some(phone_id) {
        state.phones().record_open(phone_id, &id, r.kind);
    } else {
        retrieve(state, phone_id, &id, r.kind).await?;
    }
    match r.kind {
        RequestKind::Presentation => Ok(OpenOutcome::PresentationPending { request_id: id }),
        RequestKind::Issuance if !accept_issuance => {
            Ok(OpenOutcome::IssuancePending { request_id: id })
        }
        RequestKind::Issuance => match (pin_length(&r), pin) {
            (Some(pin_length), None) => Ok(OpenOutcome::PinRequired { request_id: id, pin_length }),
            _ => issue(state, phone_id, &id, pin).await,
        },
    }
}

/// The PIN length of an issuance request that has one.
fn pin_length(r: &crate::request_service::StoredRequest) -> Option<u8> {
    match &r.spec {
        RequestSpec::Issuance(i) => i.pin.as_ref().map(|p| p.length),
        RequestSpec::Presentation(_) => None,
    }
}

/// The person taps "Add" on an issuance request this phone has open (the given one, else its
/// latest pending one): the credential goes into the wallet and `issuance_successful` is sent.
pub async fn accept(
    state: &AppState,
    phone_id: &str,
    request_id: Option<&str>,
) -> Result<String, PhoneError> {
    match accept_with_pin(state, phone_id, request_id, None).await? {
        OpenOutcome::Issued { credential_id } => Ok(credential_id),
        OpenOutcome::IssuanceFailed { message, .. } => Err(PhoneError::IssuanceFailed(message)),
        _ => Err(PhoneError::PinRequired),
    }
}

/// The person taps "Add", typing `pin` when the issuer asked for one: [`OpenOutcome::Issued`], or
/// [`OpenOutcome::IssuanceFailed`] after a wrong PIN (`issuance_error` was sent). Without a PIN
/// where one is needed nothing happens: [`PhoneError::PinRequired`].
pub async fn accept_with_pin(
    state: &AppState,
    phone_id: &str,
    request_id: Option<&str>,
    pin: Option<&str>,
) -> Result<OpenOutcome, PhoneError> {
    check_phone_id(phone_id)?;
    let id = pending_request(state, phone_id, request_id, RequestKind::Issuance)?;
    ensure_retrieved(state, phone_id, &id, RequestKind::Issuance).await?;
    issue(state, phone_id, &id, pin).await
}

/// retrieved → issuance_successful: the credential (the contract's type(s) and mapped claims)
/// into the wallet, then the callback; a wrong PIN ends it with `issuance_error` instead.
async fn issue(
    state: &AppState,
    phone_id: &str,
    id: &str,
    pin: Option<&str>,
) -> Result<OpenOutcome, PhoneError> {
    let r = state.requests().live(id, state.clock().now_unix())?;
    let RequestSpec::Issuance(spec) = &r.spec else {
        return Err(PhoneError::NotPending(id.to_owned()));
    };
    if let Some(expected) = &spec.pin {
        let Some(entered) = pin.filter(|p| !p.trim().is_empty()) else {
            return Err(PhoneError::PinRequired);
        };
        if !expected.matches(entered) {
            // The service cannot validate the issuance's requirements (issuance-request-api,
            // callback errors): the request ends with issuance_error.
            let body = issuance_error_body(&r);
            finish(state, id, RequestStatus::IssuanceError, body.clone()).await?;
            return Ok(OpenOutcome::IssuanceFailed {
                request_id: id.to_owned(),
                code: body["error"]["code"].as_str().unwrap_or_default().to_owned(),
                message: body["error"]["message"].as_str().unwrap_or_default().to_owned(),
            });
        }
    }
    let issued = state.clock().now();
    let expires = spec.expiration_date.clone().unwrap_or_else(|| {
        rfc3339(issued + time::Duration::seconds(spec.credential.validity_secs.max(1)))
    });
    let mut types = vec!["VerifiableCredential".to_owned()];
    types.extend(spec.credential.types.iter().cloned());
    let claims = if spec.credential.directory_claims {
        // VerifiedEmployee: the claims of the account signed in to Authenticator (§5.1).
        let upn = state.phones().account(phone_id).ok_or(PhoneError::SignInRequired)?;
        crate::myaccount::verified_employee_credential(state, &upn)
            .map_err(|e| PhoneError::SignInRefused(e.to_string()))?
            .claims
    } else {
        spec.credential.claims.clone()
    };
    let credential = HeldCredential {
        id: Uuid::new_v4().to_string(),
        issuer: spec.authority.clone(),
        types,
        claims,
        issuance_date: rfc3339(issued),
        expiration_date: expires,
        revoked: false,
    };
    state.requests().transition(
        id,
        state.clock().now_unix(),
        &[RequestStatus::Retrieved],
        RequestStatus::IssuanceSuccessful,
        None,
    )?;
    let credential_id = credential.id.clone();
    state.phones().add_credential(phone_id, credential);
    callback::send(state, id, presentation::envelope(&r, "issuance_successful")).await;
    Ok(OpenOutcome::Issued { credential_id })
}

/// `issuance_error` as contract §2.8 documents it.
fn issuance_error_body(r: &crate::request_service::StoredRequest) -> Value {
    let mut b = presentation::envelope(r, "issuance_error");
    b["error"] = json!({ "code": "IssuanceFlowFailed", "message": "issuance_service_error" });
    b
}

/// created → retrieved on this phone, and the `request_retrieved` callback.
async fn retrieve(
    state: &AppState,
    phone_id: &str,
    id: &str,
    kind: RequestKind,
) -> Result<(), PhoneError> {
    let r = state.requests().transition(
        id,
        state.clock().now_unix(),
        &[RequestStatus::Created],
        RequestStatus::Retrieved,
        Some(phone_id),
    )?;
    state.phones().record_open(phone_id, id, kind);
    callback::send(state, id, presentation::envelope(&r, "request_retrieved")).await;
    Ok(())
}

/// The request of `kind` this phone is showing: the given one, else its latest live open one.
fn pending_request(
    state: &AppState,
    phone_id: &str,
    request_id: Option<&str>,
    kind: RequestKind,
) -> Result<String, PhoneError> {
    if let Some(id) = request_id {
        return Ok(id.to_owned());
    }
    let now = state.clock().now_unix();
    state
        .phones()
        .opened(phone_id)
        .into_iter()
        .rev()
        .filter(|o| o.kind == kind && !o.ignored)
        .find(|o| {
            state
                .requests()
                .get(&o.request_id)
                .is_some_and(|r| r.status == RequestStatus::Retrieved && !r.is_expired(now))
        })
        .map(|o| o.request_id)
        .ok_or(PhoneError::NoPendingRequest)
}

/// Brings a request of `kind` to `retrieved` on this phone (opening it if needed).
async fn ensure_retrieved(
    state: &AppState,
    phone_id: &str,
    id: &str,
    kind: RequestKind,
) -> Result<crate::request_service::StoredRequest, PhoneError> {
    let r = state.requests().live(id, state.clock().now_unix())?;
    if r.kind != kind {
        return Err(PhoneError::NotPending(id.to_owned()));
    }
    match r.status {
        RequestStatus::Created => {
            retrieve(state, phone_id, id, r.kind).await?;
            Ok(state.requests().live(id, state.clock().now_unix())?)
        }
        RequestStatus::Retrieved => Ok(r),
        _ => Err(PhoneError::NotPending(id.to_owned())),
    }
}

/// Presents held credentials (with a Face Check score) to a pending presentation request.
pub async fn present(
    state: &AppState,
    phone_id: &str,
    request_id: Option<&str>,
    score: f64,
    photo_quality: Option<String>,
    credential_id: Option<&str>,
) -> Result<PresentOutcome, PhoneError> {
    check_phone_id(phone_id)?;
    if !score.is_finite() || !(0.0..=100.0).contains(&score) {
        return Err(PhoneError::BadScore);
    }
    let id = pending_request(state, phone_id, request_id, RequestKind::Presentation)?;
    let r = ensure_retrieved(state, phone_id, &id, RequestKind::Presentation).await?;
    let RequestSpec::Presentation(spec) = &r.spec else {
        return Err(PhoneError::NotPending(id));
    };
    // Newest first, as Authenticator lists them: on a phone shared by several demo personas the
    // credential just issued is the one offered.
    let mut held = state.phones().credentials(phone_id);
    held.reverse();
    let subject = holder_did(phone_id);
    let quality = photo_quality.unwrap_or_else(|| "HIGH".to_owned());
    let p = Presentation {
        subject: &subject,
        held: &held,
        credential_id,
        score,
        photo_quality: &quality,
    };
    let (status, body, outcome) = match presentation::evaluate(state, &r, spec, &p) {
        Ok(body) => (
            RequestStatus::PresentationVerified,
            body,
            PresentOutcome::Verified { request_id: id.clone() },
        ),
        Err(e) => (
            RequestStatus::PresentationError,
            presentation::error_body(&r, &e),
            PresentOutcome::Failed { request_id: id.clone(), code: e.code, message: e.message },
        ),
    };
    finish(state, &id, status, body).await?;
    Ok(outcome)
}

/// The person taps "Decline": for a presentation, `presentation_error` with the configured decline
/// code; for an issuance, `issuance_error` (`IssuanceFlowFailed` / `issuance_service_error`).
/// Without a request id: the latest pending presentation, else the latest pending issuance.
pub async fn decline(
    state: &AppState,
    phone_id: &str,
    request_id: Option<&str>,
) -> Result<(), PhoneError> {
    check_phone_id(phone_id)?;
    let id = pending_request(state, phone_id, request_id, RequestKind::Presentation)
        .or_else(|_| pending_request(state, phone_id, request_id, RequestKind::Issuance))?;
    let kind = state
        .requests()
        .get(&id)
        .map(|r| r.kind)
        .ok_or_else(|| PhoneError::UnknownRequest(id.clone()))?;
    let r = ensure_retrieved(state, phone_id, &id, kind).await?;
    if kind == RequestKind::Issuance {
        return finish(state, &id, RequestStatus::IssuanceError, issuance_error_body(&r)).await;
    }
    let e = Refusal {
        code: state.settings().decline_error_code.clone(),
        message: "The user declined to share the requested credential.".to_owned(),
    };
    finish(state, &id, RequestStatus::PresentationError, presentation::error_body(&r, &e)).await
}

/// The person walks away: the request is left to expire and nothing more is sent.
pub fn ignore(
    state: &AppState,
    phone_id: &str,
    request_id: Option<&str>,
) -> Result<String, PhoneError> {
    check_phone_id(phone_id)?;
    let id = pending_request(state, phone_id, request_id, RequestKind::Presentation)?;
    state.requests().get(&id).ok_or_else(|| PhoneError::UnknownRequest(id.clone()))?;
    state.phones().mark_ignored(phone_id, &id);
    Ok(id)
}

/// retrieved → terminal, then the terminal callback (never for an expired request).
async fn finish(
    state: &AppState,
    id: &str,
    to: RequestStatus,
    body: Value,
) -> Result<(), PhoneError> {
    state.requests().transition(
        id,
        state.clock().now_unix(),
        &[RequestStatus::Retrieved],
        to,
        None,
    )?;
    callback::send(state, id, body).await;
    Ok(())
}

/// A phone as the control API and the page show it.
fn phone_view(state: &AppState, phone_id: &str) -> Value {
    let now = state.clock().now_unix();
    let requests: Vec<Value> = state
        .phones()
        .opened(phone_id)
        .into_iter()
        .map(|o| {
            let r = state.requests().get(&o.request_id);
            json!({
                "requestId": o.request_id,
                "kind": o.kind,
                "ignored": o.ignored,
                "status": r.as_ref().map(|r| r.status),
                "expired": r.as_ref().is_some_and(|r| !r.status.is_terminal() && r.is_expired(now)),
            })
        })
        .collect();
    json!({
        "id": phone_id,
        "subject": holder_did(phone_id),
        "account": state.phones().account(phone_id),
        "credentials": state.phones().credentials(phone_id),
        "requests": requests,
        "pendingRequestId": pending_request(state, phone_id, None, RequestKind::Presentation).ok(),
        "pendingIssuanceId": pending_request(state, phone_id, None, RequestKind::Issuance).ok(),
    })
}

/// Routes of this emulated host, mounted at its root.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/p/{id}", get(page))
        .route("/p/{id}/open", post(page_open))
        .route("/p/{id}/present", post(page_present))
        .route("/p/{id}/decline", post(page_decline))
        .route("/p/{id}/accept", post(page_accept))
        .route("/p/{id}/state", get(page_state))
        .route("/p/{id}/selfie.png", get(page_selfie))
}

/// Test-control routes, merged into `{control}`.
pub fn control_routes() -> Router<AppState> {
    Router::new()
        .route("/phones/{id}", get(control_phone))
        .route("/phones/{id}/open", post(control_open))
        .route("/phones/{id}/present", post(control_present))
        .route("/phones/{id}/decline", post(control_decline))
        .route("/phones/{id}/accept", post(control_accept))
        .route("/phones/{id}/ignore", post(control_ignore))
        .route("/phones/{id}/credentials", post(control_add_credential))
        .route("/phones/{id}/viewfinder", post(control_viewfinder))
        .route("/phones/{id}/account", post(control_account))
        .route("/credentials/{credential_id}/revoke", post(control_revoke))
}

/// `GET {control}/phones/{id}` — credentials, opened requests, the pending one.
async fn control_phone(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, PhoneError> {
    check_phone_id(&id)?;
    Ok(Json(phone_view(&state, &id)))
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
struct OpenBody {
    url: String,
    /// Accept an issuance at once (default); false leaves it pending.
    #[serde(default = "yes")]
    accept: bool,
    /// The issuance PIN the person types (when the issuer set one).
    pin: Option<String>,
}

/// `POST {control}/phones/{id}/open {url, accept?}` — scan a QR code / follow a deep link;
/// `accept: false` leaves an issuance request pending.
async fn control_open(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(b): Json<OpenBody>,
) -> Result<Json<OpenOutcome>, PhoneError> {
    Ok(Json(open_url_with_pin(&state, &id, &b.url, b.accept, b.pin.as_deref()).await?))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PresentBody {
    request_id: Option<String>,
    score: f64,
    photo_quality: Option<String>,
    credential_id: Option<String>,
}

/// `POST {control}/phones/{id}/present {requestId?, score, photoQuality?, credentialId?}`.
async fn control_present(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(b): Json<PresentBody>,
) -> Result<Json<PresentOutcome>, PhoneError> {
    let out = present(
        &state,
        &id,
        b.request_id.as_deref(),
        b.score,
        b.photo_quality,
        b.credential_id.as_deref(),
    )
    .await?;
    Ok(Json(out))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RequestRef {
    request_id: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct AcceptBody {
    request_id: Option<String>,
    /// The issuance PIN the person types (when the issuer set one).
    pin: Option<String>,
}

/// `POST {control}/phones/{id}/decline {requestId?}`.
async fn control_decline(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Option<Json<RequestRef>>,
) -> Result<StatusCode, PhoneError> {
    let b = body.map(|Json(b)| b).unwrap_or_default();
    decline(&state, &id, b.request_id.as_deref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST {control}/phones/{id}/accept {requestId?, pin?}` — add a pending issuance's credential;
/// 200 `{outcome: "issued", credentialId}`, or `{outcome: "issuanceFailed", …}` after a wrong PIN;
/// 400 `pin_required` without the PIN the request needs.
async fn control_accept(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Option<Json<AcceptBody>>,
) -> Result<Json<OpenOutcome>, PhoneError> {
    let b = body.map(|Json(b)| b).unwrap_or_default();
    Ok(Json(accept_with_pin(&state, &id, b.request_id.as_deref(), b.pin.as_deref()).await?))
}

/// `POST {control}/phones/{id}/ignore {requestId?}` — let the request expire, no callback.
async fn control_ignore(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Option<Json<RequestRef>>,
) -> Result<StatusCode, PhoneError> {
    let b = body.map(|Json(b)| b).unwrap_or_default();
    ignore(&state, &id, b.request_id.as_deref())?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NewCredential {
    id: Option<String>,
    issuer: String,
    types: Vec<String>,
    #[serde(default)]
    claims: Map<String, Value>,
    issuance_date: Option<String>,
    expiration_date: Option<String>,
    #[serde(default)]
    revoked: bool,
}

/// `POST {control}/phones/{id}/credentials` — inject a credential; 201 with it.
async fn control_add_credential(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(b): Json<NewCredential>,
) -> Result<Response, PhoneError> {
    check_phone_id(&id)?;
    let now = state.clock().now();
    let c = HeldCredential {
        id: b.id.unwrap_or_else(|| Uuid::new_v4().to_string()),
        issuer: b.issuer,
        types: b.types,
        claims: b.claims,
        issuance_date: b.issuance_date.unwrap_or_else(|| rfc3339(now)),
        expiration_date: b
            .expiration_date
            .unwrap_or_else(|| rfc3339(now + time::Duration::days(1))),
        revoked: b.revoked,
    };
    state.phones().add_credential(&id, c.clone());
    Ok((StatusCode::CREATED, Json(c)).into_response())
}

#[derive(Deserialize)]
struct Viewfinder {
    url: Option<String>,
}

/// `POST {control}/phones/{id}/viewfinder {"url": "…"|null}` — the code the kiosk beside the
/// phone shows now (the demo kiosk reports it); the phone page offers to scan it. 204.
async fn control_viewfinder(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(b): Json<Viewfinder>,
) -> Result<StatusCode, PhoneError> {
    check_phone_id(&id)?;
    let url = b.url.filter(|u| {
        u.len() <= 4096
            && (u.starts_with("openid-vc:")
                || u.starts_with("http://")
                || u.starts_with("https://"))
    });
    state.phones().set_viewfinder(&id, url);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct AccountBody {
    /// Object id or userPrincipalName; `null` signs out.
    user: Option<String>,
}

/// `POST {control}/phones/{id}/account {"user": upn | id | null}` — the work account signed in to
/// the phone's Authenticator (a VerifiedEmployee issuance reads the directory as this user); 204,
/// 404 `unknown_user`.
async fn control_account(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(b): Json<AccountBody>,
) -> Result<Response, PhoneError> {
    check_phone_id(&id)?;
    let upn = match b.user {
        None => None,
        Some(key) => match state.directory().user(&key) {
            Some(u) => Some(u.user_principal_name),
            None => {
                return Ok((
                    StatusCode::NOT_FOUND,
                    Json(json!({ "error": "unknown_user", "user": key })),
                )
                    .into_response());
            }
        },
    };
    state.phones().set_account(&id, upn);
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST {control}/credentials/{credentialId}/revoke` — 204, or 404 when no phone holds it.
async fn control_revoke(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    if state.phones().revoke(&id) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        (StatusCode::NOT_FOUND, Json(json!({ "error": "unknown_credential", "credentialId": id })))
            .into_response()
    }
}

// ── Mobile web page ─────────────────────────────────────────────────────────────────────────────

/// The page after an action: `msg` says what happened; `result` shows a result screen.
fn page_url(base: &str, id: &str, msg: &str, result: Option<page::Outcome>) -> String {
    let msg: String = url::form_urlencoded::byte_serialize(msg.as_bytes()).collect();
    match result {
        Some(r) => format!("{base}/p/{id}?result={}&msg={msg}", r.as_str()),
        None => format!("{base}/p/{id}?msg={msg}"),
    }
}

#[derive(Deserialize, Default)]
struct PageQuery {
    open: Option<String>,
    /// `false` leaves an opened issuance pending instead of accepting it.
    accept: Option<String>,
    /// The issuance PIN, for `?open=` of an issuance with a PIN.
    pin: Option<String>,
    msg: Option<String>,
    /// `added`, `shared`, `refused`, `declined` or `failed`: the result screen to show.
    result: Option<String>,
    /// `face-check`: the Face Check step of the pending presentation.
    step: Option<String>,
    /// The credential a result screen shows (the one just shared).
    card: Option<String>,
}

/// A form or query flag: only an explicit `false`/`0`/`no`/`off` says no.
fn flag(v: Option<&str>) -> bool {
    !v.is_some_and(|v| {
        matches!(v.trim().to_ascii_lowercase().as_str(), "false" | "0" | "no" | "off")
    })
}

fn bad_phone_page() -> Response {
    (StatusCode::BAD_REQUEST, Html("Bad phone id.".to_owned())).into_response()
}

/// `GET {phone}/p/{id}` — the phone screen; `?open=<url>` opens a request link first
/// (`&accept=false` leaves an issuance pending), `?step=face-check` shows the Face Check step of
/// the pending presentation, `?result=…&msg=…` a result screen.
async fn page(
    State(state): State<AppState>,
    PublicBase(base): PublicBase,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Response {
    if check_phone_id(&id).is_err() {
        return bad_phone_page();
    }
    if let Some(url) = q.open {
        let (msg, result) =
            open_message(&state, &id, &url, flag(q.accept.as_deref()), q.pin.as_deref()).await;
        return Redirect::to(&page_url(&base, &id, &msg, result)).into_response();
    }
    let rendered = page::render(
        &state,
        &page::PageArgs {
            base: &base,
            id: &id,
            msg: q.msg.as_deref(),
            result: q.result.as_deref().and_then(page::Outcome::parse),
            face_check: q.step.as_deref() == Some("face-check"),
            card: q.card.as_deref(),
        },
    );
    (
        [
            (axum::http::header::CONTENT_SECURITY_POLICY, rendered.csp()),
            (axum::http::header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        Html(rendered.html),
    )
        .into_response()
}

/// `GET {phone}/p/{id}/state` — `{"v": "…"}`, a fingerprint of what the page shows; the page
/// polls it and reloads when it changes (a new code at the kiosk, a request answered elsewhere).
async fn page_state(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    if check_phone_id(&id).is_err() {
        return bad_phone_page();
    }
    (
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        Json(json!({ "v": page::version(&state, &id) })),
    )
        .into_response()
}

#[derive(Deserialize, Default)]
struct SelfieQuery {
    credential: Option<String>,
}

/// `GET {phone}/p/{id}/selfie.png?credential=…` — what the phone's synthetic camera sees for
/// Face Check: the selfie of the persona the credential was issued to (as the provider's
/// `/cards/{persona}-selfie.png`).
async fn page_selfie(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<SelfieQuery>,
) -> Response {
    if check_phone_id(&id).is_err() {
        return bad_phone_page();
    }
    // Drawing takes tens of milliseconds; keep it off the async workers.
    let drawn =
        tokio::task::spawn_blocking(move || page::selfie_for(&state, &id, q.credential.as_deref()))
            .await;
    match drawn {
        Ok(png) => (
            [
                (axum::http::header::CONTENT_TYPE, "image/png"),
                (axum::http::header::CACHE_CONTROL, "no-cache"),
            ],
            png,
        )
            .into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

async fn open_message(
    state: &AppState,
    id: &str,
    url: &str,
    accept: bool,
    pin: Option<&str>,
) -> (String, Option<page::Outcome>) {
    match open_url_with_pin(state, id, url, accept, pin).await {
        Ok(OpenOutcome::Issued { .. }) => {
            ("Credential added to your wallet.".to_owned(), Some(page::Outcome::Added))
        }
        Ok(OpenOutcome::PinRequired { .. }) => {
            ("An issuer is offering a credential. Enter the PIN it shows you.".to_owned(), None)
        }
        Ok(OpenOutcome::IssuanceFailed { message, .. }) => {
            (format!("The issuer refused it ({message})."), Some(page::Outcome::Failed))
        }
        Ok(OpenOutcome::IssuancePending { .. }) => (String::new(), None),
        Ok(OpenOutcome::PresentationPending { .. }) => (String::new(), None),
        Err(e) => (format!("Could not open the link: {e}"), None),
    }
}

#[derive(Deserialize)]
struct OpenForm {
    url: String,
    accept: Option<String>,
    pin: Option<String>,
}

/// `POST {phone}/p/{id}/open` (form `url`, `accept?`, `pin?`) — then back to the page. A web
/// link (not a request) is followed in the phone's browser, as scanning it would.
async fn page_open(
    State(state): State<AppState>,
    PublicBase(base): PublicBase,
    Path(id): Path<String>,
    Form(f): Form<OpenForm>,
) -> Response {
    if check_phone_id(&id).is_err() {
        return bad_phone_page();
    }
    let url = f.url.trim();
    if request_id_from_url(url).is_err()
        && (url.starts_with("http://") || url.starts_with("https://"))
        && url.len() <= 4096
        && axum::http::HeaderValue::from_str(url).is_ok()
    {
        return Redirect::to(url).into_response();
    }
    let (msg, result) =
        open_message(&state, &id, url, flag(f.accept.as_deref()), f.pin.as_deref()).await;
    Redirect::to(&page_url(&base, &id, &msg, result)).into_response()
}

/// The verifier's or issuer's name, for the result screen.
fn client_name(state: &AppState, request_id: &str) -> Option<String> {
    state.requests().get(request_id).map(|r| match &r.spec {
        RequestSpec::Presentation(s) => s.client_name.clone(),
        RequestSpec::Issuance(s) => s.client_name.clone(),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PresentForm {
    request_id: String,
    score: String,
}

/// `POST {phone}/p/{id}/present` (form `requestId`, `score`) — then the result screen.
async fn page_present(
    State(state): State<AppState>,
    PublicBase(base): PublicBase,
    Path(id): Path<String>,
    Form(f): Form<PresentForm>,
) -> Response {
    if check_phone_id(&id).is_err() {
        return bad_phone_page();
    }
    let verifier = client_name(&state, &f.request_id).unwrap_or_else(|| "The verifier".to_owned());
    let shared = page::credential_to_share(&state, &id, &f.request_id);
    let (msg, result) = match f.score.trim().parse::<f64>() {
        Err(_) => (PhoneError::BadScore.to_string(), None),
        Ok(score) => match present(&state, &id, Some(&f.request_id), score, None, None).await {
            Ok(PresentOutcome::Verified { .. }) => (
                format!("Shared with {verifier}. The verifier accepted it."),
                Some(page::Outcome::Shared),
            ),
            Ok(PresentOutcome::Failed { code, message, .. }) => (
                format!("The verifier refused it ({code}): {message}"),
                Some(page::Outcome::Refused),
            ),
            Err(e) => (e.to_string(), None),
        },
    };
    let mut to = page_url(&base, &id, &msg, result);
    if result == Some(page::Outcome::Shared)
        && let Some(card) = shared
    {
        let card: String = url::form_urlencoded::byte_serialize(card.as_bytes()).collect();
        to.push_str(&format!("&card={card}"));
    }
    Redirect::to(&to).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeclineForm {
    request_id: String,
}

/// `POST {phone}/p/{id}/decline` (form `requestId`) — then the result screen.
async fn page_decline(
    State(state): State<AppState>,
    PublicBase(base): PublicBase,
    Path(id): Path<String>,
    Form(f): Form<DeclineForm>,
) -> Response {
    if check_phone_id(&id).is_err() {
        return bad_phone_page();
    }
    let name = client_name(&state, &f.request_id);
    let (msg, result) = match decline(&state, &id, Some(&f.request_id)).await {
        Ok(()) => (
            match name {
                Some(n) => format!("Declined. Nothing was shared with {n}."),
                None => "Declined.".to_owned(),
            },
            Some(page::Outcome::Declined),
        ),
        Err(e) => (e.to_string(), None),
    };
    Redirect::to(&page_url(&base, &id, &msg, result)).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AcceptForm {
    request_id: String,
    pin: Option<String>,
}

/// `POST {phone}/p/{id}/accept` (form `requestId`, `pin?`) — add the offered credential, then the
/// result screen.
async fn page_accept(
    State(state): State<AppState>,
    PublicBase(base): PublicBase,
    Path(id): Path<String>,
    Form(f): Form<AcceptForm>,
) -> Response {
    if check_phone_id(&id).is_err() {
        return bad_phone_page();
    }
    let (msg, result) = match accept_with_pin(&state, &id, Some(&f.request_id), f.pin.as_deref())
        .await
    {
        Ok(OpenOutcome::IssuanceFailed { message, .. }) => {
            (format!("Wrong PIN: the issuer refused it ({message})."), Some(page::Outcome::Failed))
        }
        Ok(_) => ("Credential added to your wallet.".to_owned(), Some(page::Outcome::Added)),
        Err(e) => (e.to_string(), None),
    };
    Redirect::to(&page_url(&base, &id, &msg, result)).into_response()
}
