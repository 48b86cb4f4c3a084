//! The capture API the kiosk camera uploads to: a session per attempt, images per side, then a
//! verdict and, when verified, an issuance deep link for the person's Authenticator.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use subtle::ConstantTimeEq as _;

use super::decode::{Evidence, Rejection, Side};
use super::issue::{self, IssueStatus, Offer};
use super::link::DEFAULT_PHONE;
use super::{ApiError, lock, provider, today};
use crate::clock::rfc3339;
use crate::fixture::ProviderFixture;
use crate::state::AppState;

/// Largest accepted image upload.
pub const MAX_IMAGE_BYTES: usize = 8 * 1024 * 1024;
/// How much of an oversized upload is read and dropped before answering 413.
pub const DRAIN_LIMIT_BYTES: usize = 64 * 1024 * 1024;
/// How long a capture session stays open.
pub const SESSION_LIFETIME_SECS: i64 = 15 * 60;

/// The verdict on a session, once submitted.
#[derive(Debug, Clone)]
pub enum Outcome {
    Rejected(Rejection),
    Verified(Offer),
}

/// One capture attempt.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    pub provider_id: String,
    pub phone_id: String,
    pub evidence: Evidence,
    pub expires_at: i64,
    pub outcome: Option<Outcome>,
    /// A submit is being judged (a second submit meanwhile gets 409, not a second issuance).
    pub submitting: bool,
}

impl Session {
    /// When the session is over: its own expiry or, once verified, its issuance offer's expiry,
    /// whichever is later.
    pub fn ends_at(&self) -> i64 {
        match &self.outcome {
            Some(Outcome::Verified(offer)) => self.expires_at.max(offer.expiry),
            _ => self.expires_at,
        }
    }
}

/// `X-Api-Key` must equal the provider's capture key (constant-time).
fn authorize<'a>(
    state: &'a AppState,
    provider_id: &str,
    headers: &HeaderMap,
) -> Result<&'a ProviderFixture, ApiError> {
    let p = provider(state, provider_id)?;
    let given = headers.get("x-api-key").map(|v| v.as_bytes()).unwrap_or_default();
    if bool::from(p.capture_api_key.as_bytes().ct_eq(given)) && !given.is_empty() {
        Ok(p)
    } else {
        Err(ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "Missing or wrong X-Api-Key."))
    }
}

/// The session, if it exists for this provider and is still open.
fn open_session(state: &AppState, provider_id: &str, id: &str) -> Result<Session, ApiError> {
    state.provider().prune_sessions(state.clock().now_unix());
    let s = lock(&state.provider().sessions)
        .get(id)
        .filter(|s| s.provider_id == provider_id)
        .cloned()
        .ok_or_else(|| {
            ApiError::new(StatusCode::NOT_FOUND, "unknown_session", "No such session.")
        })?;
    if s.outcome.is_none() && s.expires_at <= state.clock().now_unix() {
        return Err(ApiError::new(StatusCode::GONE, "session_expired", "The session has expired."));
    }
    Ok(s)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateBody {
    document_type: String,
    #[serde(default)]
    phone_id: Option<String>,
}

/// `POST {provider}/{providerId}/v1/sessions {documentType, phoneId?}` → 201 `{sessionId, expiresAt}`.
pub async fn create(
    State(s): State<AppState>,
    Path(provider_id): Path<String>,
    headers: HeaderMap,
    body: Option<Json<CreateBody>>,
) -> Result<Response, ApiError> {
    let p = authorize(&s, &provider_id, &headers)?;
    let Some(Json(body)) = body else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "Body must be JSON {documentType, phoneId?}.",
        ));
    };
    if !p.documents.contains(&body.document_type) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            Rejection::DocumentTypeNotAccepted.code(),
            format!("{} accepts {}.", p.display_name, p.documents.join(", ")),
        ));
    }
    let id = uuid::Uuid::new_v4().to_string();
    let now = s.clock().now_unix();
    s.provider().prune_sessions(now);
    let expires_at = now + SESSION_LIFETIME_SECS;
    let evidence =
        Evidence { document_type: Some(body.document_type.clone()), ..Evidence::default() };
    let required: Vec<&str> = evidence.missing().iter().map(|m| m.as_str()).collect();
    lock(&s.provider().sessions).insert(
        id.clone(),
        Session {
            id: id.clone(),
            provider_id: p.id.clone(),
            phone_id: body
                .phone_id
                .filter(|x| !x.is_empty())
                .unwrap_or_else(|| DEFAULT_PHONE.to_owned()),
            evidence,
            expires_at,
            outcome: None,
            submitting: false,
        },
    );
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "sessionId": id,
            "documentType": body.document_type,
            "requiredImages": required,
            "expiresAt": unix_rfc3339(expires_at),
        })),
    )
        .into_response())
}

/// `PUT {provider}/{providerId}/v1/sessions/{id}/images/{front|back|selfie}` (raw PNG/JPEG) → 204,
/// or 422 `{reason}` when the image cannot be used, 413 over 8 MB.
pub async fn upload(
    State(s): State<AppState>,
    Path((provider_id, id, side)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, ApiError> {
    let p = authorize(&s, &provider_id, &headers)?;
    // Read (or drain) the body before any other refusal, so the client always gets our answer.
    let bytes = read_image_body(body).await?;
    let side = Side::parse(&side).ok_or_else(|| {
        ApiError::new(StatusCode::NOT_FOUND, "unknown_side", "Sides are front, back and selfie.")
    })?;
    let session = open_session(&s, &provider_id, &id)?;
    if session.outcome.is_some() {
        return Err(ApiError::new(StatusCode::CONFLICT, "session_submitted", "Already submitted."));
    }
    let mut read =
        Evidence { document_type: session.evidence.document_type.clone(), ..Evidence::default() };
    // Decoding is CPU-bound (QR search over the whole frame).
    let read = tokio::task::spawn_blocking(move || read.put_image(side, &bytes).map(|()| read))
        .await
        .map_err(|_| {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Decoder failed.")
        })?
        .map_err(rejection_422)?;
    // The document is judged as soon as it is read, so the kiosk can ask for another at once.
    read.check_side(side, s.fixture(), p, today(&s)).map_err(rejection_422)?;
    // Only this side is replaced: uploads of other sides may be running concurrently.
    if let Some(stored) = lock(&s.provider().sessions).get_mut(&id) {
        stored.evidence.take_side(read, side);
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Reads a raw image body up to [`MAX_IMAGE_BYTES`]. A larger body is still read (and dropped)
/// up to [`DRAIN_LIMIT_BYTES`] before the 413, so the client sees the answer rather than a reset.
pub async fn read_image_body(body: Body) -> Result<Vec<u8>, ApiError> {
    use futures::StreamExt as _;
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "image_too_large",
            format!("Images are limited to {} MB.", MAX_IMAGE_BYTES / (1024 * 1024)),
        )
    };
    let mut stream = body.into_data_stream();
    let mut buf = Vec::new();
    let mut total = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| {
            ApiError::new(StatusCode::BAD_REQUEST, "body_unreadable", "The upload was cut off.")
        })?;
        total = total.saturating_add(chunk.len());
        if total <= MAX_IMAGE_BYTES {
            buf.extend_from_slice(&chunk);
        } else {
            buf = Vec::new();
            if total > DRAIN_LIMIT_BYTES {
                break;
            }
        }
    }
    if total > MAX_IMAGE_BYTES {
        return Err(too_large());
    }
    Ok(buf)
}

fn rejection_422(r: Rejection) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, r.code(), r.to_string())
}

/// `POST {provider}/{providerId}/v1/sessions/{id}/submit` → 200 `{status: verified|rejected,
/// reason?, issuance?, expiresAt}`; 422 `images_missing` when front, selfie (or a card's back) is absent.
pub async fn submit(
    State(s): State<AppState>,
    Path((provider_id, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let p = authorize(&s, &provider_id, &headers)?;
    let session = open_session(&s, &provider_id, &id)?;
    if session.outcome.is_none() {
        let missing = session.evidence.missing();
        if !missing.is_empty() {
            let names: Vec<&str> = missing.iter().map(|m| m.as_str()).collect();
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "images_missing",
                format!("Still needed: {}.", names.join(", ")),
            ));
        }
        {
            let mut map = lock(&s.provider().sessions);
            match map.get_mut(&id) {
                Some(stored) if stored.submitting => {
                    return Err(ApiError::new(
                        StatusCode::CONFLICT,
                        "submit_in_progress",
                        "This session is already being verified.",
                    ));
                }
                Some(stored) if stored.outcome.is_none() => stored.submitting = true,
                _ => {}
            }
        }
        let outcome = match session.evidence.judge(s.fixture(), p, today(&s)) {
            Err(r) => Ok(Outcome::Rejected(r)),
            Ok(persona) => {
                issue::request(&s, p, persona, &session.phone_id, true).await.map(Outcome::Verified)
            }
        };
        let mut map = lock(&s.provider().sessions);
        if let Some(stored) = map.get_mut(&id) {
            stored.submitting = false;
            if stored.outcome.is_none() {
                // A failed issuance request leaves the session open for another submit.
                stored.outcome = Some(outcome?);
            }
        }
    }
    Ok(Json(describe(&s, &open_session(&s, &provider_id, &id)?)))
}

/// `GET {provider}/{providerId}/v1/sessions/{id}` → the session's status (`expired` once past its
/// expiry; 404 `unknown_session` once it has been forgotten, [`super::EXPIRED_GRACE_SECS`] later).
pub async fn status(
    State(s): State<AppState>,
    Path((provider_id, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    authorize(&s, &provider_id, &headers)?;
    s.provider().prune_sessions(s.clock().now_unix());
    let session = lock(&s.provider().sessions)
        .get(&id)
        .filter(|x| x.provider_id == provider_id)
        .cloned()
        .ok_or_else(|| {
            ApiError::new(StatusCode::NOT_FOUND, "unknown_session", "No such session.")
        })?;
    Ok(Json(describe(&s, &session)))
}

/// The JSON view of a session.
fn describe(s: &AppState, session: &Session) -> Value {
    let ev = &session.evidence;
    let mut v = json!({
        "sessionId": session.id,
        "documentType": ev.document_type,
        "images": {
            "front": ev.front.is_some(),
            "back": ev.back.is_some(),
            "selfie": ev.selfie.is_some(),
        },
        "missingImages": ev.missing().iter().map(|m| m.as_str()).collect::<Vec<_>>(),
    });
    match &session.outcome {
        None => {
            let expired = session.expires_at <= s.clock().now_unix();
            v["status"] = json!(if expired { "expired" } else { "open" });
            v["expiresAt"] = json!(unix_rfc3339(session.expires_at));
        }
        Some(Outcome::Rejected(r)) => {
            v["status"] = json!("rejected");
            v["reason"] = json!(r.code());
            v["message"] = json!(r.to_string());
        }
        Some(Outcome::Verified(offer)) => {
            v["status"] = json!("verified");
            v["issuance"] = json!(offer);
            v["expiresAt"] = json!(unix_rfc3339(offer.expiry));
            // After submit the status follows the issuance: issued, or failed with a reason.
            match issue::status_of(s, &offer.callback_state) {
                Some(IssueStatus::Issued) => v["status"] = json!("issued"),
                Some(IssueStatus::Failed(r)) => {
                    v["status"] = json!("failed");
                    v["reason"] = json!(r);
                }
                Some(IssueStatus::Retrieved) => v["issuanceRetrieved"] = json!(true),
                _ => {}
            }
        }
    }
    v
}

fn unix_rfc3339(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t).map(rfc3339).unwrap_or_default()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::time::Duration;

    use serde_json::{Value, json};

    use crate::fixture::{DEMO_TENANT_TOML, Fixture};
    use crate::provider::{card, portrait};
    use crate::{EmulatorOptions, RunningEmulator};

    const KEY: &str = "demo-trueid-capture-key";

    struct Kiosk {
        emu: RunningEmulator,
        http: reqwest::Client,
    }

    impl Kiosk {
        async fn start(fixture: Fixture) -> Self {
            let emu =
                crate::start(EmulatorOptions { fixture, ..Default::default() }).await.unwrap();
            Self { emu, http: reqwest::Client::new() }
        }

        fn url(&self, path: &str) -> String {
            format!("{}/trueid/v1/sessions{path}", self.emu.urls.provider)
        }

        async fn session(&self, document_type: &str, phone: &str) -> String {
            let r = self
                .http
                .post(self.url(""))
                .header("x-api-key", KEY)
                .json(&json!({ "documentType": document_type, "phoneId": phone }))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 201);
            r.json::<Value>().await.unwrap()["sessionId"].as_str().unwrap().to_owned()
        }

        async fn put(&self, id: &str, side: &str, bytes: Vec<u8>) -> (u16, Value) {
            let r = self
                .http
                .put(self.url(&format!("/{id}/images/{side}")))
                .header("x-api-key", KEY)
                .header("content-type", "image/png")
                .body(bytes)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            (status, r.json().await.unwrap_or(Value::Null))
        }

        async fn submit(&self, id: &str) -> (u16, Value) {
            let r = self
                .http
                .post(self.url(&format!("/{id}/submit")))
                .header("x-api-key", KEY)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json().await.unwrap())
        }

        async fn status(&self, id: &str) -> Value {
            let r =
                self.http.get(self.url(&format!("/{id}"))).header("x-api-key", KEY).send().await;
            r.unwrap().json().await.unwrap()
        }

        fn persona(&self, key: &str) -> crate::fixture::PersonaFixture {
            self.emu.state.fixture().persona(key).unwrap().clone()
        }
    }

    #[tokio::test]
    async fn revoked_persona_is_revoked_once_the_phone_takes_the_credential() {
        let k = Kiosk::start(Fixture::demo()).await;
        let liam = k.persona("liam");
        let id = k.session("passport", "liam-phone").await;
        assert_eq!(k.put(&id, "front", card::card_png(&liam)).await.0, 204);
        let (status, body) = k.submit(&id).await;
        assert_eq!((status, &body["reason"]), (422, &json!("images_missing")), "{body}");
        assert_eq!(k.put(&id, "selfie", portrait::selfie_png("liam")).await.0, 204);
        let (status, body) = k.submit(&id).await;
        assert_eq!(status, 200);
        assert_eq!(body["status"], "verified", "{body}");
        assert!(body["issuance"]["qrCode"].as_str().unwrap().starts_with("data:image/png;base64,"));
        // Submitting twice answers the same verdict, not a second issuance.
        assert_eq!(k.submit(&id).await.1["issuance"]["requestId"], body["issuance"]["requestId"]);
        let url = body["issuance"]["url"].as_str().unwrap();
        let out = crate::phone::open_url(&k.emu.state, "liam-phone", url).await.unwrap();
        let crate::phone::OpenOutcome::Issued { credential_id } = out else { panic!("{out:?}") };

        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while k.status(&id).await["status"] != "issued" {
            assert!(tokio::time::Instant::now() < deadline, "{}", k.status(&id).await);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let held = k.emu.state.phones().credentials("liam-phone");
        let c = held.iter().find(|c| c.id == credential_id).unwrap();
        assert!(c.revoked, "liam's credential is revoked after issuance");
        assert_eq!(c.claims["lastName"], "Carter");
    }

    #[tokio::test]
    async fn document_checks_refuse_with_their_own_reasons() {
        let expired = format!(
            "{DEMO_TENANT_TOML}\n[[personas]]\nkey = \"old\"\ndescription = \"Expired passport.\"\n\
             user_principal_name = \"ana.lima@contoso.example\"\ndocument = {{ document_type = \"passport\", \
             given_names = \"Ana\", family_name = \"Lima\", date_of_birth = \"1988-03-14\", \
             document_number = \"P0000001\", nationality = \"PRT\", expiry_date = \"2001-01-01\" }}\n"
        );
        let k = Kiosk::start(Fixture::from_toml(&expired).unwrap()).await;
        let id = k.session("passport", "p1").await;
        let (status, body) = k.put(&id, "front", card::card_png(&k.persona("old"))).await;
        assert_eq!((status, &body["reason"]), (422, &json!("document_expired")));
        let (status, body) = k.put(&id, "front", card::card_png(&k.persona("maria"))).await;
        assert_eq!((status, &body["reason"]), (422, &json!("document_type_mismatch")));
        let (status, body) = k.put(&id, "selfie", b"GIF89a not really".to_vec()).await;
        assert_eq!((status, &body["reason"]), (422, &json!("selfie_invalid")));
        let (status, body) = k.put(&id, "left-ear", card::card_png(&k.persona("ana"))).await;
        assert_eq!((status, &body["reason"]), (404, &json!("unknown_side")));

        // Both sides readable and genuine, but of two different cards.
        let id = k.session("id_card", "p2").await;
        assert_eq!(k.put(&id, "front", card::card_png(&k.persona("maria"))).await.0, 204);
        assert_eq!(k.put(&id, "back", card::back_png(&k.persona("dana"))).await.0, 204);
        assert_eq!(k.put(&id, "selfie", portrait::selfie_png("maria")).await.0, 204);
        let (status, body) = k.submit(&id).await;
        assert_eq!(status, 200);
        assert_eq!(body["status"], "rejected");
        assert_eq!(body["reason"], "document_sides_mismatch");
        assert!(body.get("issuance").is_none());
        let (status, _) = k.put(&id, "selfie", portrait::selfie_png("maria")).await;
        assert_eq!(status, 409, "a judged session takes no more images");
    }
}
