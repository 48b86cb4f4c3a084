//! `reclaim-service serve` on a real tenant's configuration — the emulated tenant over TLS,
//! configured by URL alone, its secrets in a private secrets file: stations enrol with a one-time
//! code over HTTP, a whole recovery at one station ends with the TAP the tenant holds, the other
//! station sees none of it, and a revocation with the CLI takes effect while the service runs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../reclaim-engine/tests/common/mod.rs"]
mod common;
mod served;

use std::os::unix::fs::PermissionsExt as _;

use common::{Credential, Tenant};
use reclaim_config::Config;
use reclaim_engine::View;
use reclaim_engine::simulate::is_outcome;
use reclaim_protocol::client::{ClientOptions, ServiceClient};
use reclaim_service::listener::Limits;
use served::{enroll, secrets_file, wait};

fn free_port() -> u16 {
    std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap().local_addr().unwrap().port()
}

fn offline() -> reclaim_protocol::StationView {
    reclaim_protocol::StationView::not_connected(
        reclaim_protocol::StationMode::Production,
        "",
        reclaim_protocol::Locale::En,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_station_recovers_on_the_services_tenant_and_another_sees_nothing() {
    let tenant = Tenant::start(true).await;
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let state_dir = tenant.dir.path().join("state");
    let text = format!(
        "{}\n[server]\nlisten = \"127.0.0.1:{port}\"\npublic_url = \"{url}\"\nstate_dir = '{}'\nsecrets_file = '{}'\n",
        tenant.toml(Credential::Secret),
        state_dir.display(),
        secrets_file(&tenant).display()
    );
    let path = tenant.write(&text);
    let config = Config::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let secrets = reclaim_service::production::secret_store(&config).unwrap();
    let running = reclaim_service::production::serve(&config, secrets.as_ref(), Limits::default())
        .await
        .unwrap();

    // An administrator issues codes (the CLI writes the same registry file); kiosks redeem them.
    let cli = reclaim_service::stations::StationRegistry::open(&state_dir).unwrap();
    let lobby = enroll(&url, &cli.issue_code("lobby").unwrap()).await;
    let depot = enroll(&url, &cli.issue_code("depot").unwrap()).await;
    let lobby = ServiceClient::connect(lobby, offline(), ClientOptions::default()).await.unwrap();
    let depot = ServiceClient::connect(depot, offline(), ClientOptions::default()).await.unwrap();
    wait(&lobby, "the lobby ready", |v| v.station.ready && matches!(v.view, View::Attract)).await;
    wait(&depot, "the depot ready", |v| v.station.ready && matches!(v.view, View::Attract)).await;
    let depot_seq = depot.current().seq;

    lobby.begin().await.unwrap();
    let upn = tenant.upn("ana");
    lobby.submit_upn(upn.clone()).await.unwrap();
    let v = wait(&lobby, "the provider choice", |v| {
        matches!(v.view, View::ChooseProvider { .. }) || is_outcome(v)
    })
    .await;
    assert!(matches!(v.view, View::ChooseProvider { camera_available: false, .. }), "{:?}", v.view);
    let v = served::present_as_ana(&tenant, &lobby).await;
    let View::Tap { tap } = &v.view else { panic!("expected the TAP, got {:?}", v.view) };
    let held = tenant.get(&format!("/directory/users/{upn}/taps")).await;
    let held = held.as_array().cloned().unwrap_or_default();
    assert_eq!(held.len(), 1, "one TAP in the tenant: {held:?}");
    assert_eq!(held[0]["temporaryAccessPass"], tap.code().as_str(), "the station shows it");
    lobby.done().await.unwrap();
    wait(&lobby, "attract after the wipe", |v| matches!(v.view, View::Attract) && v.reset).await;

    // The depot received nothing of the lobby's recovery.
    assert_eq!(depot.current().seq, depot_seq);
    assert!(matches!(depot.current().view, View::Attract));

    // Revoked with the CLI while the service runs: refused within a second.
    cli.revoke("depot").unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    let refused = depot.begin().await.unwrap_err();
    assert_eq!(refused.code, reclaim_protocol::ErrorCode::OutOfService);

    lobby.close();
    depot.close();
    running.shutdown().await;
    tenant.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kiosk_file_is_not_served_and_a_readable_secrets_file_is_refused() {
    let tenant = Tenant::start(false).await;
    let config = tenant.load(&tenant.toml(Credential::Secret));
    let store = tenant.secrets(Credential::Secret);
    let err = reclaim_service::production::serve(&config, &store, Limits::default())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("no [server] section"), "{err}");

    let secrets = secrets_file(&tenant);
    std::fs::set_permissions(&secrets, std::fs::Permissions::from_mode(0o644)).unwrap();
    let text = format!(
        "{}\n[server]\npublic_url = \"https://recovery.contoso.example\"\nsecrets_file = '{}'\n",
        tenant.toml(Credential::Secret),
        secrets.display()
    );
    let config = tenant.load(&text);
    let err = reclaim_service::production::secret_store(&config).err().unwrap().to_string();
    assert!(err.contains("readable by others"), "{err}");
    tenant.shutdown().await;
}
