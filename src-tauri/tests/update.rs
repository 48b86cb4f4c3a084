//! Updates are staged for the installer only while nobody uses the kiosk: a validly signed
//! package waits while a recovery is under way and is staged once the attract screen has been
//! quiet; a tampered one is never staged. A local update server and a throwaway key.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // set-up failures are test failures

use std::io::Cursor;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use reclaim_engine::View;
use reclaim_kiosk::update::{Schedule, update_once};
use reclaim_kiosk::{DemoLaunch, Kiosk};
use reclaim_updater::{UpdateError, UpdateKey, Updater};
use tauri::async_runtime::block_on;

/// Serves a manifest for 0.9.0 whose package is `served`, signed over `signed`.
async fn update_server(signed: &'static [u8], served: &'static [u8]) -> (String, String) {
    let pair = minisign::KeyPair::generate_unencrypted_keypair().unwrap();
    let public = STANDARD.encode(pair.pk.to_box().unwrap().to_string());
    let sig = minisign::sign(Some(&pair.pk), &pair.sk, Cursor::new(signed), None, None).unwrap();
    let signature = STANDARD.encode(sig.to_string());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let manifest = serde_json::json!({
        "version": "0.9.0",
        "platforms": { "linux-x86_64-deb": { "url": format!("{base}/reclaim.deb"), "signature": signature } }
    })
    .to_string();
    let app = Router::new()
        .route("/latest.json", get(move || async move { manifest }))
        .route("/reclaim.deb", get(move || async move { served }));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("{base}/latest.json"), public)
}

/// A demo kiosk (installed version 0.1.0), and an updater trusting the server's key, which
/// offers 0.9.0 signed over `b"package 0.9.0"` and serves `served` as its package.
async fn kiosk_and_updater(served: &'static [u8]) -> (Kiosk, Updater) {
    let kiosk =
        Kiosk::start_demo(DemoLaunch { camera: false, ..DemoLaunch::default() }).await.unwrap();
    let (endpoint, public) = update_server(b"package 0.9.0", served).await;
    let key = UpdateKey::from_tauri_pubkey(&public).unwrap();
    let updater = Updater::new(&endpoint, key, "0.1.0", reqwest::Client::new()).unwrap();
    (kiosk, updater)
}

fn schedule() -> Schedule {
    Schedule {
        first: Duration::ZERO,
        every: Duration::from_secs(3600),
        quiet: Duration::from_millis(400),
        poll: Duration::from_millis(20),
    }
}

fn staging(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("reclaim-stage-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn a_verified_update_waits_for_the_kiosk_to_be_idle() {
    block_on(async {
        let (kiosk, updater) = kiosk_and_updater(b"package 0.9.0").await;
        let dir = staging("idle");
        // Someone is at the kiosk.
        kiosk.service().begin().await.unwrap();
        let engine = kiosk.service().clone();
        let (task_dir, sched) = (dir.clone(), schedule());
        let task =
            tokio::spawn(async move { update_once(&updater, &engine, &task_dir, &sched).await });
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert!(!dir.exists(), "staged while a recovery was under way");
        assert!(!task.is_finished());
        // They leave; once attract has been quiet, the update is staged.
        kiosk.service().cancel().await.unwrap();
        let staged = tokio::time::timeout(Duration::from_secs(20), task).await.unwrap().unwrap();
        let staged = staged.unwrap().expect("an update was staged");
        assert!(matches!(kiosk.service().current().view, View::Attract));
        assert_eq!(std::fs::read(&staged).unwrap(), b"package 0.9.0");
        std::fs::remove_dir_all(&dir).unwrap();
        kiosk.shutdown().await;
    });
}

#[test]
fn a_tampered_update_is_never_staged() {
    block_on(async {
        let (kiosk, updater) = kiosk_and_updater(b"package 0.9.0 + implant").await;
        let dir = staging("tampered");
        let refused = update_once(&updater, kiosk.service(), &dir, &schedule()).await.unwrap_err();
        assert!(matches!(refused, UpdateError::BadSignature(_)), "{refused}");
        assert!(!dir.exists(), "something was staged");
        kiosk.shutdown().await;
    });
}

#[test]
fn the_installer_units_watch_the_staging_directory() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let path_unit = std::fs::read_to_string(root.join("docs/kiosk/reclaim-update.path")).unwrap();
    let watch = format!("PathExistsGlob={}/*.deb", reclaim_kiosk::update::STAGING_DIR);
    assert!(path_unit.lines().any(|l| l == watch), "the path unit does not watch {watch}");
    assert!(path_unit.lines().any(|l| l == "Unit=reclaim-update.service"));
    let service = std::fs::read_to_string(root.join("docs/kiosk/reclaim-update.service")).unwrap();
    assert!(service.contains(reclaim_kiosk::update::STAGING_DIR) && service.contains("dpkg -i"));
}
