//! Shared set-up of the production tests (`tests/production.rs`; `reclaim-service`'s
//! `tests/doctor.rs` and `tests/serve.rs` include it by path): the
//! emulated tenant and a relay on loopback, a production configuration file for them as an admin
//! would write it, the secrets in a `MemoryStore`, and one whole recovery to the TAP.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use reclaim_config::{Config, MemoryStore, SecretName};
use reclaim_emulator::{EmulatorOptions, RunningEmulator};
use reclaim_engine::demo::{KIOSK_CLIENT_ID, KIOSK_SECRET};
use reclaim_engine::simulate::is_outcome;
use reclaim_engine::{Engine, ScanPath, View, ViewUpdate};
use reclaim_relay::{RelayConfig, RunningRelay, StationConfig};
use serde_json::{Value, json};

/// The station id the relay knows.
pub const STATION: &str = "prod-test-1";
/// How long any one screen may take (2 busy cores, debug builds).
pub const STEP: Duration = Duration::from_secs(30);

/// The emulated tenant and a relay knowing [`STATION`], on loopback ephemeral ports.
pub struct Tenant {
    pub emulator: RunningEmulator,
    pub relay: RunningRelay,
    pub relay_credential: String,
    pub dir: tempfile::TempDir,
}

#[derive(Clone, Copy)]
pub enum Credential {
    /// `kind = "secret"`, the client secret in the store.
    Secret,
    /// `kind = "certificate"`, the emulator's PEM pair for the kiosk app.
    Certificate,
}

/// The emulator's demo credentials (the kiosk app's certificate and key).
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../reclaim-emulator/fixtures/demo-credentials")
}

impl Tenant {
    pub async fn start(tls: bool) -> Tenant {
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
    pub fn toml(&self, credential: Credential) -> String {
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
            if let Some(onboarding) = p.onboarding_url(&u.provider) {
                // A link-only provider: its onboarding page, no API, no secrets.
                text.push_str(&format!(
                    r#"
[[providers]]
id = "{id}"
display_name = "{name}"
issuer_did = "{did}"
kind = "link"
onboarding_url = "{onboarding}"
documents = [{documents}]
"#,
                    id = p.id,
                    name = p.display_name,
                    did = p.issuer_did,
                    documents = documents.join(", "),
                ));
                continue;
            }
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

    /// Writes `text` as `reclaim.toml` in the tenant's folder.
    pub fn write(&self, text: &str) -> PathBuf {
        let path = self.dir.path().join("reclaim.toml");
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Writes `text` as `reclaim.toml` and loads it the way the kiosk does.
    pub fn load(&self, text: &str) -> Config {
        let path = self.write(text);
        Config::load(&path).unwrap_or_else(|e| panic!("the file validates:\n{e}\n---\n{text}"))
    }

    /// Every secret the file needs, with the emulator's values.
    pub fn secrets(&self, credential: Credential) -> MemoryStore {
        let mut store =
            MemoryStore::new().with(&SecretName::RelayCredential, &self.relay_credential);
        if let Credential::Secret = credential {
            store = store.with(&SecretName::ClientSecret, KIOSK_SECRET);
        }
        for p in self.emulator.state.fixture().providers.iter().filter(|p| !p.is_link()) {
            store = store
                .with(&SecretName::ProviderLinkKey(p.id.clone()), &p.link_signing_key)
                .with(&SecretName::ProviderCaptureKey(p.id.clone()), &p.capture_api_key);
        }
        store
    }

    /// Every secret value in play (to look for in `Debug` and error text).
    pub fn secret_values(&self) -> Vec<String> {
        let mut values = vec![self.relay_credential.clone(), KIOSK_SECRET.to_owned()];
        for p in self.emulator.state.fixture().providers.iter().filter(|p| !p.is_link()) {
            values.push(p.link_signing_key.clone());
            values.push(p.capture_api_key.clone());
        }
        values
    }

    pub fn control(&self, path: &str) -> String {
        format!("{}{path}", self.emulator.urls.control.trim_end_matches('/'))
    }

    /// An HTTP client for the control API, trusting the emulator's CA when it serves TLS.
    pub fn client(&self) -> reqwest::Client {
        let mut builder = reqwest::Client::builder();
        if let Some(ca) = &self.emulator.urls.ca_file {
            let pem = std::fs::read(ca).unwrap();
            for cert in reqwest::Certificate::from_pem_bundle(&pem).unwrap() {
                builder = builder.add_root_certificate(cert);
            }
        }
        builder.build().unwrap()
    }

    pub async fn post(&self, path: &str, body: Value) -> Value {
        let resp = self.client().post(self.control(path)).json(&body).send().await;
        let resp = resp.unwrap_or_else(|e| panic!("POST {path}: {e}"));
        let status = resp.status();
        let text = resp.text().await.unwrap();
        assert!(status.is_success(), "POST {path}: {status}: {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    pub async fn get(&self, path: &str) -> Value {
        let resp = self.client().get(self.control(path)).send().await.unwrap();
        resp.json().await.unwrap()
    }

    pub fn upn(&self, persona: &str) -> String {
        let fixture = self.emulator.state.fixture();
        fixture.persona(persona).unwrap().user_principal_name.clone()
    }

    pub async fn shutdown(self) {
        let _ = self.relay.shutdown().await;
        self.emulator.shutdown().await;
    }
}

/// The first view `pred` accepts, within [`STEP`].
pub async fn wait(
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

/// One whole phone-path recovery of persona `ana` on a started `engine` (its pre-flight passed),
/// to the TAP the tenant holds, and back to attract after `done`.
pub async fn recover_ana_to_tap(tenant: &Tenant, engine: &Engine) {
    let mut rx = engine.subscribe();
    // The pass is only in the one update that first shows it (the engine keeps no copy).
    let mut sent = engine.updates();
    wait(&mut rx, "the attract screen", |v| matches!(v.view, View::Attract)).await;
    engine.begin().await.unwrap();
    wait(&mut rx, "identify", |v| matches!(v.view, View::Identify { .. })).await;
    let upn = tenant.upn("ana");
    engine.submit_upn(upn.clone()).await.unwrap();
    let v = wait(&mut rx, "the provider choice", |v| {
        matches!(v.view, View::ChooseProvider { .. }) || is_outcome(v)
    })
    .await;
    let View::ChooseProvider { providers, camera_available, .. } = &v.view else {
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
    assert!(matches!(v.view, View::Tap { .. }), "expected the TAP, got {:?}", v.view);
    let v = loop {
        match sent.recv().await {
            Ok(v) if matches!(&v.view, View::Tap { tap } if !tap.groups.is_empty()) => break v,
            Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
            Err(e) => panic!("the engine stopped: {e}"),
        }
    };
    let View::Tap { tap } = &v.view else { unreachable!() };
    let held = tenant.get(&format!("/directory/users/{upn}/taps")).await;
    let held = held.as_array().cloned().unwrap_or_default();
    assert_eq!(held.len(), 1, "one TAP in the tenant: {held:?}");
    assert_eq!(held[0]["temporaryAccessPass"], tap.code().as_str(), "the kiosk shows it");

    engine.done().await.unwrap();
    wait(&mut rx, "attract after the wipe", |v| matches!(v.view, View::Attract) && v.reset).await;
}
