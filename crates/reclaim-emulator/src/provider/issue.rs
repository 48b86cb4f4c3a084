//! Issuing the verified-identity credential: the provider calls `createIssuanceRequest` on its
//! own authority (contract §2.8) and follows the issuance callbacks it receives.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use subtle::ConstantTimeEq as _;

use super::{ApiError, any_provider, lock, phone_bridge, portrait};
use crate::fixture::{PersonaFixture, ProviderFixture};
use crate::identity::Resource;
use crate::state::AppState;

/// Where an issuance stands, as the provider learns it from callbacks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "status", content = "reason")]
pub enum IssueStatus {
    Requested,
    Retrieved,
    Issued,
    Failed(String),
}

/// An issuance the provider started and is waiting to hear about.
#[derive(Debug, Clone)]
pub struct Pending {
    pub provider_id: String,
    pub api_key: String,
    pub request_id: Option<String>,
    pub persona: String,
    pub phone_id: String,
    /// Revoke the credential once issued (the persona's `revoked` flag).
    pub revoke: bool,
    pub credential_id: Option<String>,
    pub status: IssueStatus,
}

/// The Request Service's answer, offered to the person's phone.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Offer {
    pub request_id: String,
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qr_code: Option<String>,
    /// Unix seconds.
    pub expiry: i64,
    /// Our `callback.state`, the key of the [`Pending`] record.
    #[serde(skip)]
    pub callback_state: String,
}

/// Why the provider could not start an issuance.
#[derive(Debug, Clone, thiserror::Error)]
pub enum IssueError {
    #[error("the Request Service answered {status}: {body}")]
    Refused { status: u16, body: String },
    #[error("the Request Service could not be reached: {0}")]
    Transport(String),
    #[error("the Request Service's answer lacks {0}")]
    BadAnswer(&'static str),
}

impl IssueError {
    pub fn reason(&self) -> &'static str {
        "issuance_unavailable"
    }
}

impl From<IssueError> for ApiError {
    fn from(e: IssueError) -> Self {
        ApiError::new(StatusCode::BAD_GATEWAY, e.reason(), e.to_string())
    }
}

/// The claims the credential carries, from the verified document.
pub fn claims(p: &PersonaFixture) -> Value {
    let d = &p.document;
    json!({
        "firstName": d.given_names,
        "lastName": d.family_name,
        "fullName": format!("{} {}", d.given_names, d.family_name),
        "portrait": URL_SAFE_NO_PAD.encode(portrait::portrait_jpeg(&p.key)),
        "dateOfBirth": d.date_of_birth,
        "documentType": d.document_type,
        "documentNumber": d.document_number,
        "nationality": d.nationality,
    })
}

/// Calls `createIssuanceRequest` for the persona's credential and registers the callback state.
pub async fn request(
    state: &AppState,
    prov: &ProviderFixture,
    persona: &PersonaFixture,
    phone_id: &str,
    include_qr: bool,
) -> Result<Offer, IssueError> {
    let roles = state
        .fixture()
        .apps
        .iter()
        .find(|a| a.client_id == prov.issuer_client_id)
        .map(|a| a.roles.request_service.clone())
        .unwrap_or_default();
    let (token, _) =
        state.mint_access_token(prov.issuer_client_id, Resource::RequestService, roles);
    let callback_state = uuid::Uuid::new_v4().to_string();
    let api_key = uuid::Uuid::new_v4().simple().to_string();
    let urls = state.urls();
    let now = state.clock().now();
    let body = json!({
        "authority": prov.issuer_did,
        "includeQRCode": include_qr,
        "registration": { "clientName": prov.display_name },
        "callback": {
            "url": format!("{}/{}/callbacks/issuance", urls.provider, prov.id),
            "state": callback_state,
            "headers": { "api-key": api_key },
        },
        "type": prov.credential_type,
        "manifest": format!(
            "{}/v1.0/tenants/{}/verifiableCredentials/contracts/{}/manifest",
            urls.request_service, urls.tenant, prov.contract_id()
        ),
        "claims": claims(persona),
        "expirationDate": crate::clock::rfc3339(
            now + time::Duration::days(prov.credential_validity_days.max(1))
        ),
    });
    // Registered before the call: the first callback can beat the 201.
    lock(&state.provider().issuances).insert(
        callback_state.clone(),
        Pending {
            provider_id: prov.id.clone(),
            api_key,
            request_id: None,
            persona: persona.key.clone(),
            phone_id: phone_id.to_owned(),
            revoke: persona.revoked,
            credential_id: None,
            status: IssueStatus::Requested,
        },
    );
    let result = post(state, &token, &body).await;
    let mut map = lock(&state.provider().issuances);
    match result {
        Ok(mut offer) => {
            offer.callback_state = callback_state.clone();
            if let Some(p) = map.get_mut(&callback_state) {
                p.request_id = Some(offer.request_id.clone());
            }
            Ok(offer)
        }
        Err(e) => {
            map.remove(&callback_state);
            Err(e)
        }
    }
}

async fn post(state: &AppState, token: &str, body: &Value) -> Result<Offer, IssueError> {
    let url = format!(
        "{}/v1.0/verifiableCredentials/createIssuanceRequest",
        state.urls().request_service
    );
    let resp = state
        .http()
        .post(url)
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .map_err(|e| IssueError::Transport(e.to_string()))?;
    let status = resp.status();
    let text = resp.text().await.map_err(|e| IssueError::Transport(e.to_string()))?;
    if status != StatusCode::CREATED {
        return Err(IssueError::Refused { status: status.as_u16(), body: text });
    }
    let v: Value = serde_json::from_str(&text).map_err(|_| IssueError::BadAnswer("a JSON body"))?;
    let request_id = v["requestId"].as_str().ok_or(IssueError::BadAnswer("requestId"))?.to_owned();
    let url = v["url"].as_str().ok_or(IssueError::BadAnswer("url"))?.to_owned();
    let expiry = v["expiry"].as_i64().ok_or(IssueError::BadAnswer("expiry"))?;
    Ok(Offer {
        request_id,
        url,
        qr_code: v["qrCode"].as_str().map(str::to_owned),
        expiry,
        callback_state: String::new(),
    })
}

/// The current status of the issuance behind `callback_state`.
pub fn status_of(state: &AppState, callback_state: &str) -> Option<IssueStatus> {
    lock(&state.provider().issuances).get(callback_state).map(|p| p.status.clone())
}

/// Waits (up to `timeout`) for the issuance to be issued or to fail.
pub async fn wait_settled(
    state: &AppState,
    callback_state: &str,
    timeout: Duration,
) -> IssueStatus {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let s = status_of(state, callback_state)
            .unwrap_or_else(|| IssueStatus::Failed("unknown_issuance".to_owned()));
        if matches!(s, IssueStatus::Issued | IssueStatus::Failed(_))
            || tokio::time::Instant::now() >= deadline
        {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Records the credential the phone reported and revokes it if the persona calls for it.
pub fn credential_held(state: &AppState, callback_state: &str, credential_id: &str) {
    let revoke = {
        let mut map = lock(&state.provider().issuances);
        let Some(p) = map.get_mut(callback_state) else { return };
        p.credential_id = Some(credential_id.to_owned());
        p.revoke && p.status == IssueStatus::Issued
    };
    if revoke {
        phone_bridge::revoke(state, credential_id);
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CallbackBody {
    #[serde(default)]
    request_id: Option<String>,
    request_status: String,
    state: String,
    #[serde(default)]
    error: Option<Value>,
}

/// `POST {provider}/{providerId}/callbacks/issuance` — Request Service issuance callbacks,
/// authenticated by the `api-key` header we set (constant-time comparison).
pub async fn callback(
    State(s): State<AppState>,
    Path(provider_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(e) = any_provider(&s, &provider_id) {
        return e.into_response();
    }
    let Ok(cb) = serde_json::from_slice::<CallbackBody>(&body) else {
        return ApiError::new(StatusCode::BAD_REQUEST, "bad_callback", "Not an issuance callback.")
            .into_response();
    };
    let given = headers.get("api-key").map(|v| v.as_bytes().to_vec()).unwrap_or_default();
    let revoke_now = {
        let mut map = lock(&s.provider().issuances);
        let Some(p) = map.get_mut(&cb.state).filter(|p| p.provider_id == provider_id) else {
            // Same answer as a bad key: a caller learns nothing about which states exist.
            return unauthorized();
        };
        if !bool::from(p.api_key.as_bytes().ct_eq(&given)) {
            return unauthorized();
        }
        if let (Some(got), Some(ours)) = (&cb.request_id, &p.request_id)
            && got != ours
        {
            return ApiError::new(StatusCode::BAD_REQUEST, "bad_callback", "requestId mismatch.")
                .into_response();
        }
        match cb.request_status.as_str() {
            "request_retrieved" => {
                if p.status == IssueStatus::Requested {
                    p.status = IssueStatus::Retrieved;
                }
            }
            "issuance_successful" => p.status = IssueStatus::Issued,
            "issuance_error" => {
                let code = cb
                    .error
                    .as_ref()
                    .and_then(|e| e["message"].as_str().or_else(|| e["code"].as_str()))
                    .unwrap_or("issuance_error");
                p.status = IssueStatus::Failed(code.to_owned());
            }
            other => {
                tracing::warn!(status = other, "unknown issuance callback status");
            }
        }
        (p.status == IssueStatus::Issued && p.revoke)
            .then(|| (p.phone_id.clone(), p.persona.clone(), p.credential_id.clone()))
    };
    if let Some((phone, persona_key, known)) = revoke_now {
        let issuer =
            any_provider(&s, &provider_id).map(|p| p.issuer_did.clone()).unwrap_or_default();
        let number = s.fixture().persona(&persona_key).map(|p| p.document.document_number.clone());
        let found = known
            .or_else(|| number.and_then(|n| phone_bridge::find_issued(&s, &phone, &issuer, &n)));
        if let Some(id) = found {
            phone_bridge::revoke(&s, &id);
            if let Some(p) = lock(&s.provider().issuances).get_mut(&cb.state) {
                p.credential_id = Some(id);
            }
        }
    }
    StatusCode::OK.into_response()
}

fn unauthorized() -> Response {
    ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "Unknown state or wrong api-key.")
        .into_response()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::{EmulatorOptions, Fixture};

    #[tokio::test]
    async fn callbacks_need_our_api_key_and_a_known_state() {
        let emu = crate::start(EmulatorOptions { fixture: Fixture::demo(), ..Default::default() })
            .await
            .unwrap();
        lock(&emu.state.provider().issuances).insert(
            "st-1".to_owned(),
            Pending {
                provider_id: "trueid".to_owned(),
                api_key: "right-key".to_owned(),
                request_id: Some("req-1".to_owned()),
                persona: "ana".to_owned(),
                phone_id: "demo-phone".to_owned(),
                revoke: false,
                credential_id: None,
                status: IssueStatus::Requested,
            },
        );
        let http = reqwest::Client::new();
        let post = |provider: &str, key: &str, status: &str, state: &str| {
            http.post(format!("{}/{provider}/callbacks/issuance", emu.urls.provider))
                .header("api-key", key)
                .json(&json!({ "requestId": "req-1", "requestStatus": status, "state": state }))
                .send()
        };
        let code = |r: reqwest::Response| r.status().as_u16();
        assert_eq!(
            code(post("trueid", "wrong-key", "issuance_successful", "st-1").await.unwrap()),
            401
        );
        assert_eq!(
            code(post("trueid", "right-key", "issuance_successful", "st-2").await.unwrap()),
            401
        );
        // Another provider's endpoint does not accept this provider's issuance.
        assert_eq!(
            code(post("vouchsafe", "right-key", "issuance_successful", "st-1").await.unwrap()),
            401
        );
        assert_eq!(status_of(&emu.state, "st-1"), Some(IssueStatus::Requested));
        assert_eq!(
            code(post("trueid", "right-key", "request_retrieved", "st-1").await.unwrap()),
            200
        );
        assert_eq!(status_of(&emu.state, "st-1"), Some(IssueStatus::Retrieved));
        assert_eq!(
            code(post("trueid", "right-key", "issuance_successful", "st-1").await.unwrap()),
            200
        );
        assert_eq!(status_of(&emu.state, "st-1"), Some(IssueStatus::Issued));
        emu.shutdown().await;
    }
}
