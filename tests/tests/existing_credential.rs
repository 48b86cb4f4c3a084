//! Issue 17 item 1: "I already have my ID in Authenticator". A person presents a credential they
//! already hold — the identity-verification provider's, from an earlier recovery, or the
//! employer's `VerifiedEmployee` from My Account — with Face Check, without a new ID scan. The
//! verdict rules apply unchanged; a credential that is too old, revoked, or not one the site
//! accepts gives no TAP, and with the site rule off nothing is offered.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use reclaim_core::ReasonCode;
use reclaim_engine::View;
use reclaim_protocol::ExistingChoice;
use reclaim_system_tests::kiosk::{Kiosk, is_outcome};
use serde_json::{Value, json};

/// `POST {control}{path}` with a JSON body.
async fn control(k: &Kiosk, path: &str, body: Value) -> Value {
    let r = reqwest::Client::new()
        .post(format!("{}{path}", k.stack.control_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let v: Value = r.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{path}: {status} {v}");
    v
}

/// My Account's "Get my Verified ID" for `upn`, into the demo phone's wallet; the credential id.
async fn verified_employee(k: &Kiosk, upn: &str) -> String {
    let v =
        control(k, "/myaccount/verified-id", json!({ "user": upn, "phoneId": k.stack.phone_id() }))
            .await;
    v["credentialId"].as_str().or_else(|| v["id"].as_str()).unwrap_or_default().to_owned()
}

/// Identifies `persona`'s account; the choose-provider view's existing-credential choices.
async fn choices(k: &mut Kiosk, persona: &str) -> Vec<ExistingChoice> {
    let upn = k.upn(persona);
    let v = k.identify(&upn).await;
    let View::ChooseProvider { existing, .. } = v.view else { panic!("{:?}", v.view) };
    existing
}

/// Presents the held credential of `choice` with Face Check `score`; the outcome.
async fn present_existing(k: &mut Kiosk, choice: &str, score: f64) -> reclaim_protocol::ViewUpdate {
    k.service.present_existing(choice.into()).await.unwrap();
    let url = k.authenticator_qr(None).await.expect("the presentation QR");
    k.present(&url, score).await;
    k.outcome().await
}

fn ended(v: &reclaim_protocol::ViewUpdate) -> Option<ReasonCode> {
    match &v.view {
        View::CouldNotComplete { reason, .. } => Some(reason.0),
        _ => None,
    }
}

#[tokio::test]
async fn a_verified_employee_credential_recovers_without_an_id_scan() {
    let mut k = Kiosk::start().await;
    let maria = k.upn("maria");
    verified_employee(&k, &maria).await;
    let offered = choices(&mut k, "maria").await;
    assert_eq!(
        offered.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        ["profile", "verified-employee"]
    );
    let v = present_existing(&mut k, "verified-employee", 90.0).await;
    assert!(matches!(v.view, View::Tap { .. }), "{:?}", v.view);
    let held = k.tenant().user_taps(&maria).await.unwrap();
    assert_eq!(held.as_array().map(Vec::len), Some(1));
    // No provider was asked for anything: no hosted link, no capture.
    assert!(k.history().await.iter().all(|u| !matches!(u.view, View::ScanId { .. })));
    assert!(k.audit_events().iter().any(|e| matches!(
        &e.kind,
        reclaim_core::AuditKind::ExistingCredentialChosen { choice } if choice == "verified-employee"
    )));
}

#[tokio::test]
async fn the_providers_credential_from_an_earlier_recovery_is_accepted() {
    let mut k = Kiosk::start().await;
    let first = k.recover("ana", "trueid", 90.0).await;
    assert!(matches!(first.view, View::Tap { .. }), "{:?}", first.view);
    k.finish().await;
    // Next time: the credential is in her Authenticator already.
    choices(&mut k, "ana").await;
    let v = present_existing(&mut k, "profile", 91.0).await;
    assert!(matches!(v.view, View::Tap { .. }), "{:?}", v.view);
}

#[tokio::test]
async fn a_credential_older_than_the_site_allows_gives_no_tap() {
    let mut k = Kiosk::start_with(
        |s| {
            if let Some(e) = &mut s.config.existing_credential {
                e.max_age_days = 1;
            }
        },
        true,
    )
    .await;
    let maria = k.upn("maria");
    verified_employee(&k, &maria).await;
    // Two days later (session time), before the session begins.
    k.clock.as_ref().unwrap().advance(Duration::from_secs(2 * 24 * 3600));
    choices(&mut k, "maria").await;
    let v = present_existing(&mut k, "verified-employee", 95.0).await;
    assert_eq!(ended(&v), Some(ReasonCode::CredentialTooOld), "{:?}", v.view);
    assert_eq!(k.tenant().user_taps(&maria).await.unwrap().as_array().map(Vec::len), Some(0));
}

#[tokio::test]
async fn a_revoked_credential_gives_no_tap() {
    let mut k = Kiosk::start().await;
    let maria = k.upn("maria");
    let id = verified_employee(&k, &maria).await;
    assert!(!id.is_empty(), "the credential id");
    k.stack.tenant().revoke(&id).await.unwrap();
    choices(&mut k, "maria").await;
    k.service.present_existing("verified-employee".into()).await.unwrap();
    let url = k.authenticator_qr(None).await.expect("the presentation QR");
    let phone = k.phone();
    phone.open(&url).await.unwrap();
    let _ = phone.present(95.0).await;
    let v = k.wait("an outcome", is_outcome).await;
    assert!(ended(&v).is_some(), "{:?}", v.view);
    assert_eq!(k.tenant().user_taps(&maria).await.unwrap().as_array().map(Vec::len), Some(0));
}

#[tokio::test]
async fn a_choice_the_site_does_not_offer_is_refused_and_the_rule_off_offers_nothing() {
    let mut k = Kiosk::start_with(|s| s.config.existing_credential = None, false).await;
    assert!(choices(&mut k, "maria").await.is_empty(), "nothing offered with the rule off");
    assert!(k.service.present_existing("profile".into()).await.is_err());
    assert!(matches!(k.service.current().view, View::ChooseProvider { .. }));

    let mut k = Kiosk::start().await;
    choices(&mut k, "maria").await;
    assert!(k.service.present_existing("someone-elses-issuer".into()).await.is_err());
    assert!(matches!(k.service.current().view, View::ChooseProvider { .. }));
}
