//! Contract tests for the emulated identity platform (contract §1): the client-credentials token
//! endpoint with secrets and certificate assertions, its AADSTS errors, discovery and the JWKS,
//! against a real server on loopback with a real HTTP client.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{Emu, GRAPH_SCOPE, KIOSK_CLIENT_ID, KIOSK_SECRET, READONLY_CLIENT_ID, VC_SCOPE, json};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use reclaim_emulator::Fixture;
use reclaim_emulator::identity::{AccessClaims, AuthError, Resource};
use serde_json::{Value, json};
use sha2::Digest as _;

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const KEY_PEM: &str = include_str!("../fixtures/demo-credentials/kiosk-demo.key.pem");
const CERT_PEM: &str = include_str!("../fixtures/demo-credentials/kiosk-demo.cert.pem");
const TENANT_DOMAIN: &str = "contoso.example";
const KIOSK_GRAPH_ROLES: [&str; 9] = [
    "User.Read.All",
    "GroupMember.Read.All",
    "UserAuthenticationMethod.ReadWrite.All",
    "Policy.Read.AuthenticationMethod",
    "VerifiedId-Profile.Read.All",
    "RoleManagement.Read.Directory",
    "CustomAuthenticationExtension.Read.All",
    "Mail.Send",
    "User.RevokeSessions.All",
];

// ── helpers ─────────────────────────────────────────────────────────────────────────────────────

async fn post_form(emu: &Emu, url: &str, form: &[(&str, &str)]) -> reqwest::Response {
    emu.http.post(url).form(form).send().await.unwrap()
}

async fn token(emu: &Emu, form: &[(&str, &str)]) -> reqwest::Response {
    post_form(emu, &emu.token_url(), form).await
}

/// `grant_type`, `client_id`, `client_secret`, `scope` for the kiosk app.
fn secret_form(scope: &str) -> Vec<(&str, &str)> {
    vec![
        ("grant_type", "client_credentials"),
        ("client_id", KIOSK_CLIENT_ID),
        ("client_secret", KIOSK_SECRET),
        ("scope", scope),
    ]
}

fn assertion_form<'a>(assertion: &'a str, scope: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("grant_type", "client_credentials"),
        ("client_id", KIOSK_CLIENT_ID),
        ("client_assertion_type", JWT_BEARER),
        ("client_assertion", assertion),
        ("scope", scope),
    ]
}

/// Asserts a complete AADSTS error body (contract §1.6) and returns it.
async fn assert_aad(resp: reqwest::Response, status: u16, error: &str, code: u64) -> Value {
    assert_eq!(resp.status(), status, "status for {error}/{code}");
    assert!(
        resp.headers()["content-type"].to_str().unwrap().starts_with("application/json"),
        "JSON error body"
    );
    let b = json(resp).await;
    assert_eq!(b["error"], error, "{b}");
    assert_eq!(b["error_codes"], json!([code]), "{b}");
    let desc = b["error_description"].as_str().unwrap();
    assert!(desc.starts_with(&format!("AADSTS{code}: ")), "{desc}");
    let trace = b["trace_id"].as_str().unwrap();
    let corr = b["correlation_id"].as_str().unwrap();
    assert!(uuid::Uuid::parse_str(trace).is_ok() && uuid::Uuid::parse_str(corr).is_ok());
    assert!(desc.contains(&format!("\r\nTrace ID: {trace}\r\nCorrelation ID: {corr}\r\n")));
    let ts = b["timestamp"].as_str().unwrap();
    assert!(
        time::PrimitiveDateTime::parse(
            ts,
            &time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]Z")
        )
        .is_ok()
    );
    assert!(desc.ends_with(&format!("Timestamp: {ts}")), "{desc}");
    b
}

fn cert_der(pem_text: &str) -> Vec<u8> {
    let (_, pem) = x509_parser::pem::parse_x509_pem(pem_text.as_bytes()).unwrap();
    pem.contents
}

fn x5t_sha1(der: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(sha1::Sha1::digest(der))
}

fn x5t_sha256(der: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(der))
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Standard assertion claims for the kiosk app addressed to `aud`.
fn claims(aud: &str) -> Value {
    let now = now();
    json!({
        "aud": aud, "iss": KIOSK_CLIENT_ID, "sub": KIOSK_CLIENT_ID,
        "jti": uuid::Uuid::new_v4().to_string(), "nbf": now, "iat": now, "exp": now + 600,
    })
}

/// Signs `claims` as the docs describe: RS256 + `x5t`, or PS256 + `x5t#S256`.
fn sign(alg: Algorithm, key_pem: &str, cert_pem: &str, claims: &Value) -> String {
    let der = cert_der(cert_pem);
    let mut h = Header::new(alg);
    h.typ = Some("JWT".into());
    match alg {
        Algorithm::PS256 => h.x5t_s256 = Some(x5t_sha256(&der)),
        _ => h.x5t = Some(x5t_sha1(&der)),
    }
    jsonwebtoken::encode(&h, claims, &EncodingKey::from_rsa_pem(key_pem.as_bytes()).unwrap())
        .unwrap()
}

fn kiosk_assertion(alg: Algorithm, claims: &Value) -> String {
    sign(alg, KEY_PEM, CERT_PEM, claims)
}

/// Checks a successful token response and returns the access token.
async fn assert_token_ok(resp: reqwest::Response) -> String {
    let status = resp.status();
    let no_store = resp.headers()["cache-control"].to_str().unwrap().contains("no-store");
    let b = json(resp).await;
    assert_eq!(status, 200, "{b}");
    assert!(no_store);
    assert_eq!(b["token_type"], "Bearer");
    assert_eq!(b["expires_in"], 3599);
    assert_eq!(b["ext_expires_in"], 3599);
    b["access_token"].as_str().unwrap().to_owned()
}

/// Verifies `token` the way a resource server would: JWKS from the discovery document.
async fn verify_with_jwks(emu: &Emu, token: &str, audience: &str) -> AccessClaims {
    let config_url =
        format!("{}/{}/v2.0/.well-known/openid-configuration", emu.urls().login, emu.tenant());
    let config = json(emu.http.get(config_url).send().await.unwrap()).await;
    let jwks = json(emu.http.get(config["jwks_uri"].as_str().unwrap()).send().await.unwrap()).await;
    let kid = jsonwebtoken::decode_header(token).unwrap().kid.unwrap();
    let jwk = jwks["keys"].as_array().unwrap().iter().find(|k| k["kid"] == kid).unwrap();
    let key =
        DecodingKey::from_rsa_components(jwk["n"].as_str().unwrap(), jwk["e"].as_str().unwrap())
            .unwrap();
    let mut v = Validation::new(Algorithm::RS256);
    v.set_audience(&[audience]);
    v.set_issuer(&[format!("https://sts.windows.net/{}/", emu.tenant())]);
    jsonwebtoken::decode::<AccessClaims>(token, &key, &v)
        .expect("token verifies against the JWKS")
        .claims
}

fn bearer(token: &str) -> axum::http::HeaderMap {
    let mut h = axum::http::HeaderMap::new();
    h.insert("authorization", format!("Bearer {token}").parse().unwrap());
    h
}

fn with_settings(edit: impl FnOnce(&mut reclaim_emulator::Settings)) -> Fixture {
    let mut f = Fixture::demo();
    edit(&mut f.settings);
    f
}

// ── secrets ─────────────────────────────────────────────────────────────────────────────────────

#[tokio::test]
async fn secret_in_the_form_gets_a_graph_token_that_verifies_against_the_jwks() {
    let emu = Emu::start().await;
    let before = now();
    let token = assert_token_ok(token(&emu, &secret_form(GRAPH_SCOPE)).await).await;
    let c = verify_with_jwks(&emu, &token, "https://graph.microsoft.com").await;
    assert_eq!(c.tid, emu.tenant().to_string());
    assert_eq!(c.appid, KIOSK_CLIENT_ID);
    assert_eq!(c.roles, KIOSK_GRAPH_ROLES);
    assert!(c.exp >= before + 3599 && c.exp <= now() + 3599, "exp {}", c.exp);
    assert_eq!(c.idtyp, "app");
}

#[tokio::test]
async fn secret_by_basic_auth_and_the_verified_domain_get_a_request_service_token() {
    let emu = Emu::start().await;
    let url = format!("{}/{TENANT_DOMAIN}/oauth2/v2.0/token", emu.urls().login);
    let resp = emu
        .http
        .post(url)
        .basic_auth(KIOSK_CLIENT_ID, Some(KIOSK_SECRET))
        .form(&[("grant_type", "client_credentials"), ("scope", VC_SCOPE)])
        .send()
        .await
        .unwrap();
    let token = assert_token_ok(resp).await;
    let c = verify_with_jwks(&emu, &token, "3db474b9-6a0c-4840-96ac-1fceb342124f").await;
    assert_eq!(c.roles, ["VerifiableCredential.Create.PresentRequest"]);
    assert_eq!(c.appid, KIOSK_CLIENT_ID);
}

#[tokio::test]
async fn graph_app_id_scope_names_graph_too() {
    let emu = Emu::start().await;
    let token = assert_token_ok(
        token(&emu, &secret_form("00000003-0000-0000-c000-000000000000/.default")).await,
    )
    .await;
    verify_with_jwks(&emu, &token, "https://graph.microsoft.com").await;
}

#[tokio::test]
async fn wrong_secret_is_invalid_client_with_the_configured_status() {
    let emu = Emu::start().await;
    let mut form = secret_form(GRAPH_SCOPE);
    form[2] = ("client_secret", "not-the-secret");
    assert_aad(token(&emu, &form).await, 401, "invalid_client", 7000215).await;
    let resp = emu
        .http
        .post(emu.token_url())
        .basic_auth(KIOSK_CLIENT_ID, Some("wrong"))
        .form(&[("grant_type", "client_credentials"), ("scope", GRAPH_SCOPE)])
        .send()
        .await
        .unwrap();
    assert_aad(resp, 401, "invalid_client", 7000215).await;

    let emu = Emu::start_with(with_settings(|s| s.invalid_client_status = 400)).await;
    assert_aad(token(&emu, &form).await, 400, "invalid_client", 7000215).await;
}

// ── request errors ──────────────────────────────────────────────────────────────────────────────

#[tokio::test]
async fn missing_or_unsupported_grant_type() {
    let emu = Emu::start().await;
    let form = secret_form(GRAPH_SCOPE);
    let b = assert_aad(token(&emu, &form[1..]).await, 400, "invalid_request", 900144).await;
    assert!(b["error_description"].as_str().unwrap().contains("'grant_type'"));
    let mut pw = form.clone();
    pw[0] = ("grant_type", "password");
    assert_aad(token(&emu, &pw).await, 400, "unsupported_grant_type", 70003).await;
    // A JSON body is not read at all, as with Entra.
    let resp = emu
        .http
        .post(emu.token_url())
        .json(&json!({"grant_type": "client_credentials", "client_id": KIOSK_CLIENT_ID}))
        .send()
        .await
        .unwrap();
    assert_aad(resp, 400, "invalid_request", 900144).await;
}

#[tokio::test]
async fn missing_client_id_or_scope_names_the_parameter() {
    let emu = Emu::start().await;
    let form = secret_form(GRAPH_SCOPE);
    let no_client: Vec<_> = form.iter().copied().filter(|(k, _)| *k != "client_id").collect();
    let b = assert_aad(token(&emu, &no_client).await, 400, "invalid_request", 900144).await;
    assert!(b["error_description"].as_str().unwrap().contains("'client_id'"));
    let b = assert_aad(token(&emu, &form[..3]).await, 400, "invalid_request", 900144).await;
    assert!(b["error_description"].as_str().unwrap().contains("'scope'"));
}

#[tokio::test]
async fn unknown_tenant_is_90002() {
    let emu = Emu::start().await;
    for tenant in ["00000000-0000-4000-8000-000000000000", "fabrikam.example"] {
        let url = format!("{}/{tenant}/oauth2/v2.0/token", emu.urls().login);
        let b = assert_aad(
            post_form(&emu, &url, &secret_form(GRAPH_SCOPE)).await,
            400,
            "invalid_request",
            90002,
        )
        .await;
        assert!(b["error_description"].as_str().unwrap().contains(tenant));
    }
}

#[tokio::test]
async fn unknown_client_is_700016() {
    let emu = Emu::start().await;
    for client in ["3a000000-0000-4000-8000-0000000000ff", "not-a-guid"] {
        let mut form = secret_form(GRAPH_SCOPE);
        form[1] = ("client_id", client);
        let b = assert_aad(token(&emu, &form).await, 400, "unauthorized_client", 700016).await;
        assert!(b["error_description"].as_str().unwrap().contains(client));
    }
}

#[tokio::test]
async fn missing_credential_is_7000218() {
    let emu = Emu::start().await;
    let form = secret_form(GRAPH_SCOPE);
    let no_secret: Vec<_> = form.iter().copied().filter(|(k, _)| *k != "client_secret").collect();
    assert_aad(token(&emu, &no_secret).await, 401, "invalid_client", 7000218).await;
}

#[tokio::test]
async fn scope_rules_single_resource_with_dot_default() {
    let emu = Emu::start().await;
    let b = assert_aad(
        token(&emu, &secret_form("https://graph.microsoft.com/User.Read.All")).await,
        400,
        "invalid_scope",
        1002012,
    )
    .await;
    assert!(b["error_description"].as_str().unwrap().contains("/.default"));
    let both = format!("{GRAPH_SCOPE} {VC_SCOPE}");
    assert_aad(token(&emu, &secret_form(&both)).await, 400, "invalid_scope", 70011).await;
    let b = assert_aad(
        token(&emu, &secret_form("https://unknown.example/.default")).await,
        400,
        "invalid_resource",
        500011,
    )
    .await;
    assert!(b["error_description"].as_str().unwrap().contains("https://unknown.example"));
}

/// The token request body MSAL for Node 1.10.0 sends for `acquireTokenByClientCredential({scopes:
/// [resource]})`: its `initializeBaseRequest` appends `openid profile offline_access` and
/// `ClientCredentialClient.createTokenRequestBody` sends them, each parameter
/// `encodeURIComponent`-ed (MSAL for JS pull request 4999 later removed them: "AAD ignores these
/// scopes").
fn msal_node_1_10_body(resource_scope: &str, secret: &str) -> String {
    let enc = |s: &str| {
        percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    format!(
        "client_id={KIOSK_CLIENT_ID}&scope={}&grant_type=client_credentials\
         &x-client-SKU=msal.js.node&x-client-VER=1.10.0&x-client-OS=linux&x-client-CPU=x64\
         &x-ms-lib-capability=retry-after, h429&x-client-current-telemetry=5|771,2,,,|,\
         &x-client-last-telemetry=5|0|||0,0&client-request-id={}&client_secret={}",
        enc(&format!("{resource_scope} openid profile offline_access")),
        uuid::Uuid::new_v4(),
        enc(secret),
    )
}

#[tokio::test]
async fn client_credentials_ignore_extra_oidc_scopes_as_entra_does() {
    let emu = Emu::start().await;
    // Byte for byte what an older MSAL sends: the token is issued for the one resource named.
    for (scope, aud) in [
        (GRAPH_SCOPE, "https://graph.microsoft.com"),
        (VC_SCOPE, "3db474b9-6a0c-4840-96ac-1fceb342124f"),
    ] {
        let resp = emu
            .http
            .post(emu.token_url())
            .header("content-type", "application/x-www-form-urlencoded;charset=utf-8")
            .body(msal_node_1_10_body(scope, KIOSK_SECRET))
            .send()
            .await
            .unwrap();
        let token = assert_token_ok(resp).await;
        let c = verify_with_jwks(&emu, &token, aud).await;
        assert_eq!(c.appid, KIOSK_CLIENT_ID);
        if aud == "https://graph.microsoft.com" {
            assert_eq!(c.roles, KIOSK_GRAPH_ROLES);
        } else {
            assert_eq!(c.roles, ["VerifiableCredential.Create.PresentRequest"]);
        }
    }
    // In any order and case, as a form any client builds.
    for scope in [
        format!("openid {GRAPH_SCOPE} profile"),
        format!("OpenID Offline_Access {GRAPH_SCOPE}"),
        format!("{GRAPH_SCOPE} offline_access"),
    ] {
        let token = assert_token_ok(token(&emu, &secret_form(&scope)).await).await;
        verify_with_jwks(&emu, &token, "https://graph.microsoft.com").await;
    }
}

#[tokio::test]
async fn extra_oidc_scopes_do_not_excuse_a_bad_scope() {
    let emu = Emu::start().await;
    // Two resources, with or without the OpenID Connect scopes: AADSTS70011.
    let both = format!("{GRAPH_SCOPE} openid profile offline_access {VC_SCOPE}");
    assert_aad(token(&emu, &secret_form(&both)).await, 400, "invalid_scope", 70011).await;
    // A delegated permission instead of /.default: AADSTS1002012.
    let delegated = "https://graph.microsoft.com/User.Read.All openid profile offline_access";
    let b =
        assert_aad(token(&emu, &secret_form(delegated)).await, 400, "invalid_scope", 1002012).await;
    assert!(b["error_description"].as_str().unwrap().contains("/.default"));
    // Only OpenID Connect scopes: no resource at all.
    assert_aad(
        token(&emu, &secret_form("openid profile offline_access")).await,
        400,
        "invalid_scope",
        1002012,
    )
    .await;
}

// ── certificate assertions ──────────────────────────────────────────────────────────────────────

#[tokio::test]
async fn rs256_assertion_with_x5t_addressed_to_the_emulator_gets_a_token() {
    let emu = Emu::start().await;
    let jwt = kiosk_assertion(Algorithm::RS256, &claims(&emu.token_url()));
    let token = assert_token_ok(token(&emu, &assertion_form(&jwt, GRAPH_SCOPE)).await).await;
    let c = verify_with_jwks(&emu, &token, "https://graph.microsoft.com").await;
    assert_eq!(c.appid, KIOSK_CLIENT_ID);
    assert_eq!(c.roles, KIOSK_GRAPH_ROLES);
}

#[tokio::test]
async fn ps256_assertion_with_x5t_s256_addressed_to_the_real_host_gets_a_token() {
    let emu = Emu::start().await;
    for aud in [
        format!("https://login.microsoftonline.com/{}/oauth2/v2.0/token", emu.tenant()),
        format!("https://login.microsoftonline.com/{TENANT_DOMAIN}/oauth2/v2.0/token"),
    ] {
        let jwt = kiosk_assertion(Algorithm::PS256, &claims(&aud));
        let token = assert_token_ok(token(&emu, &assertion_form(&jwt, VC_SCOPE)).await).await;
        let c = verify_with_jwks(&emu, &token, "3db474b9-6a0c-4840-96ac-1fceb342124f").await;
        assert_eq!(c.tid, emu.tenant().to_string());
    }
}

#[tokio::test]
async fn fractional_numeric_dates_are_accepted_as_msal_python_sends_them() {
    let emu = Emu::start().await;
    let mut c = claims(&emu.token_url());
    let t = time::OffsetDateTime::now_utc().unix_timestamp_nanos() as f64 / 1e9;
    c["iat"] = json!(t);
    c["exp"] = json!(t + 600.0);
    c.as_object_mut().unwrap().remove("nbf");
    let jwt = kiosk_assertion(Algorithm::RS256, &c);
    assert_token_ok(token(&emu, &assertion_form(&jwt, GRAPH_SCOPE)).await).await;
}

#[tokio::test]
async fn unregistered_certificate_is_700027() {
    let emu = Emu::start().await;
    let kp = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap();
    let cert = rcgen::CertificateParams::new(vec!["kiosk.example".to_owned()])
        .unwrap()
        .self_signed(&kp)
        .unwrap();
    for alg in [Algorithm::RS256, Algorithm::PS256] {
        let jwt = sign(alg, &kp.serialize_pem(), &cert.pem(), &claims(&emu.token_url()));
        let b = assert_aad(
            token(&emu, &assertion_form(&jwt, GRAPH_SCOPE)).await,
            401,
            "invalid_client",
            700027,
        )
        .await;
        assert!(b["error_description"].as_str().unwrap().contains("not registered"));
    }
}

#[tokio::test]
async fn registered_thumbprint_with_a_foreign_key_fails_signature_validation() {
    let emu = Emu::start().await;
    // Header names the registered certificate, but another key signed it.
    let kp = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap();
    let jwt = sign(Algorithm::RS256, &kp.serialize_pem(), CERT_PEM, &claims(&emu.token_url()));
    let b = assert_aad(
        token(&emu, &assertion_form(&jwt, GRAPH_SCOPE)).await,
        401,
        "invalid_client",
        700027,
    )
    .await;
    assert!(b["error_description"].as_str().unwrap().contains("signature"));
}

#[tokio::test]
async fn expired_or_not_yet_valid_assertion_is_700024() {
    let emu = Emu::start().await;
    let mut c = claims(&emu.token_url());
    c["nbf"] = json!(now() - 3600);
    c["exp"] = json!(now() - 1800);
    let jwt = kiosk_assertion(Algorithm::PS256, &c);
    let b = assert_aad(
        token(&emu, &assertion_form(&jwt, GRAPH_SCOPE)).await,
        401,
        "invalid_client",
        700024,
    )
    .await;
    assert!(b["error_description"].as_str().unwrap().contains("valid time range"));

    let mut c = claims(&emu.token_url());
    c["nbf"] = json!(now() + 1800);
    c["exp"] = json!(now() + 2400);
    let jwt = kiosk_assertion(Algorithm::PS256, &c);
    assert_aad(
        token(&emu, &assertion_form(&jwt, GRAPH_SCOPE)).await,
        401,
        "invalid_client",
        700024,
    )
    .await;
}

#[tokio::test]
async fn assertion_expires_by_the_emulator_clock() {
    let emu = Emu::start().await;
    let jwt = kiosk_assertion(Algorithm::RS256, &claims(&emu.token_url()));
    assert_eq!(emu.control("/clock/advance", json!({"seconds": 3600})).await.status(), 200);
    assert_aad(
        token(&emu, &assertion_form(&jwt, GRAPH_SCOPE)).await,
        401,
        "invalid_client",
        700024,
    )
    .await;
}

#[tokio::test]
async fn assertion_for_another_audience_is_refused() {
    let emu = Emu::start().await;
    for aud in [
        "https://login.microsoftonline.com/00000000-0000-4000-8000-000000000000/oauth2/v2.0/token"
            .to_owned(),
        "https://graph.microsoft.com".to_owned(),
        emu.token_url().replace("/oauth2/v2.0/token", "/oauth2/v2.0/authorize"),
    ] {
        let jwt = kiosk_assertion(Algorithm::PS256, &claims(&aud));
        let b = assert_aad(
            token(&emu, &assertion_form(&jwt, GRAPH_SCOPE)).await,
            401,
            "invalid_client",
            700027,
        )
        .await;
        assert!(b["error_description"].as_str().unwrap().contains("audience"), "{b}");
    }
}

#[tokio::test]
async fn assertion_iss_and_sub_must_both_be_the_client() {
    let emu = Emu::start().await;
    for (iss, sub) in [(KIOSK_CLIENT_ID, READONLY_CLIENT_ID), (READONLY_CLIENT_ID, KIOSK_CLIENT_ID)]
    {
        let mut c = claims(&emu.token_url());
        c["iss"] = json!(iss);
        c["sub"] = json!(sub);
        let jwt = kiosk_assertion(Algorithm::RS256, &c);
        assert_aad(
            token(&emu, &assertion_form(&jwt, GRAPH_SCOPE)).await,
            401,
            "invalid_client",
            700021,
        )
        .await;
    }
}

#[tokio::test]
async fn assertion_jti_is_required_and_single_use_when_enforced() {
    let emu = Emu::start_with(with_settings(|s| s.reject_reused_assertion_jti = true)).await;
    let jwt = kiosk_assertion(Algorithm::PS256, &claims(&emu.token_url()));
    assert_token_ok(token(&emu, &assertion_form(&jwt, GRAPH_SCOPE)).await).await;
    let b = assert_aad(
        token(&emu, &assertion_form(&jwt, VC_SCOPE)).await,
        401,
        "invalid_client",
        700027,
    )
    .await;
    assert!(b["error_description"].as_str().unwrap().contains("already been used"));

    let mut c = claims(&emu.token_url());
    c.as_object_mut().unwrap().remove("jti");
    let jwt = kiosk_assertion(Algorithm::PS256, &c);
    let b = assert_aad(
        token(&emu, &assertion_form(&jwt, GRAPH_SCOPE)).await,
        401,
        "invalid_client",
        700027,
    )
    .await;
    assert!(b["error_description"].as_str().unwrap().contains("jti"));
}

#[tokio::test]
async fn reuse_is_allowed_when_the_setting_is_off() {
    let emu = Emu::start_with(with_settings(|s| s.reject_reused_assertion_jti = false)).await;
    let jwt = kiosk_assertion(Algorithm::PS256, &claims(&emu.token_url()));
    assert_token_ok(token(&emu, &assertion_form(&jwt, GRAPH_SCOPE)).await).await;
    assert_token_ok(token(&emu, &assertion_form(&jwt, VC_SCOPE)).await).await;
}

#[tokio::test]
async fn garbage_assertion_or_wrong_assertion_type() {
    let emu = Emu::start().await;
    assert_aad(
        token(&emu, &assertion_form("not.a.jwt", GRAPH_SCOPE)).await,
        401,
        "invalid_client",
        50027,
    )
    .await;
    let jwt = kiosk_assertion(Algorithm::RS256, &claims(&emu.token_url()));
    let mut form = assertion_form(&jwt, GRAPH_SCOPE);
    form[2] = ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:saml2-bearer");
    assert_aad(token(&emu, &form).await, 401, "invalid_client", 7000218).await;
}

// ── tokens at the resources ─────────────────────────────────────────────────────────────────────

#[tokio::test]
async fn issued_tokens_work_only_at_their_own_resource() {
    let emu = Emu::start().await;
    let state = &emu.running.state;
    let graph = assert_token_ok(token(&emu, &secret_form(GRAPH_SCOPE)).await).await;
    let c = state.authorize(&bearer(&graph), Resource::Graph, &["User.Read.All"]).unwrap();
    assert_eq!(c.appid, KIOSK_CLIENT_ID);
    assert_eq!(
        state.authorize(&bearer(&graph), Resource::RequestService, &[]).unwrap_err(),
        AuthError::WrongAudience
    );
    let vc = assert_token_ok(token(&emu, &secret_form(VC_SCOPE)).await).await;
    assert!(
        state
            .authorize(
                &bearer(&vc),
                Resource::RequestService,
                &["VerifiableCredential.Create.PresentRequest"]
            )
            .is_ok()
    );
    assert_eq!(
        state.authorize(&bearer(&vc), Resource::Graph, &[]).unwrap_err(),
        AuthError::WrongAudience
    );
}

#[tokio::test]
async fn app_without_roles_for_a_resource_gets_a_token_with_no_roles() {
    let emu = Emu::start().await;
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", READONLY_CLIENT_ID),
        ("client_secret", common::READONLY_SECRET),
        ("scope", VC_SCOPE),
    ];
    let vc = assert_token_ok(token(&emu, &form).await).await;
    let c = verify_with_jwks(&emu, &vc, "3db474b9-6a0c-4840-96ac-1fceb342124f").await;
    assert!(c.roles.is_empty());
    assert_eq!(
        emu.running
            .state
            .authorize(
                &bearer(&vc),
                Resource::RequestService,
                &["VerifiableCredential.Create.PresentRequest"]
            )
            .unwrap_err(),
        AuthError::MissingRole
    );
}

#[tokio::test]
async fn forced_expiry_refuses_issued_tokens_and_a_fresh_one_works() {
    let emu = Emu::start().await;
    let state = &emu.running.state;
    let old = assert_token_ok(token(&emu, &secret_form(GRAPH_SCOPE)).await).await;
    assert!(state.authorize(&bearer(&old), Resource::Graph, &[]).is_ok());
    let r = emu.control("/tokens/expire", json!({})).await;
    assert_eq!(r.status(), 204);
    assert_eq!(
        state.authorize(&bearer(&old), Resource::Graph, &[]).unwrap_err(),
        AuthError::Expired
    );
    // Immediately, in the same second: the new token must not be born expired.
    let fresh = assert_token_ok(token(&emu, &secret_form(GRAPH_SCOPE)).await).await;
    assert!(state.authorize(&bearer(&fresh), Resource::Graph, &[]).is_ok());
}

#[tokio::test]
async fn tokens_expire_by_the_emulator_clock() {
    let emu = Emu::start().await;
    let t = assert_token_ok(token(&emu, &secret_form(GRAPH_SCOPE)).await).await;
    emu.control("/clock/advance", json!({"seconds": 3600})).await;
    assert_eq!(
        emu.running.state.authorize(&bearer(&t), Resource::Graph, &[]).unwrap_err(),
        AuthError::Expired
    );
}

// ── discovery ───────────────────────────────────────────────────────────────────────────────────

#[tokio::test]
async fn openid_configuration_points_at_this_host() {
    let emu = Emu::start().await;
    let login = &emu.urls().login;
    let tid = emu.tenant();
    for tenant in [tid.to_string(), TENANT_DOMAIN.to_owned()] {
        let url = format!("{login}/{tenant}/v2.0/.well-known/openid-configuration");
        let c = json(emu.http.get(url).send().await.unwrap()).await;
        assert_eq!(c["token_endpoint"], format!("{login}/{tid}/oauth2/v2.0/token"));
        assert_eq!(c["jwks_uri"], format!("{login}/{tid}/discovery/v2.0/keys"));
        assert_eq!(c["issuer"], format!("{login}/{tid}/v2.0"));
        assert_eq!(c["authorization_endpoint"], format!("{login}/{tid}/oauth2/v2.0/authorize"));
        for m in ["client_secret_post", "private_key_jwt", "client_secret_basic"] {
            assert!(
                c["token_endpoint_auth_methods_supported"].as_array().unwrap().contains(&json!(m))
            );
        }
        assert_eq!(c["id_token_signing_alg_values_supported"], json!(["RS256"]));
        assert!(c["response_types_supported"].as_array().unwrap().contains(&json!("code")));
        assert_eq!(c["cloud_instance_name"], "microsoftonline.com");
        assert!(c["tenant_region_scope"].is_string());
    }
    let r = emu
        .http
        .get(format!("{login}/fabrikam.example/v2.0/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap();
    assert_aad(r, 400, "invalid_tenant", 90002).await;
}

#[tokio::test]
async fn v1_configuration_issuer_and_keys_validate_issued_tokens() {
    let emu = Emu::start().await;
    let login = &emu.urls().login;
    let tid = emu.tenant();
    let token = assert_token_ok(token(&emu, &secret_form(GRAPH_SCOPE)).await).await;
    for tenant in [tid.to_string(), TENANT_DOMAIN.to_owned()] {
        let url = format!("{login}/{tenant}/.well-known/openid-configuration");
        let c = json(emu.http.get(url).send().await.unwrap()).await;
        // App-only tokens carry the v1 issuer; a v1-configured validator must find it here.
        assert_eq!(c["issuer"], format!("https://sts.windows.net/{tid}/"));
        assert_eq!(c["token_endpoint"], format!("{login}/{tid}/oauth2/token"));
        assert_eq!(c["authorization_endpoint"], format!("{login}/{tid}/oauth2/authorize"));
        assert_eq!(c["jwks_uri"], format!("{login}/common/discovery/keys"));
        let jwks = json(emu.http.get(c["jwks_uri"].as_str().unwrap()).send().await.unwrap()).await;
        let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwks["keys"][0].clone()).unwrap();
        let mut v = Validation::new(Algorithm::RS256);
        v.set_audience(&["https://graph.microsoft.com"]);
        v.set_issuer(&[c["issuer"].as_str().unwrap()]);
        let claims =
            jsonwebtoken::decode::<AccessClaims>(&token, &DecodingKey::from_jwk(&jwk).unwrap(), &v)
                .expect("token verifies against the v1 JWKS")
                .claims;
        assert_eq!(claims.tid, tid.to_string());
    }
    let keys =
        json(emu.http.get(format!("{login}/{tid}/discovery/keys")).send().await.unwrap()).await;
    assert_eq!(keys["keys"][0]["kty"], "RSA");
    let r = emu
        .http
        .get(format!("{login}/fabrikam.example/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap();
    assert_aad(r, 400, "invalid_tenant", 90002).await;
}

#[tokio::test]
async fn jwks_is_served_per_tenant_and_under_common() {
    let emu = Emu::start().await;
    let login = &emu.urls().login;
    let kid = jsonwebtoken::decode_header(
        &assert_token_ok(token(&emu, &secret_form(GRAPH_SCOPE)).await).await,
    )
    .unwrap()
    .kid
    .unwrap();
    for tenant in [emu.tenant().to_string(), "common".to_owned()] {
        let jwks = json(
            emu.http.get(format!("{login}/{tenant}/discovery/v2.0/keys")).send().await.unwrap(),
        )
        .await;
        let k = &jwks["keys"][0];
        assert_eq!(k["kty"], "RSA");
        assert_eq!(k["use"], "sig");
        assert_eq!(k["kid"], kid.as_str());
        assert!(k["x5c"][0].is_string());
    }
}

#[tokio::test]
async fn instance_discovery_names_the_tenant_document_on_this_host() {
    let emu = Emu::start().await;
    let login = &emu.urls().login;
    let tid = emu.tenant();
    // MSAL sends the authority host without its port.
    let auth = format!("http://127.0.0.1/login/{tid}/oauth2/v2.0/authorize");
    let r = emu
        .http
        .get(format!("{login}/common/discovery/instance"))
        .query(&[("api-version", "1.1"), ("authorization_endpoint", &auth)])
        .send()
        .await
        .unwrap();
    let b = json(r).await;
    let tde = b["tenant_discovery_endpoint"].as_str().unwrap();
    assert_eq!(tde, format!("{login}/{tid}/v2.0/.well-known/openid-configuration"));
    assert_eq!(b["api-version"], "1.1");
    assert!(b["metadata"][0]["aliases"].as_array().unwrap().contains(&json!("127.0.0.1")));
    let config = json(emu.http.get(tde).send().await.unwrap()).await;
    assert_eq!(config["token_endpoint"], emu.token_url());

    let r = emu
        .http
        .get(format!("{login}/common/discovery/instance"))
        .query(&[("authorization_endpoint", "https://evil.example/x/oauth2/v2.0/authorize")])
        .send()
        .await
        .unwrap();
    assert_aad(r, 400, "invalid_instance", 50049).await;
}

/// The JWKS's one key id.
async fn jwks_kid(emu: &Emu) -> String {
    let url = format!("{}/{}/discovery/v2.0/keys", emu.urls().login, emu.tenant());
    let jwks = json(emu.http.get(url).send().await.unwrap()).await;
    jwks["keys"][0]["kid"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_token_signing_key_is_the_fixtures_or_a_fresh_one() {
    // The demo tenant names its published key: every start signs with it.
    let (a, b) = (Emu::start().await, Emu::start().await);
    assert_eq!(jwks_kid(&a).await, jwks_kid(&b).await);
    // A fixture without one gets a fresh key at every start, which still signs valid tokens.
    let fresh = || {
        let mut f = Fixture::demo();
        f.tenant.token_signing_key = None;
        f
    };
    let (c, d) = (Emu::start_with(fresh()).await, Emu::start_with(fresh()).await);
    let kid = jwks_kid(&c).await;
    assert_ne!(kid, jwks_kid(&d).await);
    assert_ne!(kid, jwks_kid(&a).await);
    let token = c.graph_token();
    let header = jsonwebtoken::decode_header(&token).unwrap();
    assert_eq!(header.kid.as_deref(), Some(kid.as_str()));
}

#[tokio::test]
async fn a_fixture_key_that_is_not_an_rsa_key_is_refused_by_name() {
    let mut f = Fixture::demo();
    f.tenant.token_signing_key = Some("-----BEGIN PRIVATE KEY-----\nnot a key\n".into());
    let options = reclaim_emulator::EmulatorOptions { fixture: f, ..Default::default() };
    let Err(err) = reclaim_emulator::start(options).await else {
        panic!("a fixture with a broken token_signing_key must not start")
    };
    assert!(err.to_string().contains("tenant.token_signing_key"), "{err}");
}
