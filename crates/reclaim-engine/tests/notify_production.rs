//! `[recovery.notify]` in a production file pointed at the in-process emulator: the assembled
//! engine tells the owner (and the manager) after a recovery, from the configured mailbox and in
//! the site's language, and revokes the user's sessions; without the section, nobody is told.
#![cfg(all(feature = "production", feature = "demo"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::{Credential, STATION, Tenant, recover_ana_to_tap};
use reclaim_engine::Engine;
use reclaim_engine::production::assemble;
use serde_json::{Value, json};

/// The messages delivered to `address` once there are `n` (within 30 s).
async fn mail_for(tenant: &Tenant, address: &str, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let inbox = tenant.get(&format!("/mailbox/{address}")).await;
        let inbox = inbox.as_array().cloned().unwrap_or_default();
        if inbox.len() >= n || Instant::now() > deadline {
            assert_eq!(inbox.len(), n, "{address}");
            return inbox;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_production_recovery_notifies_from_the_configured_mailbox() {
    let tenant = Tenant::start(false).await;
    let text = tenant.toml(Credential::Secret).replace("locale = \"en\"", "locale = \"fr\"")
        + "\n[recovery.notify]\nfrom = \"recovery-desk@contoso.example\"\nmanager = true\nrevoke_sessions = true\n";
    let config = tenant.load(&text);
    let station = assemble(&config, &tenant.secrets(Credential::Secret)).unwrap();
    let engine = Engine::spawn(station.ports, station.settings);
    assert!(engine.preflight().await.ready);
    recover_ana_to_tap(&tenant, &engine).await;

    let inbox = mail_for(&tenant, "ana.lima@contoso.example", 1).await;
    let m = &inbox[0];
    assert_eq!(m["from"]["emailAddress"]["address"], "recovery-desk@contoso.example");
    assert_eq!(m["ccRecipients"][0]["emailAddress"]["address"], "nora.quinn@contoso.example");
    let body = m["body"]["content"].as_str().unwrap();
    assert!(body.contains(&format!("at station {STATION} on ")), "{body}");
    assert!(body.contains(&format!("à la borne {STATION}")), "the site's language: {body}");
    mail_for(&tenant, "nora.quinn@contoso.example", 1).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let revoked = loop {
        let log = tenant.get(&format!("/directory/users/{}/revocations", tenant.upn("ana"))).await;
        if log.as_array().is_some_and(|l| !l.is_empty()) || Instant::now() > deadline {
            break log;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(revoked.as_array().map(Vec::len), Some(1));
    drop(engine);
    tenant.shutdown().await;
}

#[tokio::test]
async fn without_the_section_nobody_is_told() {
    let tenant = Tenant::start(false).await;
    let config = tenant.load(&tenant.toml(Credential::Secret));
    assert_eq!(config.notify, None);
    let station = assemble(&config, &tenant.secrets(Credential::Secret)).unwrap();
    let engine = Engine::spawn(station.ports, station.settings);
    assert!(engine.preflight().await.ready);
    recover_ana_to_tap(&tenant, &engine).await;
    // The TAP and the wipe are done; a notice would have gone out alongside the TAP screen.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(tenant.get("/mailbox").await, json!({}));
    let log = tenant.get(&format!("/directory/users/{}/revocations", tenant.upn("ana"))).await;
    assert_eq!(log, json!([]));
    drop(engine);
    tenant.shutdown().await;
}
