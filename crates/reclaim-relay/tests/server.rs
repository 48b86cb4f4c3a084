//! Serving: TLS with rustls, graceful shutdown with open streams, health probe.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::*;
use futures::StreamExt;
use reclaim_relay::{RelayClient, RelayConfig, RequestKind, TlsConfig};

#[tokio::test]
async fn serves_https_with_rustls() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("relay.crt");
    let key = dir.path().join("relay.key");
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.signing_key.serialize_pem()).unwrap();
    let config =
        RelayConfig { tls: Some(TlsConfig { cert_file: cert, key_file: key }), ..base_config() };
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let relay = reclaim_relay::serve(config, listener).await.unwrap();
    assert!(relay.base_url().starts_with("https://"));
    let port = relay.base_url().rsplit(':').next().unwrap().to_owned();
    let base = format!("https://localhost:{port}");
    let http = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(ck.cert.pem().as_bytes()).unwrap()])
        .resolve("localhost", format!("127.0.0.1:{port}").parse().unwrap())
        .build()
        .unwrap();
    assert_eq!(
        http.get(format!("{base}/healthz")).send().await.unwrap().text().await.unwrap(),
        "ok"
    );

    let client = RelayClient::with_http_client(http.clone(), &base, CRED_A);
    let mut s = client.events(None);
    let reg = register(&client, RequestKind::Presentation).await;
    let status = http
        .post(format!("{base}/v1/callbacks/vc"))
        .header("api-key", &reg.key)
        .json(&cb(&reg.state, "request_retrieved"))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 200);
    assert_eq!(expect_event(&mut s).await.state(), Some(reg.state.as_str()));
    relay.shutdown().await.unwrap();
}

#[tokio::test]
async fn shutdown_ends_open_streams_promptly() {
    let h = start().await;
    let raw = h
        .http
        .get(format!("{}/v1/events", h.relay.base_url()))
        .bearer_auth(CRED_A)
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 200);
    let mut body = raw.bytes_stream();
    let started = std::time::Instant::now();
    tokio::time::timeout(Duration::from_secs(3), h.relay.shutdown())
        .await
        .expect("shutdown in time")
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(3));
    // the stream ends rather than hanging
    let end = tokio::time::timeout(Duration::from_secs(3), async {
        while let Some(Ok(_)) = body.next().await {}
    })
    .await;
    assert!(end.is_ok());
}
