//! The updater against a local HTTP update server, with a throwaway signing key made here (the
//! real key is never committed): a validly signed newer package is fetched and staged; a tampered
//! one, one signed by another key, or an older version never is.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Cursor;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use minisign::KeyPair;
use reclaim_updater::{UpdateError, UpdateKey, Updater};

/// A key pair in Tauri's wrapping: (public key as in the config, signer).
fn throwaway_key() -> (String, KeyPair) {
    let pair = KeyPair::generate_unencrypted_keypair().unwrap();
    let public = STANDARD.encode(pair.pk.to_box().unwrap().to_string());
    (public, pair)
}

/// `tauri signer sign`'s output for `data`: base64 of the minisign signature file.
fn sign(pair: &KeyPair, data: &[u8]) -> String {
    let sig = minisign::sign(Some(&pair.pk), &pair.sk, Cursor::new(data), None, None).unwrap();
    STANDARD.encode(sig.to_string())
}

#[derive(Clone, Default)]
struct Server {
    manifest: Arc<Mutex<Option<String>>>,
    package: Arc<Mutex<Vec<u8>>>,
    asked: Arc<Mutex<Vec<String>>>,
}

async fn manifest(State(s): State<Server>, Path(rest): Path<String>) -> Response {
    s.asked.lock().unwrap().push(rest);
    match s.manifest.lock().unwrap().clone() {
        Some(body) => ([("content-type", "application/json")], body).into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    }
}

async fn package(State(s): State<Server>) -> Vec<u8> {
    s.package.lock().unwrap().clone()
}

async fn serve() -> (Server, String) {
    let server = Server::default();
    let app = Router::new()
        .route("/updates/{*rest}", get(manifest))
        .route("/pkg/reclaim.deb", get(package))
        .with_state(server.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (server, base)
}

fn updater(base: &str, public: &str, current: &str) -> Updater {
    Updater::new(
        &format!("{base}/updates/{{{{target}}}}/{{{{arch}}}}/{{{{current_version}}}}"),
        UpdateKey::from_tauri_pubkey(public).unwrap(),
        current,
        reqwest::Client::new(),
    )
    .unwrap()
}

fn publish(server: &Server, base: &str, version: &str, signature: &str, package: &[u8]) {
    *server.package.lock().unwrap() = package.to_vec();
    *server.manifest.lock().unwrap() = Some(
        serde_json::json!({
            "version": version,
            "notes": "Test release",
            "pub_date": "2026-12-06T10:00:00Z",
            "platforms": { "linux-x86_64-deb": { "url": format!("{base}/pkg/reclaim.deb"), "signature": signature } }
        })
        .to_string(),
    );
}

#[tokio::test]
async fn a_validly_signed_newer_package_is_fetched_and_staged() {
    let (server, base) = serve().await;
    let (public, pair) = throwaway_key();
    let package = b"!<arch>\ndebian-binary   reclaim-kiosk 0.2.0".to_vec();
    publish(&server, &base, "v0.2.0", &sign(&pair, &package), &package);

    let updater = updater(&base, &public, "0.1.0");
    let release = updater.check().await.unwrap().expect("0.2.0 is newer");
    assert_eq!(release.version, semver::Version::new(0, 2, 0));
    assert_eq!(server.asked.lock().unwrap().as_slice(), ["linux/x86_64/0.1.0"]);
    let update = updater.download(&release).await.unwrap();
    let dir = std::env::temp_dir().join(format!("reclaim-updates-{}", std::process::id()));
    let staged = update.stage(&dir).unwrap();
    assert_eq!(staged.file_name().unwrap(), "reclaim-kiosk_0.2.0_amd64.deb");
    assert_eq!(std::fs::read(&staged).unwrap(), package);
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1, "no partial file left");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_tampered_package_is_refused() {
    let (server, base) = serve().await;
    let (public, pair) = throwaway_key();
    let package = b"reclaim-kiosk 0.2.0 as built".to_vec();
    let signature = sign(&pair, &package);
    let mut tampered = package.clone();
    tampered[0] ^= 0x20;
    publish(&server, &base, "0.2.0", &signature, &tampered);

    let updater = updater(&base, &public, "0.1.0");
    let release = updater.check().await.unwrap().unwrap();
    let refused = updater.download(&release).await.unwrap_err();
    assert!(matches!(refused, UpdateError::BadSignature(_)), "{refused}");
}

#[tokio::test]
async fn a_package_signed_by_another_key_is_refused() {
    let (server, base) = serve().await;
    let (public, _ours) = throwaway_key();
    let (_, theirs) = throwaway_key();
    let package = b"reclaim-kiosk 0.2.0 from someone else".to_vec();
    publish(&server, &base, "0.2.0", &sign(&theirs, &package), &package);
    let updater = updater(&base, &public, "0.1.0");
    let release = updater.check().await.unwrap().unwrap();
    assert!(matches!(updater.download(&release).await, Err(UpdateError::BadSignature(_))));
    // A signature that is not even minisign.
    publish(&server, &base, "0.2.0", &STANDARD.encode("not a signature"), &package);
    let release = updater.check().await.unwrap().unwrap();
    assert!(matches!(updater.download(&release).await, Err(UpdateError::BadSignature(_))));
}

#[tokio::test]
async fn nothing_newer_means_no_update() {
    let (server, base) = serve().await;
    let (public, pair) = throwaway_key();
    let updater = updater(&base, &public, "1.2.0");
    // 204: the server has nothing for this version.
    assert!(updater.check().await.unwrap().is_none());
    for version in ["1.2.0", "1.1.9", "v0.9.0"] {
        publish(&server, &base, version, &sign(&pair, b"x"), b"x");
        assert!(updater.check().await.unwrap().is_none(), "{version} offered over 1.2.0");
    }
}

#[tokio::test]
async fn server_and_manifest_errors_are_reported_not_installed() {
    let (server, base) = serve().await;
    let (public, _) = throwaway_key();
    *server.manifest.lock().unwrap() = Some("<html>maintenance</html>".into());
    let updater = updater(&base, &public, "0.1.0");
    assert!(matches!(updater.check().await, Err(UpdateError::Manifest(_))));
    let down = Updater::new(
        "http://127.0.0.1:9/updates",
        UpdateKey::from_tauri_pubkey(&public).unwrap(),
        "0.1.0",
        reqwest::Client::new(),
    )
    .unwrap();
    assert!(matches!(down.check().await, Err(UpdateError::Transport(_))));
}

#[test]
fn keys_and_endpoints_are_checked_up_front() {
    assert!(matches!(UpdateKey::from_tauri_pubkey("not base64!"), Err(UpdateError::BadKey(_))));
    assert!(matches!(
        UpdateKey::from_tauri_pubkey(&STANDARD.encode("untrusted comment: x\nnot a key\n")),
        Err(UpdateError::BadKey(_))
    ));
    let (public, _) = throwaway_key();
    let key = || UpdateKey::from_tauri_pubkey(&public).unwrap();
    let http = reqwest::Client::new();
    assert!(matches!(
        Updater::new("ftp://updates/x", key(), "0.1.0", http.clone()),
        Err(UpdateError::BadEndpoint(_))
    ));
    assert!(matches!(
        Updater::new("https://u/x", key(), "first", http),
        Err(UpdateError::BadVersion { .. })
    ));
    // The placeholder key of docs/config/reclaim.example.toml is at least well-formed.
    let example = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../docs/config/reclaim.example.toml"),
    )
    .unwrap();
    let line = example.lines().find(|l| l.starts_with("pubkey = ")).unwrap();
    let value = line.trim_start_matches("pubkey = ").trim_matches('"');
    UpdateKey::from_tauri_pubkey(value).unwrap();
}
