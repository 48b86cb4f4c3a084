//! A whole recovery through the recovery service (demo stack, session API over loopback) writes
//! a chained audit log that verifies: every step of the funnel, the station's enrolled id, UTC
//! timestamps, and nothing personal (no name, UPN, document number or TAP).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // set-up failures are test failures

use reclaim_engine::demo::DemoOptions;
use reclaim_engine::{ScanPath, View};
use reclaim_service::audit_log;
use reclaim_service::demo::{DemoService, DemoServiceOptions};
use reclaim_system_tests::station::{connect, wait};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_recovery_writes_a_chain_that_verifies_with_every_step() {
    let dir = tempfile::tempdir().unwrap();
    let service = DemoService::start(DemoServiceOptions {
        stack: DemoOptions { extra_stations: 1, ..DemoOptions::default() },
        audit_dir: Some(dir.path().join("audit")),
        ..Default::default()
    })
    .await
    .expect("the demo service starts");
    let credential = service.enroll("lobby").unwrap();
    let client = connect(credential.clone()).await;
    wait(&client, "a ready station", |v| v.station.ready).await;

    let stack = service.stack().clone();
    let persona = stack.emulator().state.fixture().persona("ana").unwrap().clone();
    client.begin().await.unwrap();
    client.submit_upn(persona.user_principal_name.clone()).await.unwrap();
    wait(&client, "choose provider", |v| matches!(v.view, View::ChooseProvider { .. })).await;
    client.choose_provider("trueid".into(), ScanPath::Phone).await.unwrap();
    let scan =
        wait(&client, "the link", |v| matches!(v.view, View::ScanId { link: Some(_), .. })).await;
    let View::ScanId { link: Some(link), .. } = scan.view else { unreachable!() };
    let phone = stack.phone_named("phone-ana");
    phone.complete_hosted_flow("trueid", &link.url, "ana").await.unwrap();
    let ask =
        wait(&client, "the QR", |v| matches!(v.view, View::OpenAuthenticator { qr: Some(_) }))
            .await;
    let View::OpenAuthenticator { qr: Some(qr) } = ask.view else { unreachable!() };
    phone.open(&qr.url).await.unwrap();
    phone.present(92.0).await.unwrap();
    let shown = wait(&client, "the TAP", |v| matches!(v.view, View::Tap { .. })).await;
    let View::Tap { tap } = shown.view else { unreachable!() };
    let code = tap.code();
    client.done().await.unwrap();
    wait(&client, "attract", |v| matches!(v.view, View::Attract)).await;

    // Everything audited so far is on disk; the chain verifies.
    let log = service.audit().unwrap().clone();
    let path = log.path().to_owned();
    // The session's wipe is audited as the station returns to attract.
    let deadline = std::time::Instant::now() + reclaim_system_tests::kiosk::STEP;
    let text = loop {
        let log = log.clone();
        tokio::task::spawn_blocking(move || log.flush()).await.unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        if text.contains("\"event\":\"wiped\"") || std::time::Instant::now() > deadline {
            break text;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let verified = audit_log::verify_file(&path).unwrap().intact().unwrap();
    assert_eq!(verified.records as usize, text.lines().count());

    let records: Vec<serde_json::Value> =
        text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let events: Vec<&str> = records.iter().map(|r| r["event"].as_str().unwrap()).collect();
    for step in [
        "started",
        "profile_resolved",
        "provider_chosen",
        "identity_issued",
        "presentation_requested",
        "presentation_verified",
        "matched",
        "tap_issued",
        "wiped",
    ] {
        assert!(events.contains(&step), "{step} not audited: {events:?}");
    }
    // In funnel order.
    let at = |e: &str| events.iter().position(|x| *x == e).unwrap();
    assert!(at("started") < at("provider_chosen") && at("provider_chosen") < at("tap_issued"));
    assert!(at("tap_issued") < at("wiped"));
    for (i, r) in records.iter().enumerate() {
        assert_eq!(r["seq"], i as u64 + 1);
        assert_eq!(r["station"], credential.station_id.as_str(), "{r}");
        let ts = r["ts"].as_str().unwrap();
        assert!(ts.ends_with('Z'), "{ts}");
        time::OffsetDateTime::parse(ts, &time::format_description::well_known::Rfc3339).unwrap();
    }
    // Pseudonymous: nothing that names the person, nor the pass.
    assert!(!text.contains(&code), "the TAP in the audit log");
    let upn = &persona.user_principal_name;
    assert!(!text.to_lowercase().contains(&upn.to_lowercase()), "the UPN in the audit log");
    let d = &persona.document;
    assert!(!text.contains(&d.family_name), "the family name in the audit log");
    assert!(!text.contains(&d.document_number), "the document number in the audit log");
    assert!(!text.contains(&d.date_of_birth), "the birth date in the audit log");
    assert!(records.iter().any(|r| r["account_ref"].as_str().is_some_and(|a| a.len() == 32)));

    service.shutdown().await;
    // Closed and reopened, the chain resumes after its last record.
    let closed = audit_log::verify_file(&path).unwrap().intact().unwrap();
    let reopened = audit_log::ChainedAudit::open(&path).unwrap();
    assert_eq!(reopened.flush(), closed.records);
    reopened.station("st-next").write(&reclaim_core::AuditEvent {
        at: time::OffsetDateTime::now_utc(),
        station_id: "next".into(),
        session_id: serde_json::from_value(records[0]["session_id"].clone()).unwrap(),
        account_ref: None,
        kind: reclaim_core::AuditKind::Started,
    });
    assert_eq!(reopened.flush(), closed.records + 1);
    reopened.close();
    assert_eq!(
        audit_log::verify_file(&path).unwrap().intact().unwrap().records,
        closed.records + 1
    );
}
