//! The hosted phone flow: the kiosk sends the person's phone to a one-time signed link; the
//! provider's mobile pages take a document and a selfie, issue the credential into the phone's
//! Authenticator, and send the phone back to the kiosk's return URL with a proof the kiosk's
//! service checks (contract §5; the link and the proof: [`super::link`]).

use std::time::Duration;

use axum::Json;
use axum::body::Body;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::decode::{Evidence, Rejection, Side};
use super::issue::{self, IssueStatus, Offer};
use super::link::{self, LinkClaims, LinkError};
use super::{ApiError, card, lock, persona, phone_bridge, portrait, provider, today};
use crate::fixture::ProviderFixture;
use crate::html::esc;
use crate::server::PublicBase;
use crate::state::AppState;

/// How long a started flow stays usable at most (never past its link's `exp`: the kiosk stops
/// waiting for the return then).
pub const FLOW_LIFETIME_SECS: i64 = 30 * 60;

/// Where a flow ended up, once the person has handed everything in.
#[derive(Debug, Clone)]
pub enum FlowOutcome {
    Rejected(Rejection),
    Offered(Offer),
    Failed(&'static str),
}

/// One person's pass through the hosted pages.
#[derive(Debug, Clone)]
pub struct Flow {
    pub id: String,
    pub provider_id: String,
    pub link: LinkClaims,
    pub phone_id: String,
    pub evidence: Evidence,
    pub outcome: Option<FlowOutcome>,
    /// An issuance request is in flight (a double tap on "Verify" must not issue twice).
    pub issuing: bool,
    pub expires_at: i64,
}

/// How the flow's story ends for the kiosk: the query added to its return URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReturnStatus {
    Issued,
    Failed(String),
}

impl Flow {
    /// `issued` once the Request Service confirmed issuance; else failed with a reason.
    pub fn return_status(&self, state: &AppState) -> ReturnStatus {
        match &self.outcome {
            None => ReturnStatus::Failed("cancelled".to_owned()),
            Some(FlowOutcome::Rejected(r)) => ReturnStatus::Failed(r.code().to_owned()),
            Some(FlowOutcome::Failed(r)) => ReturnStatus::Failed((*r).to_owned()),
            Some(FlowOutcome::Offered(o)) => match issue::status_of(state, &o.callback_state) {
                Some(IssueStatus::Issued) => ReturnStatus::Issued,
                Some(IssueStatus::Failed(r)) => ReturnStatus::Failed(r),
                _ => ReturnStatus::Failed("issuance_incomplete".to_owned()),
            },
        }
    }

    /// The kiosk's return URL with `requestId`, `status`, (on failure) `reason`, and the proof:
    /// `exp` and `proof` (HMAC-SHA256 under the link key of [`link::proof_input`]) appended.
    pub fn return_url(&self, state: &AppState) -> String {
        let Ok(mut u) = url::Url::parse(&self.link.return_url) else {
            return self.link.return_url.clone();
        };
        let (status, reason) = match self.return_status(state) {
            ReturnStatus::Issued => ("issued", String::new()),
            ReturnStatus::Failed(r) => ("failed", r),
        };
        let exp = state.clock().now_unix() + link::RETURN_PROOF_SECS;
        let facts = link::ReturnFacts {
            aud: &self.link.aud,
            request_id: &self.link.request_id,
            state: self.link.state.as_deref().unwrap_or_default(),
            status,
            reason: &reason,
            exp,
        };
        // The flow's provider is in the fixture (flows are opened only for fixture providers).
        let proof = state
            .fixture()
            .provider(&self.provider_id)
            .map(|p| link::return_proof(&p.link_signing_key, &facts))
            .unwrap_or_default();
        {
            let mut q = u.query_pairs_mut();
            q.append_pair("requestId", &self.link.request_id);
            q.append_pair("status", status);
            if !reason.is_empty() {
                q.append_pair("reason", &reason);
            }
            q.append_pair("exp", &exp.to_string());
            q.append_pair("proof", &proof);
        }
        u.to_string()
    }
}

// ───────────────────────────── the flow's steps (shared by pages and control) ─────────────────

/// The audiences a link for `prov` may name: its hosted-flow URL under the emulator's provider
/// base, and under the base this request came in through (`public_base`), when there is one.
pub fn audiences(
    state: &AppState,
    prov: &ProviderFixture,
    public_base: Option<&str>,
) -> Vec<String> {
    let mut out = vec![format!("{}/{}", state.urls().provider.trim_end_matches('/'), prov.id)];
    if let Some(base) = public_base {
        out.push(format!("{}/{}", base.trim_end_matches('/'), prov.id));
    }
    out
}

/// Validates and consumes a link token (signature, audience among `audiences`, expiry, one
/// use) and opens a flow that lives until the link's `exp` (at most [`FLOW_LIFETIME_SECS`]).
pub fn begin(
    state: &AppState,
    prov: &ProviderFixture,
    token: &str,
    audiences: &[String],
) -> Result<Flow, LinkError> {
    let now = state.clock().now_unix();
    state.provider().prune_flows(now);
    let claims = link::verify(token, &prov.link_signing_key, audiences, now)?;
    if !state.provider().links.consume(&claims, now) {
        return Err(LinkError::Used);
    }
    let expires_at = (now + FLOW_LIFETIME_SECS).min(claims.exp);
    let flow = Flow {
        id: uuid::Uuid::new_v4().to_string(),
        provider_id: prov.id.clone(),
        phone_id: claims.phone().to_owned(),
        link: claims,
        evidence: Evidence::default(),
        outcome: None,
        issuing: false,
        expires_at,
    };
    lock(&state.provider().flows).insert(flow.id.clone(), flow.clone());
    Ok(flow)
}

fn flow(state: &AppState, provider_id: &str, id: &str) -> Result<Flow, ApiError> {
    state.provider().prune_flows(state.clock().now_unix());
    let f = lock(&state.provider().flows)
        .get(id)
        .filter(|f| f.provider_id == provider_id)
        .cloned()
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "unknown_flow",
                "This page is no longer available. Start again at the kiosk.",
            )
        })?;
    if f.expires_at <= state.clock().now_unix() {
        return Err(ApiError::new(
            StatusCode::GONE,
            "flow_expired",
            "This session has timed out. Start again at the kiosk.",
        ));
    }
    Ok(f)
}

fn save(state: &AppState, f: &Flow) {
    lock(&state.provider().flows).insert(f.id.clone(), f.clone());
}

fn not_now() -> ApiError {
    ApiError::new(StatusCode::CONFLICT, "flow_finished", "This step is already done.")
}

/// Step 1: the person picks the kind of document they will show.
pub fn choose(state: &AppState, provider_id: &str, id: &str, doc: &str) -> Result<(), ApiError> {
    let p = provider(state, provider_id)?;
    let mut f = flow(state, provider_id, id)?;
    if f.outcome.is_some() {
        return Err(not_now());
    }
    if !p.documents.iter().any(|d| d == doc) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            Rejection::DocumentTypeNotAccepted.code(),
            Rejection::DocumentTypeNotAccepted.to_string(),
        ));
    }
    f.evidence = Evidence { document_type: Some(doc.to_owned()), ..Evidence::default() };
    save(state, &f);
    Ok(())
}

/// Steps 2 and 3: an image of the document (front, back) or the selfie.
pub async fn put_image(
    state: &AppState,
    provider_id: &str,
    id: &str,
    side: Side,
    bytes: Vec<u8>,
) -> Result<(), ApiError> {
    let f = flow(state, provider_id, id)?;
    if f.outcome.is_some() {
        return Err(not_now());
    }
    if f.evidence.document_type.is_none() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "document_type_missing",
            "Choose a document type first.",
        ));
    }
    let mut read =
        Evidence { document_type: f.evidence.document_type.clone(), ..Evidence::default() };
    let read = tokio::task::spawn_blocking(move || read.put_image(side, &bytes).map(|()| read))
        .await
        .map_err(|_| {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Decoder failed.")
        })?
        .map_err(|r| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, r.code(), r.to_string()))?;
    let p = provider(state, provider_id)?;
    read.check_side(side, state.fixture(), p, today(state))
        .map_err(|r| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, r.code(), r.to_string()))?;
    // Only this side is replaced: the page may upload front and back at the same time.
    if let Some(stored) = lock(&state.provider().flows).get_mut(id) {
        stored.evidence.take_side(read, side);
    }
    Ok(())
}

/// Step 4: judge the evidence and, when it holds, ask the Request Service to issue.
pub async fn finish(state: &AppState, provider_id: &str, id: &str) -> Result<Flow, ApiError> {
    let p = provider(state, provider_id)?;
    let f = flow(state, provider_id, id)?;
    if f.outcome.is_some() || f.issuing {
        return Ok(f);
    }
    let missing = f.evidence.missing();
    if !missing.is_empty() {
        let names: Vec<&str> = missing.iter().map(|m| m.as_str()).collect();
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "images_missing",
            format!("Still needed: {}.", names.join(", ")),
        ));
    }
    // Claim the flow under the lock: only one request goes on to issue.
    {
        let mut flows = lock(&state.provider().flows);
        match flows.get_mut(id) {
            Some(stored) if stored.outcome.is_none() && !stored.issuing => stored.issuing = true,
            Some(stored) => return Ok(stored.clone()),
            None => return Err(not_now()),
        }
    }
    let outcome = match f.evidence.judge(state.fixture(), p, today(state)) {
        Err(r) => FlowOutcome::Rejected(r),
        Ok(persona) => match issue::request(state, p, persona, &f.phone_id, false).await {
            Ok(offer) => FlowOutcome::Offered(offer),
            Err(e) => {
                tracing::warn!(error = %e, provider = %p.id, "issuance request failed");
                FlowOutcome::Failed("issuance_unavailable")
            }
        },
    };
    let mut flows = lock(&state.provider().flows);
    let stored = flows.get_mut(id).ok_or_else(not_now)?;
    stored.outcome = Some(outcome);
    stored.issuing = false;
    Ok(stored.clone())
}

/// The Authenticator stand-in's page that opens an `openid-vc://` URL on `phone_id`.
pub fn add_to_authenticator_url(state: &AppState, phone_id: &str, openid_url: &str) -> String {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!("{}/p/{}?open={}", state.urls().phone, enc(phone_id), enc(openid_url))
}

// ───────────────────────────── pages ──────────────────────────────────────────────────────────

/// A 303 to `url`; a URL that cannot be a header value (never ours) is a 500, not a panic.
fn see_other(url: &str) -> Response {
    match axum::http::HeaderValue::from_str(url) {
        Ok(v) => (StatusCode::SEE_OTHER, [(header::LOCATION, v)]).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json"))
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;padding:1rem;max-width:34rem;\
margin-inline:auto;font-size:1.1rem;line-height:1.45;color:#1b1f27}h1{font-size:1.5rem}\
.btn,button,select,input[type=file]{display:block;width:100%;box-sizing:border-box;min-height:3.2rem;\
margin:.6rem 0;font-size:1.1rem;border-radius:.6rem}.btn,button{background:#1c3470;color:#fff;border:0;\
text-align:center;text-decoration:none;line-height:3.2rem}.secondary{background:#e4e8f0;color:#1b1f27}\
.err{color:#a3162b;font-weight:600}.demo{border-top:1px solid #ccc;margin-top:1.5rem;padding-top:.5rem}\
small{color:#555}";

fn page(title: &str, provider_name: &str, body: &str, refresh: bool) -> Html<String> {
    let meta = if refresh { "<meta http-equiv=\"refresh\" content=\"2\">" } else { "" };
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">{meta}\
         <title>{t} — {p}</title><style>{STYLE}</style></head><body>\
         <p><small>{p} · identity verification</small></p><h1>{t}</h1>{body}</body></html>",
        t = esc(title),
        p = esc(provider_name),
    ))
}

fn error_page(e: &ApiError, headers: &HeaderMap) -> Response {
    if wants_json(headers) {
        return e.clone().into_response();
    }
    let body = format!(
        "<p class=\"err\">{}</p><p><small>Reason: <code>{}</code></small></p>",
        esc(&e.message),
        esc(e.reason)
    );
    (e.status, page("Something went wrong", "Identity verification", &body, false)).into_response()
}

fn link_error(e: LinkError) -> ApiError {
    ApiError::new(e.status(), e.code(), e.to_string())
}

#[derive(Debug, Deserialize)]
pub struct StartQuery {
    #[serde(default)]
    token: Option<String>,
}

/// `GET {provider}/{providerId}/start?token=<JWT>` — consumes the one-time link and sends the
/// phone (303) to the flow's first page; 400/410 when the link is invalid, expired or used.
pub async fn start(
    State(s): State<AppState>,
    Path(provider_id): Path<String>,
    Query(q): Query<StartQuery>,
    headers: HeaderMap,
    PublicBase(base): PublicBase,
) -> Response {
    let result = provider(&s, &provider_id).and_then(|p| {
        let token = q.token.as_deref().unwrap_or_default();
        begin(&s, p, token, &audiences(&s, p, Some(&base))).map_err(link_error)
    });
    match result {
        Ok(f) if wants_json(&headers) => (
            StatusCode::CREATED,
            Json(
                json!({ "flowId": f.id, "url": format!("{base}/{}/flow/{}", f.provider_id, f.id) }),
            ),
        )
            .into_response(),
        Ok(f) => see_other(&format!("{base}/{}/flow/{}", f.provider_id, f.id)),
        Err(e) => error_page(&e, &headers),
    }
}

/// The page for the flow's current step; once the credential is issued, a 303 back to the
/// kiosk's return URL. `error` is shown above the step (a refused form post).
async fn page_handler(
    s: &AppState,
    provider_id: &str,
    id: &str,
    base: &str,
    error: Option<&str>,
) -> Result<Response, ApiError> {
    let p = provider(s, provider_id)?;
    let f = flow(s, provider_id, id)?;
    let raw_here = format!("{base}/{}/flow/{}", p.id, f.id);
    // The base comes from the Host header: escape it like any other text.
    let here = esc(&raw_here);
    let err = error.map(|e| format!("<p class=\"err\">{}</p>", esc(e))).unwrap_or_default();
    let back = format!("<a class=\"btn secondary\" href=\"{here}/return\">Back to the kiosk</a>");
    let name = &p.display_name;
    if let Some(outcome) = &f.outcome {
        return Ok(match outcome {
            FlowOutcome::Rejected(r) => page(
                "We could not verify your document",
                name,
                &format!(
                    "<p class=\"err\">{}</p><p><small>Reason: <code>{}</code></small></p>\
                     <form method=\"post\" action=\"{here}/retry\"><button>Try again</button></form>{back}",
                    esc(&r.to_string()),
                    r.code()
                ),
                false,
            )
            .into_response(),
            FlowOutcome::Failed(r) => page(
                "Verification is unavailable",
                name,
                &format!("<p class=\"err\">The request can't be completed. Try again later.</p>\
                          <p><small>Reason: <code>{}</code></small></p>{back}", esc(r)),
                false,
            )
            .into_response(),
            FlowOutcome::Offered(o) => match f.return_status(s) {
                ReturnStatus::Issued => see_other(&f.return_url(s)),
                ReturnStatus::Failed(r) if r != "issuance_incomplete" => page(
                    "Adding your Verified ID failed",
                    name,
                    &format!("<p class=\"err\">Authenticator could not add the credential.</p>\
                              <p><small>Reason: <code>{}</code></small></p>{back}", esc(&r)),
                    false,
                )
                .into_response(),
                ReturnStatus::Failed(_) => {
                    let add = add_to_authenticator_url(s, &f.phone_id, &o.url);
                    page(
                        "You're verified",
                        name,
                        &format!(
                            "<p>Your document and selfie checked out. Add your Verified ID to \
                             Microsoft Authenticator, then you'll go back to the kiosk.</p>\
                             <a class=\"btn\" id=\"add\" href=\"{}\">Add to Authenticator</a>\
                             <p><small>Waiting for Authenticator… this page updates by itself.</small></p>{back}",
                            esc(&add)
                        ),
                        true,
                    )
                    .into_response()
                }
            },
        });
    }
    let ev = &f.evidence;
    let Some(doc) = ev.document_type.as_deref() else {
        let mut buttons = String::new();
        for d in &p.documents {
            buttons.push_str(&format!(
                "<form method=\"post\" action=\"{here}/document\"><input type=\"hidden\" \
                 name=\"documentType\" value=\"{}\"><button>{}</button></form>",
                esc(d),
                esc(card::document_label(d))
            ));
        }
        return Ok(page(
            "Which document will you use?",
            name,
            &format!("{err}<p>Have it with you and lay it on a flat, well-lit surface.</p>{buttons}{back}"),
            false,
        )
        .into_response());
    };
    let missing = ev.missing();
    let personas: String = s
        .fixture()
        .personas
        .iter()
        .map(|x| {
            let sel = ev.front.as_ref().is_some_and(|c| c.persona == x.key);
            format!(
                "<option value=\"{k}\"{}>{k} — {} {}</option>",
                if sel { " selected" } else { "" },
                esc(&x.document.given_names),
                esc(&x.document.family_name),
                k = esc(&x.key)
            )
        })
        .collect();
    let script = upload_script(&raw_here);
    if missing.contains(&Side::Front) || missing.contains(&Side::Back) {
        let mut inputs = String::new();
        for side in [Side::Front, Side::Back] {
            if missing.contains(&side) {
                inputs.push_str(&format!(
                    "<label>Photo of the {s} of your {d}<input type=\"file\" accept=\"image/png,image/jpeg\" \
                     capture=\"environment\" data-side=\"{s}\" onchange=\"up(this)\"></label>",
                    s = side.as_str(),
                    d = esc(&card::document_label(doc).to_lowercase())
                ));
            }
        }
        return Ok(page(
            "Scan your document",
            name,
            &format!(
                "{err}<p>Take a sharp photo with the whole document in view.</p>{inputs}\
                 <p id=\"msg\" class=\"err\" role=\"status\"></p>\
                 <form class=\"demo\" method=\"post\" action=\"{here}/scan\"><p><small>Demo: use the test card of</small></p>\
                 <select name=\"persona\">{personas}</select><button class=\"secondary\">Use test card</button></form>\
                 {back}{script}"
            ),
            false,
        )
        .into_response());
    }
    if missing.contains(&Side::Selfie) {
        return Ok(page(
            "Take a selfie",
            name,
            &format!(
                "{err}<p>Face the camera in good light, without glasses or a hat.</p>\
                 <label>Selfie<input type=\"file\" accept=\"image/png,image/jpeg\" capture=\"user\" \
                 data-side=\"selfie\" onchange=\"up(this)\"></label>\
                 <p id=\"msg\" class=\"err\" role=\"status\"></p>\
                 <form class=\"demo\" method=\"post\" action=\"{here}/selfie\"><p><small>Demo: use the selfie of</small></p>\
                 <select name=\"persona\">{personas}</select><button class=\"secondary\">Use persona selfie</button></form>\
                 {back}{script}"
            ),
            false,
        )
        .into_response());
    }
    Ok(page(
        "Ready to verify",
        name,
        &format!(
            "{err}<p>We have your document and your selfie.</p>\
             <form method=\"post\" action=\"{here}/verify\"><button>Verify my identity</button></form>{back}"
        ),
        false,
    )
    .into_response())
}

/// Uploads a chosen file as the raw body of `PUT {here}/images/{side}`, then reloads.
fn upload_script(here: &str) -> String {
    let target =
        serde_json::to_string(&format!("{here}/images/")).unwrap_or_default().replace("</", "<\\/");
    format!(
        "<script>async function up(el){{const f=el.files[0];if(!f)return;\
         const m=document.getElementById('msg');m.textContent='Checking…';\
         try{{const r=await fetch({target}+el.dataset.side,{{method:'PUT',\
         headers:{{'Content-Type':f.type||'application/octet-stream'}},body:f}});\
         if(r.status===204){{location.reload();return}}\
         let t='That photo could not be used.';try{{t=(await r.json()).message}}catch(e){{}}\
         m.textContent=t}}catch(e){{m.textContent='Upload failed. Check your connection.'}}}}</script>"
    )
}

/// `GET {provider}/{providerId}/flow/{flowId}` — the current step's page.
pub async fn page_get(
    State(s): State<AppState>,
    Path((provider_id, id)): Path<(String, String)>,
    headers: HeaderMap,
    PublicBase(base): PublicBase,
) -> Response {
    match page_handler(&s, &provider_id, &id, &base, None).await {
        Ok(r) => r,
        Err(e) => error_page(&e, &headers),
    }
}

/// After a form post: 303 to the flow page (or the page again with the error shown).
async fn after_post(
    s: &AppState,
    provider_id: &str,
    id: &str,
    base: &str,
    headers: &HeaderMap,
    r: Result<(), ApiError>,
) -> Response {
    match r {
        Ok(()) => see_other(&format!("{base}/{provider_id}/flow/{id}")),
        Err(e) if wants_json(headers) => e.into_response(),
        Err(e) => match page_handler(s, provider_id, id, base, Some(&e.message)).await {
            Ok(mut resp) if resp.status() == StatusCode::OK => {
                *resp.status_mut() = e.status;
                resp
            }
            _ => error_page(&e, headers),
        },
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentForm {
    document_type: String,
}

/// `POST {provider}/{providerId}/flow/{flowId}/document` (form `documentType`).
pub async fn choose_document(
    State(s): State<AppState>,
    Path((provider_id, id)): Path<(String, String)>,
    headers: HeaderMap,
    PublicBase(base): PublicBase,
    Form(form): Form<DocumentForm>,
) -> Response {
    let r = choose(&s, &provider_id, &id, &form.document_type);
    after_post(&s, &provider_id, &id, &base, &headers, r).await
}

/// `PUT {provider}/{providerId}/flow/{flowId}/images/{front|back|selfie}` — a raw PNG/JPEG from
/// the page's file input; 204, or 422 `{reason, message}`.
pub async fn upload(
    State(s): State<AppState>,
    Path((provider_id, id, side)): Path<(String, String, String)>,
    body: Body,
) -> Response {
    let r = async {
        let bytes = super::capture::read_image_body(body).await?;
        let side = Side::parse(&side).ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "unknown_side",
                "Sides are front, back and selfie.",
            )
        })?;
        put_image(&s, &provider_id, &id, side, bytes).await
    }
    .await;
    match r {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => e.into_response(),
    }
}

#[derive(Debug, Deserialize)]
pub struct PersonaForm {
    persona: String,
}

/// Renders a persona's card sides off the async workers.
async fn rendered_card(state: &AppState, key: &str) -> Result<(Vec<u8>, Vec<u8>), ApiError> {
    let p = persona(state, key)?.clone();
    tokio::task::spawn_blocking(move || (card::card_png(&p), card::back_png(&p))).await.map_err(
        |_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Rendering failed."),
    )
}

/// Demo shortcut: hand in both sides of a persona's test card, exactly as uploads would.
async fn scan_test_card(
    s: &AppState,
    provider_id: &str,
    id: &str,
    key: &str,
) -> Result<(), ApiError> {
    let (front, back) = rendered_card(s, key).await?;
    put_image(s, provider_id, id, Side::Front, front).await?;
    let needs_back = flow(s, provider_id, id)?.evidence.missing().contains(&Side::Back);
    if needs_back {
        put_image(s, provider_id, id, Side::Back, back).await?;
    }
    Ok(())
}

/// Demo shortcut: hand in a persona's selfie.
async fn take_persona_selfie(
    s: &AppState,
    provider_id: &str,
    id: &str,
    key: &str,
) -> Result<(), ApiError> {
    let key = persona(s, key)?.key.clone();
    let selfie =
        tokio::task::spawn_blocking(move || portrait::selfie_png(&key)).await.map_err(|_| {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Rendering failed.")
        })?;
    put_image(s, provider_id, id, Side::Selfie, selfie).await
}

/// `POST {provider}/{providerId}/flow/{flowId}/scan` (form `persona`) — demo: use a test card.
pub async fn use_test_card(
    State(s): State<AppState>,
    Path((provider_id, id)): Path<(String, String)>,
    headers: HeaderMap,
    PublicBase(base): PublicBase,
    Form(form): Form<PersonaForm>,
) -> Response {
    let r = scan_test_card(&s, &provider_id, &id, &form.persona).await;
    after_post(&s, &provider_id, &id, &base, &headers, r).await
}

/// `POST {provider}/{providerId}/flow/{flowId}/selfie` (form `persona`) — demo: use the
/// persona's selfie, then verify straight away.
pub async fn use_persona_selfie(
    State(s): State<AppState>,
    Path((provider_id, id)): Path<(String, String)>,
    headers: HeaderMap,
    PublicBase(base): PublicBase,
    Form(form): Form<PersonaForm>,
) -> Response {
    let r = async {
        take_persona_selfie(&s, &provider_id, &id, &form.persona).await?;
        finish(&s, &provider_id, &id).await.map(|_| ())
    }
    .await;
    after_post(&s, &provider_id, &id, &base, &headers, r).await
}

/// `POST {provider}/{providerId}/flow/{flowId}/verify` — judge the evidence and issue.
pub async fn verify(
    State(s): State<AppState>,
    Path((provider_id, id)): Path<(String, String)>,
    headers: HeaderMap,
    PublicBase(base): PublicBase,
) -> Response {
    let r = finish(&s, &provider_id, &id).await.map(|_| ());
    after_post(&s, &provider_id, &id, &base, &headers, r).await
}

/// `POST {provider}/{providerId}/flow/{flowId}/retry` — after a rejected document, start over.
pub async fn retry(
    State(s): State<AppState>,
    Path((provider_id, id)): Path<(String, String)>,
    headers: HeaderMap,
    PublicBase(base): PublicBase,
) -> Response {
    let r = flow(&s, &provider_id, &id).and_then(|mut f| match f.outcome {
        Some(FlowOutcome::Rejected(_)) | None => {
            f.outcome = None;
            f.evidence = Evidence::default();
            save(&s, &f);
            Ok(())
        }
        _ => Err(not_now()),
    });
    after_post(&s, &provider_id, &id, &base, &headers, r).await
}

/// `GET {provider}/{providerId}/flow/{flowId}/return` — 303 to the kiosk's return URL with
/// `requestId`, `status=issued` or `status=failed&reason=…`, `exp` and `proof`.
pub async fn return_to_kiosk(
    State(s): State<AppState>,
    Path((provider_id, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    match flow(&s, &provider_id, &id) {
        Ok(f) => see_other(&f.return_url(&s)),
        Err(e) => error_page(&e, &headers),
    }
}

// ───────────────────────────── control ────────────────────────────────────────────────────────

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MintBody {
    request_id: String,
    return_url: String,
    #[serde(default)]
    phone_id: Option<String>,
    #[serde(default)]
    ttl_seconds: Option<i64>,
    /// Station id; `emulator-control` when absent.
    #[serde(default)]
    iss: Option<String>,
    /// The return state the proof binds; none when absent.
    #[serde(default)]
    state: Option<String>,
    /// The audience; this provider's hosted-flow URL when absent (tests name another).
    #[serde(default)]
    audience: Option<String>,
}

/// `POST {control}/providers/{providerId}/links {requestId, returnUrl, phoneId?, ttlSeconds?,
/// state?, audience?}` → `{url, token, jti, expiresAt}`: a link exactly as a kiosk would mint
/// it (audience: this provider's hosted-flow URL; lifetime 600 s unless `ttlSeconds`).
pub async fn control_mint_link(
    State(s): State<AppState>,
    Path(provider_id): Path<String>,
    Json(b): Json<MintBody>,
) -> Result<Json<Value>, ApiError> {
    let p = provider(&s, &provider_id)?;
    let now = s.clock().now_unix();
    let claims = LinkClaims {
        iss: b.iss.unwrap_or_else(|| "emulator-control".to_owned()),
        aud: b.audience.unwrap_or_else(|| format!("{}/{}", s.urls().provider, p.id)),
        jti: uuid::Uuid::new_v4().to_string(),
        exp: now + b.ttl_seconds.unwrap_or(600),
        iat: Some(now),
        request_id: b.request_id,
        return_url: b.return_url,
        state: b.state,
        phone_id: b.phone_id,
    };
    let token = link::mint(&claims, &p.link_signing_key);
    let url = format!("{}/{}/start?token={token}", s.urls().provider, p.id);
    Ok(Json(json!({
        "url": url,
        "token": token,
        "jti": claims.jti,
        "expiresAt": time::OffsetDateTime::from_unix_timestamp(claims.exp)
            .map(crate::clock::rfc3339)
            .unwrap_or_default(),
    })))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompleteBody {
    /// The hosted link (`…/start?token=…`) or the bare token.
    link: String,
    persona: String,
    #[serde(default)]
    phone_id: Option<String>,
}

/// `POST {control}/providers/{providerId}/hosted/complete {link, persona, phoneId?}` — plays the
/// phone through the hosted flow with the persona's card and selfie (the pages' own steps),
/// adds the credential in Authenticator, follows the return redirect with a real GET, and
/// answers `{status, reason?, credentialId?, requestId, returnUrl, returnStatus}`.
pub async fn control_complete(
    State(s): State<AppState>,
    Path(provider_id): Path<String>,
    Json(b): Json<CompleteBody>,
) -> Result<Json<Value>, ApiError> {
    let p = provider(&s, &provider_id)?;
    let persona = persona(&s, &b.persona)?.clone();
    let token = url::Url::parse(&b.link)
        .ok()
        .and_then(|u| u.query_pairs().find(|(k, _)| k == "token").map(|(_, v)| v.into_owned()))
        .unwrap_or_else(|| b.link.clone());
    let mut f = begin(&s, p, &token, &audiences(&s, p, None)).map_err(link_error)?;
    if let Some(phone) = b.phone_id.filter(|x| !x.is_empty()) {
        f.phone_id = phone;
        save(&s, &f);
    }
    let doc = persona.document.document_type.clone();
    let steps = async {
        match choose(&s, &p.id, &f.id, &doc) {
            // The page would not offer this type; the person cannot go on with this document.
            Err(e) if e.reason == Rejection::DocumentTypeNotAccepted.code() => {
                return Err(Rejection::DocumentTypeNotAccepted);
            }
            Err(_) => return Err(Rejection::ImageInvalid),
            Ok(()) => {}
        }
        for step in [0, 1] {
            let r = if step == 0 {
                scan_test_card(&s, &p.id, &f.id, &persona.key).await
            } else {
                take_persona_selfie(&s, &p.id, &f.id, &persona.key).await
            };
            if let Err(e) = r {
                return Err(rejection_from(e.reason));
            }
        }
        Ok(())
    }
    .await;
    if let Err(r) = steps
        && let Some(stored) = lock(&s.provider().flows).get_mut(&f.id)
    {
        stored.outcome = Some(FlowOutcome::Rejected(r));
    }
    let f = finish(&s, &p.id, &f.id).await?;
    let mut credential_id = None;
    let mut request_id = None;
    if let Some(FlowOutcome::Offered(offer)) = &f.outcome {
        request_id = Some(offer.request_id.clone());
        match phone_bridge::open(&s, &f.phone_id, &offer.url).await {
            Ok(Some(id)) => {
                issue::credential_held(&s, &offer.callback_state, &id);
                credential_id = Some(id);
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "the phone could not open the issuance URL"),
        }
        let wait = Duration::from_secs(s.settings().callback_timeout_secs.max(1));
        issue::wait_settled(&s, &offer.callback_state, wait).await;
        // The callback may have landed before the phone told us the id.
        if let Some(id) = &credential_id {
            issue::credential_held(&s, &offer.callback_state, id);
        }
    }
    let f = flow(&s, &p.id, &f.id)?;
    let return_url = f.return_url(&s);
    let (status, reason) = match f.return_status(&s) {
        ReturnStatus::Issued => ("issued", None),
        ReturnStatus::Failed(r) => ("failed", Some(r)),
    };
    // Like the phone's browser following the 303.
    let followed = s.http().get(&return_url).send().await;
    let mut out = json!({
        "status": status,
        "flowId": f.id,
        "phoneId": f.phone_id,
        "returnUrl": return_url,
    });
    if let Some(r) = reason {
        out["reason"] = json!(r);
    }
    if let Some(id) = credential_id {
        out["credentialId"] = json!(id);
    }
    if let Some(id) = request_id {
        out["requestId"] = json!(id);
    }
    match followed {
        Ok(r) => out["returnStatus"] = json!(r.status().as_u16()),
        Err(e) => {
            out["returnStatus"] = Value::Null;
            out["returnError"] = json!(e.to_string());
        }
    }
    Ok(Json(out))
}

/// The rejection behind an image step's error reason.
fn rejection_from(reason: &str) -> Rejection {
    Rejection::from_code(reason).unwrap_or(Rejection::ImageInvalid)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::sync::{Arc, Mutex};

    use serde_json::json;

    use super::*;
    use crate::{EmulatorOptions, Fixture};

    fn location(r: &reqwest::Response) -> String {
        r.headers()[header::LOCATION].to_str().unwrap().to_owned()
    }

    /// A person walks the real pages on a phone browser: document type, a blurred photo
    /// (refused), the test card, a bad selfie (refused), the persona's selfie, "Add to
    /// Authenticator", and the redirect back to the kiosk.
    #[tokio::test]
    async fn the_web_pages_walk_through_to_the_kiosk() {
        let emu = crate::start(EmulatorOptions { fixture: Fixture::demo(), ..Default::default() })
            .await
            .unwrap();
        let http =
            reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let hits = Arc::new(Mutex::new(Vec::<String>::new()));
        let h = hits.clone();
        let app = axum::Router::new().route(
            "/back",
            axum::routing::get(move |axum::extract::RawQuery(q): axum::extract::RawQuery| {
                let h = h.clone();
                async move {
                    h.lock().unwrap().push(q.unwrap_or_default());
                    "welcome back"
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let back = format!("http://{}/back", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });

        let minted: Value = http
            .post(format!("{}/providers/trueid/links", emu.urls.control))
            .json(&json!({ "requestId": "req-web", "returnUrl": back, "phoneId": "web-phone" }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let r = http.get(minted["url"].as_str().unwrap()).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let here = location(&r);
        let page_text = |url: String| {
            let http = http.clone();
            async move {
                let r = http.get(url).send().await.unwrap();
                assert_eq!(r.status(), StatusCode::OK);
                r.text().await.unwrap()
            }
        };

        let html = page_text(here.clone()).await;
        assert!(html.contains("name=\"viewport\""), "{html}");
        assert!(!html.contains(" src=\"http") && !html.contains("<link"), "no external assets");
        assert!(html.contains("value=\"passport\"") && html.contains("value=\"driving_licence\""));
        let r = http
            .post(format!("{here}/document"))
            .form(&[("documentType", "passport")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert!(page_text(here.clone()).await.contains("Scan your document"));

        let ana = emu.state.fixture().persona("ana").unwrap().clone();
        let blurred = portrait::png(&image::imageops::blur(&card::card_front(&ana), 6.0));
        let r = http.put(format!("{here}/images/front")).body(blurred).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let why: Value = r.json().await.unwrap();
        assert!(
            matches!(why["reason"].as_str(), Some("no_code_found" | "code_unreadable")),
            "{why}"
        );

        let r = http.post(format!("{here}/scan")).form(&[("persona", "ana")]).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert!(page_text(here.clone()).await.contains("Take a selfie"));
        let r = http.put(format!("{here}/images/selfie")).body("not a photo").send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.json::<Value>().await.unwrap()["reason"], "selfie_invalid");

        let r =
            http.post(format!("{here}/selfie")).form(&[("persona", "ana")]).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let html = page_text(here.clone()).await;
        assert!(html.contains("Add to Authenticator"), "{html}");
        let marker = "id=\"add\" href=\"";
        let start = html.find(marker).unwrap() + marker.len();
        let add = html[start..].split('"').next().unwrap().replace("&amp;", "&");
        assert!(
            add.starts_with(&format!("{}/p/web-phone?open=openid-vc", emu.urls.phone)),
            "{add}"
        );
        // Not issued yet: the page keeps waiting instead of returning.
        assert!(http.get(&here).send().await.unwrap().status().is_success());

        // The person taps the link: the phone opens the issuance request.
        let r = http.get(&add).send().await.unwrap();
        assert!(r.status().is_redirection() || r.status().is_success(), "{}", r.status());
        let held = emu.state.phones().credentials("web-phone");
        assert_eq!(held.len(), 1, "{held:?}");
        assert_eq!(held[0].issuer, "did:web:idv.trueid.example");
        assert_eq!(held[0].claims["fullName"], "Ana Lima");

        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        let ret = loop {
            let r = http.get(&here).send().await.unwrap();
            if r.status() == StatusCode::SEE_OTHER {
                break location(&r);
            }
            assert!(tokio::time::Instant::now() < deadline, "never redirected back");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let u = url::Url::parse(&ret).unwrap();
        let q: Vec<(String, String)> = u.query_pairs().into_owned().collect();
        assert!(ret.starts_with(&back), "{ret}");
        assert!(q.contains(&("requestId".into(), "req-web".into())), "{q:?}");
        assert!(q.contains(&("status".into(), "issued".into())), "{q:?}");
        assert_eq!(http.get(&ret).send().await.unwrap().status(), StatusCode::OK);
        assert_eq!(hits.lock().unwrap().len(), 1);
        emu.shutdown().await;
    }
}
