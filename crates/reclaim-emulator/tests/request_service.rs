//! Contract tests for the emulated Verified ID Request Service (contract §2, §3): a real server on
//! loopback, a real HTTP client, and a tiny callback receiver recording what the service posts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, Mutex};

use axum::http::HeaderMap;
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine as _;
use common::{Emu, KIOSK_CLIENT_ID, json};
use reclaim_emulator::identity::Resource;
use serde_json::{Value, json};

const ISSUER: &str = "did:web:idv.trueid.example";
const IDV_CLIENT_ID: &str = "3a000000-0000-4000-8000-0000000000a1";
const PHONE: &str = "demo-phone";
/// The demo tenant's TrueIdentity contract (`fixtures/demo-tenant.toml`), on the real host.
const TRUEID_MANIFEST: &str = "https://verifiedid.did.msidentity.com/v1.0/tenants/7c0e2f9a-3b1d-4e5f-8a6b-9c0d1e2f3a4b/verifiableCredentials/contracts/trueid-verified-identity/manifest";

/// Records every callback (headers and JSON body) it receives.
#[derive(Clone)]
struct Receiver {
    url: String,
    calls: Arc<Mutex<Vec<(HeaderMap, Value)>>>,
}

impl Receiver {
    async fn start() -> Self {
        let calls: Arc<Mutex<Vec<(HeaderMap, Value)>>> = Arc::default();
        let c = calls.clone();
        let app = Router::new().route(
            "/vc/callback",
            post(move |h: HeaderMap, Json(v): Json<Value>| {
                let c = c.clone();
                async move {
                    c.lock().unwrap().push((h, v));
                    axum::http::StatusCode::OK
                }
            }),
        );
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
        Self { url: format!("http://{addr}/vc/callback"), calls }
    }

    fn bodies(&self) -> Vec<Value> {
        self.calls.lock().unwrap().iter().map(|(_, b)| b.clone()).collect()
    }

    fn statuses(&self) -> Vec<String> {
        self.bodies().iter().map(|b| b["requestStatus"].as_str().unwrap().to_owned()).collect()
    }
}

/// The contract's "Minimal kiosk body" (§2.2), pointed at `callback_url`.
fn kiosk_body(callback_url: &str) -> Value {
    json!({
      "authority": "did:web:verifier.example.org",
      "includeQRCode": true,
      "includeReceipt": false,
      "registration": { "clientName": "Account Recovery Kiosk", "purpose": "Prove it is you" },
      "callback": {
        "url": callback_url,
        "state": "4f0c2a7e-9b1d-4c1e-8f7a-0d5e6b2c9a11",
        "headers": { "api-key": "k1ck-2f9e" }
      },
      "requestedCredentials": [{
        "type": "verifiedIdentity",
        "acceptedIssuers": [ISSUER],
        "configuration": { "validation": {
          "allowRevoked": false, "validateLinkedDomain": true,
          "faceCheck": { "sourcePhotoClaimName": "portrait", "matchConfidenceThreshold": 70 } } }
      }]
    })
}

fn create_url(emu: &Emu, what: &str) -> String {
    format!("{}/v1.0/verifiableCredentials/{what}", emu.urls().request_service)
}

async fn create(emu: &Emu, body: &Value) -> reqwest::Response {
    emu.http
        .post(create_url(emu, "createPresentationRequest"))
        .bearer_auth(emu.vc_token())
        .json(body)
        .send()
        .await
        .unwrap()
}

/// Creates a presentation request and returns its 201 body.
async fn create_ok(emu: &Emu, body: &Value) -> Value {
    let r = create(emu, body).await;
    assert_eq!(r.status(), 201);
    json(r).await
}

/// Gives the demo phone a verifiedIdentity credential; returns its id.
async fn give_credential(emu: &Emu, issuer: &str, revoked: bool) -> String {
    let r = emu
        .control(
            &format!("/phones/{PHONE}/credentials"),
            json!({
                "issuer": issuer,
                "types": ["VerifiableCredential", "verifiedIdentity"],
                "claims": { "firstName": "Ana", "lastName": "Lima", "portrait": "_9j_4AAQSkZJRg" },
                "issuanceDate": "2026-08-01T10:00:00Z",
                "expirationDate": "2099-08-02T10:00:00Z",
                "revoked": revoked,
            }),
        )
        .await;
    assert_eq!(r.status(), 201);
    json(r).await["id"].as_str().unwrap().to_owned()
}

async fn open(emu: &Emu, url: &str) -> reqwest::Response {
    emu.control(&format!("/phones/{PHONE}/open"), json!({ "url": url })).await
}

async fn present(emu: &Emu, request_id: &str, score: f64) -> reqwest::Response {
    emu.control(
        &format!("/phones/{PHONE}/present"),
        json!({ "requestId": request_id, "score": score }),
    )
    .await
}

/// Asserts a Request Service error body (§2.4) and returns it.
async fn vc_error(r: reqwest::Response, status: u16, code: &str, inner: &str) -> Value {
    assert_eq!(r.status().as_u16(), status);
    let b = json(r).await;
    assert_eq!(b["error"]["code"], code, "{b}");
    assert_eq!(b["error"]["innererror"]["code"], inner, "{b}");
    assert!(b["requestId"].is_string() && b["date"].is_string() && b["mscv"].is_string());
    assert!(b["error"]["message"].is_string() && b["error"]["innererror"]["message"].is_string());
    b
}

fn decode_qr(data_uri: &str) -> String {
    let b64 = data_uri.strip_prefix("data:image/png;base64,").expect("PNG data URI");
    let png = base64::engine::general_purpose::STANDARD.decode(b64).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let img =
        image::load_from_memory_with_format(&png, image::ImageFormat::Png).unwrap().to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(img);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1);
    grids[0].decode().unwrap().1
}

#[tokio::test]
async fn minimal_kiosk_body_creates_a_request_with_a_scannable_qr_code() {
    let emu = Emu::start().await;
    let rx = Receiver::start().await;
    let now = emu.running.state.clock().now_unix();
    let b = create_ok(&emu, &kiosk_body(&rx.url)).await;
    let id = b["requestId"].as_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "requestId is a GUID");
    let url = b["url"].as_str().unwrap();
    assert_eq!(
        url,
        format!(
            "openid-vc://?request_uri={}/v1.0/tenants/{}/verifiableCredentials/presentationRequests/{id}",
            emu.urls().request_service,
            emu.tenant()
        )
    );
    let expiry = b["expiry"].as_i64().unwrap();
    assert!((now + 299..=now + 302).contains(&expiry), "expiry = now + 300 s");
    assert_eq!(decode_qr(b["qrCode"].as_str().unwrap()), url);

    // includeQRCode false (and absent) → no qrCode; /beta is an alias.
    let mut body = kiosk_body(&rx.url);
    body["includeQRCode"] = json!(false);
    let no_qr = create_ok(&emu, &body).await;
    assert!(no_qr.get("qrCode").is_none());
    body.as_object_mut().unwrap().remove("includeQRCode");
    let r = emu
        .http
        .post(format!(
            "{}/beta/verifiableCredentials/createPresentationRequest",
            emu.urls().request_service
        ))
        .bearer_auth(emu.vc_token())
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert!(json(r).await.get("qrCode").is_none());
    assert!(rx.bodies().is_empty(), "creating sends no callback");
}

#[tokio::test]
async fn wallet_fetches_the_request_object_until_it_expires() {
    let emu = Emu::start().await;
    let b = create_ok(&emu, &kiosk_body("https://relay.example.org/vc/callback")).await;
    let uri = b["url"].as_str().unwrap().strip_prefix("openid-vc://?request_uri=").unwrap();
    let r = emu.http.get(uri).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let obj = json(r).await;
    assert_eq!(obj["id"], b["requestId"]);
    assert_eq!(obj["registration"]["clientName"], "Account Recovery Kiosk");
    assert_eq!(obj["requestedCredentials"][0]["type"], "verifiedIdentity");

    emu.control("/clock/advance", json!({ "seconds": 301 })).await;
    vc_error(emu.http.get(uri).send().await.unwrap(), 404, "notFound", "notFound").await;
}

#[tokio::test]
async fn each_documented_validation_error_names_its_field() {
    let emu = Emu::start().await;
    let base = kiosk_body("https://relay.example.org/vc/callback");
    type Edit = fn(&mut Value);
    let cases: Vec<(&str, Edit)> = vec![
        ("includeQRCode", |b| b["includeQRCode"] = json!("yes")),
        ("includeReceipt", |b| b["includeReceipt"] = json!(1)),
        ("authority", |b| {
            b.as_object_mut().unwrap().remove("authority");
        }),
        ("registration.clientName", |b| {
            b["registration"].as_object_mut().unwrap().remove("clientName");
        }),
        ("registration", |b| {
            b.as_object_mut().unwrap().remove("registration");
        }),
        ("callback.url", |b| {
            b["callback"].as_object_mut().unwrap().remove("url");
        }),
        ("callback.url", |b| b["callback"]["url"] = json!("/relative/callback")),
        ("callback.state", |b| {
            b["callback"].as_object_mut().unwrap().remove("state");
        }),
        ("callback.headers", |b| b["callback"]["headers"] = json!({ "X-Custom": "1" })),
        ("requestedCredentials", |b| b["requestedCredentials"] = json!([])),
        ("requestedCredentials[0].type", |b| {
            b["requestedCredentials"][0].as_object_mut().unwrap().remove("type");
        }),
        ("requestedCredentials[0].configuration.validation.faceCheck.sourcePhotoClaimName", |b| {
            b["requestedCredentials"][0]["configuration"]["validation"]["faceCheck"] =
                json!({ "matchConfidenceThreshold": 70 });
        }),
        (
            "requestedCredentials[0].configuration.validation.faceCheck.matchConfidenceThreshold",
            |b| {
                b["requestedCredentials"][0]["configuration"]["validation"]["faceCheck"]["matchConfidenceThreshold"] =
                    json!(49);
            },
        ),
        (
            "requestedCredentials[0].configuration.validation.faceCheck.matchConfidenceThreshold",
            |b| {
                b["requestedCredentials"][0]["configuration"]["validation"]["faceCheck"]["matchConfidenceThreshold"] =
                    json!(70.5);
            },
        ),
        ("requestedCredentials[0].constraints[0]", |b| {
            b["requestedCredentials"][0]["constraints"] =
                json!([{ "claimName": "lastName", "values": ["Lima"], "contains": "Li" }]);
        }),
        ("requestedCredentials[0].constraints[0]", |b| {
            b["requestedCredentials"][0]["constraints"] = json!([{ "claimName": "lastName" }]);
        }),
    ];
    for (target, edit) in cases {
        let mut body = base.clone();
        edit(&mut body);
        let b = vc_error(create(&emu, &body).await, 400, "badRequest", "badOrMissingField").await;
        assert_eq!(b["error"]["innererror"]["target"], target, "{body}");
    }

    // Allowed header names are case-insensitive; a valid constraint and threshold 100 pass.
    let mut ok = base.clone();
    ok["callback"]["headers"] = json!({ "API-KEY": "a", "authorization": "Bearer x" });
    ok["requestedCredentials"][0]["constraints"] =
        json!([{ "claimName": "lastName", "startsWith": "li" }]);
    ok["requestedCredentials"][0]["configuration"]["validation"]["faceCheck"]["matchConfidenceThreshold"] =
        json!(100);
    assert_eq!(create(&emu, &ok).await.status(), 201);

    // Malformed JSON.
    let r = emu
        .http
        .post(create_url(&emu, "createPresentationRequest"))
        .bearer_auth(emu.vc_token())
        .header("content-type", "application/json")
        .body("{\"authority\": ")
        .send()
        .await
        .unwrap();
    vc_error(r, 400, "badRequest", "badOrMissingField").await;
}

#[tokio::test]
async fn https_only_callbacks_when_configured() {
    let mut fixture = reclaim_emulator::Fixture::demo();
    fixture.settings.require_https_callbacks = true;
    fixture.settings.deep_link_tenants_segment = false;
    let emu = Emu::start_with(fixture).await;
    let b = vc_error(
        create(&emu, &kiosk_body("http://relay.example.org/cb")).await,
        400,
        "badRequest",
        "badOrMissingField",
    )
    .await;
    assert_eq!(b["error"]["innererror"]["target"], "callback.url");
    let ok = create_ok(&emu, &kiosk_body("https://relay.example.org/cb")).await;
    let url = ok["url"].as_str().unwrap();
    assert!(
        url.contains(&format!(
            "/v1.0/{}/verifiableCredentials/presentationRequests/",
            emu.tenant()
        ))
    );
}

#[tokio::test]
async fn tokens_are_checked_401_and_403() {
    let emu = Emu::start().await;
    let body = kiosk_body("https://relay.example.org/vc/callback");
    let url = create_url(&emu, "createPresentationRequest");
    let r = emu.http.post(&url).json(&body).send().await.unwrap();
    vc_error(r, 401, "unauthorized", "tokenError").await;
    let r = emu.http.post(&url).bearer_auth("not.a.jwt").json(&body).send().await.unwrap();
    vc_error(r, 401, "unauthorized", "tokenError").await;

    let no_role = emu.mint(KIOSK_CLIENT_ID, Resource::RequestService, &[]);
    let r = emu.http.post(&url).bearer_auth(no_role).json(&body).send().await.unwrap();
    vc_error(r, 403, "forbidden", "tokenError").await;
    let r = emu.http.post(&url).bearer_auth(emu.graph_token()).json(&body).send().await.unwrap();
    vc_error(r, 403, "forbidden", "tokenError").await;

    // The kiosk's PresentRequest role does not allow issuance.
    let r = emu
        .http
        .post(create_url(&emu, "createIssuanceRequest"))
        .bearer_auth(emu.vc_token())
        .json(&issuance_body("https://relay.example.org/cb"))
        .send()
        .await
        .unwrap();
    vc_error(r, 403, "forbidden", "tokenError").await;
}

#[tokio::test]
async fn retrieved_then_verified_with_api_key_and_face_check_score() {
    let emu = Emu::start().await;
    let rx = Receiver::start().await;
    give_credential(&emu, ISSUER, false).await;
    let b = create_ok(&emu, &kiosk_body(&rx.url)).await;
    let id = b["requestId"].as_str().unwrap();

    let r = open(&emu, b["url"].as_str().unwrap()).await;
    assert_eq!(r.status(), 200);
    assert_eq!(json(r).await, json!({ "outcome": "presentationPending", "requestId": id }));
    assert_eq!(rx.statuses(), ["request_retrieved"]);
    let r = present(&emu, id, 88.4).await;
    assert_eq!(r.status(), 200);
    assert_eq!(json(r).await["outcome"], "verified");

    let calls = rx.calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 2);
    for (h, body) in &calls {
        assert_eq!(h["api-key"], "k1ck-2f9e");
        assert!(h["content-type"].to_str().unwrap().starts_with("application/json"));
        assert_eq!(body["requestId"], id);
        assert_eq!(body["state"], "4f0c2a7e-9b1d-4c1e-8f7a-0d5e6b2c9a11");
    }
    assert_eq!(
        calls[0].1,
        json!({"requestId": id, "requestStatus": "request_retrieved",
        "state": "4f0c2a7e-9b1d-4c1e-8f7a-0d5e6b2c9a11"})
    );
    let v = &calls[1].1;
    assert_eq!(v["requestStatus"], "presentation_verified");
    assert!(v["subject"].as_str().unwrap().starts_with("did:"));
    assert!(v.get("receipt").is_none());
    let vc = &v["verifiedCredentialsData"][0];
    assert_eq!(vc["issuer"], ISSUER);
    assert_eq!(vc["type"], json!(["VerifiableCredential", "verifiedIdentity"]));
    assert_eq!(vc["claims"]["firstName"], "Ana");
    assert_eq!(vc["credentialState"]["revocationStatus"], "VALID");
    assert_eq!(vc["domainValidation"]["url"], "https://idv.trueid.example/");
    assert_eq!(vc["issuanceDate"], "2026-08-01T10:00:00Z");
    assert_eq!(vc["expirationDate"], "2099-08-02T10:00:00Z");
    assert!(vc["faceCheck"]["matchConfidenceScore"].is_f64());
    assert_eq!(vc["faceCheck"]["matchConfidenceScore"].as_f64(), Some(88.4));
    assert_eq!(vc["faceCheck"]["sourcePhotoQuality"], "HIGH");

    // The control API saw both deliveries; the request is finished.
    let r = emu.http.get(format!("{}/requests/{id}", emu.urls().control)).send().await.unwrap();
    let st = json(r).await;
    assert_eq!(st["status"], "presentation_verified");
    let d = st["deliveries"].as_array().unwrap();
    assert_eq!(d.len(), 2);
    assert_eq!(d[1]["httpStatus"], 200);
    assert_eq!(d[1]["requestStatus"], "presentation_verified");
    assert_eq!(present(&emu, id, 90.0).await.status(), 409, "no second terminal event");
    assert_eq!(rx.bodies().len(), 2);
}

#[tokio::test]
async fn without_face_check_there_is_no_score_and_receipt_is_optional() {
    let emu = Emu::start().await;
    let rx = Receiver::start().await;
    give_credential(&emu, "did:web:other.example.com", false).await;
    let mut body = kiosk_body(&rx.url);
    body["includeReceipt"] = json!(true);
    body["requestedCredentials"][0] = json!({ "type": "verifiedIdentity" });
    let b = create_ok(&emu, &body).await;
    let id = b["requestId"].as_str().unwrap();
    assert_eq!(present(&emu, id, 10.0).await.status(), 200);
    let v = &rx.bodies()[1];
    let vc = &v["verifiedCredentialsData"][0];
    assert!(vc.get("faceCheck").is_none());
    assert_eq!(vc["domainValidation"]["url"], "https://other.example.com/");
    assert!(v["receipt"]["vp_token"].is_string());
    assert!(v["receipt"].get("faceCheck").is_none());
}

#[tokio::test]
async fn face_check_receipt_is_a_jwt() {
    let emu = Emu::start().await;
    let rx = Receiver::start().await;
    give_credential(&emu, ISSUER, false).await;
    let mut body = kiosk_body(&rx.url);
    body["includeReceipt"] = json!(true);
    let b = create_ok(&emu, &body).await;
    present(&emu, b["requestId"].as_str().unwrap(), 75.0).await;
    let v = &rx.bodies()[1];
    let jwt = v["receipt"]["faceCheck"].as_str().unwrap();
    let payload = jwt.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap(),
    )
    .unwrap();
    assert!(claims["vc"]["type"].as_array().unwrap().contains(&json!("MicrosoftFaceCheckReceipt")));
    let r = &claims["vc"]["credentialSubject"]["faceCheckResults"][0];
    assert_eq!(r["matchConfidenceThreshold"], 70);
    assert_eq!(r["matchConfidenceScore"].as_f64(), Some(75.0));
}

#[tokio::test]
async fn below_threshold_fails_the_whole_presentation_without_a_score() {
    let emu = Emu::start().await;
    let rx = Receiver::start().await;
    give_credential(&emu, ISSUER, false).await;
    let b = create_ok(&emu, &kiosk_body(&rx.url)).await;
    let id = b["requestId"].as_str().unwrap();
    open(&emu, b["url"].as_str().unwrap()).await;
    let r = present(&emu, id, 69.9).await;
    assert_eq!(json(r).await["code"], "claimValidationError");
    let bodies = rx.bodies();
    assert_eq!(rx.statuses(), ["request_retrieved", "presentation_error"]);
    let e = &bodies[1];
    assert_eq!(e["error"]["code"], "claimValidationError");
    assert!(e["error"]["message"].as_str().unwrap().contains("threshold"));
    assert!(!e.to_string().contains("69.9"), "the score is never disclosed");
    assert!(e.get("verifiedCredentialsData").is_none());
}

#[tokio::test]
async fn wrong_issuer_is_no_matching_credential() {
    let emu = Emu::start().await;
    let rx = Receiver::start().await;
    give_credential(&emu, "did:web:idv.vouchsafe.example", false).await;
    let b = create_ok(&emu, &kiosk_body(&rx.url)).await;
    present(&emu, b["requestId"].as_str().unwrap(), 95.0).await;
    assert_eq!(rx.statuses(), ["request_retrieved", "presentation_error"]);
    assert_eq!(rx.bodies()[1]["error"]["code"], "noMatchingCredential");
}

#[tokio::test]
async fn revoked_credential_fails_unless_allow_revoked() {
    let emu = Emu::start().await;
    let rx = Receiver::start().await;
    let cred = give_credential(&emu, ISSUER, false).await;
    let r = emu.control(&format!("/credentials/{cred}/revoke"), json!({})).await;
    assert_eq!(r.status(), 204);

    let b = create_ok(&emu, &kiosk_body(&rx.url)).await;
    present(&emu, b["requestId"].as_str().unwrap(), 95.0).await;
    assert_eq!(rx.bodies()[1]["error"]["code"], "credentialRevoked");

    let mut body = kiosk_body(&rx.url);
    body["requestedCredentials"][0]["configuration"]["validation"]["allowRevoked"] = json!(true);
    let b = create_ok(&emu, &body).await;
    present(&emu, b["requestId"].as_str().unwrap(), 95.0).await;
    let v = &rx.bodies()[3];
    assert_eq!(v["requestStatus"], "presentation_verified");
    assert_eq!(v["verifiedCredentialsData"][0]["credentialState"]["revocationStatus"], "REVOKED");
}

#[tokio::test]
async fn validate_linked_domain_refuses_an_issuer_without_a_verifiable_domain() {
    let emu = Emu::start().await;
    let rx = Receiver::start().await;
    give_credential(&emu, "did:ion:EiDnoLinkedDomain", false).await;
    let mut body = kiosk_body(&rx.url);
    body["requestedCredentials"][0]["acceptedIssuers"] = json!([]);

    // validateLinkedDomain: true (the kiosk body) → presentation_error.
    let b = create_ok(&emu, &body).await;
    let r = present(&emu, b["requestId"].as_str().unwrap(), 95.0).await;
    assert_eq!(json(r).await["code"], "linkedDomainUnverified");
    assert_eq!(rx.statuses(), ["request_retrieved", "presentation_error"]);
    assert_eq!(rx.bodies()[1]["error"]["code"], "linkedDomainUnverified");

    // validateLinkedDomain: false → verified, domainValidation.url as before (none for did:ion).
    body["requestedCredentials"][0]["configuration"]["validation"]["validateLinkedDomain"] =
        json!(false);
    let b = create_ok(&emu, &body).await;
    present(&emu, b["requestId"].as_str().unwrap(), 95.0).await;
    let v = &rx.bodies()[3];
    assert_eq!(v["requestStatus"], "presentation_verified");
    assert_eq!(v["verifiedCredentialsData"][0]["issuer"], "did:ion:EiDnoLinkedDomain");
    assert_eq!(v["verifiedCredentialsData"][0]["domainValidation"]["url"], "");
}

#[tokio::test]
async fn validate_linked_domain_passes_for_the_fixture_issuer() {
    let emu = Emu::start().await;
    let rx = Receiver::start().await;
    give_credential(&emu, ISSUER, false).await;
    // The kiosk body asks for validateLinkedDomain; ISSUER's did:web matches its linked domain.
    let b = create_ok(&emu, &kiosk_body(&rx.url)).await;
    present(&emu, b["requestId"].as_str().unwrap(), 95.0).await;
    let v = &rx.bodies()[1];
    assert_eq!(v["requestStatus"], "presentation_verified");
    assert_eq!(
        v["verifiedCredentialsData"][0]["domainValidation"]["url"],
        "https://idv.trueid.example/"
    );
}

#[tokio::test]
async fn expired_credentials_are_never_presented() {
    let emu = Emu::start().await;
    let rx = Receiver::start().await;
    let in_an_hour = reclaim_emulator::clock::rfc3339(
        emu.running.state.clock().now() + time::Duration::hours(1),
    );
    let add = |first: &'static str, expires: String| {
        let emu = &emu;
        async move {
            let r = emu
                .control(
                    &format!("/phones/{PHONE}/credentials"),
                    json!({
                        "issuer": ISSUER,
                        "types": ["VerifiableCredential", "verifiedIdentity"],
                        "claims": { "firstName": first, "lastName": "Lima", "portrait": "_9j_4AAQ" },
                        "expirationDate": expires,
                    }),
                )
                .await;
            assert_eq!(r.status(), 201);
        }
    };
    add("Ana", in_an_hour).await;
    let b = create_ok(&emu, &kiosk_body(&rx.url)).await;
    present(&emu, b["requestId"].as_str().unwrap(), 95.0).await;
    assert_eq!(rx.bodies()[1]["verifiedCredentialsData"][0]["claims"]["firstName"], "Ana");

    // Two hours on, the only credential has expired: no matching credential.
    let r = emu.control("/clock/advance", json!({ "seconds": 7200 })).await;
    assert!(r.status().is_success());
    let b = create_ok(&emu, &kiosk_body(&rx.url)).await;
    let r = present(&emu, b["requestId"].as_str().unwrap(), 95.0).await;
    assert_eq!(json(r).await["code"], "noMatchingCredential");
    assert_eq!(rx.bodies()[3]["error"]["code"], "noMatchingCredential");

    // With an unexpired one beside it, that one is chosen.
    add("Bea", "2099-01-01T00:00:00Z".to_owned()).await;
    let b = create_ok(&emu, &kiosk_body(&rx.url)).await;
    present(&emu, b["requestId"].as_str().unwrap(), 95.0).await;
    let v = &rx.bodies()[5];
    assert_eq!(v["requestStatus"], "presentation_verified");
    assert_eq!(v["verifiedCredentialsData"][0]["claims"]["firstName"], "Bea");
}

#[tokio::test]
async fn decline_sends_presentation_error() {
    let emu = Emu::start().await;
    let rx = Receiver::start().await;
    give_credential(&emu, ISSUER, false).await;
    let b = create_ok(&emu, &kiosk_body(&rx.url)).await;
    open(&emu, b["url"].as_str().unwrap()).await;
    let r = emu.control(&format!("/phones/{PHONE}/decline"), json!({})).await;
    assert_eq!(r.status(), 204);
    assert_eq!(rx.statuses(), ["request_retrieved", "presentation_error"]);
    assert_eq!(rx.bodies()[1]["error"]["code"], "userCanceled");
}

#[tokio::test]
async fn expired_requests_are_refused_and_send_no_callback() {
    let emu = Emu::start().await;
    let rx = Receiver::start().await;
    give_credential(&emu, ISSUER, false).await;
    let unopened = create_ok(&emu, &kiosk_body(&rx.url)).await;
    let opened = create_ok(&emu, &kiosk_body(&rx.url)).await;
    open(&emu, opened["url"].as_str().unwrap()).await;
    assert_eq!(rx.statuses(), ["request_retrieved"]);

    emu.control("/clock/advance", json!({ "seconds": 301 })).await;
    assert_eq!(open(&emu, unopened["url"].as_str().unwrap()).await.status(), 410);
    assert_eq!(present(&emu, opened["requestId"].as_str().unwrap(), 95.0).await.status(), 410);
    let r = emu
        .control(&format!("/phones/{PHONE}/decline"), json!({ "requestId": opened["requestId"] }))
        .await;
    assert_eq!(r.status(), 410);
    assert_eq!(rx.statuses(), ["request_retrieved"], "no callback after expiry");
    let r = emu
        .http
        .get(format!("{}/requests/{}", emu.urls().control, opened["requestId"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    let st = json(r).await;
    assert_eq!(st["expired"], true);
    assert_eq!(st["status"], "retrieved");
}

#[tokio::test]
async fn dropped_and_duplicated_callbacks() {
    let emu = Emu::start().await;
    let rx = Receiver::start().await;
    give_credential(&emu, ISSUER, false).await;
    let r = emu
        .control(
            "/faults",
            json!([{ "service": "requestService", "kind": "dropCallbacks", "count": 1 },
                   { "service": "requestService", "kind": "duplicateCallbacks", "count": 1 }]),
        )
        .await;
    assert_eq!(r.status(), 204);
    let b = create_ok(&emu, &kiosk_body(&rx.url)).await;
    let id = b["requestId"].as_str().unwrap();
    open(&emu, b["url"].as_str().unwrap()).await;
    present(&emu, id, 90.0).await;
    // request_retrieved dropped; presentation_verified sent twice.
    assert_eq!(rx.statuses(), ["presentation_verified", "presentation_verified"]);
    let st =
        json(emu.http.get(format!("{}/requests/{id}", emu.urls().control)).send().await.unwrap())
            .await;
    let outcomes: Vec<&str> = st["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["dropped", "delivered", "delivered"]);
}

#[tokio::test]
async fn injected_throttling_and_outage_use_the_request_service_error_shape() {
    let emu = Emu::start().await;
    let body = kiosk_body("https://relay.example.org/vc/callback");
    for (status, code) in [(429, "tooManyRequests"), (503, "serviceUnavailable")] {
        emu.control(
            "/faults",
            json!({ "service": "requestService", "pathContains": "createPresentationRequest",
                    "kind": "status", "status": status, "retryAfter": 7 }),
        )
        .await;
        let r = create(&emu, &body).await;
        assert_eq!(r.headers()["retry-after"], "7");
        vc_error(r, status, code, "transientError").await;
    }
    assert_eq!(create(&emu, &body).await.status(), 201, "faults are used up");
}

fn issuance_body(callback_url: &str) -> Value {
    json!({
        "authority": ISSUER,
        "includeQRCode": false,
        "registration": { "clientName": "TrueIdentity" },
        "callback": { "url": callback_url, "state": "iss-1", "headers": { "api-key": "idv-key" } },
        "type": "verifiedIdentity",
        "manifestUrl": TRUEID_MANIFEST,
        "claims": { "firstName": "Ana", "lastName": "Lima", "portrait": "_9j_4AAQ" },
        "expirationDate": "2026-12-31T00:00:00Z"
    })
}

async fn create_issuance(emu: &Emu, body: &Value) -> reqwest::Response {
    let token = emu.mint(
        IDV_CLIENT_ID,
        Resource::RequestService,
        &["VerifiableCredential.Create.IssueRequest"],
    );
    emu.http
        .post(create_url(emu, "createIssuanceRequest"))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn issuance_puts_the_credential_on_the_phone() {
    let emu = Emu::start().await;
    let rx = Receiver::start().await;
    let r = create_issuance(&emu, &issuance_body(&rx.url)).await;
    assert_eq!(r.status(), 201);
    let b = json(r).await;
    let id = b["requestId"].as_str().unwrap();
    assert!(b.get("qrCode").is_none());
    assert!(
        b["url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/verifiableCredentials/issuanceRequests/{id}"))
    );

    let r = open(&emu, b["url"].as_str().unwrap()).await;
    assert_eq!(r.status(), 200);
    let out = json(r).await;
    assert_eq!(out["outcome"], "issued");
    assert_eq!(rx.statuses(), ["request_retrieved", "issuance_successful"]);
    for (h, body) in rx.calls.lock().unwrap().iter() {
        assert_eq!(h["api-key"], "idv-key");
        assert_eq!(body["requestId"], id);
        assert_eq!(body["state"], "iss-1");
    }
    let creds = emu.running.state.phones().credentials(PHONE);
    assert_eq!(creds.len(), 1);
    assert_eq!(creds[0].id, out["credentialId"].as_str().unwrap());
    assert_eq!(creds[0].issuer, ISSUER);
    assert_eq!(creds[0].types, ["VerifiableCredential", "verifiedIdentity"]);
    assert_eq!(creds[0].claims["lastName"], "Lima");
    assert_eq!(creds[0].expiration_date, "2026-12-31T00:00:00Z");
    assert_eq!(open(&emu, b["url"].as_str().unwrap()).await.status(), 409, "issued once");
}

#[tokio::test]
async fn issuance_validation() {
    let emu = Emu::start().await;
    type Edit = fn(&mut Value);
    let cases: Vec<(&str, Edit)> = vec![
        ("manifest", |b| {
            b.as_object_mut().unwrap().remove("manifestUrl");
        }),
        ("type", |b| {
            b.as_object_mut().unwrap().remove("type");
        }),
        ("pin.length", |b| b["pin"] = json!({ "value": "1234", "length": 3 })),
        ("pin.length", |b| b["pin"] = json!({ "value": "1234", "length": 17 })),
        ("authority", |b| b["authority"] = json!(42)),
        ("callback.headers", |b| b["callback"]["headers"] = json!({ "Cookie": "x" })),
    ];
    for (target, edit) in cases {
        let mut body = issuance_body("https://idv.example/cb");
        edit(&mut body);
        let b =
            vc_error(create_issuance(&emu, &body).await, 400, "badRequest", "badOrMissingField")
                .await;
        assert_eq!(b["error"]["innererror"]["target"], target, "{body}");
    }
    let mut body = issuance_body("https://idv.example/cb");
    let m = body.as_object_mut().unwrap().remove("manifestUrl").unwrap();
    body["manifest"] = m;
    body["pin"] = json!({ "value": "1234", "length": 4 });
    assert_eq!(create_issuance(&emu, &body).await.status(), 201);
}
