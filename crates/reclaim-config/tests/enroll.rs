//! `reclaim-config enroll URL CODE --file PATH` against the service's real enrolment endpoint
//! (`reclaim_service::stations::enroll_router`) served in-process on loopback. The keyring
//! variant is exercised in `keyring_secret_service.rs` (real Secret Service).

use std::path::Path;
use std::process::{Command, Output};

use reclaim_protocol::station::StationCredential;
use reclaim_service::stations::{StationAuth, StationRegistry, enroll_router};
use time::OffsetDateTime;

/// The enrolment endpoint on 127.0.0.1; returns its base URL.
async fn serve(registry: &StationRegistry) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let app = enroll_router().with_state(StationAuth::new(registry.clone(), &url));
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

/// Runs the CLI off the runtime's threads.
async fn cli(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_reclaim-config")).args(&args).output().expect("run")
    })
    .await
    .expect("join")
}

fn text(out: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn args(list: &[&str], file: &Path) -> Vec<String> {
    let mut v: Vec<String> = list.iter().map(|s| (*s).to_owned()).collect();
    v.push("--file".into());
    v.push(file.display().to_string());
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enroll_writes_a_private_credential_the_service_accepts() {
    let registry = StationRegistry::in_memory();
    let url = serve(&registry).await;
    let code = registry.issue_code("kiosk-1").expect("code");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("station.cred");

    // A trailing slash on the URL is fine: the credential keeps the base URL without it.
    let out = cli(args(&["enroll", &format!("{url}/"), &code], &file)).await;
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    let station = registry.list().pop().expect("enrolled");
    assert_eq!(station.name, "kiosk-1");
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains(&format!("enrolled as station kiosk-1 ({})", station.id)),
        "{all}"
    );

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&file).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    let credential = StationCredential::read_file(&file).expect("credential");
    assert_eq!(credential.station_id, station.id.as_str());
    assert_eq!(credential.service_url, url);
    assert_eq!(credential.key.public_key(), station.public_key);
    // Neither the code nor the credential is echoed.
    let compact = credential.to_compact();
    assert!(!all.contains(&code) && !all.contains(compact.as_str()), "{all}");

    // The kiosk's assertion is accepted by the service that enrolled it.
    let now = OffsetDateTime::now_utc();
    assert_eq!(registry.verify(&credential.assertion(now), &url, now), Ok(station.id.clone()));

    // The code is spent: a second kiosk using it is refused and gets no file.
    let second = dir.path().join("second.cred");
    let out = cli(args(&["enroll", &url, &code], &second)).await;
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("refused the code"), "{}", text(&out));
    assert!(!second.exists());
    assert_eq!(registry.list().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enroll_refuses_before_spending_the_code() {
    let registry = StationRegistry::in_memory();
    let url = serve(&registry).await;
    let code = registry.issue_code("kiosk-2").expect("code");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("station.cred");

    // An existing file is not overwritten without --replace.
    std::fs::write(&file, "keep me").expect("write");
    let out = cli(args(&["enroll", &url, &code], &file)).await;
    assert!(!out.status.success());
    assert!(text(&out).contains("--replace"), "{}", text(&out));
    assert_eq!(std::fs::read_to_string(&file).expect("read"), "keep me");
    // Plain http to a non-loopback host is refused.
    let out = cli(args(&["enroll", "http://recovery.contoso.example", &code], &file)).await;
    assert!(!out.status.success());
    assert!(text(&out).contains("use https"), "{}", text(&out));
    assert!(registry.list().is_empty(), "nothing was enrolled");
    assert_eq!(registry.pending(OffsetDateTime::now_utc()).len(), 1, "the code is unspent");

    // With --replace the same code still works.
    let out = cli(args(&["enroll", &url, &code, "--replace"], &file)).await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(StationCredential::read_file(&file).is_ok());

    // A wrong code: refused, the service's message relayed.
    let out = cli(args(&["enroll", &url, "AAAA-BBBB-CCCC-DDDD", "--replace"], &file)).await;
    assert!(!out.status.success());
    assert!(text(&out).contains("wrong, already used or expired"), "{}", text(&out));
}
