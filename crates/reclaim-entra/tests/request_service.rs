//! Verified ID Request Service (§2): exact request body, 201 only, typed errors.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns; failures are test failures

mod common;

use common::*;
use reclaim_entra::request_service::{
    Callback, IssuanceRequest, PresentationRequest, Registration, RequestedCredential,
};
use reclaim_entra::{EntraError, ErrorKind, RequestServiceClient, Secret};
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const CREATE: &str = "/v1.0/verifiableCredentials/createPresentationRequest";

async fn setup() -> (MockServer, RequestServiceClient) {
    let server = MockServer::start().await;
    mount_token(&server).await;
    let client = RequestServiceClient::builder()
        .base_url(server.uri())
        .token_source(secret_source(&server))
        .build()
        .unwrap();
    (server, client)
}

fn kiosk_request() -> PresentationRequest {
    PresentationRequest {
        authority: "did:web:verifier.example.org".into(),
        include_qr_code: true,
        include_receipt: false,
        registration: Registration {
            client_name: "Account Recovery Kiosk".into(),
            purpose: Some("Prove it is you".into()),
            logo_url: None,
            terms_of_service_url: None,
        },
        callback: Callback::with_api_key(
            "https://relay.example.org/vc/callback",
            "4f0c2a7e-9b1d-4c1e-8f7a-0d5e6b2c9a11",
            Secret::from("k1ck-2f9e"),
        ),
        requested_credentials: vec![RequestedCredential::with_face_check(
            "verifiedIdentity",
            vec!["did:web:idv.partner.example".into()],
            "portrait",
            70,
        )],
    }
}

fn created() -> serde_json::Value {
    json!({
        "requestId": "e4ef27ca-eb8c-4b63-823b-3b95140eac11",
        "url": "openid-vc://?request_uri=https://verifiedid.did.msidentity.com/v1.0/tenants/t/verifiableCredentials/presentationRequests/e4ef27ca-eb8c-4b63-823b-3b95140eac11",
        "expiry": 1787227503,
        "qrCode": "data:image/png;base64,iVBORw0KGgo="
    })
}

#[test]
fn minimal_kiosk_body_serializes_exactly() {
    let sent = serde_json::to_value(kiosk_request()).unwrap();
    assert_eq!(sent, fixture_json("presentation_request_minimal.json"));
    assert!(!format!("{:?}", kiosk_request()).contains("k1ck-2f9e"), "api-key must be redacted");
}

#[tokio::test]
async fn create_presentation_request_sends_minimal_body_and_parses_201() {
    let (server, client) = setup().await;
    Mock::given(method("POST"))
        .and(path(CREATE))
        .and(header("authorization", "Bearer tok-1"))
        .and(header("content-type", "application/json"))
        .and(body_json(fixture_json("presentation_request_minimal.json")))
        .respond_with(ResponseTemplate::new(201).set_body_json(created()))
        .expect(1)
        .mount(&server)
        .await;
    let resp = client.create_presentation_request(&kiosk_request()).await.unwrap();
    assert_eq!(resp.request_id, "e4ef27ca-eb8c-4b63-823b-3b95140eac11");
    assert!(resp.url.starts_with("openid-vc://?request_uri="));
    assert_eq!(resp.expiry, 1787227503);
    assert!(resp.qr_code.unwrap().starts_with("data:image/png;base64,"));
}

#[tokio::test]
async fn status_200_is_unexpected() {
    let (server, client) = setup().await;
    Mock::given(method("POST"))
        .and(path(CREATE))
        .respond_with(ResponseTemplate::new(200).set_body_json(created()))
        .expect(1)
        .mount(&server)
        .await;
    let err = client.create_presentation_request(&kiosk_request()).await.unwrap_err();
    assert!(matches!(err, EntraError::UnexpectedStatus { status: 200, .. }), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::UnexpectedStatus);
}

#[tokio::test]
async fn error_body_is_typed() {
    let (server, client) = setup().await;
    Mock::given(method("POST"))
        .and(path(CREATE))
        .respond_with(
            ResponseTemplate::new(400).set_body_string(fixture("request_service_error.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    let err = client.create_presentation_request(&kiosk_request()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadRequest);
    assert!(!err.is_retryable());
    let EntraError::RequestService(e) = err else { panic!("{err:?}") };
    assert_eq!(e.status, 400);
    assert_eq!(e.code, "badRequest");
    assert_eq!(e.message, "The request is invalid.");
    assert_eq!(e.inner_code.as_deref(), Some("badOrMissingField"));
    assert_eq!(e.inner_message.as_deref(), Some("<detail, e.g. field X is not boolean>"));
    assert_eq!(e.target.as_deref(), Some("includeQRCode"));
    assert_eq!(e.request_id.as_deref(), Some("<id>"));
    assert_eq!(e.mscv.as_deref(), Some("<correlation vector>"));
}

#[tokio::test]
async fn transient_429_is_retried() {
    let (server, client) = setup().await;
    Mock::given(method("POST"))
        .and(path(CREATE))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "0").set_body_json(
            json!({
            "requestId": "r", "error": { "code": "tooManyRequests", "message": "throttled",
            "innererror": { "code": "transientError", "message": "try later" } } }),
        ))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(CREATE))
        .respond_with(ResponseTemplate::new(201).set_body_json(created()))
        .expect(1)
        .mount(&server)
        .await;
    client.create_presentation_request(&kiosk_request()).await.unwrap();
}

#[tokio::test]
async fn token_error_401_reauthenticates_once() {
    let (server, client) = setup().await;
    Mock::given(method("POST"))
        .and(path(CREATE))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": { "code": "unauthorized", "message": "The request is not authorized.",
            "innererror": { "code": "tokenError", "message": "expired", "target": "access_token" } } })))
        .expect(2)
        .mount(&server)
        .await;
    let err = client.create_presentation_request(&kiosk_request()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
}

#[tokio::test]
async fn create_issuance_request_posts_to_issuance_endpoint() {
    let (server, client) = setup().await;
    Mock::given(method("POST"))
        .and(path("/v1.0/verifiableCredentials/createIssuanceRequest"))
        .and(body_json(json!({
            "authority": "did:web:idv.partner.example",
            "includeQRCode": false,
            "callback": { "url": "https://idv.example/cb", "state": "s1", "headers": { "api-key": "k" } },
            "registration": { "clientName": "IDV" },
            "type": "verifiedIdentity",
            "manifest": "https://verifiedid.did.msidentity.com/v1.0/tenants/t/verifiableCredentials/contracts/c/manifest"
        })))
        .respond_with(ResponseTemplate::new(201).set_body_json(created()))
        .expect(1)
        .mount(&server)
        .await;
    let req = IssuanceRequest {
        authority: "did:web:idv.partner.example".into(),
        include_qr_code: Some(false),
        callback: Callback::with_api_key("https://idv.example/cb", "s1", Secret::from("k")),
        registration: Registration {
            client_name: "IDV".into(),
            purpose: None,
            logo_url: None,
            terms_of_service_url: None,
        },
        credential_type: "verifiedIdentity".into(),
        manifest: "https://verifiedid.did.msidentity.com/v1.0/tenants/t/verifiableCredentials/contracts/c/manifest".into(),
        claims: None,
        pin: None,
        expiration_date: None,
    };
    client.create_issuance_request(&req).await.unwrap();
}

/// `microsoft-apis-v2.md` §5.3's worked example (LOCAL): salt prepended, SHA-256, base64.
#[test]
fn hashed_pin_matches_the_worked_example() {
    use reclaim_entra::request_service::{Pin, hash_pin};
    let salt = "7c1e0d2a-5b7f-4e51-9c9a-2f6a1d3b8e44";
    let pin = Secret::new("3539");
    assert_eq!(hash_pin(salt, &pin).expose(), "iKA7mUgRbtHm1YREvxFP0xSrKuNQ5o+C4Qr3TN4DCp0=");
    let p = Pin::hashed(&pin, salt).unwrap();
    assert_eq!(
        serde_json::to_value(&p).unwrap(),
        json!({ "value": "iKA7mUgRbtHm1YREvxFP0xSrKuNQ5o+C4Qr3TN4DCp0=", "type": "numeric",
                "length": 4, "salt": salt, "alg": "sha256", "iterations": 1 })
    );
    assert!(!format!("{p:?}").contains("3539"));
    for bad in ["123", "12345678901234567", "12a4", ""] {
        assert!(Pin::hashed(&Secret::new(bad), salt).is_none(), "{bad}");
    }
    let random = Pin::hashed_with_random_salt(&pin).unwrap();
    assert_ne!(random.salt.as_deref(), Some(salt));
    let shown = Pin::random_digits(6);
    assert_eq!(shown.expose().len(), 6);
    assert!(shown.expose().bytes().all(|b| b.is_ascii_digit()));
}

/// The §5.3 issuance body (RecoveredEmployee with claims, hashed PIN and expirationDate) is what
/// the client sends, field for field.
#[test]
fn recovered_employee_issuance_body_serializes_exactly() {
    use reclaim_entra::SensitiveValue;
    use reclaim_entra::request_service::Pin;
    let manifest = "https://verifiedid.did.msidentity.com/v1.0/tenants/aaaabbbb-0000-cccc-1111-dddd2222eeee/verifiableCredentials/contracts/MTIzNDU2/manifest";
    let claims = [("given_name", "Ana"), ("family_name", "Lima"), ("photo", "_9j_4AAQ")]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), SensitiveValue::new(json!(v))))
        .collect();
    let req = IssuanceRequest {
        authority: "did:web:verifiedid.contoso.example".into(),
        include_qr_code: Some(true),
        callback: Callback::with_api_key(
            "https://relay.contoso.example/vc/issuance-callback",
            "4f0c2a7e",
            Secret::from("k1ck-2f9e"),
        ),
        registration: Registration {
            client_name: "Contoso Reclaim".into(),
            purpose: None,
            logo_url: None,
            terms_of_service_url: None,
        },
        credential_type: "RecoveredEmployee".into(),
        manifest: manifest.into(),
        claims: Some(claims),
        pin: Pin::hashed(&Secret::new("3539"), "7c1e0d2a-5b7f-4e51-9c9a-2f6a1d3b8e44"),
        expiration_date: Some("2026-09-30T23:59:59.000Z".into()),
    };
    assert_eq!(
        serde_json::to_value(&req).unwrap(),
        json!({
          "authority": "did:web:verifiedid.contoso.example",
          "includeQRCode": true,
          "registration": { "clientName": "Contoso Reclaim" },
          "callback": { "url": "https://relay.contoso.example/vc/issuance-callback", "state": "4f0c2a7e", "headers": { "api-key": "k1ck-2f9e" } },
          "type": "RecoveredEmployee",
          "manifest": manifest,
          "claims": { "given_name": "Ana", "family_name": "Lima", "photo": "_9j_4AAQ" },
          "pin": { "value": "iKA7mUgRbtHm1YREvxFP0xSrKuNQ5o+C4Qr3TN4DCp0=", "type": "numeric", "length": 4,
                   "salt": "7c1e0d2a-5b7f-4e51-9c9a-2f6a1d3b8e44", "alg": "sha256", "iterations": 1 },
          "expirationDate": "2026-09-30T23:59:59.000Z"
        })
    );
}
