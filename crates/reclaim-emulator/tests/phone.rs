//! Tests of the Authenticator stand-in: control API, crate API and the mobile web page.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, Mutex};

use common::{Emu, json};
use reclaim_emulator::identity::Resource;
use reclaim_emulator::phone::{self, HeldCredential, OpenOutcome, PresentOutcome};
use serde_json::{Map, Value, json};

const ISSUER: &str = "did:web:idv.trueid.example";
/// The demo tenant's TrueIdentity contract (`fixtures/demo-tenant.toml`), on the real host.
const TRUEID_MANIFEST: &str = "https://verifiedid.did.msidentity.com/v1.0/tenants/7c0e2f9a-3b1d-4e5f-8a6b-9c0d1e2f3a4b/verifiableCredentials/contracts/trueid-verified-identity/manifest";

async fn receiver() -> (String, Arc<Mutex<Vec<Value>>>) {
    common::receiver_at("/cb").await
}

use common::statuses;

async fn presentation(emu: &Emu, cb: &str) -> Value {
    let body = json!({
        "authority": "did:web:verifiedid.contoso.example",
        "registration": { "clientName": "Contoso <Kiosk> & Co", "purpose": "Recover your account" },
        "callback": { "url": cb, "state": "s1" },
        "requestedCredentials": [{ "type": "verifiedIdentity", "acceptedIssuers": [ISSUER],
            "configuration": { "validation": { "faceCheck": { "sourcePhotoClaimName": "portrait" } } } }]
    });
    let r = emu
        .http
        .post(format!(
            "{}/v1.0/verifiableCredentials/createPresentationRequest",
            emu.urls().request_service
        ))
        .bearer_auth(emu.vc_token())
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    json(r).await
}

fn credential(id: &str, first: &str) -> HeldCredential {
    let mut claims = Map::new();
    claims.insert("firstName".into(), json!(first));
    claims.insert("lastName".into(), json!("Lima"));
    claims.insert("portrait".into(), json!("_9j_4AAQSkZJRgABAQ"));
    HeldCredential {
        id: id.into(),
        issuer: ISSUER.into(),
        types: vec!["VerifiableCredential".into(), "verifiedIdentity".into()],
        claims,
        issuance_date: "2026-08-01T10:00:00Z".into(),
        expiration_date: "2099-08-02T10:00:00Z".into(),
        revoked: false,
    }
}

#[tokio::test]
async fn crate_api_opens_presents_and_revokes() {
    let emu = Emu::start().await;
    let state = &emu.running.state;
    let (cb, calls) = receiver().await;
    state.phones().add_credential("p1", credential("c1", "Ana"));
    let req = presentation(&emu, &cb).await;
    let url = req["url"].as_str().unwrap();
    let id = req["requestId"].as_str().unwrap().to_owned();

    // A bare request_uri works as well as the deep link.
    let bare = url.strip_prefix("openid-vc://?request_uri=").unwrap();
    let out = phone::open_url(state, "p1", bare).await.unwrap();
    assert_eq!(out, OpenOutcome::PresentationPending { request_id: id.clone() });
    let out =
        phone::present(state, "p1", None, 91.25, Some("MEDIUM".into()), Some("c1")).await.unwrap();
    assert_eq!(out, PresentOutcome::Verified { request_id: id });
    assert_eq!(statuses(&calls), ["request_retrieved", "presentation_verified"]);
    let fc = calls.lock().unwrap()[1]["verifiedCredentialsData"][0]["faceCheck"].clone();
    assert_eq!(fc["matchConfidenceScore"].as_f64(), Some(91.25));
    assert_eq!(fc["sourcePhotoQuality"], "MEDIUM");

    assert!(state.phones().revoke("c1"));
    assert!(!state.phones().revoke("nope"));
    assert!(state.phones().credentials("p1")[0].revoked);
    assert!(phone::open_url(state, "p1", "https://example.com/nothing").await.is_err());
    assert!(phone::present(state, "p1", None, 90.0, None, None).await.is_err(), "nothing pending");
}

#[tokio::test]
async fn ignore_lets_the_request_expire_silently() {
    let emu = Emu::start().await;
    let (cb, calls) = receiver().await;
    let req = presentation(&emu, &cb).await;
    let r = emu.control("/phones/demo-phone/open", json!({ "url": req["url"] })).await;
    assert_eq!(r.status(), 200);
    let r = emu.control("/phones/demo-phone/ignore", json!({})).await;
    assert_eq!(r.status(), 204);
    let view = json(
        emu.http.get(format!("{}/phones/demo-phone", emu.urls().control)).send().await.unwrap(),
    )
    .await;
    assert!(view["pendingRequestId"].is_null());
    assert_eq!(view["requests"][0]["ignored"], true);
    emu.control("/clock/advance", json!({ "seconds": 400 })).await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(statuses(&calls), ["request_retrieved"]);
}

#[tokio::test]
async fn page_renders_escapes_and_presents_through_forms() {
    let emu = Emu::start().await;
    let (cb, calls) = receiver().await;
    emu.running
        .state
        .phones()
        .add_credential("demo-phone", credential("c1", "<script>alert(1)</script>"));
    let req = presentation(&emu, &cb).await;
    let page_url = format!("{}/p/demo-phone", emu.urls().phone);

    // Deep link into the page: opens the request, then redirects to the page.
    let r = emu
        .http
        .get(&page_url)
        .query(&[("open", req["url"].as_str().unwrap())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let loc = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(loc.starts_with(&page_url));
    assert_eq!(statuses(&calls), ["request_retrieved"]);

    let html = emu.http.get(&loc).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("name=\"viewport\""));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!html.contains("<script>") && !html.contains("<script>alert"));
    assert!(html.contains("Contoso &lt;Kiosk&gt; &amp; Co"));
    assert!(html.contains("Decline"));
    assert!(!html.contains("src=\"http"), "no external assets");
    // Share leads to the Face Check step: a selfie from the synthetic camera, then the match score
    // the demo reports (a pass by default).
    assert!(html.contains("name=\"step\" value=\"face-check\""), "{html}");
    let fc = emu
        .http
        .get(&page_url)
        .query(&[("step", "face-check")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(fc.contains("Take a selfie"), "{fc}");
    assert!(fc.contains("src=\"demo-phone/selfie.png?credential=c1\""), "{fc}");
    assert!(fc.contains("name=\"score\"") && fc.contains("value=\"90\""), "{fc}");
    assert!(fc.contains("role=\"status\"") && fc.contains("checking liveness"), "{fc}");
    assert!(!fc.contains("src=\"http"), "no external assets");

    let r = emu
        .http
        .post(format!("{page_url}/present"))
        .form(&[("requestId", req["requestId"].as_str().unwrap()), ("score", "90")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(statuses(&calls), ["request_retrieved", "presentation_verified"]);
    let html = emu
        .http
        .get(r.headers()["location"].to_str().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("accepted"));
}

#[tokio::test]
async fn page_deep_link_receives_an_issued_credential() {
    let emu = Emu::start().await;
    let (cb, calls) = receiver().await;
    let token = emu.mint(
        "3a000000-0000-4000-8000-0000000000a1",
        Resource::RequestService,
        &["VerifiableCredential.Create.IssueRequest"],
    );
    let r = emu
        .http
        .post(format!(
            "{}/v1.0/verifiableCredentials/createIssuanceRequest",
            emu.urls().request_service
        ))
        .bearer_auth(token)
        .json(&json!({
            "authority": ISSUER, "registration": { "clientName": "TrueIdentity" },
            "callback": { "url": cb, "state": "i1" }, "type": "verifiedIdentity",
            "manifest": TRUEID_MANIFEST, "claims": { "firstName": "Ana", "lastName": "Lima" }
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let url = json(r).await["url"].as_str().unwrap().to_owned();
    let page_url = format!("{}/p/phone-2", emu.urls().phone);
    let r = emu.http.get(&page_url).query(&[("open", url.as_str())]).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(statuses(&calls), ["request_retrieved", "issuance_successful"]);
    let html = emu
        .http
        .get(r.headers()["location"].to_str().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Credential added"));
    assert!(html.contains("verifiedIdentity") && html.contains("Lima"));
    let creds = emu.running.state.phones().credentials("phone-2");
    assert_eq!(creds.len(), 1);
    assert_eq!(creds[0].claims["firstName"], "Ana");
}

/// Creates an issuance request for ISSUER with callback state `i1`; returns its 201 body.
async fn issuance(emu: &Emu, cb: &str) -> Value {
    let token = emu.mint(
        "3a000000-0000-4000-8000-0000000000a1",
        Resource::RequestService,
        &["VerifiableCredential.Create.IssueRequest"],
    );
    let r = emu
        .http
        .post(format!(
            "{}/v1.0/verifiableCredentials/createIssuanceRequest",
            emu.urls().request_service
        ))
        .bearer_auth(token)
        .json(&json!({
            "authority": ISSUER, "registration": { "clientName": "TrueIdentity" },
            "callback": { "url": cb, "state": "i1" }, "type": "verifiedIdentity",
            "manifest": TRUEID_MANIFEST, "claims": { "firstName": "Ana", "lastName": "Lima" }
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    json(r).await
}

fn issuance_error(request_id: &str) -> Value {
    json!({
        "requestId": request_id, "requestStatus": "issuance_error", "state": "i1",
        "error": { "code": "IssuanceFlowFailed", "message": "issuance_service_error" }
    })
}

#[tokio::test]
async fn issuance_opened_without_accepting_can_be_declined_or_accepted() {
    let emu = Emu::start().await;
    let (cb, calls) = receiver().await;

    // Opened but not accepted, then declined: request_retrieved, then issuance_error (§2.8).
    let req = issuance(&emu, &cb).await;
    let id = req["requestId"].as_str().unwrap();
    let r = emu.control("/phones/p1/open", json!({ "url": req["url"], "accept": false })).await;
    assert_eq!(r.status(), 200);
    assert_eq!(json(r).await, json!({ "outcome": "issuancePending", "requestId": id }));
    assert_eq!(statuses(&calls), ["request_retrieved"]);
    let view =
        json(emu.http.get(format!("{}/phones/p1", emu.urls().control)).send().await.unwrap()).await;
    assert_eq!(view["pendingIssuanceId"], id);
    assert!(view["pendingRequestId"].is_null());
    let r = emu.control("/phones/p1/decline", json!({ "requestId": id })).await;
    assert_eq!(r.status(), 204);
    assert_eq!(statuses(&calls), ["request_retrieved", "issuance_error"]);
    assert_eq!(calls.lock().unwrap()[1], issuance_error(id));
    assert!(emu.running.state.phones().credentials("p1").is_empty());
    let st =
        json(emu.http.get(format!("{}/requests/{id}", emu.urls().control)).send().await.unwrap())
            .await;
    assert_eq!(st["status"], "issuance_error");
    // Terminal: neither accept nor a second decline is possible.
    let r = emu.control("/phones/p1/accept", json!({ "requestId": id })).await;
    assert_eq!(r.status(), 409);

    // Opened but not accepted, then accepted (no request id: the pending one).
    calls.lock().unwrap().clear();
    let req = issuance(&emu, &cb).await;
    let r = emu.control("/phones/p1/open", json!({ "url": req["url"], "accept": false })).await;
    assert_eq!(json(r).await["outcome"], "issuancePending");
    let r = emu.control("/phones/p1/accept", json!({})).await;
    assert_eq!(r.status(), 200);
    let out = json(r).await;
    assert_eq!(out["outcome"], "issued");
    assert_eq!(statuses(&calls), ["request_retrieved", "issuance_successful"]);
    let creds = emu.running.state.phones().credentials("p1");
    assert_eq!(creds.len(), 1);
    assert_eq!(out["credentialId"], creds[0].id.as_str());

    // The default still accepts at once.
    calls.lock().unwrap().clear();
    let req = issuance(&emu, &cb).await;
    let r = emu.control("/phones/p1/open", json!({ "url": req["url"] })).await;
    assert_eq!(json(r).await["outcome"], "issued");
    assert_eq!(statuses(&calls), ["request_retrieved", "issuance_successful"]);
}

#[tokio::test]
async fn crate_api_declines_an_unopened_issuance() {
    let emu = Emu::start().await;
    let state = &emu.running.state;
    let (cb, calls) = receiver().await;
    let req = issuance(&emu, &cb).await;
    let id = req["requestId"].as_str().unwrap();
    phone::decline(state, "p2", Some(id)).await.unwrap();
    // request_retrieved is sent first, as the phone had not opened it yet.
    assert_eq!(statuses(&calls), ["request_retrieved", "issuance_error"]);
    assert_eq!(calls.lock().unwrap()[1], issuance_error(id));
    assert!(phone::accept(state, "p2", Some(id)).await.is_err());

    // Crate API: open without accepting, then accept.
    let req = issuance(&emu, &cb).await;
    let id = req["requestId"].as_str().unwrap().to_owned();
    let out = phone::open_url_with(state, "p2", req["url"].as_str().unwrap(), false).await.unwrap();
    assert_eq!(out, OpenOutcome::IssuancePending { request_id: id.clone() });
    let cred = phone::accept(state, "p2", None).await.unwrap();
    assert_eq!(state.phones().credentials("p2")[0].id, cred);
}

#[tokio::test]
async fn page_offers_a_pending_issuance_with_a_decline_button() {
    let emu = Emu::start().await;
    let (cb, calls) = receiver().await;
    let req = issuance(&emu, &cb).await;
    let id = req["requestId"].as_str().unwrap();
    let page_url = format!("{}/p/phone-3", emu.urls().phone);
    let r = emu
        .http
        .get(&page_url)
        .query(&[("open", req["url"].as_str().unwrap()), ("accept", "false")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(statuses(&calls), ["request_retrieved"]);
    let html = emu
        .http
        .get(r.headers()["location"].to_str().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("TrueIdentity offers you a credential"), "{html}");
    assert!(html.contains("/p/phone-3/accept") && html.contains("/p/phone-3/decline"));
    let r = emu
        .http
        .post(format!("{page_url}/decline"))
        .form(&[("requestId", id)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(statuses(&calls), ["request_retrieved", "issuance_error"]);
    assert_eq!(calls.lock().unwrap()[1], issuance_error(id));
    assert!(emu.running.state.phones().credentials("phone-3").is_empty());
}

#[tokio::test]
async fn the_page_offers_to_scan_the_code_the_kiosk_shows() {
    let emu = Emu::start().await;
    let (cb, calls) = receiver().await;
    emu.running.state.phones().add_credential("demo-phone", credential("c1", "Ana"));
    let page_url = format!("{}/p/demo-phone", emu.urls().phone);
    let page = || async { emu.http.get(&page_url).send().await.unwrap().text().await.unwrap() };

    // Nothing on the kiosk: nothing to scan, and the page looks again by itself.
    let html = page().await;
    assert!(!html.contains("QR code in view"));
    assert!(html.contains("http-equiv=\"refresh\""));

    // A provider's link is followed in the phone's browser.
    let link = "http://127.0.0.1:9/provider/trueid/start?t=<x>";
    let r = emu.control("/phones/demo-phone/viewfinder", json!({ "url": link })).await;
    assert_eq!(r.status(), 204);
    let html = page().await;
    assert!(html.contains("QR code in view at the kiosk"));
    assert!(
        html.contains("href=\"http://127.0.0.1:9/provider/trueid/start?t=&lt;x&gt;\""),
        "{html}"
    );

    // A presentation request is opened on the phone through the form it offers.
    let req = presentation(&emu, &cb).await;
    emu.control("/phones/demo-phone/viewfinder", json!({ "url": req["url"] })).await;
    let html = page().await;
    assert!(html.contains("action=\"") && html.contains("/p/demo-phone/open\""), "{html}");
    let r = emu
        .http
        .post(format!("{page_url}/open"))
        .form(&[("url", req["url"].as_str().unwrap())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(statuses(&calls), ["request_retrieved"]);
    // With a request pending the page offers it instead, and stops refreshing (a form is open).
    let html = page().await;
    assert!(!html.contains("QR code in view"));
    assert!(!html.contains("http-equiv=\"refresh\""));

    // Anything but a request link or a web link is not shown; `null` clears it.
    let r =
        emu.control("/phones/demo-phone/viewfinder", json!({ "url": "javascript:alert(1)" })).await;
    assert_eq!(r.status(), 204);
    assert!(emu.running.state.phones().viewfinder("demo-phone").is_none());
    emu.control("/phones/demo-phone/viewfinder", json!({ "url": link })).await;
    emu.control("/phones/demo-phone/viewfinder", json!({ "url": null })).await;
    assert!(emu.running.state.phones().viewfinder("demo-phone").is_none());
}

#[tokio::test]
async fn a_shared_phone_offers_its_newest_credential() {
    let emu = Emu::start().await;
    let state = &emu.running.state;
    let (cb, calls) = receiver().await;
    // Two demo personas recovered on one phone, one after the other.
    state.phones().add_credential("p1", credential("older", "Maria"));
    state.phones().add_credential("p1", credential("newer", "Ana"));
    let req = presentation(&emu, &cb).await;
    phone::open_url(state, "p1", req["url"].as_str().unwrap()).await.unwrap();
    phone::present(state, "p1", None, 90.0, None, None).await.unwrap();
    let verified = calls.lock().unwrap()[1].clone();
    assert_eq!(verified["verifiedCredentialsData"][0]["claims"]["firstName"], "Ana", "{verified}");
}

async fn page_html(emu: &Emu, phone: &str) -> (reqwest::header::HeaderMap, String) {
    let r = emu.http.get(format!("{}/p/{phone}", emu.urls().phone)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let headers = r.headers().clone();
    (headers, r.text().await.unwrap())
}

#[tokio::test]
async fn the_presentation_screen_names_the_verifier_and_the_purpose() {
    let emu = Emu::start().await;
    let (cb, _calls) = receiver().await;
    emu.running.state.phones().add_credential("p9", credential("c1", "Ana"));
    let body = json!({
        "authority": "did:web:verifiedid.contoso.example",
        "registration": {
            "clientName": "Reclaim account recovery (demo)",
            "purpose": "Reclaim station LOBBY-1 recovers a…@contoso.example <script>alert(2)</script>"
        },
        "callback": { "url": cb, "state": "s1" },
        "requestedCredentials": [{ "type": "verifiedIdentity", "acceptedIssuers": [ISSUER],
            "configuration": { "validation": { "faceCheck": {
                "sourcePhotoClaimName": "portrait", "matchConfidenceThreshold": 80 } } } }]
    });
    let r = emu
        .http
        .post(format!(
            "{}/v1.0/verifiableCredentials/createPresentationRequest",
            emu.urls().request_service
        ))
        .bearer_auth(emu.vc_token())
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let req = json(r).await;
    let r = emu.control("/phones/p9/open", json!({ "url": req["url"] })).await;
    assert_eq!(r.status(), 200);

    let (headers, html) = page_html(&emu, "p9").await;
    assert!(html.contains("Reclaim account recovery (demo)"), "{html}");
    assert!(html.contains("is requesting"), "{html}");
    assert!(html.contains("Reclaim station LOBBY-1 recovers a…@contoso.example"), "{html}");
    assert!(html.contains("&lt;script&gt;alert(2)&lt;/script&gt;"), "{html}");
    assert!(!html.contains("<script>alert"), "the purpose is escaped");
    assert!(html.contains("verifiedid.contoso.example"), "the verifier's domain");
    // The credential to share, drawn from the contract's display definition.
    assert!(html.contains("Credential to share"));
    assert!(html.contains("Verified identity") && html.contains("TrueIdentity"), "{html}");
    assert!(html.contains("Face Check required") && html.contains("80%"), "{html}");
    assert!(html.contains("/p/p9/decline"));
    // The page runs only its own script and style, and loads nothing from elsewhere.
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'none'") && csp.contains("script-src 'nonce-"), "{csp}");
    let nonce = csp.split("'nonce-").nth(1).unwrap().split('\'').next().unwrap();
    assert!(html.contains(&format!("<script nonce=\"{nonce}\">")));

    // The Face Check step reports the chosen score: below the threshold the verifier refuses.
    let fc = emu
        .http
        .get(format!("{}/p/p9?step=face-check", emu.urls().phone))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(fc.contains("data-threshold=\"80\""), "{fc}");
    let r = emu
        .http
        .post(format!("{}/p/p9/present", emu.urls().phone))
        .form(&[("requestId", req["requestId"].as_str().unwrap()), ("score", "35")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let loc = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(loc.contains("result=refused"), "{loc}");
    let html = emu.http.get(&loc).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Not verified") && html.contains("refused"), "{html}");
}

#[tokio::test]
async fn the_wallet_shows_credential_cards_or_what_to_do() {
    let emu = Emu::start().await;
    let (_, html) = page_html(&emu, "p8").await;
    assert!(html.contains("No Verified IDs yet"), "{html}");
    assert!(html.contains("Scan the kiosk's QR code"), "{html}");
    assert!(html.contains("Scan a QR code") && html.contains("name=\"url\""), "the scanner sheet");

    let phones = emu.running.state.phones();
    phones.add_credential("p8", credential("c1", "Ana"));
    let mut badge = credential("c2", "<b>Liam</b>");
    badge.issuer = "did:web:badges.fabrikam.example".into();
    badge.types = vec!["VerifiableCredential".into(), "employeeBadge".into()];
    badge.revoked = true;
    phones.add_credential("p8", badge);
    let (_, html) = page_html(&emu, "p8").await;
    assert!(!html.contains("No Verified IDs yet"));
    // A contract's card: its title and issuer name; the issue date.
    assert!(html.contains(">Verified identity<") && html.contains(">TrueIdentity<"), "{html}");
    assert!(html.contains("Issued 1 Aug 2026"), "{html}");
    // No contract: the type made readable and the issuer DID's host; revoked is marked.
    assert!(html.contains(">Employee badge<"), "{html}");
    assert!(html.contains(">badges.fabrikam.example<"), "{html}");
    assert!(html.contains(">Revoked<"), "{html}");
    assert!(html.contains("&lt;b&gt;Liam&lt;/b&gt;") && !html.contains("<b>Liam"), "escaped");
    // Newest first, as Authenticator lists them.
    assert!(html.find("Employee badge").unwrap() < html.find(">Verified identity<").unwrap());
}

#[tokio::test]
async fn a_pin_issuance_asks_for_the_pin_then_adds_the_card() {
    let emu = Emu::start().await;
    let (cb, calls) = receiver().await;
    let token = emu.mint(
        "3a000000-0000-4000-8000-0000000000a1",
        Resource::RequestService,
        &["VerifiableCredential.Create.IssueRequest"],
    );
    let r = emu
        .http
        .post(format!(
            "{}/v1.0/verifiableCredentials/createIssuanceRequest",
            emu.urls().request_service
        ))
        .bearer_auth(token)
        .json(&json!({
            "authority": ISSUER, "registration": { "clientName": "TrueIdentity <Issuer>" },
            "callback": { "url": cb, "state": "i2" }, "type": "verifiedIdentity",
            "manifest": TRUEID_MANIFEST, "pin": { "value": "4821", "length": 4 },
            "claims": { "firstName": "Ana", "lastName": "Lima" }
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let req = json(r).await;
    let id = req["requestId"].as_str().unwrap();
    let r = emu.control("/phones/p7/open", json!({ "url": req["url"], "accept": false })).await;
    assert_eq!(r.status(), 200);

    let (_, html) = page_html(&emu, "p7").await;
    assert!(html.contains("TrueIdentity &lt;Issuer&gt; offers you a credential"), "{html}");
    assert!(html.contains("id=\"pin\"") && html.contains("maxlength=\"4\""), "{html}");
    assert!(html.contains("Enter the PIN the issuer shows you (4 digits)"), "{html}");
    assert!(html.contains("Add your verified identity?"), "the contract's consent title");
    assert!(html.contains(">Verified identity<") && html.contains("Last name"), "{html}");
    assert!(html.contains(">Add<") && html.contains(">Cancel<"));

    let r = emu
        .http
        .post(format!("{}/p/p7/accept", emu.urls().phone))
        .form(&[("requestId", id), ("pin", "4821")])
        .send()
        .await
        .unwrap();
    let loc = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(loc.contains("result=added"), "{loc}");
    let html = emu.http.get(&loc).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Added to Authenticator") && html.contains(">Verified identity<"));
    assert_eq!(statuses(&calls), ["request_retrieved", "issuance_successful"]);
}

#[tokio::test]
async fn the_face_check_selfie_is_the_personas_and_the_page_notices_changes() {
    let emu = Emu::start().await;
    let mut c = credential("c1", "Ana");
    c.claims.insert("documentNumber".into(), json!("P1234567"));
    emu.running.state.phones().add_credential("p6", c);
    let r = emu
        .http
        .get(format!("{}/p/p6/selfie.png?credential=c1", emu.urls().phone))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    let png = r.bytes().await.unwrap();
    assert_eq!(&png[..], &reclaim_emulator::provider::portrait::selfie_png("ana")[..]);

    let state = || async {
        let r = emu.http.get(format!("{}/p/p6/state", emu.urls().phone)).send().await.unwrap();
        json(r).await["v"].as_str().unwrap().to_owned()
    };
    let before = state().await;
    assert_eq!(before, state().await, "stable while nothing changes");
    emu.control("/phones/p6/viewfinder", json!({ "url": "openid-vc://?request_uri=x" })).await;
    let seen = state().await;
    assert_ne!(before, seen, "a code at the kiosk");
    assert!(emu.running.state.phones().revoke("c1"));
    assert_ne!(seen, state().await, "a revoked card");
}
