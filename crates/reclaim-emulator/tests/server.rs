//! The emulator as a server: start line, path-prefix and Host-header routing, TLS, faults, clock.

mod common;

use common::{Emu, json};
use serde_json::json;

#[tokio::test]
async fn start_line_names_every_host_under_one_listener() {
    let emu = Emu::start().await;
    let u = emu.urls();
    for base in [&u.login, &u.graph, &u.request_service, &u.provider, &u.phone, &u.control] {
        assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    }
    assert_eq!(u.tenant.to_string(), "7c0e2f9a-3b1d-4e5f-8a6b-9c0d1e2f3a4b");
    let info = json(emu.http.get(&u.control).send().await.unwrap()).await;
    assert_eq!(info["tenant"]["domain"], "contoso.example");
    assert_eq!(info["settings"]["request_lifetime_secs"], 300);
}

#[tokio::test]
async fn unknown_path_is_404() {
    let emu = Emu::start().await;
    let addr = emu.urls().control.trim_end_matches("/control").to_owned();
    let r = emu.http.get(format!("{addr}/nowhere")).send().await.unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn faults_are_listed_consumed_and_cleared() {
    let emu = Emu::start().await;
    let r = emu
        .control("/faults", json!({"service": "control", "pathContains": "/clock", "kind": "status", "status": 503, "retryAfter": 7, "count": 1}))
        .await;
    assert_eq!(r.status(), 204);
    let listed =
        json(emu.http.get(format!("{}/faults", emu.urls().control)).send().await.unwrap()).await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let hit = emu.control("/clock/advance", json!({"seconds": 1})).await;
    assert_eq!(hit.status(), 503);
    assert_eq!(hit.headers()["retry-after"], "7");
    let ok = emu.control("/clock/advance", json!({"seconds": 10})).await;
    assert_eq!(ok.status(), 200);
    assert_eq!(json(ok).await["clockOffsetSeconds"], 10);
    emu.control("/faults", json!([{"service": "graph", "kind": "delay", "millis": 1, "count": 3}]))
        .await;
    let r = emu.http.delete(format!("{}/faults", emu.urls().control)).send().await.unwrap();
    assert_eq!(r.status(), 204);
    let listed =
        json(emu.http.get(format!("{}/faults", emu.urls().control)).send().await.unwrap()).await;
    assert_eq!(listed, json!([]));
}

#[tokio::test]
async fn tls_serves_with_the_generated_ca_and_routes_real_host_names() {
    let running = reclaim_emulator::start(reclaim_emulator::EmulatorOptions {
        tls: true,
        ..Default::default()
    })
    .await
    .unwrap();
    let ca_file = running.urls.ca_file.clone().expect("TLS start line names the CA file");
    let ca = reqwest::Certificate::from_pem(&std::fs::read(&ca_file).unwrap()).unwrap();
    let addr = running.local_addr();
    // A client that only trusts our CA and resolves the real Microsoft host to the emulator.
    let client = reqwest::Client::builder()
        .tls_certs_only([ca])
        .resolve("graph.microsoft.com", addr)
        .build()
        .unwrap();
    let r = client.get(format!("{}/", running.urls.control)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    // By Host header: the Graph router sees `/v1.0/...` at its root (401: no token), not the 404 of an unknown path.
    let r = client
        .get(format!("https://graph.microsoft.com:{}/v1.0/users", addr.port()))
        .send()
        .await
        .unwrap();
    assert_ne!(r.status(), 404, "graph.microsoft.com must route to the Graph host");
    // A client that does not trust the CA is refused.
    let strict = reqwest::Client::builder().tls_certs_only([]).build().unwrap();
    assert!(strict.get(format!("{}/", running.urls.control)).send().await.is_err());
    running.shutdown().await;
}
