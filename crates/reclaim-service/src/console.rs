//! The operator console: a web page the service serves to IT staff at `/console`, and the
//! trusted referee's desk (issue 16 items 1 and 2).
//!
//! * **Sign-in**: OpenID Connect, authorization code + PKCE, against the tenant
//!   ([`reclaim_entra::oidc`]); the `state` is bound to the browser by a short-lived cookie, the
//!   ID token is validated (signature, issuer, audience, expiry, nonce, tenant), and the account
//!   must be in the configured operators group (its object id among the token's `groups`; a
//!   token with a groups overage is refused rather than trusted). The console session is a
//!   random 256-bit cookie (`HttpOnly`, `SameSite=Lax`, `Path=/console`, `Secure` behind
//!   HTTPS), held in memory for [`SESSION_HOURS`]; every change (approve, refuse, sign out)
//!   needs the session's CSRF token in `x-reclaim-csrf`.
//! * **Overview** (`/console/api/overview`, live at `/console/api/events`): every station the
//!   service knows (enrolled, or with an engine), online (the kiosk holds its view stream),
//!   ready or its pre-flight problems, the kiosk's version, the current screen and step (never
//!   personal data), today's outcomes and billed Face Checks (UTC day, [`Tally`]), and the open
//!   referee cases.
//! * **Referee** (`/console/api/cases/{session}`): the case as the station's engine opened it
//!   (the reason, the credential's bound names and portrait, the typed account and the other
//!   accounts the credential matches); `approve` with the chosen account's id, or `refuse`. The
//!   decision goes to the station's engine with the operator's object id (which the audit
//!   records); the engine checks the account's fresh facts before any TAP. The case, and with
//!   it the portrait, exists only while it is open; answers carry `Cache-Control: no-store`.
//!
//! The page is English only (a staff tool), served with a strict Content-Security-Policy.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use futures::Stream;
use reclaim_core::{AuditEvent, AuditKind, DirectoryUser, ReasonCode, RefereeDecision};
use reclaim_engine::ports::AuditSink;
use reclaim_entra::oidc::{AuthStart, OidcClient};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::api::Sessions;
use crate::stations::StationRegistry;

/// How long a console session lasts.
pub const SESSION_HOURS: u64 = 8;
/// How long a sign-in may take (from the redirect to the identity provider and back).
const SIGN_IN_SECS: u64 = 600;
const SESSION_COOKIE: &str = "reclaim_console";
const LOGIN_COOKIE: &str = "reclaim_console_login";
const CSRF_HEADER: &str = "x-reclaim-csrf";
const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                   connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

const INDEX_HTML: &str = include_str!("console/index.html");
const CONSOLE_JS: &str = include_str!("console/console.js");
const CONSOLE_CSS: &str = include_str!("console/console.css");

/// What the console needs.
#[derive(Debug, Clone)]
pub struct ConsoleSettings {
    /// The tenant's OpenID Connect relying party (the console's app registration).
    pub oidc: OidcClient,
    /// Object id of the group whose members may sign in.
    pub operators_group: String,
    /// The console's address as browsers reach it (`https://recovery.contoso.com`); the
    /// redirect URI is `{public_url}/console/callback`. Default: the service's own URL.
    pub public_url: Option<String>,
    /// Today's outcomes per station.
    pub tally: Arc<Tally>,
}

/// Today's outcomes and billed Face Checks per station (UTC day), counted from the audit events
/// every station's engine writes: an [`AuditSink`] per station ([`Tally::station`]).
#[derive(Debug, Default)]
pub struct Tally {
    days: Mutex<HashMap<String, (time::Date, Today)>>,
}

/// One station's counts for one UTC day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Today {
    /// Recoveries started.
    pub started: u32,
    /// Ended with a TAP.
    pub tap_issued: u32,
    /// Ended verified in evaluation mode.
    pub evaluation: u32,
    /// Refused by a rule (names, duplicates, records, eligibility, limits, a referee).
    pub blocked: u32,
    /// Ended otherwise (cancelled, timed out, a provider or service failure).
    pub other: u32,
    /// Billed Face Checks (passed or failed).
    pub face_checks: u32,
}

impl Tally {
    /// A new, empty tally.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// The sink one station's engine writes to (counted under its enrolled id).
    pub fn station(self: &Arc<Self>, station_id: &str) -> Arc<dyn AuditSink> {
        Arc::new(StationTally { tally: self.clone(), station_id: station_id.to_owned() })
    }

    /// The station's counts for today (UTC).
    pub fn today(&self, station_id: &str) -> Today {
        let today = OffsetDateTime::now_utc().date();
        let days = self.days.lock().unwrap_or_else(PoisonError::into_inner);
        days.get(station_id).filter(|(day, _)| *day == today).map(|(_, t)| *t).unwrap_or_default()
    }

    fn count(&self, station_id: &str, event: &AuditEvent) {
        let day = event.at.to_offset(time::UtcOffset::UTC).date();
        let mut days = self.days.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = days.entry(station_id.to_owned()).or_insert((day, Today::default()));
        if entry.0 != day {
            *entry = (day, Today::default());
        }
        let t = &mut entry.1;
        match &event.kind {
            AuditKind::Started => t.started += 1,
            AuditKind::PresentationVerified { .. }
            | AuditKind::PresentationFailed { reason: ReasonCode::FaceCheckFailed, .. } => {
                t.face_checks += 1;
            }
            AuditKind::Ended { reason, .. } => match reason {
                ReasonCode::TapIssued => t.tap_issued += 1,
                ReasonCode::EvaluationModeVerified => t.evaluation += 1,
                r if blocked(*r) => t.blocked += 1,
                _ => t.other += 1,
            },
            _ => {}
        }
    }
}

fn blocked(reason: ReasonCode) -> bool {
    matches!(
        reason,
        ReasonCode::NotEligible
            | ReasonCode::NameMismatch
            | ReasonCode::DuplicateName
            | ReasonCode::RecordsMismatch
            | ReasonCode::DirectoryNameBlank
            | ReasonCode::RefereeRefused
            | ReasonCode::RateLimited
            | ReasonCode::FaceCheckFailed
            | ReasonCode::IssuerNotAccepted
            | ReasonCode::WrongCredentialType
            | ReasonCode::CredentialRevoked
            | ReasonCode::AccountDisabled
            | ReasonCode::AccountNotMember
            | ReasonCode::TapPolicyRefused
    )
}

#[derive(Debug)]
struct StationTally {
    tally: Arc<Tally>,
    station_id: String,
}

impl AuditSink for StationTally {
    fn write(&self, event: &AuditEvent) {
        self.tally.count(&self.station_id, event);
    }
}

/// A signed-in operator.
#[derive(Clone)]
struct Operator {
    oid: String,
    name: String,
    username: String,
    csrf: String,
    until: Instant,
}

impl std::fmt::Debug for Operator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Operator").field("oid", &self.oid).finish_non_exhaustive()
    }
}

#[derive(Debug)]
struct ConsoleState {
    sessions: Arc<Sessions>,
    registry: Option<StationRegistry>,
    settings: ConsoleSettings,
    base: String,
    secure: bool,
    pending: Mutex<HashMap<String, (AuthStart, Instant)>>,
    operators: Mutex<HashMap<String, Operator>>,
}

type Shared = Arc<ConsoleState>;

/// The console's routes, for the service's router. `service_url` is the service's own base URL
/// (the redirect URI's default base).
pub fn router(
    settings: ConsoleSettings,
    sessions: Arc<Sessions>,
    registry: Option<StationRegistry>,
    service_url: &str,
) -> Router {
    let base = settings
        .public_url
        .clone()
        .unwrap_or_else(|| service_url.to_owned())
        .trim_end_matches('/')
        .to_owned();
    let secure = base.starts_with("https://");
    let state = Arc::new(ConsoleState {
        sessions,
        registry,
        settings,
        base,
        secure,
        pending: Mutex::new(HashMap::new()),
        operators: Mutex::new(HashMap::new()),
    });
    Router::new()
        .route("/console", get(index))
        .route("/console/", get(index))
        .route("/console/console.js", get(script))
        .route("/console/console.css", get(style))
        .route("/console/login", get(login))
        .route("/console/callback", get(callback))
        .route("/console/logout", post(logout))
        .route("/console/api/me", get(me))
        .route("/console/api/overview", get(overview))
        .route("/console/api/events", get(events))
        .route("/console/api/cases/{session}", get(case))
        .route("/console/api/cases/{session}/approve", post(approve))
        .route("/console/api/cases/{session}/refuse", post(refuse))
        .with_state(state)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn page(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP)),
            (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
            (header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response()
}

async fn index() -> Response {
    page("text/html; charset=utf-8", INDEX_HTML)
}

async fn script() -> Response {
    page("text/javascript; charset=utf-8", CONSOLE_JS)
}

async fn style() -> Response {
    page("text/css; charset=utf-8", CONSOLE_CSS)
}

/// A failure as `{code, message}`, never cached.
fn failure(status: StatusCode, code: &str, message: &str) -> Response {
    let body = serde_json::json!({ "code": code, "message": message });
    (status, [(header::CACHE_CONTROL, "no-store")], Json(body)).into_response()
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

fn set_cookie(state: &ConsoleState, name: &str, value: &str, max_age: u64) -> HeaderValue {
    let secure = if state.secure { "; Secure" } else { "" };
    let text =
        format!("{name}={value}; Path=/console; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}");
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn redirect_uri(state: &ConsoleState) -> String {
    format!("{}/console/callback", state.base)
}

/// The signed-in operator, or 401.
fn operator(state: &ConsoleState, headers: &HeaderMap) -> Result<Operator, Response> {
    let unauthorized = || failure(StatusCode::UNAUTHORIZED, "unauthorized", "sign in first");
    let token = cookie(headers, SESSION_COOKIE).ok_or_else(unauthorized)?;
    let mut operators = lock(&state.operators);
    let now = Instant::now();
    operators.retain(|_, o| o.until > now);
    operators.get(&token).cloned().ok_or_else(unauthorized)
}

/// The operator, with the session's CSRF token in the header (every change).
fn operator_for_change(state: &ConsoleState, headers: &HeaderMap) -> Result<Operator, Response> {
    let op = operator(state, headers)?;
    let sent = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
    if bool::from(subtle::ConstantTimeEq::ct_eq(sent.as_bytes(), op.csrf.as_bytes())) {
        Ok(op)
    } else {
        Err(failure(
            StatusCode::FORBIDDEN,
            "forbidden",
            "the request did not come from the console",
        ))
    }
}

async fn login(State(state): State<Shared>) -> Response {
    let start = state.settings.oidc.start(&redirect_uri(&state));
    // Always let the person pick the account: after "this account cannot use the console", a
    // single sign-on session must not sign the same account straight back in.
    let url = format!("{}&prompt=select_account", start.url);
    let key = start.state.clone();
    {
        let mut pending = lock(&state.pending);
        let now = Instant::now();
        pending.retain(|_, (_, at)| now.duration_since(*at) < Duration::from_secs(SIGN_IN_SECS));
        if pending.len() >= 1000 {
            return failure(StatusCode::TOO_MANY_REQUESTS, "tooManyRequests", "too many sign-ins");
        }
        pending.insert(key.clone(), (start, now));
    }
    let mut response = Redirect::to(&url).into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie(&state, LOGIN_COOKIE, &key, SIGN_IN_SECS));
    response
}

#[derive(Debug, Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

async fn callback(
    State(state): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<CallbackQuery>,
) -> Response {
    let back = |error: &str| Redirect::to(&format!("/console?error={error}")).into_response();
    if q.error.is_some() {
        return back("signInFailed");
    }
    let (Some(code), Some(returned)) = (q.code, q.state) else {
        return back("signInFailed");
    };
    // The state must be this browser's own sign-in (its cookie), and still pending.
    let ours = cookie(&headers, LOGIN_COOKIE).is_some_and(|c| {
        bool::from(subtle::ConstantTimeEq::ct_eq(c.as_bytes(), returned.as_bytes()))
    });
    let start = lock(&state.pending).remove(&returned);
    let Some((start, at)) = start.filter(|_| ours) else {
        return back("signInFailed");
    };
    if at.elapsed() > Duration::from_secs(SIGN_IN_SECS) || !start.state_matches(&returned) {
        return back("signInFailed");
    }
    let signed_in = match state.settings.oidc.finish(&start, &redirect_uri(&state), &code).await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "console sign-in refused");
            return back("signInFailed");
        }
    };
    if signed_in.groups_overage
        || !signed_in.groups.iter().any(|g| *g == state.settings.operators_group)
    {
        tracing::warn!(oid = %signed_in.oid, "console sign-in by a non-operator refused");
        return back("notOperator");
    }
    tracing::info!(oid = %signed_in.oid, "operator signed in to the console");
    let token = random_token();
    let operator = Operator {
        oid: signed_in.oid.clone(),
        name: signed_in.name.clone(),
        username: signed_in.username.clone(),
        csrf: random_token(),
        until: Instant::now() + Duration::from_secs(SESSION_HOURS * 3600),
    };
    lock(&state.operators).insert(token.clone(), operator);
    let mut response = Redirect::to("/console").into_response();
    let h = response.headers_mut();
    h.append(header::SET_COOKIE, set_cookie(&state, SESSION_COOKIE, &token, SESSION_HOURS * 3600));
    h.append(header::SET_COOKIE, set_cookie(&state, LOGIN_COOKIE, "", 0));
    response
}

#[derive(Debug, Deserialize)]
struct LogoutForm {
    csrf: Option<String>,
}

async fn logout(
    State(state): State<Shared>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<LogoutForm>,
) -> Response {
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        let mut operators = lock(&state.operators);
        let matches = operators.get(&token).is_some_and(|o| {
            let sent = form.csrf.as_deref().unwrap_or("");
            bool::from(subtle::ConstantTimeEq::ct_eq(sent.as_bytes(), o.csrf.as_bytes()))
        });
        if matches {
            operators.remove(&token);
        } else {
            return failure(StatusCode::FORBIDDEN, "forbidden", "sign out from the console");
        }
    }
    let mut response =
        Redirect::to(&state.settings.oidc.logout_url(&format!("{}/console", state.base)))
            .into_response();
    response.headers_mut().append(header::SET_COOKIE, set_cookie(&state, SESSION_COOKIE, "", 0));
    response
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Me {
    name: String,
    username: String,
    csrf: String,
}

async fn me(State(state): State<Shared>, headers: HeaderMap) -> Response {
    match operator(&state, &headers) {
        Ok(op) => (
            [(header::CACHE_CONTROL, "no-store")],
            Json(Me { name: op.name, username: op.username, csrf: op.csrf }),
        )
            .into_response(),
        Err(r) => r,
    }
}

/// The overview: stations and open cases, nothing personal.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Overview {
    generated_at: String,
    stations: Vec<StationRow>,
    cases: Vec<CaseRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
struct StationRow {
    id: String,
    name: String,
    online: bool,
    ready: bool,
    problems: Vec<reclaim_protocol::PreflightProblem>,
    version: Option<String>,
    screen: String,
    step: Option<u8>,
    case: Option<CaseSummary>,
    today: Today,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
struct CaseSummary {
    session_id: String,
    reference: String,
    reason: ReasonCode,
    opened_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
struct CaseRow {
    session_id: String,
    station_id: String,
    station_name: String,
    reference: String,
    reason: ReasonCode,
    opened_at: String,
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

async fn build_overview(state: &ConsoleState) -> Overview {
    let mut names: Vec<(String, String)> = state
        .registry
        .as_ref()
        .map(|r| {
            r.list()
                .into_iter()
                .filter(|s| s.is_active())
                .map(|s| (s.id.as_str().to_owned(), s.name))
                .collect()
        })
        .unwrap_or_default();
    let desks = state.sessions.stations().await;
    for d in &desks {
        if !names.iter().any(|(id, _)| *id == d.id) {
            names.push((d.id.clone(), d.id.clone()));
        }
    }
    names.sort_by(|a, b| a.1.cmp(&b.1));
    let mut stations = Vec::new();
    let mut cases = Vec::new();
    for (id, name) in names {
        let desk = desks.iter().find(|d| d.id == id);
        let (online, ready, problems, version, screen, step, case) = match desk {
            Some(d) => {
                let update = d.engine.current();
                let case = d.engine.referee_case().map(|c| CaseSummary {
                    session_id: c.session_id.simple().to_string(),
                    reference: c.reference.clone(),
                    reason: c.reason,
                    opened_at: rfc3339(c.opened_at),
                });
                (
                    d.online,
                    update.station.ready,
                    update.station.problems.clone(),
                    d.version.clone(),
                    update.view.name().to_owned(),
                    update.step.map(|s| s.index),
                    case,
                )
            }
            None => (false, false, Vec::new(), None, "offline".to_owned(), None, None),
        };
        if let Some(c) = &case {
            cases.push(CaseRow {
                session_id: c.session_id.clone(),
                station_id: id.clone(),
                station_name: name.clone(),
                reference: c.reference.clone(),
                reason: c.reason,
                opened_at: c.opened_at.clone(),
            });
        }
        let today = state.settings.tally.today(&id);
        stations.push(StationRow {
            id,
            name,
            online,
            ready,
            problems,
            version,
            screen,
            step,
            case,
            today,
        });
    }
    cases.sort_by(|a, b| a.opened_at.cmp(&b.opened_at));
    Overview { generated_at: rfc3339(OffsetDateTime::now_utc()), stations, cases }
}

async fn overview(State(state): State<Shared>, headers: HeaderMap) -> Response {
    if let Err(r) = operator(&state, &headers) {
        return r;
    }
    ([(header::CACHE_CONTROL, "no-store")], Json(build_overview(&state).await)).into_response()
}

/// The overview at once, then whenever it changes (checked every second), while the operator's
/// console session lasts.
async fn events(
    State(state): State<Shared>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, Response> {
    let op = operator(&state, &headers)?;
    let token = cookie(&headers, SESSION_COOKIE).unwrap_or_default();
    let stream = async_stream::stream! {
        let mut last: Option<String> = None;
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
            // The stream ends with the console session: expired or signed out.
            if Instant::now() >= op.until || !lock(&state.operators).contains_key(&token) {
                break;
            }
            let mut o = build_overview(&state).await;
            // `generatedAt` alone does not make a change.
            let stamp = std::mem::take(&mut o.generated_at);
            let text = serde_json::to_string(&o).unwrap_or_default();
            if last.as_deref() == Some(text.as_str()) {
                continue;
            }
            o.generated_at = stamp;
            last = Some(text);
            if let Ok(event) = Event::default().event("overview").json_data(&o) {
                yield Ok(event);
            }
        }
    };
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Account {
    id: String,
    upn: String,
    given_name: Option<String>,
    surname: Option<String>,
    enabled: bool,
}

impl From<&DirectoryUser> for Account {
    fn from(u: &DirectoryUser) -> Self {
        Account {
            id: u.id.clone(),
            upn: u.user_principal_name.expose().to_owned(),
            given_name: u.given_name.as_ref().map(|n| n.expose().to_owned()),
            surname: u.surname.as_ref().map(|n| n.expose().to_owned()),
            enabled: u.is_enabled(),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct CredentialView {
    given_name: Option<String>,
    surname: Option<String>,
    portrait: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct CaseView {
    session_id: String,
    station_id: String,
    station_name: String,
    reference: String,
    reason: ReasonCode,
    opened_at: String,
    credential: Option<CredentialView>,
    typed: Account,
    candidates: Vec<Account>,
}

/// The station whose engine holds the open case `session`.
async fn find_case(
    state: &ConsoleState,
    session: &str,
) -> Option<(crate::api::StationDesk, Arc<reclaim_core::RefereeCase>)> {
    for d in state.sessions.stations().await {
        if let Some(case) = d.engine.referee_case()
            && case.session_id.simple().to_string() == session
        {
            return Some((d, case));
        }
    }
    None
}

fn no_case() -> Response {
    failure(StatusCode::NOT_FOUND, "notFound", "no such open case")
}

/// A portrait claim as a `data:` URL: base64 (standard or URL-safe) of a JPEG or PNG.
fn portrait_url(value: &str) -> Option<String> {
    let value = value.trim();
    if value.starts_with("data:image/") {
        return Some(value.to_owned());
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(value.trim_end_matches('='))
        .or_else(|_| base64::engine::general_purpose::STANDARD.decode(value))
        .ok()?;
    let mime = if bytes.starts_with(&[0xff, 0xd8]) {
        "image/jpeg"
    } else if bytes.starts_with(b"\x89PNG") {
        "image/png"
    } else {
        return None;
    };
    Some(format!("data:{mime};base64,{}", base64::engine::general_purpose::STANDARD.encode(&bytes)))
}

async fn case(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(session): Path<String>,
) -> Response {
    if let Err(r) = operator(&state, &headers) {
        return r;
    }
    let Some((desk, case)) = find_case(&state, &session).await else {
        return no_case();
    };
    let station_name = state
        .registry
        .as_ref()
        .and_then(|r| r.station(&crate::stations::StationId::new(desk.id.as_str())))
        .map_or_else(|| desk.id.clone(), |s| s.name);
    let view = CaseView {
        session_id: session,
        station_id: desk.id.clone(),
        station_name,
        reference: case.reference.clone(),
        reason: case.reason,
        opened_at: rfc3339(case.opened_at),
        credential: case.credential.as_ref().map(|c| CredentialView {
            given_name: c.given_name.as_ref().map(|n| n.expose().to_owned()),
            surname: c.surname.as_ref().map(|n| n.expose().to_owned()),
            portrait: c.portrait.as_ref().and_then(|p| portrait_url(p.expose())),
        }),
        typed: (&case.typed).into(),
        candidates: case.candidates.iter().map(Account::from).collect(),
    };
    ([(header::CACHE_CONTROL, "no-store")], Json(view)).into_response()
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApproveBody {
    user_id: String,
}

async fn approve(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(session): Path<String>,
    body: Option<Json<ApproveBody>>,
) -> Response {
    let op = match operator_for_change(&state, &headers) {
        Ok(op) => op,
        Err(r) => return r,
    };
    let Some(Json(body)) = body else {
        return failure(StatusCode::BAD_REQUEST, "invalidInput", "name the account to approve");
    };
    let Some((desk, case)) = find_case(&state, &session).await else {
        return no_case();
    };
    if !case.offers(&body.user_id) {
        return failure(StatusCode::CONFLICT, "notNow", "that account is not one of the case's");
    }
    drop(case);
    tracing::info!(referee = %op.oid, station = %desk.id, "referee approved a case");
    let decision = RefereeDecision::Approve { user_id: body.user_id, referee: op.oid };
    decide(&desk, decision).await
}

async fn refuse(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(session): Path<String>,
) -> Response {
    let op = match operator_for_change(&state, &headers) {
        Ok(op) => op,
        Err(r) => return r,
    };
    let Some((desk, _)) = find_case(&state, &session).await else {
        return no_case();
    };
    tracing::info!(referee = %op.oid, station = %desk.id, "referee refused a case");
    decide(&desk, RefereeDecision::Refuse { referee: op.oid }).await
}

async fn decide(desk: &crate::api::StationDesk, decision: RefereeDecision) -> Response {
    match desk.engine.referee(decision).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(reclaim_engine::EngineError::NotNow) => {
            failure(StatusCode::CONFLICT, "notNow", "the case changed; reload it")
        }
        Err(e) => {
            tracing::warn!(error = %e, "referee decision not delivered");
            failure(StatusCode::SERVICE_UNAVAILABLE, "outOfService", "the station is not available")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn portraits_become_data_urls_and_anything_else_is_dropped() {
        let jpeg = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([0xff, 0xd8, 0xff, 1]);
        assert_eq!(portrait_url(&jpeg).as_deref(), Some("data:image/jpeg;base64,/9j/AQ=="));
        assert_eq!(portrait_url("cG9ydHJhaXQ"), None, "not an image");
        assert_eq!(portrait_url("<script>"), None);
    }

    #[test]
    fn the_tally_counts_today_per_station() {
        let tally = Tally::new();
        let sink = tally.station("st-1");
        let event = |kind| AuditEvent {
            at: OffsetDateTime::now_utc(),
            station_id: "demo".into(),
            session_id: uuid::Uuid::nil(),
            account_ref: None,
            kind,
        };
        sink.write(&event(AuditKind::Started));
        sink.write(&event(AuditKind::Ended {
            reason: ReasonCode::TapIssued,
            reference: "R".into(),
        }));
        sink.write(&event(AuditKind::Ended {
            reason: ReasonCode::DuplicateName,
            reference: "R".into(),
        }));
        let t = tally.today("st-1");
        assert_eq!((t.started, t.tap_issued, t.blocked), (1, 1, 1));
        assert_eq!(tally.today("st-2"), Today::default());
    }
}
