//! Attack 8 of the recovery-service design (§5): a forged provider return. Whoever sees the
//! hosted-flow QR on the kiosk's screen can read the link's claims (a JWT is signed, not
//! encrypted): the return URL at the callback relay, the request id. Each test drives a real
//! recovery through the recovery service's HTTP session API (the station's `ServiceClient`, on
//! the in-process demo stack) to the hosted-flow QR, then plays the attacker: a return without
//! the provider's proof, with a wrong one, with the proof of another request, with a `failed`
//! proof replayed as `issued`, and an expired link. Each asserts the refusal (audited, the
//! session still on the scan step) and that no TAP exists in the emulated tenant afterwards.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // set-up failures are test failures

use std::collections::BTreeMap;

use reclaim_core::AuditKind;
use reclaim_engine::{ScanPath, View};
use reclaim_system_tests::kiosk::{Kiosk, STEP};
use serde_json::{Value, json};

/// What an attacker reads off the hosted-flow QR: the link and its (unencrypted) claims.
struct Seen {
    link: String,
    claims: Value,
}

impl Seen {
    fn return_url(&self) -> &str {
        self.claims["returnUrl"].as_str().unwrap()
    }
    fn request_id(&self) -> &str {
        self.claims["requestId"].as_str().unwrap()
    }
}

/// Decodes unpadded base64url (the JWT payload), as anyone with the QR can.
fn base64url(s: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'-' => 62,
        b'_' => 63,
        _ => panic!("not base64url: {c}"),
    };
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        acc = (acc << 6) | u32::from(value(c));
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xff).unwrap());
        }
    }
    out
}

/// Ana's recovery up to the hosted-flow QR on the kiosk; what the QR shows an onlooker.
async fn victim_at_the_qr(k: &mut Kiosk) -> Seen {
    let upn = k.upn("ana");
    let v = k.identify(&upn).await;
    assert!(matches!(v.view, View::ChooseProvider { .. }), "{:?}", v.view);
    k.service.choose_provider("trueid".into(), ScanPath::Phone).await.unwrap();
    let v =
        k.wait("the hosted link", |v| matches!(&v.view, View::ScanId { link: Some(_), .. })).await;
    let View::ScanId { link: Some(qr), .. } = v.view else { unreachable!() };
    // The text printed under the code is the provider's host, never the link or its state.
    assert!(!qr.hint.is_empty() && !qr.hint.contains('/'), "hint {}", qr.hint);
    let token = qr.url.split("token=").nth(1).expect("a token in the link");
    let payload = token.split('.').nth(1).expect("a JWT");
    let claims: Value = serde_json::from_slice(&base64url(payload)).unwrap();
    let state = claims["state"].as_str().expect("the link names its return state");
    assert!(!qr.hint.contains(state) && !qr.hint.contains("token"), "hint {}", qr.hint);
    Seen { link: qr.url, claims }
}

/// Owned query pairs.
fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

/// The attacker's GET on the return URL with `query` appended (as a phone's browser would).
async fn forge(seen: &Seen, query: Vec<(String, String)>) {
    let mut url = reqwest::Url::parse(seen.return_url()).unwrap();
    url.query_pairs_mut().extend_pairs(query);
    let r = reqwest::Client::new().get(url).send().await.unwrap();
    // The relay accepted it and passed it on: the refusal below is the service's.
    assert_eq!(r.status(), 200, "the relay did not forward the forged return");
}

/// Asserts the service refused the return with `cause` (audited), the session did not move
/// (still on the scan step, no identity issued, no presentation asked for), and no TAP exists.
async fn refused(k: &mut Kiosk, cause: &str) {
    let deadline = tokio::time::Instant::now() + STEP;
    loop {
        let found = k.audit_events().iter().any(|e| {
            matches!(&e.kind, AuditKind::ProviderReturnRefused { provider, cause: c }
                if provider == "trueid" && c == cause)
        });
        if found {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no refusal ({cause}) was audited; audit: {:?}; screen: {}",
            k.audit_events().iter().map(|e| &e.kind).collect::<Vec<_>>(),
            k.service.current().view.name()
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(
        matches!(k.service.current().view, View::ScanId { .. }),
        "the session moved: {}",
        k.service.current().view.name()
    );
    for e in k.audit_events() {
        assert!(
            !matches!(
                e.kind,
                AuditKind::IdentityIssued { .. }
                    | AuditKind::PresentationRequested { .. }
                    | AuditKind::TapIssued { .. }
            ),
            "the forged return led on: {e:?}"
        );
    }
    no_taps(k).await;
}

async fn no_taps(k: &Kiosk) {
    let taps = k.tenant().taps().await.unwrap();
    assert!(taps.as_array().is_none_or(Vec::is_empty), "a TAP exists: {taps}");
}

/// Ends the session at the kiosk (Cancel) and checks that nothing was left behind.
async fn walk_away(k: &mut Kiosk) {
    k.service.cancel().await.unwrap();
    k.wait("the attract screen", |v| matches!(v.view, View::Attract)).await;
    no_taps(k).await;
}

fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_return_without_a_proof_is_refused() {
    let mut k = Kiosk::start().await;
    // The attacker holds a genuine Verified ID in Ana's name from an earlier flow: had the forged
    // return been taken, the presentation that followed would have given them a TAP (it did
    // before returns carried a proof).
    let earlier = genuine_return(&k, "earlier-request", "ana", "attacker-phone").await;
    assert_eq!(earlier.get("status").map(String::as_str), Some("issued"));
    let seen = victim_at_the_qr(&mut k).await;
    forge(&seen, q(&[("requestId", seen.request_id()), ("status", "issued")])).await;
    refused(&mut k, "no_proof").await;
    // No presentation request exists for the attacker's phone to answer.
    let phone = k.stack.phone_named("attacker-phone").state().await.unwrap();
    assert!(phone["pendingRequestId"].is_null(), "{phone}");
    walk_away(&mut k).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_return_with_a_wrong_proof_is_refused() {
    let mut k = Kiosk::start().await;
    // A proof of the right shape (HMAC-SHA256 in base64url) that the provider never made.
    let seen = victim_at_the_qr(&mut k).await;
    let exp = (unix_now() + 300).to_string();
    let proof = "A".repeat(43);
    let query = [("requestId", seen.request_id()), ("status", "issued"), ("exp", &exp)];
    forge(&seen, q(&[&query[..], &[("proof", proof.as_str())]].concat())).await;
    refused(&mut k, "bad_proof").await;
    walk_away(&mut k).await;
    // Not even base64url: refused as malformed before any comparison.
    let seen = victim_at_the_qr(&mut k).await;
    let query = [("requestId", seen.request_id()), ("status", "issued"), ("exp", &exp)];
    forge(&seen, q(&[&query[..], &[("proof", "trust me!")]].concat())).await;
    refused(&mut k, "malformed").await;
    walk_away(&mut k).await;
}

/// A genuine hosted flow for another request at the same provider (`persona`'s document, the
/// credential on `phone`): the query of the return URL the provider sent that phone to.
async fn genuine_return(
    k: &Kiosk,
    request_id: &str,
    persona: &str,
    phone: &str,
) -> BTreeMap<String, String> {
    let control = k.stack.control_url().trim_end_matches('/').to_owned();
    let http = reqwest::Client::new();
    let minted: Value = http
        .post(format!("{control}/providers/trueid/links"))
        .json(&json!({ "requestId": request_id, "phoneId": phone,
                       "returnUrl": "http://127.0.0.1:9/attacker", "state": "attackers-state" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let done: Value = http
        .post(format!("{control}/providers/trueid/hosted/complete"))
        .json(&json!({ "link": minted["url"], "persona": persona, "phoneId": phone }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(done["status"], "issued", "{done}");
    let url = reqwest::Url::parse(done["returnUrl"].as_str().unwrap()).unwrap();
    let query: BTreeMap<String, String> = url.query_pairs().into_owned().collect();
    assert!(query.contains_key("proof"), "{query:?}");
    query
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proof_for_another_request_is_refused() {
    let mut k = Kiosk::start().await;
    let other = genuine_return(&k, "attackers-own-request", "maria", "attacker-phone").await;

    // As the provider made it: another request id.
    let seen = victim_at_the_qr(&mut k).await;
    forge(&seen, other.clone().into_iter().collect()).await;
    refused(&mut k, "wrong_request").await;
    walk_away(&mut k).await;

    // With the victim's request id put in: the proof binds the request and the return state.
    let seen = victim_at_the_qr(&mut k).await;
    let mut swapped = other.clone();
    swapped.insert("requestId".into(), seen.request_id().to_owned());
    forge(&seen, swapped.into_iter().collect()).await;
    refused(&mut k, "bad_proof").await;
    walk_away(&mut k).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_proof_replayed_as_issued_is_refused() {
    let mut k = Kiosk::start().await;
    let seen = victim_at_the_qr(&mut k).await;
    // The attacker opens the victim's link on their own phone and taps "Back to the kiosk"
    // without verifying anything: the provider's genuine `failed` return, not followed.
    let http =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let started: Value = http
        .get(&seen.link)
        .header("accept", "application/json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let flow = started["url"].as_str().expect("the flow's page");
    let r = http.get(format!("{flow}/return")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(seen.return_url()), "{location}");
    let genuine: BTreeMap<String, String> =
        reqwest::Url::parse(&location).unwrap().query_pairs().into_owned().collect();
    assert_eq!(genuine.get("status").map(String::as_str), Some("failed"), "{genuine:?}");
    assert_eq!(genuine.get("requestId").map(String::as_str), Some(seen.request_id()));

    // Replayed as `issued` (the reason dropped, every other field as the provider signed it).
    let mut flipped = genuine.clone();
    flipped.insert("status".into(), "issued".into());
    flipped.remove("reason");
    forge(&seen, flipped.into_iter().collect()).await;
    refused(&mut k, "bad_proof").await;
    walk_away(&mut k).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_link_is_refused() {
    let mut k = Kiosk::start().await;
    let seen = victim_at_the_qr(&mut k).await;
    // The link lives as long as the scan step (30 s in the tests' settings), not an hour, and
    // names the provider it is for.
    let (iat, exp) = (seen.claims["iat"].as_i64().unwrap(), seen.claims["exp"].as_i64().unwrap());
    assert!(exp > iat && exp - iat <= 31, "link lifetime {} s", exp - iat);
    let provider = k.stack.emulator().urls.provider.trim_end_matches('/').to_owned();
    assert_eq!(seen.claims["aud"], format!("{provider}/trueid"));

    // Another provider refuses it.
    let r = reqwest::Client::new()
        .get(seen.link.replace("/trueid/start", "/vouchsafe/start"))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    // Past its `exp` (on the provider's clock) the provider refuses it: no flow, no return.
    k.tenant().advance_clock(exp - unix_now() + 1).await.unwrap();
    let phone = k.stack.phone_named("attacker-phone");
    let err = phone.complete_hosted_flow("trueid", &seen.link, "ana").await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("410") && text.contains("link_expired"), "{text}");
    // Nothing reached the session: still waiting on the scan step; nothing issued, no TAP.
    assert!(matches!(k.service.current().view, View::ScanId { .. }));
    assert!(
        !k.audit_events().iter().any(|e| matches!(e.kind, AuditKind::IdentityIssued { .. })),
        "{:?}",
        k.audit_events()
    );
    assert!(phone.state().await.unwrap()["credentials"].as_array().is_none_or(Vec::is_empty));
    no_taps(&k).await;
    walk_away(&mut k).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_providers_own_proven_return_is_accepted() {
    // The control: the same recovery with the provider's genuine return goes on to the
    // presentation (so the refusals above are the proofs', not a broken return path).
    let mut k = Kiosk::start().await;
    let upn = k.upn("ana");
    k.identify(&upn).await;
    let qr = k.hosted_flow("ana", "trueid").await;
    assert!(qr.starts_with("openid-vc://"), "{qr}");
    assert!(
        !k.audit_events().iter().any(|e| matches!(e.kind, AuditKind::ProviderReturnRefused { .. })),
        "{:?}",
        k.audit_events()
    );
    walk_away(&mut k).await;
}
