//! Configuration loading: a full file parses; every error names the offending key.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::time::Duration;

use reclaim_relay::{RelayConfig, RelayError};

const GOOD: &str = r#"
listen = "0.0.0.0:8443"
public_base_url = "https://relay.example.org/reclaim"
body_limit_bytes = 2048
buffer_events = 50
buffer_seconds = 120
buffer_bytes = 1048576
max_ttl_secs = 900
max_pending_per_station = 20
sweep_interval_ms = 250
keep_alive_secs = 10

[tls]
cert_file = "/etc/reclaim/relay.crt"
key_file = "/etc/reclaim/relay.key"

[[stations]]
id = "lobby-1"
credential = "lobby-1-credential-abcdef"

[[stations]]
id = "lobby-2"
credential = "lobby-2-credential-abcdef"
"#;

fn key_of(text: &str) -> String {
    match RelayConfig::from_toml_str(text) {
        Err(RelayError::Config { key, .. }) => key,
        other => panic!("expected a config error, got {other:?}"),
    }
}

#[test]
fn full_config_parses() {
    let c = RelayConfig::from_toml_str(GOOD).unwrap();
    assert_eq!(c.listen.port(), 8443);
    assert_eq!(c.public_base_url.as_deref(), Some("https://relay.example.org/reclaim"));
    assert_eq!(c.body_limit_bytes, 2048);
    assert_eq!(c.buffer_events, 50);
    assert_eq!(c.buffer_age, Duration::from_secs(120));
    assert_eq!(c.sweep_interval, Duration::from_millis(250));
    assert_eq!(c.stations.len(), 2);
    assert_eq!(c.stations[1].id, "lobby-2");
    assert!(c.tls.is_some());
    // credentials never show in Debug output
    assert!(!format!("{c:?}").contains("lobby-1-credential"));
}

#[test]
fn defaults_apply() {
    let c = RelayConfig::from_toml_str("").unwrap();
    assert_eq!(c.body_limit_bytes, 10 * 1024 * 1024);
    assert_eq!(c.buffer_events, 1000);
    assert_eq!(c.keep_alive, Duration::from_secs(15));
}

#[test]
fn toml_errors_name_the_key() {
    assert_eq!(key_of("listen = 8443"), "listen");
    assert_eq!(key_of("listen = \"not an address\""), "listen");
    assert_eq!(key_of("body_limit_bytes = \"big\""), "body_limit_bytes");
    assert_eq!(key_of("buffer_events = -1"), "buffer_events");
    assert_eq!(key_of("buffer_events = 0"), "buffer_events");
    assert_eq!(key_of("public_base_url = \"ftp://x\""), "public_base_url");
    assert_eq!(key_of("bodylimit = 5"), "bodylimit");
    assert_eq!(key_of("[tls]\ncert_file = \"a\""), "tls.key_file");
    assert_eq!(key_of("[tls]\ncert_file = \"a\"\nkey_file = 3"), "tls.key_file");
    assert_eq!(key_of("[[stations]]\nid = \"a\""), "stations[0].credential");
    assert_eq!(
        key_of(
            "[[stations]]\nid = \"a\"\ncredential = \"aaaaaaaaaaaaaaaaaa\"\n[[stations]]\nid = \"b\"\ncredential = \"short\""
        ),
        "stations[1].credential"
    );
    assert_eq!(
        key_of(
            "[[stations]]\nid = \"a\"\ncredential = \"aaaaaaaaaaaaaaaaaa\"\n[[stations]]\nid = \"a\"\ncredential = \"bbbbbbbbbbbbbbbbbb\""
        ),
        "stations[1].id"
    );
    assert_eq!(
        key_of("[[stations]]\nid = \"a\"\ncredential = \"aaaaaaaaaaaaaaaaaa\"\ncolour = \"red\""),
        "stations[0].colour"
    );
    assert_eq!(key_of("stations = \"x\""), "stations");
    let msg = RelayConfig::from_toml_str("buffer_seconds = \"x\"").unwrap_err().to_string();
    assert!(msg.contains("buffer_seconds"), "{msg}");
}

#[test]
fn syntax_errors_and_missing_files_are_reported() {
    assert!(matches!(RelayConfig::from_toml_str("listen = "), Err(RelayError::ConfigSyntax(_))));
    let err = RelayConfig::from_file("/nonexistent/relay.toml").unwrap_err();
    assert!(err.to_string().contains("/nonexistent/relay.toml"));
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(GOOD.as_bytes()).unwrap();
    assert_eq!(RelayConfig::from_file(f.path()).unwrap().stations.len(), 2);
}

#[tokio::test]
async fn missing_tls_files_fail_serve_naming_tls() {
    let mut c = RelayConfig::from_toml_str(GOOD).unwrap();
    c.tls = Some(reclaim_relay::TlsConfig {
        cert_file: "/nonexistent/c.pem".into(),
        key_file: "/nonexistent/k.pem".into(),
    });
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    match reclaim_relay::serve(c, listener).await {
        Err(RelayError::Config { key, .. }) => assert_eq!(key, "tls"),
        other => panic!("expected a tls config error, got {other:?}"),
    }
}

#[tokio::test]
async fn public_base_url_builds_callback_and_return_urls() {
    let mut c = RelayConfig::from_toml_str(GOOD).unwrap();
    c.tls = None;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let relay = reclaim_relay::serve(c, listener).await.unwrap();
    assert_eq!(relay.callback_url(), "https://relay.example.org/reclaim/v1/callbacks/vc");
    let client =
        reclaim_relay::RelayClient::new(relay.base_url(), "lobby-1-credential-abcdef").unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let reg = client
        .register(&reclaim_relay::RegisterRequest {
            state: "abc-123-def-456-ghi".into(),
            api_key: None,
            expires_at: now + 60,
            kind: reclaim_relay::RequestKind::ProviderReturn,
        })
        .await
        .unwrap();
    assert_eq!(
        reg.return_url.as_deref(),
        Some("https://relay.example.org/reclaim/v1/return/abc-123-def-456-ghi")
    );
    relay.shutdown().await.unwrap();
}

#[test]
fn the_documented_example_and_systemd_unit_agree_and_load() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let config = RelayConfig::from_file(root.join("docs/relay/relay.example.toml")).unwrap();
    assert_eq!(config.listen, "127.0.0.1:8443".parse().unwrap());
    assert_eq!(config.public_base_url.as_deref(), Some("https://relay.contoso.example"));
    assert_eq!(config.stations.len(), 2);
    assert!(config.tls.is_none());
    let unit = std::fs::read_to_string(root.join("docs/relay/reclaim-relay.service")).unwrap();
    assert!(
        unit.lines().any(|l| l == "ExecStart=/usr/local/bin/reclaim-relay --config /etc/reclaim/relay.toml"),
        "the unit starts the relay with the documented config path"
    );
    for needed in ["[Unit]", "[Service]", "[Install]", "User=reclaim-relay", "Restart=on-failure"] {
        assert!(unit.lines().any(|l| l.starts_with(needed)), "the unit lacks {needed}");
    }
}
