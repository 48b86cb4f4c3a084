//! The kiosk's log file after a whole recovery holds the audit trail and nothing personal: not
//! the TAP, not the account name, not the names, number or birth date on the ID.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // set-up failures are test failures

mod common;

use common::wait;
use reclaim_engine::demo::DemoOptions;
use reclaim_engine::{ScanPath, View};
use reclaim_kiosk::{DemoLaunch, Kiosk, logging};
use tauri::async_runtime::block_on;

/// Whether `text` holds `word` as a whole word (so "Ana" is not found in "analysis").
fn has_word(text: &str, word: &str) -> bool {
    text.split(|c: char| !c.is_alphanumeric()).any(|w| w == word)
}

#[test]
fn a_whole_recovery_logs_its_audit_trail_and_nothing_personal() {
    let dir = std::env::temp_dir().join(format!("reclaim-logs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    // The production default level; `RECLAIM_LOG` may not be set for this test.
    assert!(std::env::var_os("RECLAIM_LOG").is_none(), "unset RECLAIM_LOG for this test");
    let guard = logging::init(Some(&dir), 3).unwrap();

    let kiosk = block_on(Kiosk::start_demo(DemoLaunch {
        options: DemoOptions { station_id: "log-test".into(), ..DemoOptions::default() },
        camera: false,
        ..DemoLaunch::default()
    }))
    .unwrap();
    let demo = kiosk.demo().unwrap();
    let persona = demo.stack().emulator().state.fixture().persona("ana").unwrap().clone();
    let upn = persona.user_principal_name.clone();
    let phone = demo.stack().phone();

    block_on(kiosk.service().begin()).unwrap();
    block_on(kiosk.submit_upn(upn.clone())).unwrap();
    wait(&kiosk, "choose provider", |u| matches!(u.view, View::ChooseProvider { .. }));
    block_on(kiosk.service().choose_provider("trueid".into(), ScanPath::Phone)).unwrap();
    let scan = wait(&kiosk, "the link", |u| matches!(u.view, View::ScanId { link: Some(_), .. }));
    let View::ScanId { link: Some(link), .. } = scan.view else { unreachable!() };
    block_on(phone.complete_hosted_flow("trueid", &link.url, "ana")).unwrap();
    let ask = wait(&kiosk, "the QR", |u| matches!(u.view, View::OpenAuthenticator { qr: Some(_) }));
    let View::OpenAuthenticator { qr: Some(qr) } = ask.view else { unreachable!() };
    block_on(phone.open(&qr.url)).unwrap();
    block_on(phone.present(90.0)).unwrap();
    let shown = wait(&kiosk, "the TAP", |u| matches!(u.view, View::Tap { .. }));
    let View::Tap { tap } = shown.view else { unreachable!() };
    let code = tap.code();
    block_on(kiosk.service().done()).unwrap();
    wait(&kiosk, "attract", |u| matches!(u.view, View::Attract));
    block_on(kiosk.shutdown());
    drop(guard); // flushes the file writer

    let mut log = String::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        assert!(path.file_name().unwrap().to_string_lossy().starts_with(logging::FILE_PREFIX));
        log.push_str(&std::fs::read_to_string(path).unwrap());
    }
    std::fs::remove_dir_all(&dir).unwrap();

    // The log is the real one: the recovery's audit trail is in it.
    for event in ["\"event\":\"started\"", "\"event\":\"presentation_verified\"", "tap_issued"] {
        assert!(log.contains(event), "no {event} in the log:\n{log}");
    }
    // Nothing that identifies the person, and never the pass.
    assert!(!log.contains(&code), "the TAP is in the log");
    assert!(!log.to_lowercase().contains(&upn.to_lowercase()), "the account name is in the log");
    let d = &persona.document;
    for given in d.given_names.split_whitespace() {
        assert!(!has_word(&log, given), "the given name {given} is in the log");
    }
    assert!(!has_word(&log, &d.family_name), "the family name is in the log");
    assert!(!log.contains(&d.document_number), "the document number is in the log");
    assert!(!log.contains(&d.date_of_birth), "the birth date is in the log");
}
