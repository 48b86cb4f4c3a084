//! Contract tests of the emulated identity-verification providers: printable cards, the capture
//! API, one-time hosted-flow links and the whole hosted flow into a simulated phone.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::RawQuery;
use axum::routing::get;
use base64::Engine as _;
use common::{Emu, json};
use reclaim_emulator::provider::{card, decode};
use serde_json::{Value, json};

const TRUEID_KEY: &str = "demo-trueid-capture-key";
const VOUCHSAFE_KEY: &str = "demo-vouchsafe-capture-key";

/// GET bytes from the provider host.
async fn get_bytes(emu: &Emu, path: &str) -> (reqwest::StatusCode, Option<String>, Vec<u8>) {
    let r = emu.http.get(format!("{}{path}", emu.urls().provider)).send().await.unwrap();
    let status = r.status();
    let ct = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned());
    (status, ct, r.bytes().await.unwrap().to_vec())
}

/// Creates a capture session; returns its id.
async fn session(emu: &Emu, provider: &str, key: &str, document_type: &str) -> String {
    let r = emu
        .http
        .post(format!("{}/{provider}/v1/sessions", emu.urls().provider))
        .header("X-Api-Key", key)
        .json(&json!({ "documentType": document_type, "phoneId": "capture-phone" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let body = json(r).await;
    assert!(body["expiresAt"].is_string() || body["expiresAt"].is_number(), "{body}");
    body["sessionId"].as_str().unwrap().to_owned()
}

async fn put_image(
    emu: &Emu,
    provider: &str,
    key: &str,
    session: &str,
    side: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    let ct = if bytes.starts_with(&[0xff, 0xd8]) { "image/jpeg" } else { "image/png" };
    emu.http
        .put(format!("{}/{provider}/v1/sessions/{session}/images/{side}", emu.urls().provider))
        .header("X-Api-Key", key)
        .header("content-type", ct)
        .body(bytes)
        .send()
        .await
        .unwrap()
}

async fn card_of(emu: &Emu, persona: &str, suffix: &str) -> Vec<u8> {
    let (status, ct, bytes) = get_bytes(emu, &format!("/cards/{persona}{suffix}.png")).await;
    assert_eq!(status, 200, "{persona}{suffix}");
    assert_eq!(ct.as_deref(), Some("image/png"));
    bytes
}

fn png(img: &image::RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png).unwrap();
    out
}

#[tokio::test]
async fn every_persona_card_decodes_to_its_data() {
    let emu = Emu::start().await;
    let (status, _, index) = get_bytes(&emu, "/cards/").await;
    assert_eq!(status, 200);
    let index = String::from_utf8(index).unwrap();
    for p in &emu.running.state.fixture().personas.clone() {
        assert!(index.contains(&format!("/cards/{}.png", p.key)), "index lists {}", p.key);
        for suffix in ["", "-back"] {
            let bytes = card_of(&emu, &p.key, suffix).await;
            let img = image::load_from_memory(&bytes).unwrap();
            assert!(img.width() >= 1000 && img.height() >= 600, "{}{suffix} is a card", p.key);
            let code = decode::read_document(&bytes)
                .unwrap_or_else(|e| panic!("{}{suffix}: {e:?}", p.key));
            assert_eq!(code.persona, p.key);
            assert_eq!(code.given_names, p.document.given_names);
            assert_eq!(code.family_name, p.document.family_name);
            assert_eq!(code.date_of_birth, p.document.date_of_birth);
            assert_eq!(code.document_number, p.document.document_number);
            assert_eq!(code.document_type, p.document.document_type);
            assert_eq!(code.nationality, p.document.nationality);
            assert_eq!(code.expiry_date, p.document.expiry_date);
            assert_eq!(code.signature_valid(), !p.forged, "{} signature", p.key);
        }
        let selfie = card_of(&emu, &p.key, "-selfie").await;
        assert!(image::load_from_memory(&selfie).unwrap().width() >= 200);
    }
    let (status, _, _) = get_bytes(&emu, "/cards/nobody.png").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn capture_api_requires_the_api_key() {
    let emu = Emu::start().await;
    let url = format!("{}/trueid/v1/sessions", emu.urls().provider);
    let body = json!({ "documentType": "passport" });
    let r = emu.http.post(&url).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 401);
    // Another provider's key is not this provider's key.
    let r =
        emu.http.post(&url).header("X-Api-Key", VOUCHSAFE_KEY).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let id = session(&emu, "trueid", TRUEID_KEY, "passport").await;
    let r = emu
        .http
        .get(format!("{}/trueid/v1/sessions/{id}", emu.urls().provider))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn expired_capture_session_is_forgotten_after_the_grace_period() {
    use reclaim_emulator::provider::{EXPIRED_GRACE_SECS, capture::SESSION_LIFETIME_SECS};
    let emu = Emu::start().await;
    let id = session(&emu, "trueid", TRUEID_KEY, "passport").await;
    let get = || {
        emu.http
            .get(format!("{}/trueid/v1/sessions/{id}", emu.urls().provider))
            .header("X-Api-Key", TRUEID_KEY)
            .send()
    };
    // Past its expiry the session still answers, as expired, during the grace period…
    emu.control("/clock/advance", json!({ "seconds": SESSION_LIFETIME_SECS + 1 })).await;
    let r = get().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(json(r).await["status"], "expired");
    let r = emu
        .http
        .post(format!("{}/trueid/v1/sessions/{id}/submit", emu.urls().provider))
        .header("X-Api-Key", TRUEID_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 410);
    // …and after it the session is gone from memory: 404 unknown_session.
    emu.control("/clock/advance", json!({ "seconds": EXPIRED_GRACE_SECS })).await;
    let r = get().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(json(r).await["reason"], "unknown_session");
}

#[tokio::test]
async fn capture_session_verifies_and_offers_issuance() {
    let emu = Emu::start().await;
    let id = session(&emu, "trueid", TRUEID_KEY, "id_card").await;
    for (side, suffix) in [("front", ""), ("back", "-back"), ("selfie", "-selfie")] {
        let bytes = card_of(&emu, "maria", suffix).await;
        let r = put_image(&emu, "trueid", TRUEID_KEY, &id, side, bytes).await;
        assert_eq!(r.status(), 204, "{side}: {}", r.text().await.unwrap());
    }
    let r = emu
        .http
        .post(format!("{}/trueid/v1/sessions/{id}/submit", emu.urls().provider))
        .header("X-Api-Key", TRUEID_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body = json(r).await;
    assert_eq!(body["status"], "verified", "{body}");
    let url = body["issuance"]["url"].as_str().unwrap();
    assert!(url.starts_with("openid-vc://"), "{url}");
    assert!(!body["issuance"]["requestId"].as_str().unwrap().is_empty());

    let r = emu
        .http
        .get(format!("{}/trueid/v1/sessions/{id}", emu.urls().provider))
        .header("X-Api-Key", TRUEID_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(json(r).await["status"], "verified");
}

#[tokio::test]
async fn capture_session_needs_front_back_and_selfie_for_an_id_card() {
    let emu = Emu::start().await;
    let id = session(&emu, "trueid", TRUEID_KEY, "id_card").await;
    let r =
        put_image(&emu, "trueid", TRUEID_KEY, &id, "front", card_of(&emu, "maria", "").await).await;
    assert_eq!(r.status(), 204);
    let r = emu
        .http
        .post(format!("{}/trueid/v1/sessions/{id}/submit", emu.urls().provider))
        .header("X-Api-Key", TRUEID_KEY)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());
}

#[tokio::test]
async fn capture_rejects_bad_documents_with_distinct_reasons() {
    let emu = Emu::start().await;
    let reason = |r: Value| r["reason"].as_str().unwrap_or_default().to_owned();

    // Out of focus: the QR cannot be read.
    let ana = emu.running.state.fixture().persona("ana").unwrap().clone();
    let blurred = png(&image::imageops::blur(&card::card_front(&ana), 6.0));
    let id = session(&emu, "trueid", TRUEID_KEY, "passport").await;
    let r = put_image(&emu, "trueid", TRUEID_KEY, &id, "front", blurred).await;
    assert_eq!(r.status(), 422);
    let why = reason(json(r).await);
    assert!(why == "no_code_found" || why == "code_unreadable", "{why}");

    // A photo with no code at all.
    let face = card_of(&emu, "ana", "-selfie").await;
    let r = put_image(&emu, "trueid", TRUEID_KEY, &id, "front", face).await;
    assert_eq!(r.status(), 422);
    assert_eq!(reason(json(r).await), "no_code_found");

    // Not an image.
    let r = put_image(&emu, "trueid", TRUEID_KEY, &id, "front", b"hello".to_vec()).await;
    assert_eq!(r.status(), 422);
    assert_eq!(reason(json(r).await), "image_invalid");

    // A forged card.
    let forged = card_of(&emu, "forger", "").await;
    let r = put_image(&emu, "trueid", TRUEID_KEY, &id, "front", forged).await;
    assert_eq!(r.status(), 422);
    assert_eq!(reason(json(r).await), "document_forged");

    // A driving licence at a provider that takes only passports and ID cards.
    let id = session(&emu, "vouchsafe", VOUCHSAFE_KEY, "passport").await;
    let licence = card_of(&emu, "siobhan", "").await;
    let r = put_image(&emu, "vouchsafe", VOUCHSAFE_KEY, &id, "front", licence).await;
    assert_eq!(r.status(), 422);
    assert_eq!(reason(json(r).await), "document_type_not_accepted");

    // Too large.
    let r = put_image(&emu, "trueid", TRUEID_KEY, &id, "front", vec![0u8; 9 * 1024 * 1024]).await;
    assert!(r.status() == 413 || r.status() == 404, "{}", r.status());
}

/// Mints a hosted-flow link through the control API.
async fn link(emu: &Emu, provider: &str, body: Value) -> (String, String) {
    let r = emu.control(&format!("/providers/{provider}/links"), body).await;
    assert_eq!(r.status(), 200);
    let body = json(r).await;
    (body["url"].as_str().unwrap().to_owned(), body["token"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn expired_hosted_flow_is_forgotten_after_the_grace_period() {
    use reclaim_emulator::provider::{EXPIRED_GRACE_SECS, hosted::FLOW_LIFETIME_SECS};
    let emu = Emu::start().await;
    let body = json!({ "requestId": "req-1", "returnUrl": "http://127.0.0.1:9/back",
                       "ttlSeconds": FLOW_LIFETIME_SECS });
    let (url, _) = link(&emu, "trueid", body).await;
    let get = |url: String| {
        let http = emu.http.clone();
        async move { http.get(url).header("accept", "application/json").send().await.unwrap() }
    };
    // A flow lives no longer than its link: a 60 s link's flow is over after 60 s.
    let short = json!({ "requestId": "req-0", "returnUrl": "http://127.0.0.1:9/back",
                        "ttlSeconds": 60 });
    let (short, _) = link(&emu, "trueid", short).await;
    let short = json(get(short).await).await["url"].as_str().unwrap().to_owned();
    let r = get(url).await;
    assert_eq!(r.status(), 201);
    let flow = json(r).await["url"].as_str().unwrap().to_owned();
    assert_eq!(get(flow.clone()).await.status(), 200);
    assert_eq!(get(short.clone()).await.status(), 200);
    emu.control("/clock/advance", json!({ "seconds": 61 })).await;
    let r = get(short).await;
    assert_eq!(r.status(), 410);
    assert_eq!(json(r).await["reason"], "flow_expired");
    assert_eq!(get(flow.clone()).await.status(), 200);
    emu.control("/clock/advance", json!({ "seconds": FLOW_LIFETIME_SECS + 1 - 61 })).await;
    let r = get(flow.clone()).await;
    assert_eq!(r.status(), 410);
    assert_eq!(json(r).await["reason"], "flow_expired");
    emu.control("/clock/advance", json!({ "seconds": EXPIRED_GRACE_SECS })).await;
    let r = get(flow).await;
    assert_eq!(r.status(), 404);
    assert_eq!(json(r).await["reason"], "unknown_flow");
}

#[tokio::test]
async fn link_tokens_are_signed_one_time_and_expire() {
    let emu = Emu::start().await;
    let open = |url: String| {
        let http = emu.http.clone();
        async move { http.get(url).header("accept", "application/json").send().await.unwrap() }
    };
    let body = json!({ "requestId": "req-1", "returnUrl": "http://127.0.0.1:9/back" });

    // First use works (a redirect into the flow), the second is refused.
    let (url, _) = link(&emu, "trueid", body.clone()).await;
    let r = open(url.clone()).await;
    assert!(r.status().is_success() || r.status().is_redirection(), "{}", r.status());
    let r = open(url).await;
    assert_eq!(r.status(), 410);
    assert_eq!(json(r).await["reason"], "link_used");

    // Signed with another provider's key.
    let (_, token) = link(&emu, "vouchsafe", body.clone()).await;
    let r = open(format!("{}/trueid/start?token={token}", emu.urls().provider)).await;
    assert_eq!(r.status(), 400);
    assert_eq!(json(r).await["reason"], "link_invalid");

    // Minted for trueid (its audience), signed with the key vouchsafe holds too: vouchsafe
    // refuses it — a link for provider A is no good at provider B even with a shared key.
    let mut for_a = body.clone();
    for_a["audience"] = json!(format!("{}/trueid", emu.urls().provider));
    let (_, token) = link(&emu, "vouchsafe", for_a).await;
    let r = open(format!("{}/vouchsafe/start?token={token}", emu.urls().provider)).await;
    assert_eq!(r.status(), 400);
    assert_eq!(json(r).await["reason"], "link_wrong_audience");

    // A link that would live an hour is refused: a flow needs minutes.
    let mut long = body.clone();
    long["ttlSeconds"] = json!(3600);
    let (url, _) = link(&emu, "trueid", long).await;
    let r = open(url).await;
    assert_eq!(r.status(), 400);
    assert_eq!(json(r).await["reason"], "link_lifetime_too_long");

    // Tampered payload.
    let (_, token) = link(&emu, "trueid", body.clone()).await;
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut claims: Value = serde_json::from_slice(&b64.decode(&parts[1]).unwrap()).unwrap();
    claims["returnUrl"] = json!("http://attacker.example/");
    parts[1] = b64.encode(serde_json::to_vec(&claims).unwrap());
    let r = open(format!("{}/trueid/start?token={}", emu.urls().provider, parts.join("."))).await;
    assert_eq!(r.status(), 400);

    // Expired.
    let mut short = body.clone();
    short["ttlSeconds"] = json!(60);
    let (url, _) = link(&emu, "trueid", short).await;
    emu.control("/clock/advance", json!({ "seconds": 120 })).await;
    let r = open(url).await;
    assert_eq!(r.status(), 410);
    assert_eq!(json(r).await["reason"], "link_expired");

    // A browser gets a readable page rather than JSON.
    let r = emu
        .http
        .get(format!("{}/trueid/start?token=junk", emu.urls().provider))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let page = r.text().await.unwrap();
    assert!(page.contains("viewport"));
}

/// A tiny HTTP receiver standing in for the kiosk's return URL; records every query string.
async fn receiver() -> (String, Arc<Mutex<Vec<String>>>) {
    let hits = Arc::new(Mutex::new(Vec::new()));
    let h = hits.clone();
    let app = Router::new().route(
        "/back",
        get(move |RawQuery(q): RawQuery| {
            let h = h.clone();
            async move {
                h.lock().unwrap().push(q.unwrap_or_default());
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/back?kiosk=k1"), hits)
}

#[tokio::test]
async fn hosted_flow_puts_the_credential_on_the_phone_and_returns_to_the_kiosk() {
    let emu = Emu::start().await;
    let (return_url, hits) = receiver().await;
    let (url, _) = link(
        &emu,
        "trueid",
        json!({ "requestId": "req-ana", "returnUrl": return_url, "phoneId": "ana-phone",
                "state": "st-ana" }),
    )
    .await;
    let r = emu
        .control(
            "/providers/trueid/hosted/complete",
            json!({ "link": url, "persona": "ana", "phoneId": "ana-phone" }),
        )
        .await;
    assert_eq!(r.status(), 200);
    let body = json(r).await;
    assert_eq!(body["status"], "issued", "{body}");
    assert_eq!(body["returnStatus"], 200);
    let credential_id = body["credentialId"].as_str().unwrap();

    let held = emu.running.state.phones().credentials("ana-phone");
    let c = held.iter().find(|c| c.id == credential_id).expect("credential on the phone");
    assert_eq!(c.issuer, "did:web:idv.trueid.example");
    assert!(c.types.iter().any(|t| t == "verifiedIdentity"), "{:?}", c.types);
    assert!(!c.revoked);
    assert_eq!(c.claims["firstName"], "Ana");
    assert_eq!(c.claims["lastName"], "Lima");
    assert_eq!(c.claims["dateOfBirth"], "1988-03-14");
    assert_eq!(c.claims["documentNumber"], "P1234567");
    let portrait = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(c.claims["portrait"].as_str().unwrap())
        .unwrap();
    assert!(portrait.len() <= 1024 * 1024);
    assert_eq!(image::guess_format(&portrait).unwrap(), image::ImageFormat::Jpeg);
    let img = image::load_from_memory(&portrait).unwrap();
    assert!(img.width() >= 200 && img.height() >= 200);

    let hits = hits.lock().unwrap().clone();
    assert_eq!(hits.len(), 1, "{hits:?}");
    let q: Vec<(String, String)> =
        url::form_urlencoded::parse(hits[0].as_bytes()).into_owned().collect();
    assert!(q.contains(&("kiosk".into(), "k1".into())), "{q:?}");
    assert!(q.contains(&("requestId".into(), "req-ana".into())), "{q:?}");
    assert!(q.contains(&("status".into(), "issued".into())), "{q:?}");
    assert!(body["returnUrl"].as_str().unwrap().contains("status=issued"), "{body}");
    // The proof: HMAC-SHA256 under the link key of the audience, request, state, status,
    // reason and the proof's expiry (Reclaim's provider contract).
    use reclaim_emulator::provider::link::{RETURN_PROOF_SECS, ReturnFacts, return_proof};
    let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap();
    let exp: i64 = get("exp").parse().unwrap();
    let now = emu.running.state.clock().now_unix();
    assert!(exp > now && exp <= now + RETURN_PROOF_SECS, "{exp} vs {now}");
    let key = emu.running.state.fixture().provider("trueid").unwrap().link_signing_key.clone();
    let aud = format!("{}/trueid", emu.urls().provider);
    let facts = |request_id, state, status| ReturnFacts {
        aud: &aud,
        request_id,
        state,
        status,
        reason: "",
        exp,
    };
    assert_eq!(get("proof"), return_proof(&key, &facts("req-ana", "st-ana", "issued")));
    assert_ne!(get("proof"), return_proof(&key, &facts("req-ana", "st-ana", "failed")));
    assert_ne!(get("proof"), return_proof(&key, &facts("req-other", "st-ana", "issued")));
    assert_ne!(get("proof"), return_proof(&key, &facts("req-ana", "st-other", "issued")));
}

#[tokio::test]
async fn hosted_flow_revokes_the_revoked_personas_credential() {
    let emu = Emu::start().await;
    let (return_url, _hits) = receiver().await;
    let (url, _) =
        link(&emu, "trueid", json!({ "requestId": "req-liam", "returnUrl": return_url })).await;
    let r = emu
        .control("/providers/trueid/hosted/complete", json!({ "link": url, "persona": "liam" }))
        .await;
    let body = json(r).await;
    assert_eq!(body["status"], "issued", "{body}");
    let held = emu.running.state.phones().credentials("demo-phone");
    let c = held.iter().find(|c| c.id == body["credentialId"].as_str().unwrap()).unwrap();
    assert_eq!(c.claims["lastName"], "Carter");
    assert!(c.revoked, "liam's credential is revoked");
}

#[tokio::test]
async fn hosted_flow_refuses_a_forged_document_and_reports_it_on_return() {
    let emu = Emu::start().await;
    let (return_url, hits) = receiver().await;
    let (url, _) = link(
        &emu,
        "trueid",
        json!({ "requestId": "req-f", "returnUrl": return_url, "phoneId": "forger-phone" }),
    )
    .await;
    let r = emu
        .control("/providers/trueid/hosted/complete", json!({ "link": url, "persona": "forger" }))
        .await;
    let body = json(r).await;
    assert_eq!(body["status"], "failed", "{body}");
    assert!(body.get("credentialId").is_none_or(Value::is_null));
    assert!(emu.running.state.phones().credentials("forger-phone").is_empty());
    let hits = hits.lock().unwrap().clone();
    assert_eq!(hits.len(), 1);
    assert!(hits[0].contains("status=failed"), "{hits:?}");
    assert!(hits[0].contains("reason=document_forged"), "{hits:?}");
    assert!(hits[0].contains("&proof="), "a failed return carries its proof too: {hits:?}");
}

/// Follows the phone's pages as a browser would: link → document type → test card → selfie →
/// "Add to Authenticator" → the phone takes the credential → the page sends the phone home.
#[tokio::test]
async fn hosted_pages_walk_from_link_to_return_url() {
    let emu = Emu::start().await;
    let (return_url, hits) = receiver().await;
    let (link_url, _) = link(
        &emu,
        "vouchsafe",
        json!({ "requestId": "req-pages", "returnUrl": return_url, "phoneId": "maria-phone" }),
    )
    .await;
    let r = emu.http.get(&link_url).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let flow = r.headers()["location"].to_str().unwrap().to_owned();
    let page = |http: reqwest::Client, url: String| async move {
        let r = http.get(url).send().await.unwrap();
        assert_eq!(r.status(), 200);
        r.text().await.unwrap()
    };
    let html = page(emu.http.clone(), flow.clone()).await;
    assert!(html.contains("name=\"viewport\""), "mobile page");
    assert!(!html.contains("src=\"http"), "no external assets");
    // Vouchsafe takes passports and ID cards only.
    assert!(html.contains("value=\"id_card\"") && !html.contains("value=\"driving_licence\""));

    let form = |path: &'static str, body: &'static [(&'static str, &'static str)]| {
        let http = emu.http.clone();
        let url = format!("{flow}/{path}");
        async move {
            let r = http.post(url).form(body).send().await.unwrap();
            assert!(
                r.status().is_redirection() || r.status().is_success(),
                "{path}: {}",
                r.status()
            );
        }
    };
    form("document", &[("documentType", "id_card")]).await;
    form("scan", &[("persona", "maria")]).await;
    form("selfie", &[("persona", "maria")]).await;
    let mut html = page(emu.http.clone(), flow.clone()).await;
    if html.contains("/verify\"") {
        form("verify", &[]).await;
        html = page(emu.http.clone(), flow.clone()).await;
    }
    let start = html.find("id=\"add\" href=\"").expect("Add to Authenticator button") + 15;
    let href = html[start..].split('"').next().unwrap().replace("&amp;", "&");
    let phone_page = url::Url::parse(&href).unwrap();
    assert!(href.starts_with(&format!("{}/p/maria-phone", emu.urls().phone)), "{href}");
    let offer = phone_page.query_pairs().find(|(k, _)| k == "open").unwrap().1.into_owned();
    assert!(offer.starts_with("openid-vc://"), "{offer}");

    // The phone accepts the offer; the provider hears `issuance_successful` and sends the phone home.
    let outcome =
        reclaim_emulator::phone::open_url(&emu.running.state, "maria-phone", &offer).await.unwrap();
    assert!(matches!(outcome, reclaim_emulator::phone::OpenOutcome::Issued { .. }), "{outcome:?}");
    let held = emu.running.state.phones().credentials("maria-phone");
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].issuer, "did:web:idv.vouchsafe.example");
    assert_eq!(held[0].claims["firstName"], "Maria Clara");
    let mut location = None;
    for _ in 0..100 {
        let r = emu.http.get(&flow).send().await.unwrap();
        if r.status() == 303 {
            location = Some(r.headers()["location"].to_str().unwrap().to_owned());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let location = location.expect("the flow page redirects home once issued");
    assert!(location.starts_with(return_url.as_str()), "{location}");
    assert!(location.contains("requestId=req-pages") && location.contains("status=issued"));
    emu.http.get(&location).send().await.unwrap();
    assert_eq!(hits.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn capture_rejects_unknown_and_expired_documents() {
    let emu = Emu::start().await;
    let reason = |r: Value| r["reason"].as_str().unwrap_or_default().to_owned();
    let id = session(&emu, "trueid", TRUEID_KEY, "passport").await;

    // A correctly signed code for someone the issuing authority has no record of.
    let stranger = reclaim_emulator::fixture::DocumentFixture {
        document_type: "passport".into(),
        given_names: "Nobody".into(),
        family_name: "Known".into(),
        date_of_birth: "1990-01-01".into(),
        document_number: "X0000001".into(),
        nationality: "GBR".into(),
        expiry_date: "2035-01-01".into(),
    };
    let code = card::DocumentCode::signed("nobody", &stranger).to_json();
    let qr = card::qr_image(&code, 6).unwrap();
    let mut bytes = Vec::new();
    qr.write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png).unwrap();
    let r = put_image(&emu, "trueid", TRUEID_KEY, &id, "front", bytes).await;
    assert_eq!(r.status(), 422);
    assert_eq!(reason(json(r).await), "document_unknown");

    // Ana's passport expires on 2031-05-01: move the emulated clock past it.
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let after_expiry = time::macros::datetime!(2031-05-03 00:00 UTC).unix_timestamp();
    emu.control("/clock/advance", json!({ "seconds": after_expiry - now })).await;
    let id = session(&emu, "trueid", TRUEID_KEY, "passport").await;
    let r =
        put_image(&emu, "trueid", TRUEID_KEY, &id, "front", card_of(&emu, "ana", "").await).await;
    assert_eq!(r.status(), 422);
    assert_eq!(reason(json(r).await), "document_expired");
}
