//! A link-only provider (issue 17 item 8): QuickID offers only its own Verified ID onboarding
//! page — no hosted one-time link, no capture API, no signed return. The kiosk shows the page as
//! a QR at once; the person adds the credential on their phone and presses "I have added it";
//! the presentation that follows must carry a credential of QuickID's issuer issued after the
//! session began (nothing else binds it to the session). Driven as the kiosk drives it, through
//! the recovery service's session API, the phone played through the emulator's control API.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns: a failed set-up is a failed test

use std::time::Duration;

use reclaim_core::{AuditKind, BindingFailure, ReasonCode};
use reclaim_engine::{ErrorCode, ScanPath, View};
use reclaim_system_tests::kiosk::{Kiosk, is_outcome, reason_of};
use serde_json::Value;

const QUICKID_ISSUER: &str = "did:web:quickid.example";

async fn taps_of(k: &Kiosk, upn: &str) -> Vec<Value> {
    k.tenant().user_taps(upn).await.unwrap().as_array().cloned().unwrap_or_default()
}

/// Identify Lena (the QuickID profile), pick QuickID on the phone path; the onboarding page's
/// URL, shown at once.
async fn to_the_onboarding_page(k: &mut Kiosk) -> String {
    let upn = k.upn("lena");
    let v = k.identify(&upn).await;
    let View::ChooseProvider { providers, .. } = &v.view else { panic!("{:?}", v.view) };
    assert_eq!(providers.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(), ["quickid"]);
    assert!(providers[0].link_only, "QuickID is offered as a link-only provider");
    // No capture API: the camera path is refused, nothing moves.
    let camera = k.service.choose_provider("quickid".into(), ScanPath::Camera).await.unwrap_err();
    assert_eq!(camera.code, ErrorCode::NotNow);
    assert!(matches!(k.service.current().view, View::ChooseProvider { .. }));
    // "I have added it" before the page is shown: not now.
    let early = k.service.added_to_wallet().await.unwrap_err();
    assert_eq!(early.code, ErrorCode::NotNow);

    k.service.choose_provider("quickid".into(), ScanPath::Phone).await.unwrap();
    let v = k
        .wait("the onboarding page", |v| matches!(&v.view, View::ScanId { link: Some(_), .. }))
        .await;
    let View::ScanId { provider, path, link: Some(qr), phone_opened, capture } = &v.view else {
        unreachable!()
    };
    assert!(provider.link_only);
    assert_eq!((*path, *phone_opened, *capture), (ScanPath::Phone, false, None));
    assert!(qr.url.contains("/quickid/onboard"), "{}", qr.url);
    // The step indicator: scan your ID (3).
    assert_eq!(v.step.map(|s| s.index), Some(3));
    qr.url.clone()
}

#[tokio::test]
async fn a_link_only_provider_recovers_to_a_tap() {
    let mut k = Kiosk::start().await;
    let upn = k.upn("lena");
    let page = to_the_onboarding_page(&mut k).await;

    // The page the QR opens is the provider's own, served to the phone's browser.
    let html = reqwest::get(&page).await.unwrap();
    assert_eq!(html.status(), 200);
    let html = html.text().await.unwrap();
    assert!(html.contains("Verify and add to Authenticator"), "{html}");

    // The person adds the credential on their phone; nothing comes back to the kiosk.
    let phone = k.stack.phone_named("phone-lena");
    let done = phone.complete_onboarding("quickid", "lena").await.unwrap();
    assert_eq!(done["status"], "issued", "onboarding: {done}");
    // The issuance has settled at the provider; the kiosk still shows the page.
    assert!(matches!(k.service.current().view, View::ScanId { .. }), "the kiosk still waits");
    assert!(
        !k.audit_events().iter().any(|e| matches!(e.kind, AuditKind::IdentityIssued { .. })),
        "no provider reported anything"
    );

    // "I have added it" → the presentation, exactly as after a provider's signed return.
    k.service.added_to_wallet().await.unwrap();
    let url = k.authenticator_qr(None).await.expect("the Authenticator QR");
    phone.open(&url).await.unwrap();
    k.wait("Face Check in progress", |v| matches!(v.view, View::FaceCheckInProgress)).await;
    phone.present(91.0).await.unwrap();
    let v = k.outcome().await;
    let View::Tap { tap } = &v.view else { panic!("expected the TAP, got {:?}", v.view) };
    let held = taps_of(&k, &upn).await;
    assert_eq!(held.len(), 1);
    assert_eq!(held[0]["temporaryAccessPass"], tap.code().as_str(), "the tenant's TAP");

    let events = k.audit_events();
    assert!(events.iter().any(|e| matches!(&e.kind,
        AuditKind::AddedToWallet { provider } if provider == "quickid")));
    assert!(events.iter().any(|e| matches!(&e.kind,
        AuditKind::ProviderChosen { provider, path: reclaim_core::ScanPath::Phone } if provider == "quickid")));
    k.finish().await;
    assert_eq!(k.ended_reason(), Some(ReasonCode::TapIssued));
    assert!(
        k.relay_drained().await,
        "no provider return was ever registered, and the rest is gone"
    );
}

#[tokio::test]
async fn a_credential_already_in_the_wallet_before_the_session_is_refused() {
    // Session time is a manual clock: the session begins two hours after the credential was
    // issued (a genuine QuickID credential, held from an earlier visit).
    let mut k = Kiosk::start_with(|_| {}, true).await;
    let upn = k.upn("lena");
    let phone = k.stack.phone_named("phone-lena");
    let earlier = phone.complete_onboarding("quickid", "lena").await.unwrap();
    assert_eq!(earlier["status"], "issued", "onboarding: {earlier}");
    let held = phone.state().await.unwrap();
    assert!(
        held["credentials"].as_array().unwrap().iter().any(|c| c["issuer"] == QUICKID_ISSUER),
        "{held}"
    );
    k.clock.as_ref().unwrap().advance(Duration::from_secs(2 * 3600));

    to_the_onboarding_page(&mut k).await;
    // The person skips the page and says the ID is added: the old one is all the phone holds.
    k.service.added_to_wallet().await.unwrap();
    let url = k.authenticator_qr(None).await.expect("the Authenticator QR");
    phone.open(&url).await.unwrap();
    phone.present(95.0).await.unwrap();
    let v = k.wait("an outcome", is_outcome).await;
    assert_eq!(reason_of(&v), Some(ReasonCode::PresentationFailed));
    assert!(k.audit_events().iter().any(|e| matches!(
        e.kind,
        AuditKind::CredentialNotSessionBound { cause: BindingFailure::IssuedBeforeSession }
    )));
    assert!(taps_of(&k, &upn).await.is_empty(), "no TAP for a credential from before the session");
}
