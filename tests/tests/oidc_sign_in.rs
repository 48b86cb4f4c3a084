//! `reclaim_entra::OidcClient` against the emulated tenant over real loopback HTTP: an operator's
//! sign-in end to end (authorize URL → sign-in page → code → token exchange → validated ID
//! token), and the refusals of `microsoft-apis-v2.md` §4.5 when the identity provider misbehaves
//! (the emulator's ID-token tampering control: wrong key, nonce, audience, issuer, tenant, expiry).
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns: a failed set-up is a failed test

use std::collections::HashMap;

use reclaim_emulator::Fixture;
use reclaim_entra::{AuthStart, EntraError, OidcClient, SignInError};
use reclaim_system_tests::{
    CONSOLE_REDIRECT_URI, CONSOLE_SIGNED_OUT_URI, OPERATOR_OID, OPERATOR_PASSWORD, OPERATOR_UPN,
    OPERATORS_GROUP_ID, Tenant, VIEWER_PASSWORD, VIEWER_UPN,
};
use serde_json::json;

/// The console listens on an ephemeral loopback port; the registration has none (any port matches).
const REDIRECT: &str = "http://127.0.0.1:47011/console/callback";

fn params(url: &str) -> HashMap<String, String> {
    reqwest::Url::parse(url).unwrap().query_pairs().into_owned().collect()
}

/// Starts a sign-in, plays the browser, and returns the start and the code it came back with.
async fn browse(t: &Tenant, oidc: &OidcClient, user: &str, password: &str) -> (AuthStart, String) {
    let start = oidc.start(REDIRECT);
    let back = t.browser_sign_in(&start.url, user, password).await.unwrap();
    assert!(back.starts_with(REDIRECT), "{back}");
    let q = params(&back);
    assert!(start.state_matches(&q["state"]), "state comes back unchanged");
    (start, q["code"].clone())
}

async fn sign_in(
    t: &Tenant,
    oidc: &OidcClient,
    user: &str,
    password: &str,
) -> Result<reclaim_entra::SignedIn, EntraError> {
    let (start, code) = browse(t, oidc, user, password).await;
    oidc.finish(&start, REDIRECT, &code).await
}

/// Makes the emulator alter the next ID token it issues.
async fn tamper(t: &Tenant, how: serde_json::Value) {
    let r = t.control("/identity/id-token-tamper", how).await.unwrap();
    assert_eq!(r.status(), 204);
}

fn refused(r: Result<reclaim_entra::SignedIn, EntraError>) -> SignInError {
    match r {
        Err(EntraError::SignIn(e)) => e,
        other => panic!("expected a refused sign-in, got {other:?}"),
    }
}

#[tokio::test]
async fn an_operator_signs_in_and_is_in_the_operators_group() {
    let t = Tenant::demo().await.unwrap();
    let oidc = t.console_oidc().unwrap();
    let who = sign_in(&t, &oidc, OPERATOR_UPN, OPERATOR_PASSWORD).await.unwrap();
    assert_eq!(who.oid, OPERATOR_OID);
    assert_eq!(who.tenant_id, t.tenant_id());
    assert_eq!(who.username, OPERATOR_UPN);
    assert_eq!(who.name, "Ivy Operator (IT)");
    assert_eq!(who.groups, [OPERATORS_GROUP_ID]);
    assert!(!who.groups_overage);
    let shown = format!("{who:?} {oidc:?}");
    assert!(!shown.contains("Ivy") && !shown.contains(OPERATOR_UPN), "{shown}");
    assert!(!shown.contains(reclaim_system_tests::CONSOLE_SECRET), "{shown}");

    // A second sign-in reuses the cached metadata and keys; the tenant may be named by domain.
    assert_eq!(
        sign_in(&t, &oidc, OPERATOR_UPN, OPERATOR_PASSWORD).await.unwrap().oid,
        OPERATOR_OID
    );
    let by_domain = OidcClient::builder(
        &t.endpoints.authority,
        "contoso.example",
        reclaim_system_tests::CONSOLE_CLIENT_ID,
    )
    .client_secret(reclaim_entra::Secret::new(reclaim_system_tests::CONSOLE_SECRET))
    .build()
    .unwrap();
    let who = sign_in(&t, &by_domain, OPERATOR_UPN, OPERATOR_PASSWORD).await.unwrap();
    assert_eq!(who.tenant_id, t.tenant_id());
}

#[tokio::test]
async fn a_helpdesk_viewer_signs_in_without_the_operators_group() {
    let t = Tenant::demo().await.unwrap();
    let who = sign_in(&t, &t.console_oidc().unwrap(), VIEWER_UPN, VIEWER_PASSWORD).await.unwrap();
    assert_eq!(who.username, VIEWER_UPN);
    assert!(who.groups.is_empty() && !who.groups_overage);
}

#[tokio::test]
async fn a_groups_overage_is_reported_not_guessed() {
    let mut f = Fixture::demo();
    f.settings.groups_claim_limit = 0;
    let t = Tenant::start(f).await.unwrap();
    let who =
        sign_in(&t, &t.console_oidc().unwrap(), OPERATOR_UPN, OPERATOR_PASSWORD).await.unwrap();
    assert!(who.groups_overage);
    assert!(who.groups.is_empty());
}

#[tokio::test]
async fn a_forged_id_token_is_refused() {
    let t = Tenant::demo().await.unwrap();
    let oidc = t.console_oidc().unwrap();
    // Signed with another key under the published kid.
    tamper(&t, json!({ "foreignKey": true })).await;
    assert_eq!(
        refused(sign_in(&t, &oidc, OPERATOR_UPN, OPERATOR_PASSWORD).await),
        SignInError::BadSignature
    );
    // Signed with a key the tenant never published: the keys are fetched again, then refused.
    tamper(&t, json!({ "foreignKey": true, "unknownKid": true })).await;
    assert_eq!(
        refused(sign_in(&t, &oidc, OPERATOR_UPN, OPERATOR_PASSWORD).await),
        SignInError::UnknownKey
    );
    // The next, untampered sign-in works.
    assert!(sign_in(&t, &oidc, OPERATOR_UPN, OPERATOR_PASSWORD).await.is_ok());
}

#[tokio::test]
async fn a_token_for_another_sign_in_app_issuer_or_tenant_is_refused() {
    let t = Tenant::demo().await.unwrap();
    let oidc = t.console_oidc().unwrap();
    for (how, why) in [
        (json!({ "nonce": "someone-elses-nonce" }), SignInError::WrongNonce),
        (json!({ "aud": "3a000000-0000-4000-8000-000000000001" }), SignInError::WrongAudience),
        (
            json!({ "iss": "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0" }),
            SignInError::WrongIssuer,
        ),
        (json!({ "tid": "72f988bf-86f1-41af-91ab-2d7cd011db47" }), SignInError::WrongTenant),
    ] {
        tamper(&t, how.clone()).await;
        assert_eq!(
            refused(sign_in(&t, &oidc, OPERATOR_UPN, OPERATOR_PASSWORD).await),
            why,
            "{how}"
        );
    }
    // A code from one sign-in finished with another's start: that start's verifier does not
    // match the challenge the code is bound to, so the token endpoint refuses (AADSTS501481).
    let (_, code) = browse(&t, &oidc, OPERATOR_UPN, OPERATOR_PASSWORD).await;
    let other = oidc.start(REDIRECT);
    match oidc.finish(&other, REDIRECT, &code).await {
        Err(EntraError::Token(e)) => {
            assert!(e.error == "invalid_grant" && e.has_aadsts(501481), "{e:?}")
        }
        other => panic!("expected invalid_grant, got {other:?}"),
    }
}

#[tokio::test]
async fn an_expired_id_token_is_refused_beyond_five_minutes_of_skew() {
    let t = Tenant::demo().await.unwrap();
    let oidc = t.console_oidc().unwrap();
    // ID tokens live an hour: backdated by 1 h 6 min 40 s it expired 400 s ago.
    tamper(&t, json!({ "backdateSecs": 3600 + 400 })).await;
    assert_eq!(
        refused(sign_in(&t, &oidc, OPERATOR_UPN, OPERATOR_PASSWORD).await),
        SignInError::Expired
    );
    // 200 s ago is within the skew.
    tamper(&t, json!({ "backdateSecs": 3600 + 200 })).await;
    assert!(sign_in(&t, &oidc, OPERATOR_UPN, OPERATOR_PASSWORD).await.is_ok());
    // Issued 10 minutes in the future: not yet valid.
    t.emulator.state.clock().advance(600);
    assert_eq!(
        refused(sign_in(&t, &oidc, OPERATOR_UPN, OPERATOR_PASSWORD).await),
        SignInError::NotYetValid
    );
}

#[tokio::test]
async fn token_endpoint_refusals_are_typed_token_errors() {
    let t = Tenant::demo().await.unwrap();
    let oidc = t.console_oidc().unwrap();
    let (start, code) = browse(&t, &oidc, OPERATOR_UPN, OPERATOR_PASSWORD).await;
    oidc.finish(&start, REDIRECT, &code).await.unwrap();
    match oidc.finish(&start, REDIRECT, &code).await {
        Err(EntraError::Token(e)) => assert!(e.has_aadsts(54005), "{e:?}"),
        other => panic!("a reused code must be refused, got {other:?}"),
    }
    let no_secret = OidcClient::builder(
        &t.endpoints.authority,
        t.tenant_id(),
        reclaim_system_tests::CONSOLE_CLIENT_ID,
    )
    .build()
    .unwrap();
    let (start, code) = browse(&t, &no_secret, OPERATOR_UPN, OPERATOR_PASSWORD).await;
    match no_secret.finish(&start, REDIRECT, &code).await {
        Err(EntraError::Token(e)) => assert!(e.has_aadsts(7000218), "{e:?}"),
        other => panic!("a confidential client without its secret is refused, got {other:?}"),
    }
}

#[tokio::test]
async fn the_logout_url_returns_to_the_registered_signed_out_page() {
    let t = Tenant::demo().await.unwrap();
    let oidc = t.console_oidc().unwrap();
    let signed_out = CONSOLE_SIGNED_OUT_URI.replace("127.0.0.1", "127.0.0.1:47011");
    let url = oidc.logout_url(&signed_out);
    let http =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = http.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(r.headers()["location"], signed_out.as_str());
    // The callback URI of the registration is a redirect URI too, so the constant is usable.
    assert!(CONSOLE_REDIRECT_URI.ends_with("/console/callback"));
}
