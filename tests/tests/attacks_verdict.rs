//! Attacks on the verdict (issue 13 items 1, 6 and 8; `recovery-service.md` §5 items 2, 7 and
//! 10), run as executable scenarios against the demo stack through the recovery service's
//! session API (`ServiceClient`, as a kiosk drives it). Each asserts the refusal *and* that no TAP
//! exists in the emulated tenant afterwards (the emulator's control API lists them).
//!
//! * Name takeover (§5.2, item 1): `Ana / Lima Costa`, another enabled member, types Ana Lima's
//!   account with her own genuine ID `Ana Maria / Lima Costa` and her own face. Relaxed matching
//!   pairs that ID with Ana Lima too; a recovery proceeds only when exactly one enabled member
//!   matches the credential under the profile's rule: `duplicate_name`, staff hand-off.
//! * Stale scope (§5.7, item 6): the account is disabled, removed from its recovery group, or
//!   the TAP policy is turned off after eligibility was resolved, while the facts are being read
//!   again right before the TAP: the neutral answer, no TAP.
//! * Enumeration (§5.10, item 8): an unknown, an ineligible and an excluded account get the same
//!   screen after the same (padded) time.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // set-up failures are test failures

use std::sync::Arc;
use std::time::{Duration, Instant};

use reclaim_core::ReasonCode;
use reclaim_engine::View;
use reclaim_protocol::ViewUpdate;
use reclaim_protocol::client::ServiceClient;
use reclaim_service::demo::{DemoService, SettingsHook};
use reclaim_system_tests::station::{
    demo_service, enrolled as station, no_tap_left, persona_upn, prove, taps, wait,
};
use serde_json::{Value, json};

/// Ana Lima's object id in the demo tenant.
const ANA_ID: &str = "1a000000-0000-4000-8000-000000000001";

fn control(service: &DemoService) -> String {
    service.stack().control_url().trim_end_matches('/').to_owned()
}

async fn refusal(client: &ServiceClient) -> ReasonCode {
    let end =
        wait(client, "the refusal", |v| matches!(v.view, View::CouldNotComplete { .. })).await;
    let View::CouldNotComplete { reason, .. } = end.view else { unreachable!() };
    reason.0
}

// ── name takeover ────────────────────────────────────────────────────────────────────────────

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn name_takeover_by_another_user_whom_relaxed_matching_also_fits_is_refused() {
    let service = demo_service(1, None).await;
    let client = station(&service, "lobby").await;
    // Ana Lima Costa (ana.costa@…) types ana.lima@… and shows her own ID: Ana Maria / Lima Costa.
    assert_eq!(persona_upn(&service, "namesake"), "ana.lima@contoso.example");
    prove(&service, &client, "namesake").await;
    assert_eq!(refusal(&client).await, ReasonCode::DuplicateName);
    assert!(no_tap_left(&service).await, "a TAP for the namesake's takeover");
    service.shutdown().await;
}

// ── stale scope ──────────────────────────────────────────────────────────────────────────────

async fn patch(url: String, body: Value) {
    let status =
        reqwest::Client::new().patch(&url).json(&body).send().await.unwrap().status().as_u16();
    assert!(matches!(status, 200 | 204), "PATCH {url}: {status}");
}

/// Ana proves who she is; while the facts are being read again right before the TAP (the read of
/// her account by id is held 3 s by the emulator), `change` happens. No TAP may follow.
async fn stale_scope_is_refused(change: impl AsyncFnOnce(&DemoService)) {
    let service = demo_service(1, None).await;
    service
        .stack()
        .tenant()
        .add_fault(json!({"service": "graph", "pathContains": format!("users/{ANA_ID}"),
            "method": "GET", "kind": "delay", "millis": 3000}))
        .await
        .unwrap();
    let client = station(&service, "lobby").await;
    prove(&service, &client, "ana").await;
    // The fresh read is under way once the emulator has taken the delay rule.
    let mut taken = false;
    for _ in 0..300 {
        let pending = reqwest::get(format!("{}/faults", control(&service)))
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap();
        if pending.as_array().is_some_and(Vec::is_empty) {
            taken = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(taken, "the account was never read again before the TAP");
    change(&service).await;
    assert_eq!(refusal(&client).await, ReasonCode::NotEligible);
    assert!(no_tap_left(&service).await, "a TAP on stale scope");
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_scope_account_disabled_before_the_tap_gets_no_tap() {
    stale_scope_is_refused(async |service: &DemoService| {
        let url = format!("{}/directory/users/{ANA_ID}", control(service));
        patch(url, json!({"accountEnabled": false})).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_scope_removed_from_the_recovery_group_before_the_tap_gets_no_tap() {
    stale_scope_is_refused(async |service: &DemoService| {
        let url = format!("{}/directory/users/{ANA_ID}", control(service));
        patch(url, json!({"groups": []})).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_scope_tap_policy_turned_off_before_the_tap_gets_no_tap() {
    stale_scope_is_refused(async |service: &DemoService| {
        let url = format!("{}/directory/policies/TemporaryAccessPass", control(service));
        patch(url, json!({"state": "disabled"})).await;
    })
    .await;
}

// ── enumeration ──────────────────────────────────────────────────────────────────────────────

/// Types `account`; returns the refusal and how long the service took to show it.
async fn answer_for(client: &ServiceClient, account: &str) -> (ViewUpdate, Duration) {
    client.begin().await.unwrap();
    wait(client, "identify", |v| matches!(v.view, View::Identify { .. })).await;
    let mut rx = client.subscribe();
    let started = Instant::now();
    client.submit_upn(account.to_owned()).await.unwrap();
    let v = tokio::time::timeout(
        Duration::from_secs(30),
        rx.wait_for(|v| matches!(v.view, View::CouldNotComplete { .. })),
    )
    .await
    .expect("an answer")
    .unwrap()
    .clone();
    let took = started.elapsed();
    client.done().await.unwrap();
    wait(client, "attract", |v| matches!(v.view, View::Attract)).await;
    (v, took)
}

/// The update without what differs by nature: its sequence number and the session part of the
/// helpdesk reference (the last 8 characters).
fn content(v: &ViewUpdate) -> ViewUpdate {
    let mut v = v.clone();
    v.seq = 0;
    if let View::CouldNotComplete { reference, .. } = &mut v.view {
        reference.truncate(reference.len().saturating_sub(8));
    }
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_ineligible_and_excluded_accounts_get_the_same_answer_after_the_same_time() {
    // The padding floor: above what any of the three lookups takes on a busy test machine.
    let floor = Duration::from_secs(2);
    let hook: SettingsHook = Arc::new(move |s| s.eligibility_answer_floor = floor);
    let service = demo_service(1, Some(hook)).await;
    let client = station(&service, "lobby").await;
    let accounts = [
        ("unknown", "nobody.here@contoso.example".to_owned()),
        ("ineligible (in no recovery group)", persona_upn(&service, "nora")),
        ("excluded (executive group)", persona_upn(&service, "eli")),
    ];
    let mut answers = Vec::new();
    for (what, account) in &accounts {
        let (v, took) = answer_for(&client, account).await;
        let View::CouldNotComplete { reason, .. } = &v.view else { unreachable!() };
        assert_eq!(reason.0, ReasonCode::NotEligible, "{what}");
        answers.push((what, v, took));
    }
    let (_, first, _) = &answers[0];
    for (what, v, _) in &answers[1..] {
        assert_eq!(content(v), content(first), "{what}: another screen than an unknown account's");
    }
    // Same time: every answer waited for the padding, so none is measurably faster than
    // another (compared with each other in this run, never with a fixed duration).
    let times: Vec<Duration> = answers.iter().map(|(_, _, t)| *t).collect();
    let (fastest, slowest) = (times.iter().min().unwrap(), times.iter().max().unwrap());
    assert!(*fastest >= floor, "an answer came before the padding: {times:?}");
    assert!(
        slowest.as_secs_f64() / fastest.as_secs_f64() < 1.5,
        "answer times differ by account state: {times:?}"
    );
    assert!(taps(&service).await.is_empty(), "a TAP during enumeration");
    service.shutdown().await;
}
