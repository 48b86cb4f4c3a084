//! A kiosk station of a running recovery service, as the attack and boundary tests drive it: a
//! [`ServiceClient`] with an enrolled station's credential, and waits on the views it receives
//! (bounded by [`STEP`], never fixed sleeps).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // set-up failures are test failures

use std::time::Duration;

use reclaim_engine::demo::DemoOptions;
use reclaim_engine::{ScanPath, View};
use reclaim_protocol::client::{ClientOptions, ServiceClient};
use reclaim_protocol::station::StationCredential;
use reclaim_protocol::{Locale, StationMode, StationView, ViewUpdate};
use reclaim_service::demo::{DemoService, DemoServiceOptions, SettingsHook};

use crate::kiosk::STEP;

/// How a test station describes itself before the service answers.
pub fn offline() -> StationView {
    StationView::not_connected(StationMode::Demo, "test-station", Locale::En)
}

/// The station with `credential`, connected (not waiting for it to be ready).
pub async fn connect(credential: StationCredential) -> ServiceClient {
    ServiceClient::connect(credential, offline(), ClientOptions::default()).await.unwrap()
}

/// A station named `name`, enrolled with `service` and ready.
pub async fn enrolled(service: &DemoService, name: &str) -> ServiceClient {
    let client = connect(service.enroll(name).unwrap()).await;
    wait(&client, "a ready station", |v| v.station.ready).await;
    client
}

/// The first view `pred` accepts, within [`STEP`]; panics with the last view otherwise.
pub async fn wait(
    client: &ServiceClient,
    what: &str,
    pred: impl FnMut(&ViewUpdate) -> bool,
) -> ViewUpdate {
    let mut rx = client.subscribe();
    match tokio::time::timeout(STEP, rx.wait_for(pred)).await {
        Ok(Ok(v)) => v.clone(),
        _ => panic!("timed out waiting for {what}; last view: {:?}", client.current().view),
    }
}

/// The TAPs the emulated tenant holds (the control API shows them in clear).
pub async fn taps(service: &DemoService) -> Vec<serde_json::Value> {
    service.stack().tenant().taps().await.unwrap().as_array().cloned().unwrap_or_default()
}

/// The demo service (in-process emulated tenant) serving `1 + extra_stations` stations, with
/// `settings` applied to every station's engine.
pub async fn demo_service(extra_stations: usize, settings: Option<SettingsHook>) -> DemoService {
    DemoService::start(DemoServiceOptions {
        stack: DemoOptions { extra_stations, ..DemoOptions::default() },
        settings,
        ..Default::default()
    })
    .await
    .expect("the demo service starts")
}

/// The account a fixture persona types.
pub fn persona_upn(service: &DemoService, persona: &str) -> String {
    service.stack().emulator().state.fixture().persona(persona).unwrap().user_principal_name.clone()
}

/// Waits (up to 20 s) until the tenant holds no TAP; false if one is still there.
pub async fn no_tap_left(service: &DemoService) -> bool {
    for _ in 0..200 {
        if taps(service).await.is_empty() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// Drives a recovery on the phone path through the session API: `persona` types the account
/// their persona names, carries their own document, and presents with a passing Face Check.
pub async fn prove(service: &DemoService, client: &ServiceClient, persona: &str) {
    client.begin().await.unwrap();
    client.submit_upn(persona_upn(service, persona)).await.unwrap();
    wait(client, "choose provider", |v| matches!(v.view, View::ChooseProvider { .. })).await;
    present(service, client, persona).await;
}

/// From the provider choice on: the phone's hosted flow, the presentation QR opened, and a
/// presentation with a passing Face Check.
pub async fn present(service: &DemoService, client: &ServiceClient, persona: &str) {
    client.choose_provider("trueid".into(), ScanPath::Phone).await.unwrap();
    let scan =
        wait(client, "the link", |v| matches!(v.view, View::ScanId { link: Some(_), .. })).await;
    let View::ScanId { link: Some(link), .. } = scan.view else { unreachable!() };
    let phone = service.stack().phone_named(&format!("phone-{persona}"));
    phone.complete_hosted_flow("trueid", &link.url, persona).await.unwrap();
    let ask =
        wait(client, "the QR", |v| matches!(v.view, View::OpenAuthenticator { qr: Some(_) })).await;
    let View::OpenAuthenticator { qr: Some(qr) } = ask.view else { unreachable!() };
    phone.open(&qr.url).await.unwrap();
    phone.present(92.0).await.unwrap();
}
