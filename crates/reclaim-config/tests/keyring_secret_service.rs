//! `KeyringStore` against the REAL Secret Service: the test re-runs itself under
//! `dbus-run-session` with a fresh `gnome-keyring-daemon --unlock` in a private HOME (never the
//! developer's keyring), stores secrets (through the library and through `reclaim-config
//! set-secret`), enrols the station (`reclaim-config enroll URL CODE` against the service's
//! enrolment endpoint in-process: the credential lands in the keyring as `station-credential`),
//! reads them back in a second session (they persist on disk), and checks the errors for a
//! locked keyring and for no D-Bus at all. Missing tools fail the test, loudly.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reclaim_config::{KeyringStore, SecretError, SecretName, SecretStore};
use secrecy::{ExposeSecret, SecretString};

const TEST_NAME: &str = "keyring_store_round_trips_through_the_real_secret_service";
const PHASE: &str = "RECLAIM_KEYRING_TEST_PHASE";
const PASSWORD: &str = "RECLAIM_KEYRING_TEST_PASSWORD";
const CLIENT_SECRET: &str = "client-secret-from-the-library-0001";
const RELAY_CREDENTIAL: &str = "relay-credential-from-the-cli-0001";
const TOOLS: [&str; 3] = ["dbus-run-session", "gnome-keyring-daemon", "secret-tool"];

#[test]
fn keyring_store_round_trips_through_the_real_secret_service() {
    match std::env::var(PHASE).as_deref() {
        Ok("store") => return phase_store(),
        Ok("read") => return phase_read(),
        Ok("locked") => return phase_locked(),
        Ok("no-bus") => return phase_no_bus(),
        _ => {}
    }
    let missing: Vec<&str> = TOOLS.iter().copied().filter(|t| !on_path(t)).collect();
    assert!(
        missing.is_empty(),
        "the Secret Service integration test needs {missing:?} on PATH: \
         `apt-get install -y dbus dbus-x11 gnome-keyring libsecret-tools` (scripts/setup.sh \
         installs them). This test does not skip: without them the keyring path is untested."
    );
    let tmp = tempfile::tempdir().expect("tempdir");
    let home = tmp.path().join("home");
    let runtime = tmp.path().join("run");
    std::fs::create_dir_all(&home).expect("home");
    std::fs::create_dir_all(&runtime).expect("runtime dir");
    set_mode_700(&runtime);

    // 1. A fresh login keyring: store through the library and the CLI, read back, secret-tool.
    run_phase("store", &home, &runtime, true);
    assert!(home.join(".local/share/keyrings/login.keyring").is_file(), "keyring file on disk");
    // 2. A new D-Bus session unlocking the same keyring: the secrets are still there.
    run_phase("read", &home, &runtime, true);
    // 3. The keyring daemon running but the keyring locked: a clear "locked" error.
    run_phase("locked", &home, &runtime, false);
    // 4. No session bus at all: a clear "not available" error.
    run_phase("no-bus", &home, &runtime, false);
}

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|dir| dir.join(tool).is_file()))
}

#[cfg(unix)]
fn set_mode_700(dir: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).expect("chmod");
}

#[cfg(not(unix))]
fn set_mode_700(_: &Path) {}

/// Re-runs this test binary (this test only) in `phase`. `unlock`: under `dbus-run-session`
/// after `gnome-keyring-daemon --unlock`; otherwise "locked" starts the daemon without
/// unlocking and "no-bus" runs with no session bus.
fn run_phase(phase: &str, home: &Path, runtime: &Path, unlock: bool) {
    let exe = std::env::current_exe().expect("current exe");
    let test_args = [TEST_NAME, "--exact", "--nocapture", "--test-threads=1"];
    let mut cmd = if phase == "no-bus" {
        let mut c = Command::new(&exe);
        c.args(test_args);
        c
    } else {
        let daemon = if unlock {
            r#"printf %s "$RECLAIM_KEYRING_TEST_PASSWORD" | gnome-keyring-daemon --unlock --components=secrets >/dev/null || exit 90"#
        } else {
            "gnome-keyring-daemon --start --components=secrets >/dev/null || exit 90"
        };
        let mut c = Command::new("dbus-run-session");
        c.args(["--", "sh", "-c", &format!("{daemon}; exec \"$@\""), "sh"])
            .arg(&exe)
            .args(test_args);
        c
    };
    cmd.env(PHASE, phase)
        .env(PASSWORD, "reclaim-test-login-password")
        .env("HOME", home)
        .env("XDG_RUNTIME_DIR", runtime)
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("GNOME_KEYRING_CONTROL")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn the phase");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match child.try_wait().expect("wait") {
            Some(_) => break,
            None if Instant::now() > deadline => {
                let _ = child.kill();
                let out = child.wait_with_output().expect("output");
                panic!(
                    "phase {phase} hung for 60 s\nstdout:\n{}\nstderr:\n{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            None => std::thread::sleep(Duration::from_millis(20)),
        }
    }
    let out = child.wait_with_output().expect("output");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "phase {phase} failed ({})\nstdout:\n{stdout}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

fn secret(v: &str) -> SecretString {
    SecretString::from(v.to_owned())
}

fn phase_store() {
    let store = KeyringStore::new();
    assert_eq!(store.service(), "reclaim");
    let err = store.get(&SecretName::ClientSecret).expect_err("fresh keyring");
    assert!(matches!(err, SecretError::Missing { .. }), "{err}");
    assert!(err.to_string().contains("reclaim-config set-secret client-secret"), "{err}");

    store.set(&SecretName::ClientSecret, &secret(CLIENT_SECRET)).expect("set via the library");

    // The admin CLI, value on stdin with a trailing newline (dropped).
    let mut cli = Command::new(env!("CARGO_BIN_EXE_reclaim-config"))
        .args(["set-secret", "relay-credential"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("reclaim-config");
    cli.stdin
        .take()
        .expect("stdin")
        .write_all(format!("{RELAY_CREDENTIAL}\n").as_bytes())
        .expect("write");
    let out = cli.wait_with_output().expect("cli");
    let (stdout, stderr) =
        (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "set-secret failed: {stderr}");
    assert!(stderr.contains("stored `relay-credential`"), "{stderr}");
    assert!(!stdout.contains(RELAY_CREDENTIAL) && !stderr.contains(RELAY_CREDENTIAL), "echoed");

    // A value the relay would refuse is refused before it is stored.
    let out = Command::new(env!("CARGO_BIN_EXE_reclaim-config"))
        .args(["set-secret", "relay-credential"])
        .stdin(Stdio::null())
        .output()
        .expect("cli");
    assert!(!out.status.success(), "empty value accepted");

    assert_eq!(store.get(&SecretName::ClientSecret).expect("get").expose_secret(), CLIENT_SECRET);
    assert_eq!(
        store.get(&SecretName::RelayCredential).expect("get").expose_secret(),
        RELAY_CREDENTIAL
    );

    // The entry layout the README documents for admins.
    let out = Command::new("secret-tool")
        .args(["lookup", "service", "reclaim", "username", "client-secret"])
        .output()
        .expect("secret-tool");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim_end(), CLIENT_SECRET);

    // Delete: gone afterwards, and deleting again says it is missing.
    let link = SecretName::ProviderLinkKey("trueid".into());
    store.set(&link, &secret("link-signing-key-0123456789")).expect("set");
    store.delete(&link).expect("delete");
    assert!(matches!(store.get(&link), Err(SecretError::Missing { .. })));
    assert!(matches!(store.delete(&link), Err(SecretError::Missing { .. })));
    // Replacing keeps one entry.
    store.set(&SecretName::ClientSecret, &secret(CLIENT_SECRET)).expect("set again");
    assert_eq!(store.get(&SecretName::ClientSecret).expect("get").expose_secret(), CLIENT_SECRET);

    phase_store_enroll(&store);
}

/// `reclaim-config enroll URL CODE` (no `--file`): the station credential goes to the keyring.
fn phase_store_enroll(store: &KeyringStore) {
    use reclaim_service::stations::{StationAuth, StationRegistry, enroll_router};
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let registry = StationRegistry::in_memory();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let app = enroll_router().with_state(StationAuth::new(registry.clone(), &url));
    runtime.spawn(async move { axum::serve(listener, app).await });

    let enroll = |code: &str| {
        Command::new(env!("CARGO_BIN_EXE_reclaim-config"))
            .args(["enroll", &url, code])
            .output()
            .expect("reclaim-config enroll")
    };
    let code = registry.issue_code("keyring-kiosk").expect("code");
    let out = enroll(&code);
    let (stdout, stderr) =
        (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "enroll failed: {stdout}\n{stderr}");
    assert!(stderr.contains("account station-credential"), "{stderr}");
    let credential = store.station_credential().expect("credential in the keyring");
    let station = registry.list().pop().expect("enrolled");
    assert_eq!(credential.station_id, station.id.as_str());
    let now = time::OffsetDateTime::now_utc();
    assert_eq!(registry.verify(&credential.assertion(now), &url, now), Ok(station.id));
    let compact = credential.to_compact();
    assert!(!stdout.contains(compact.as_str()) && !stderr.contains(compact.as_str()));

    // A second enrolment does not silently replace it (and does not spend the code).
    let again = registry.issue_code("keyring-kiosk-2").expect("code");
    let out = enroll(&again);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--replace"));
    assert_eq!(registry.pending(now).len(), 1);
    assert_eq!(
        store.station_credential().expect("unchanged").key.public_key(),
        credential.key.public_key()
    );
}

fn phase_read() {
    let store = KeyringStore::new();
    assert_eq!(
        store.get(&SecretName::ClientSecret).expect("persisted").expose_secret(),
        CLIENT_SECRET
    );
    assert_eq!(
        store.get(&SecretName::RelayCredential).expect("persisted").expose_secret(),
        RELAY_CREDENTIAL
    );
    let station = store.station_credential().expect("station credential persisted");
    assert!(station.station_id.starts_with("st-"), "{station:?}");
    // `reclaim-config check --secrets` sees them too (and names what is missing).
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("reclaim.toml");
    std::fs::write(&file, config_needing_three_secrets()).expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_reclaim-config"))
        .args(["check", "--secrets"])
        .arg(&file)
        .output()
        .expect("cli");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "a secret is missing: {stdout}");
    assert!(stdout.starts_with("OK\n"), "{stdout}");
    assert!(stdout.contains("secret `client-secret`: set"), "{stdout}");
    assert!(stdout.contains("secret `relay-credential`: set"), "{stdout}");
    let missing = "secret `provider.trueid.link-signing-key` (provider \"trueid\"'s link-signing \
                   key) is not set: store it with `reclaim-config set-secret \
                   provider.trueid.link-signing-key`";
    assert!(stdout.contains(missing), "{stdout}");
    assert!(!stdout.contains(CLIENT_SECRET) && !stdout.contains(RELAY_CREDENTIAL), "{stdout}");
}

fn config_needing_three_secrets() -> &'static str {
    r#"[station]
id = "lobby-1"
[tenant]
id = "contoso.onmicrosoft.com"
client_id = "11111111-2222-4333-8444-555555555555"
[tenant.credential]
kind = "secret"
[verifier]
authority = "did:web:verifiedid.contoso.com"
[relay]
url = "https://relay.contoso.com"
[[providers]]
id = "trueid"
display_name = "TrueIdentity"
issuer_did = "did:web:idv.trueid.example"
hosted_flow_url = "https://idv.trueid.example/reclaim"
documents = ["passport"]
"#
}

fn phase_locked() {
    let err = KeyringStore::new().get(&SecretName::ClientSecret).expect_err("locked keyring");
    assert!(matches!(err, SecretError::Locked { .. }), "expected Locked, got {err:?}");
    let text = err.to_string();
    assert!(text.contains("locked") && text.contains("--unlock"), "{text}");
    assert!(!text.contains(CLIENT_SECRET), "{text}");
}

fn phase_no_bus() {
    let err = KeyringStore::new().get(&SecretName::ClientSecret).expect_err("no bus");
    assert!(matches!(err, SecretError::Unavailable { .. }), "expected Unavailable, got {err:?}");
    assert!(err.to_string().contains("D-Bus"), "{err}");
}
