//! Identity-verification providers (IDV): printable test ID cards, the hosted phone flow reached
//! through a one-time signed link, the kiosk-camera capture API, and issuance of the verified
//! identity credential through the Request Service (contract §2.8, §5).

pub mod capture;
pub mod card;
pub mod decode;
pub mod hosted;
pub mod issue;
pub mod link;
pub mod onboard;
pub mod portrait;

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post, put};
use serde_json::json;

use crate::fixture::{Fixture, FixtureError, PersonaFixture, ProviderFixture};
use crate::html::esc;
use crate::server::PublicBase;
use crate::state::AppState;

/// How long an expired hosted flow or capture session is kept (answering 410 / `expired`)
/// before it is forgotten and answers 404.
pub const EXPIRED_GRACE_SECS: i64 = 10 * 60;

/// Everything the providers remember between requests. Flows and capture sessions are removed
/// lazily, [`EXPIRED_GRACE_SECS`] after they expire, whenever one is created or looked up.
#[derive(Debug, Default)]
pub struct ProviderState {
    links: link::UsedLinks,
    flows: Mutex<HashMap<String, hosted::Flow>>,
    sessions: Mutex<HashMap<String, capture::Session>>,
    issuances: Mutex<HashMap<String, issue::Pending>>,
}

impl ProviderState {
    pub fn from_fixture(f: &Fixture) -> Result<Self, FixtureError> {
        for p in f.providers.iter().filter(|p| !p.is_link()) {
            if p.link_signing_key.len() < 16 {
                return Err(FixtureError::Invalid(format!(
                    "provider {}: link_signing_key must be at least 16 characters",
                    p.id
                )));
            }
            if let Some(d) = p.documents.iter().find(|d| !is_document_type(d)) {
                return Err(FixtureError::Invalid(format!(
                    "provider {} accepts unknown document type {d}",
                    p.id
                )));
            }
        }
        Ok(Self::default())
    }

    /// Forgets hosted flows that expired more than [`EXPIRED_GRACE_SECS`] before `now`.
    fn prune_flows(&self, now: i64) {
        lock(&self.flows).retain(|_, f| f.issuing || f.expires_at + EXPIRED_GRACE_SECS > now);
    }

    /// Forgets capture sessions that expired (see [`capture::Session::ends_at`]) more than
    /// [`EXPIRED_GRACE_SECS`] before `now`.
    fn prune_sessions(&self, now: i64) {
        lock(&self.sessions).retain(|_, s| s.submitting || s.ends_at() + EXPIRED_GRACE_SECS > now);
    }
}

/// The document types test documents come in.
pub const DOCUMENT_TYPES: [&str; 3] = ["passport", "id_card", "driving_licence"];

fn is_document_type(d: &str) -> bool {
    DOCUMENT_TYPES.contains(&d)
}

/// Locks a map, recovering from a poisoned lock (a panicked test thread must not wedge the rest).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A JSON error from a provider API: `{reason, message}` with an HTTP status.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub reason: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, reason: &'static str, message: impl Into<String>) -> Self {
        Self { status, reason, message: message.into() }
    }

    fn unknown_provider(id: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "unknown_provider", format!("No provider named {id}."))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp =
            (self.status, axum::Json(json!({ "reason": self.reason, "message": self.message })))
                .into_response();
        resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        resp
    }
}

/// The fixture entry of a provider id in a URL, for its APIs (the hosted flow, the capture API):
/// a link-only provider has none.
fn provider<'a>(state: &'a AppState, id: &str) -> Result<&'a ProviderFixture, ApiError> {
    any_provider(state, id)
        .and_then(|p| if p.is_link() { Err(ApiError::unknown_provider(id)) } else { Ok(p) })
}

/// The fixture entry of a provider id in a URL, whatever its kind (issuance, onboarding).
fn any_provider<'a>(state: &'a AppState, id: &str) -> Result<&'a ProviderFixture, ApiError> {
    state.fixture().provider(id).ok_or_else(|| ApiError::unknown_provider(id))
}

/// Routes of this emulated host, mounted at its root.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(index))
        .route("/cards/", get(cards_index))
        .route("/cards", get(cards_index))
        .route("/cards/{file}", get(card_file))
        .route("/{provider}/start", get(hosted::start))
        .route("/{provider}/flow/{flow}", get(hosted::page_get))
        .route("/{provider}/flow/{flow}/document", post(hosted::choose_document))
        .route("/{provider}/flow/{flow}/images/{side}", put(hosted::upload))
        .route("/{provider}/flow/{flow}/scan", post(hosted::use_test_card))
        .route("/{provider}/flow/{flow}/selfie", post(hosted::use_persona_selfie))
        .route("/{provider}/flow/{flow}/verify", post(hosted::verify))
        .route("/{provider}/flow/{flow}/retry", post(hosted::retry))
        .route("/{provider}/flow/{flow}/return", get(hosted::return_to_kiosk))
        .route("/{provider}/callbacks/issuance", post(issue::callback))
        .route("/{provider}/onboard", get(onboard::page_get))
        .route("/{provider}/onboard/add", post(onboard::add))
        .route("/{provider}/v1/sessions", post(capture::create))
        .route("/{provider}/v1/sessions/{session}", get(capture::status))
        .route("/{provider}/v1/sessions/{session}/images/{side}", put(capture::upload))
        .route("/{provider}/v1/sessions/{session}/submit", post(capture::submit))
}

/// Test-control routes, merged into `{control}`.
pub fn control_routes() -> Router<AppState> {
    Router::new()
        .route("/providers/{provider}/links", post(hosted::control_mint_link))
        .route("/providers/{provider}/hosted/complete", post(hosted::control_complete))
        .route("/providers/{provider}/onboard/complete", post(onboard::control_complete))
}

/// `GET {provider}/` — the providers this host emulates (JSON).
async fn index(State(s): State<AppState>, PublicBase(base): PublicBase) -> Response {
    let list: Vec<_> = s
        .fixture()
        .providers
        .iter()
        .map(|p| {
            if let Some(page) = p.onboarding_url(&base) {
                // Link-only: its onboarding page, no API.
                return json!({
                    "id": p.id,
                    "displayName": p.display_name,
                    "issuerDid": p.issuer_did,
                    "credentialType": p.credential_type,
                    "documents": p.documents,
                    "kind": "link",
                    "onboardingUrl": page,
                });
            }
            json!({
                "id": p.id,
                "displayName": p.display_name,
                "issuerDid": p.issuer_did,
                "credentialType": p.credential_type,
                "documents": p.documents,
                "captureApi": format!("{base}/{}/v1/sessions", p.id),
                "hostedStart": format!("{base}/{}/start", p.id),
            })
        })
        .collect();
    axum::Json(json!({ "providers": list, "cards": format!("{base}/cards/") })).into_response()
}

/// `GET {provider}/cards/` — a printable index of every persona's card, back and selfie.
async fn cards_index(State(s): State<AppState>, PublicBase(base): PublicBase) -> Html<String> {
    // The base comes from the Host header: escape it like any other text.
    let base = esc(&base);
    let mut rows = String::new();
    for p in &s.fixture().personas {
        let k = esc(&p.key);
        let d = &p.document;
        rows.push_str(&format!(
            "<section><h2>{k} — {} {}</h2><p>{}{}{}</p>\
             <img src=\"{base}/cards/{k}.png\" alt=\"front of {k}'s card\">\
             <img src=\"{base}/cards/{k}-back.png\" alt=\"back of {k}'s card\">\
             <p><a href=\"{base}/cards/{k}.png\">front</a> · <a href=\"{base}/cards/{k}-back.png\">back</a> · \
             <a href=\"{base}/cards/{k}-selfie.png\">selfie</a></p></section>",
            esc(&d.given_names),
            esc(&d.family_name),
            esc(card::document_label(&d.document_type)),
            if p.forged { " · forged" } else { "" },
            if p.revoked { " · credential revoked after issuance" } else { "" },
        ));
        rows.push_str(&format!("<p class=\"note\">{}</p>", esc(&p.description)));
    }
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Test identity documents</title><style>\
         body{{font-family:sans-serif;margin:1rem}} img{{width:85.6mm;height:53.98mm;margin:2mm;border:1px solid #ccc}}\
         section{{break-inside:avoid}} .note{{color:#555}} @media print{{a{{display:none}}}}\
         </style></head><body><h1>Test identity documents</h1>\
         <p>Print at 100% scale: each card is ID-1 size (85.6 × 54 mm). These documents are test data \
         for the Reclaim emulator and are not valid anywhere.</p>{rows}</body></html>"
    ))
}

/// `GET {provider}/cards/{persona}.png`, `…/{persona}-back.png`, `…/{persona}-selfie.png`,
/// `…/{persona}-portrait.jpg`.
async fn card_file(State(s): State<AppState>, Path(file): Path<String>) -> Response {
    let (key, kind) = if let Some(k) = file.strip_suffix("-back.png") {
        (k, "back")
    } else if let Some(k) = file.strip_suffix("-selfie.png") {
        (k, "selfie")
    } else if let Some(k) = file.strip_suffix("-portrait.jpg") {
        (k, "portrait")
    } else if let Some(k) = file.strip_suffix(".png") {
        (k, "front")
    } else {
        return ApiError::new(StatusCode::NOT_FOUND, "not_found", "No such card image.")
            .into_response();
    };
    let Some(p) = s.fixture().persona(key) else {
        return ApiError::new(StatusCode::NOT_FOUND, "unknown_persona", "No such persona.")
            .into_response();
    };
    let p = p.clone();
    // Rendering takes tens of milliseconds; keep it off the async workers.
    let rendered = tokio::task::spawn_blocking(move || match kind {
        "back" => ("image/png", card::back_png(&p)),
        "selfie" => ("image/png", portrait::selfie_png(&p.key)),
        "portrait" => ("image/jpeg", portrait::portrait_jpeg(&p.key)),
        _ => ("image/png", card::card_png(&p)),
    })
    .await;
    match rendered {
        Ok((ct, bytes)) => {
            ([(header::CONTENT_TYPE, ct), (header::CACHE_CONTROL, "no-cache")], bytes)
                .into_response()
        }
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// The persona whose test document or selfie a demo shortcut asks for.
fn persona<'a>(state: &'a AppState, key: &str) -> Result<&'a PersonaFixture, ApiError> {
    state.fixture().persona(key).ok_or_else(|| {
        ApiError::new(StatusCode::NOT_FOUND, "unknown_persona", format!("No persona named {key}."))
    })
}

/// Today's date on the emulator's clock (documents expire by date).
fn today(state: &AppState) -> time::Date {
    state.clock().now().date()
}

/// Bridge to the Authenticator simulator (`crate::phone`).
mod phone_bridge {
    use crate::phone::{self, OpenOutcome};
    use crate::state::AppState;

    /// Opens an `openid-vc://` issuance URL on a simulated phone; the new credential's id.
    pub async fn open(
        state: &AppState,
        phone_id: &str,
        url: &str,
    ) -> Result<Option<String>, String> {
        match phone::open_url(state, phone_id, url).await {
            Ok(OpenOutcome::Issued { credential_id }) => Ok(Some(credential_id)),
            Ok(_) => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }

    /// Revokes a held credential.
    pub fn revoke(state: &AppState, credential_id: &str) -> bool {
        state.phones().revoke(credential_id)
    }

    /// The newest credential on `phone_id` from `issuer` for document `document_number`
    /// (issuance callbacks carry no credential id).
    pub fn find_issued(
        state: &AppState,
        phone_id: &str,
        issuer: &str,
        document_number: &str,
    ) -> Option<String> {
        state
            .phones()
            .credentials(phone_id)
            .into_iter()
            .rev()
            .find(|c| {
                c.issuer == issuer
                    && c.claims.get("documentNumber").and_then(|v| v.as_str())
                        == Some(document_number)
            })
            .map(|c| c.id)
    }
}
