//! `production::assemble` from a production TOML file pointed at the in-process emulator and a
//! relay by URL alone (as the kiosk would reach a real tenant), with the secrets in a
//! `MemoryStore`: the assembled engine passes pre-flight (over TLS with the certificate
//! credential, and over loopback http with the client secret), a wrong secret fails it, a whole
//! recovery issues the TAP the tenant holds, and the errors name what is missing.
#![cfg(all(feature = "production", feature = "demo"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use reclaim_config::{Config, MemoryStore, SecretName};
use reclaim_emulator::{EmulatorOptions, RunningEmulator};
use reclaim_engine::demo::{KIOSK_CLIENT_ID, KIOSK_SECRET};
use reclaim_engine::production::{ProductionError, Station, assemble};
use reclaim_engine::simulate::is_outcome;
use reclaim_engine::{
    DocumentKind, Engine, PreflightProblem, ScanPath, StationMode, View, ViewUpdate,
};
use reclaim_relay::{RelayConfig, RunningRelay, StationConfig};
use serde_json::{Value, json};

const STATION: &str = "prod-test-1";
/// How long any one screen may take (2 busy cores, debug builds).
const STEP: Duration = Duration::from_secs(30);

/// The emulated tenant and a relay knowing [`STATION`], on loopback ephemeral ports.
struct Tenant {
    emulator: RunningEmulator,
    relay: RunningRelay,
    relay_credential: String,
    dir: tempfile::TempDir,
}

#[derive(Clone, Copy)]
enum Credential {
    /// `kind = "secret"`, the client secret in the store.
    Secret,
    /// `kind = "certificate"`, the emulator's PEM pair for the kiosk app.
    Certificate,
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../reclaim-emulator/fixtures/demo-credentials")
}

impl Tenant {
    async fn start(tls: bool) -> Tenant {
        let emulator = reclaim_emulator::start(EmulatorOptions { tls, ..Default::default() })
            .await
            .expect("emulator starts");
        let relay_credential =
            format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
        let config = RelayConfig {
            stations: vec![StationConfig {
                id: STATION.into(),
                credential: relay_credential.clone(),
            }],
            ..RelayConfig::default()
        };
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
        listener.set_nonblocking(true).unwrap();
        let relay = reclaim_relay::serve(config, listener).await.expect("relay starts");
        Tenant { emulator, relay, relay_credential, dir: tempfile::tempdir().unwrap() }
    }

    /// A production configuration file for this tenant, as an admin would write it.
    fn toml(&self, credential: Credential) -> String {
        let u = &self.emulator.urls;
        let credential = match credential {
            Credential::Secret => "kind = \"secret\"".to_owned(),
            Credential::Certificate => format!(
                "kind = \"certificate\"\npath = '{}'\nkey_path = '{}'\nheader = \"x5t#S256\"",
                fixtures().join("kiosk-demo.cert.pem").display(),
                fixtures().join("kiosk-demo.key.pem").display(),
            ),
        };
        let ca_file = u.ca_file.as_ref().map(|f| format!("ca_file = '{f}'")).unwrap_or_default();
        let mut text = format!(
            r#"[station]
id = "{STATION}"
locale = "en"
mode = "production"

[tenant]
id = "{tenant}"
client_id = "{KIOSK_CLIENT_ID}"

[tenant.credential]
{credential}

[endpoints]
login = "{login}"
graph = "{graph}"
request_service = "{request_service}"
{ca_file}

[verifier]
authority = "did:web:verifiedid.contoso.example"

[relay]
url = "{relay}"
station_credential = "keyring:relay-credential"

[recovery]
face_check_threshold = 75
max_presentation_attempts = 2

[timeouts]
idle_secs = 120
"#,
            tenant = u.tenant,
            login = u.login,
            graph = u.graph,
            request_service = u.request_service,
            relay = self.relay.base_url(),
        );
        for p in &self.emulator.state.fixture().providers {
            let documents: Vec<String> = p.documents.iter().map(|d| format!("{d:?}")).collect();
            text.push_str(&format!(
                r#"
[[providers]]
id = "{id}"
display_name = "{name}"
issuer_did = "{did}"
hosted_flow_url = "{root}/{id}"
capture_api_url = "{root}/{id}"
documents = [{documents}]
"#,
                id = p.id,
                name = p.display_name,
                did = p.issuer_did,
                root = u.provider,
                documents = documents.join(", "),
            ));
        }
        text
    }

    /// Writes `text` as `reclaim.toml` and loads it the way the kiosk does.
    fn load(&self, text: &str) -> Config {
        let path = self.dir.path().join("reclaim.toml");
        std::fs::write(&path, text).unwrap();
        Config::load(&path).unwrap_or_else(|e| panic!("the file validates:\n{e}\n---\n{text}"))
    }

    /// Every secret the file needs, with the emulator's values.
    fn secrets(&self, credential: Credential) -> MemoryStore {
        let mut store =
            MemoryStore::new().with(&SecretName::RelayCredential, &self.relay_credential);
        if let Credential::Secret = credential {
            store = store.with(&SecretName::ClientSecret, KIOSK_SECRET);
        }
        for p in &self.emulator.state.fixture().providers {
            store = store
                .with(&SecretName::ProviderLinkKey(p.id.clone()), &p.link_signing_key)
                .with(&SecretName::ProviderCaptureKey(p.id.clone()), &p.capture_api_key);
        }
        store
    }

    /// Every secret value in play (to look for in `Debug` and error text).
    fn secret_values(&self) -> Vec<String> {
        let mut values = vec![self.relay_credential.clone(), KIOSK_SECRET.to_owned()];
        for p in &self.emulator.state.fixture().providers {
            values.push(p.link_signing_key.clone());
            values.push(p.capture_api_key.clone());
        }
        values
    }

    fn control(&self, path: &str) -> String {
        format!("{}{path}", self.emulator.urls.control.trim_end_matches('/'))
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        let resp = reqwest::Client::new().post(self.control(path)).json(&body).send().await;
        let resp = resp.unwrap_or_else(|e| panic!("POST {path}: {e}"));
        let status = resp.status();
        let text = resp.text().await.unwrap();
        assert!(status.is_success(), "POST {path}: {status}: {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    async fn get(&self, path: &str) -> Value {
        reqwest::get(self.control(path)).await.unwrap().json().await.unwrap()
    }

    fn upn(&self, persona: &str) -> String {
        let fixture = self.emulator.state.fixture();
        fixture.persona(persona).unwrap().user_principal_name.clone()
    }

    async fn shutdown(self) {
        let _ = self.relay.shutdown().await;
        self.emulator.shutdown().await;
    }
}

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

async fn wait(
    rx: &mut tokio::sync::watch::Receiver<ViewUpdate>,
    what: &str,
    pred: impl FnMut(&ViewUpdate) -> bool,
) -> ViewUpdate {
    let seen = tokio::time::timeout(STEP, rx.wait_for(pred)).await.map(|r| r.map(|v| v.clone()));
    match seen {
        Ok(Ok(v)) => v,
        Ok(Err(_)) => panic!("engine stopped while waiting for {what}"),
        Err(_) => panic!("timed out waiting for {what}; last view: {:?}", rx.borrow().view),
    }
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
    let mut rx = engine.subscribe();
    assert!(engine.preflight().await.ready);

    wait(&mut rx, "the attract screen", |v| matches!(v.view, View::Attract)).await;
    engine.begin().await.unwrap();
    wait(&mut rx, "identify", |v| matches!(v.view, View::Identify { .. })).await;
    let upn = tenant.upn("ana");
    engine.submit_upn(upn.clone()).await.unwrap();
    let v = wait(&mut rx, "the provider choice", |v| {
        matches!(v.view, View::ChooseProvider { .. }) || is_outcome(v)
    })
    .await;
    let View::ChooseProvider { providers, camera_available } = &v.view else {
        panic!("expected the provider choice, got {:?}", v.view);
    };
    assert!(!camera_available);
    assert!(providers.iter().any(|p| p.id == "trueid"));

    engine.choose_provider("trueid".into(), ScanPath::Phone).await.unwrap();
    let v = wait(&mut rx, "the hosted link", |v| {
        matches!(&v.view, View::ScanId { link: Some(_), .. }) || is_outcome(v)
    })
    .await;
    let View::ScanId { link: Some(link), .. } = &v.view else {
        panic!("expected the hosted link, got {:?}", v.view);
    };
    // Signed with the link key from the store: the provider accepts it.
    let done = tenant
        .post(
            "/providers/trueid/hosted/complete",
            json!({ "link": link.url, "persona": "ana", "phoneId": "phone-ana" }),
        )
        .await;
    assert_eq!(done["status"], "issued", "hosted flow: {done}");

    let v = wait(&mut rx, "the Authenticator QR", |v| {
        matches!(&v.view, View::OpenAuthenticator { qr: Some(_) }) || is_outcome(v)
    })
    .await;
    let View::OpenAuthenticator { qr: Some(qr) } = &v.view else {
        panic!("expected the Authenticator QR, got {:?}", v.view);
    };
    tenant.post("/phones/phone-ana/open", json!({ "url": qr.url })).await;
    wait(&mut rx, "Face Check in progress", |v| matches!(v.view, View::FaceCheckInProgress)).await;
    tenant.post("/phones/phone-ana/present", json!({ "score": 91.0 })).await;

    let v = wait(&mut rx, "an outcome", is_outcome).await;
    let View::Tap { tap } = &v.view else { panic!("expected the TAP, got {:?}", v.view) };
    let held = tenant.get(&format!("/directory/users/{upn}/taps")).await;
    let held = held.as_array().cloned().unwrap_or_default();
    assert_eq!(held.len(), 1, "one TAP in the tenant: {held:?}");
    assert_eq!(held[0]["temporaryAccessPass"], tap.code().as_str(), "the kiosk shows it");

    engine.done().await.unwrap();
    wait(&mut rx, "attract after the wipe", |v| matches!(v.view, View::Attract) && v.reset).await;
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

#[test]
fn a_provider_url_the_adapter_cannot_address_is_named() {
    let config = offline(&offline_toml("production", "http://127.0.0.1:9/hosted"));
    let store = MemoryStore::new()
        .with(&SecretName::ClientSecret, "client-secret-value")
        .with(&SecretName::RelayCredential, "relay-credential-0123456789")
        .with(&SecretName::ProviderLinkKey("trueid".into()), "link-key-0123456789abcdef");
    let err = assemble(&config, &store).expect_err("the URL does not end in the id");
    let ProductionError::Endpoint { key, url, .. } = &err else { panic!("{err:?}") };
    assert_eq!(key, "providers[0].hosted_flow_url");
    assert_eq!(url, "http://127.0.0.1:9/hosted");
    assert!(err.to_string().contains("must end in the provider's id"), "{err}");
}
