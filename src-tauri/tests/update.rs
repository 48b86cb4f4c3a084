//! The kiosk's update check and download through tauri-plugin-updater (the app's real builder and
//! context on Tauri's mock runtime), against a local update server with a throwaway key: a validly
//! signed newer package is handed to staging with its signature — only once the kiosk is idle —
//! and what is staged is what the root installer verifies; a tampered package, one signed by
//! another key, an older or equal version, and a malformed manifest never stage anything. The
//! page cannot call the updater.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // set-up failures are test failures

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use minisign::KeyPair;
use reclaim_engine::View;
use reclaim_kiosk::update::{Schedule, UpdateSource, update_once, updater};
use reclaim_kiosk::window::MAIN_WINDOW;
use reclaim_kiosk::{DemoLaunch, Kiosk, KioskCell};
use reclaim_protocol::client::ServiceClient;
use reclaim_updater::{UpdateError, UpdateKey};
use serde_json::json;
use tauri::async_runtime::block_on;
use tauri::test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder};
use tauri::webview::InvokeRequest;
use tauri::{App, Manager};

/// The running kiosk's version (the plugin's "current version"), and versions around it.
const INSTALLED: &str = env!("CARGO_PKG_VERSION");
const NEWER: &str = "99.0.0";

/// A key pair in Tauri's wrapping: (public key as in `[updater] pubkey`, signer).
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

/// The update server: a manifest (or 204 without one) under `/updates/…`, the package.
#[derive(Clone, Default)]
struct Server {
    manifest: Arc<Mutex<Option<(StatusCode, String)>>>,
    package: Arc<Mutex<Vec<u8>>>,
    asked: Arc<Mutex<Vec<String>>>,
    downloads: Arc<Mutex<usize>>,
}

async fn manifest(State(s): State<Server>, UrlPath(rest): UrlPath<String>) -> Response {
    s.asked.lock().unwrap().push(rest);
    match s.manifest.lock().unwrap().clone() {
        Some((status, body)) => {
            (status, [("content-type", "application/json")], body).into_response()
        }
        None => StatusCode::NO_CONTENT.into_response(),
    }
}

async fn package(State(s): State<Server>) -> Vec<u8> {
    *s.downloads.lock().unwrap() += 1;
    s.package.lock().unwrap().clone()
}

impl Server {
    async fn start() -> (Server, String) {
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

    /// Publishes a static manifest for `version` (Tauri's format, this platform's key) whose
    /// package is `package`, with `signature`.
    fn publish(&self, base: &str, version: &str, signature: &str, package: &[u8]) {
        *self.package.lock().unwrap() = package.to_vec();
        self.raw(
            StatusCode::OK,
            json!({
                "version": version,
                "notes": "Test release",
                "pub_date": "2026-12-06T10:00:00Z",
                "platforms": {
                    "linux-x86_64": { "url": format!("{base}/pkg/reclaim.deb"), "signature": signature },
                    "windows-x86_64": { "url": "https://example.invalid/x.msi", "signature": "eA==" }
                }
            })
            .to_string(),
        );
    }

    fn raw(&self, status: StatusCode, body: impl Into<String>) {
        *self.manifest.lock().unwrap() = Some((status, body.into()));
    }

    fn downloads(&self) -> usize {
        *self.downloads.lock().unwrap()
    }
}

/// The kiosk app (real builder, real context, mock runtime) around a demo kiosk on attract.
fn app() -> App<MockRuntime> {
    let kiosk =
        block_on(Kiosk::start_demo(DemoLaunch { camera: false, ..DemoLaunch::default() })).unwrap();
    reclaim_kiosk::run_app(mock_builder(), KioskCell::with(kiosk), false)
        .build(reclaim_kiosk::context())
        .unwrap()
}

/// The kiosk's client of its recovery service: the screen it shows, and taps.
fn service(app: &App<MockRuntime>) -> ServiceClient {
    app.state::<KioskCell>().try_get().unwrap().service().clone()
}

/// The endpoint as an admin writes it in `[updater] endpoint`, with Tauri's placeholders.
fn endpoint(base: &str) -> String {
    format!("{base}/updates/{{{{target}}}}/{{{{arch}}}}/{{{{current_version}}}}")
}

fn schedule() -> Schedule {
    Schedule {
        first: Duration::ZERO,
        every: Duration::from_secs(3600),
        quiet: Duration::from_millis(300),
        poll: Duration::from_millis(20),
    }
}

/// A fresh staging folder (not created: the kiosk creates it), removed when dropped.
struct Staging(PathBuf);

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn staging() -> (Staging, PathBuf) {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("reclaim-stage-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    (Staging(dir.clone()), dir)
}

fn staged_files(dir: &Path) -> Vec<String> {
    match std::fs::read_dir(dir) {
        Ok(entries) => {
            let mut names: Vec<String> =
                entries.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
            names.sort();
            names
        }
        Err(_) => Vec::new(),
    }
}

/// One update round (check, download, wait for idle, stage) with the plugin's updater for
/// `public` at `base`.
fn round(
    app: &App<MockRuntime>,
    base: &str,
    public: &str,
    dir: &Path,
) -> Result<Option<PathBuf>, UpdateError> {
    let source = UpdateSource::new(&endpoint(base), public).unwrap();
    let updater = updater(app.handle(), &source).unwrap();
    let service = service(app);
    block_on(async {
        tokio::time::timeout(
            Duration::from_secs(30),
            update_once(&updater, &service, dir, &schedule()),
        )
        .await
        .expect("the round ended")
    })
}

#[test]
fn a_signed_newer_update_is_downloaded_and_handed_to_staging() {
    let app = app();
    let (server, base) = block_on(Server::start());
    let (public, pair) = throwaway_key();
    let package = b"!<arch>\ndebian-binary   reclaim-kiosk 99.0.0".to_vec();
    let signature = sign(&pair, &package);
    server.publish(&base, &format!("v{NEWER}"), &signature, &package);
    let (_tmp, dir) = staging();

    let staged = round(&app, &base, &public, &dir).unwrap().expect("an update was staged");
    // The plugin filled in the endpoint's placeholders with this kiosk's platform and version.
    assert_eq!(server.asked.lock().unwrap().as_slice(), [format!("linux/x86_64/{INSTALLED}")]);
    let name = reclaim_updater::staged_name(NEWER).unwrap();
    assert_eq!(staged, dir.join(&name));
    assert_eq!(std::fs::read(&staged).unwrap(), package);
    let sig = std::fs::read_to_string(dir.join(format!("{name}.sig"))).unwrap();
    assert_eq!(sig, signature);
    assert_eq!(staged_files(&dir).len(), 2, "only the package and its signature");
    // What the kiosk stages is what the root installer's verification accepts.
    UpdateKey::from_tauri_pubkey(&public).unwrap().verify(&package, &sig).unwrap();
}

#[test]
fn a_verified_update_waits_for_the_kiosk_to_be_idle() {
    let app = app();
    let kiosk = service(&app);
    let (server, base) = block_on(Server::start());
    let (public, pair) = throwaway_key();
    let package = b"package 99.0.0".to_vec();
    server.publish(&base, NEWER, &sign(&pair, &package), &package);
    let (_tmp, dir) = staging();
    let updater =
        updater(app.handle(), &UpdateSource::new(&endpoint(&base), &public).unwrap()).unwrap();
    block_on(async {
        // Someone is at the kiosk.
        kiosk.begin().await.unwrap();
        let (engine, task_dir) = (kiosk.clone(), dir.clone());
        let task =
            tokio::spawn(
                async move { update_once(&updater, &engine, &task_dir, &schedule()).await },
            );
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(server.downloads(), 1, "downloaded and verified at once");
        assert!(staged_files(&dir).is_empty(), "staged while a recovery was under way");
        assert!(!task.is_finished());
        // They leave; once attract has been quiet, the update is staged.
        kiosk.cancel().await.unwrap();
        let staged = tokio::time::timeout(Duration::from_secs(20), task).await.unwrap().unwrap();
        let staged = staged.unwrap().expect("an update was staged");
        assert!(matches!(kiosk.current().view, View::Attract));
        assert_eq!(std::fs::read(&staged).unwrap(), package);
    });
}

#[test]
fn a_tampered_update_is_refused_and_nothing_staged() {
    let app = app();
    let (server, base) = block_on(Server::start());
    let (public, pair) = throwaway_key();
    let package = b"reclaim-kiosk 99.0.0 as built".to_vec();
    let mut tampered = package.clone();
    tampered.extend_from_slice(b" + implant");
    server.publish(&base, NEWER, &sign(&pair, &package), &tampered);
    let (_tmp, dir) = staging();
    let refused = round(&app, &base, &public, &dir).unwrap_err();
    assert!(matches!(refused, UpdateError::BadSignature(_)), "{refused}");
    assert_eq!(server.downloads(), 1);
    assert!(staged_files(&dir).is_empty(), "something was staged");
}

#[test]
fn an_update_signed_by_another_key_is_refused() {
    let app = app();
    let (server, base) = block_on(Server::start());
    let (public, _ours) = throwaway_key();
    let (_, theirs) = throwaway_key();
    let package = b"reclaim-kiosk 99.0.0 from someone else".to_vec();
    server.publish(&base, NEWER, &sign(&theirs, &package), &package);
    let (_tmp, dir) = staging();
    let refused = round(&app, &base, &public, &dir).unwrap_err();
    assert!(matches!(refused, UpdateError::BadSignature(_)), "{refused}");
    // A signature that is not even minisign.
    server.publish(&base, NEWER, &STANDARD.encode("not a signature"), &package);
    let refused = round(&app, &base, &public, &dir).unwrap_err();
    assert!(matches!(refused, UpdateError::BadSignature(_)), "{refused}");
    assert!(staged_files(&dir).is_empty(), "something was staged");
}

#[test]
fn an_older_or_equal_version_is_not_offered() {
    let app = app();
    let (server, base) = block_on(Server::start());
    let (public, pair) = throwaway_key();
    let (_tmp, dir) = staging();
    // 204: the server has nothing for this version.
    assert_eq!(round(&app, &base, &public, &dir).unwrap(), None);
    // Genuine older releases, validly signed: not offered, not even downloaded.
    for version in [INSTALLED.to_owned(), format!("v{INSTALLED}"), "0.0.1".to_owned()] {
        let package = format!("reclaim-kiosk {version}").into_bytes();
        server.publish(&base, &version, &sign(&pair, &package), &package);
        assert_eq!(round(&app, &base, &public, &dir).unwrap(), None, "{version} offered");
    }
    assert_eq!(server.downloads(), 0);
    assert!(staged_files(&dir).is_empty(), "something was staged");
}

#[test]
fn a_malformed_manifest_is_a_clear_error() {
    let app = app();
    let (server, base) = block_on(Server::start());
    let (public, _) = throwaway_key();
    let (_tmp, dir) = staging();
    let package_url = format!("{base}/pkg/reclaim.deb");
    for (body, expect) in [
        ("<html>maintenance</html>".to_owned(), "manifest"),
        (
            json!({ "version": "two", "url": package_url, "signature": "eA==" }).to_string(),
            "manifest",
        ),
        (json!({ "version": NEWER, "url": package_url }).to_string(), "manifest"),
        (
            json!({ "version": NEWER, "platforms": {
                "darwin-aarch64": { "url": package_url, "signature": "eA==" } } })
            .to_string(),
            "manifest",
        ),
    ] {
        server.raw(StatusCode::OK, body.clone());
        let error = round(&app, &base, &public, &dir).unwrap_err();
        assert!(matches!(error, UpdateError::Manifest(_)), "{body}: {error}");
        assert!(error.to_string().contains(expect), "{error}");
    }
    // The server failing is reported as such.
    server.raw(StatusCode::INTERNAL_SERVER_ERROR, "{}");
    let error = round(&app, &base, &public, &dir).unwrap_err();
    assert!(matches!(error, UpdateError::Transport(_)), "{error}");
    // And an endpoint nobody answers on.
    let error = round(&app, "http://127.0.0.1:9", &public, &dir).unwrap_err();
    assert!(matches!(error, UpdateError::Transport(_)), "{error}");
    assert_eq!(server.downloads(), 0);
    assert!(staged_files(&dir).is_empty(), "something was staged");
}

#[test]
fn sources_are_checked_up_front() {
    let (public, _) = throwaway_key();
    assert!(matches!(UpdateSource::new("https://u/x", "not a key"), Err(UpdateError::BadKey(_))));
    let plain = String::from_utf8(STANDARD.decode(&public).unwrap()).unwrap();
    assert!(matches!(UpdateSource::new("https://u/x", &plain), Err(UpdateError::BadKey(_))));
    assert!(matches!(UpdateSource::new("ftp://u/x", &public), Err(UpdateError::BadEndpoint(_))));
    assert!(matches!(UpdateSource::new("not a url", &public), Err(UpdateError::BadEndpoint(_))));
    let source = UpdateSource::new("https://updates.example.invalid/{{target}}/{{arch}}", &public);
    assert!(source.is_ok(), "{source:?}");
}

#[test]
fn the_page_cannot_call_the_updater() {
    let mut app = reclaim_kiosk::run_app(mock_builder(), KioskCell::empty(), false)
        .build(reclaim_kiosk::context())
        .unwrap();
    #[allow(deprecated)]
    app.run_iteration(|_, _| {});
    let window = app.get_webview_window(MAIN_WINDOW).expect("setup creates the main window");
    for cmd in ["check", "download", "install", "download_and_install"] {
        let request = InvokeRequest {
            cmd: format!("plugin:updater|{cmd}"),
            callback: tauri::ipc::CallbackFn(0),
            error: tauri::ipc::CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: tauri::ipc::InvokeBody::Json(json!({})),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        };
        let refused = get_ipc_response(&window, request).expect_err(cmd);
        let text = refused.to_string();
        assert!(text.contains("not allowed"), "plugin:updater|{cmd}: {text}");
    }
    // And no capability grants it.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for entry in std::fs::read_dir(root.join("src-tauri/capabilities")).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        assert!(!text.contains("updater"), "a capability mentions the updater: {text}");
    }
}

#[test]
fn the_installer_units_run_the_root_side_installer_on_the_staging_folder() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let path_unit = std::fs::read_to_string(root.join("docs/kiosk/reclaim-update.path")).unwrap();
    let watch = format!("PathExistsGlob={}/*.deb", reclaim_kiosk::update::STAGING_DIR);
    assert!(path_unit.lines().any(|l| l == watch), "the path unit does not watch {watch}");
    assert!(path_unit.lines().any(|l| l == "Unit=reclaim-update.service"));
    let service = std::fs::read_to_string(root.join("docs/kiosk/reclaim-update.service")).unwrap();
    let exec: Vec<&str> = service.lines().filter(|l| l.starts_with("Exec")).collect();
    assert_eq!(
        exec,
        ["ExecStart=/usr/sbin/reclaim-update-install --restart-kiosk"],
        "the unit must run only the verifying installer, never dpkg on the staged file"
    );
    assert!(service.lines().any(|l| l == "User=root"));
}
