//! Whole recoveries over real loopback HTTP: the emulated tenant, the embedded relay and the
//! engine inside the recovery service, driven as the kiosk drives it — through the service's
//! session API as an enrolled station — the phone played through the emulator's control API.
//! Each test asserts what a person (or the helpdesk) would check: the screen, the reason, the
//! TAP against the one the tenant holds.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns: a failed set-up is a failed test

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reclaim_core::{AuditKind, EligibilityCause, ReasonCode};
use reclaim_engine::{
    CaptureStage, ErrorCode, PhotoQuality, RateLimits, ScanPath, Shot, Step, View,
};
use reclaim_system_tests::kiosk::{Kiosk, is_outcome, reason_of};
use serde_json::{Value, json};

fn tap_of(v: &reclaim_engine::ViewUpdate) -> String {
    match &v.view {
        View::Tap { tap } => tap.code(),
        other => panic!("expected the TAP screen, got {other:?}"),
    }
}

async fn taps_of(k: &Kiosk, upn: &str) -> Vec<Value> {
    k.tenant().user_taps(upn).await.unwrap().as_array().cloned().unwrap_or_default()
}

fn causes(k: &Kiosk) -> Vec<EligibilityCause> {
    k.audit_events()
        .iter()
        .filter_map(|e| match &e.kind {
            AuditKind::ProfileResolved { cause: Some(c), .. } => Some(*c),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn production_success_shows_the_tap_the_tenant_holds() {
    let mut k = Kiosk::start().await;
    let upn = k.upn("ana");
    let v = k.identify(&upn).await;
    let View::ChooseProvider { providers, camera_available, .. } = &v.view else { panic!() };
    assert_eq!(providers.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(), ["trueid"]);
    assert!(camera_available);
    let url = k.hosted_flow("ana", "trueid").await;
    k.phone().open(&url).await.unwrap();
    k.wait("Face Check in progress", |v| matches!(v.view, View::FaceCheckInProgress)).await;
    k.phone().present_with_quality(88.5, "MEDIUM").await.unwrap();
    let v = k.outcome().await;
    let shown = tap_of(&v);
    let View::Tap { tap } = &v.view else { unreachable!() };
    assert_eq!(tap.lifetime_minutes, 60);
    assert!(!tap.expires_at.is_empty());
    assert!(tap.verified_employee, "the demo offers the work Verified ID (My Account)");
    assert_eq!(v.step.map(|s| s.index), Some(5));

    let held = taps_of(&k, &upn).await;
    assert_eq!(held.len(), 1);
    assert_eq!(held[0]["temporaryAccessPass"], shown.as_str(), "the kiosk shows the tenant's TAP");
    assert_eq!(held[0]["isUsableOnce"], true);

    // The Face Check result was on screen with the photo quality; the score went to the audit.
    let history = k.history().await;
    assert!(history.iter().any(|u| matches!(
        u.view,
        View::FaceCheckResult { passed: true, photo_quality: Some(PhotoQuality::Medium), .. }
    )));
    assert!(k.audit_events().iter().any(|e| matches!(e.kind,
        AuditKind::PresentationVerified { face_check_score: s, threshold: 70 }
            if (s - 88.5).abs() < 1e-9)));

    let attract = k.finish().await;
    assert!(attract.reset && attract.step.is_none());
    assert!(k.relay_drained().await, "the wipe abandons the relay registrations");
    assert_eq!(k.ended_reason(), Some(ReasonCode::TapIssued));
    // The pass works for the person: it signs in once.
    let redeem = reqwest::Client::new()
        .post(format!("{}/directory/users/{upn}/taps/redeem", k.stack.control_url()))
        .json(&json!({ "temporaryAccessPass": shown }))
        .send()
        .await
        .unwrap();
    assert_eq!(redeem.status(), 200);
}

#[tokio::test]
async fn evaluation_mode_verifies_and_creates_no_tap() {
    let mut k = Kiosk::start().await;
    let v = k.recover("priya", "trueid", 90.0).await;
    assert!(matches!(v.view, View::EvaluationResult), "{}", v.view.name());
    let upn = k.upn("priya");
    assert!(taps_of(&k, &upn).await.is_empty(), "evaluation mode never creates a TAP");
    assert!(k.tenant().taps().await.unwrap().as_array().unwrap().is_empty());
    k.finish().await;
    assert_eq!(k.ended_reason(), Some(ReasonCode::EvaluationModeVerified));
}

#[tokio::test]
async fn face_check_below_threshold_retries_then_fails() {
    let mut k = Kiosk::start_with(|s| s.config.max_presentation_attempts = 2, false).await;
    let upn = k.upn("ana");
    k.identify(&upn).await;
    let first = k.hosted_flow("ana", "trueid").await;
    k.present(&first, 40.0).await;
    // A new request for the retry (a new QR), after the failed result was shown.
    let second = k.authenticator_qr(Some(&first)).await.expect("a retry");
    assert_ne!(first, second);
    k.present(&second, 45.0).await;
    let v = k.outcome().await;
    assert_eq!(reason_of(&v), Some(ReasonCode::FaceCheckFailed));
    // The step indicator shows where it stopped: Face Check (4) is not ticked as done.
    assert_eq!(v.step, Some(Step { index: 5, total: 5, stopped_at: Some(4) }));
    let results: Vec<_> = k
        .history()
        .await
        .into_iter()
        .filter_map(|u| match u.view {
            View::FaceCheckResult { passed, attempts_left, .. } => Some((passed, attempts_left)),
            _ => None,
        })
        .collect();
    // Pass or fail and the attempts left; never a score or the threshold.
    assert_eq!(results, [(false, 1), (false, 0)]);
    assert!(taps_of(&k, &upn).await.is_empty());
    k.finish().await;
}

#[tokio::test]
async fn a_credential_from_an_issuer_the_profile_does_not_accept_is_refused() {
    let mut k = Kiosk::start().await;
    let upn = k.upn("ana");
    k.identify(&upn).await;
    k.service.choose_provider("trueid".into(), ScanPath::Phone).await.unwrap();
    let v =
        k.wait("the hosted link", |v| matches!(&v.view, View::ScanId { link: Some(_), .. })).await;
    let View::ScanId { link: Some(qr), .. } = &v.view else { unreachable!() };
    // The genuine credential goes to another phone; this one holds only a Vouchsafe credential
    // in Ana's name (Vouchsafe is not the production profile's accepted issuer).
    let other = k.stack.phone_named("other-phone");
    other.complete_hosted_flow("trueid", &qr.url, "ana").await.unwrap();
    k.phone()
        .add_credential(json!({
            "issuer": "did:web:idv.vouchsafe.example",
            "types": ["VerifiableCredential", "verifiedIdentity"],
            "claims": { "firstName": "Ana", "lastName": "Lima", "portrait": "AAAA" }
        }))
        .await
        .unwrap();
    let url = k.authenticator_qr(None).await.unwrap();
    k.present(&url, 95.0).await;
    let v = k.outcome().await;
    assert_eq!(reason_of(&v), Some(ReasonCode::PresentationFailed));
    assert!(k.audit_events().iter().any(|e| matches!(&e.kind,
        AuditKind::PresentationFailed { service_code: Some(c), .. } if c == "noMatchingCredential")));
    assert!(taps_of(&k, &upn).await.is_empty());
}

#[tokio::test]
async fn a_revoked_credential_is_refused() {
    let mut k = Kiosk::start().await;
    let v = k.recover("liam", "trueid", 90.0).await;
    assert_eq!(reason_of(&v), Some(ReasonCode::CredentialRevoked));
    assert!(taps_of(&k, &k.upn("liam")).await.is_empty());
}

#[tokio::test]
async fn someone_elses_genuine_id_is_a_name_mismatch() {
    let mut k = Kiosk::start().await;
    let v = k.recover("impostor", "trueid", 95.0).await;
    assert_eq!(reason_of(&v), Some(ReasonCode::NameMismatch));
    assert!(taps_of(&k, &k.upn("ana")).await.is_empty(), "no TAP for the account typed");
}

#[tokio::test]
async fn a_middle_name_passes_relaxed_and_fails_exact_matching() {
    let mut k = Kiosk::start().await;
    // Maria Clara Souza vs Maria Souza, production profile: relaxed.
    let v = k.recover("maria", "trueid", 90.0).await;
    let tap = tap_of(&v);
    assert_eq!(taps_of(&k, &k.upn("maria")).await[0]["temporaryAccessPass"], tap.as_str());
    k.finish().await;
    // Peter Paul Novak vs Peter Novak, strict profile (Vouchsafe): exact.
    let v = k.recover("peter", "vouchsafe", 90.0).await;
    assert_eq!(reason_of(&v), Some(ReasonCode::NameMismatch));
    k.finish().await;
}

#[tokio::test]
async fn diacritics_and_typographic_apostrophes_match() {
    let mut k = Kiosk::start().await;
    // ZOE WISNIEWSKA on the passport, Zoë Wiśniewska in the directory (nested group).
    let v = k.recover("zoe", "trueid", 90.0).await;
    tap_of(&v);
    k.finish().await;
    // O’Brien on the licence, O'Brien in the directory (OData quote doubling in the search).
    let v = k.recover("siobhan", "trueid", 90.0).await;
    tap_of(&v);
    k.finish().await;
}

#[tokio::test]
async fn duplicate_names_are_blocked() {
    let mut k = Kiosk::start().await;
    let v = k.recover("james", "trueid", 90.0).await;
    assert_eq!(reason_of(&v), Some(ReasonCode::DuplicateName));
    // Face Check passed: every proof step is done, the last one is where it stopped.
    assert_eq!(v.step, Some(Step { index: 5, total: 5, stopped_at: Some(5) }));
    assert!(taps_of(&k, &k.upn("james")).await.is_empty());
}

#[tokio::test]
async fn an_excluded_group_gets_the_neutral_answer() {
    let mut k = Kiosk::start().await;
    let v = k.recover("eli", "trueid", 90.0).await;
    assert_eq!(reason_of(&v), Some(ReasonCode::NotEligible));
    // Stopped at the account step: nothing after it is shown as done.
    assert_eq!(v.step, Some(Step { index: 5, total: 5, stopped_at: Some(1) }));
    assert_eq!(causes(&k), [EligibilityCause::Excluded]);
}

#[tokio::test]
async fn a_disabled_account_gets_the_neutral_answer() {
    let mut k = Kiosk::start().await;
    let v = k.recover("dana", "trueid", 90.0).await;
    assert_eq!(reason_of(&v), Some(ReasonCode::NotEligible));
    assert_eq!(causes(&k), [EligibilityCause::Disabled]);
    // An unknown account looks exactly the same to the person.
    k.finish().await;
    let v = k.identify("nobody@contoso.example").await;
    assert_eq!(reason_of(&v), Some(ReasonCode::NotEligible));
}

#[tokio::test]
async fn a_guest_gets_the_neutral_answer() {
    let mut k = Kiosk::start().await;
    let v = k.recover("gina", "trueid", 90.0).await;
    assert_eq!(reason_of(&v), Some(ReasonCode::NotEligible));
    assert_eq!(causes(&k), [EligibilityCause::Guest]);
}

#[tokio::test]
async fn a_user_outside_the_tap_policy_gets_a_clear_reason() {
    let mut k = Kiosk::start().await;
    let v = k.recover("tomas", "trueid", 90.0).await;
    assert_eq!(reason_of(&v), Some(ReasonCode::TapPolicyRefused));
    assert!(taps_of(&k, &k.upn("tomas")).await.is_empty());
    assert!(k.audit_events().iter().any(|e| matches!(e.kind, AuditKind::Matched)));
}

#[tokio::test]
async fn a_presentation_that_expires_without_a_callback_ends_the_session() {
    let mut k = Kiosk::start_with(|_| {}, true).await;
    let upn = k.upn("ana");
    k.identify(&upn).await;
    let url = k.hosted_flow("ana", "trueid").await;
    let phone = k.phone();
    phone.open(&url).await.unwrap();
    k.wait("Face Check in progress", |v| matches!(v.view, View::FaceCheckInProgress)).await;
    phone.ignore().await.unwrap();
    // The person walks away: five minutes pass on the tenant's and the kiosk's clocks.
    k.tenant().advance_clock(301).await.unwrap();
    k.clock.as_ref().unwrap().advance(Duration::from_secs(31));
    let v = k.outcome().await;
    assert_eq!(reason_of(&v), Some(ReasonCode::PresentationExpired));
    let request_id = url.rsplit('/').next().unwrap();
    let r = k.tenant().request(request_id).await.unwrap();
    assert_eq!(r["expired"], true);
    assert!(
        r["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["requestStatus"] == "request_retrieved"),
        "no terminal callback was ever sent: {r}"
    );
}

#[tokio::test]
async fn forged_replayed_and_out_of_order_callbacks_are_refused() {
    let mut k = Kiosk::start().await;
    let upn = k.upn("ana");
    k.identify(&upn).await;
    let url = k.hosted_flow("ana", "trueid").await;
    k.phone().open(&url).await.unwrap();
    k.wait("Face Check in progress", |v| matches!(v.view, View::FaceCheckInProgress)).await;

    let request_id = url.rsplit('/').next().unwrap().to_owned();
    let stored = k.stack.emulator().state.requests().get(&request_id).unwrap();
    let (state, callback_url) = (stored.state.clone(), stored.callback_url.clone());
    let api_key = stored
        .callback_headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("api-key"))
        .map(|(_, v)| v.clone())
        .unwrap();
    let http = reqwest::Client::new();
    let post = |key: String, body: Value| {
        let (http, callback_url) = (http.clone(), callback_url.clone());
        async move {
            http.post(callback_url)
                .header("api-key", key)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    let forged_verified = json!({
        "requestId": request_id, "requestStatus": "presentation_verified", "state": state,
        "verifiedCredentialsData": [{
            "issuer": "did:web:idv.trueid.example", "type": ["VerifiableCredential", "verifiedIdentity"],
            "claims": { "firstName": "Ana", "lastName": "Lima" },
            "credentialState": { "revocationStatus": "VALID" },
            "faceCheck": { "matchConfidenceScore": 99.0, "sourcePhotoQuality": "HIGH" } }]
    });
    // Forged: no key, a wrong key, the right key for an unknown state.
    assert_eq!(post("wrong-key-0123456789abcdef".into(), forged_verified.clone()).await, 401);
    let mut unknown = forged_verified.clone();
    unknown["state"] = json!("not-a-state-of-ours");
    assert_eq!(post(api_key.clone(), unknown).await, 401);
    // Replayed: the genuine request_retrieved again is acknowledged but not forwarded.
    let retrieved =
        json!({ "requestId": request_id, "requestStatus": "request_retrieved", "state": state });
    assert_eq!(post(api_key.clone(), retrieved.clone()).await, 200);
    // Out of order: another request id on this state.
    let mut other_id = retrieved.clone();
    other_id["requestId"] = json!("00000000-0000-4000-8000-000000000000");
    other_id["extra"] = json!(1);
    assert_eq!(post(api_key.clone(), other_id).await, 409);
    assert!(matches!(k.service.current().view, View::FaceCheckInProgress));

    // The genuine result, which the service sends twice.
    k.tenant()
        .add_fault(json!({"service": "requestService", "kind": "duplicateCallbacks", "count": 1}))
        .await
        .unwrap();
    k.phone().present(90.0).await.unwrap();
    let v = k.outcome().await;
    let shown = tap_of(&v);
    // After the terminal event: a second, different result and a late request_retrieved.
    assert_eq!(post(api_key.clone(), forged_verified).await, 409);
    let mut late = retrieved;
    late["late"] = json!(true);
    assert_eq!(post(api_key, late).await, 409);
    assert_eq!(taps_of(&k, &upn).await[0]["temporaryAccessPass"], shown.as_str());
    let verified = k
        .audit_events()
        .iter()
        .filter(|e| matches!(e.kind, AuditKind::PresentationVerified { .. }))
        .count();
    assert_eq!(verified, 1, "exactly one presentation reached the engine");
    k.finish().await;
}

#[tokio::test]
async fn graph_throttling_with_retry_after_then_success() {
    let mut k = Kiosk::start().await;
    k.tenant()
        .add_fault(json!({"service": "graph", "pathContains": "/users", "kind": "status",
                          "status": 429, "retryAfter": 1, "count": 1}))
        .await
        .unwrap();
    let v = k.recover("ana", "trueid", 90.0).await;
    tap_of(&v);
    assert!(k.stack.emulator().state.faults().list().is_empty(), "the 429 was served");
}

#[tokio::test]
async fn request_service_unavailable_then_success() {
    let mut k = Kiosk::start().await;
    k.tenant()
        .add_fault(json!({"service": "requestService", "pathContains": "createPresentationRequest",
                          "kind": "status", "status": 503, "count": 1}))
        .await
        .unwrap();
    let v = k.recover("ana", "trueid", 90.0).await;
    tap_of(&v);
    assert!(k.stack.emulator().state.faults().list().is_empty(), "the 503 was served");
}

#[tokio::test]
async fn tokens_expiring_mid_recovery_are_refreshed() {
    let mut k = Kiosk::start().await;
    let upn = k.upn("ana");
    k.identify(&upn).await;
    k.tenant().expire_tokens().await.unwrap();
    let url = k.hosted_flow("ana", "trueid").await;
    k.tenant().expire_tokens().await.unwrap();
    k.present(&url, 90.0).await;
    let v = k.outcome().await;
    assert_eq!(taps_of(&k, &upn).await[0]["temporaryAccessPass"], tap_of(&v).as_str());
}

#[tokio::test]
async fn a_dropped_relay_stream_resumes_without_losing_events() {
    let mut k = Kiosk::start().await;
    let upn = k.upn("ana");
    k.identify(&upn).await;
    let url = k.hosted_flow("ana", "trueid").await;
    // The link to the relay goes down; the phone does everything meanwhile.
    k.stack.relay_link().set_up(false);
    k.present(&url, 90.0).await;
    let request_id = url.rsplit('/').next().unwrap();
    let r = k.tenant().request(request_id).await.unwrap();
    assert_eq!(r["deliveries"].as_array().unwrap().len(), 2, "both callbacks reached the relay");
    assert!(
        matches!(k.service.current().view, View::OpenAuthenticator { .. }),
        "nothing arrived yet"
    );
    k.stack.relay_link().set_up(true);
    let v = k.outcome().await;
    tap_of(&v);
    let history = k.history().await;
    assert!(
        history.iter().any(|u| matches!(u.view, View::FaceCheckInProgress)),
        "request_retrieved was replayed too"
    );
}

#[tokio::test]
async fn cancel_from_a_mid_state_wipes_to_attract() {
    let mut k = Kiosk::start().await;
    let upn = k.upn("ana");
    k.identify(&upn).await;
    k.service.choose_provider("trueid".into(), ScanPath::Phone).await.unwrap();
    k.wait("the hosted link", |v| matches!(&v.view, View::ScanId { link: Some(_), .. })).await;
    assert!(k.stack.relay().state().pending_registrations() > 0);
    k.service.cancel().await.unwrap();
    let v = k.wait("attract", |v| matches!(v.view, View::Attract)).await;
    assert!(v.reset, "the first update after the wipe resets the UI");
    assert!(k.relay_drained().await, "the provider return was abandoned at the relay");
    assert_eq!(k.ended_reason(), Some(ReasonCode::Cancelled));
    assert!(matches!(k.audit_events().last().unwrap().kind, AuditKind::Wiped));
    // Nothing of the session is left to act on.
    assert_eq!(k.service.done().await.map_err(|e| e.code), Err(ErrorCode::NotNow));
    assert_eq!(k.service.cancel().await.map_err(|e| e.code), Err(ErrorCode::NotNow));
}

#[tokio::test]
async fn the_idle_timeout_counts_down_then_wipes_to_attract() {
    let mut k = Kiosk::start_with(|_| {}, true).await;
    let clock = k.clock.clone().unwrap();
    k.service.begin().await.unwrap();
    k.wait("identify", |v| matches!(v.view, View::Identify { .. })).await;
    clock.advance(Duration::from_secs(60));
    let v = k.wait("the countdown", |v| v.idle_seconds_left.is_some()).await;
    assert_eq!(v.idle_seconds_left, Some(10));
    // A touch hides it; then nobody answers.
    k.service.activity().await.unwrap();
    k.wait("no countdown", |v| v.idle_seconds_left.is_none()).await;
    clock.advance(Duration::from_secs(65));
    k.wait("the countdown again", |v| v.idle_seconds_left == Some(5)).await;
    clock.advance(Duration::from_secs(5));
    let v = k.wait("attract", |v| matches!(v.view, View::Attract)).await;
    assert!(v.reset && v.idle_seconds_left.is_none());
    assert_eq!(k.ended_reason(), Some(ReasonCode::IdleTimeout));
}

#[tokio::test]
async fn waiting_for_a_member_of_staff_is_not_idling_but_has_its_own_limit() {
    let mut k = Kiosk::start_with(
        |s| {
            s.config.referee = true;
            s.config.timeouts.referee_secs = 300;
        },
        true,
    )
    .await;
    let clock = k.clock.clone().unwrap();
    let v = k.recover("namesake", "trueid", 90.0).await;
    assert!(
        matches!(
            v.view,
            View::CouldNotComplete { staff: reclaim_protocol::StaffHelp::Offered, .. }
        ),
        "{:?}",
        v.view
    );
    k.service.ask_for_staff().await.unwrap();
    k.wait("waiting for staff", |v| {
        matches!(v.view, View::CouldNotComplete { staff: reclaim_protocol::StaffHelp::Waiting, .. })
    })
    .await;
    // Well past the idle timer and its countdown: nobody is asked "are you still there?".
    clock.advance(Duration::from_secs(200));
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let now = k.service.current();
    assert!(now.idle_seconds_left.is_none(), "a countdown while waiting for staff");
    assert!(matches!(
        now.view,
        View::CouldNotComplete { staff: reclaim_protocol::StaffHelp::Waiting, .. }
    ));
    // The referee's own limit ends it, with the check that failed.
    clock.advance(Duration::from_secs(120));
    k.wait("the wait ends", |v| {
        matches!(v.view, View::CouldNotComplete { staff: reclaim_protocol::StaffHelp::None, .. })
    })
    .await;
    assert_eq!(k.ended_reason(), Some(ReasonCode::DuplicateName));
}

#[tokio::test]
async fn the_tap_screen_has_a_shorter_idle_timer() {
    let mut k = Kiosk::start_with(|s| s.tap_idle_timeout_secs = 20, true).await;
    let clock = k.clock.clone().unwrap();
    let v = k.recover("ana", "trueid", 90.0).await;
    assert!(matches!(v.view, View::Tap { .. }), "{:?}", v.view);
    // 20 s without a touch: the countdown, long before the 60 s of the other screens.
    clock.advance(Duration::from_secs(21));
    let v = k.wait("the countdown over the TAP", |v| v.idle_seconds_left.is_some()).await;
    assert!(matches!(v.view, View::Tap { .. }));
    clock.advance(Duration::from_secs(10));
    let v = k.wait("attract", |v| matches!(v.view, View::Attract)).await;
    assert!(v.reset);
}

#[tokio::test]
async fn the_camera_path_with_real_card_images_succeeds() {
    let mut k = Kiosk::start().await;
    // Maria's ID card has a back: front, back, selfie.
    let upn = k.upn("maria");
    k.identify(&upn).await;
    let v = k.camera("trueid", "maria").await;
    let View::AddToAuthenticator { qr } = &v.view else { panic!("{}", v.view.name()) };
    assert!(qr.url.starts_with("openid-vc://"));
    let stages: Vec<_> = k
        .history()
        .await
        .into_iter()
        .filter_map(|u| match u.view {
            View::ScanId { capture: Some(s), .. } => Some(s),
            _ => None,
        })
        .collect::<Vec<_>>()
        .into_iter()
        .fold(Vec::new(), |mut acc, s| {
            if acc.last() != Some(&s) {
                acc.push(s);
            }
            acc
        });
    assert_eq!(
        stages,
        [
            CaptureStage::Front,
            CaptureStage::Uploading,
            CaptureStage::Back,
            CaptureStage::Uploading,
            CaptureStage::Selfie,
            CaptureStage::Uploading
        ]
    );
    k.phone().open(&qr.url).await.unwrap();
    let url = k.authenticator_qr(None).await.unwrap();
    k.present(&url, 90.0).await;
    let v = k.outcome().await;
    assert_eq!(taps_of(&k, &upn).await[0]["temporaryAccessPass"], tap_of(&v).as_str());
}

#[tokio::test]
async fn blurred_and_forged_cards_are_rejected() {
    let mut k = Kiosk::start().await;
    let upn = k.upn("ana");
    k.identify(&upn).await;
    k.service.choose_provider("trueid".into(), ScanPath::Camera).await.unwrap();
    k.wait("the camera", |v| {
        matches!(&v.view, View::ScanId { capture: Some(CaptureStage::Front), .. })
    })
    .await;
    let front = k.tenant().card("ana", reclaim_engine::demo::CardImage::Front).await.unwrap();
    let blurred = {
        let img = image::load_from_memory(&front).unwrap().blur(6.0);
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    };
    // A shot of the wrong side is refused without asking the provider.
    assert_eq!(
        k.service.capture(Shot::Selfie, front.clone()).await.map_err(|e| e.code),
        Err(ErrorCode::NotNow)
    );
    k.service.capture(Shot::Front, blurred).await.unwrap();
    k.wait("retake", |v| {
        matches!(&v.view, View::ScanId { capture: Some(CaptureStage::Retake), .. })
    })
    .await;
    // Then a forged card in Ana's name.
    let forged = k.tenant().card("forger", reclaim_engine::demo::CardImage::Front).await.unwrap();
    k.service.capture(Shot::Front, forged).await.unwrap();
    let v = k.outcome().await;
    assert_eq!(reason_of(&v), Some(ReasonCode::DocumentRejected));
    assert!(taps_of(&k, &upn).await.is_empty());
    k.finish().await;
}

#[tokio::test]
async fn a_station_that_fails_preflight_is_out_of_service() {
    let mut k = Kiosk::start().await;
    k.stack.relay_link().set_up(false);
    let station = k.service.preflight().await;
    assert!(!station.ready);
    assert_eq!(station.problems, [reclaim_engine::PreflightProblem::RelayUnreachable]);
    let v = k.wait("out of service", |v| matches!(v.view, View::OutOfService { .. })).await;
    assert!(v.step.is_none());
    assert_eq!(k.service.begin().await.map_err(|e| e.code), Err(ErrorCode::OutOfService));
    k.stack.relay_link().set_up(true);
    assert!(k.service.preflight().await.ready);
    k.wait("attract", |v| matches!(v.view, View::Attract)).await;
    k.service.begin().await.unwrap();
}

#[tokio::test]
async fn attempts_are_limited_per_account_and_per_station() {
    let limits = RateLimits {
        per_account: 2,
        account_window: Duration::from_secs(3600),
        per_station: 3,
        station_window: Duration::from_secs(60),
        ..RateLimits::default()
    };
    let mut k = Kiosk::start_with(|s| s.rate_limits = limits, false).await;
    let (ana, nora, kai) = (k.upn("ana"), k.upn("nora"), k.upn("kai"));
    for _ in 0..2 {
        let v = k.identify(&ana).await;
        assert!(matches!(v.view, View::ChooseProvider { .. }));
        k.service.cancel().await.unwrap();
    }
    // A third attempt for Ana within the hour is refused before any directory lookup.
    let v = k.identify(&ana).await;
    assert_eq!(reason_of(&v), Some(ReasonCode::RateLimited));
    let locked = k.audit_events().into_iter().rev().find_map(|e| match e.kind {
        AuditKind::Ended { reason: ReasonCode::RateLimited, .. } => Some(e.account_ref),
        _ => None,
    });
    assert!(matches!(locked, Some(Some(_))), "the lockout is audited with the account pseudonym");
    k.finish().await;
    // Another account still may (the station's third attempt this minute)…
    let v = k.identify(&nora).await;
    assert_eq!(reason_of(&v), Some(ReasonCode::NotEligible));
    k.finish().await;
    // …but the station's fourth is refused.
    let v = k.identify(&kai).await;
    assert_eq!(reason_of(&v), Some(ReasonCode::RateLimited));
    k.finish().await;
}

/// A `tracing` writer that keeps everything in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn audit_and_logs_of_a_whole_recovery_hold_no_personal_data() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let mut k = Kiosk::start().await;
    k.tenant()
        .add_fault(json!({"service": "graph", "pathContains": "/users", "kind": "status",
                          "status": 429, "retryAfter": 1, "count": 1}))
        .await
        .unwrap();
    let v = k.recover("ana", "trueid", 91.0).await;
    let tap = tap_of(&v);
    k.finish().await;
    assert!(is_outcome(&v));

    let audit = k.audit.lines().join("\n");
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let ours: String = logs
        .lines()
        .filter(|l| {
            l.contains("reclaim_engine")
                || l.contains("reclaim_entra")
                || l.contains("reclaim_relay")
                || l.contains("reclaim::audit")
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert!(audit.contains("\"event\":\"tap_issued\""), "{audit}");
    assert!(ours.contains("retrying"), "the capture sees our crates' logs:\n{ours}");
    assert!(audit.contains("\"face_check_score\":91.0"));
    for secret in [
        "Ana",
        "Lima",
        "ana.lima",
        "contoso.example",
        tap.as_str(),
        "P1234567",
        "1988-03-14",
        "portrait",
        "firstName",
    ] {
        assert!(!audit.contains(secret), "audit holds {secret:?}:\n{audit}");
        assert!(!ours.contains(secret), "logs hold {secret:?}:\n{ours}");
    }
}
