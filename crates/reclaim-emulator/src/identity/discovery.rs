//! OpenID Connect discovery, the JWKS, and MSAL instance discovery, shaped like the real
//! `login.microsoftonline.com` documents with absolute URLs on the host that was called.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::server::PublicBase;
use crate::state::AppState;
use crate::wire_error::AadError;

/// Multi-tenant path names; their documents carry the literal `{tenantid}` placeholder.
const MULTI_TENANT: [&str; 3] = ["common", "organizations", "consumers"];
/// Hosts of the real public cloud, listed in instance discovery and accepted as authorities.
const PUBLIC_CLOUD_ALIASES: [&str; 4] =
    ["login.microsoftonline.com", "login.windows.net", "login.microsoft.com", "sts.windows.net"];

/// The tenant segment of a discovery path as it appears in the documents: the tenant GUID for
/// our GUID or verified domain, `{tenantid}` for multi-tenant names, `None` for anything else.
fn resolve(s: &AppState, tenant: &str) -> Option<(String, String)> {
    let tid = s.tenant_id().to_string();
    if tenant.eq_ignore_ascii_case(&tid) || tenant.eq_ignore_ascii_case(&s.fixture().tenant.domain)
    {
        Some((tid.clone(), tid))
    } else {
        MULTI_TENANT
            .iter()
            .find(|m| m.eq_ignore_ascii_case(tenant))
            .map(|m| ((*m).to_owned(), "{tenantid}".to_owned()))
    }
}

fn tenant_not_found(tenant: &str) -> Response {
    AadError::new(
        StatusCode::BAD_REQUEST,
        "invalid_tenant",
        90002,
        format!(
            "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."
        ),
    )
    .into_response()
}

/// Graph's root as seen from the host that was called (the real one behind the real login host).
fn graph_root(s: &AppState, base: &str) -> String {
    if base.starts_with(crate::identity::token::REAL_LOGIN) {
        "https://graph.microsoft.com".to_owned()
    } else {
        s.urls().graph.clone()
    }
}

/// `GET /{tenant}/v2.0/.well-known/openid-configuration` — the v2.0 OpenID provider metadata.
pub async fn openid_configuration(
    State(s): State<AppState>,
    Path(tenant): Path<String>,
    PublicBase(base): PublicBase,
) -> Response {
    let Some((path_tenant, issuer_tenant)) = resolve(&s, &tenant) else {
        return tenant_not_found(&tenant);
    };
    let base = base.trim_end_matches('/');
    let t = format!("{base}/{path_tenant}");
    let doc = json!({
        "token_endpoint": format!("{t}/oauth2/v2.0/token"),
        "token_endpoint_auth_methods_supported": [
            "client_secret_post", "private_key_jwt", "client_secret_basic", "self_signed_tls_client_auth"
        ],
        "jwks_uri": format!("{t}/discovery/v2.0/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": format!("{base}/{issuer_tenant}/v2.0"),
        "request_uri_parameter_supported": false,
        "userinfo_endpoint": format!("{}/oidc/userinfo", graph_root(&s, base)),
        "authorization_endpoint": format!("{t}/oauth2/v2.0/authorize"),
        "device_authorization_endpoint": format!("{t}/oauth2/v2.0/devicecode"),
        "http_logout_supported": true,
        "frontchannel_logout_supported": true,
        "end_session_endpoint": format!("{t}/oauth2/v2.0/logout"),
        "claims_supported": [
            "sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name",
            "msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username",
            "name", "tid", "ver", "at_hash", "c_hash", "email"
        ],
        "kerberos_endpoint": format!("{t}/kerberos"),
        "tls_client_certificate_bound_access_tokens": true,
        "tenant_region_scope": "EU",
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
        "rbac_url": "https://pas.windows.net",
    });
    cached(doc)
}

/// `GET /{tenant}/.well-known/openid-configuration` — the v1 metadata. Its issuer is the
/// `sts.windows.net` form that app-only (v1) access tokens carry, so resource-side validators
/// configured with a v1 authority accept our tokens. Only the token endpoint it names for the
/// v2 grant exists here; the v1 `oauth2/token` (with `resource=`) is not emulated.
pub async fn openid_configuration_v1(
    State(s): State<AppState>,
    Path(tenant): Path<String>,
    PublicBase(base): PublicBase,
) -> Response {
    let Some((path_tenant, issuer_tenant)) = resolve(&s, &tenant) else {
        return tenant_not_found(&tenant);
    };
    let base = base.trim_end_matches('/');
    let t = format!("{base}/{path_tenant}");
    let doc = json!({
        "token_endpoint": format!("{t}/oauth2/token"),
        "token_endpoint_auth_methods_supported": [
            "client_secret_post", "private_key_jwt", "client_secret_basic"
        ],
        "jwks_uri": format!("{base}/common/discovery/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "token id_token", "token"],
        "scopes_supported": ["openid"],
        "issuer": format!("https://sts.windows.net/{issuer_tenant}/"),
        "microsoft_multi_refresh_token": true,
        "authorization_endpoint": format!("{t}/oauth2/authorize"),
        "device_authorization_endpoint": format!("{t}/oauth2/devicecode"),
        "http_logout_supported": true,
        "frontchannel_logout_supported": true,
        "end_session_endpoint": format!("{t}/oauth2/logout"),
        "claims_supported": [
            "sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name",
            "msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "amr", "nonce", "email",
            "given_name", "family_name", "nickname"
        ],
        "check_session_iframe": format!("{t}/oauth2/checksession"),
        "userinfo_endpoint": format!("{t}/openid/userinfo"),
        "kerberos_endpoint": format!("{t}/kerberos"),
        "tenant_region_scope": "EU",
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
        "rbac_url": "https://pas.windows.net",
    });
    cached(doc)
}

/// `GET /{tenant}/discovery/keys` (also `/common/…`) — the v1 JWKS: the same key, without the
/// per-key `issuer` the v2 document adds.
pub async fn keys_v1(State(s): State<AppState>, Path(tenant): Path<String>) -> Response {
    if resolve(&s, &tenant).is_none() {
        return tenant_not_found(&tenant);
    }
    let mut jwk = s.signing_key().jwk("");
    if let Some(obj) = jwk.as_object_mut() {
        obj.remove("issuer");
    }
    cached(json!({ "keys": [jwk] }))
}

/// `GET /{tenant}/discovery/v2.0/keys` (also `/common/…`) — the JWKS that verifies our tokens.
pub async fn keys(
    State(s): State<AppState>,
    Path(tenant): Path<String>,
    PublicBase(base): PublicBase,
) -> Response {
    let Some((_, issuer_tenant)) = resolve(&s, &tenant) else {
        return tenant_not_found(&tenant);
    };
    let issuer = format!("{}/{issuer_tenant}/v2.0", base.trim_end_matches('/'));
    cached(json!({ "keys": [s.signing_key().jwk(&issuer)] }))
}

/// Query of MSAL's instance discovery call.
#[derive(Debug, Deserialize)]
pub struct InstanceQuery {
    authorization_endpoint: Option<String>,
    #[serde(rename = "api-version")]
    api_version: Option<String>,
}

/// `GET /common/discovery/instance` — MSAL's authority validation: names the tenant discovery
/// document for an authorization endpoint on this host (or the public cloud's).
pub async fn instance(PublicBase(base): PublicBase, Query(q): Query<InstanceQuery>) -> Response {
    let base = base.trim_end_matches('/');
    let Ok(base_url) = url::Url::parse(base) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let our_host = base_url.host_str().unwrap_or_default().to_owned();
    let tenant = match q.authorization_endpoint.as_deref() {
        None => Some("{tenant}".to_owned()),
        Some(ep) => authority_tenant(ep, &base_url),
    };
    let Some(tenant) = tenant else {
        return AadError::new(
            StatusCode::BAD_REQUEST,
            "invalid_instance",
            50049,
            "Unknown or invalid instance.",
        )
        .into_response();
    };
    let mut our = vec![our_host.clone()];
    if let Some(port) = base_url.port() {
        our.push(format!("{our_host}:{port}"));
    }
    let mut metadata = vec![json!({
        "preferred_network": our_host,
        "preferred_cache": our_host,
        "aliases": our,
    })];
    if !PUBLIC_CLOUD_ALIASES.contains(&our_host.as_str()) {
        metadata.push(json!({
            "preferred_network": "login.microsoftonline.com",
            "preferred_cache": "login.windows.net",
            "aliases": PUBLIC_CLOUD_ALIASES,
        }));
    }
    cached(json!({
        "tenant_discovery_endpoint": format!("{base}/{tenant}/v2.0/.well-known/openid-configuration"),
        "api-version": q.api_version.as_deref().unwrap_or("1.1"),
        "metadata": metadata,
    }))
}

/// The tenant of an `…/{tenant}/oauth2[/v2.0]/authorize` URL on our host (any port: MSAL drops
/// it) or a public-cloud host; the path must sit under our base path (e.g. `/login`).
fn authority_tenant(endpoint: &str, base: &url::Url) -> Option<String> {
    let u = url::Url::parse(endpoint).ok()?;
    let host = u.host_str()?;
    let ours = base.host_str().is_some_and(|h| h.eq_ignore_ascii_case(host));
    let path = if ours {
        u.path().strip_prefix(base.path().trim_end_matches('/'))?
    } else if PUBLIC_CLOUD_ALIASES.iter().any(|h| h.eq_ignore_ascii_case(host)) {
        u.path()
    } else {
        return None;
    };
    let mut segs = path.trim_start_matches('/').split('/');
    let tenant = segs.next().filter(|t| !t.is_empty())?;
    let rest: Vec<&str> = segs.collect();
    matches!(rest.as_slice(), ["oauth2", "v2.0", "authorize"] | ["oauth2", "authorize"])
        .then(|| tenant.to_owned())
}

/// JSON with the one-day caching the real metadata endpoints use.
fn cached(v: Value) -> Response {
    let mut resp = axum::Json(v).into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("max-age=86400, private"));
    resp
}
