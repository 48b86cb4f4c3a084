//! Shared test harness: a real relay on 127.0.0.1:0, two stations, helpers for callbacks and streams.
#![allow(dead_code, clippy::unwrap_used)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::StreamExt;
use reclaim_relay::{
    EventStream, RegisterRequest, RegisteredRequest, RelayClient, RelayConfig, RelayEvent,
    RequestKind, RunningRelay, StationConfig,
};
use serde_json::{Value, json};

pub const CRED_A: &str = "station-a-credential-0123456789";
pub const CRED_B: &str = "station-b-credential-9876543210";

pub struct Harness {
    pub relay: RunningRelay,
    pub http: reqwest::Client,
    pub a: RelayClient,
    pub b: RelayClient,
}

pub fn base_config() -> RelayConfig {
    RelayConfig {
        stations: vec![
            StationConfig { id: "kiosk-a".into(), credential: CRED_A.into() },
            StationConfig { id: "kiosk-b".into(), credential: CRED_B.into() },
        ],
        ..RelayConfig::default()
    }
}

pub async fn start_with(config: RelayConfig) -> Harness {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let relay = reclaim_relay::serve(config, listener).await.unwrap();
    let base = relay.base_url().to_owned();
    Harness {
        relay,
        http: reqwest::Client::new(),
        a: RelayClient::new(&base, CRED_A).unwrap(),
        b: RelayClient::new(&base, CRED_B).unwrap(),
    }
}

pub async fn start() -> Harness {
    start_with(base_config()).await
}

pub fn now_s() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

pub fn fresh() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub struct Reg {
    pub state: String,
    pub key: String,
    pub urls: RegisteredRequest,
}

pub async fn register_ttl(client: &RelayClient, kind: RequestKind, ttl: u64) -> Reg {
    let state = fresh();
    let key = format!("key-{}", fresh());
    let urls = client
        .register(&RegisterRequest {
            state: state.clone(),
            api_key: Some(key.clone()),
            expires_at: now_s() + ttl,
            kind,
        })
        .await
        .unwrap();
    Reg { state, key, urls }
}

pub async fn register(client: &RelayClient, kind: RequestKind) -> Reg {
    register_ttl(client, kind, 300).await
}

pub fn cb(state: &str, status: &str) -> Value {
    json!({ "requestId": "req-1", "requestStatus": status, "state": state })
}

pub fn verified(state: &str) -> Value {
    json!({
        "requestId": "req-1", "requestStatus": "presentation_verified", "state": state,
        "subject": "did:web:holder.example#k1",
        "verifiedCredentialsData": [{ "issuer": "did:web:idv.example", "claims": { "firstName": "Ana" } }]
    })
}

pub async fn post_raw(h: &Harness, url: &str, key: Option<&str>, ct: &str, body: Vec<u8>) -> u16 {
    let mut req = h.http.post(url).header("content-type", ct).body(body);
    if let Some(k) = key {
        req = req.header("api-key", k);
    }
    req.send().await.unwrap().status().as_u16()
}

pub async fn post_cb(h: &Harness, reg: &Reg, key: &str, body: &Value) -> u16 {
    post_raw(
        h,
        &reg.urls.callback_url,
        Some(key),
        "application/json",
        serde_json::to_vec(body).unwrap(),
    )
    .await
}

/// Next event within `wait`, or None.
pub async fn next_event(stream: &mut EventStream, wait: Duration) -> Option<RelayEvent> {
    match tokio::time::timeout(wait, stream.next()).await {
        Ok(Some(Ok(ev))) => Some(ev),
        Ok(Some(Err(e))) => panic!("stream error: {e}"),
        Ok(None) | Err(_) => None,
    }
}

pub async fn expect_event(stream: &mut EventStream) -> RelayEvent {
    next_event(stream, Duration::from_secs(5)).await.expect("expected an event")
}

pub async fn expect_quiet(stream: &mut EventStream, wait_ms: u64) {
    if let Some(ev) = next_event(stream, Duration::from_millis(wait_ms)).await {
        panic!("unexpected event: {ev:?}");
    }
}

/// Opens a station stream and waits until the relay has accepted the connection.
pub async fn open_stream(client: &RelayClient, last: Option<u64>) -> EventStream {
    let s = client.events(last);
    // The stream connects lazily on first poll; give it a moment by polling with a short timeout.
    let mut s = s;
    let first = next_event(&mut s, Duration::from_millis(150)).await;
    assert!(first.is_none(), "stream opened with unexpected event: {first:?}");
    s
}
