//! Attacks on the session's own proof and on the limits (`recovery-service.md` §5.3 and §5.5,
//! issue 13 items 3 and 5), run as executable scenarios against the demo stack through the
//! recovery service's session API. Each asserts the refusal *and* that no TAP exists in the
//! emulated tenant afterwards.
//!
//! * Relayed presentation: the attacker types the victim's account and sends the victim a photo
//!   of the presentation QR. Only a credential issued in this session by the provider the
//!   session used, after it began, is accepted; the QR is replaced every 2 minutes and an old
//!   one is dead; the Authenticator prompt names the station and the masked account.
//! * Limits: attempts per account count at every station of the service and survive a restart
//!   (file store); the Face Check budget of a station refuses before any paid call; the score
//!   never reaches a kiosk.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // set-up failures are test failures

use std::sync::Arc;
use std::time::Duration;

use reclaim_core::{AuditKey, AuditKind, ReasonCode};
use reclaim_engine::demo::DemoOptions;
use reclaim_engine::{ScanPath, View, ViewUpdate};
use reclaim_protocol::client::ServiceClient;
use reclaim_service::demo::{DemoService, DemoServiceOptions, SettingsHook};
use reclaim_service::limits::FileLimits;
use reclaim_system_tests::kiosk::{Kiosk, is_outcome, reason_of};
use reclaim_system_tests::station::{
    demo_service, enrolled as station, no_tap_left, persona_upn, present, taps, wait,
};
use serde_json::{Value, json};

async fn no_taps(k: &Kiosk) {
    let held = k.tenant().taps().await.unwrap();
    assert!(held.as_array().is_none_or(Vec::is_empty), "the tenant holds a TAP: {held}");
}

/// The credential the victim got at an earlier, genuine recovery: the same provider and claims
/// as the attacker's fresh one (copied from it), the victim's names, issued a day ago.
fn victims_old_credential(k: &Kiosk, fresh: &Value, persona: &str) -> Value {
    let fixture = k.stack.emulator().state.fixture();
    let d = &fixture.persona(persona).unwrap().document;
    let mut claims = fresh["claims"].clone();
    claims["firstName"] = json!(d.given_names);
    claims["lastName"] = json!(d.family_name);
    claims["fullName"] = json!(format!("{} {}", d.given_names, d.family_name));
    claims["documentNumber"] = json!(d.document_number);
    let yesterday = time::OffsetDateTime::now_utc() - time::Duration::days(1);
    let fmt = &time::format_description::well_known::Rfc3339;
    json!({
        "issuer": fresh["issuer"],
        "types": fresh["types"],
        "claims": claims,
        "issuanceDate": yesterday.replace_nanosecond(0).unwrap().format(fmt).unwrap(),
        "expirationDate": (yesterday + time::Duration::days(365)).replace_nanosecond(0).unwrap().format(fmt).unwrap(),
    })
}

/// The attacker at the kiosk: types the victim's account and passes the ID step with their own
/// document on their own phone; returns the presentation QR's URL and the attacker's credential.
async fn attacker_reaches_the_qr(k: &mut Kiosk, victim: &str, attacker: &str) -> (String, Value) {
    let upn = k.upn(victim);
    let v = k.identify(&upn).await;
    assert!(matches!(v.view, View::ChooseProvider { .. }), "{v:?}");
    let url = k.hosted_flow(attacker, "trueid").await;
    let held = k.phone().state().await.unwrap();
    let fresh = held["credentials"].as_array().unwrap().last().unwrap().clone();
    (url, fresh)
}

// ── relayed presentation ─────────────────────────────────────────────────────────────────────

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relayed_qr_a_credential_issued_before_the_session_is_refused() {
    let mut k = Kiosk::start().await;
    let (qr, fresh) = attacker_reaches_the_qr(&mut k, "ana", "kai").await;
    // The victim holds her own credential from an earlier recovery, and scans the photo of the
    // QR the attacker sent her ("security check, scan this"); her Face Check passes.
    let victim = k.stack.phone_named("victim-phone");
    victim.add_credential(victims_old_credential(&k, &fresh, "ana")).await.unwrap();
    victim.open(&qr).await.unwrap();
    victim.present(93.0).await.unwrap();
    let v = k.outcome().await;
    assert_eq!(reason_of(&v), Some(ReasonCode::PresentationFailed), "{v:?}");
    no_taps(&k).await;
    assert!(
        k.audit_events().iter().any(|e| matches!(e.kind, AuditKind::Ended { .. })),
        "the refusal is audited"
    );
    k.finish().await;
    no_taps(&k).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relayed_qr_a_credential_from_another_provider_is_refused() {
    let mut k = Kiosk::start().await;
    let (qr, fresh) = attacker_reaches_the_qr(&mut k, "ana", "kai").await;
    // Issued just now, but by another provider than the one this session used.
    let vouchsafe = k
        .stack
        .emulator()
        .state
        .fixture()
        .providers
        .iter()
        .find(|p| p.id == "vouchsafe")
        .unwrap()
        .issuer_did
        .clone();
    let mut other = victims_old_credential(&k, &fresh, "ana");
    other["issuer"] = json!(vouchsafe);
    other.as_object_mut().unwrap().remove("issuanceDate");
    let victim = k.stack.phone_named("victim-phone");
    victim.add_credential(other).await.unwrap();
    victim.open(&qr).await.unwrap();
    victim.present(93.0).await.unwrap();
    let v = k.outcome().await;
    assert!(
        matches!(
            reason_of(&v),
            Some(ReasonCode::PresentationFailed | ReasonCode::IssuerNotAccepted)
        ),
        "{v:?}"
    );
    no_taps(&k).await;
    k.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relayed_qr_older_than_two_minutes_is_replaced_and_refused() {
    // Session time on a manual clock; the person keeps touching the screen (no idle wipe).
    let mut k = Kiosk::start_with(
        |s| {
            s.config.idle_timeout_secs = 600;
            s.config.timeouts.presentation_secs = 300;
        },
        true,
    )
    .await;
    let upn = k.upn("ana");
    k.identify(&upn).await;
    let old = k.hosted_flow("ana", "trueid").await;
    // Two minutes pass on the tenant's clock and the service's.
    k.tenant().advance_clock(121).await.unwrap();
    k.clock.as_ref().unwrap().advance(Duration::from_secs(121));
    let new = k.authenticator_qr(Some(&old)).await.expect("a new QR replaces the old one");
    assert_ne!(new, old);
    // The photographed old QR reaches the victim, who presents with a passing Face Check.
    let victim = k.stack.phone_named("phone-ana");
    victim.open(&old).await.unwrap();
    victim.present(95.0).await.unwrap();
    // Nothing moved: the service no longer accepts the old request.
    let old_id = old.rsplit('/').next().unwrap();
    let r = k.tenant().request(old_id).await.unwrap();
    let verified_delivered = r["deliveries"].as_array().unwrap().iter().any(|d| {
        d["requestStatus"] == "presentation_verified"
            && d["outcome"] == "delivered"
            && d["httpStatus"].as_u64().is_some_and(|s| (200..300).contains(&s))
    });
    assert!(!verified_delivered, "the old request's callback was accepted: {r}");
    assert!(
        matches!(&k.service.current().view, View::OpenAuthenticator { qr: Some(q) } if q.url == new),
        "{:?}",
        k.service.current().view
    );
    no_taps(&k).await;
    k.service.cancel().await.unwrap();
    k.wait("attract", |v| matches!(v.view, View::Attract)).await;
    no_taps(&k).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_authenticator_prompt_names_the_station_and_the_masked_account() {
    let mut k = Kiosk::start().await;
    let upn = k.upn("ana");
    k.identify(&upn).await;
    let qr = k.hosted_flow("ana", "trueid").await;
    let id = qr.rsplit('/').next().unwrap();
    let stored = k.stack.emulator().state.requests().get(id).unwrap();
    let purpose = stored.body["registration"]["purpose"].as_str().unwrap_or_default().to_owned();
    let (local, domain) = upn.split_once('@').unwrap();
    // The station as its own screen names it.
    let station = k.service.current().station.station_id;
    assert!(purpose.contains(&format!("Reclaim station {station} ")), "{purpose}");
    assert!(purpose.contains(&format!("{}…@{domain}", &local[..1])), "{purpose}");
    assert!(!purpose.contains(local), "the account is not masked: {purpose}");
    k.service.cancel().await.unwrap();
    k.wait("attract", |v| matches!(v.view, View::Attract)).await;
    no_taps(&k).await;
}

// ── limits ───────────────────────────────────────────────────────────────────────────────────

/// Begin, type the account, and wait for the provider choice or an outcome; cancel or read it.
async fn attempt(service: &DemoService, client: &ServiceClient, persona: &str) -> ViewUpdate {
    client.begin().await.unwrap();
    client.submit_upn(persona_upn(service, persona)).await.unwrap();
    let v = wait(client, "the provider choice or an outcome", |v| {
        matches!(v.view, View::ChooseProvider { .. }) || is_outcome(v)
    })
    .await;
    if matches!(v.view, View::ChooseProvider { .. }) {
        client.cancel().await.unwrap();
    } else {
        client.done().await.unwrap();
    }
    wait(client, "attract", |v| matches!(v.view, View::Attract)).await;
    v
}

fn two_per_account() -> SettingsHook {
    Arc::new(|s| s.rate_limits.per_account = 2)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_attempts_at_one_station_count_at_another() {
    let service = demo_service(2, Some(two_per_account())).await;
    let lobby = station(&service, "lobby").await;
    let annex = station(&service, "annex").await;
    for _ in 0..2 {
        let v = attempt(&service, &lobby, "ana").await;
        assert!(matches!(v.view, View::ChooseProvider { .. }), "{v:?}");
    }
    // The third attempt for the account, at another station, is refused before any lookup.
    let v = attempt(&service, &annex, "ana").await;
    assert_eq!(reason_of(&v), Some(ReasonCode::RateLimited), "{v:?}");
    // Another account at that station still may.
    let v = attempt(&service, &annex, "kai").await;
    assert!(matches!(v.view, View::ChooseProvider { .. }), "{v:?}");
    assert!(taps(&service).await.is_empty());
    service.shutdown().await;
}

/// A whole phone-path recovery at a station up to its outcome (the TAP noted when shown).
async fn recover(service: &DemoService, client: &ServiceClient, persona: &str) -> ViewUpdate {
    client.begin().await.unwrap();
    client.submit_upn(persona_upn(service, persona)).await.unwrap();
    let v = wait(client, "the provider choice or an outcome", |v| {
        matches!(v.view, View::ChooseProvider { .. }) || is_outcome(v)
    })
    .await;
    if is_outcome(&v) {
        return v;
    }
    present(service, client, persona).await;
    wait(client, "the outcome", |v| matches!(v.view, View::Tap { .. }) || is_outcome(v)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_view_never_carries_the_face_check_score() {
    let service = demo_service(2, None).await;
    let client = station(&service, "lobby").await;
    let mut updates = client.updates();
    let v = recover(&service, &client, "ana").await;
    assert!(matches!(v.view, View::Tap { .. }), "{v:?}");
    // Walks away from the pass (cancel): it is deleted; the test looks at what the kiosk got.
    client.cancel().await.unwrap();
    wait(&client, "attract", |v| matches!(v.view, View::Attract)).await;
    let mut results = 0;
    while let Ok(u) = updates.try_recv() {
        let json = serde_json::to_value(&u.view).unwrap();
        if json["screen"] == "faceCheckResult" {
            results += 1;
            assert_eq!(json["passed"], true);
            assert!(json.get("score").is_none() && json.get("threshold").is_none(), "{json}");
        }
    }
    assert_eq!(results, 1, "the Face Check result was shown");
    assert!(no_tap_left(&service).await, "the walked-away TAP is still in the tenant");
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_survive_a_service_restart() {
    let state = tempfile::tempdir().unwrap();
    // The service's audit key outlives a restart (production: its secret store), and so do
    // the pseudonyms the limits are kept under.
    let hook: SettingsHook = Arc::new(|s| {
        s.rate_limits.per_account = 2;
        s.audit_key = AuditKey::new(b"the-service-audit-key".to_vec());
    });
    let start = || async {
        DemoService::start(DemoServiceOptions {
            stack: DemoOptions { extra_stations: 1, ..DemoOptions::default() },
            settings: Some(hook.clone()),
            limits_store: Some(Arc::new(FileLimits::open(state.path()).unwrap())),
            ..Default::default()
        })
        .await
        .unwrap()
    };
    let service = start().await;
    let lobby = station(&service, "lobby").await;
    for _ in 0..2 {
        let v = attempt(&service, &lobby, "ana").await;
        assert!(matches!(v.view, View::ChooseProvider { .. }), "{v:?}");
    }
    service.shutdown().await;
    let file = std::fs::read_to_string(state.path().join("limits.json")).unwrap();
    assert!(!file.contains("ana"), "the limits name the account: {file}");

    // The service restarts: the account's third attempt is still refused.
    let service = start().await;
    let lobby = station(&service, "lobby").await;
    let v = attempt(&service, &lobby, "ana").await;
    assert_eq!(reason_of(&v), Some(ReasonCode::RateLimited), "{v:?}");
    assert!(taps(&service).await.is_empty());
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn face_check_budget_spent_refuses_before_any_paid_call() {
    let hook: SettingsHook = Arc::new(|s| s.config.face_check_budget_per_day = 1);
    let service = demo_service(2, Some(hook)).await;
    let requests = || service.stack().emulator().state.requests().len();
    let lobby = station(&service, "lobby").await;
    // The station's one Face Check of the day fails (billed all the same)…
    lobby.begin().await.unwrap();
    lobby.submit_upn(persona_upn(&service, "ana")).await.unwrap();
    wait(&lobby, "choose provider", |v| matches!(v.view, View::ChooseProvider { .. })).await;
    lobby.choose_provider("trueid".into(), ScanPath::Phone).await.unwrap();
    let scan =
        wait(&lobby, "the link", |v| matches!(v.view, View::ScanId { link: Some(_), .. })).await;
    let View::ScanId { link: Some(link), .. } = scan.view else { unreachable!() };
    let phone = service.stack().phone_named("phone-ana");
    phone.complete_hosted_flow("trueid", &link.url, "ana").await.unwrap();
    let ask =
        wait(&lobby, "the QR", |v| matches!(v.view, View::OpenAuthenticator { qr: Some(_) })).await;
    let View::OpenAuthenticator { qr: Some(qr) } = ask.view else { unreachable!() };
    let presentations = requests();
    phone.open(&qr.url).await.unwrap();
    phone.present(40.0).await.unwrap();
    // …so the retry is refused before a new presentation request is made.
    let v = wait(&lobby, "the refusal", |v| matches!(v.view, View::CouldNotComplete { .. })).await;
    assert_eq!(reason_of(&v), Some(ReasonCode::RateLimited), "{v:?}");
    assert_eq!(requests(), presentations, "a presentation was requested past the budget");
    lobby.done().await.unwrap();
    wait(&lobby, "attract", |v| matches!(v.view, View::Attract)).await;
    // The next person at that station is refused before the provider (no link, no request).
    let v = attempt(&service, &lobby, "kai").await;
    assert_eq!(reason_of(&v), Some(ReasonCode::RateLimited), "{v:?}");
    assert_eq!(requests(), presentations);
    // Another station has its own budget.
    let annex = station(&service, "annex").await;
    let v = attempt(&service, &annex, "kai").await;
    assert!(matches!(v.view, View::ChooseProvider { .. }), "{v:?}");
    assert!(taps(&service).await.is_empty());
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_a_document_counts_at_every_station() {
    let hook: SettingsHook = Arc::new(|s| s.rate_limits.per_document = 1);
    let service = demo_service(2, Some(hook)).await;
    let lobby = station(&service, "lobby").await;
    let v = recover(&service, &lobby, "ana").await;
    assert!(matches!(v.view, View::Tap { .. }), "{v:?}");
    lobby.cancel().await.unwrap();
    wait(&lobby, "attract", |v| matches!(v.view, View::Attract)).await;
    assert!(no_tap_left(&service).await, "the walked-away TAP is still in the tenant");
    // The same document again, at another station: refused when the presentation arrives,
    // before the directory search and the TAP.
    let annex = station(&service, "annex").await;
    let v = recover(&service, &annex, "ana").await;
    assert_eq!(reason_of(&v), Some(ReasonCode::RateLimited), "{v:?}");
    assert!(taps(&service).await.is_empty());
    service.shutdown().await;
}
