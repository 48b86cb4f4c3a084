//! `reclaim-service --demo --listen 127.0.0.1:0`: one JSON line with the service's URL, the
//! emulator's control URL, the demo phone's page and an enrolled station's id and credential
//! file — enough for a kiosk (`reclaim-kiosk --service-credential FILE`) or a test to use it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use reclaim_protocol::client::{ClientOptions, ServiceClient};
use reclaim_protocol::station::StationCredential;

/// Kills the service when the test ends, however it ends.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_service_prints_where_it_is_and_a_station_that_can_use_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("station.cred");
    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_reclaim-service"))
            .args(["--demo", "--listen", "127.0.0.1:0", "--stations", "2", "--credential-file"])
            .arg(&file)
            .env_remove("RECLAIM_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).map(|_| line)
    });
    let line = tokio::time::timeout(Duration::from_secs(60), line).await.unwrap().unwrap().unwrap();
    let info: serde_json::Value = serde_json::from_str(&line).unwrap();
    let url = info["url"].as_str().unwrap();
    assert!(url.starts_with("http://127.0.0.1:") && !url.ends_with(":0"), "{info}");
    assert!(info["controlUrl"].as_str().unwrap().ends_with("/control"), "{info}");
    assert!(info["phonePageUrl"].as_str().unwrap().contains("/phone/p/"), "{info}");
    assert_eq!(info["credentialFile"], file.display().to_string());

    // The credential file is the station's alone, and it works.
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let credential = StationCredential::read_file(&file).unwrap();
    assert_eq!(credential.station_id, info["stationId"].as_str().unwrap());
    assert_eq!(credential.service_url, url);
    let offline = reclaim_protocol::StationView::not_connected(
        reclaim_protocol::StationMode::Demo,
        "",
        reclaim_protocol::Locale::En,
    );
    let client =
        ServiceClient::connect(credential, offline, ClientOptions::default()).await.unwrap();
    let mut views = client.subscribe();
    let ready = tokio::time::timeout(Duration::from_secs(30), views.wait_for(|v| v.station.ready))
        .await
        .expect("the station becomes ready")
        .unwrap()
        .clone();
    assert!(matches!(ready.view, reclaim_protocol::View::Attract), "{:?}", ready.view);
    client.begin().await.unwrap();
    client.cancel().await.unwrap();
    client.close();
}
