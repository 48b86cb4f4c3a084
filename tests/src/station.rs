//! A kiosk station of a running recovery service, as the attack and boundary tests drive it: a
//! [`ServiceClient`] with an enrolled station's credential, and waits on the views it receives
//! (bounded by [`STEP`], never fixed sleeps).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // set-up failures are test failures

use reclaim_protocol::client::{ClientOptions, ServiceClient};
use reclaim_protocol::station::StationCredential;
use reclaim_protocol::{Locale, StationMode, StationView, ViewUpdate};
use reclaim_service::demo::DemoService;

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
