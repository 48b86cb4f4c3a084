//! Attacks of `recovery-service.md` §5 and issue 13, run as executable scenarios against the
//! demo stack through the recovery service's session API (`ServiceClient`, as a kiosk drives
//! it). Each asserts the refusal *and* that no TAP exists in the emulated tenant afterwards.
//!
//! * Walk-away (§5.4, issue 13 item 4): a TAP that was created but not confirmed noted — the
//!   person cancels or walks away on the TAP screen, a wipe interrupts its creation, or the
//!   creation's answer is lost — is deleted through Graph.
//! * Privileged accounts (§5.6, issue 13 item 7): an account holding a refused directory role —
//!   directly, through a role-assignable group, or as PIM-eligible, or granted while the
//!   recovery is under way — ends with the same neutral answer as an ineligible account.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // set-up failures are test failures

use std::sync::Arc;
use std::time::Duration;

use reclaim_core::ReasonCode;
use reclaim_engine::{ScanPath, View};
use reclaim_protocol::ViewUpdate;
use reclaim_protocol::client::ServiceClient;
use reclaim_service::demo::{DemoService, SettingsHook};
use reclaim_system_tests::station::{
    demo_service, enrolled as station, no_tap_left, persona_upn, prove, taps, wait,
};
use serde_json::{Value, json};

/// [`prove`], then waits for the TAP screen; returns the pass shown.
async fn to_tap_screen(service: &DemoService, client: &ServiceClient, persona: &str) -> String {
    prove(service, client, persona).await;
    let shown = wait(client, "the TAP", |v| matches!(v.view, View::Tap { .. })).await;
    let View::Tap { tap } = shown.view else { unreachable!() };
    let held = taps(service).await;
    assert_eq!(held.len(), 1, "the tenant holds the pass on screen");
    assert_eq!(held[0]["temporaryAccessPass"].as_str(), Some(tap.code().as_str()));
    tap.code()
}

/// The pass no longer signs anyone in.
async fn pass_is_dead(service: &DemoService, persona: &str, pass: &str) {
    let control = service.stack().control_url().trim_end_matches('/').to_owned();
    let status = reqwest::Client::new()
        .post(format!("{control}/directory/users/{}/taps/redeem", persona_upn(service, persona)))
        .json(&json!({ "temporaryAccessPass": pass }))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 400, "the walked-away pass still signs in");
}

// ── walk-away ────────────────────────────────────────────────────────────────────────────────

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn walk_away_cancel_on_the_tap_screen_deletes_the_tap() {
    let service = demo_service(1, None).await;
    let client = station(&service, "lobby").await;
    let pass = to_tap_screen(&service, &client, "ana").await;
    // Cancel before confirming the pass was noted: the session ends, not as a success.
    client.cancel().await.unwrap();
    let end = wait(&client, "attract", |v| matches!(v.view, View::Attract)).await;
    assert!(end.reset);
    assert!(no_tap_left(&service).await, "the unconfirmed TAP is still in the tenant");
    pass_is_dead(&service, "ana", &pass).await;
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn walk_away_idle_on_the_tap_screen_deletes_the_tap() {
    let hook: SettingsHook = Arc::new(|s| {
        s.tap_idle_timeout_secs = 2;
        s.idle_countdown_secs = 2;
    });
    let service = demo_service(1, Some(hook)).await;
    let client = station(&service, "lobby").await;
    let pass = to_tap_screen(&service, &client, "ana").await;
    // Nobody touches the screen: "Are you still there?", then the wipe.
    wait(&client, "the idle countdown", |v| v.idle_seconds_left.is_some()).await;
    wait(&client, "attract after the idle wipe", |v| matches!(v.view, View::Attract)).await;
    assert!(no_tap_left(&service).await, "the walked-away TAP is still in the tenant");
    pass_is_dead(&service, "ana", &pass).await;
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn walk_away_wipe_during_creation_deletes_the_tap_created_after_it() {
    let service = demo_service(1, None).await;
    let tenant = service.stack().tenant();
    // Graph is slow to create the pass: it is created 4 s after it was asked for.
    tenant
        .add_fault(json!({"service": "graph", "pathContains": "temporaryAccessPassMethods",
            "method": "POST", "kind": "delay", "millis": 4000}))
        .await
        .unwrap();
    let client = station(&service, "lobby").await;
    prove(&service, &client, "ana").await;
    wait(&client, "the Face Check result", |v| {
        matches!(v.view, View::FaceCheckResult { passed: true, .. })
    })
    .await;
    // The creation is under way (the delay rule is taken when the request arrives).
    for _ in 0..100 {
        let pending = reqwest::get(format!("{}/faults", service.stack().control_url()))
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap();
        if pending.as_array().is_some_and(Vec::is_empty) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    client.cancel().await.unwrap();
    wait(&client, "attract", |v| matches!(v.view, View::Attract)).await;
    // The pass Graph creates after the wipe is found and deleted.
    tokio::time::sleep(Duration::from_millis(4500)).await;
    assert!(no_tap_left(&service).await, "the TAP created after the wipe is still in the tenant");
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn walk_away_lost_creation_answer_finds_and_deletes_the_tap() {
    let service = demo_service(1, None).await;
    let tenant = service.stack().tenant();
    // Graph creates the pass, but its answer is lost (a 504 reaches the service instead).
    tenant
        .add_fault(json!({"service": "graph", "pathContains": "temporaryAccessPassMethods",
            "method": "POST", "kind": "loseAnswer", "status": 504}))
        .await
        .unwrap();
    let client = station(&service, "lobby").await;
    prove(&service, &client, "ana").await;
    let end =
        wait(&client, "the refusal", |v| matches!(v.view, View::CouldNotComplete { .. })).await;
    let View::CouldNotComplete { reason, .. } = end.view else { unreachable!() };
    assert_eq!(reason.0, ReasonCode::TapCreationFailed);
    assert!(no_tap_left(&service).await, "the TAP whose answer was lost is still in the tenant");
    service.shutdown().await;
}

// ── privileged accounts ──────────────────────────────────────────────────────────────────────

/// The refusal an ordinary ineligible account (nora: in no recovery group) gets.
async fn ineligible_answer(service: &DemoService, client: &ServiceClient) -> ViewUpdate {
    client.begin().await.unwrap();
    client.submit_upn(persona_upn(service, "nora")).await.unwrap();
    let v =
        wait(client, "nora's refusal", |v| matches!(v.view, View::CouldNotComplete { .. })).await;
    client.done().await.unwrap();
    wait(client, "attract", |v| matches!(v.view, View::Attract)).await;
    v
}

/// A privileged persona types their account: the same neutral screen as nora's, at once.
async fn privileged_is_refused_like_an_ineligible_account(persona: &str) {
    let service = demo_service(1, None).await;
    let client = station(&service, "lobby").await;
    let nora = ineligible_answer(&service, &client).await;
    client.begin().await.unwrap();
    client.submit_upn(persona_upn(&service, persona)).await.unwrap();
    let v = wait(&client, "the refusal", |v| matches!(v.view, View::CouldNotComplete { .. })).await;
    let (
        View::CouldNotComplete { reason, reference, .. },
        View::CouldNotComplete { reason: nora_reason, reference: nora_reference, .. },
    ) = (&v.view, &nora.view)
    else {
        unreachable!()
    };
    assert_eq!(reason, nora_reason, "{persona}: another answer than an ineligible account's");
    assert_eq!(reason.0, ReasonCode::NotEligible);
    // Only the session part of the reference differs; nothing hints at a role.
    assert_eq!(reference[..reference.len() - 8], nora_reference[..nora_reference.len() - 8]);
    assert_eq!(v.step, nora.step, "{persona}: the step indicator differs");
    assert!(taps(&service).await.is_empty(), "{persona} has a TAP");
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn privileged_direct_global_administrator_is_refused_neutrally() {
    privileged_is_refused_like_an_ineligible_account("olga").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn privileged_through_a_role_assignable_group_is_refused_neutrally() {
    privileged_is_refused_like_an_ineligible_account("hugo").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn privileged_eligible_pim_role_is_refused_neutrally() {
    privileged_is_refused_like_an_ineligible_account("petra").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn privileged_role_granted_during_the_recovery_is_refused_before_the_tap() {
    let service = demo_service(1, None).await;
    let client = station(&service, "lobby").await;
    client.begin().await.unwrap();
    client.submit_upn(persona_upn(&service, "ana")).await.unwrap();
    wait(&client, "choose provider", |v| matches!(v.view, View::ChooseProvider { .. })).await;
    // Eligible at the start; Global Administrator is assigned while she proves who she is.
    let control = service.stack().control_url().trim_end_matches('/').to_owned();
    let status = reqwest::Client::new()
        .post(format!("{control}/directory/roleAssignments"))
        .json(&json!({"principalId": "1a000000-0000-4000-8000-000000000001",
            "roleDefinitionId": "62e90394-69f5-4237-9190-012177145e10"}))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 201);
    client.choose_provider("trueid".into(), ScanPath::Phone).await.unwrap();
    let scan =
        wait(&client, "the link", |v| matches!(v.view, View::ScanId { link: Some(_), .. })).await;
    let View::ScanId { link: Some(link), .. } = scan.view else { unreachable!() };
    let phone = service.stack().phone_named("phone-ana");
    phone.complete_hosted_flow("trueid", &link.url, "ana").await.unwrap();
    let ask =
        wait(&client, "the QR", |v| matches!(v.view, View::OpenAuthenticator { qr: Some(_) }))
            .await;
    let View::OpenAuthenticator { qr: Some(qr) } = ask.view else { unreachable!() };
    phone.open(&qr.url).await.unwrap();
    phone.present(92.0).await.unwrap();
    let end =
        wait(&client, "the refusal", |v| matches!(v.view, View::CouldNotComplete { .. })).await;
    let View::CouldNotComplete { reason, .. } = end.view else { unreachable!() };
    assert_eq!(reason.0, ReasonCode::NotEligible);
    assert!(taps(&service).await.is_empty(), "a TAP for a Global Administrator");
    service.shutdown().await;
}
