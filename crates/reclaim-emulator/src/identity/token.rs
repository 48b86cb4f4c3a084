//! The token endpoint: the client-credentials grant (contract §1) with its form parsing, client
//! authentication by secret or certificate assertion, scope rules and AADSTS errors; the
//! authorization code grant (`microsoft-apis-v2.md` §4.4) is in [`super::code_grant`].

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::json;
use uuid::Uuid;

use crate::fixture::AppFixture;
use crate::identity::assertion::{self, AssertionError, Expectations};
use crate::identity::{REQUEST_SERVICE_APP_ID, Resource};
use crate::server::PublicBase;
use crate::settings::Settings;
use crate::state::AppState;
use crate::wire_error::AadError;

/// The only `client_assertion_type` Entra accepts.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Microsoft Graph's app id, usable in place of its URI in a scope.
pub const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";
/// The real login host; client assertions addressed to it are accepted too.
pub const REAL_LOGIN: &str = "https://login.microsoftonline.com";

/// Why a token request was refused; each maps onto one AADSTS error (contract §1.6).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error(
        "Tenant '{0}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."
    )]
    TenantNotFound(String),
    #[error("The request body must contain the following parameter: '{0}'.")]
    MissingParameter(&'static str),
    #[error("The app requested an unsupported grant type '{0}'.")]
    UnsupportedGrantType(String),
    #[error(
        "Application with identifier '{client}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant."
    )]
    UnknownClient { client: String, tenant: String },
    // Code and text UNCONFIRMED: RFC 6749 §2.3 forbids sending the client id two ways that differ.
    #[error(
        "The client_id in the Authorization header does not match the client_id in the request body."
    )]
    ClientIdMismatch,
    #[error(
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."
    )]
    MissingCredential,
    // Text UNCONFIRMED: Entra refuses more than one client authentication method per request.
    #[error("The request must contain only one of 'client_assertion' or 'client_secret'.")]
    SeveralCredentials,
    #[error(
        "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{0}'."
    )]
    WrongSecret(Uuid),
    #[error("{0}")]
    Assertion(#[from] AssertionError),
    #[error(
        "The provided value for scope {0} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
    )]
    ScopeNotDefault(String),
    #[error(
        "The provided value for the input parameter 'scope' is not valid. The scope {0} is not valid."
    )]
    SeveralResources(String),
    #[error(
        "The resource principal named {resource} was not found in the tenant named {tenant}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant."
    )]
    UnknownResource { resource: String, tenant: String },
    /// Authorization code grant failures (`microsoft-apis-v2.md` §4.4, §4.8).
    #[error("{0}")]
    Grant(#[from] crate::identity::code_grant::GrantError),
}

impl TokenError {
    /// The wire error: HTTP status, OAuth `error` and AADSTS code.
    pub fn to_aad(&self, settings: &Settings) -> AadError {
        let bad = StatusCode::BAD_REQUEST;
        let client = StatusCode::from_u16(settings.invalid_client_status)
            .unwrap_or(StatusCode::UNAUTHORIZED);
        let (status, error, code) = match self {
            Self::TenantNotFound(_) => (bad, "invalid_request", 90002),
            Self::MissingParameter(_) => (bad, "invalid_request", 900144),
            Self::UnsupportedGrantType(_) => (bad, "unsupported_grant_type", 70003),
            Self::UnknownClient { .. } => (bad, "unauthorized_client", 700016),
            Self::ClientIdMismatch => (bad, "invalid_request", 90014),
            Self::MissingCredential | Self::SeveralCredentials => {
                (client, "invalid_client", 7000218)
            }
            Self::WrongSecret(_) => (client, "invalid_client", 7000215),
            Self::Assertion(a) => (client, "invalid_client", a.code()),
            Self::ScopeNotDefault(_) => (bad, "invalid_scope", 1002012),
            Self::SeveralResources(_) => (bad, "invalid_scope", 70011),
            Self::UnknownResource { .. } => (bad, "invalid_resource", 500011),
            Self::Grant(g) => {
                let (error, code) = g.error_and_code();
                (bad, error, code)
            }
        };
        AadError::new(status, error, code, self.to_string())
    }
}

/// `POST /{tenant}/oauth2/v2.0/token` — the client-credentials grant (contract §1) and the
/// authorization code grant (`microsoft-apis-v2.md` §4.4).
pub async fn token(
    State(s): State<AppState>,
    Path(tenant): Path<String>,
    PublicBase(base): PublicBase,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match issue(&s, &tenant, &base, &headers, &body) {
        Ok(resp) => resp,
        Err(e) => e.to_aad(s.settings()).into_response(),
    }
}

/// The form fields the grants use; the first occurrence of each wins.
#[derive(Debug, Default)]
pub(crate) struct Form {
    pub(crate) grant_type: Option<String>,
    pub(crate) client_id: Option<String>,
    pub(crate) client_secret: Option<String>,
    pub(crate) client_assertion_type: Option<String>,
    pub(crate) client_assertion: Option<String>,
    pub(crate) scope: Option<String>,
    /// Authorization code grant (`microsoft-apis-v2.md` §4.4).
    pub(crate) code: Option<String>,
    pub(crate) redirect_uri: Option<String>,
    pub(crate) code_verifier: Option<String>,
}

impl Form {
    fn parse(headers: &HeaderMap, body: &[u8]) -> Self {
        // Entra reads only form bodies; anything else looks like a request without parameters.
        let is_form =
            headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|ct| {
                ct.split(';').next().is_some_and(|m| {
                    m.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded")
                })
            });
        let mut form = Self::default();
        if !is_form {
            return form;
        }
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).unwrap_or_default();
        for (k, v) in pairs {
            let v = Some(v).filter(|v| !v.is_empty());
            let slot = match k.as_str() {
                "grant_type" => &mut form.grant_type,
                "client_id" => &mut form.client_id,
                "client_secret" => &mut form.client_secret,
                "client_assertion_type" => &mut form.client_assertion_type,
                "client_assertion" => &mut form.client_assertion,
                "scope" => &mut form.scope,
                "code" => &mut form.code,
                "redirect_uri" => &mut form.redirect_uri,
                "code_verifier" => &mut form.code_verifier,
                _ => continue,
            };
            if slot.is_none() {
                *slot = v;
            }
        }
        form
    }
}

/// `Authorization: Basic` client credentials, each half form-urlencoded (RFC 6749 §2.3.1).
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let raw = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = raw.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(rest.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    let unescape = |s: &str| {
        percent_encoding::percent_decode_str(&s.replace('+', " ")).decode_utf8_lossy().into_owned()
    };
    Some((unescape(id), unescape(secret)))
}

fn issue(
    s: &AppState,
    tenant: &str,
    base: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, TokenError> {
    let fixture_tenant = &s.fixture().tenant;
    let tid = s.tenant_id().to_string();
    if !tenant.eq_ignore_ascii_case(&tid) && !tenant.eq_ignore_ascii_case(&fixture_tenant.domain) {
        return Err(TokenError::TenantNotFound(tenant.to_owned()));
    }
    let form = Form::parse(headers, body);
    let basic = basic_credentials(headers);

    let grant_type =
        form.grant_type.as_deref().ok_or(TokenError::MissingParameter("grant_type"))?;
    let code_grant = match grant_type {
        "client_credentials" => false,
        "authorization_code" => true,
        other => return Err(TokenError::UnsupportedGrantType(other.to_owned())),
    };
    let client_text = match (&form.client_id, &basic) {
        (Some(f), Some((b, _))) if !f.eq_ignore_ascii_case(b) => {
            return Err(TokenError::ClientIdMismatch);
        }
        (Some(f), _) => f.clone(),
        (None, Some((b, _))) if !b.is_empty() => b.clone(),
        _ => return Err(TokenError::MissingParameter("client_id")),
    };
    if code_grant {
        let app = Uuid::parse_str(&client_text)
            .ok()
            .and_then(|id| s.identity().app(id))
            .ok_or_else(|| TokenError::UnknownClient {
                client: client_text.clone(),
                tenant: fixture_tenant.domain.clone(),
            })?;
        authenticate(s, app, &form, basic.map(|b| b.1), base)?;
        return crate::identity::code_grant::redeem(s, app, &form, base);
    }
    let scope = form.scope.as_deref().ok_or(TokenError::MissingParameter("scope"))?;
    let app = Uuid::parse_str(&client_text).ok().and_then(|id| s.identity().app(id)).ok_or_else(
        || TokenError::UnknownClient {
            client: client_text.clone(),
            tenant: fixture_tenant.domain.clone(),
        },
    )?;

    authenticate(s, app, &form, basic.map(|b| b.1), base)?;
    let resource = resource_of(scope, &fixture_tenant.domain, &s.fixture().custom_extensions)?;

    // (A token minted right after a forced expiry is not born expired: see mint_access_token.)
    let roles = match resource {
        Resource::Graph => app.roles.graph.clone(),
        Resource::RequestService => app.roles.request_service.clone(),
        // An extension's API defines no app roles here: any app of the tenant gets a token, and
        // the API decides whom it serves (the HR endpoint checks the caller's `azp`).
        Resource::Extension(_) => Vec::new(),
    };
    let (access_token, expires_in) = s.mint_access_token(app.client_id, resource, roles);
    let mut body = json!({ "token_type": "Bearer", "expires_in": expires_in });
    if s.settings().include_ext_expires_in {
        body["ext_expires_in"] = json!(expires_in);
    }
    body["access_token"] = json!(access_token);
    let mut resp = (StatusCode::OK, axum::Json(body)).into_response();
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store, no-cache"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    Ok(resp)
}

/// Checks the one client credential the request carries.
pub(crate) fn authenticate(
    s: &AppState,
    app: &AppFixture,
    form: &Form,
    basic_secret: Option<String>,
    base: &str,
) -> Result<(), TokenError> {
    let secret = form.client_secret.clone().or(basic_secret.filter(|b| !b.is_empty()));
    let assertion = form
        .client_assertion
        .as_deref()
        .filter(|_| form.client_assertion_type.as_deref() == Some(JWT_BEARER));
    match (secret, assertion) {
        (Some(_), Some(_)) => Err(TokenError::SeveralCredentials),
        (None, None) => Err(TokenError::MissingCredential),
        (Some(secret), None) => {
            use subtle::ConstantTimeEq as _;
            let ok = app
                .secrets
                .iter()
                .any(|known| bool::from(known.as_bytes().ct_eq(secret.as_bytes())));
            if ok { Ok(()) } else { Err(TokenError::WrongSecret(app.client_id)) }
        }
        (None, Some(jwt)) => {
            let audiences = assertion_audiences(s, base);
            let expect = Expectations {
                client_id: app.client_id,
                audiences: &audiences,
                now: s.clock().now_unix(),
                reject_replay: s.settings().reject_reused_assertion_jti,
            };
            assertion::verify(s.identity(), jwt, &expect).map_err(TokenError::from)
        }
    }
}

/// Token endpoint URLs a client assertion may name as `aud`: the real host's and the emulator's
/// visible one, each with the tenant GUID or the verified domain.
fn assertion_audiences(s: &AppState, base: &str) -> Vec<String> {
    let tid = s.tenant_id().to_string();
    let domain = &s.fixture().tenant.domain;
    let mut out = Vec::new();
    for host in [REAL_LOGIN, base.trim_end_matches('/')] {
        for t in [tid.as_str(), domain.as_str()] {
            out.push(format!("{host}/{t}/oauth2/v2.0/token"));
        }
    }
    out
}

/// OpenID Connect scopes that Entra ignores on a client-credentials request: older MSAL versions
/// add them to every request (MSAL for JS pull request 4999: "AAD ignores these scopes").
pub const IGNORED_OIDC_SCOPES: [&str; 3] = ["openid", "profile", "offline_access"];

/// The single resource a client-credentials `scope` names (`openid`, `profile` and
/// `offline_access` beside it are ignored, as Entra ignores them).
fn resource_of(
    scope: &str,
    tenant_domain: &str,
    extensions: &[crate::fixture::CustomExtensionFixture],
) -> Result<Resource, TokenError> {
    let all: Vec<&str> = scope.split_whitespace().collect();
    if all.is_empty() {
        return Err(TokenError::MissingParameter("scope"));
    }
    let scopes: Vec<&str> = all
        .iter()
        .copied()
        .filter(|s| !IGNORED_OIDC_SCOPES.iter().any(|o| o.eq_ignore_ascii_case(s)))
        .collect();
    if scopes.is_empty() {
        // Only OpenID Connect scopes: no resource at all.
        return Err(TokenError::ScopeNotDefault(scope.to_owned()));
    }
    let mut resources: Vec<String> = Vec::new();
    for sc in &scopes {
        let lower = sc.to_ascii_lowercase();
        let Some(resource) = lower.strip_suffix("/.default") else {
            return Err(TokenError::ScopeNotDefault(scope.to_owned()));
        };
        let resource = resource.trim_end_matches('/').to_owned();
        if !resources.contains(&resource) {
            resources.push(resource);
        }
    }
    if resources.len() > 1 {
        return Err(TokenError::SeveralResources(scope.to_owned()));
    }
    let extension = |r: &str| {
        extensions.iter().position(|e| e.resource_id.trim_end_matches('/').eq_ignore_ascii_case(r))
    };
    if let Some(i) = resources.first().and_then(|r| extension(r)) {
        return Ok(Resource::Extension(i));
    }
    match resources.first().map(String::as_str) {
        Some("https://graph.microsoft.com") | Some(GRAPH_APP_ID) => Ok(Resource::Graph),
        Some(REQUEST_SERVICE_APP_ID) => Ok(Resource::RequestService),
        _ => Err(TokenError::UnknownResource {
            resource: scopes
                .first()
                .map(|s| s.trim_end_matches("/.default"))
                .unwrap_or("")
                .to_owned(),
            tenant: tenant_domain.to_owned(),
        }),
    }
}
