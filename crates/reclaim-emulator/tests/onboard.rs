//! The link-only provider QuickID (issue 17 item 8): only its own Verified ID onboarding page —
//! the page, the issuance into a simulated phone through the Request Service, the control route
//! that plays it, and no API (no hosted flow, no capture) for it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Emu, json};
use reclaim_emulator::Fixture;
use serde_json::json;

#[tokio::test]
async fn the_onboarding_page_issues_the_persona_credential_into_the_phone() {
    let emu = Emu::start().await;
    let p = emu.running.state.fixture().provider("quickid").expect("QuickID in the demo tenant");
    assert!(p.is_link());
    let page = p.onboarding_url(&emu.urls().provider).unwrap();
    assert_eq!(page, format!("{}/quickid/onboard", emu.urls().provider.trim_end_matches('/')));

    // The page: pick the document, then add it to Authenticator on the phone its URL names.
    let r = emu.http.get(format!("{page}?phone=lena-phone")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("Verify and add to Authenticator"), "{html}");
    assert!(html.contains("value=\"lena-phone\""), "{html}");
    let r = emu
        .http
        .post(format!("{page}/add"))
        .form(&[("persona", "lena"), ("phone", "lena-phone")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("Add to Authenticator") && html.contains("I have added it"), "{html}");

    // The control route plays it through to the wallet.
    let r = emu
        .control(
            "/providers/quickid/onboard/complete",
            json!({ "persona": "lena", "phoneId": "lena-phone" }),
        )
        .await;
    assert_eq!(r.status(), 200);
    let body = json(r).await;
    assert_eq!(body["status"], "issued", "{body}");
    let id = body["credentialId"].as_str().unwrap();
    let held = emu.running.state.phones().credentials("lena-phone");
    let c = held.iter().find(|c| c.id == id).expect("the credential on the phone");
    assert_eq!(c.issuer, "did:web:quickid.example");
    assert!(c.types.iter().any(|t| t == "verifiedIdentity"));
    assert_eq!(c.claims["firstName"], "Lena");
    assert_eq!(c.claims["lastName"], "Fischer");
    assert!(!c.issuance_date.is_empty());
}

#[tokio::test]
async fn the_onboarding_page_refuses_what_the_provider_would() {
    let emu = Emu::start().await;
    // A forged document, a document type QuickID does not take (Siobhán's driving licence).
    for (persona, reason) in
        [("forger", "document_forged"), ("siobhan", "document_type_not_accepted")]
    {
        let r = emu
            .control(
                "/providers/quickid/onboard/complete",
                json!({ "persona": persona, "phoneId": "x-phone" }),
            )
            .await;
        assert_eq!(r.status(), 200);
        let body = json(r).await;
        assert_eq!(
            (body["status"].as_str(), body["reason"].as_str()),
            (Some("failed"), Some(reason))
        );
    }
    assert!(emu.running.state.phones().credentials("x-phone").is_empty());
    // A provider with an API has no onboarding page; QuickID has no API.
    let r = emu.http.get(format!("{}/trueid/onboard", emu.urls().provider)).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let r = emu
        .http
        .post(format!("{}/quickid/v1/sessions", emu.urls().provider))
        .json(&json!({ "documentType": "passport" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = emu
        .http
        .get(format!("{}/quickid/start?token=x", emu.urls().provider))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[test]
fn a_link_provider_needs_an_onboarding_url_and_only_it_has_one() {
    let demo = include_str!("../fixtures/demo-tenant.toml");
    let without = demo.replace("onboarding_url = \"{provider}/quickid/onboard\"\n", "");
    assert!(Fixture::from_toml(&without).is_err());
    let api_with_page = demo.replace(
        "id = \"trueid\"\n",
        "id = \"trueid\"\nonboarding_url = \"{provider}/trueid/onboard\"\n",
    );
    assert!(Fixture::from_toml(&api_with_page).is_err());
    assert!(Fixture::from_toml(demo).is_ok());
}
