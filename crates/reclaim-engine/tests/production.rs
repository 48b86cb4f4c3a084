//! `production::assemble` from a production TOML file pointed at the in-process emulator and a
//! relay by URL alone (as the kiosk would reach a real tenant), with the secrets in a
//! `MemoryStore`: the assembled engine passes pre-flight (over TLS with the certificate
//! credential, and over loopback http with the client secret), a wrong secret fails it, a whole
//! recovery issues the TAP the tenant holds, and the errors name what is missing.
#![cfg(all(feature = "production", feature = "demo"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;

use common::{Credential, STATION, Tenant, recover_ana_to_tap};
use reclaim_config::{Config, MemoryStore, SecretName};
use reclaim_engine::demo::KIOSK_CLIENT_ID;
use reclaim_engine::production::{ProductionError, Station, assemble};
use reclaim_engine::{DocumentKind, Engine, PreflightProblem, StationMode};

/// A production file with only the station section's mode changed, for the tests that need
/// no running tenant (loopback URLs that are never called).
fn offline_toml(mode: &str, hosted_flow_url: &str) -> String {
    format!(
        r#"[station]
id = "{STATION}"
mode = "{mode}"

[tenant]
id = "contoso.onmicrosoft.com"
client_id = "{KIOSK_CLIENT_ID}"

[tenant.credential]
kind = "secret"

[endpoints]
login = "http://127.0.0.1:9/login"
graph = "http://127.0.0.1:9/graph"
request_service = "http://127.0.0.1:9/vc"

[verifier]
authority = "did:web:verifiedid.contoso.example"

[relay]
url = "http://127.0.0.1:9"

[[providers]]
id = "trueid"
display_name = "TrueIdentity"
issuer_did = "did:web:idv.trueid.example"
hosted_flow_url = "{hosted_flow_url}"
documents = ["passport"]
"#
    )
}

fn offline(text: &str) -> Config {
    Config::from_toml(text, "reclaim.toml", Path::new("/"))
        .unwrap_or_else(|e| panic!("the file validates:\n{e}"))
}

fn assemble_ok(tenant: &Tenant, credential: Credential) -> Station {
    let config = tenant.load(&tenant.toml(credential));
    assemble(&config, &tenant.secrets(credential)).unwrap_or_else(|e| panic!("assembles: {e}"))
}

#[tokio::test]
async fn assembled_over_tls_with_the_certificate_the_station_is_ready() {
    let tenant = Tenant::start(true).await;
    assert!(tenant.emulator.urls.login.starts_with("https://"), "the emulator serves TLS");
    let station = assemble_ok(&tenant, Credential::Certificate);

    let s = &station.settings;
    assert_eq!(s.station_id, STATION);
    assert_eq!(s.mode, StationMode::Production);
    assert!(!s.camera_available, "the shell sets it");
    assert_eq!(s.config.face_check_threshold, 75, "[recovery] from the file");
    assert_eq!(s.config.max_presentation_attempts, 2);
    assert_eq!(s.config.idle_timeout_secs, 120, "[timeouts] from the file");
    let fixture = tenant.emulator.state.fixture();
    let ids: Vec<_> = s.providers.iter().map(|p| p.card.id.as_str()).collect();
    let expected: Vec<_> = fixture.providers.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, expected, "[[providers]] in file order");
    assert_eq!(s.providers[0].issuer_did, fixture.providers[0].issuer_did);
    assert!(s.providers[0].card.documents.contains(&DocumentKind::Passport));

    let engine = Engine::spawn(station.ports, station.settings);
    let view = engine.preflight().await;
    assert_eq!(view.problems, Vec::<PreflightProblem>::new());
    assert!(view.ready);
    assert_eq!(view.mode, StationMode::Production);
    assert_eq!(view.station_id, STATION);
    drop(engine);
    tenant.shutdown().await;
}

#[tokio::test]
async fn a_wrong_client_secret_fails_the_preflight() {
    let tenant = Tenant::start(false).await;
    let config = tenant.load(&tenant.toml(Credential::Secret));
    let store = tenant.secrets(Credential::Secret).with(&SecretName::ClientSecret, "not-it");
    let station = assemble(&config, &store).unwrap();
    let engine = Engine::spawn(station.ports, station.settings);
    let view = engine.preflight().await;
    assert!(!view.ready);
    assert_eq!(view.problems, [PreflightProblem::TenantUnreachable]);
    drop(engine);
    tenant.shutdown().await;
}

#[tokio::test]
async fn a_whole_production_recovery_shows_the_tap_the_tenant_holds() {
    let tenant = Tenant::start(false).await;
    let station = assemble_ok(&tenant, Credential::Secret);
    let engine = Engine::spawn(station.ports, station.settings);
    assert!(engine.preflight().await.ready);
    recover_ana_to_tap(&tenant, &engine).await;
    drop(engine);
    tenant.shutdown().await;
}

#[tokio::test]
async fn debug_output_holds_no_secret() {
    let tenant = Tenant::start(false).await;
    let station = assemble_ok(&tenant, Credential::Secret);
    let text = format!("{station:?}");
    assert!(text.contains(STATION), "the Debug output is the real one: {text}");
    for value in tenant.secret_values() {
        assert!(!text.contains(&value), "a secret value is in the Debug output: {text}");
    }
    tenant.shutdown().await;
}

#[test]
fn a_missing_secret_is_named_and_no_value_is_shown() {
    let config = offline(&offline_toml("production", "http://127.0.0.1:9/provider/trueid"));
    let link_key = "link-key-0123456789abcdef";
    let relay_credential = "relay-credential-0123456789";
    let full = || {
        MemoryStore::new()
            .with(&SecretName::ClientSecret, "client-secret-value")
            .with(&SecretName::RelayCredential, relay_credential)
            .with(&SecretName::ProviderLinkKey("trueid".into()), link_key)
    };
    assemble(&config, &full()).expect("every secret present");

    let cases = [
        (SecretName::ClientSecret, "client-secret"),
        (SecretName::RelayCredential, "relay-credential"),
        (SecretName::ProviderLinkKey("trueid".into()), "provider.trueid.link-signing-key"),
    ];
    for (missing, account) in cases {
        let store = full();
        reclaim_config::SecretStore::delete(&store, &missing).unwrap();
        let err = assemble(&config, &store).expect_err("a secret is missing");
        let ProductionError::Secret { name, .. } = &err else {
            panic!("expected the secret error for {account}, got {err:?}");
        };
        assert_eq!(name, account);
        let text = err.to_string();
        assert!(text.contains(&format!("`{account}`")), "{text}");
        assert!(text.contains(&format!("reclaim-config set-secret {account}")), "{text}");
        for value in ["client-secret-value", relay_credential, link_key] {
            assert!(!text.contains(value), "{text}");
            assert!(!format!("{err:?}").contains(value), "{err:?}");
        }
    }
}

#[test]
fn a_demo_mode_file_is_refused() {
    let config = offline(&offline_toml("demo", "http://127.0.0.1:9/provider/trueid"));
    let err = assemble(&config, &MemoryStore::new()).expect_err("demo mode");
    assert!(
        matches!(&err, ProductionError::DemoMode { file } if file == "reclaim.toml"),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(text.contains("reclaim.toml") && text.contains("station.mode = \"demo\""), "{text}");

    let minimal = "[station]\nid = \"kiosk-1\"\nmode = \"demo\"\n";
    let err = assemble(&offline(minimal), &MemoryStore::new()).expect_err("demo mode");
    assert!(matches!(err, ProductionError::DemoMode { .. }), "{err:?}");
}

#[tokio::test]
async fn provider_urls_are_used_as_configured_whatever_their_layout() {
    use reclaim_engine::ports::HostedLinkRequest;
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    // A provider whose hosted flow and capture API live on paths that do not end in its id.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/kiosk-api/v2/v1/sessions"))
        .respond_with(ResponseTemplate::new(201).set_body_json(
            serde_json::json!({"sessionId": "s-1", "expiresAt": "2030-01-01T00:00:00Z"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let capture = format!("{}/kiosk-api/v2", server.uri());
    let toml = offline_toml("production", "https://verify.idv.example/flows/kiosk").replace(
        "documents = [\"passport\"]",
        &format!("capture_api_url = \"{capture}\"\ndocuments = [\"passport\"]"),
    );
    let store = MemoryStore::new()
        .with(&SecretName::ClientSecret, "client-secret-value")
        .with(&SecretName::RelayCredential, "relay-credential-0123456789")
        .with(&SecretName::ProviderLinkKey("trueid".into()), "link-key-0123456789abcdef")
        .with(&SecretName::ProviderCaptureKey("trueid".into()), "capture-key-0123456789");
    let station = assemble(&offline(&toml), &store).expect("any provider URL layout is accepted");
    let provider = station.ports.provider.clone();

    let request = HostedLinkRequest {
        request_id: "req-1".into(),
        return_url: "https://relay.contoso.example/r/abc".into(),
        state: "abc".into(),
        expires_at: time::OffsetDateTime::now_utc() + time::Duration::minutes(10),
    };
    let link = provider.hosted_link("trueid", &request).await.expect("a link");
    assert!(link.starts_with("https://verify.idv.example/flows/kiosk/start?token="), "{link}");
    // The link names its audience (the hosted flow's URL), the return state and a short expiry.
    let token = link.split("token=").nth(1).expect("a token");
    let payload = token.split('.').nth(1).expect("a JWT");
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload)
            .expect("base64url"),
    )
    .expect("JSON claims");
    assert_eq!(claims["aud"], "https://verify.idv.example/flows/kiosk", "{claims}");
    assert_eq!(claims["state"], "abc", "{claims}");
    assert_eq!(claims["exp"], request.expires_at.unix_timestamp(), "{claims}");

    // The capture session is created at {capture_api_url}/v1/sessions, nowhere else.
    let session = provider.create_capture("trueid", DocumentKind::Passport).await;
    assert_eq!(session.expect("a capture session").id, "s-1");
    server.verify().await;

    // A provider with a hosted flow only: its camera path is refused before any call.
    let hosted_only = offline_toml("production", "https://verify.idv.example/flows/kiosk");
    let station = assemble(&offline(&hosted_only), &store).expect("a hosted-flow-only provider");
    let refused = station.ports.provider.create_capture("trueid", DocumentKind::Passport).await;
    assert!(
        matches!(
            refused,
            Err(reclaim_engine::ports::CaptureError::Failed(reclaim_core::AdapterFailure::Refused))
        ),
        "{refused:?}"
    );
}

/// A relay serving HTTPS with a certificate from a private CA; returns it, its URL and the CA file.
async fn relay_behind_a_private_ca(
    dir: &Path,
    credential: &str,
) -> (reclaim_relay::RunningRelay, String, std::path::PathBuf) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair, SanType};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca, ca_key);
    let mut leaf = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    leaf.subject_alt_names.push(SanType::IpAddress([127, 0, 0, 1].into()));
    let leaf_key = KeyPair::generate().unwrap();
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer).unwrap();
    let (cert_file, key_file, ca_file) =
        (dir.join("relay.pem"), dir.join("relay.key"), dir.join("private-ca.pem"));
    std::fs::write(&cert_file, format!("{}{}", leaf_cert.pem(), ca_cert.pem())).unwrap();
    std::fs::write(&key_file, leaf_key.serialize_pem()).unwrap();
    std::fs::write(&ca_file, ca_cert.pem()).unwrap();
    let config = reclaim_relay::RelayConfig {
        stations: vec![reclaim_relay::StationConfig {
            id: STATION.into(),
            credential: credential.to_owned(),
        }],
        tls: Some(reclaim_relay::TlsConfig { cert_file, key_file }),
        ..reclaim_relay::RelayConfig::default()
    };
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    listener.set_nonblocking(true).unwrap();
    let relay = reclaim_relay::serve(config, listener).await.expect("the relay starts with TLS");
    let url = relay.base_url().to_owned();
    (relay, url, ca_file)
}

#[tokio::test]
async fn the_relay_probe_trusts_the_configured_private_ca() {
    let dir = tempfile::tempdir().unwrap();
    let credential = "relay-credential-0123456789";
    let (relay, url, ca_file) = relay_behind_a_private_ca(dir.path(), credential).await;
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    let store = MemoryStore::new()
        .with(&SecretName::ClientSecret, "client-secret-value")
        .with(&SecretName::RelayCredential, credential)
        .with(&SecretName::ProviderLinkKey("trueid".into()), "link-key-0123456789abcdef");
    let toml = offline_toml("production", "http://127.0.0.1:9/provider/trueid")
        .replace("[relay]\nurl = \"http://127.0.0.1:9\"", &format!("[relay]\nurl = \"{url}\""));
    let trusting = toml.replace(
        "request_service = \"http://127.0.0.1:9/vc\"",
        &format!("request_service = \"http://127.0.0.1:9/vc\"\nca_file = '{}'", ca_file.display()),
    );
    // The pre-flight's relay check: reachable over TLS when the file names the relay's CA...
    let station = assemble(&offline(&trusting), &store).unwrap();
    station.ports.events.probe().await.expect("the relay is reachable through the private CA");
    // ...and refused without it (the system roots do not know a private CA).
    let station = assemble(&offline(&toml), &store).unwrap();
    assert!(station.ports.events.probe().await.is_err(), "an unknown CA must not be trusted");
    let _ = relay.shutdown().await;
}

#[test]
fn the_keyrings_audit_key_keeps_pseudonyms_across_restarts() {
    use reclaim_core::{AccountRef, Upn};
    let config = offline(&offline_toml("production", "http://127.0.0.1:9/provider/trueid"));
    let store = || {
        MemoryStore::new()
            .with(&SecretName::ClientSecret, "client-secret-value")
            .with(&SecretName::RelayCredential, "relay-credential-0123456789")
            .with(&SecretName::ProviderLinkKey("trueid".into()), "link-key-0123456789abcdef")
    };
    let upn = Upn::new("ana.lima@contoso.example");
    let pseudonym = |store: &MemoryStore| {
        AccountRef::compute(&assemble(&config, store).unwrap().settings.audit_key, &upn)
    };
    // Without one, each start draws its own key: pseudonyms differ from run to run.
    assert_ne!(pseudonym(&store()), pseudonym(&store()));
    // With the fleet's key, two starts (or two stations) agree.
    let key = "fleet-audit-key-0123456789abcdef-0123";
    let keyed = || store().with(&SecretName::AuditKey, key);
    assert_eq!(pseudonym(&keyed()), pseudonym(&keyed()));
}

#[test]
fn the_shipped_example_configuration_assembles() {
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/config");
    let config = Config::from_toml(reclaim_config::EXAMPLE, "reclaim.example.toml", &docs)
        .unwrap_or_else(|e| panic!("the example validates:\n{e}"));
    // Every secret the file names, as `reclaim-config set-secret` would store them.
    let store = config.required_secrets().into_iter().fold(MemoryStore::new(), |store, name| {
        store.with(&name, "example-secret-value-0123456789abcdef")
    });
    let station = assemble(&config, &store).expect("the example is a working production file");
    assert_eq!(station.settings.mode, StationMode::Production);
    let ids: Vec<_> = station.settings.providers.iter().map(|p| p.card.id.clone()).collect();
    assert_eq!(ids, config.providers.iter().map(|p| p.id.clone()).collect::<Vec<_>>());
}
