//! Contract tests for OpenID Connect sign-in (`microsoft-apis-v2.md` §4): discovery, the
//! authorization endpoint and its sign-in page, the authorization code grant with PKCE, the v2.0
//! ID token, groups overage and sign-out — against a real server on loopback.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{Emu, KIOSK_CLIENT_ID, KIOSK_SECRET, json};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use reclaim_emulator::Fixture;
use serde_json::{Value, json};

const CONSOLE: &str = "3a000000-0000-4000-8000-000000000003";
const CONSOLE_SECRET: &str = "demo-console-secret-NOT-FOR-PRODUCTION";
const OPERATOR: &str = "it.operator@contoso.example";
const OPERATOR_ID: &str = "1a000000-0000-4000-8000-000000000020";
const OPERATOR_PASSWORD: &str = "operator-demo";
const VIEWER: &str = "helpdesk.viewer@contoso.example";
const OPERATORS_GROUP: &str = "6a000000-0000-4000-8000-000000000009";
/// Registered as `http://127.0.0.1/console/callback`: loopback URIs match on any port.
const REDIRECT: &str = "http://127.0.0.1:53123/console/callback";
/// RFC 7636 Appendix B (§4.2's test vector).
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

// ── helpers ─────────────────────────────────────────────────────────────────────────────────────

fn tenant_url(emu: &Emu, rest: &str) -> String {
    format!("{}/{}/{rest}", emu.urls().login, emu.tenant())
}

/// §4.2's request for the console app, with query response mode; `changes` override or (with
/// an empty value) remove parameters.
fn authorize_url(emu: &Emu, changes: &[(&str, &str)]) -> String {
    let mut p: Vec<(String, String)> = [
        ("client_id", CONSOLE),
        ("response_type", "code"),
        ("redirect_uri", REDIRECT),
        ("response_mode", "query"),
        ("scope", "openid profile email"),
        ("state", "Xq3-state"),
        ("nonce", "9TBd-nonce"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    for (k, v) in changes {
        p.retain(|(pk, _)| pk != k);
        if !v.is_empty() {
            p.push(((*k).to_owned(), (*v).to_owned()));
        }
    }
    format!(
        "{}?{}",
        tenant_url(emu, "oauth2/v2.0/authorize"),
        serde_urlencoded::to_string(&p).unwrap()
    )
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The value of the hidden `ctx` field of the sign-in page.
fn ctx_of(html: &str) -> String {
    let start = html.find("name=\"ctx\" value=\"").expect("sign-in form") + 18;
    let len = html[start..].find('"').unwrap();
    unescape(&html[start..start + len])
}

/// Opens the sign-in page and posts the credentials; returns the response to the post.
async fn sign_in(emu: &Emu, url: &str, user: &str, password: &str) -> reqwest::Response {
    let page = emu.http.get(url).send().await.unwrap();
    assert_eq!(page.status(), 200, "sign-in page for {url}");
    let html = page.text().await.unwrap();
    emu.http
        .post(tenant_url(emu, "login"))
        .form(&[("ctx", ctx_of(&html).as_str()), ("login", user), ("passwd", password)])
        .send()
        .await
        .unwrap()
}

fn location(resp: &reqwest::Response) -> url::Url {
    assert_eq!(resp.status(), 302, "expected a redirect back to the app");
    url::Url::parse(resp.headers()["location"].to_str().unwrap()).unwrap()
}

fn query(u: &url::Url) -> HashMap<String, String> {
    u.query_pairs().into_owned().collect()
}

/// Signs the operator in and returns the authorization code.
async fn operator_code(emu: &Emu) -> String {
    let resp = sign_in(emu, &authorize_url(emu, &[]), OPERATOR, OPERATOR_PASSWORD).await;
    let back = location(&resp);
    query(&back)["code"].clone()
}

/// §4.4's token request for the console app.
fn code_form<'a>(code: &'a str, changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut f = vec![
        ("client_id", CONSOLE),
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
        ("scope", "openid profile email"),
        ("client_secret", CONSOLE_SECRET),
    ];
    for (k, v) in changes {
        f.retain(|(fk, _)| fk != k);
        if !v.is_empty() {
            f.push((k, v));
        }
    }
    f
}

async fn redeem(emu: &Emu, form: &[(&str, &str)]) -> reqwest::Response {
    emu.http.post(emu.token_url()).form(form).send().await.unwrap()
}

/// Asserts a token-endpoint error body (§4.4 → v1 §1.6) and returns it.
async fn assert_aad(resp: reqwest::Response, status: u16, error: &str, code: u64) -> Value {
    assert_eq!(resp.status(), status, "status for {error}/{code}");
    let b = json(resp).await;
    assert_eq!(b["error"], error, "{b}");
    assert_eq!(b["error_codes"], json!([code]), "{b}");
    assert!(
        b["error_description"].as_str().unwrap().starts_with(&format!("AADSTS{code}: ")),
        "{b}"
    );
    b
}

/// Asserts an error sent back to the redirect URI (§4.3) and returns its parameters.
fn assert_redirected_error(
    resp: &reqwest::Response,
    error: &str,
    code: u32,
) -> HashMap<String, String> {
    let back = location(resp);
    assert!(back.as_str().starts_with(REDIRECT), "{back}");
    let q = query(&back);
    assert_eq!(q["error"], error, "{q:?}");
    assert!(q["error_description"].starts_with(&format!("AADSTS{code}: ")), "{q:?}");
    assert_eq!(q["state"], "Xq3-state", "state is echoed on errors too");
    assert!(!q.contains_key("code"));
    q
}

/// Asserts Entra's own error page: the app is never called (§4.3).
async fn assert_error_page(resp: reqwest::Response, code: u32) -> String {
    assert!(resp.headers().get("location").is_none(), "must not redirect");
    assert_eq!(resp.status(), 400);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = resp.text().await.unwrap();
    assert!(html.contains(&format!("AADSTS{code}: ")), "{html}");
    assert!(html.contains("<html lang=\"en\"") && html.contains("role=\"alert\""), "{html}");
    html
}

async fn discovery(emu: &Emu) -> Value {
    let r = emu
        .http
        .get(tenant_url(emu, "v2.0/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    json(r).await
}

/// Verifies an ID token against the published JWKS and returns its header and claims.
async fn verify_id_token(emu: &Emu, token: &str) -> (jsonwebtoken::Header, Value) {
    let d = discovery(emu).await;
    let keys = json(emu.http.get(d["jwks_uri"].as_str().unwrap()).send().await.unwrap()).await;
    let header = jsonwebtoken::decode_header(token).unwrap();
    let kid = header.kid.clone().unwrap();
    let jwk = keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .expect("kid in JWKS");
    let key =
        DecodingKey::from_rsa_components(jwk["n"].as_str().unwrap(), jwk["e"].as_str().unwrap())
            .unwrap();
    let mut v = Validation::new(Algorithm::RS256);
    v.set_audience(&[CONSOLE]);
    v.set_issuer(&[d["issuer"].as_str().unwrap()]);
    let claims = jsonwebtoken::decode::<Value>(token, &key, &v).unwrap().claims;
    (header, claims)
}

// ── §4.1 discovery ──────────────────────────────────────────────────────────────────────────────

#[tokio::test]
async fn discovery_names_every_sign_in_endpoint_as_section_4_1_shows() {
    let emu = Emu::start().await;
    let d = discovery(&emu).await;
    let t = format!("{}/{}", emu.urls().login, emu.tenant());
    assert_eq!(d["issuer"], format!("{t}/v2.0"));
    assert_eq!(d["authorization_endpoint"], format!("{t}/oauth2/v2.0/authorize"));
    assert_eq!(d["token_endpoint"], format!("{t}/oauth2/v2.0/token"));
    assert_eq!(d["end_session_endpoint"], format!("{t}/oauth2/v2.0/logout"));
    assert_eq!(d["jwks_uri"], format!("{t}/discovery/v2.0/keys"));
    assert_eq!(d["response_modes_supported"], json!(["query", "fragment", "form_post"]));
    assert!(d["response_types_supported"].as_array().unwrap().contains(&json!("code")));
    assert_eq!(d["id_token_signing_alg_values_supported"], json!(["RS256"]));
    for m in ["client_secret_post", "private_key_jwt", "client_secret_basic"] {
        assert!(d["token_endpoint_auth_methods_supported"].as_array().unwrap().contains(&json!(m)));
    }
    assert_eq!(d["scopes_supported"], json!(["openid", "profile", "email", "offline_access"]));
    assert_eq!(d["frontchannel_logout_supported"], true);
    assert_eq!(d["http_logout_supported"], true);
    // The verified domain resolves to the same document (§4.1: tenant GUID or verified domain).
    let by_domain = emu
        .http
        .get(format!("{}/contoso.example/v2.0/.well-known/openid-configuration", emu.urls().login))
        .send()
        .await
        .unwrap();
    assert_eq!(json(by_domain).await["issuer"], d["issuer"]);
}

// ── §4.2 authorize, the sign-in page ────────────────────────────────────────────────────────────

#[tokio::test]
async fn authorize_shows_an_accessible_sign_in_page() {
    let emu = Emu::start().await;
    let r = emu.http.get(authorize_url(&emu, &[("login_hint", OPERATOR)])).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["cache-control"].to_str().unwrap().contains("no-store"));
    let html = r.text().await.unwrap();
    assert!(html.starts_with("<!doctype html><html lang=\"en\">"), "lang attribute");
    assert!(
        html.contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
    );
    assert!(html.contains("<h1>Sign in</h1>"), "a heading");
    assert!(
        html.contains("<label for=\"login\">") && html.contains("id=\"login\""),
        "labelled username"
    );
    assert!(
        html.contains("<label for=\"passwd\">") && html.contains("id=\"passwd\""),
        "labelled password"
    );
    assert!(html.contains("autocomplete=\"current-password\""));
    assert!(html.contains(":focus-visible{outline:3px"), "visible focus");
    assert!(html.contains("max-width:27.5rem") && html.contains("width:100%"), "fits 360 px");
    assert!(html.contains(&format!("value=\"{OPERATOR}\"")), "login_hint prefills the username");
    assert!(html.contains("Reclaim operator console"), "names the app");
}

#[tokio::test]
async fn a_wrong_password_shows_the_page_again_with_an_error() {
    let emu = Emu::start().await;
    let url = authorize_url(&emu, &[]);
    for (user, password, code) in [
        (OPERATOR, "not-the-password", 50126),
        ("nobody@contoso.example", OPERATOR_PASSWORD, 50034),
        // Olga is in the tenant but has no sign-in password in the fixture.
        ("olga.petrova@contoso.example", "anything", 50126),
        ("", "", 900144),
    ] {
        let r = sign_in(&emu, &url, user, password).await;
        assert_eq!(r.status(), 200, "{user}: the page again, no redirect");
        assert!(r.headers().get("location").is_none());
        let html = r.text().await.unwrap();
        assert!(html.contains(&format!("role=\"alert\" data-aadsts=\"{code}\"")), "{user}: {html}");
        assert!(
            html.contains("aria-invalid=\"true\"")
                && html.contains("aria-describedby=\"signin-error\"")
        );
        assert!(!html.contains(password) || password.is_empty(), "the password is never echoed");
        // The page can be submitted again and then succeeds.
        let again = emu
            .http
            .post(tenant_url(&emu, "login"))
            .form(&[
                ("ctx", ctx_of(&html).as_str()),
                ("login", OPERATOR),
                ("passwd", OPERATOR_PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        assert!(query(&location(&again)).contains_key("code"));
    }
}

#[tokio::test]
async fn success_redirects_to_the_request_redirect_uri_with_code_and_state() {
    let emu = Emu::start().await;
    let r = sign_in(&emu, &authorize_url(&emu, &[]), OPERATOR, OPERATOR_PASSWORD).await;
    assert!(r.headers()["cache-control"].to_str().unwrap().contains("no-store"));
    let back = location(&r);
    // The port the request used, though the registration has none (loopback rule).
    assert_eq!(
        format!(
            "{}://{}:{}{}",
            back.scheme(),
            back.host_str().unwrap(),
            back.port().unwrap(),
            back.path()
        ),
        REDIRECT
    );
    let q = query(&back);
    assert_eq!(q["state"], "Xq3-state");
    assert!(q["code"].len() > 40, "an opaque code");

    // localhost is registered too; response_mode=fragment and form_post are honoured.
    let r = sign_in(
        &emu,
        &authorize_url(
            &emu,
            &[
                ("redirect_uri", "http://localhost:9/console/callback"),
                ("response_mode", "fragment"),
            ],
        ),
        OPERATOR,
        OPERATOR_PASSWORD,
    )
    .await;
    let back = location(&r);
    assert!(back.query().is_none());
    let frag: HashMap<String, String> =
        serde_urlencoded::from_str(back.fragment().unwrap()).unwrap();
    assert!(frag.contains_key("code") && frag["state"] == "Xq3-state");

    let r = sign_in(
        &emu,
        &authorize_url(&emu, &[("response_mode", "form_post")]),
        OPERATOR,
        OPERATOR_PASSWORD,
    )
    .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains(&format!("method=\"post\" action=\"{REDIRECT}\"")), "{html}");
    assert!(html.contains("name=\"code\"") && html.contains("name=\"state\" value=\"Xq3-state\""));
}

#[tokio::test]
async fn a_bad_client_or_redirect_uri_is_shown_on_the_page_never_redirected() {
    let emu = Emu::start().await;
    for (changes, code) in [
        (vec![("redirect_uri", "http://127.0.0.1:53123/elsewhere")], 50011),
        (vec![("redirect_uri", "http://127.0.0.1:53123/console/Callback")], 50011),
        (vec![("redirect_uri", "https://attacker.example/console/callback")], 50011),
        // The kiosk app registers no redirect URI at all.
        (vec![("client_id", KIOSK_CLIENT_ID)], 50011),
        (vec![("redirect_uri", "")], 900971),
        (vec![("redirect_uri", "console/callback")], 90102),
        (vec![("client_id", "99999999-0000-4000-8000-000000000000")], 700016),
        (vec![("client_id", "")], 900144),
    ] {
        let r = emu.http.get(authorize_url(&emu, &changes)).send().await.unwrap();
        let html = assert_error_page(r, code).await;
        assert!(!html.contains("name=\"passwd\""), "{changes:?}: no sign-in form");
    }
    let r = emu
        .http
        .get(authorize_url(&emu, &[]).replace(&emu.tenant().to_string(), "no-such-tenant.example"))
        .send()
        .await
        .unwrap();
    assert_error_page(r, 90002).await;
}

#[tokio::test]
async fn request_errors_after_the_redirect_uri_go_back_to_the_app() {
    let emu = Emu::start().await;
    for (changes, error, code) in [
        (vec![("code_challenge", "")], "invalid_request", 900144),
        (vec![("code_challenge_method", "plain")], "invalid_request", 9002313),
        (vec![("code_challenge_method", "")], "invalid_request", 9002313),
        (vec![("code_challenge", "tooShort")], "invalid_request", 501491),
        (vec![("response_type", "")], "invalid_request", 900144),
        (vec![("response_type", "token")], "unsupported_response_type", 70005),
        (vec![("scope", "profile email")], "invalid_scope", 70011),
        (vec![("scope", "openid api://other/.default")], "invalid_scope", 70011),
        (vec![("prompt", "none")], "login_required", 50058),
    ] {
        let r = emu.http.get(authorize_url(&emu, &changes)).send().await.unwrap();
        let q = assert_redirected_error(&r, error, code);
        assert_eq!(q["error_uri"], format!("https://login.microsoftonline.com/error?code={code}"));
    }
}

// ── §4.4, §4.5 the token exchange and the ID token ──────────────────────────────────────────────

#[tokio::test]
async fn the_code_redeems_for_tokens_and_a_v2_id_token_with_section_4_5_claims() {
    let emu = Emu::start().await;
    let code = operator_code(&emu).await;
    let r = redeem(&emu, &code_form(&code, &[])).await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["cache-control"].to_str().unwrap().contains("no-store"));
    let b = json(r).await;
    assert_eq!(b["token_type"], "Bearer");
    assert_eq!(b["expires_in"], 3599);
    assert_eq!(b["scope"], "openid profile email https://graph.microsoft.com/User.Read");
    assert!(b["access_token"].as_str().unwrap().starts_with("eyJ"));
    assert!(b.get("refresh_token").is_none(), "no offline_access, no refresh token");

    let (header, c) = verify_id_token(&emu, b["id_token"].as_str().unwrap()).await;
    assert_eq!(header.alg, Algorithm::RS256);
    assert_eq!(header.typ.as_deref(), Some("JWT"));
    let d = discovery(&emu).await;
    assert_eq!(c["ver"], "2.0");
    assert_eq!(c["iss"], d["issuer"]);
    assert_eq!(c["aud"], CONSOLE);
    assert_eq!(c["tid"], emu.tenant().to_string());
    assert_eq!(c["oid"], OPERATOR_ID);
    assert_eq!(c["name"], "Ivy Operator (IT)");
    assert_eq!(c["preferred_username"], OPERATOR);
    assert_eq!(c["email"], OPERATOR);
    assert_eq!(c["nonce"], "9TBd-nonce");
    assert_eq!(c["groups"], json!([OPERATORS_GROUP]), "the app asks for SecurityGroup claims");
    let sub = c["sub"].as_str().unwrap();
    assert!(sub != OPERATOR_ID && sub.len() == 43, "pairwise sub");
    let (iat, nbf, exp) =
        (c["iat"].as_i64().unwrap(), c["nbf"].as_i64().unwrap(), c["exp"].as_i64().unwrap());
    assert!(nbf <= iat && exp > iat);
    assert!(c.get("c_hash").is_none() && c.get("at_hash").is_none(), "never from /token (§4.5)");

    // The delegated access token is for Graph, not for the app, and the emulated Graph (app-only)
    // does not take it.
    let at = b["access_token"].as_str().unwrap();
    let payload: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(at.split('.').nth(1).unwrap()).unwrap())
            .unwrap();
    assert_eq!(payload["aud"], "00000003-0000-0000-c000-000000000000");
    assert_eq!(payload["scp"], "openid profile email User.Read");
    let r = emu
        .http
        .get(format!("{}/v1.0/users", emu.urls().graph))
        .bearer_auth(at)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn without_profile_there_is_no_oid_name_or_username_and_no_nonce_without_one_sent() {
    let emu = Emu::start().await;
    let url = authorize_url(&emu, &[("scope", "openid"), ("nonce", "")]);
    let code =
        query(&location(&sign_in(&emu, &url, OPERATOR, OPERATOR_PASSWORD).await))["code"].clone();
    let b = json(redeem(&emu, &code_form(&code, &[("scope", "openid")])).await).await;
    assert_eq!(b["scope"], "openid https://graph.microsoft.com/User.Read");
    let (_, c) = verify_id_token(&emu, b["id_token"].as_str().unwrap()).await;
    for absent in ["oid", "name", "preferred_username", "email", "nonce"] {
        assert!(c.get(absent).is_none(), "{absent} in {c}");
    }
    assert_eq!(c["tid"], emu.tenant().to_string());
}

#[tokio::test]
async fn a_user_outside_the_operators_group_gets_no_groups_claim() {
    let emu = Emu::start().await;
    let code = query(&location(
        &sign_in(&emu, &authorize_url(&emu, &[]), VIEWER, "viewer-demo").await,
    ))["code"]
        .clone();
    let b = json(redeem(&emu, &code_form(&code, &[])).await).await;
    let (_, c) = verify_id_token(&emu, b["id_token"].as_str().unwrap()).await;
    assert_eq!(c["preferred_username"], VIEWER);
    assert!(c.get("groups").is_none() && c.get("_claim_names").is_none(), "{c}");
}

#[tokio::test]
async fn a_code_is_single_use() {
    let emu = Emu::start().await;
    let code = operator_code(&emu).await;
    assert_eq!(redeem(&emu, &code_form(&code, &[])).await.status(), 200);
    let b =
        assert_aad(redeem(&emu, &code_form(&code, &[])).await, 400, "invalid_grant", 54005).await;
    assert!(
        b["error_description"]
            .as_str()
            .unwrap()
            .contains("OAuth2 Authorization code was already redeemed")
    );
}

#[tokio::test]
async fn a_wrong_or_missing_verifier_is_refused_and_by_default_does_not_burn_the_code() {
    let emu = Emu::start().await;
    let code = operator_code(&emu).await;
    let wrong = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXK";
    let b = assert_aad(
        redeem(&emu, &code_form(&code, &[("code_verifier", wrong)])).await,
        400,
        "invalid_grant",
        501481,
    )
    .await;
    assert!(
        b["error_description"]
            .as_str()
            .unwrap()
            .contains("The Code_Verifier does not match the code_challenge")
    );
    assert_aad(
        redeem(&emu, &code_form(&code, &[("code_verifier", "")])).await,
        400,
        "invalid_grant",
        501481,
    )
    .await;
    // §4.8: observed, Entra does not burn the code on a PKCE failure.
    assert_eq!(redeem(&emu, &code_form(&code, &[])).await.status(), 200);

    let mut f = Fixture::demo();
    f.settings.burn_code_on_pkce_failure = true;
    let emu = Emu::start_with(f).await;
    let code = operator_code(&emu).await;
    assert_aad(
        redeem(&emu, &code_form(&code, &[("code_verifier", wrong)])).await,
        400,
        "invalid_grant",
        501481,
    )
    .await;
    assert_aad(redeem(&emu, &code_form(&code, &[])).await, 400, "invalid_grant", 54005).await;
}

#[tokio::test]
async fn the_code_is_bound_to_its_client_and_redirect_uri() {
    let emu = Emu::start().await;
    let code = operator_code(&emu).await;
    // Another registered port is still another redirect_uri value (§4.4: "the same value").
    assert_aad(
        redeem(&emu, &code_form(&code, &[("redirect_uri", "http://127.0.0.1:1/console/callback")]))
            .await,
        400,
        "invalid_grant",
        500112,
    )
    .await;
    assert_aad(
        redeem(
            &emu,
            &code_form(&code, &[("client_id", KIOSK_CLIENT_ID), ("client_secret", KIOSK_SECRET)]),
        )
        .await,
        400,
        "invalid_grant",
        70000,
    )
    .await;
    // Client authentication comes first, as on the client-credentials path.
    assert_aad(
        redeem(&emu, &code_form(&code, &[("client_secret", "")])).await,
        401,
        "invalid_client",
        7000218,
    )
    .await;
    assert_aad(
        redeem(&emu, &code_form(&code, &[("client_secret", "wrong")])).await,
        401,
        "invalid_client",
        7000215,
    )
    .await;
    assert_aad(
        redeem(&emu, &code_form(&code, &[("code", "")])).await,
        400,
        "invalid_request",
        900144,
    )
    .await;
    assert_aad(
        redeem(&emu, &code_form(&code, &[("redirect_uri", "")])).await,
        400,
        "invalid_request",
        900144,
    )
    .await;
    assert_aad(redeem(&emu, &code_form("1.Agarbage", &[])).await, 400, "invalid_grant", 9002313)
        .await;
    // None of the refusals spent it.
    assert_eq!(redeem(&emu, &code_form(&code, &[])).await.status(), 200);
}

#[tokio::test]
async fn a_code_expires_after_ten_minutes_on_the_emulator_clock() {
    let emu = Emu::start().await;
    let fresh = operator_code(&emu).await;
    let stale = operator_code(&emu).await;
    emu.running.state.clock().advance(590);
    assert_eq!(redeem(&emu, &code_form(&fresh, &[])).await.status(), 200);
    emu.running.state.clock().advance(11);
    assert_aad(redeem(&emu, &code_form(&stale, &[])).await, 400, "invalid_grant", 70008).await;
}

// ── §4.6 groups overage ─────────────────────────────────────────────────────────────────────────

#[tokio::test]
async fn more_groups_than_the_limit_become_the_overage_claim() {
    for (endpoint, expected) in [
        (
            "aad_graph",
            format!(
                "https://graph.windows.net/{}/users/{OPERATOR_ID}/getMemberObjects",
                Fixture::demo().tenant.id
            ),
        ),
        ("graph", format!("https://graph.microsoft.com/v1.0/users/{OPERATOR_ID}/getMemberObjects")),
    ] {
        let mut f = Fixture::demo();
        f.settings.groups_claim_limit = 0;
        f.settings.groups_overage_endpoint = endpoint.to_owned();
        let emu = Emu::start_with(f).await;
        let code = operator_code(&emu).await;
        let b = json(redeem(&emu, &code_form(&code, &[])).await).await;
        let (_, c) = verify_id_token(&emu, b["id_token"].as_str().unwrap()).await;
        assert!(c.get("groups").is_none(), "{c}");
        assert_eq!(c["_claim_names"], json!({ "groups": "src1" }));
        assert_eq!(c["_claim_sources"], json!({ "src1": { "endpoint": expected } }));
    }
}

// ── §4.7 sign-out ───────────────────────────────────────────────────────────────────────────────

#[tokio::test]
async fn logout_returns_to_a_registered_uri_else_shows_the_signed_out_page() {
    let emu = Emu::start().await;
    let logout = tenant_url(&emu, "oauth2/v2.0/logout");
    let signed_out = "http://127.0.0.1:8400/console/signed-out";
    let r = emu
        .http
        .get(&logout)
        .query(&[("post_logout_redirect_uri", signed_out), ("state", "s1")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(r.headers()["location"], format!("{signed_out}?state=s1"));
    // POST works as well (§4.7: GET or POST).
    let r = emu
        .http
        .post(&logout)
        .form(&[("post_logout_redirect_uri", signed_out)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], signed_out);
    // Not registered (or registered only for another app): Entra's own page.
    for (uri, client) in [("https://attacker.example/", None), (signed_out, Some(KIOSK_CLIENT_ID))]
    {
        let mut q = vec![("post_logout_redirect_uri", uri)];
        q.extend(client.map(|c| ("client_id", c)));
        let r = emu.http.get(&logout).query(&q).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.headers().get("location").is_none());
        let html = r.text().await.unwrap();
        assert!(
            html.contains("<h1>You signed out of your account</h1>")
                && html.contains("lang=\"en\"")
        );
    }
    assert_eq!(emu.http.get(&logout).send().await.unwrap().status(), 200);
}
