//! Callback intake rules: api-key, state, order, duplicates, expiry, size, media type, abandon.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::*;
use reclaim_relay::{RegisterRequest, RelayConfig, RelayError, RequestKind};
use serde_json::json;

#[tokio::test]
async fn callback_with_right_key_reaches_only_owning_station() {
    let h = start().await;
    let mut sa = open_stream(&h.a, None).await;
    let mut sb = open_stream(&h.b, None).await;
    let reg = register(&h.a, RequestKind::Presentation).await;
    assert!(reg.urls.callback_url.ends_with("/v1/callbacks/vc"));
    assert!(reg.urls.return_url.is_none());

    assert_eq!(post_cb(&h, &reg, &reg.key, &cb(&reg.state, "request_retrieved")).await, 200);
    let body = verified(&reg.state);
    assert_eq!(post_cb(&h, &reg, &reg.key, &body).await, 200);

    let e1 = expect_event(&mut sa).await;
    assert_eq!(e1.event, "callback");
    assert_eq!(e1.state(), Some(reg.state.as_str()));
    assert_eq!(e1.request_status(), Some("request_retrieved"));
    let e2 = expect_event(&mut sa).await;
    assert_eq!(e2.request_status(), Some("presentation_verified"));
    assert_eq!(e2.body(), Some(&body), "the original callback JSON is forwarded");
    assert_eq!(e2.data["kind"], "presentation");
    assert!(e2.id > e1.id);
    expect_quiet(&mut sb, 300).await;
}

#[tokio::test]
async fn wrong_key_is_401_and_nothing_forwarded() {
    let h = start().await;
    let mut sa = open_stream(&h.a, None).await;
    let reg = register(&h.a, RequestKind::Presentation).await;
    let other = register(&h.a, RequestKind::Presentation).await;
    // a key that is unknown altogether, and a key valid for another registration
    assert_eq!(
        post_cb(&h, &reg, "not-the-key-at-all-xxxx", &cb(&reg.state, "request_retrieved")).await,
        401
    );
    assert_eq!(post_cb(&h, &reg, &other.key, &cb(&reg.state, "request_retrieved")).await, 401);
    // no header at all
    let status = post_raw(
        &h,
        &reg.urls.callback_url,
        None,
        "application/json",
        serde_json::to_vec(&cb(&reg.state, "request_retrieved")).unwrap(),
    )
    .await;
    assert_eq!(status, 401);
    expect_quiet(&mut sa, 300).await;
    // the right key still works afterwards
    assert_eq!(post_cb(&h, &reg, &reg.key, &cb(&reg.state, "request_retrieved")).await, 200);
    assert_eq!(expect_event(&mut sa).await.state(), Some(reg.state.as_str()));
}

#[tokio::test]
async fn unknown_state_is_401_like_a_wrong_key() {
    let h = start().await;
    let reg = register(&h.a, RequestKind::Presentation).await;
    // right key, state that does not exist
    assert_eq!(post_cb(&h, &reg, &reg.key, &cb(&fresh(), "request_retrieved")).await, 401);
    // state that could never be registered
    assert_eq!(post_cb(&h, &reg, &reg.key, &cb("../../etc", "request_retrieved")).await, 401);
}

#[tokio::test]
async fn exact_replay_of_terminal_is_200_and_not_forwarded_twice() {
    let h = start().await;
    let mut sa = open_stream(&h.a, None).await;
    let reg = register(&h.a, RequestKind::Presentation).await;
    let retrieved = cb(&reg.state, "request_retrieved");
    let body = verified(&reg.state);
    assert_eq!(post_cb(&h, &reg, &reg.key, &retrieved).await, 200);
    assert_eq!(post_cb(&h, &reg, &reg.key, &body).await, 200);
    // service retries: same events again (whitespace differences do not matter)
    assert_eq!(post_cb(&h, &reg, &reg.key, &body).await, 200);
    let pretty = serde_json::to_vec_pretty(&body).unwrap();
    assert_eq!(
        post_raw(&h, &reg.urls.callback_url, Some(&reg.key), "application/json", pretty).await,
        200
    );
    assert_eq!(post_cb(&h, &reg, &reg.key, &retrieved).await, 200);

    assert_eq!(expect_event(&mut sa).await.request_status(), Some("request_retrieved"));
    assert_eq!(expect_event(&mut sa).await.request_status(), Some("presentation_verified"));
    expect_quiet(&mut sa, 400).await;
}

#[tokio::test]
async fn second_different_terminal_is_409() {
    let h = start().await;
    let mut sa = open_stream(&h.a, None).await;
    let reg = register(&h.a, RequestKind::Presentation).await;
    assert_eq!(post_cb(&h, &reg, &reg.key, &cb(&reg.state, "request_retrieved")).await, 200);
    assert_eq!(post_cb(&h, &reg, &reg.key, &verified(&reg.state)).await, 200);
    let error = json!({ "requestId": "req-1", "requestStatus": "presentation_error", "state": reg.state,
        "error": { "code": "claimValidationError", "message": "x" } });
    assert_eq!(post_cb(&h, &reg, &reg.key, &error).await, 409);
    // a different second request_retrieved is out of order as well
    let mut r2 = cb(&reg.state, "request_retrieved");
    r2["extra"] = json!(1);
    assert_eq!(post_cb(&h, &reg, &reg.key, &r2).await, 409);
    expect_event(&mut sa).await;
    expect_event(&mut sa).await;
    expect_quiet(&mut sa, 300).await;
}

/// Rule: a terminal event without a prior `request_retrieved` is accepted (a lost or reordered
/// retrieved callback must not cost the person their result); a `request_retrieved` arriving
/// after the terminal event is refused with 409.
#[tokio::test]
async fn terminal_without_retrieved_is_accepted_and_late_retrieved_is_409() {
    let h = start().await;
    let mut sa = open_stream(&h.a, None).await;
    let reg = register(&h.a, RequestKind::Presentation).await;
    assert_eq!(post_cb(&h, &reg, &reg.key, &verified(&reg.state)).await, 200);
    assert_eq!(post_cb(&h, &reg, &reg.key, &cb(&reg.state, "request_retrieved")).await, 409);
    assert_eq!(expect_event(&mut sa).await.request_status(), Some("presentation_verified"));
    expect_quiet(&mut sa, 300).await;
}

#[tokio::test]
async fn different_request_id_is_409() {
    let h = start().await;
    let reg = register(&h.a, RequestKind::Presentation).await;
    assert_eq!(post_cb(&h, &reg, &reg.key, &cb(&reg.state, "request_retrieved")).await, 200);
    let mut body = verified(&reg.state);
    body["requestId"] = json!("another-request");
    assert_eq!(post_cb(&h, &reg, &reg.key, &body).await, 409);
}

#[tokio::test]
async fn issuance_statuses_and_wrong_family_is_400() {
    let h = start().await;
    let mut sa = open_stream(&h.a, None).await;
    let reg = register(&h.a, RequestKind::Issuance).await;
    assert_eq!(post_cb(&h, &reg, &reg.key, &verified(&reg.state)).await, 400);
    assert_eq!(post_cb(&h, &reg, &reg.key, &cb(&reg.state, "selfie_taken")).await, 400);
    assert_eq!(post_cb(&h, &reg, &reg.key, &cb(&reg.state, "request_retrieved")).await, 200);
    assert_eq!(post_cb(&h, &reg, &reg.key, &cb(&reg.state, "issuance_successful")).await, 200);
    assert_eq!(post_cb(&h, &reg, &reg.key, &cb(&reg.state, "issuance_error")).await, 409);
    assert_eq!(expect_event(&mut sa).await.request_status(), Some("request_retrieved"));
    let done = expect_event(&mut sa).await;
    assert_eq!(done.request_status(), Some("issuance_successful"));
    assert_eq!(done.data["kind"], "issuance");
    expect_quiet(&mut sa, 300).await;
}

#[tokio::test]
async fn legacy_code_field_is_accepted() {
    let h = start().await;
    let mut sa = open_stream(&h.a, None).await;
    let reg = register(&h.a, RequestKind::Presentation).await;
    let body = json!({ "requestId": "r", "code": "request_retrieved", "state": reg.state });
    assert_eq!(post_cb(&h, &reg, &reg.key, &body).await, 200);
    let ev = expect_event(&mut sa).await;
    assert_eq!(ev.request_status(), Some("request_retrieved"));
    assert_eq!(ev.body(), Some(&body));
}

#[tokio::test]
async fn expired_is_410_and_registration_gone() {
    // Sweeper far away so the lazy check is what sees the expiry.
    let h = start_with(RelayConfig { sweep_interval: Duration::from_secs(3600), ..base_config() })
        .await;
    let mut sa = open_stream(&h.a, None).await;
    let reg = register_ttl(&h.a, RequestKind::Presentation, 1).await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(post_cb(&h, &reg, &reg.key, &cb(&reg.state, "request_retrieved")).await, 410);
    let ev = expect_event(&mut sa).await;
    assert_eq!(ev.event, "expired");
    assert_eq!(ev.state(), Some(reg.state.as_str()));
    // gone: the same callback is now an unknown state, and the owner cannot delete it
    assert_eq!(post_cb(&h, &reg, &reg.key, &cb(&reg.state, "request_retrieved")).await, 401);
    assert!(matches!(h.a.abandon(&reg.state).await, Err(RelayError::Status { status: 404, .. })));
    assert_eq!(h.relay.state().pending_registrations(), 0);
    expect_quiet(&mut sa, 200).await;
}

#[tokio::test]
async fn sweeper_announces_expiry_and_drops_everything() {
    let h = start_with(RelayConfig { sweep_interval: Duration::from_millis(100), ..base_config() })
        .await;
    let mut sa = open_stream(&h.a, None).await;
    // Three seconds: the first callback must land before the expiry even on a loaded machine
    // (with one second, a busy CI runner expired `done` before its callback was posted).
    let done = register_ttl(&h.a, RequestKind::Presentation, 3).await;
    let open = register_ttl(&h.a, RequestKind::Presentation, 3).await;
    assert_eq!(post_cb(&h, &done, &done.key, &verified(&done.state)).await, 200);
    assert_eq!(expect_event(&mut sa).await.state(), Some(done.state.as_str()));
    // only the request without a terminal event is announced
    let ev = expect_event(&mut sa).await;
    assert_eq!(ev.event, "expired");
    assert_eq!(ev.state(), Some(open.state.as_str()));
    assert_eq!(h.relay.state().pending_registrations(), 0);
    // nothing about the expired requests is replayed to a new stream
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut fresh_stream = h.a.events(None);
    let ev = expect_event(&mut fresh_stream).await;
    assert_eq!(ev.event, "expired", "only the body-less expiry notice remains: {ev:?}");
    expect_quiet(&mut fresh_stream, 300).await;
    assert_eq!(post_cb(&h, &done, &done.key, &verified(&done.state)).await, 401);
}

#[tokio::test]
async fn oversized_body_is_413() {
    let h = start_with(RelayConfig { body_limit_bytes: 1024, ..base_config() }).await;
    let mut sa = open_stream(&h.a, None).await;
    let reg = register(&h.a, RequestKind::Presentation).await;
    let mut body = verified(&reg.state);
    body["padding"] = json!("x".repeat(2000));
    assert_eq!(post_cb(&h, &reg, &reg.key, &body).await, 413);
    // same without Content-Length (chunked)
    let bytes = serde_json::to_vec(&body).unwrap();
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        bytes.chunks(100).map(|c| Ok(c.to_vec())).collect();
    let status = h
        .http
        .post(&reg.urls.callback_url)
        .header("content-type", "application/json")
        .header("api-key", &reg.key)
        .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 413);
    expect_quiet(&mut sa, 300).await;
    // a body under the limit is still accepted
    assert_eq!(post_cb(&h, &reg, &reg.key, &verified(&reg.state)).await, 200);
}

#[tokio::test]
async fn malformed_json_and_missing_fields_are_400() {
    let h = start().await;
    let mut sa = open_stream(&h.a, None).await;
    let reg = register(&h.a, RequestKind::Presentation).await;
    let url = reg.urls.callback_url.clone();
    let ct = "application/json";
    assert_eq!(post_raw(&h, &url, Some(&reg.key), ct, b"{\"state\":".to_vec()).await, 400);
    assert_eq!(post_raw(&h, &url, Some(&reg.key), ct, b"[1,2]".to_vec()).await, 400);
    let no_status = serde_json::to_vec(&json!({ "state": reg.state })).unwrap();
    assert_eq!(post_raw(&h, &url, Some(&reg.key), ct, no_status).await, 400);
    let no_state = serde_json::to_vec(&json!({ "requestStatus": "request_retrieved" })).unwrap();
    assert_eq!(post_raw(&h, &url, Some(&reg.key), ct, no_state).await, 400);
    expect_quiet(&mut sa, 300).await;
}

#[tokio::test]
async fn wrong_content_type_is_415() {
    let h = start().await;
    let reg = register(&h.a, RequestKind::Presentation).await;
    let body = serde_json::to_vec(&cb(&reg.state, "request_retrieved")).unwrap();
    let url = reg.urls.callback_url.clone();
    assert_eq!(post_raw(&h, &url, Some(&reg.key), "text/plain", body.clone()).await, 415);
    assert_eq!(
        post_raw(&h, &url, Some(&reg.key), "application/json; charset=utf-8", body).await,
        200
    );
}

#[tokio::test]
async fn abandon_deletes_the_registration_and_its_events() {
    let h = start().await;
    let reg = register(&h.a, RequestKind::Presentation).await;
    assert_eq!(post_cb(&h, &reg, &reg.key, &cb(&reg.state, "request_retrieved")).await, 200);
    // another station cannot abandon it (and learns nothing: 404)
    assert!(matches!(h.b.abandon(&reg.state).await, Err(RelayError::Status { status: 404, .. })));
    h.a.abandon(&reg.state).await.unwrap();
    assert_eq!(post_cb(&h, &reg, &reg.key, &verified(&reg.state)).await, 401);
    assert!(matches!(h.a.abandon(&reg.state).await, Err(RelayError::Status { status: 404, .. })));
    // its buffered events are wiped too
    let mut sa = h.a.events(None);
    expect_quiet(&mut sa, 400).await;
    assert_eq!(h.relay.state().pending_registrations(), 0);
}

#[tokio::test]
async fn registration_is_validated() {
    let h = start().await;
    let ok = |state: &str| RegisterRequest {
        state: state.into(),
        api_key: Some("0123456789abcdef-key".into()),
        expires_at: now_s() + 60,
        kind: RequestKind::Presentation,
    };
    let st = fresh();
    h.a.register(&ok(&st)).await.unwrap();
    let status = |r: Result<_, RelayError>| match r {
        Err(RelayError::Status { status, .. }) => status,
        other => panic!("expected a refusal, got {other:?}"),
    };
    assert_eq!(status(h.a.register(&ok(&st)).await), 409);
    assert_eq!(status(h.b.register(&ok(&st)).await), 409);
    assert_eq!(
        status(h.a.register(&RegisterRequest { expires_at: now_s() - 1, ..ok(&fresh()) }).await),
        400
    );
    assert_eq!(
        status(
            h.a.register(&RegisterRequest { expires_at: now_s() + 86_400, ..ok(&fresh()) }).await
        ),
        400
    );
    assert_eq!(
        status(
            h.a.register(&RegisterRequest { api_key: Some("short".into()), ..ok(&fresh()) }).await
        ),
        400
    );
    assert_eq!(status(h.a.register(&RegisterRequest { api_key: None, ..ok(&fresh()) }).await), 400);
    assert_eq!(status(h.a.register(&ok("bad/state")).await), 400);
    let short_return =
        RegisterRequest { kind: RequestKind::ProviderReturn, api_key: None, ..ok("short-state") };
    assert_eq!(status(h.a.register(&short_return).await), 400);
    let wrong =
        reclaim_relay::RelayClient::new(h.relay.base_url(), "not-a-station-credential").unwrap();
    assert_eq!(status(wrong.register(&ok(&fresh())).await), 401);
}

#[tokio::test]
async fn pending_limit_per_station_is_429() {
    let h = start_with(RelayConfig { max_pending_per_station: 2, ..base_config() }).await;
    register(&h.a, RequestKind::Presentation).await;
    let second = register(&h.a, RequestKind::Presentation).await;
    let r =
        h.a.register(&RegisterRequest {
            state: fresh(),
            api_key: Some("0123456789abcdef-key".into()),
            expires_at: now_s() + 60,
            kind: RequestKind::Presentation,
        })
        .await;
    assert!(matches!(r, Err(RelayError::Status { status: 429, .. })));
    // station B is unaffected; abandoning frees a slot
    register(&h.b, RequestKind::Presentation).await;
    h.a.abandon(&second.state).await.unwrap();
    register(&h.a, RequestKind::Presentation).await;
}

#[tokio::test]
async fn provider_return_is_forwarded_once() {
    let h = start().await;
    let mut sa = open_stream(&h.a, None).await;
    let mut sb = open_stream(&h.b, None).await;
    let reg = register(&h.a, RequestKind::ProviderReturn).await;
    let url = reg.urls.return_url.clone().expect("returnUrl");
    assert!(url.ends_with(&format!("/v1/return/{}", reg.state)));
    // a HEAD (link checker, prefetch) does not use up the link
    assert_eq!(h.http.head(&url).send().await.unwrap().status(), 200);
    expect_quiet(&mut sa, 200).await;
    let resp = h.http.get(format!("{url}?trueIdVerified=true&x=1&x=2")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["cache-control"], "no-store");
    assert_eq!(resp.headers()["referrer-policy"], "no-referrer");
    let page = resp.text().await.unwrap();
    assert!(page.contains("You can go back to the kiosk now"));
    let ev = expect_event(&mut sa).await;
    assert_eq!(ev.event, "provider_return");
    assert_eq!(ev.state(), Some(reg.state.as_str()));
    assert_eq!(
        ev.body().unwrap(),
        &json!({ "kind": "provider_return", "query": { "trueIdVerified": "true", "x": "1" } })
    );
    // second hit refused, nothing forwarded
    let again = h.http.get(&url).send().await.unwrap();
    assert_eq!(again.status(), 404);
    expect_quiet(&mut sa, 300).await;
    expect_quiet(&mut sb, 100).await;
    // callbacks cannot target a provider_return registration, and the return URL of a
    // presentation registration does not exist
    let pres = register(&h.a, RequestKind::Presentation).await;
    let fake =
        reg.urls.callback_url.replace("/v1/callbacks/vc", &format!("/v1/return/{}", pres.state));
    assert_eq!(h.http.get(fake).send().await.unwrap().status(), 404);
}
