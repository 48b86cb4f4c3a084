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
