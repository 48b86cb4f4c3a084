//! Token endpoint (§1): secret and certificate credentials, caching, refresh, errors.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns; failures are test failures

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use reclaim_entra::{
    AssertionAlgorithm, ClientCertificate, EntraError, ErrorKind, GRAPH_SCOPE,
    REQUEST_SERVICE_SCOPE, Secret, TokenSource,
};
use serde_json::Value;
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

struct TestCert {
    cert_pem: String,
    cert_der: Vec<u8>,
    key_pem: String,
    key_pkcs8_der: Vec<u8>,
}

fn make_cert() -> TestCert {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap();
    let cert = rcgen::CertificateParams::new(vec!["reclaim-kiosk.example".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    TestCert {
        cert_pem: cert.pem(),
        cert_der: cert.der().to_vec(),
        key_pem: key.serialize_pem(),
        key_pkcs8_der: key.serialize_der(),
    }
}

/// Verifies the assertion the mock received, with the certificate's own public key.
async fn verify_received_assertion(
    server: &MockServer,
    cert_der: &[u8],
    alg: Algorithm,
) -> (jsonwebtoken::Header, Value) {
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    let form = form_pairs(&requests[0].body);
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    assert_eq!(get("grant_type").as_deref(), Some("client_credentials"));
    assert_eq!(get("client_id").as_deref(), Some(CLIENT_ID));
    assert_eq!(get("scope").as_deref(), Some(GRAPH_SCOPE));
    assert_eq!(
        get("client_assertion_type").as_deref(),
        Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    );
    assert_eq!(get("client_secret"), None);
    let assertion = get("client_assertion").unwrap();

    let header = jsonwebtoken::decode_header(&assertion).unwrap();
    assert_eq!(header.alg, alg);
    assert_eq!(header.typ.as_deref(), Some("JWT"));

    let (_, parsed) = x509_parser::parse_x509_certificate(cert_der).unwrap();
    let rsa_pub = parsed.public_key().subject_public_key.data.to_vec();
    let key = DecodingKey::from_rsa_der(&rsa_pub);
    let aud = format!("{}{}", server.uri(), token_path());
    let mut validation = Validation::new(alg);
    validation.set_audience(&[aud.as_str()]);
    validation.set_issuer(&[CLIENT_ID]);
    validation.set_required_spec_claims(&["exp", "nbf", "aud", "iss", "sub"]);
    let data = jsonwebtoken::decode::<Value>(&assertion, &key, &validation).unwrap();
    let c = &data.claims;
    assert_eq!(c["sub"], CLIENT_ID);
    assert_eq!(c["iss"], CLIENT_ID);
    assert_eq!(c["aud"], aud.as_str());
    uuid::Uuid::parse_str(c["jti"].as_str().unwrap()).unwrap();
    let (nbf, iat, exp) =
        (c["nbf"].as_i64().unwrap(), c["iat"].as_i64().unwrap(), c["exp"].as_i64().unwrap());
    assert_eq!(nbf, iat);
    assert_eq!(exp - nbf, 600);
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    assert!((now - iat).abs() < 30);
    (data.header, data.claims)
}

fn b64url(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

async fn cert_token(server: &MockServer, cert: ClientCertificate) {
    mount_token(server).await;
    let source = TokenSource::builder()
        .authority(server.uri())
        .tenant(TENANT)
        .client_id(CLIENT_ID)
        .certificate(cert)
        .build()
        .unwrap();
    let token = source.token(GRAPH_SCOPE).await.unwrap();
    assert_eq!(token.secret().expose(), "tok-1");
}

#[tokio::test]
async fn secret_credential_sends_exact_form_fields() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("tok-1", 3599)))
        .expect(1)
        .mount(&server)
        .await;
    let source = secret_source(&server);
    let token = source.token(REQUEST_SERVICE_SCOPE).await.unwrap();
    assert_eq!(token.secret().expose(), "tok-1");
    assert!(!format!("{token:?}").contains("tok-1"), "token Debug must be redacted");
    assert!(!format!("{source:?}").contains("s3cr"), "secret Debug must be redacted");

    let requests = server.received_requests().await.unwrap();
    let form = form_pairs(&requests[0].body);
    let expected: Vec<(String, String)> = [
        ("grant_type", "client_credentials"),
        ("client_id", CLIENT_ID),
        ("scope", "3db474b9-6a0c-4840-96ac-1fceb342124f/.default"),
        ("client_secret", "s3cr+t&x"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(form, expected);
    // The secret is URL-encoded on the wire.
    let raw = String::from_utf8(requests[0].body.clone()).unwrap();
    assert!(raw.contains("client_secret=s3cr%2Bt%26x"), "{raw}");
}

#[tokio::test]
async fn pem_certificate_rs256_with_x5t() {
    let server = MockServer::start().await;
    let tc = make_cert();
    let cert = ClientCertificate::from_pem(
        tc.cert_pem.as_bytes(),
        tc.key_pem.as_bytes(),
        AssertionAlgorithm::Rs256X5t,
    )
    .unwrap();
    assert!(!format!("{cert:?}").contains("PRIVATE"));
    cert_token(&server, cert).await;
    let (header, _) = verify_received_assertion(&server, &tc.cert_der, Algorithm::RS256).await;
    use sha1::Digest as _;
    assert_eq!(header.x5t, Some(b64url(&sha1::Sha1::digest(&tc.cert_der))));
    assert_eq!(header.x5t_s256, None);
}

#[tokio::test]
async fn pem_certificate_ps256_with_x5t_s256() {
    let server = MockServer::start().await;
    let tc = make_cert();
    let cert = ClientCertificate::from_pem(
        tc.cert_pem.as_bytes(),
        tc.key_pem.as_bytes(),
        AssertionAlgorithm::Ps256X5tS256,
    )
    .unwrap();
    cert_token(&server, cert).await;
    let (header, _) = verify_received_assertion(&server, &tc.cert_der, Algorithm::PS256).await;
    use sha2::Digest as _;
    assert_eq!(header.x5t_s256, Some(b64url(&sha2::Sha256::digest(&tc.cert_der))));
    assert_eq!(header.x5t, None);
}

#[tokio::test]
async fn pfx_certificate_loads_and_signs() {
    let tc = make_cert();
    let key = p12_keystore::PrivateKey::from_der(&tc.key_pkcs8_der).unwrap();
    let chain = p12_keystore::PrivateKeyChain::new(
        b"kiosk-key".as_slice(),
        key,
        [p12_keystore::Certificate::from_der(&tc.cert_der).unwrap()],
    );
    let mut store = p12_keystore::KeyStore::new();
    store.add_entry("kiosk", p12_keystore::KeyStoreEntry::PrivateKeyChain(chain));
    let pfx = store.writer("pfx-pass").write().unwrap();

    let wrong = ClientCertificate::from_pfx(&pfx, &Secret::from("nope"), Default::default());
    assert_eq!(wrong.unwrap_err().kind(), ErrorKind::Config);

    let cert = ClientCertificate::from_pfx(
        &pfx,
        &Secret::from("pfx-pass"),
        AssertionAlgorithm::Ps256X5tS256,
    )
    .unwrap();
    assert_eq!(cert.certificate_der(), tc.cert_der.as_slice());
    let server = MockServer::start().await;
    cert_token(&server, cert).await;
    verify_received_assertion(&server, &tc.cert_der, Algorithm::PS256).await;
}

#[tokio::test]
async fn cached_token_second_call_makes_no_request() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("tok-1", 3599)))
        .expect(1)
        .mount(&server)
        .await;
    let source = secret_source(&server);
    let a = source.token(GRAPH_SCOPE).await.unwrap();
    let b = source.token(GRAPH_SCOPE).await.unwrap();
    assert_eq!(a.secret(), b.secret());
}

#[tokio::test]
async fn one_cached_token_per_scope() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .and(body_string_contains("graph.microsoft.com"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("graph-tok", 3599)))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .and(body_string_contains("3db474b9"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("vc-tok", 3599)))
        .expect(1)
        .mount(&server)
        .await;
    let source = secret_source(&server);
    for _ in 0..2 {
        assert_eq!(source.token(GRAPH_SCOPE).await.unwrap().secret().expose(), "graph-tok");
        assert_eq!(source.token(REQUEST_SERVICE_SCOPE).await.unwrap().secret().expose(), "vc-tok");
    }
}

#[tokio::test]
async fn token_is_refreshed_before_expiry() {
    let server = MockServer::start().await;
    // A 2 s token: the refresh margin is capped at half the lifetime → refresh after 1 s.
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("short", 2)))
        .expect(2)
        .mount(&server)
        .await;
    let source = secret_source(&server);
    let first = source.token(GRAPH_SCOPE).await.unwrap();
    source.token(GRAPH_SCOPE).await.unwrap(); // still fresh: cached
    assert!(first.refresh_at() < first.expires_at());
    tokio::time::sleep(Duration::from_millis(1100)).await;
    source.token(GRAPH_SCOPE).await.unwrap(); // due: refreshed while still valid
}

#[tokio::test]
async fn default_margin_refreshes_five_minutes_early() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    let source = secret_source(&server);
    let token = source.token(GRAPH_SCOPE).await.unwrap();
    let early = token.expires_at() - token.refresh_at();
    assert_eq!(early, Duration::from_secs(300));
}

#[tokio::test]
async fn concurrent_callers_share_one_request() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(token_body("tok-1", 3599))
                .set_delay(Duration::from_millis(300)),
        )
        .expect(1)
        .mount(&server)
        .await;
    let source = secret_source(&server);
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let s = Arc::clone(&source);
            tokio::spawn(async move { s.token(GRAPH_SCOPE).await.unwrap() })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().secret().expose(), "tok-1");
    }
}

#[tokio::test]
async fn invalidate_forces_a_new_request() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("tok-1", 3599)))
        .expect(2)
        .mount(&server)
        .await;
    let source = secret_source(&server);
    source.token(GRAPH_SCOPE).await.unwrap();
    source.invalidate(GRAPH_SCOPE).await;
    source.token(GRAPH_SCOPE).await.unwrap();
}

#[tokio::test]
async fn aadsts_error_is_parsed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(ResponseTemplate::new(400).set_body_string(fixture("token_error.json")))
        .expect(1) // 400 is not retried
        .mount(&server)
        .await;
    let err = secret_source(&server).token(GRAPH_SCOPE).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TokenRejected);
    assert!(!err.is_retryable());
    let EntraError::Token(t) = err else { panic!("{err:?}") };
    assert_eq!(t.status, 400);
    assert_eq!(t.error, "invalid_scope");
    assert_eq!(t.aadsts, vec![70011]);
    assert!(t.has_aadsts(70011));
    assert!(t.description.as_deref().unwrap().starts_with("AADSTS70011:"));
    assert_eq!(t.trace_id.as_deref(), Some("<guid>"));
    assert_eq!(t.correlation_id.as_deref(), Some("<guid>"));
    assert_eq!(t.timestamp.as_deref(), Some("yyyy-mm-dd hh:mm:ssZ"));
}

#[tokio::test]
async fn aadsts_code_from_description_when_codes_missing() {
    let body = br#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: t\r\nCorrelation ID: c"}"#;
    let t = reclaim_entra::TokenError::parse(401, &Default::default(), body).unwrap();
    assert_eq!(t.aadsts, vec![7000215]);
    assert_eq!(t.error, "invalid_client");
}

#[tokio::test]
async fn token_503_is_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(ResponseTemplate::new(503).insert_header("Retry-After", "0"))
        .up_to_n_times(1)
        .expect(1)
        .with_priority(1)
        .mount(&server)
        .await;
    mount_token(&server).await;
    let token = secret_source(&server).token(GRAPH_SCOPE).await.unwrap();
    assert_eq!(token.secret().expose(), "tok-1");
}
