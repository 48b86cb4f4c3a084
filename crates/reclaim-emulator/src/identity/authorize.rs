//! OpenID Connect sign-in for people (`microsoft-apis-v2.md` §4): the authorization endpoint
//! `/{tenant}/oauth2/v2.0/authorize` with its sign-in page, the page's form post
//! (`/{tenant}/login`), and the end-session endpoint `/{tenant}/oauth2/v2.0/logout`.
//!
//! Errors follow §4.3: a bad `client_id` or `redirect_uri` is shown on Entra's own page and never
//! reaches the app; anything after that goes back to the redirect URI as `error` and
//! `error_description` ("AADSTSnnnnn: …").

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore as _;
use url::Url;
use uuid::Uuid;

use crate::clock::rfc3339;
use crate::fixture::AppFixture;
use crate::html::esc;
use crate::identity::code_grant::AuthCode;
use crate::server::PublicBase;
use crate::state::AppState;

/// Scopes of OpenID Connect itself (§4.2); any other scope names a resource.
pub const OIDC_SCOPES: [&str; 4] = ["openid", "profile", "email", "offline_access"];
/// Everything but RFC 3986 unreserved characters is escaped in a path segment.
const PATH_SEGMENT: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');
/// Microsoft Graph's app id, which delegated Graph scopes may be prefixed with.
const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";

/// How the response goes back to the app (`response_mode`, §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseMode {
    Query,
    Fragment,
    FormPost,
}

/// A validated authorization request.
#[derive(Debug, Clone)]
pub struct AuthRequest {
    pub client_id: Uuid,
    /// The redirect URI exactly as the request sent it (its port included).
    pub redirect_uri: String,
    pub mode: ResponseMode,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub scopes: Vec<String>,
    /// Empty when the request carried no PKCE challenge (only if `settings.require_pkce` is off).
    pub code_challenge: String,
    /// `S256` or `plain`.
    pub code_challenge_method: String,
    pub login_hint: Option<String>,
}

/// Where and how an answer goes back to the app.
#[derive(Debug, Clone)]
struct Back {
    redirect_uri: String,
    mode: ResponseMode,
    state: Option<String>,
}

/// Why an authorization request was refused, and where that is shown.
#[derive(Debug)]
enum Refusal {
    /// Entra's own error page: the app never hears of it (§4.3).
    Page { code: u32, text: String },
    /// Back to the app with `error` / `error_description` (§4.3).
    Redirect { to: Back, error: &'static str, code: u32, text: String },
}

/// The query (or form) parameters; the first occurrence of each wins, empty values are absent.
fn params(raw: &[u8]) -> HashMap<String, String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(raw).unwrap_or_default();
    let mut out = HashMap::new();
    for (k, v) in pairs {
        if !v.is_empty() {
            out.entry(k).or_insert(v);
        }
    }
    out
}

fn tenant_ok(s: &AppState, tenant: &str) -> bool {
    tenant.eq_ignore_ascii_case(&s.tenant_id().to_string())
        || tenant.eq_ignore_ascii_case(&s.fixture().tenant.domain)
}

fn tenant_not_found(tenant: &str) -> Refusal {
    Refusal::Page {
        code: 90002,
        text: format!(
            "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."
        ),
    }
}

fn missing(name: &str) -> String {
    format!("The request body must contain the following parameter: '{name}'.")
}

/// `http` to `localhost` / `127.0.0.1`: the loopback redirect URIs whose port is ignored
/// (learn.microsoft.com/entra/identity-platform/reply-url, "Localhost exceptions"; the IPv6
/// loopback is "not currently supported" there, so `[::1]` is matched exactly).
fn is_loopback(u: &Url) -> bool {
    matches!(u.scheme(), "http" | "https")
        && matches!(u.host_str(), Some(h) if h.eq_ignore_ascii_case("localhost") || h == "127.0.0.1")
}

/// A redirect URI an app registration may hold: absolute, `https`, or `http` on a loopback host
/// (reply-url page, "Supported schemes"), without a fragment.
pub fn check_registered_redirect(raw: &str) -> Result<(), String> {
    let u = Url::parse(raw).map_err(|e| format!("not an absolute URI: {e}"))?;
    if u.fragment().is_some() {
        return Err("a redirect URI cannot have a fragment".to_owned());
    }
    match u.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(&u) => Ok(()),
        other => Err(format!("scheme {other} is allowed only as http on localhost/127.0.0.1")),
    }
}

/// Whether a requested redirect URI matches a registered one: the same URI (scheme and host
/// case-insensitive, path case-sensitive, a missing path equal to `/`), except that for loopback
/// URIs the port is ignored.
pub fn redirect_matches(registered: &str, requested: &str) -> bool {
    let (Ok(reg), Ok(req)) = (Url::parse(registered), Url::parse(requested)) else {
        return false;
    };
    if is_loopback(&reg) && is_loopback(&req) {
        reg.scheme() == req.scheme()
            && reg.host_str().map(str::to_ascii_lowercase)
                == req.host_str().map(str::to_ascii_lowercase)
            && reg.path() == req.path()
            && reg.query() == req.query()
            && req.fragment().is_none()
    } else {
        reg.as_str() == req.as_str()
    }
}

fn registered(app: &AppFixture, uri: &str) -> bool {
    app.redirect_uris.iter().any(|r| redirect_matches(r, uri))
}

/// A delegated scope the emulator can grant besides the OIDC ones: Microsoft Graph's.
fn graph_scope(scope: &str) -> bool {
    let lower = scope.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://graph.microsoft.com/")
        .or_else(|| lower.strip_prefix(&format!("{GRAPH_APP_ID}/")))
        .unwrap_or(&lower);
    !rest.is_empty() && !rest.contains('/') && !rest.contains(':')
}

/// Whether a PKCE challenge has the size its method allows (RFC 7636 §4.2: S256 is 43
/// base64url characters; plain is a verifier, 43–128 unreserved characters).
fn challenge_size_ok(challenge: &str, method: &str) -> bool {
    let unreserved = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~');
    match method {
        "S256" => {
            challenge.len() == 43
                && challenge.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        }
        _ => (43..=128).contains(&challenge.len()) && challenge.chars().all(unreserved),
    }
}

/// Validates an authorization request in Entra's order: tenant, client, redirect URI (each
/// shown on the page), then the rest (each sent back to the app).
fn validate(
    s: &AppState,
    tenant: &str,
    p: &HashMap<String, String>,
) -> Result<AuthRequest, Refusal> {
    if !tenant_ok(s, tenant) {
        return Err(tenant_not_found(tenant));
    }
    let get = |k: &str| p.get(k).map(String::as_str);
    let Some(client_text) = get("client_id") else {
        return Err(Refusal::Page { code: 900144, text: missing("client_id") });
    };
    let app = Uuid::parse_str(client_text).ok().and_then(|id| s.identity().app(id)).ok_or_else(
        || Refusal::Page {
            code: 700016,
            text: format!(
                "Application with identifier '{client_text}' was not found in the directory '{}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
                s.fixture().tenant.domain
            ),
        },
    )?;
    // Required here, as the code-flow page says (§10 item 10: the OIDC page would pick a
    // registered URI "at random" instead).
    let Some(redirect_uri) = get("redirect_uri") else {
        return Err(Refusal::Page { code: 900971, text: "No reply address provided.".to_owned() });
    };
    let parsed = Url::parse(redirect_uri).ok().filter(|u| matches!(u.scheme(), "http" | "https"));
    if parsed.is_none() {
        return Err(Refusal::Page {
            code: 90102,
            text: "'redirect_uri' is not valid. The value must be a valid absolute URI.".to_owned(),
        });
    }
    if !registered(app, redirect_uri) {
        return Err(Refusal::Page {
            code: 50011,
            text: format!(
                "The redirect URI '{redirect_uri}' specified in the request does not match the redirect URIs configured for the application '{}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this.",
                app.client_id
            ),
        });
    }

    // From here on the app can be told.
    let state = get("state").map(str::to_owned);
    let mut to = Back { redirect_uri: redirect_uri.to_owned(), mode: ResponseMode::Query, state };
    let refuse = |to: &Back, error: &'static str, code: u32, text: String| Refusal::Redirect {
        to: to.clone(),
        error,
        code,
        text,
    };
    to.mode = match get("response_mode") {
        None | Some("query") => ResponseMode::Query,
        Some("fragment") => ResponseMode::Fragment,
        Some("form_post") => ResponseMode::FormPost,
        Some(other) => {
            return Err(refuse(
                &to,
                "invalid_request",
                70007,
                format!("The app returned an unsupported value of 'response_mode': '{other}'."),
            ));
        }
    };
    match get("response_type") {
        None => return Err(refuse(&to, "invalid_request", 900144, missing("response_type"))),
        Some("code") => {}
        Some(other) => {
            return Err(refuse(
                &to,
                "unsupported_response_type",
                70005,
                format!(
                    "The application requested response type '{other}', which is not enabled for it. Only the authorization code flow ('code') is."
                ),
            ));
        }
    }
    let Some(scope) = get("scope") else {
        return Err(refuse(&to, "invalid_request", 900144, missing("scope")));
    };
    let scopes: Vec<String> = scope.split_whitespace().map(str::to_owned).collect();
    if !scopes.iter().any(|x| x.eq_ignore_ascii_case("openid")) {
        return Err(refuse(
            &to,
            "invalid_scope",
            70011,
            format!(
                "The provided value for the input parameter 'scope' is not valid. The scope '{scope}' does not include 'openid', which this sign-in requires."
            ),
        ));
    }
    if let Some(bad) = scopes
        .iter()
        .find(|x| !OIDC_SCOPES.iter().any(|o| o.eq_ignore_ascii_case(x)) && !graph_scope(x))
    {
        return Err(refuse(
            &to,
            "invalid_scope",
            70011,
            format!(
                "The provided value for the input parameter 'scope' is not valid. The scope {bad} is not valid."
            ),
        ));
    }
    if get("prompt") == Some("none") {
        // No single sign-on session is kept: a silent request can never succeed.
        return Err(refuse(
            &to,
            "login_required",
            50058,
            "A silent sign-in request was sent but no user is signed in.".to_owned(),
        ));
    }
    let challenge = get("code_challenge").unwrap_or_default().to_owned();
    // "If code_challenge_method is omitted, plain is assumed" (§4.2).
    let method = get("code_challenge_method").unwrap_or("plain").to_owned();
    if challenge.is_empty() {
        if s.settings().require_pkce {
            return Err(refuse(&to, "invalid_request", 900144, missing("code_challenge")));
        }
    } else {
        if !matches!(method.as_str(), "S256" | "plain") {
            return Err(refuse(
                &to,
                "invalid_request",
                9002313,
                format!(
                    "Invalid request. Request is malformed or invalid. The code_challenge_method '{method}' is not supported."
                ),
            ));
        }
        if s.settings().require_pkce && method != "S256" {
            return Err(refuse(
                &to,
                "invalid_request",
                9002313,
                "Invalid request. Request is malformed or invalid. This emulated tenant requires code_challenge_method=S256.".to_owned(),
            ));
        }
        if !challenge_size_ok(&challenge, &method) {
            return Err(refuse(
                &to,
                "invalid_request",
                501491,
                "Invalid size of Code_Challenge parameter.".to_owned(),
            ));
        }
    }
    Ok(AuthRequest {
        client_id: app.client_id,
        redirect_uri: to.redirect_uri,
        mode: to.mode,
        state: to.state,
        nonce: get("nonce").map(str::to_owned),
        scopes,
        code_challenge: challenge,
        code_challenge_method: method,
        login_hint: get("login_hint").map(str::to_owned),
    })
}

/// `error_description` as Entra writes it: `AADSTSnnnnn: text`, then trace, correlation and time.
fn description(s: &AppState, code: u32, text: &str) -> String {
    format!(
        "AADSTS{code}: {text}\r\nTrace ID: {}\r\nCorrelation ID: {}\r\nTimestamp: {}",
        Uuid::new_v4(),
        Uuid::new_v4(),
        rfc3339(s.clock().now()).replace('T', " ")
    )
}

/// Sends `pairs` (plus `state`) back to the app's redirect URI in the request's response mode.
fn answer(to: &Back, mut pairs: Vec<(&'static str, String)>) -> Response {
    if let Some(st) = &to.state {
        pairs.push(("state", st.clone()));
    }
    let Ok(mut url) = Url::parse(&to.redirect_uri) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    match to.mode {
        ResponseMode::Query => {
            url.query_pairs_mut().extend_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())));
            see(&url)
        }
        ResponseMode::Fragment => {
            let frag = serde_urlencoded::to_string(&pairs).unwrap_or_default();
            url.set_fragment(Some(&frag));
            see(&url)
        }
        ResponseMode::FormPost => {
            let mut inputs = String::new();
            for (k, v) in &pairs {
                inputs.push_str(&format!(
                    "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                    esc(k),
                    esc(v)
                ));
            }
            let body = format!(
                "<form method=\"post\" action=\"{}\" id=\"back\">{inputs}<noscript><p>Script is off: continue to the application.</p><button type=\"submit\">Continue</button></noscript></form><script>document.getElementById('back').submit();</script>",
                esc(url.as_str())
            );
            no_store(Html(page("Working…", &body)).into_response())
        }
    }
}

/// A 302 to `url`, as Entra redirects back (§4.3).
fn see(url: &Url) -> Response {
    let mut resp = StatusCode::FOUND.into_response();
    if let Ok(v) = HeaderValue::from_str(url.as_str()) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    no_store(resp)
}

fn no_store(mut resp: Response) -> Response {
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store, no-cache"));
    resp.headers_mut().insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    resp
}

fn refuse(s: &AppState, r: Refusal) -> Response {
    match r {
        Refusal::Page { code, text } => error_page(s, code, &text),
        Refusal::Redirect { to, error, code, text } => answer(
            &to,
            vec![
                ("error", error.to_owned()),
                ("error_description", description(s, code, &text)),
                ("error_uri", format!("https://login.microsoftonline.com/error?code={code}")),
            ],
        ),
    }
}

/// Entra's error page (the app is not called). The status is UNCONFIRMED: 400 here.
fn error_page(s: &AppState, code: u32, text: &str) -> Response {
    let body = format!(
        "<h1>Sorry, but we’re having trouble signing you in.</h1>\
         <p id=\"error\" role=\"alert\" data-aadsts=\"{code}\">AADSTS{code}: {}</p>\
         <details><summary>Troubleshooting details</summary><p><small>Correlation ID: {}<br>Timestamp: {}</small></p></details>",
        esc(text),
        Uuid::new_v4(),
        rfc3339(s.clock().now())
    );
    no_store(
        (StatusCode::BAD_REQUEST, Html(page("Sign in to your account", &body))).into_response(),
    )
}

/// Accessible, small-screen friendly: one column, 1rem+ text, 44 px targets, visible focus.
const STYLE: &str = "*{box-sizing:border-box}html{font-size:100%}\
body{margin:0;font-family:'Segoe UI',system-ui,sans-serif;color:#1b1b1b;background:#f2f2f2;line-height:1.5}\
main{max-width:27.5rem;margin:0 auto;padding:1.5rem 1rem;background:#fff;min-height:100vh}\
@media (min-width:30rem){main{margin-top:2rem;min-height:0;box-shadow:0 2px 6px rgba(0,0,0,.2)}}\
h1{font-size:1.5rem;font-weight:600;margin:.5rem 0 1rem}label{display:block;font-weight:600;margin-top:1rem}\
input[type=text],input[type=email],input[type=password]{display:block;width:100%;min-height:2.75rem;\
font-size:1rem;padding:.5rem;border:1px solid #666;border-radius:2px}\
button{display:block;width:100%;min-height:2.75rem;margin-top:1.5rem;font-size:1rem;font-weight:600;\
background:#0067b8;color:#fff;border:0;border-radius:2px;cursor:pointer}\
:focus-visible{outline:3px solid #1b1b1b;outline-offset:2px}\
[role=alert]{color:#a4262c;font-weight:600}small{color:#505050}p.tenant{margin:0;color:#505050}\
.demo{margin-top:2rem;border-top:1px solid #ccc;padding-top:.5rem}";

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"robots\" content=\"none\"><title>{}</title><style>{STYLE}</style></head>\
         <body><main>{body}</main></body></html>",
        esc(title)
    )
}

/// What the sign-in page says went wrong with the typed credentials.
#[derive(Debug, Clone, Copy)]
enum SignInError {
    NoUsername,
    UnknownUser,
    WrongPassword,
    Disabled,
}

impl SignInError {
    /// The AADSTS code the sign-in logs record, and the page's text (Entra's own wording).
    fn code_and_text(self) -> (u32, &'static str) {
        match self {
            Self::NoUsername => {
                (900144, "Enter a valid email address, phone number, or Skype name.")
            }
            Self::UnknownUser => (
                50034,
                "This username may be incorrect. Make sure you typed it correctly. Otherwise, contact your admin.",
            ),
            Self::WrongPassword => (
                50126,
                "Your account or password is incorrect. If you don't remember your password, reset it now.",
            ),
            Self::Disabled => (
                50057,
                "Your account has been locked. Contact your support person to unlock it, then try again.",
            ),
        }
    }
}

/// The sign-in page; `ctx` is the original authorize query, posted back with the credentials.
fn sign_in_page(
    s: &AppState,
    tenant: &str,
    base: &str,
    ctx: &str,
    req: &AuthRequest,
    username: Option<&str>,
    error: Option<SignInError>,
) -> Response {
    let app = s.identity().app(req.client_id).map(|a| a.display_name.clone()).unwrap_or_default();
    let action = format!(
        "{}/{}/login",
        base.trim_end_matches('/'),
        percent_encoding::utf8_percent_encode(tenant, PATH_SEGMENT)
    );
    let (err_html, described, invalid) = match error {
        Some(e) => {
            let (code, text) = e.code_and_text();
            (
                format!(
                    "<p id=\"signin-error\" role=\"alert\" data-aadsts=\"{code}\">{}</p>",
                    esc(text)
                ),
                " aria-describedby=\"signin-error\"",
                " aria-invalid=\"true\"",
            )
        }
        None => (String::new(), "", ""),
    };
    let name = username.or(req.login_hint.as_deref()).unwrap_or_default();
    let autofocus_user = if name.is_empty() { " autofocus" } else { "" };
    let autofocus_pass = if name.is_empty() { "" } else { " autofocus" };
    let body = format!(
        "<p class=\"tenant\">{tenant_name}</p><h1>Sign in</h1>\
         <p>to continue to <strong>{app}</strong></p>{err_html}\
         <form method=\"post\" action=\"{action}\" novalidate>\
         <input type=\"hidden\" name=\"ctx\" value=\"{ctx}\">\
         <label for=\"login\">Email or username</label>\
         <input type=\"email\" id=\"login\" name=\"login\" autocomplete=\"username\" required \
         value=\"{name}\"{described}{invalid}{autofocus_user}>\
         <label for=\"passwd\">Password</label>\
         <input type=\"password\" id=\"passwd\" name=\"passwd\" autocomplete=\"current-password\" required\
         {described}{invalid}{autofocus_pass}>\
         <button type=\"submit\">Sign in</button></form>\
         <p class=\"demo\"><small>Emulated Microsoft Entra tenant: demo accounts only. Never type a real password here.</small></p>",
        tenant_name = esc(&s.fixture().tenant.display_name),
        app = esc(&app),
        action = esc(&action),
        ctx = esc(ctx),
        name = esc(name),
    );
    no_store(Html(page("Sign in to your account", &body)).into_response())
}

/// `GET /{tenant}/oauth2/v2.0/authorize` — validates the request (§4.2) and shows the sign-in page.
pub async fn authorize(
    State(s): State<AppState>,
    Path(tenant): Path<String>,
    PublicBase(base): PublicBase,
    RawQuery(query): RawQuery,
) -> Response {
    let raw = query.unwrap_or_default();
    match validate(&s, &tenant, &params(raw.as_bytes())) {
        Ok(req) => sign_in_page(&s, &tenant, &base, &raw, &req, None, None),
        Err(r) => refuse(&s, r),
    }
}

/// `POST /{tenant}/login` — the sign-in form: checks the credentials against the fixture and
/// sends the browser back with an authorization code (§4.3), or shows the page again.
pub async fn login(
    State(s): State<AppState>,
    Path(tenant): Path<String>,
    PublicBase(base): PublicBase,
    body: Bytes,
) -> Response {
    let form = params(&body);
    let ctx = form.get("ctx").cloned().unwrap_or_default();
    let req = match validate(&s, &tenant, &params(ctx.as_bytes())) {
        Ok(req) => req,
        Err(r) => return refuse(&s, r),
    };
    let username = form.get("login").map(|u| u.trim().to_owned()).unwrap_or_default();
    let password = form.get("passwd").cloned().unwrap_or_default();
    let again =
        |e: SignInError| sign_in_page(&s, &tenant, &base, &ctx, &req, Some(&username), Some(e));
    if username.is_empty() {
        return again(SignInError::NoUsername);
    }
    // Sign-in names are userPrincipalNames (never object ids).
    let Some(user) =
        Some(&username).filter(|u| u.contains('@')).and_then(|u| s.directory().user(u))
    else {
        return again(SignInError::UnknownUser);
    };
    if !s.identity().password_matches(&user.user_principal_name, &password) {
        return again(SignInError::WrongPassword);
    }
    if !user.account_enabled {
        return again(SignInError::Disabled);
    }
    let now = s.clock().now_unix();
    let code = new_code();
    let lifetime = s.settings().authorization_code_lifetime_secs;
    s.identity().store_code(
        code.clone(),
        AuthCode {
            client_id: req.client_id,
            redirect_uri: req.redirect_uri.clone(),
            code_challenge: req.code_challenge.clone(),
            code_challenge_method: req.code_challenge_method.clone(),
            user_id: user.id,
            nonce: req.nonce.clone(),
            scopes: req.scopes.clone(),
            auth_time: now,
            expires_at: now + lifetime,
            redeemed: false,
        },
        now - 3600,
    );
    let to = Back { redirect_uri: req.redirect_uri, mode: req.mode, state: req.state };
    answer(&to, vec![("code", code)])
}

/// An opaque, unguessable authorization code in the shape of Entra's (`1.A…`, base64url).
fn new_code() -> String {
    let mut bytes = [0u8; 96];
    rand::rng().fill_bytes(&mut bytes);
    format!("1.A{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// `GET /{tenant}/oauth2/v2.0/logout` (§4.7).
pub async fn logout_get(
    State(s): State<AppState>,
    Path(tenant): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    logout(&s, &tenant, &params(query.unwrap_or_default().as_bytes()))
}

/// `POST /{tenant}/oauth2/v2.0/logout` (§4.7: GET or POST), form-encoded.
pub async fn logout_post(
    State(s): State<AppState>,
    Path(tenant): Path<String>,
    body: Bytes,
) -> Response {
    logout(&s, &tenant, &params(&body))
}

/// No single sign-on session is kept, so signing out only decides where the browser goes: to
/// `post_logout_redirect_uri` when it is a registered redirect URI (of the app named by
/// `client_id` or `id_token_hint`, else of any app in the tenant), otherwise Entra's generic
/// "signed out" page (§4.7). `state` is echoed as OpenID Connect RP-Initiated Logout 1.0 §3
/// says (UNCONFIRMED for Entra).
fn logout(s: &AppState, tenant: &str, p: &HashMap<String, String>) -> Response {
    if !tenant_ok(s, tenant) {
        return refuse(s, tenant_not_found(tenant));
    }
    let named_app = p
        .get("client_id")
        .and_then(|c| Uuid::parse_str(c).ok())
        .or_else(|| {
            p.get("id_token_hint").and_then(|t| crate::identity::id_token::audience_of(s, t))
        })
        .and_then(|id| s.identity().app(id));
    if let Some(uri) = p.get("post_logout_redirect_uri") {
        let ok = match named_app {
            Some(app) => registered(app, uri),
            None => s.identity().apps.iter().any(|a| registered(a, uri)),
        };
        if ok && let Ok(mut url) = Url::parse(uri) {
            if let Some(st) = p.get("state") {
                url.query_pairs_mut().append_pair("state", st);
            }
            return see(&url);
        }
    }
    let body = "<h1>You signed out of your account</h1><p>It’s a good idea to close all browser windows.</p>";
    no_store(Html(page("Sign out", body)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_redirects_match_on_any_port_and_nothing_else_loosely() {
        let reg = "http://127.0.0.1/console/callback";
        assert!(redirect_matches(reg, "http://127.0.0.1:53211/console/callback"));
        assert!(redirect_matches(reg, "http://127.0.0.1/console/callback"));
        assert!(!redirect_matches(reg, "http://127.0.0.1:53211/console/Callback"), "path case");
        assert!(!redirect_matches(reg, "http://localhost:53211/console/callback"), "host");
        assert!(!redirect_matches(reg, "https://127.0.0.1/console/callback"), "scheme");
        assert!(!redirect_matches(reg, "http://127.0.0.1/console/callback?x=1"), "query");
        let web = "https://reclaim.contoso.example/signin-oidc";
        assert!(redirect_matches(web, "https://RECLAIM.contoso.example/signin-oidc"));
        assert!(!redirect_matches(web, "https://reclaim.contoso.example:8443/signin-oidc"));
        assert!(!redirect_matches(web, "https://reclaim.contoso.example/signin-oidc/"));
        assert!(redirect_matches("https://contoso.example", "https://contoso.example/"));
    }

    #[test]
    fn registered_redirects_must_be_https_or_loopback_http() {
        assert!(check_registered_redirect("https://contoso.example/cb").is_ok());
        assert!(check_registered_redirect("http://localhost/cb").is_ok());
        assert!(check_registered_redirect("http://127.0.0.1:8400/cb").is_ok());
        assert!(check_registered_redirect("http://contoso.example/cb").is_err());
        assert!(check_registered_redirect("/cb").is_err());
        assert!(check_registered_redirect("https://contoso.example/cb#x").is_err());
    }

    #[test]
    fn pkce_challenge_sizes() {
        assert!(challenge_size_ok("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "S256"));
        assert!(!challenge_size_ok("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-c", "S256"));
        assert!(!challenge_size_ok("short", "plain"));
    }
}
