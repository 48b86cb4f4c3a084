//! Issue 13 item 2, against the demo stack through the recovery service's session API: the
//! organisation's records beyond the names. The demo tenant's "Recovery – checked with HR" profile
//! requires its claim-validation extension (`microsoft-apis-v2.md` §6; the emulated HR system
//! compares the credential's date of birth with its record), and a site may add a second binding
//! (a directory attribute against a credential claim). Attack: a genuine ID of someone who shares
//! the victim's name (here: Gustav Berg's account, an ID whose date of birth is not his). Each
//! refusal asserts that no TAP exists in the tenant afterwards.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // set-up failures are test failures

use std::sync::Arc;

use reclaim_core::ReasonCode;
use reclaim_core::records::{BindingCompare, SecondBinding};
use reclaim_engine::View;
use reclaim_protocol::client::ServiceClient;
use reclaim_service::demo::{DemoService, SettingsHook};
use reclaim_system_tests::station::{
    demo_service, enrolled as station, persona_upn, present, taps, wait,
};
use serde_json::json;

/// The directory extension attribute holding the SHA-256 of the date of birth (fixture).
const DOB_HASH_ATTRIBUTE: &str = "extension_3a0000000000400080000000000000e1_dobHash";

fn site_binding() -> SettingsHook {
    Arc::new(|s: &mut reclaim_engine::EngineSettings| {
        s.config.second_binding = Some(SecondBinding {
            attribute: DOB_HASH_ATTRIBUTE.into(),
            claim: "dateOfBirth".into(),
            compare: BindingCompare::Sha256,
            profiles: Vec::new(),
        });
    })
}

/// A whole phone-path recovery of `persona`; returns how it ended (the TAP code or the reason).
async fn recover(
    service: &DemoService,
    client: &ServiceClient,
    persona: &str,
) -> Result<String, ReasonCode> {
    client.begin().await.unwrap();
    client.submit_upn(persona_upn(service, persona)).await.unwrap();
    let next = wait(client, "choose provider", |v| {
        matches!(v.view, View::ChooseProvider { .. } | View::CouldNotComplete { .. })
    })
    .await;
    if let View::CouldNotComplete { reason, .. } = next.view {
        return Err(reason.0);
    }
    present(service, client, persona).await;
    let end = wait(client, "the end", |v| {
        matches!(v.view, View::Tap { .. } | View::CouldNotComplete { .. })
    })
    .await;
    match end.view {
        View::Tap { tap } => Ok(tap.code()),
        View::CouldNotComplete { reason, .. } => Err(reason.0),
        _ => unreachable!(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hr_systems_pass_lets_the_recovery_finish() {
    let service = demo_service(3, None).await;
    let client = station(&service, "lobby").await;
    let code = recover(&service, &client, "fatima").await.expect("Fatima's records agree");
    let held = taps(&service).await;
    assert_eq!(held.len(), 1);
    assert_eq!(held[0]["temporaryAccessPass"].as_str(), Some(code.as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_id_the_hr_system_does_not_confirm_gets_no_tap() {
    let service = demo_service(3, None).await;
    let client = station(&service, "lobby").await;
    assert_eq!(recover(&service, &client, "gustav").await, Err(ReasonCode::RecordsMismatch));
    assert!(taps(&service).await.is_empty(), "no TAP exists after the refusal");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_hr_system_that_fails_or_is_too_slow_fails_closed() {
    let service = demo_service(3, None).await;
    let tenant = service.stack().tenant();
    // Two 500s: the first attempt and the one retry the extension's definition allows.
    tenant
        .add_fault(json!({"service": "hr", "kind": "status", "status": 500, "count": 2}))
        .await
        .unwrap();
    let client = station(&service, "lobby").await;
    assert_eq!(recover(&service, &client, "fatima").await, Err(ReasonCode::ServiceUnavailable));
    assert!(taps(&service).await.is_empty());
    let client = station(&service, "lobby-2").await;
    // Slower than the extension's 2 s timeout, twice.
    tenant
        .add_fault(json!({"service": "hr", "kind": "delay", "millis": 2600, "count": 2}))
        .await
        .unwrap();
    assert_eq!(recover(&service, &client, "fatima").await, Err(ReasonCode::ServiceUnavailable));
    assert!(taps(&service).await.is_empty());
    let client = station(&service, "lobby-3").await;
    // One failure is retried (maximumRetries = 1), and the recovery finishes.
    tenant
        .add_fault(json!({"service": "hr", "kind": "status", "status": 503, "count": 1}))
        .await
        .unwrap();
    assert!(recover(&service, &client, "fatima").await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_binding_on_the_hashed_date_of_birth_refuses_whoever_it_does_not_bind() {
    let service = demo_service(3, Some(site_binding())).await;
    let client = station(&service, "lobby").await;
    // Fatima: the directory's hash is of her ID's date of birth (and HR agrees).
    assert!(recover(&service, &client, "fatima").await.is_ok());
    // Ana: her account carries no such attribute, so nothing binds her ID: refused.
    let client = station(&service, "lobby-2").await;
    assert_eq!(recover(&service, &client, "ana").await, Err(ReasonCode::RecordsMismatch));
    let held = taps(&service).await;
    assert_eq!(held.len(), 1, "only Fatima's pass exists: {held:?}");
}
