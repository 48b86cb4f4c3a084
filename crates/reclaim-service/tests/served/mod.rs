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
