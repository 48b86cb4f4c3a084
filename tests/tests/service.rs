//! The trust boundary, tried as an attacker at (or with code running on) a kiosk would, against a
//! running recovery service on the demo stack: a station without credentials, with a revoked
//! one, or with another station's session id is refused; the station's credential reaches no
//! directory, TAP or presentation operation except through a session step; what a station
//! receives during a whole production recovery holds no claim, portrait, callback body or tenant
//! secret, and the TAP only in the view that shows it; a slow-header client is cut off while
//! other stations keep working. Every refusal also checks that no TAP exists in the tenant.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // set-up failures are test failures

use std::time::Duration;

use futures::StreamExt;
use reclaim_engine::demo::DemoOptions;
use reclaim_engine::{ScanPath, View};
use reclaim_protocol::PreflightProblem;
use reclaim_protocol::station::StationCredential;
use reclaim_service::demo::{DemoService, DemoServiceOptions};
use reclaim_service::listener::Limits;
use reclaim_system_tests::kiosk::STEP;
use reclaim_system_tests::station::{connect, wait};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn demo(limits: Limits) -> DemoService {
    DemoService::start(DemoServiceOptions {
        stack: DemoOptions { extra_stations: 2, ..DemoOptions::default() },
        limits,
        ..Default::default()
    })
    .await
    .expect("the demo service starts")
}

async fn no_taps(service: &DemoService) -> bool {
    service.stack().tenant().taps().await.unwrap().as_array().is_none_or(|a| a.is_empty())
}

/// Every call of the session API, as (method, path) with a placeholder session id.
const CALLS: &[(&str, &str)] = &[
    ("GET", "/v1/views"),
    ("GET", "/v1/station"),
    ("POST", "/v1/station/preflight"),
    ("POST", "/v1/sessions"),
    ("POST", "/v1/sessions/SID/account"),
    ("POST", "/v1/sessions/SID/provider"),
    ("POST", "/v1/sessions/SID/shots/front"),
    ("POST", "/v1/sessions/SID/done"),
    ("DELETE", "/v1/sessions/SID"),
    ("POST", "/v1/activity"),
];

async fn call(
    http: &reqwest::Client,
    base: &str,
    method: &str,
    path: &str,
    auth: Option<String>,
) -> reqwest::StatusCode {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = http.request(method, format!("{base}{path}")).timeout(Duration::from_secs(10));
    if let Some(auth) = auth {
        req = req.header("authorization", auth);
    }
    if path.ends_with("/account") {
        req = req.json(&serde_json::json!({ "upn": "ana.lima@contoso.example" }));
    } else if path.ends_with("/provider") {
        req = req.json(&serde_json::json!({ "provider": "trueid", "path": "phone" }));
    }
    req.send().await.unwrap().status()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_station_without_valid_credentials_is_refused_on_every_call() {
    let service = demo(Limits::default()).await;
    let base = service.url().to_owned();
    let http = reqwest::Client::new();
    let enrolled = service.enroll("lobby").unwrap();
    // A key the service never enrolled, claiming the enrolled station's id.
    let forged = StationCredential::new(
        enrolled.station_id.clone(),
        base.clone(),
        reclaim_protocol::station::StationKey::generate().unwrap(),
    );
    let now = time::OffsetDateTime::now_utc();
    let expired = enrolled.assertion(now - time::Duration::minutes(10));
    let other_audience = StationCredential::new(
        enrolled.station_id.clone(),
        "https://elsewhere.example",
        enrolled.key.clone(),
    );
    for (method, path) in CALLS {
        let path = path.replace("SID", "0123456789abcdef0123456789abcdef");
        for (what, auth) in [
            ("no credential", None),
            ("garbage", Some("Bearer not-a-jwt".to_owned())),
            ("an unenrolled key", Some(format!("Bearer {}", forged.assertion(now)))),
            ("an expired assertion", Some(format!("Bearer {expired}"))),
            ("another audience", Some(format!("Bearer {}", other_audience.assertion(now)))),
        ] {
            let status = call(&http, &base, method, &path, auth).await;
            assert_eq!(status, 401, "{method} {path} with {what}");
        }
    }
    // The same calls with the station's own assertion are answered (not 401).
    let ok = call(
        &http,
        &base,
        "GET",
        "/v1/station",
        Some(format!("Bearer {}", enrolled.assertion(now))),
    )
    .await;
    assert_eq!(ok, 200);
    assert!(no_taps(&service).await);
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_station_is_refused_and_shows_out_of_service() {
    let service = demo(Limits::default()).await;
    let credential = service.enroll("depot").unwrap();
    let client = connect(credential.clone()).await;
    wait(&client, "a ready station", |v| v.station.ready).await;
    client.begin().await.unwrap();
    wait(&client, "identify", |v| matches!(v.view, View::Identify { .. })).await;

    service.service().registry().revoke("depot").unwrap();
    let refused = client.submit_upn("ana.lima@contoso.example".into()).await.unwrap_err();
    assert_eq!(refused.code, reclaim_protocol::ErrorCode::OutOfService);
    let http = reqwest::Client::new();
    let now = time::OffsetDateTime::now_utc();
    let status = call(
        &http,
        service.url(),
        "GET",
        "/v1/station",
        Some(format!("Bearer {}", credential.assertion(now))),
    )
    .await;
    assert_eq!(status, 401);
    // A new connection of the revoked station: out of service, and it says why.
    let again = connect(credential).await;
    let v = wait(&again, "out of service", |v| matches!(v.view, View::OutOfService { .. })).await;
    assert_eq!(v.station.problems, [PreflightProblem::StationNotEnrolled]);
    assert!(no_taps(&service).await);
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_station_cannot_see_or_drive_another_stations_session() {
    let service = demo(Limits::default()).await;
    let victim = service.enroll("lobby").unwrap();
    let attacker = service.enroll("depot").unwrap();
    let victim_client = connect(victim.clone()).await;
    wait(&victim_client, "a ready station", |v| v.station.ready).await;

    // The victim's session, begun over the API directly so the test knows its id.
    let http = reqwest::Client::new();
    let now = time::OffsetDateTime::now_utc();
    let created: Value = http
        .post(format!("{}/v1/sessions", service.url()))
        .header("authorization", format!("Bearer {}", victim.assertion(now)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    wait(&victim_client, "identify", |v| matches!(v.view, View::Identify { .. })).await;

    let attacker_auth =
        || Some(format!("Bearer {}", attacker.assertion(time::OffsetDateTime::now_utc())));
    for (method, path) in CALLS.iter().filter(|(_, p)| p.contains("SID")) {
        let path = path.replace("SID", &id);
        let status = call(&http, service.url(), method, &path, attacker_auth()).await;
        assert_eq!(status, 404, "{method} {path} with another station's session id");
    }
    // The attacker's own view stream shows its own station, not the victim's session.
    let attacker_client = connect(attacker).await;
    let v = wait(&attacker_client, "the attacker's own attract", |v| v.station.ready).await;
    assert!(matches!(v.view, View::Attract), "{:?}", v.view);
    // The victim's session went on untouched.
    assert!(matches!(victim_client.current().view, View::Identify { .. }));
    assert!(no_taps(&service).await);
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_station_credential_reaches_no_directory_tap_or_presentation_operation() {
    let service = demo(Limits::default()).await;
    let station = service.enroll("lobby").unwrap();
    let http = reqwest::Client::new();
    let auth = || Some(format!("Bearer {}", station.assertion(time::OffsetDateTime::now_utc())));
    // What code on the kiosk would try with the station's credential: Graph's and the Request
    // Service's operations, under the service's own URL.
    let attempts = [
        ("GET", "/v1.0/users"),
        ("GET", "/v1.0/users/ana.lima@contoso.example"),
        ("POST", "/v1.0/users/ana.lima@contoso.example/authentication/temporaryAccessPassMethods"),
        ("GET", "/v1.0/users/ana.lima@contoso.example/authentication/temporaryAccessPassMethods"),
        (
            "DELETE",
            "/v1.0/users/ana.lima@contoso.example/authentication/temporaryAccessPassMethods/x",
        ),
        ("POST", "/v1.0/verifiableCredentials/createPresentationRequest"),
        ("POST", "/v1/taps"),
        ("GET", "/v1/directory/users"),
        ("POST", "/v1/presentations"),
        ("POST", "/v1/callbacks"),
        ("GET", "/v1/sessions"),
    ];
    for (method, path) in attempts {
        let status = call(&http, service.url(), method, path, auth()).await;
        assert!(status == 404 || status == 405, "{method} {path} answered {status}");
    }
    // A session step out of order does nothing either: the account before begin, a provider
    // before the account.
    let client = connect(station).await;
    wait(&client, "a ready station", |v| v.station.ready).await;
    assert!(client.submit_upn("ana.lima@contoso.example".into()).await.is_err());
    client.begin().await.unwrap();
    let refused = client.choose_provider("trueid".into(), ScanPath::Phone).await.unwrap_err();
    assert_eq!(refused.code, reclaim_protocol::ErrorCode::NotNow);
    assert!(no_taps(&service).await);
    service.shutdown().await;
}

/// Whether `text` holds `word` as a whole word.
fn has_word(text: &str, word: &str) -> bool {
    text.split(|c: char| !c.is_alphanumeric()).any(|w| w == word)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_recovery_sends_the_station_views_only() {
    let service = demo(Limits::default()).await;
    let credential = service.enroll("lobby").unwrap();
    let client = connect(credential.clone()).await;
    wait(&client, "a ready station", |v| v.station.ready).await;

    // Everything the station receives, as bytes on the wire.
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let raw = {
        let url = format!("{}/v1/views", service.url());
        let auth = format!("Bearer {}", credential.assertion(time::OffsetDateTime::now_utc()));
        let response =
            reqwest::Client::new().get(url).header("authorization", auth).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let mut body = response.bytes_stream();
        tokio::spawn(async move {
            let mut all = Vec::new();
            // Until the test has seen the wipe, then whatever is still on its way.
            let mut stop = Some(stop_rx);
            loop {
                let chunk = match stop.as_mut() {
                    Some(stop_signal) => tokio::select! {
                        chunk = body.next() => chunk,
                        _ = stop_signal => { stop = None; continue; }
                    },
                    None => {
                        match tokio::time::timeout(Duration::from_millis(500), body.next()).await {
                            Ok(chunk) => chunk,
                            Err(_) => break,
                        }
                    }
                };
                match chunk {
                    Some(Ok(chunk)) => all.extend_from_slice(&chunk),
                    _ => break,
                }
            }
            String::from_utf8(all).unwrap()
        })
    };

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
    // On the wire the pass travels as its groups of four (`"groups":["k7Q+","2rZa",…]`).
    let groups = serde_json::to_string(&tap.groups).unwrap();
    // Once sent, the service keeps no copy: its engine's current view is the TAP screen without
    // the pass (a station that reconnected now would get no pass either).
    let engine = service.service().sessions().engine(&credential.station_id).await.unwrap();
    let mut current = engine.subscribe();
    let kept = tokio::time::timeout(STEP, current.wait_for(|v| matches!(v.view, View::Tap { .. })))
        .await
        .expect("the engine shows the TAP screen")
        .unwrap()
        .clone();
    let View::Tap { tap: kept } = kept.view else { unreachable!() };
    assert!(kept.groups.is_empty(), "the service kept the pass after sending it");
    client.done().await.unwrap();
    wait(&client, "attract", |v| matches!(v.view, View::Attract)).await;
    let _ = stop_tx.send(());
    let raw = raw.await.unwrap();

    // The stream is the real one: the recovery's screens are in it.
    assert!(raw.contains("\"screen\":\"openAuthenticator\""), "{raw}");
    // The TAP is in the view that shows it, and in no other event.
    let events: Vec<&str> = raw.split("\n\n").filter(|e| e.contains("data:")).collect();
    assert!(events.iter().all(|e| !e.contains(&code)), "the TAP in one piece on the wire");
    let with_tap: Vec<&&str> = events.iter().filter(|e| e.contains(&groups)).collect();
    assert!(!with_tap.is_empty(), "the TAP never reached the station: {groups} not in {raw}");
    assert!(with_tap.iter().all(|e| e.contains("\"screen\":\"tap\"")), "the TAP outside its view");
    assert_eq!(with_tap.len(), 1, "the TAP was sent more than once");
    // No claim, portrait, callback body or tenant secret.
    let d = &persona.document;
    for given in d.given_names.split_whitespace() {
        assert!(!has_word(&raw, given), "the given name {given} reached the station");
    }
    assert!(!has_word(&raw, &d.family_name), "the family name reached the station");
    assert!(!raw.contains(&d.document_number), "the document number reached the station");
    assert!(!raw.contains(&d.date_of_birth), "the birth date reached the station");
    for marker in [
        "requestStatus",
        "verifiedCredentialsData",
        "\"receipt\"",
        "vp_token",
        "\"faceCheck\":",
        "matchConfidenceScore",
        "\"photo\"",
        "portrait",
        "credentialSubject",
        "\"claims\"",
        "\"issuer\"",
        "api-key",
    ] {
        assert!(!raw.contains(marker), "{marker} reached the station");
    }
    assert!(
        !raw.contains(reclaim_engine::demo::KIOSK_SECRET),
        "the tenant secret reached the station"
    );
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_header_client_is_cut_off_while_other_stations_keep_working() {
    let limits = Limits {
        header_read_timeout: Duration::from_secs(1),
        max_per_address: 64,
        ..Limits::default()
    };
    let service = demo(limits).await;
    let station = service.enroll("lobby").unwrap();
    let addr = service.service().server().local_addr();

    // Slow-loris: a request head that never ends, one byte at a time.
    let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let started = tokio::time::Instant::now();
    let writer = tokio::spawn(async move {
        let mut buf = [0u8; 256];
        loop {
            if slow.write_all(b"X").await.is_err() {
                return;
            }
            match tokio::time::timeout(Duration::from_millis(200), slow.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => return,
                _ => {}
            }
        }
    });
    // Meanwhile a station works as usual.
    let client = connect(station).await;
    wait(&client, "a ready station", |v| v.station.ready).await;
    client.begin().await.unwrap();
    wait(&client, "identify", |v| matches!(v.view, View::Identify { .. })).await;
    tokio::time::timeout(Duration::from_secs(10), writer)
        .await
        .expect("the slow client was cut off")
        .unwrap();
    let cut_after = started.elapsed();
    assert!(cut_after < Duration::from_secs(5), "cut off only after {cut_after:?}");
    assert!(cut_after >= Duration::from_millis(900), "cut off too early: {cut_after:?}");
    client.cancel().await.unwrap();
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_flood_from_one_address_is_capped_and_bodies_are_limited() {
    let limits = Limits { max_per_address: 8, ..Limits::default() };
    let service = demo(limits).await;
    let station = service.enroll("lobby").unwrap();
    let addr = service.service().server().local_addr();
    // Eight idle connections are held; the ninth is closed at once.
    let mut held = Vec::new();
    for _ in 0..8 {
        held.push(tokio::net::TcpStream::connect(addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut ninth = tokio::net::TcpStream::connect(addr).await.unwrap();
    let _ = ninth.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let mut buf = [0u8; 64];
    let n = tokio::time::timeout(Duration::from_secs(5), ninth.read(&mut buf))
        .await
        .unwrap()
        .unwrap_or(0);
    assert_eq!(n, 0, "the ninth connection was served");
    assert!(service.service().server().stats().refused_per_address() >= 1);
    drop(held);
    tokio::time::sleep(Duration::from_millis(200)).await;

    // A body over the call's limit is refused before it reaches the engine.
    let http = reqwest::Client::new();
    let client = connect(station.clone()).await;
    wait(&client, "a ready station", |v| v.station.ready).await;
    client.begin().await.unwrap();
    let now = time::OffsetDateTime::now_utc();
    let big = "a".repeat(64 * 1024);
    let too_large = http
        .post(format!("{}/v1/sessions/x/account", service.url()))
        .header("authorization", format!("Bearer {}", station.assertion(now)))
        .json(&serde_json::json!({ "upn": big }))
        .send()
        .await
        .unwrap();
    assert_eq!(too_large.status(), 413);
    // The unread rest of the body spoils the connection; the answer says so, so a client's
    // pool does not send its next call down it.
    assert_eq!(too_large.headers().get("connection").map(|v| v.as_bytes()), Some(&b"close"[..]));
    let body: Value = too_large.json().await.unwrap();
    assert_eq!(body["code"], "payloadTooLarge", "{body}");
    // A malformed body is refused the same way every failure is: `{code, message}`, never
    // echoing what was sent.
    let refused = http
        .post(format!("{}/v1/sessions/x/account", service.url()))
        .header("authorization", format!("Bearer {}", station.assertion(now)))
        .header("content-type", "application/json")
        .body("{\"upn\": 42, \"secret\": \"ana.lima@contoso.example\"}")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    let text = refused.text().await.unwrap();
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["code"], "invalidInput", "{body}");
    assert!(!text.contains("ana.lima"), "the body was echoed: {text}");
    client.cancel().await.unwrap();
    service.shutdown().await;
}
