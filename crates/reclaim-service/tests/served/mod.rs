//! What `serve.rs` and `audit_serve.rs` share: the administrator's secrets file, a station's
//! enrolment over HTTP, and waits on a station's views.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::os::unix::fs::PermissionsExt as _;

use reclaim_config::SecretName;
use reclaim_engine::demo::KIOSK_SECRET;
use reclaim_protocol::client::ServiceClient;
use reclaim_protocol::station::{EnrollRequest, EnrollResponse, StationCredential, StationKey};

use crate::common::{STEP, Tenant};

/// The secrets file an administrator writes for the service's user.
pub fn secrets_file(tenant: &Tenant) -> std::path::PathBuf {
    let mut text = format!(
        "{} = \"{KIOSK_SECRET}\"\n{} = \"{}\"\n",
        SecretName::ClientSecret.account(),
        SecretName::RelayCredential.account(),
        tenant.relay_credential
    );
    for p in tenant.emulator.state.fixture().providers.iter().filter(|p| !p.is_link()) {
        text.push_str(&format!(
            "\"{}\" = \"{}\"\n\"{}\" = \"{}\"\n",
            SecretName::ProviderLinkKey(p.id.clone()).account(),
            p.link_signing_key,
            SecretName::ProviderCaptureKey(p.id.clone()).account(),
            p.capture_api_key
        ));
    }
    let path = tenant.dir.path().join("secrets.toml");
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path
}

pub async fn enroll(service_url: &str, code: &str) -> StationCredential {
    let key = StationKey::generate().unwrap();
    let request =
        EnrollRequest { code: code.to_owned(), public_key: key.public_key().to_base64url() };
    let response = reqwest::Client::new()
        .post(format!("{service_url}/v1/enroll"))
        .json(&request)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let enrolled: EnrollResponse = response.json().await.unwrap();
    StationCredential::new(enrolled.station_id, service_url, key)
}

pub async fn wait(
    client: &ServiceClient,
    what: &str,
    pred: impl FnMut(&reclaim_protocol::ViewUpdate) -> bool,
) -> reclaim_protocol::ViewUpdate {
    let mut rx = client.subscribe();
    match tokio::time::timeout(STEP, rx.wait_for(pred)).await {
        Ok(Ok(v)) => v.clone(),
        _ => panic!("timed out waiting for {what}; last view: {:?}", client.current().view),
    }
}

/// From the provider choice on, at `station`: the phone path as `ana` (her hosted flow with her
/// card, her phone opening the presentation QR, Face Check 91) up to the outcome, returned.
pub async fn present_as_ana(
    tenant: &Tenant,
    station: &ServiceClient,
) -> reclaim_protocol::ViewUpdate {
    use reclaim_engine::simulate::is_outcome;
    use reclaim_engine::{ScanPath, View};
    use serde_json::json;
    station.choose_provider("trueid".into(), ScanPath::Phone).await.unwrap();
    let v =
        wait(station, "the hosted link", |v| matches!(&v.view, View::ScanId { link: Some(_), .. }))
            .await;
    let View::ScanId { link: Some(link), .. } = &v.view else { unreachable!() };
    let done = tenant
        .post(
            "/providers/trueid/hosted/complete",
            json!({ "link": link.url, "persona": "ana", "phoneId": "phone-ana" }),
        )
        .await;
    assert_eq!(done["status"], "issued", "hosted flow: {done}");
    let v = wait(station, "the Authenticator QR", |v| {
        matches!(&v.view, View::OpenAuthenticator { qr: Some(_) }) || is_outcome(v)
    })
    .await;
    let View::OpenAuthenticator { qr: Some(qr) } = &v.view else { panic!("{:?}", v.view) };
    tenant.post("/phones/phone-ana/open", json!({ "url": qr.url })).await;
    tenant.post("/phones/phone-ana/present", json!({ "score": 91.0 })).await;
    wait(station, "an outcome", is_outcome).await
}

/// A service served from a production file on `tenant` (its kiosk app's secret), listening on a
/// free loopback port, with the secrets in `secrets` and `sections` (TOML) after `[server]`.
pub struct Served {
    /// The running service.
    pub running: reclaim_service::production::RunningService,
    /// Its base URL (also the stations' audience).
    pub url: String,
    /// Its state folder (stations, limits, audit, webhook outbox).
    pub state_dir: std::path::PathBuf,
    /// The file it was served from, and its secrets (to serve it again).
    pub config: reclaim_config::Config,
    pub store: std::sync::Arc<dyn reclaim_config::SecretStore>,
}

pub async fn serve(tenant: &Tenant, secrets: &std::path::Path, sections: &str) -> Served {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let url = format!("http://127.0.0.1:{port}");
    let state_dir = tenant.dir.path().join("state");
    let text = format!(
        "{}\n[server]\nlisten = \"127.0.0.1:{port}\"\npublic_url = \"{url}\"\nstate_dir = '{}'\nsecrets_file = '{}'\n\n{sections}",
        tenant.toml(crate::common::Credential::Secret),
        state_dir.display(),
        secrets.display()
    );
    let config =
        reclaim_config::Config::load(tenant.write(&text)).unwrap_or_else(|e| panic!("{e}"));
    let store = reclaim_service::production::secret_store(&config).unwrap();
    let running = reclaim_service::production::serve(
        &config,
        store.as_ref(),
        reclaim_service::listener::Limits::default(),
    )
    .await
    .unwrap();
    Served { running, url, state_dir, config, store }
}

/// A station enrolled under `name` (a code from the registry, redeemed over HTTP), connected and
/// ready on attract; and its station id.
pub async fn ready_station(served: &Served, name: &str) -> (ServiceClient, String) {
    let cli = reclaim_service::stations::StationRegistry::open(&served.state_dir).unwrap();
    let credential = enroll(&served.url, &cli.issue_code(name).unwrap()).await;
    let station_id = credential.station_id.clone();
    let offline = reclaim_protocol::StationView::not_connected(
        reclaim_protocol::StationMode::Production,
        "",
        reclaim_protocol::Locale::En,
    );
    let station = ServiceClient::connect(
        credential,
        offline,
        reclaim_protocol::client::ClientOptions::default(),
    )
    .await
    .unwrap();
    wait(&station, "a ready station", |v| {
        v.station.ready && matches!(v.view, reclaim_engine::View::Attract)
    })
    .await;
    (station, station_id)
}

/// A whole recovery as `ana` at `station`, from attract to attract: the TAP it showed.
pub async fn recover_ana_to_tap(tenant: &Tenant, station: &ServiceClient) -> String {
    use reclaim_engine::View;
    station.begin().await.unwrap();
    station.submit_upn(tenant.upn("ana")).await.unwrap();
    wait(station, "the provider choice", |v| matches!(v.view, View::ChooseProvider { .. })).await;
    let v = present_as_ana(tenant, station).await;
    let View::Tap { tap } = &v.view else { panic!("expected the TAP, got {:?}", v.view) };
    let code = tap.code();
    station.done().await.unwrap();
    wait(station, "attract after the wipe", |v| matches!(v.view, View::Attract) && v.reset).await;
    code
}
