//! `[audit]` / `[audit.syslog]`: the recovery service's audit export settings, validated with the
//! key path and line:column like every other section.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use reclaim_config::{Config, ConfigError};

fn service_example() -> String {
    let file =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/service/service.example.toml");
    std::fs::read_to_string(file).unwrap()
}

fn load(text: &str) -> Result<Config, ConfigError> {
    Config::from_toml(text, "service.toml", Path::new(env!("CARGO_MANIFEST_DIR")))
}

/// (key, line, column, message) of every error.
fn errors(text: &str) -> Vec<(String, usize, usize, String)> {
    let e = load(text).expect_err("expected errors");
    e.errors()
        .into_iter()
        .map(|e| {
            (
                e.key().unwrap_or("").to_owned(),
                e.line().unwrap_or(0),
                e.column().unwrap_or(0),
                e.message(),
            )
        })
        .collect()
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.starts_with(needle)).unwrap() + 1
}

#[test]
fn without_audit_the_service_keeps_the_file_only() {
    let c = load(&service_example()).unwrap();
    assert_eq!(c.server.unwrap().audit.syslog, None);
}

#[test]
fn a_syslog_collector_with_defaults_and_with_every_key() {
    let text = format!(
        "{}\n[audit.syslog]\naddress = \"127.0.0.1:6514\"\ntls = false\n",
        service_example()
    );
    let s = load(&text).unwrap().server.unwrap().audit.syslog.unwrap();
    assert_eq!((s.host.as_str(), s.port, s.tls), ("127.0.0.1", 6514, false));
    assert_eq!((s.app_name.as_str(), s.facility, s.hostname), ("reclaim", 13, None));

    // A CA file that exists (this test file itself stands in; the service checks the PEM).
    let text = format!(
        "{}\n[audit.syslog]\naddress = \"siem.contoso.example:6514\"\nca_file = \"tests/audit_config.rs\"\napp_name = \"reclaim-lobby\"\nfacility = \"local4\"\nhostname = \"recovery-1.contoso.example\"\n",
        service_example()
    );
    let s = load(&text).unwrap().server.unwrap().audit.syslog.unwrap();
    assert!(s.tls && s.ca_file.unwrap().ends_with("tests/audit_config.rs"));
    assert_eq!((s.app_name.as_str(), s.facility), ("reclaim-lobby", 20));
    assert_eq!(s.hostname.as_deref(), Some("recovery-1.contoso.example"));
    let text = format!(
        "{}\n[audit.syslog]\naddress = \"[::1]:514\"\ntls = false\nfacility = \"10\"\n",
        service_example()
    );
    let s = load(&text).unwrap().server.unwrap().audit.syslog.unwrap();
    assert_eq!((s.host.as_str(), s.port, s.facility), ("::1", 514, 10));
}

#[test]
fn each_bad_key_is_named_with_its_line_and_column() {
    let text = format!(
        "{}\n[audit.syslog]\naddress = \"siem.contoso.example\"\nca_file = \"missing-ca.pem\"\napp_name = \"re claim\"\nfacility = \"local9\"\nhostname = \"\"\n",
        service_example()
    );
    let errs = errors(&text);
    for (key, needle, column) in [
        ("audit.syslog.address", "address = ", 11),
        ("audit.syslog.ca_file", "ca_file = ", 11),
        ("audit.syslog.app_name", "app_name = ", 12),
        ("audit.syslog.facility", "facility = ", 12),
        ("audit.syslog.hostname", "hostname = ", 12),
    ] {
        let line = line_of(&text, needle);
        assert!(
            errs.iter().any(|e| e.0 == key && e.1 == line && e.2 == column),
            "{key} at {line}:{column} not in {errs:#?}"
        );
    }
    let facility = errs.iter().find(|e| e.0 == "audit.syslog.facility").unwrap();
    assert!(facility.3.contains("local7"), "{}", facility.3);
}

#[test]
fn tls_needs_a_ca_file_and_plain_tcp_takes_none() {
    let text =
        format!("{}\n[audit.syslog]\naddress = \"siem.contoso.example:6514\"\n", service_example());
    let errs = errors(&text);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert_eq!(
        (errs[0].0.as_str(), errs[0].1),
        ("audit.syslog.ca_file", line_of(&text, "[audit.syslog]"))
    );
    assert!(errs[0].3.contains("required with tls = true"), "{}", errs[0].3);

    let text = format!(
        "{}\n[audit.syslog]\naddress = \"siem.contoso.example:514\"\ntls = false\nca_file = \"tests/audit_config.rs\"\n",
        service_example()
    );
    let errs = errors(&text);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert_eq!(
        (errs[0].0.as_str(), errs[0].1),
        ("audit.syslog.ca_file", line_of(&text, "ca_file = "))
    );
}

#[test]
fn unknown_keys_and_audit_without_a_server_are_refused() {
    let text = format!(
        "{}\n[audit.syslog]\naddress = \"h:1\"\ntls = false\nport = 514\n",
        service_example()
    );
    let errs = errors(&text);
    assert!(
        errs.iter().any(|e| e.0 == "audit.syslog.port" && e.1 == line_of(&text, "port = ")),
        "{errs:#?}"
    );
    let kiosk = service_example().split("\n[server]").next().unwrap().to_owned();
    let text = format!("{kiosk}\n[audit.syslog]\naddress = \"h:1\"\ntls = false\n");
    let errs = errors(&text);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert_eq!(errs[0].0, "audit");
    assert!(errs[0].3.contains("[server]"), "{}", errs[0].3);
}
