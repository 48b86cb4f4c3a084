//! `production::assemble` from a production TOML file pointed at the in-process emulator and a
//! relay by URL alone (as the kiosk would reach a real tenant), with the secrets in a
//! `MemoryStore`: the assembled engine passes pre-flight (over TLS with the certificate
//! credential, and over loopback http with the client secret), a wrong secret fails it, a whole
//! recovery issues the TAP the tenant holds, and the errors name what is missing.
#![cfg(all(feature = "production", feature = "demo"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;

use common::{Credential, STATION, Tenant, recover_ana_to_tap};
use reclaim_config::{Config, MemoryStore, SecretName};
use reclaim_engine::demo::KIOSK_CLIENT_ID;
use reclaim_engine::production::{ProductionError, Station, assemble};
use reclaim_engine::{DocumentKind, Engine, PreflightProblem, StationMode};

/// A production file with only the station section's mode changed, for the tests that need
/// no running tenant (loopback URLs that are never called).
fn offline_toml(mode: &str, hosted_flow_url: &str) -> String {
    format!(
        r#"[station]
id = "{STATION}"
mode = "{mode}"

[tenant]
id = "contoso.onmicrosoft.com"
client_id = "{KIOSK_CLIENT_ID}"

[tenant.credential]
kind = "secret"

[endpoints]
login = "http://127.0.0.1:9/login"
graph = "http://127.0.0.1:9/graph"
request_service = "http://127.0.0.1:9/vc"

[verifier]
authority = "did:web:verifiedid.contoso.example"

[relay]
url = "http://127.0.0.1:9"

[[providers]]
id = "trueid"
display_name = "TrueIdentity"
issuer_did = "did:web:idv.trueid.example"
hosted_flow_url = "{hosted_flow_url}"
documents = ["passport"]
"#
    )
}

fn offline(text: &str) -> Config {
    Config::from_toml(text, "reclaim.toml", Path::new("/"))
        .unwrap_or_else(|e| panic!("the file validates:\n{e}"))
}

fn assemble_ok(tenant: &Tenant, credential: Credential) -> Station {
    let config = tenant.load(&tenant.toml(credential));
    assemble(&config, &tenant.secrets(credential)).unwrap_or_else(|e| panic!("assembles: {e}"))
}

#[tokio::test]
async fn assembled_over_tls_with_the_certificate_the_station_is_ready() {
    let tenant = Tenant::start(true).await;
    assert!(tenant.emulator.urls.login.starts_with("https://"), "the emulator serves TLS");
    let station = assemble_ok(&tenant, Credential::Certificate);

    let s = &station.settings;
    assert_eq!(s.station_id, STATION);
    assert_eq!(s.mode, StationMode::Production);
    assert!(!s.camera_available, "the shell sets it");
    assert_eq!(s.config.face_check_threshold, 75, "[recovery] from the file");
    assert_eq!(s.config.max_presentation_attempts, 2);
    assert_eq!(s.config.idle_timeout_secs, 120, "[timeouts] from the file");
    let fixture = tenant.emulator.state.fixture();
    let ids: Vec<_> = s.providers.iter().map(|p| p.card.id.as_str()).collect();
    let expected: Vec<_> = fixture.providers.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, expected, "[[providers]] in file order");
    assert_eq!(s.providers[0].issuer_did, fixture.providers[0].issuer_did);
    assert!(s.providers[0].card.documents.contains(&DocumentKind::Passport));

    let engine = Engine::spawn(station.ports, station.settings);
    let view = engine.preflight().await;
    assert_eq!(view.problems, Vec::<PreflightProblem>::new());
    assert!(view.ready);
    assert_eq!(view.mode, StationMode::Production);
    assert_eq!(view.station_id, STATION);
    drop(engine);
    tenant.shutdown().await;
}

#[tokio::test]
async fn a_wrong_client_secret_fails_the_preflight() {
    let tenant = Tenant::start(false).await;
    let config = tenant.load(&tenant.toml(Credential::Secret));
    let store = tenant.secrets(Credential::Secret).with(&SecretName::ClientSecret, "not-it");
    let station = assemble(&config, &store).unwrap();
    let engine = Engine::spawn(station.ports, station.settings);
    let view = engine.preflight().await;
    assert!(!view.ready);
    assert_eq!(view.problems, [PreflightProblem::TenantUnreachable]);
    drop(engine);
    tenant.shutdown().await;
}

#[tokio::test]
async fn a_whole_production_recovery_shows_the_tap_the_tenant_holds() {
    let tenant = Tenant::start(false).await;
    let station = assemble_ok(&tenant, Credential::Secret);
    let engine = Engine::spawn(station.ports, station.settings);
    assert!(engine.preflight().await.ready);
    recover_ana_to_tap(&tenant, &engine).await;
    drop(engine);
    tenant.shutdown().await;
}

#[tokio::test]
async fn debug_output_holds_no_secret() {
    let tenant = Tenant::start(false).await;
    let station = assemble_ok(&tenant, Credential::Secret);
    let text = format!("{station:?}");
    assert!(text.contains(STATION), "the Debug output is the real one: {text}");
    for value in tenant.secret_values() {
        assert!(!text.contains(&value), "a secret value is in the Debug output: {text}");
    }
    tenant.shutdown().await;
}

#[test]
fn a_missing_secret_is_named_and_no_value_is_shown() {
    let config = offline(&offline_toml("production", "http://127.0.0.1:9/provider/trueid"));
    let link_key = "link-key-0123456789abcdef";
    let relay_credential = "relay-credential-0123456789";
    let full = || {
        MemoryStore::new()
            .with(&SecretName::ClientSecret, "client-secret-value")
            .with(&SecretName::RelayCredential, relay_credential)
            .with(&SecretName::ProviderLinkKey("trueid".into()), link_key)
    };
    assemble(&config, &full()).expect("every secret present");

    let cases = [
        (SecretName::ClientSecret, "client-secret"),
        (SecretName::RelayCredential, "relay-credential"),
        (SecretName::ProviderLinkKey("trueid".into()), "provider.trueid.link-signing-key"),
    ];
    for (missing, account) in cases {
        let store = full();
        reclaim_config::SecretStore::delete(&store, &missing).unwrap();
        let err = assemble(&config, &store).expect_err("a secret is missing");
        let ProductionError::Secret { name, .. } = &err else {
            panic!("expected the secret error for {account}, got {err:?}");
        };
        assert_eq!(name, account);
        let text = err.to_string();
        assert!(text.contains(&format!("`{account}`")), "{text}");
        assert!(text.contains(&format!("reclaim-config set-secret {account}")), "{text}");
        for value in ["client-secret-value", relay_credential, link_key] {
            assert!(!text.contains(value), "{text}");
            assert!(!format!("{err:?}").contains(value), "{err:?}");
        }
    }
}

#[test]
fn a_demo_mode_file_is_refused() {
    let config = offline(&offline_toml("demo", "http://127.0.0.1:9/provider/trueid"));
    let err = assemble(&config, &MemoryStore::new()).expect_err("demo mode");
    assert!(
        matches!(&err, ProductionError::DemoMode { file } if file == "reclaim.toml"),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(text.contains("reclaim.toml") && text.contains("station.mode = \"demo\""), "{text}");

    let minimal = "[station]\nid = \"kiosk-1\"\nmode = \"demo\"\n";
    let err = assemble(&offline(minimal), &MemoryStore::new()).expect_err("demo mode");
    assert!(matches!(err, ProductionError::DemoMode { .. }), "{err:?}");
}

#[test]
fn a_provider_url_the_adapter_cannot_address_is_named() {
    let config = offline(&offline_toml("production", "http://127.0.0.1:9/hosted"));
    let store = MemoryStore::new()
        .with(&SecretName::ClientSecret, "client-secret-value")
        .with(&SecretName::RelayCredential, "relay-credential-0123456789")
        .with(&SecretName::ProviderLinkKey("trueid".into()), "link-key-0123456789abcdef");
    let err = assemble(&config, &store).expect_err("the URL does not end in the id");
    let ProductionError::Endpoint { key, url, .. } = &err else { panic!("{err:?}") };
    assert_eq!(key, "providers[0].hosted_flow_url");
    assert_eq!(url, "http://127.0.0.1:9/hosted");
    assert!(err.to_string().contains("must end in the provider's id"), "{err}");
}

#[test]
fn the_keyrings_audit_key_keeps_pseudonyms_across_restarts() {
    use reclaim_core::{AccountRef, Upn};
    let config = offline(&offline_toml("production", "http://127.0.0.1:9/provider/trueid"));
    let store = || {
        MemoryStore::new()
            .with(&SecretName::ClientSecret, "client-secret-value")
            .with(&SecretName::RelayCredential, "relay-credential-0123456789")
            .with(&SecretName::ProviderLinkKey("trueid".into()), "link-key-0123456789abcdef")
    };
    let upn = Upn::new("ana.lima@contoso.example");
    let pseudonym = |store: &MemoryStore| {
        AccountRef::compute(&assemble(&config, store).unwrap().settings.audit_key, &upn)
    };
    // Without one, each start draws its own key: pseudonyms differ from run to run.
    assert_ne!(pseudonym(&store()), pseudonym(&store()));
    // With the fleet's key, two starts (or two stations) agree.
    let key = "fleet-audit-key-0123456789abcdef-0123";
    let keyed = || store().with(&SecretName::AuditKey, key);
    assert_eq!(pseudonym(&keyed()), pseudonym(&keyed()));
}
