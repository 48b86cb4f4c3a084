//! Event stream: per-station isolation, resume with Last-Event-ID, client auto-reconnect, gaps.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::*;
use futures::StreamExt;
use reclaim_relay::{ClientOptions, RelayClient, RelayConfig, RelayError, RequestKind};
use tokio::io::copy_bidirectional;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

#[tokio::test]
async fn another_station_cannot_read_the_stream() {
    let h = start().await;
    let reg = register(&h.a, RequestKind::Presentation).await;
    assert_eq!(post_cb(&h, &reg, &reg.key, &cb(&reg.state, "request_retrieved")).await, 200);

    // wrong or missing credential → 401, and the client gives up instead of retrying
    let base = h.relay.base_url();
    let resp = h.http.get(format!("{base}/v1/events")).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    let resp = h
        .http
        .get(format!("{base}/v1/events"))
        .bearer_auth("station-a-credential-0123456788")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let intruder = RelayClient::new(base, "station-a-credential-XXXXXXXXXX").unwrap();
    let mut s = intruder.events(None);
    match tokio::time::timeout(Duration::from_secs(5), s.next()).await.unwrap() {
        Some(Err(RelayError::Status { status: 401, .. })) => {}
        other => panic!("expected 401, got {other:?}"),
    }
    assert!(s.next().await.is_none(), "stream ends after a fatal refusal");

    // station B with its own credential sees nothing of station A, now or later
    let mut sb = open_stream(&h.b, None).await;
    assert_eq!(post_cb(&h, &reg, &reg.key, &verified(&reg.state)).await, 200);
    expect_quiet(&mut sb, 400).await;
    // and station A sees both
    let mut sa = h.a.events(None);
    assert_eq!(expect_event(&mut sa).await.request_status(), Some("request_retrieved"));
    assert_eq!(expect_event(&mut sa).await.request_status(), Some("presentation_verified"));
}

#[tokio::test]
async fn resume_with_last_event_id_loses_nothing_and_duplicates_nothing() {
    let h = start().await;
    let regs: Vec<_> =
        futures::future::join_all((0..10).map(|_| register(&h.a, RequestKind::Presentation))).await;
    let mut s = open_stream(&h.a, None).await;
    for r in &regs[..5] {
        assert_eq!(post_cb(&h, r, &r.key, &cb(&r.state, "request_retrieved")).await, 200);
    }
    let mut seen = Vec::new();
    for _ in 0..3 {
        seen.push(expect_event(&mut s).await);
    }
    let last = seen.last().unwrap().id;
    drop(s); // disconnect mid-sequence (two events of the first batch unread)

    for r in &regs[5..] {
        assert_eq!(post_cb(&h, r, &r.key, &cb(&r.state, "request_retrieved")).await, 200);
    }
    for r in &regs {
        assert_eq!(post_cb(&h, r, &r.key, &verified(&r.state)).await, 200);
    }
    let mut s = h.a.events(last);
    for _ in 0..17 {
        seen.push(expect_event(&mut s).await);
    }
    expect_quiet(&mut s, 300).await;

    let ids: Vec<u64> = seen.iter().map(|e| e.id.unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids strictly increase, no duplicates: {ids:?}");
    for r in &regs {
        let mine: Vec<_> = seen
            .iter()
            .filter(|e| e.state() == Some(r.state.as_str()))
            .map(|e| e.request_status().unwrap().to_owned())
            .collect();
        assert_eq!(mine, ["request_retrieved", "presentation_verified"], "state {}", r.state);
    }
}

/// A TCP proxy whose live connections the test can cut.
async fn cuttable_proxy(upstream: String) -> (String, watch::Sender<u64>, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (cut, _) = watch::channel(0u64);
    let cut_tx = cut.clone();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut inbound, _)) = listener.accept().await else { return };
            counter.fetch_add(1, Ordering::SeqCst);
            let upstream = upstream.clone();
            let mut cut_rx = cut_tx.subscribe();
            tokio::spawn(async move {
                let Ok(mut outbound) = TcpStream::connect(&upstream).await else { return };
                tokio::select! {
                    _ = copy_bidirectional(&mut inbound, &mut outbound) => {}
                    _ = cut_rx.changed() => {}
                }
            });
        }
    });
    (format!("http://{addr}"), cut, accepted)
}

#[tokio::test]
async fn relay_client_reconnects_automatically_with_last_event_id() {
    let h = start().await;
    let upstream = h.relay.base_url().trim_start_matches("http://").to_owned();
    let (proxy, cut, connections) = cuttable_proxy(upstream).await;
    let client = RelayClient::new(&proxy, CRED_A).unwrap().with_options(ClientOptions {
        backoff_initial: Duration::from_millis(50),
        backoff_max: Duration::from_millis(400),
        idle_timeout: Duration::from_secs(30),
    });
    let mut s = open_stream(&client, None).await;
    let regs: Vec<_> =
        futures::future::join_all((0..6).map(|_| register(&h.a, RequestKind::Presentation))).await;
    for r in &regs[..3] {
        assert_eq!(post_cb(&h, r, &r.key, &verified(&r.state)).await, 200);
    }
    let mut got = Vec::new();
    for _ in 0..3 {
        got.push(expect_event(&mut s).await);
    }
    // cut every connection, post while the client is disconnected, cut again during backoff
    cut.send_modify(|g| *g += 1);
    for r in &regs[3..5] {
        assert_eq!(post_cb(&h, r, &r.key, &verified(&r.state)).await, 200);
    }
    tokio::time::sleep(Duration::from_millis(30)).await;
    cut.send_modify(|g| *g += 1);
    assert_eq!(post_cb(&h, &regs[5], &regs[5].key, &verified(&regs[5].state)).await, 200);
    for _ in 0..3 {
        got.push(expect_event(&mut s).await);
    }
    expect_quiet(&mut s, 400).await;
    let states: Vec<_> = got.iter().map(|e| e.state().unwrap().to_owned()).collect();
    let expected: Vec<_> = regs.iter().map(|r| r.state.clone()).collect();
    assert_eq!(states, expected, "every event exactly once, in order");
    assert!(connections.load(Ordering::SeqCst) >= 2, "the client reconnected");
}

#[tokio::test]
async fn gap_is_reported_when_the_buffer_no_longer_holds_the_resume_point() {
    let h = start_with(RelayConfig { buffer_events: 3, ..base_config() }).await;
    let regs: Vec<_> =
        futures::future::join_all((0..6).map(|_| register(&h.a, RequestKind::Presentation))).await;
    let mut s = open_stream(&h.a, None).await;
    assert_eq!(post_cb(&h, &regs[0], &regs[0].key, &verified(&regs[0].state)).await, 200);
    let first = expect_event(&mut s).await;
    drop(s);
    for r in &regs[1..] {
        assert_eq!(post_cb(&h, r, &r.key, &verified(&r.state)).await, 200);
    }
    let mut s = h.a.events(first.id);
    let gap = expect_event(&mut s).await;
    assert_eq!(gap.event, "gap");
    assert_eq!(gap.id, None);
    let rest: Vec<_> =
        [expect_event(&mut s).await, expect_event(&mut s).await, expect_event(&mut s).await]
            .iter()
            .map(|e| e.state().unwrap().to_owned())
            .collect();
    assert_eq!(rest, regs[3..].iter().map(|r| r.state.clone()).collect::<Vec<_>>());
    expect_quiet(&mut s, 300).await;

    // an id from another relay process (or the future) is a gap too
    let mut s = h.a.events(Some(1));
    assert_eq!(expect_event(&mut s).await.event, "gap");
}

#[tokio::test]
async fn raw_stream_format() {
    let h = start().await;
    let reg = register(&h.a, RequestKind::Presentation).await;
    assert_eq!(post_cb(&h, &reg, &reg.key, &cb(&reg.state, "request_retrieved")).await, 200);
    let base = h.relay.base_url();
    let resp = h.http.get(format!("{base}/v1/events")).bearer_auth(CRED_A).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    let mut body = resp.bytes_stream();
    let chunk =
        tokio::time::timeout(Duration::from_secs(5), body.next()).await.unwrap().unwrap().unwrap();
    let text = String::from_utf8(chunk.to_vec()).unwrap();
    let mut lines = text.lines();
    let id = lines.next().unwrap();
    assert!(id.starts_with("id: ") && id[4..].parse::<u64>().is_ok(), "{text}");
    assert_eq!(lines.next(), Some("event: callback"));
    let data = lines.next().unwrap().strip_prefix("data: ").unwrap();
    let v: serde_json::Value = serde_json::from_str(data).unwrap();
    assert_eq!(v["state"], reg.state.as_str());
    assert_eq!(v["requestStatus"], "request_retrieved");
    assert_eq!(v["body"], cb(&reg.state, "request_retrieved"));
    // malformed Last-Event-ID
    let resp = h
        .http
        .get(format!("{base}/v1/events"))
        .bearer_auth(CRED_A)
        .header("last-event-id", "abc")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
}
