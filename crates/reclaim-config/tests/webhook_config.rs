//! `[webhook]`: the service-desk webhook's endpoint and events, validated with the key path and
//! line:column like every other section.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use reclaim_config::{Config, ConfigError, SecretName, WEBHOOK_SECRET};

fn service_example() -> String {
    let file =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/service/service.example.toml");
    std::fs::read_to_string(file).unwrap()
}

fn load(text: &str) -> Result<Config, ConfigError> {
    Config::from_toml(text, "service.toml", Path::new(env!("CARGO_MANIFEST_DIR")))
}

fn errors(text: &str) -> Vec<(String, usize, String)> {
    let e = load(text).expect_err("expected errors");
    e.errors()
        .into_iter()
        .map(|e| (e.key().unwrap_or("").to_owned(), e.line().unwrap_or(0), e.message()))
        .collect()
}

#[test]
fn no_webhook_by_default() {
    assert_eq!(load(&service_example()).unwrap().server.unwrap().webhook, None);
}

#[test]
fn a_webhook_with_and_without_events() {
    let text = format!(
        "{}\n[webhook]\nurl = \"https://desk.contoso.example/hooks/reclaim\"\n",
        service_example()
    );
    let w = load(&text).unwrap().server.unwrap().webhook.unwrap();
    assert_eq!(w.url.as_str(), "https://desk.contoso.example/hooks/reclaim");
    assert_eq!(w.events, None);
    let text = format!(
        "{}\n[webhook]\nurl = \"https://desk.contoso.example/hooks\"\nevents = [\"recovery.blocked\", \"tap.deleted\"]\n",
        service_example()
    );
    let w = load(&text).unwrap().server.unwrap().webhook.unwrap();
    assert_eq!(w.events.unwrap(), ["recovery.blocked", "tap.deleted"]);
    assert_eq!(SecretName::parse(WEBHOOK_SECRET).unwrap(), SecretName::WebhookSecret);
}

#[test]
fn errors_name_the_key_and_line() {
    let base = service_example();
    let line = base.lines().count() + 3;
    let text = format!(
        "{base}\n[webhook]\nurl = \"http://desk.contoso.example/\"\nevents = [\"recovery.maybe\"]\n"
    );
    let errs = errors(&text);
    assert!(
        errs.iter().any(|(k, l, m)| k == "webhook.url" && *l == line && m.contains("https")),
        "{errs:?}"
    );
    assert!(
        errs.iter().any(|(k, l, m)| k == "webhook.events"
            && *l == line + 1
            && m.contains("recovery.maybe")),
        "{errs:?}"
    );
    let errs = errors(&format!("{base}\n[webhook]\nevents = []\n"));
    assert!(errs.iter().any(|(k, _, m)| k == "webhook.url" && m.contains("missing")), "{errs:?}");
}
