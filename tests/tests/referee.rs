//! Issue 16 items 1 and 2: the operator console and the trusted referee, end to end on the demo
//! service: a person whose automated check failed asks for a member of staff at the kiosk; IT
//! staff sign in to the console through the emulated tenant (OpenID Connect, code + PKCE),
//! see the case, and approve (the TAP appears at the kiosk, for the account the referee chose)
//! or refuse. Every refusal path asserts that no TAP exists afterwards.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use reclaim_engine::View;
use reclaim_engine::demo::DemoOptions;
use reclaim_protocol::StaffHelp;
use reclaim_service::demo::{DEMO_NON_OPERATOR, DemoService, DemoServiceOptions};
use reclaim_system_tests::console::{self, SignIn};
use reclaim_system_tests::station::{enrolled, no_tap_left, prove, taps, wait};
use reqwest::StatusCode;
use serde_json::json;

const ANA_COSTA: &str = "1a000000-0000-4000-8000-000000000014";
const ANA_LIMA: &str = "1a000000-0000-4000-8000-000000000001";

async fn console_service() -> DemoService {
    DemoService::start(DemoServiceOptions {
        stack: DemoOptions { extra_stations: 1, ..DemoOptions::default() },
        console: true,
        ..Default::default()
    })
    .await
    .expect("the demo service starts")
}

/// The namesake (Ana Lima Costa with her own genuine ID, having typed Ana Lima's account) is
/// refused `duplicate_name` and asks for a member of staff; the station then waits.
async fn namesake_asks(service: &DemoService) -> reclaim_protocol::client::ServiceClient {
    let kiosk = enrolled(service, "lobby").await;
    prove(service, &kiosk, "namesake").await;
    let offered = wait(&kiosk, "the staff offer", |v| {
        matches!(v.view, View::CouldNotComplete { staff: StaffHelp::Offered, .. })
    })
    .await;
    let View::CouldNotComplete { reason, .. } = offered.view else { unreachable!() };
    assert_eq!(reason.0, reclaim_core::ReasonCode::DuplicateName);
    kiosk.ask_for_staff().await.unwrap();
    wait(&kiosk, "waiting for staff", |v| {
        matches!(v.view, View::CouldNotComplete { staff: StaffHelp::Waiting, .. })
    })
    .await;
    kiosk
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_referee_approves_the_persons_own_account_and_the_kiosk_shows_its_tap() {
    let service = console_service().await;
    let kiosk = namesake_asks(&service).await;
    let console = console::operator(service.url()).await;

    // The overview names the station, its screen and the case, nothing personal.
    let summary = console.wait_for_case().await;
    assert_eq!(summary["reason"], "duplicate_name");
    assert_eq!(summary["stationName"], "lobby");
    let (_, overview) = console.get("/console/api/overview").await;
    let text = overview.to_string().to_lowercase();
    assert!(!text.contains("ana") && !text.contains("costa"), "personal data: {text}");
    let row = overview["stations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "lobby")
        .cloned()
        .unwrap();
    assert_eq!(row["online"], true, "{row}");
    assert_eq!(row["screen"], "couldNotComplete");
    assert_eq!(row["today"]["started"], 1);
    assert_eq!(row["today"]["faceChecks"], 1);

    // The case: the credential's names and portrait against the typed account and the other
    // account the credential matches.
    let session = summary["sessionId"].as_str().unwrap().to_owned();
    let (status, case) = console.get(&format!("/console/api/cases/{session}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(case["typed"]["upn"], "ana.lima@contoso.example");
    assert_eq!(case["candidates"][0]["upn"], "ana.costa@contoso.example");
    assert_eq!(case["credential"]["surname"], "Lima Costa");
    assert!(
        case["credential"]["portrait"].as_str().unwrap().starts_with("data:image/jpeg;base64,")
    );

    // The referee checks her ID and chooses her own account.
    let (status, _) = console
        .post(
            &format!("/console/api/cases/{session}/approve"),
            json!({ "userId": ANA_COSTA }),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    wait(&kiosk, "the TAP", |v| matches!(v.view, View::Tap { .. })).await;
    let held = taps(&service).await;
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0]["userId"], ANA_COSTA, "the TAP is for the account the referee chose");
    // The case, and its portrait, are gone once decided.
    let (status, _) = console.get(&format!("/console/api/cases/{session}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    kiosk.done().await.unwrap();
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_referee_refusal_ends_the_session_without_a_tap() {
    let service = console_service().await;
    let kiosk = namesake_asks(&service).await;
    let console = console::operator(service.url()).await;
    let session = console.wait_for_case().await["sessionId"].as_str().unwrap().to_owned();
    let (status, _) =
        console.post(&format!("/console/api/cases/{session}/refuse"), json!({}), true).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let ended = wait(&kiosk, "the refusal", |v| {
        matches!(&v.view, View::CouldNotComplete { reason, .. }
            if reason.0 == reclaim_core::ReasonCode::RefereeRefused)
    })
    .await;
    assert!(matches!(ended.view, View::CouldNotComplete { staff: StaffHelp::None, .. }));
    assert!(no_tap_left(&service).await);
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_refuses_what_a_referee_must_not_do() {
    let service = console_service().await;
    let kiosk = namesake_asks(&service).await;
    let console = console::operator(service.url()).await;
    let session = console.wait_for_case().await["sessionId"].as_str().unwrap().to_owned();
    let approve = format!("/console/api/cases/{session}/approve");

    // Without the session's CSRF token (a forged cross-site post): refused.
    let (status, body) = console.post(&approve, json!({ "userId": ANA_COSTA }), false).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")));
    // An account the case does not offer (a privileged one, say): refused.
    let admin = "1a000000-0000-4000-8000-000000000012";
    let (status, body) = console.post(&approve, json!({ "userId": admin }), true).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("notNow")));
    // A made-up case.
    let (status, _) = console
        .post(
            "/console/api/cases/0123456789abcdef0123456789abcdef/approve",
            json!({ "userId": ANA_LIMA }),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(taps(&service).await.is_empty());

    // Signed-in staff outside the operators group get nothing.
    let (user, password) = DEMO_NON_OPERATOR;
    match console::sign_in(service.url(), user, password).await {
        SignIn::Refused(error) => assert_eq!(error, "notOperator"),
        SignIn::Operator(_) => panic!("a non-operator was let in"),
    }
    // Nobody signed in: 401 on every console call; a station's credential is no console login.
    let http = reqwest::Client::new();
    for path in
        ["/console/api/me", "/console/api/overview", &format!("/console/api/cases/{session}")]
    {
        let r = http.get(format!("{}{path}", service.url())).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
    let r = http
        .post(format!("{}{approve}", service.url()))
        .header("x-reclaim-csrf", &console.csrf)
        .json(&json!({ "userId": ANA_COSTA }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "the CSRF token alone is no session");

    // The person leaves: the case leaves the console with them.
    kiosk.done().await.unwrap();
    wait(&kiosk, "attract", |v| matches!(v.view, View::Attract)).await;
    let (status, _) = console.get(&format!("/console/api/cases/{session}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(no_tap_left(&service).await);
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_ends_the_console_session_and_its_live_stream() {
    let service = console_service().await;
    let console = console::operator(service.url()).await;
    let mut stream = console.events().await;
    let first = tokio::time::timeout(std::time::Duration::from_secs(10), stream.chunk())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(String::from_utf8_lossy(&first).contains("event: overview"));
    let to = console.sign_out().await;
    assert!(to.contains("/oauth2/v2.0/logout"), "signed out at the tenant too: {to}");
    // The stream ends within a few seconds; the session is gone.
    let ended = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        while let Ok(Some(_)) = stream.chunk().await {}
    })
    .await;
    assert!(ended.is_ok(), "the live stream outlived the sign-out");
    let (status, _) = console.get("/console/api/overview").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_console_no_staff_is_offered() {
    let service = reclaim_system_tests::station::demo_service(0, None).await;
    let kiosk = enrolled(&service, "lobby").await;
    prove(&service, &kiosk, "namesake").await;
    let ended =
        wait(&kiosk, "the failure", |v| matches!(v.view, View::CouldNotComplete { .. })).await;
    assert!(matches!(ended.view, View::CouldNotComplete { staff: StaffHelp::None, .. }));
    assert!(kiosk.ask_for_staff().await.is_err(), "nobody to ask");
    assert!(no_tap_left(&service).await);
    service.shutdown().await;
}
