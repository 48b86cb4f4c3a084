//! Contract tests for the organisation's own credentials (`microsoft-apis-v2.md` §3.3, §5): the
//! Graph user photo, `VerifiedEmployee` from MyAccount with its directory claims and presented
//! with Face Check on `photo`, and the ID-token-hint `RecoveredEmployee` issued with claims, a
//! hashed PIN and `expirationDate`. Request bodies are the document's own JSON.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use common::{Emu, json};
use reclaim_emulator::Fixture;
use reclaim_emulator::identity::Resource;
use serde_json::{Value, json};

const ANA: &str = "1a000000-0000-4000-8000-000000000001";
const ANA_UPN: &str = "ana.lima@contoso.example";
const MARIA_UPN: &str = "maria.souza@contoso.example";
const SAM_UPN: &str = "sam.blank@contoso.example";
const DANA_UPN: &str = "dana.whitfield@contoso.example";
/// The tenant's own Verified ID authority (the profiles' `verifier_did`, §5.3's `authority`).
const AUTHORITY: &str = "did:web:verifiedid.contoso.example";
/// The demo tenant's RecoveredEmployee issuer app (`fixtures/demo-tenant.toml`).
const ORG_ISSUER_APP: &str = "3a000000-0000-4000-8000-000000000004";
/// §5.3's worked PIN example.
const SALT: &str = "7c1e0d2a-5b7f-4e51-9c9a-2f6a1d3b8e44";
const PIN_HASH: &str = "iKA7mUgRbtHm1YREvxFP0xSrKuNQ5o+C4Qr3TN4DCp0=";

async fn receiver() -> (String, Arc<Mutex<Vec<Value>>>) {
    common::receiver_at("/vc/issuance-callback").await
}

use common::statuses;

async fn graph_get(emu: &Emu, path: &str, token: &str) -> reqwest::Response {
    emu.http.get(format!("{}{path}", emu.urls().graph)).bearer_auth(token).send().await.unwrap()
}

async fn graph_error(r: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(r.status(), status);
    let b = json(r).await;
    assert_eq!(b["error"]["code"], code, "{b}");
    b
}

/// `UrlEncode(Base64Encode(photo))` back to the bytes, as §5.2 tells a verifier to.
fn decode_verified_employee_photo(claim: &str) -> Vec<u8> {
    let b64 = percent_encoding::percent_decode_str(claim).decode_utf8().unwrap();
    base64::engine::general_purpose::STANDARD.decode(b64.as_bytes()).unwrap()
}

fn manifest_url(emu: &Emu, contract: &str) -> String {
    format!(
        "https://verifiedid.did.msidentity.com/v1.0/tenants/{}/verifiableCredentials/contracts/{contract}/manifest",
        emu.tenant()
    )
}

/// §5.3's issuance request, with only the callback URL, the manifest's tenant and the photo ours.
fn recovered_employee_body(emu: &Emu, callback: &str, photo: &str) -> Value {
    json!({
      "authority": "did:web:verifiedid.contoso.example",
      "includeQRCode": true,
      "registration": { "clientName": "Contoso Reclaim" },
      "callback": { "url": callback, "state": "4f0c2a7e-…", "headers": { "api-key": "k1ck-2f9e" } },
      "type": "RecoveredEmployee",
      "manifest": manifest_url(emu, "recovered-employee"),
      "claims": { "given_name": "Ana", "family_name": "Lima", "photo": photo },
      "pin": { "value": PIN_HASH, "type": "numeric", "length": 4,
               "salt": SALT, "alg": "sha256", "iterations": 1 },
      "expirationDate": "2026-09-30T23:59:59.000Z"
    })
}

async fn create_issuance(emu: &Emu, body: &Value) -> reqwest::Response {
    let token = emu.mint(
        ORG_ISSUER_APP,
        Resource::RequestService,
        &["VerifiableCredential.Create.IssueRequest"],
    );
    emu.http
        .post(format!(
            "{}/v1.0/verifiableCredentials/createIssuanceRequest",
            emu.urls().request_service
        ))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn bad_field(r: reqwest::Response, target: &str) {
    assert_eq!(r.status(), 400);
    let b = json(r).await;
    assert_eq!(b["error"]["code"], "badRequest", "{b}");
    assert_eq!(b["error"]["innererror"]["code"], "badOrMissingField", "{b}");
    assert_eq!(b["error"]["innererror"]["target"], target, "{b}");
}

async fn myaccount(emu: &Emu, user: &str, phone: &str) -> reqwest::Response {
    emu.control("/myaccount/verified-id", json!({ "user": user, "phoneId": phone })).await
}

fn keys(v: &Value) -> BTreeSet<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

fn unix(date: &Value) -> i64 {
    time::OffsetDateTime::parse(
        date.as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap()
    .unix_timestamp()
}

#[tokio::test]
async fn user_photo_is_the_jpeg_and_404_image_not_found_without_one() {
    let emu = Emu::start().await;
    let token = emu.graph_token();
    let r = graph_get(&emu, &format!("/v1.0/users/{ANA}/photo/$value"), &token).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    let bytes = r.bytes().await.unwrap().to_vec();
    assert!(bytes.starts_with(&[0xff, 0xd8, 0xff]));
    let img = image::load_from_memory(&bytes).unwrap();
    assert_eq!((img.width(), img.height()), (360, 360));
    // By UPN: the same photo.
    let r = graph_get(&emu, &format!("/v1.0/users/{ANA_UPN}/photo/$value"), &token).await;
    assert_eq!(r.bytes().await.unwrap().to_vec(), bytes);

    // Metadata, as the doc's example.
    let r = graph_get(&emu, &format!("/v1.0/users/{ANA}/photo"), &token).await;
    assert_eq!(r.status(), 200);
    let m = json(r).await;
    assert_eq!(
        keys(&m),
        ["@odata.context", "@odata.mediaContentType", "@odata.mediaEtag", "id", "width", "height"]
            .into()
    );
    assert_eq!(
        m["@odata.context"],
        format!("{}/v1.0/$metadata#users('{ANA}')/photo/$entity", emu.urls().graph)
    );
    assert_eq!(m["@odata.mediaContentType"], "image/jpeg");
    let etag = m["@odata.mediaEtag"].as_str().unwrap();
    assert!(etag.len() == 10 && etag.starts_with('"') && etag.ends_with('"'), "{etag}");
    assert_eq!(
        (m["id"].as_str(), m["width"].as_u64(), m["height"].as_u64()),
        (Some("360x360"), Some(360), Some(360))
    );

    // No photo: 404 ImageNotFound on both calls, with the body the service sends.
    let r = graph_get(&emu, &format!("/v1.0/users/{SAM_UPN}/photo/$value"), &token).await;
    let b = graph_error(r, 404, "ImageNotFound").await;
    assert_eq!(
        b["error"]["message"],
        "Exception of type 'Microsoft.Fast.Profile.Core.Exception.ImageNotFoundException' was thrown."
    );
    assert!(b["error"]["innerError"]["request-id"].is_string());
    let r = graph_get(&emu, &format!("/v1.0/users/{SAM_UPN}/photo"), &token).await;
    graph_error(r, 404, "ImageNotFound").await;
    // No such user.
    let r = graph_get(&emu, "/v1.0/users/nobody@contoso.example/photo/$value", &token).await;
    graph_error(r, 404, "Request_ResourceNotFound").await;
    // beta too.
    let r = graph_get(&emu, &format!("/beta/users/{ANA}/photo/$value"), &token).await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn photos_lists_the_documented_sizes_up_to_the_stored_one() {
    let emu = Emu::start().await;
    let token = emu.graph_token();
    let b = json(graph_get(&emu, &format!("/v1.0/users/{ANA}/photos"), &token).await).await;
    let ids: Vec<&str> =
        b["value"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["48x48", "64x64", "96x96", "120x120", "240x240", "360x360"]);
    let r = graph_get(&emu, &format!("/v1.0/users/{ANA}/photos/96x96/$value"), &token).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    let img = image::load_from_memory(&r.bytes().await.unwrap()).unwrap();
    assert_eq!((img.width(), img.height()), (96, 96));
    // Larger than the stored photo, undocumented, not square: not available.
    for size in ["648x648", "100x100", "96x48"] {
        let r = graph_get(&emu, &format!("/v1.0/users/{ANA}/photos/{size}/$value"), &token).await;
        graph_error(r, 404, "ImageNotFound").await;
    }
    let r = graph_get(&emu, &format!("/v1.0/users/{SAM_UPN}/photos"), &token).await;
    graph_error(r, 404, "ImageNotFound").await;
}

#[tokio::test]
async fn photo_needs_profile_photo_or_user_read_permission() {
    let emu = Emu::start().await;
    let path = format!("/v1.0/users/{ANA}/photo/$value");
    for role in ["ProfilePhoto.Read.All", "User.Read.All", "ProfilePhoto.ReadWrite.All"] {
        let t = emu.mint(common::KIOSK_CLIENT_ID, Resource::Graph, &[role]);
        assert_eq!(graph_get(&emu, &path, &t).await.status(), 200, "{role}");
    }
    let t = emu.mint(common::KIOSK_CLIENT_ID, Resource::Graph, &["GroupMember.Read.All"]);
    graph_error(graph_get(&emu, &path, &t).await, 403, "Authorization_RequestDenied").await;
    let t = emu.mint(common::KIOSK_CLIENT_ID, Resource::Graph, &["GroupMember.Read.All"]);
    let r = graph_get(&emu, &format!("/v1.0/users/{ANA}/photo"), &t).await;
    graph_error(r, 403, "Authorization_RequestDenied").await;
}

#[tokio::test]
async fn users_carry_job_title_and_preferred_language() {
    let emu = Emu::start().await;
    let token = emu.graph_token();
    let b = json(graph_get(&emu, &format!("/v1.0/users/{ANA}"), &token).await).await;
    assert_eq!(b["jobTitle"], "Field Engineer");
    assert_eq!(b["preferredLanguage"], "pt-BR");
    let b = json(
        graph_get(
            &emu,
            "/v1.0/users/nora.quinn@contoso.example?$select=jobTitle,preferredLanguage",
            &token,
        )
        .await,
    )
    .await;
    assert!(b["jobTitle"].is_null() && b["preferredLanguage"].is_null(), "{b}");
}

#[tokio::test]
async fn myaccount_issues_verified_employee_with_the_directory_claims() {
    let emu = Emu::start().await;
    let before = emu.running.state.clock().now_unix();
    let r = myaccount(&emu, MARIA_UPN, "p-maria").await;
    assert_eq!(r.status(), 201);
    let c = json(r).await;
    assert_eq!(c["issuer"], AUTHORITY);
    assert_eq!(c["types"], json!(["VerifiableCredential", "VerifiedEmployee"]));
    assert!(!c["revoked"].as_bool().unwrap());
    let claims = &c["claims"];
    // Every §5.2 claim, since Maria's directory entry has them all.
    assert_eq!(
        keys(claims),
        [
            "revocationId",
            "displayName",
            "givenName",
            "surname",
            "jobTitle",
            "preferredLanguage",
            "mail",
            "photo"
        ]
        .into()
    );
    assert_eq!(claims["revocationId"], MARIA_UPN);
    assert_eq!(claims["displayName"], "Maria Souza");
    assert_eq!(claims["givenName"], "Maria");
    assert_eq!(claims["surname"], "Souza");
    assert_eq!(claims["jobTitle"], "Accounts Payable Specialist");
    assert_eq!(claims["preferredLanguage"], "en-US");
    assert_eq!(claims["mail"], "maria.souza@contoso.example");
    // photo = UrlEncode(Base64Encode(the /photo/$value JPEG)).
    let photo = claims["photo"].as_str().unwrap();
    assert!(!photo.contains(['+', '/', '=']), "URL-encoded: {}", &photo[..40]);
    let bytes = decode_verified_employee_photo(photo);
    let directory =
        graph_get(&emu, &format!("/v1.0/users/{MARIA_UPN}/photo/$value"), &emu.graph_token())
            .await
            .bytes()
            .await
            .unwrap();
    assert_eq!(bytes, directory.to_vec());
    // issuanceDate now; the contract's validityInterval.
    let issued = unix(&c["issuanceDate"]);
    assert!((before..=before + 5).contains(&issued));
    assert_eq!(unix(&c["expirationDate"]) - issued, 15_552_000);
    // Into the phone's wallet, the account signed in to its Authenticator.
    let held = emu.running.state.phones().credentials("p-maria");
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].id, c["id"].as_str().unwrap());
    assert_eq!(emu.running.state.phones().account("p-maria").as_deref(), Some(MARIA_UPN));

    // Empty attributes are omitted: Ana has no mail, Nora no job title or language, Sam no names
    // and no photo.
    let ana = json(myaccount(&emu, ANA_UPN, "p-ana").await).await;
    assert_eq!(
        keys(&ana["claims"]),
        [
            "revocationId",
            "displayName",
            "givenName",
            "surname",
            "jobTitle",
            "preferredLanguage",
            "photo"
        ]
        .into()
    );
    let nora = json(myaccount(&emu, "nora.quinn@contoso.example", "p-nora").await).await;
    assert_eq!(
        keys(&nora["claims"]),
        ["revocationId", "displayName", "givenName", "surname", "mail", "photo"].into()
    );
    let sam = json(myaccount(&emu, SAM_UPN, "p-sam").await).await;
    assert_eq!(keys(&sam["claims"]), ["revocationId", "displayName"].into());
}

#[tokio::test]
async fn myaccount_reads_the_directory_at_that_moment_and_never_refreshes() {
    let emu = Emu::start().await;
    let first = json(myaccount(&emu, ANA, "p1").await).await;
    assert_eq!(first["claims"]["displayName"], "Ana Lima");
    let r = emu
        .http
        .patch(format!("{}/directory/users/{ANA_UPN}", emu.urls().control))
        .json(&json!({ "displayName": "Ana M. Lima", "jobTitle": "", "photo": false }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let second = json(myaccount(&emu, ANA, "p1").await).await;
    assert_eq!(second["claims"]["displayName"], "Ana M. Lima");
    assert!(second["claims"].get("jobTitle").is_none() && second["claims"].get("photo").is_none());
    assert_eq!(first["claims"]["jobTitle"], "Field Engineer");
    let r = graph_get(&emu, &format!("/v1.0/users/{ANA}/photo/$value"), &emu.graph_token()).await;
    graph_error(r, 404, "ImageNotFound").await;
    let held = emu.running.state.phones().credentials("p1");
    assert_eq!(held.len(), 2);
    assert_eq!(held[0].claims["displayName"], "Ana Lima", "the first credential is not refreshed");
}

#[tokio::test]
async fn myaccount_refuses_a_disabled_account_and_unknown_users() {
    let emu = Emu::start().await;
    let r = myaccount(&emu, DANA_UPN, "p-dana").await;
    assert_eq!(r.status(), 403);
    let b = json(r).await;
    assert_eq!(b["error"], "account_disabled");
    assert!(b["message"].as_str().unwrap().contains("AADSTS50057"));
    let r = myaccount(&emu, "nobody@contoso.example", "p-dana").await;
    assert_eq!(r.status(), 404);
    assert_eq!(json(r).await["error"], "unknown_user");
    let r = myaccount(&emu, ANA_UPN, "not a phone id").await;
    assert_eq!(r.status(), 400);
    assert!(emu.running.state.phones().credentials("p-dana").is_empty());

    // A tenant without a VerifiedEmployee contract has nothing to issue.
    let mut f = Fixture::demo();
    f.contracts.retain(|c| !c.is_verified_employee());
    let emu = Emu::start_with(f).await;
    let r = myaccount(&emu, ANA_UPN, "p1").await;
    assert_eq!(r.status(), 409);
    assert_eq!(json(r).await["error"], "not_configured");
}

/// A verifier's request for VerifiedEmployee with Face Check on `photo` (the sample template's
/// shape, §5.2), answered through the phone.
async fn verified_employee_presentation(emu: &Emu, cb: &str) -> Value {
    let body = json!({
        "authority": AUTHORITY,
        "includeQRCode": false,
        "includeReceipt": false,
        "registration": { "clientName": "Contoso Reclaim", "purpose": "Prove you are a Contoso employee" },
        "callback": { "url": cb, "state": "ve-1", "headers": { "api-key": "k1ck-2f9e" } },
        "requestedCredentials": [{
            "type": "VerifiedEmployee",
            "purpose": "Verify your identity",
            "acceptedIssuers": [AUTHORITY],
            "configuration": { "validation": {
                "allowRevoked": false, "validateLinkedDomain": true,
                "faceCheck": { "sourcePhotoClaimName": "photo", "matchConfidenceThreshold": 70 } } }
        }]
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

#[tokio::test]
async fn verified_employee_presentation_with_face_check_passes_through_the_phone() {
    let emu = Emu::start().await;
    let (cb, calls) = receiver().await;
    let issued = json(myaccount(&emu, ANA_UPN, "p-ana").await).await;

    let req = verified_employee_presentation(&emu, &cb).await;
    let r = emu.control("/phones/p-ana/open", json!({ "url": req["url"] })).await;
    assert_eq!(json(r).await["outcome"], "presentationPending");
    let r = emu.control("/phones/p-ana/present", json!({ "score": 88.4 })).await;
    assert_eq!(json(r).await["outcome"], "verified");
    assert_eq!(statuses(&calls), ["request_retrieved", "presentation_verified"]);
    let verified = calls.lock().unwrap()[1].clone();
    let item = &verified["verifiedCredentialsData"][0];
    assert_eq!(item["issuer"], AUTHORITY);
    assert_eq!(item["type"], json!(["VerifiableCredential", "VerifiedEmployee"]));
    assert_eq!(item["claims"], issued["claims"]);
    assert_eq!(item["claims"]["revocationId"], ANA_UPN);
    assert_eq!(item["credentialState"]["revocationStatus"], "VALID");
    assert_eq!(item["domainValidation"]["url"], "https://verifiedid.contoso.example/");
    assert_eq!(
        item["faceCheck"],
        json!({ "matchConfidenceScore": 88.4, "sourcePhotoQuality": "HIGH" })
    );

    // Below the threshold the whole presentation fails, without the score (v1 §3).
    calls.lock().unwrap().clear();
    let req = verified_employee_presentation(&emu, &cb).await;
    emu.control("/phones/p-ana/open", json!({ "url": req["url"] })).await;
    let r = emu.control("/phones/p-ana/present", json!({ "score": 60 })).await;
    let out = json(r).await;
    assert_eq!(out["outcome"], "failed");
    assert_eq!(out["code"], "claimValidationError");
    assert_eq!(statuses(&calls), ["request_retrieved", "presentation_error"]);
}

#[tokio::test]
async fn face_check_refuses_a_photo_claim_it_cannot_decode() {
    let emu = Emu::start().await;
    let (cb, calls) = receiver().await;
    let r = emu
        .control(
            "/phones/p2/credentials",
            json!({ "issuer": AUTHORITY, "types": ["VerifiableCredential", "VerifiedEmployee"],
                    "claims": { "revocationId": ANA_UPN, "photo": "not a photo!" } }),
        )
        .await;
    assert_eq!(r.status(), 201);
    let req = verified_employee_presentation(&emu, &cb).await;
    emu.control("/phones/p2/open", json!({ "url": req["url"] })).await;
    let out = json(emu.control("/phones/p2/present", json!({ "score": 95 })).await).await;
    assert_eq!(out["outcome"], "failed");
    assert_eq!(out["code"], "claimValidationError");
    assert_eq!(statuses(&calls), ["request_retrieved", "presentation_error"]);
}

#[tokio::test]
async fn recovered_employee_is_issued_with_the_5_3_body_and_the_worked_example_pin() {
    let emu = Emu::start().await;
    let (cb, calls) = receiver().await;
    let photo = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(reclaim_emulator::provider::portrait::portrait_jpeg("ana"));
    let r = create_issuance(&emu, &recovered_employee_body(&emu, &cb, &photo)).await;
    assert_eq!(r.status(), 201);
    let created = json(r).await;
    assert!(created["qrCode"].as_str().unwrap().starts_with("data:image/png;base64,"));
    let url = created["url"].as_str().unwrap();
    assert!(url.contains("/verifiableCredentials/issuanceRequests/"));

    // Scanned: the PIN is asked for, never carried in the QR code.
    assert!(!url.contains("3539") && !url.contains(PIN_HASH));
    let r = emu.control("/phones/p-ana/open", json!({ "url": url })).await;
    let out = json(r).await;
    assert_eq!(
        out,
        json!({ "outcome": "pinRequired", "requestId": created["requestId"], "pinLength": 4 })
    );
    let r = emu.control("/phones/p-ana/accept", json!({ "pin": "3539" })).await;
    assert_eq!(r.status(), 200);
    let out = json(r).await;
    assert_eq!(out["outcome"], "issued");
    assert_eq!(statuses(&calls), ["request_retrieved", "issuance_successful"]);
    assert_eq!(calls.lock().unwrap()[1]["state"], "4f0c2a7e-…");

    let held = emu.running.state.phones().credentials("p-ana");
    assert_eq!(held.len(), 1);
    let c = &held[0];
    assert_eq!(c.id, out["credentialId"].as_str().unwrap());
    assert_eq!(c.issuer, AUTHORITY);
    assert_eq!(c.types, ["VerifiableCredential", "RecoveredEmployee"]);
    // The idTokenHints mapping: given_name → firstName, family_name → lastName, photo → photo.
    assert_eq!(
        Value::Object(c.claims.clone()),
        json!({ "firstName": "Ana", "lastName": "Lima", "photo": photo })
    );
    // expirationDate overrides validityInterval (allowOverrideValidityOnIssuance).
    assert_eq!(c.expiration_date, "2026-09-30T23:59:59.000Z");
}

#[tokio::test]
async fn recovered_employee_without_expiration_date_lives_validity_interval() {
    let emu = Emu::start().await;
    let (cb, _calls) = receiver().await;
    let mut body = recovered_employee_body(&emu, &cb, "_9j_4AAQ");
    body.as_object_mut().unwrap().remove("expirationDate");
    body.as_object_mut().unwrap().remove("pin");
    // The sample's unchecked type: accepted (a warning is logged), the contract's type issued.
    body["type"] = json!("ignore-this");
    let r = create_issuance(&emu, &body).await;
    assert_eq!(r.status(), 201);
    let url = json(r).await["url"].as_str().unwrap().to_owned();
    let out = json(emu.control("/phones/p1/open", json!({ "url": url })).await).await;
    assert_eq!(out["outcome"], "issued");
    let c = &emu.running.state.phones().credentials("p1")[0];
    assert_eq!(c.types, ["VerifiableCredential", "RecoveredEmployee"]);
    let lifetime = unix(&json!(c.expiration_date)) - unix(&json!(c.issuance_date));
    assert_eq!(lifetime, 2_592_000);
}

#[tokio::test]
async fn a_wrong_pin_ends_the_issuance_with_the_documented_error() {
    let emu = Emu::start().await;
    let (cb, calls) = receiver().await;
    let r = create_issuance(&emu, &recovered_employee_body(&emu, &cb, "_9j_4AAQ")).await;
    let created = json(r).await;
    let out =
        json(emu.control("/phones/p1/open", json!({ "url": created["url"], "pin": "3593" })).await)
            .await;
    assert_eq!(
        out,
        json!({ "outcome": "issuanceFailed", "requestId": created["requestId"],
                "code": "IssuanceFlowFailed", "message": "issuance_service_error" })
    );
    assert_eq!(statuses(&calls), ["request_retrieved", "issuance_error"]);
    assert_eq!(
        calls.lock().unwrap()[1]["error"],
        json!({ "code": "IssuanceFlowFailed", "message": "issuance_service_error" })
    );
    assert!(emu.running.state.phones().credentials("p1").is_empty());
}

#[tokio::test]
async fn a_missing_required_claim_is_400_bad_or_missing_field() {
    let emu = Emu::start().await;
    let (cb, _) = receiver().await;
    for missing in ["given_name", "family_name"] {
        let mut body = recovered_employee_body(&emu, &cb, "_9j_4AAQ");
        body["claims"].as_object_mut().unwrap().remove(missing);
        bad_field(create_issuance(&emu, &body).await, "claims").await;
    }
    // The optional photo may be left out.
    let mut body = recovered_employee_body(&emu, &cb, "_9j_4AAQ");
    body["claims"].as_object_mut().unwrap().remove("photo");
    assert_eq!(create_issuance(&emu, &body).await.status(), 201);
}

#[tokio::test]
async fn expiration_date_needs_the_contract_flag() {
    let mut f = Fixture::demo();
    f.contracts
        .iter_mut()
        .find(|c| c.id == "recovered-employee")
        .unwrap()
        .allow_override_validity_on_issuance = false;
    let emu = Emu::start_with(f).await;
    let (cb, _) = receiver().await;
    bad_field(
        create_issuance(&emu, &recovered_employee_body(&emu, &cb, "_9j_4AAQ")).await,
        "expirationDate",
    )
    .await;
}

/// The portal's "Custom issue" values for VerifiedEmployee (§5.1): authority, type, manifest.
fn verified_employee_body(emu: &Emu, cb: &str) -> Value {
    json!({
        "authority": AUTHORITY,
        "includeQRCode": false,
        "registration": { "clientName": "Contoso Reclaim" },
        "callback": { "url": cb, "state": "ve-issue" },
        "type": "VerifiedEmployee",
        "manifest": manifest_url(emu, "verified-employee")
    })
}

#[tokio::test]
async fn verified_employee_refuses_claims_pin_and_expiration_date() {
    let emu = Emu::start().await;
    let (cb, _) = receiver().await;
    let extras = [
        ("claims", json!({ "given_name": "Ana", "family_name": "Lima" })),
        (
            "pin",
            json!({ "value": PIN_HASH, "length": 4, "salt": SALT, "alg": "sha256", "iterations": 1 }),
        ),
        ("expirationDate", json!("2026-09-30T23:59:59.000Z")),
    ];
    for (field, value) in extras {
        let mut body = verified_employee_body(&emu, &cb);
        body[field] = value;
        bad_field(create_issuance(&emu, &body).await, field).await;
    }
}

#[tokio::test]
async fn app_triggered_verified_employee_takes_the_signed_in_accounts_directory_claims() {
    let emu = Emu::start().await;
    let (cb, calls) = receiver().await;
    let r = create_issuance(&emu, &verified_employee_body(&emu, &cb)).await;
    assert_eq!(r.status(), 201);
    let url = json(r).await["url"].as_str().unwrap().to_owned();
    // Nobody signed in to the phone's Authenticator: the wallet asks for a sign-in first.
    let r = emu.control("/phones/p1/open", json!({ "url": url })).await;
    assert_eq!(r.status(), 400);
    assert_eq!(json(r).await["error"], "sign_in_required");
    // A disabled account cannot sign in.
    assert_eq!(emu.control("/phones/p1/account", json!({ "user": DANA_UPN })).await.status(), 204);
    let r = emu.control("/phones/p1/accept", json!({})).await;
    assert_eq!(r.status(), 403);
    assert_eq!(json(r).await["error"], "sign_in_refused");
    let r = emu.control("/phones/p1/account", json!({ "user": "nobody@contoso.example" })).await;
    assert_eq!(r.status(), 404);
    // Ana signs in: her directory claims, exactly as MyAccount would issue them.
    assert_eq!(emu.control("/phones/p1/account", json!({ "user": ANA })).await.status(), 204);
    let out = json(emu.control("/phones/p1/accept", json!({})).await).await;
    assert_eq!(out["outcome"], "issued");
    assert_eq!(statuses(&calls), ["request_retrieved", "issuance_successful"]);
    let c = &emu.running.state.phones().credentials("p1")[0];
    assert_eq!(c.types, ["VerifiableCredential", "VerifiedEmployee"]);
    let expected = json(myaccount(&emu, ANA_UPN, "p2").await).await;
    assert_eq!(Value::Object(c.claims.clone()), expected["claims"]);
}

#[tokio::test]
async fn manifests_publish_the_contracts() {
    let emu = Emu::start().await;
    for (id, types) in
        [("recovered-employee", "RecoveredEmployee"), ("verified-employee", "VerifiedEmployee")]
    {
        let url = format!(
            "{}/v1.0/tenants/{}/verifiableCredentials/contracts/{id}/manifest",
            emu.urls().request_service,
            emu.tenant()
        );
        let r = emu.http.get(url).send().await.unwrap();
        assert_eq!(r.status(), 200, "{id}");
        let token = json(r).await["token"].as_str().unwrap().to_owned();
        let payload = token.split('.').nth(1).unwrap();
        let m: Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap(),
        )
        .unwrap();
        assert_eq!(m["iss"], AUTHORITY, "{id}");
        assert_eq!(m["id"], id);
        assert!(
            m["display"]["contract"]
                .as_str()
                .unwrap()
                .ends_with(&format!("/contracts/{id}/manifest"))
        );
        assert_eq!(
            m["display"]["claims"]["vc.credentialSubject.photo"]["type"], "image/jpg;base64url",
            "{types}"
        );
    }
    let url = format!(
        "{}/v1.0/tenants/{}/verifiableCredentials/contracts/recovered-employee/manifest",
        emu.urls().request_service,
        emu.tenant()
    );
    let token =
        json(emu.http.get(url).send().await.unwrap()).await["token"].as_str().unwrap().to_owned();
    let m: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        m["input"]["attestations"]["idTokens"][0]["claims"],
        json!([
            { "claim": "$.given_name", "required": true, "indexed": false },
            { "claim": "$.family_name", "required": true, "indexed": true },
            { "claim": "$.photo", "required": false, "indexed": false }
        ])
    );
}

#[test]
fn a_verified_employee_contract_keeps_its_fixed_rules() {
    // No ID token hint (§5.1: turning it into an id-token-hint credential is unsupported).
    let mut f = Fixture::demo();
    let hints = f.contract("recovered-employee").unwrap().rules.attestations.clone();
    let ve = f.contracts.iter_mut().find(|c| c.is_verified_employee()).unwrap();
    ve.rules.attestations = hints;
    let e = f.validate().unwrap_err().to_string();
    assert!(e.contains("VerifiedEmployee") && e.contains("ID token hint"), "{e}");
    // Only the §5.2 claims can be displayed.
    let mut f = Fixture::demo();
    let ve = f.contracts.iter_mut().find(|c| c.is_verified_employee()).unwrap();
    ve.display.claims[0].claim = "vc.credentialSubject.employeeId".into();
    assert!(f.validate().is_err());
    assert_eq!(Fixture::demo().verified_employee_contract().unwrap().id, "verified-employee");
}
