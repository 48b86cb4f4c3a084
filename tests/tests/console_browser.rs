//! Issue 16: the operator console in a real browser (Debian's Chromium through
//! `ui/tests/browser/console.mjs`, axe-core included): an operator signs in through the emulated
//! tenant's sign-in page, finds the waiting case, approves it — and the kiosk shows the TAP — or
//! refuses it; a signed-in non-operator is turned away. Needs `chromium` and `ui/node_modules`
//! (what `scripts/setup.sh` and the UI build install). Screenshots go to
//! `target/console-shots/` (or `$RECLAIM_CONSOLE_SHOTS`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::Command;

use reclaim_engine::View;
use reclaim_engine::demo::DemoOptions;
use reclaim_protocol::StaffHelp;
use reclaim_protocol::client::ServiceClient;
use reclaim_service::demo::{DEMO_NON_OPERATOR, DEMO_OPERATOR, DemoService, DemoServiceOptions};
use reclaim_system_tests::station::{enrolled, no_tap_left, prove, taps, wait};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn shots(name: &str) -> PathBuf {
    std::env::var_os("RECLAIM_CONSOLE_SHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target/console-shots"))
        .join(name)
}

/// Runs the browser script; its output on failure.
async fn browser(args: Vec<String>) {
    let out = run_browser(args).await;
    check(&out);
}

async fn run_browser(args: Vec<String>) -> std::process::Output {
    tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg("ui/tests/browser/console.mjs")
            .args(args)
            .current_dir(repo())
            .output()
            .expect("node runs")
    })
    .await
    .unwrap()
}

fn check(out: &std::process::Output) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && stdout.contains("console: ok"), "{stdout}\n{stderr}");
}

async fn service() -> DemoService {
    DemoService::start(DemoServiceOptions {
        stack: DemoOptions { extra_stations: 1, ..DemoOptions::default() },
        console: true,
        ..Default::default()
    })
    .await
    .expect("the demo service starts")
}

/// The namesake asks for staff; the reference the kiosk shows.
async fn waiting(service: &DemoService) -> (ServiceClient, String) {
    let kiosk = enrolled(service, "lobby").await;
    let reference = asks(service, &kiosk).await;
    (kiosk, reference)
}

/// At `kiosk`, the namesake is refused and asks for staff; the reference it shows.
async fn asks(service: &DemoService, kiosk: &ServiceClient) -> String {
    prove(service, kiosk, "namesake").await;
    wait(kiosk, "the offer", |v| {
        matches!(v.view, View::CouldNotComplete { staff: StaffHelp::Offered, .. })
    })
    .await;
    kiosk.ask_for_staff().await.unwrap();
    let view = wait(kiosk, "waiting", |v| {
        matches!(v.view, View::CouldNotComplete { staff: StaffHelp::Waiting, .. })
    })
    .await;
    let View::CouldNotComplete { reference, .. } = view.view else { unreachable!() };
    reference
}

fn args(service: &DemoService, user: (&str, &str), rest: &[&str]) -> Vec<String> {
    let mut a = vec![
        "--url".to_owned(),
        format!("{}/console", service.url()),
        "--user".to_owned(),
        user.0.to_owned(),
        "--password".to_owned(),
        user.1.to_owned(),
    ];
    a.extend(rest.iter().map(|s| (*s).to_owned()));
    a
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_approves_a_duplicate_name_case_in_the_browser_and_the_kiosk_shows_the_tap() {
    let service = service().await;
    // The operator is signed in and looking at the stations before anyone asks: the case and
    // the station's new step must arrive live.
    let dir = shots("approve");
    let ready = dir.join("ready");
    let _ = std::fs::remove_file(&ready);
    std::fs::create_dir_all(&dir).unwrap();
    let rest = [
        "--expect-reference",
        "RC-DUPLICATE_NAME-",
        "--decision",
        "approve",
        "--choose-upn",
        "ana.costa@contoso.example",
        "--shots",
        dir.to_str().unwrap(),
        "--ready-file",
        ready.to_str().unwrap(),
    ];
    // The station is enrolled and online before the console opens, so it is in the list.
    let kiosk = enrolled(&service, "lobby").await;
    let browser = tokio::spawn(run_browser(args(&service, DEMO_OPERATOR, &rest)));
    for _ in 0..600 {
        if ready.exists() || browser.is_finished() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(ready.exists(), "the console never showed the stations");
    let _ = asks(&service, &kiosk).await;
    check(&browser.await.unwrap());
    wait(&kiosk, "the TAP", |v| matches!(v.view, View::Tap { .. })).await;
    let held = taps(&service).await;
    assert_eq!(held.len(), 1);
    assert_eq!(held[0]["userId"], "1a000000-0000-4000-8000-000000000014");
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_refuses_in_the_browser_and_no_tap_exists() {
    let service = service().await;
    let (kiosk, reference) = waiting(&service).await;
    let dir = shots("refuse");
    let rest = [
        "--expect-reference",
        &reference,
        "--decision",
        "refuse",
        "--shots",
        dir.to_str().unwrap(),
    ];
    browser(args(&service, DEMO_OPERATOR, &rest)).await;
    wait(&kiosk, "the refusal", |v| {
        matches!(&v.view, View::CouldNotComplete { reason, .. }
            if reason.0 == reclaim_core::ReasonCode::RefereeRefused)
    })
    .await;
    assert!(no_tap_left(&service).await);
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_outside_the_operators_group_are_turned_away_in_the_browser() {
    let service = service().await;
    let dir = shots("denied");
    let rest = ["--expect-denied", "--shots", dir.to_str().unwrap()];
    browser(args(&service, DEMO_NON_OPERATOR, &rest)).await;
    service.shutdown().await;
}
