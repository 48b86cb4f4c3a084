//! A link-only provider's own Verified ID onboarding page (issue 17 item 8): no API, no one-time
//! link, no signed return. The kiosk shows the page as a QR; the person opens it on their phone,
//! picks the document they carry, and the provider issues the verified-identity credential into
//! the phone's Authenticator through the Request Service (the same issuance as the hosted flow,
//! [`super::issue`]). The provider tells the kiosk nothing: the person presses "I have added it"
//! there, and the presentation that follows must carry a credential of this provider's issuer
//! issued after the session began.

use std::time::Duration;

use axum::Json;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use time::Date;
use time::macros::format_description;

use super::decode::Rejection;
use super::issue::{self, IssueStatus, Offer};
use super::{ApiError, any_provider, card, persona, phone_bridge, today};
use crate::fixture::{PersonaFixture, ProviderFixture};
use crate::html::esc;
use crate::state::AppState;

/// The phone the page issues to when its URL names none (the demo kiosk's phone).
pub const DEFAULT_PHONE: &str = "demo-phone";

/// A link-only provider of the fixture (the others have their hosted flow instead).
fn link_provider<'a>(state: &'a AppState, id: &str) -> Result<&'a ProviderFixture, ApiError> {
    any_provider(state, id)
        .and_then(|p| if p.is_link() { Ok(p) } else { Err(ApiError::unknown_provider(id)) })
}

/// What the provider checks of the document the person picked (the demo stands in for the
/// provider's own document and liveness checks).
fn judge(p: &ProviderFixture, persona: &PersonaFixture, today: Date) -> Result<(), Rejection> {
    if persona.forged {
        return Err(Rejection::DocumentForged);
    }
    let expiry =
        Date::parse(&persona.document.expiry_date, format_description!("[year]-[month]-[day]"))
            .map_err(|_| Rejection::DocumentUnknown)?;
    if expiry < today {
        return Err(Rejection::DocumentExpired);
    }
    if !p.documents.iter().any(|d| d == &persona.document.document_type) {
        return Err(Rejection::DocumentTypeNotAccepted);
    }
    Ok(())
}

fn valid_phone(id: &str) -> Result<(), ApiError> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::new(StatusCode::BAD_REQUEST, "bad_phone_id", "That is not a phone id."))
    }
}

/// Checks the persona's document and asks the Request Service to issue into `phone_id`.
async fn onboard(
    state: &AppState,
    p: &ProviderFixture,
    persona_key: &str,
    phone_id: &str,
) -> Result<Offer, ApiError> {
    valid_phone(phone_id)?;
    let persona = persona(state, persona_key)?.clone();
    judge(p, &persona, today(state))
        .map_err(|r| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, r.code(), r.to_string()))?;
    Ok(issue::request(state, p, &persona, phone_id, false).await?)
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;padding:1rem;max-width:34rem;\
margin-inline:auto;font-size:1.1rem;line-height:1.45;color:#1b1f27}h1{font-size:1.5rem}\
.btn,button,select,input{display:block;width:100%;box-sizing:border-box;min-height:3.2rem;\
margin:.6rem 0;font-size:1.1rem;border-radius:.6rem}.btn,button{background:#0b6e4f;color:#fff;border:0;\
text-align:center;text-decoration:none;line-height:3.2rem}.err{color:#a3162b;font-weight:600}\
small{color:#555}";

fn page(p: &ProviderFixture, title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t} — {n}</title><style>{STYLE}</style></head><body>\
         <p><small>{n} · Verified ID onboarding</small></p><h1>{t}</h1>{body}</body></html>",
        t = esc(title),
        n = esc(&p.display_name),
    ))
}

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    phone: Option<String>,
}

/// `GET {provider}/{providerId}/onboard?phone=…` — the onboarding page: pick the document you
/// carry (demo: a persona's), then add the credential to Authenticator.
pub async fn page_get(
    State(s): State<AppState>,
    Path(provider_id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Response {
    let p = match link_provider(&s, &provider_id) {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let phone = q.phone.filter(|x| valid_phone(x).is_ok()).unwrap_or_else(|| DEFAULT_PHONE.into());
    let documents: Vec<&str> = p.documents.iter().map(|d| card::document_label(d)).collect();
    let personas: String = s
        .fixture()
        .personas
        .iter()
        .map(|x| {
            format!(
                "<option value=\"{k}\">{k} — {} {} ({})</option>",
                esc(&x.document.given_names),
                esc(&x.document.family_name),
                esc(card::document_label(&x.document.document_type)),
                k = esc(&x.key)
            )
        })
        .collect();
    page(
        p,
        "Add your verified ID",
        &format!(
            "<p>We check your identity document and add a verified ID to Microsoft Authenticator \
             on this phone. Accepted: {docs}.</p>\
             <form method=\"post\" action=\"onboard/add\">\
             <input type=\"hidden\" name=\"phone\" value=\"{phone}\">\
             <label>Demo: the document of<select name=\"persona\">{personas}</select></label>\
             <button id=\"verify\">Verify and add to Authenticator</button></form>",
            docs = esc(&documents.join(", ")),
            phone = esc(&phone),
        ),
    )
    .into_response()
}

#[derive(Debug, Deserialize)]
pub struct AddForm {
    persona: String,
    phone: String,
}

/// `POST {provider}/{providerId}/onboard/add` (form `persona`, `phone`) — checks the document
/// and offers the credential: "Add to Authenticator" opens it on the phone.
pub async fn add(
    State(s): State<AppState>,
    Path(provider_id): Path<String>,
    Form(form): Form<AddForm>,
) -> Response {
    let p = match link_provider(&s, &provider_id) {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    match onboard(&s, p, &form.persona, &form.phone).await {
        Ok(offer) => {
            let add = super::hosted::add_to_authenticator_url(&s, &form.phone, &offer.url);
            page(
                p,
                "You're verified",
                &format!(
                    "<p>Add your verified ID to Microsoft Authenticator. Then go back to the kiosk \
                     and press <b>I have added it</b>.</p>\
                     <a class=\"btn\" id=\"add\" href=\"{}\">Add to Authenticator</a>",
                    esc(&add)
                ),
            )
            .into_response()
        }
        Err(e) => {
            let body = format!(
                "<p class=\"err\">{}</p><p><small>Reason: <code>{}</code></small></p>\
                 <a class=\"btn\" href=\"../onboard?phone={}\">Try again</a>",
                esc(&e.message),
                esc(e.reason),
                esc(&form.phone),
            );
            (e.status, page(p, "We could not verify your document", &body)).into_response()
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompleteBody {
    persona: String,
    #[serde(default)]
    phone_id: Option<String>,
}

/// `POST {control}/providers/{providerId}/onboard/complete {persona, phoneId?}` — plays the
/// person through the onboarding page with the persona's document and adds the credential in
/// the phone's Authenticator (no return to any kiosk: there is none). Answers `{status:
/// "issued"|"failed", reason?, credentialId?, requestId}`.
pub async fn control_complete(
    State(s): State<AppState>,
    Path(provider_id): Path<String>,
    Json(b): Json<CompleteBody>,
) -> Result<Json<Value>, ApiError> {
    let p = link_provider(&s, &provider_id)?;
    let phone = b.phone_id.filter(|x| !x.is_empty()).unwrap_or_else(|| DEFAULT_PHONE.into());
    let offer = match onboard(&s, p, &b.persona, &phone).await {
        Ok(o) => o,
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            return Ok(Json(json!({ "status": "failed", "reason": e.reason })));
        }
        Err(e) => return Err(e),
    };
    let credential_id = match phone_bridge::open(&s, &phone, &offer.url).await {
        Ok(id) => id,
        Err(e) => {
            tracing::warn!(error = %e, "the phone could not open the issuance URL");
            None
        }
    };
    if let Some(id) = &credential_id {
        issue::credential_held(&s, &offer.callback_state, id);
    }
    let wait = Duration::from_secs(s.settings().callback_timeout_secs.max(1));
    let settled = issue::wait_settled(&s, &offer.callback_state, wait).await;
    if let Some(id) = &credential_id {
        issue::credential_held(&s, &offer.callback_state, id);
    }
    let mut out = json!({ "requestId": offer.request_id, "phoneId": phone });
    match settled {
        IssueStatus::Issued => out["status"] = json!("issued"),
        IssueStatus::Failed(r) => {
            out["status"] = json!("failed");
            out["reason"] = json!(r);
        }
        _ => {
            out["status"] = json!("failed");
            out["reason"] = json!("issuance_incomplete");
        }
    }
    if let Some(id) = credential_id {
        out["credentialId"] = json!(id);
    }
    Ok(Json(out))
}
