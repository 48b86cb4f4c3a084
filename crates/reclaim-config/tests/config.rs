//! Loading and validating configuration files: the examples, each kind of error with its key
//! path and line, secrets through `MemoryStore`, and no secret in any `Debug`.

use std::path::{Path, PathBuf};

use reclaim_config::{
    CertificateFormat, CertificateHeader, Config, ConfigError, Credential, Document, Locale,
    MemoryStore, Mode, Notify, ProviderKind, SecretError, SecretName, SecretStore,
};
use secrecy::{ExposeSecret, SecretString};

/// A small valid production file; line numbers below refer to it.
const BASE: &str = r#"[station]
id = "lobby-1"
locale = "de"

[tenant]
id = "contoso.onmicrosoft.com"
client_id = "11111111-2222-4333-8444-555555555555"

[tenant.credential]
kind = "secret"

[verifier]
authority = "did:web:verifiedid.contoso.com"

[relay]
url = "https://relay.contoso.com"

[[providers]]
id = "trueid"
display_name = "TrueIdentity"
issuer_did = "did:web:idv.trueid.example"
hosted_flow_url = "https://idv.trueid.example/reclaim"
documents = ["passport"]
"#;

fn docs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/config")
}

fn load(text: &str) -> Result<Config, ConfigError> {
    Config::from_toml(text, "cfg.toml", Path::new(env!("CARGO_MANIFEST_DIR")))
}

/// `text` must fail; returns (key, line, column, message) of every error.
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

/// `text` must fail with exactly one error; returns it.
fn one_error(text: &str) -> (String, usize, usize, String) {
    let all = errors(text);
    assert_eq!(all.len(), 1, "expected one error, got {all:#?}");
    all.into_iter().next().expect("one")
}

fn replace(from: &str, to: &str) -> String {
    assert!(BASE.contains(from), "{from}");
    BASE.replacen(from, to, 1)
}

// ── the examples ─────────────────────────────────────────────────────────────────────────────

#[test]
fn base_is_valid_and_fills_defaults() {
    let c = load(BASE).expect("valid");
    assert_eq!(c.station.id, "lobby-1");
    assert_eq!(c.station.locale, Locale::De);
    assert_eq!(c.station.mode, Mode::Production);
    assert_eq!(c.endpoints.login.as_str(), "https://login.microsoftonline.com/");
    assert_eq!(c.engine, reclaim_core::EngineConfig::default());
    assert_eq!(c.logging.max_files, 14);
    assert!(c.updater.is_none());
    assert!(c.production().is_some());
}

#[test]
fn production_example_parses_and_validates() {
    let c = Config::from_toml(reclaim_config::EXAMPLE, "reclaim.example.toml", &docs_dir())
        .expect("example is valid");
    let p = c.production().expect("production");
    assert_eq!(p.tenant.id, "contoso.onmicrosoft.com");
    assert_eq!(p.tenant.credential, Credential::Secret);
    let e = p.endpoints.to_entra();
    assert_eq!(e, reclaim_entra::Endpoints::microsoft_cloud());
    assert_eq!(p.providers.len(), 2);
    assert_eq!(p.providers[0].documents.len(), 3);
    assert_eq!(p.providers[1].documents, vec![Document::Passport, Document::IdCard]);
    assert!(p.providers[1].capture_api_url.is_none());
    assert!(c.updater.is_some());
    assert_eq!(c.engine, reclaim_core::EngineConfig::default(), "the example shows the defaults");
    let names: Vec<String> = c.required_secrets().iter().map(SecretName::account).collect();
    assert_eq!(
        names,
        [
            "client-secret",
            "relay-credential",
            "provider.trueid.link-signing-key",
            "provider.trueid.capture-api-key",
            "provider.vouchsafe.link-signing-key",
        ]
    );
    // The docs file and the text the CLI prints are the same.
    let on_disk = std::fs::read_to_string(docs_dir().join("reclaim.example.toml")).expect("read");
    assert_eq!(on_disk, reclaim_config::EXAMPLE);
}

/// The emulator config with its CA stubbed (the emulator writes a fresh CA each run).
fn emulator_config(dir: &Path) -> Config {
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, "-----BEGIN CERTIFICATE-----\nstub\n-----END CERTIFICATE-----\n")
        .expect("write");
    let text = reclaim_config::EMULATOR_EXAMPLE
        .replace("/tmp/reclaim-emulator-ca.pem", ca.to_str().expect("utf-8"));
    Config::from_toml(&text, "emulator.toml", &docs_dir()).expect("emulator config is valid")
}

#[test]
fn emulator_example_parses_validates_and_loads_its_certificate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let c = emulator_config(dir.path());
    let p = c.production().expect("production");
    assert_eq!(
        p.endpoints.to_entra(),
        reclaim_entra::Endpoints::from_emulator_urls(
            "https://127.0.0.1:8443/login",
            "https://127.0.0.1:8443/graph",
            "https://127.0.0.1:8443/vc",
        )
        .expect("urls")
    );
    assert_eq!(p.relay.url.as_str(), "http://127.0.0.1:8480/");
    let Credential::Certificate(cert) = &p.tenant.credential else { panic!("certificate") };
    assert_eq!(cert.format, CertificateFormat::Pem);
    assert_eq!(cert.header, CertificateHeader::X5tS256);
    assert!(cert.path.is_file() && cert.key_path.as_ref().is_some_and(|k| k.is_file()));
    // The relative paths really reach the fixture: the key and certificate load.
    let credential = c.client_credential(&MemoryStore::new()).expect("PEM pair loads");
    let reclaim_entra::ClientCredential::Certificate(loaded) = credential else {
        panic!("certificate")
    };
    assert_eq!(loaded.algorithm(), reclaim_entra::AssertionAlgorithm::Ps256X5tS256);
    // Same shape as the production example: the same sections and keys.
    assert_eq!(top_level_keys(reclaim_config::EMULATOR_EXAMPLE).len(), 9, "all but [updater]");
    assert!(
        top_level_keys(reclaim_config::EMULATOR_EXAMPLE)
            .iter()
            .all(|k| top_level_keys(reclaim_config::EXAMPLE).contains(k))
    );
}

#[test]
fn emulator_pfx_needs_the_certificate_password_from_the_store() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut c = emulator_config(dir.path());
    let fixture = docs_dir().join("../../crates/reclaim-emulator/fixtures/demo-credentials");
    if let Some(t) = c.tenant.as_mut() {
        t.credential = Credential::Certificate(reclaim_config::CertificateCredential {
            path: fixture.join("kiosk-demo.pfx"),
            key_path: None,
            format: CertificateFormat::Pfx,
            header: CertificateHeader::X5t,
        });
    }
    let err = c.client_credential(&MemoryStore::new()).expect_err("no password");
    assert!(
        matches!(&err, ConfigError::Secret(SecretError::Missing { name, .. }) if name == "certificate-password"),
        "{err}"
    );
    let store = MemoryStore::new().with(&SecretName::CertificatePassword, "demo-pfx-password");
    let cred = c.client_credential(&store).expect("PFX loads");
    assert!(format!("{cred:?}").contains("REDACTED"));
    let wrong = MemoryStore::new().with(&SecretName::CertificatePassword, "wrong");
    let err = c.client_credential(&wrong).expect_err("wrong password").to_string();
    assert!(err.contains("kiosk-demo.pfx") && !err.contains("wrong\""), "{err}");
}

fn top_level_keys(text: &str) -> Vec<String> {
    let table: toml::Table = toml::from_str(text).expect("toml");
    table.keys().cloned().collect()
}

#[test]
fn load_reads_a_file_names_it_and_resolves_paths_next_to_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("kiosk.pem"), "x").expect("write");
    let text = replace("kind = \"secret\"", "kind = \"certificate\"\npath = \"kiosk.pem\"");
    let file = dir.path().join("reclaim.toml");
    std::fs::write(&file, &text).expect("write");
    let c = Config::load(&file).expect("valid");
    let Some(Credential::Certificate(cert)) = c.tenant.map(|t| t.credential) else {
        panic!("certificate")
    };
    assert_eq!(cert.path, dir.path().join("kiosk.pem"));

    std::fs::write(&file, text.replace("kiosk.pem", "missing.pem")).expect("write");
    let err = Config::load(&file).expect_err("missing file").to_string();
    let expected_prefix =
        format!("{}:11:8: tenant.credential.path: does not exist", file.display());
    assert!(err.starts_with(&expected_prefix), "{err}");

    let err = Config::load(dir.path().join("nope.toml")).expect_err("no file");
    assert!(matches!(err, ConfigError::Read { .. }), "{err}");
}

#[test]
fn demo_mode_needs_only_the_station() {
    let c = load("[station]\nid = \"demo\"\nmode = \"demo\"\n").expect("valid demo");
    assert_eq!(c.station.mode, Mode::Demo);
    assert!(c.production().is_none() && c.required_secrets().is_empty());
    let err = c.client_credential(&MemoryStore::new()).expect_err("no tenant");
    assert!(matches!(err, ConfigError::NotConfigured { section: "tenant", .. }), "{err}");
}

// ── fleet mode: the kiosk is a terminal ──────────────────────────────────────────────────────

const FLEET: &str = "[station]\nid = \"lobby-1\"\nmode = \"fleet\"\n\n[service]\nurl = \"https://recovery.contoso.example\"\n";

#[test]
fn a_fleet_kiosk_names_only_the_service_and_the_station() {
    let c = load(FLEET).expect("valid fleet file");
    assert_eq!(c.station.mode, Mode::Fleet);
    assert_eq!(c.service.as_ref().unwrap().url.as_str(), "https://recovery.contoso.example/");
    assert!(c.tenant.is_none() && c.relay.is_none() && c.providers.is_empty());
    assert!(c.production().is_none(), "a fleet kiosk runs no tenant of its own");
}

#[test]
fn the_shipped_fleet_and_service_examples_validate() {
    let text = std::fs::read_to_string(docs_dir().join("fleet.example.toml")).expect("read");
    let fleet = Config::from_toml(&text, "fleet.example.toml", &docs_dir()).expect("fleet example");
    assert_eq!(fleet.station.mode, Mode::Fleet);
    assert!(fleet.tenant.is_none() && fleet.server.is_none());
    let service_dir = docs_dir().join("../service");
    let text = std::fs::read_to_string(service_dir.join("service.example.toml")).expect("read");
    let service =
        Config::from_toml(&text, "service.example.toml", &service_dir).expect("service example");
    let server = service.server.as_ref().expect("[server]");
    assert_eq!(server.public_url.as_str(), "https://recovery.contoso.example/");
    assert_eq!(server.listen.to_string(), "127.0.0.1:8443");
    assert!(service.production().is_some(), "the service runs the tenant");
}

#[test]
fn a_fleet_kiosk_with_a_tenant_credential_is_refused_with_its_line() {
    let text = format!(
        "{FLEET}\n[tenant]\nid = \"contoso.onmicrosoft.com\"\nclient_id = \"11111111-2222-4333-8444-555555555555\"\n\n[tenant.credential]\nkind = \"secret\"\n"
    );
    let errs = errors(&text);
    let tenant = errs.iter().find(|e| e.0 == "tenant").expect("[tenant] refused");
    assert_eq!(tenant.1, 8, "the line of [tenant]: {errs:?}");
    assert!(tenant.3.contains("fleet kiosk holds no tenant credential"), "{}", tenant.3);
    // Every section that would let the kiosk decide is refused the same way, all at once.
    let text = format!(
        "{FLEET}\n[relay]\nurl = \"https://relay.contoso.com\"\n\n[[providers]]\nid = \"x\"\n"
    );
    let keys: Vec<String> = errors(&text).into_iter().map(|e| e.0).collect();
    assert!(
        keys.contains(&"relay".to_owned()) && keys.contains(&"providers".to_owned()),
        "{keys:?}"
    );
}

#[test]
fn the_service_section_belongs_to_fleet_mode_only() {
    let (key, _, _, msg) = one_error("[station]\nid = \"x\"\nmode = \"fleet\"\n");
    assert_eq!(key, "service");
    assert!(msg.contains("missing section [service]"), "{msg}");
    let text = format!("{BASE}\n[service]\nurl = \"https://recovery.contoso.example\"\n");
    let (key, _, _, msg) = one_error(&text);
    assert_eq!(key, "service");
    assert!(msg.contains("only for station.mode = \"fleet\""), "{msg}");
    let (key, _, _, msg) = one_error(
        "[station]\nid = \"x\"\nmode = \"fleet\"\n[service]\nurl = \"http://recovery.example\"\n",
    );
    assert_eq!(key, "service.url");
    assert!(msg.contains("https"), "{msg}");
}

// ── errors name the key path and the line ────────────────────────────────────────────────────

#[test]
fn bad_guid_names_key_line_and_column() {
    let text =
        replace("client_id = \"11111111-2222-4333-8444-555555555555\"", "client_id = \"abc\"");
    let err = load(&text).expect_err("bad guid");
    assert_eq!(err.to_string(), r#"cfg.toml:7:13: tenant.client_id: not a GUID ("abc")"#);
}

#[test]
fn bad_tenant_id() {
    let (key, line, _, msg) = one_error(&replace("contoso.onmicrosoft.com", "contoso"));
    assert_eq!((key.as_str(), line), ("tenant.id", 6));
    assert!(msg.contains("\"contoso\""), "{msg}");
}

#[test]
fn threshold_out_of_range() {
    for bad in ["49", "101"] {
        let text = format!("{BASE}\n[recovery]\nface_check_threshold = {bad}\n");
        let (key, line, col, msg) = one_error(&text);
        assert_eq!((key.as_str(), line, col), ("recovery.face_check_threshold", 26, 24));
        assert_eq!(msg, format!("must be 50–100 ({bad})"));
    }
    let ok = load(&format!("{BASE}\n[recovery]\nface_check_threshold = 85\n")).expect("85 ok");
    assert_eq!(ok.engine.face_check_threshold, 85);
}

#[test]
fn the_referee_is_off_unless_configured_and_its_wait_is_range_checked() {
    assert!(!load(BASE).expect("ok").engine.referee);
    let c = load(&format!("{BASE}\n[timeouts]\nreferee_secs = 600\n[recovery]\nreferee = true\n"))
        .expect("ok");
    assert!(c.engine.referee);
    assert_eq!(c.engine.timeouts.referee_secs, 600);
    let (key, ..) = one_error(&format!("{BASE}\n[timeouts]\nreferee_secs = 2\n"));
    assert_eq!(key, "timeouts.referee_secs");
    let (key, ..) = one_error(&format!("{BASE}\n[recovery]\nreferee = \"yes\"\n"));
    assert_eq!(key, "recovery.referee");
}

#[test]
fn credentials_already_held_are_off_unless_configured_and_each_rule_is_checked() {
    assert!(load(BASE).expect("ok").engine.existing_credential.is_none());
    let c = load(&format!(
        "{BASE}\n[recovery.existing_credential]\nmax_age_days = 14\n\n[[recovery.existing_credential.accept]]\nid = \"verified-employee\"\nlabel = \"Work ID\"\nissuer = \"did:web:verifiedid.contoso.com\"\ntype = \"VerifiedEmployee\"\nclaim_names = {{ firstName = \"givenName\", lastName = \"surname\" }}\n"
    ))
    .expect("ok");
    let e = c.engine.existing_credential.expect("on");
    assert_eq!(e.max_age_days, 14);
    assert!(e.profile_credential);
    assert_eq!(e.accepted[0].credential_type, "VerifiedEmployee");
    assert_eq!(e.accepted[0].photo_claim, "photo");
    assert!(e.accepted[0].claim_names.contains(&("firstName".into(), "givenName".into())));
    let (key, ..) = one_error(&format!(
        "{BASE}\n[recovery.existing_credential]\n\n[[recovery.existing_credential.accept]]\nid = \"x\"\nlabel = \"X\"\nissuer = \"contoso\"\ntype = \"T\"\n"
    ));
    assert_eq!(key, "recovery.existing_credential.accept.issuer");
    let (key, ..) =
        one_error(&format!("{BASE}\n[recovery.existing_credential]\nmax_age_days = 0\n"));
    assert_eq!(key, "recovery.existing_credential.max_age_days");
}

#[test]
fn the_verified_employee_offer_is_off_unless_configured() {
    assert!(!load(BASE).expect("ok").engine.offer_verified_employee);
    let c = load(&format!("{BASE}\n[recovery]\noffer_verified_employee = true\n")).expect("ok");
    assert!(c.engine.offer_verified_employee);
}

#[test]
fn timeouts_map_to_the_engine_and_are_range_checked() {
    let c = load(&format!("{BASE}\n[timeouts]\nshow_tap_secs = 45\nidle_secs = 30\n")).expect("ok");
    assert_eq!(c.engine.timeouts.show_tap_secs, 45);
    assert_eq!(c.engine.timeouts.identify_secs, 120);
    assert_eq!(c.engine.idle_timeout_secs, 30);
    let (key, line, ..) = one_error(&format!("{BASE}\n[timeouts]\n\nscan_id_secs = 4\n"));
    assert_eq!((key.as_str(), line), ("timeouts.scan_id_secs", 27));
}

#[test]
fn https_required_except_loopback() {
    let (key, line, col, msg) =
        one_error(&format!("{BASE}\n[endpoints]\ngraph = \"http://graph.example.com\"\n"));
    assert_eq!((key.as_str(), line, col), ("endpoints.graph", 26, 9));
    assert!(msg.starts_with("must use https"), "{msg}");
    let (key, line, ..) =
        one_error(&replace("https://relay.contoso.com", "http://relay.contoso.com"));
    assert_eq!((key.as_str(), line), ("relay.url", 16));
    for ok in ["http://127.0.0.1:8400/graph", "http://localhost:1", "http://[::1]:8400"] {
        load(&format!("{BASE}\n[endpoints]\ngraph = \"{ok}\"\n")).expect(ok);
    }
    let (key, ..) = one_error(&format!("{BASE}\n[endpoints]\nlogin = \"ftp://x.example\"\n"));
    assert_eq!(key, "endpoints.login");
    let (key, _, _, msg) = one_error(&format!("{BASE}\n[endpoints]\nlogin = \"not a url\"\n"));
    assert_eq!(key, "endpoints.login");
    assert!(msg.starts_with("not a URL"), "{msg}");
}

#[test]
fn unknown_locale_and_mode() {
    let (key, line, col, msg) = one_error(&replace("locale = \"de\"", "locale = \"it\""));
    assert_eq!((key.as_str(), line, col), ("station.locale", 3, 10));
    assert!(msg.contains("`en`, `de`, `fr`, `es`, `pl`"), "{msg}");
    let (key, line, ..) = one_error(&replace("locale = \"de\"", "mode = \"staging\""));
    assert_eq!((key.as_str(), line), ("station.mode", 3));
}

#[test]
fn duplicate_provider_ids() {
    let second = "\n[[providers]]\nid = \"trueid\"\ndisplay_name = \"Again\"\n\
                  issuer_did = \"did:web:x.example\"\ncapture_api_url = \"https://x.example\"\n\
                  documents = [\"id_card\"]\n";
    let (key, line, _, msg) = one_error(&format!("{BASE}{second}"));
    assert_eq!((key.as_str(), line), ("providers[1].id", 26));
    assert_eq!(msg, "duplicate provider id \"trueid\" (first on line 19)");
}

#[test]
fn provider_documents_and_urls() {
    let (key, line, col, _) =
        one_error(&replace("[\"passport\"]", "[\"passport\", \"library_card\"]"));
    assert_eq!((key.as_str(), line, col), ("providers[0].documents[1]", 23, 26));
    let (key, ..) = one_error(&replace("[\"passport\"]", "[]"));
    assert_eq!(key, "providers[0].documents");
    let (key, line, ..) =
        one_error(&replace("hosted_flow_url = \"https://idv.trueid.example/reclaim\"\n", ""));
    assert_eq!((key.as_str(), line), ("providers[0].hosted_flow_url", 18));
}

/// A link-only provider after `BASE`'s: `[[providers]]` on line 25, `kind` on 28,
/// `onboarding_url` on 29, `issuer_did` on 30.
const LINK: &str = "\n[[providers]]\nid = \"quickid\"\ndisplay_name = \"QuickID\"\nkind = \"link\"\n\
                    onboarding_url = \"https://quickid.example/onboard?tenant=contoso\"\n\
                    issuer_did = \"did:web:quickid.example\"\n";

#[test]
fn a_link_only_provider_has_its_onboarding_page_and_no_api_or_secrets() {
    let c = load(&format!("{BASE}{LINK}")).expect("valid");
    let p = c.provider("quickid").expect("quickid");
    assert_eq!(p.kind, ProviderKind::Link);
    assert_eq!(
        p.onboarding_url.as_ref().map(|u| u.as_str()),
        Some("https://quickid.example/onboard?tenant=contoso")
    );
    assert!(p.hosted_flow_url.is_none() && p.capture_api_url.is_none() && p.documents.is_empty());
    assert_eq!(c.provider("trueid").map(|p| p.kind), Some(ProviderKind::Api), "api by default");
    let names: Vec<String> = c.required_secrets().iter().map(SecretName::account).collect();
    assert_eq!(names, ["client-secret", "relay-credential", "provider.trueid.link-signing-key"]);
    // Documents, when listed, follow the same rules.
    let with_docs = format!("{BASE}{LINK}documents = [\"passport\", \"id_card\"]\n");
    let c = load(&with_docs).expect("valid");
    assert_eq!(c.provider("quickid").map(|p| p.documents.len()), Some(2));
}

#[test]
fn link_only_provider_errors_name_the_key_and_line() {
    let no_page =
        LINK.replace("onboarding_url = \"https://quickid.example/onboard?tenant=contoso\"\n", "");
    let (key, line, _, msg) = one_error(&format!("{BASE}{no_page}"));
    assert_eq!((key.as_str(), line), ("providers[1].onboarding_url", 25));
    assert_eq!(msg, "missing (required)");

    let api_too = format!("{BASE}{LINK}hosted_flow_url = \"https://quickid.example/api\"\n");
    let (key, line, col, msg) = one_error(&api_too);
    assert_eq!((key.as_str(), line, col), ("providers[1].hosted_flow_url", 31, 19));
    assert!(msg.starts_with("a link-only provider (kind = \"link\") has no API"), "{msg}");

    let plain = LINK.replace("https://quickid.example/onboard", "http://quickid.example/onboard");
    let (key, line, col, msg) = one_error(&format!("{BASE}{plain}"));
    assert_eq!((key.as_str(), line, col), ("providers[1].onboarding_url", 29, 18));
    assert!(msg.starts_with("must use https"), "{msg}");

    let odd = LINK.replace("kind = \"link\"", "kind = \"portal\"");
    let all = errors(&format!("{BASE}{odd}"));
    assert_eq!(all[0].0, "providers[1].kind");
    assert_eq!(all[0].1, 28);
    assert!(all[0].3.contains("expected \"api\" or \"link\""), "{}", all[0].3);

    let api_with_page = replace(
        "hosted_flow_url = \"https://idv.trueid.example/reclaim\"\n",
        "hosted_flow_url = \"https://idv.trueid.example/reclaim\"\n\
         onboarding_url = \"https://idv.trueid.example/onboard\"\n",
    );
    let (key, line, ..) = one_error(&api_with_page);
    assert_eq!((key.as_str(), line), ("providers[0].onboarding_url", 23));
}

#[test]
fn certificate_path_must_exist() {
    let text = replace(
        "kind = \"secret\"",
        "kind = \"certificate\"\npath = \"/nonexistent/kiosk.pfx\"\nheader = \"x5t\"",
    );
    let (key, line, col, msg) = one_error(&text);
    assert_eq!((key.as_str(), line, col), ("tenant.credential.path", 11, 8));
    assert_eq!(msg, "does not exist (\"/nonexistent/kiosk.pfx\")");
}

#[test]
fn certificate_options_are_checked() {
    let cert = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../reclaim-emulator/fixtures/demo-credentials/kiosk-demo.pfx");
    let cert = cert.to_str().expect("utf-8");
    let all = errors(&replace(
        "kind = \"secret\"",
        &format!(
            "kind = \"certificate\"\npath = \"{cert}\"\nkey_path = \"{cert}\"\nheader = \"x5t#S512\""
        ),
    ));
    let keys: Vec<_> = all.iter().map(|(k, l, ..)| (k.as_str(), *l)).collect();
    assert_eq!(keys, [("tenant.credential.key_path", 12), ("tenant.credential.header", 13)]);
    let (key, line, ..) =
        one_error(&replace("kind = \"secret\"", "kind = \"secret\"\nformat = \"pem\""));
    assert_eq!((key.as_str(), line), ("tenant.credential.format", 11));
    let (key, line, ..) = one_error(&replace("kind = \"secret\"", "kind = \"password\""));
    assert_eq!((key.as_str(), line), ("tenant.credential.kind", 10));
}

#[test]
fn unknown_keys_are_rejected_with_their_line() {
    let (key, line, col, msg) =
        one_error(&replace("locale = \"de\"", "locale = \"de\"\ncolour = \"red\""));
    assert_eq!((key.as_str(), line, col), ("station.colour", 4, 1));
    assert!(msg.starts_with("unknown field `colour`"), "{msg}");

    let (key, line, ..) = one_error(&format!("{BASE}\n[cache]\nsize = 1\n"));
    assert_eq!((key.as_str(), line), ("cache", 25));

    let (key, line, ..) =
        one_error(&replace("documents = [", "document_types = []\ndocuments = ["));
    assert_eq!((key.as_str(), line), ("providers[0].document_types", 23));

    let (key, line, ..) = one_error(&replace("kind = \"secret\"", "kind = \"secret\"\nkid = 1"));
    assert_eq!((key.as_str(), line), ("tenant.credential.kid", 11));
}

#[test]
fn an_unknown_key_or_wrong_type_does_not_hide_the_sections_other_errors() {
    let text =
        replace("id = \"lobby-1\"\nlocale = \"de\"", "id = \"lobby 1\"\ncolour = 1\nlocale = 7")
            .replace("kind = \"secret\"", "kind = \"secret\"\npassword = \"x\"\nheader = \"x5t\"");
    let all = errors(&text);
    let keys: Vec<_> = all.iter().map(|(k, l, ..)| (k.as_str(), *l)).collect();
    assert_eq!(
        keys,
        [
            ("station.id", 2),
            ("station.colour", 3),
            ("station.locale", 4),
            ("tenant.credential.password", 12),
            ("tenant.credential.header", 13),
        ]
    );
}

#[test]
fn wrong_types_name_the_key() {
    let (key, line, _, msg) = one_error(&format!("{BASE}\n[logging]\nmax_files = \"ten\"\n"));
    assert_eq!((key.as_str(), line), ("logging.max_files", 26));
    assert!(msg.contains("invalid type"), "{msg}");
    let (key, line, ..) =
        one_error(&replace("documents = [\"passport\"]", "documents = \"passport\""));
    assert_eq!((key.as_str(), line), ("providers[0].documents", 23));
}

#[test]
fn missing_keys_and_sections_point_at_their_table() {
    let (key, line, _, msg) =
        one_error(&replace("client_id = \"11111111-2222-4333-8444-555555555555\"\n", ""));
    assert_eq!((key.as_str(), line), ("tenant.client_id", 5));
    assert_eq!(msg, "missing (required)");
    let no_relay = replace("[relay]\nurl = \"https://relay.contoso.com\"\n", "");
    let (key, line, _, msg) = one_error(&no_relay);
    assert_eq!((key.as_str(), line), ("relay", 1));
    assert!(msg.contains("station.mode = \"production\""), "{msg}");
}

#[test]
fn several_errors_are_reported_together_in_file_order() {
    let text = replace("locale = \"de\"", "locale = \"xx\"")
        .replace("client_id = \"11111111-2222-4333-8444-555555555555\"", "client_id = \"nope\"")
        .replace("did:web:verifiedid.contoso.com", "verifiedid.contoso.com")
        + "\n[recovery]\nface_check_threshold = 10\nmax_upn_len = 2\n[logging]\nmax_files = 0\n[bogus]\n";
    let all = errors(&text);
    let keys: Vec<_> = all.iter().map(|(k, l, ..)| (k.as_str(), *l)).collect();
    assert_eq!(
        keys,
        [
            ("station.locale", 3),
            ("tenant.client_id", 7),
            ("verifier.authority", 13),
            ("recovery.face_check_threshold", 26),
            ("recovery.max_upn_len", 27),
            ("logging.max_files", 29),
            ("bogus", 30),
        ]
    );
    let display = load(&text).expect_err("errors").to_string();
    assert_eq!(display.lines().count(), 7, "{display}");
    assert!(display.lines().all(|l| l.starts_with("cfg.toml:")), "{display}");
}

#[test]
fn syntax_errors_have_a_position() {
    let err = load("[station]\nid = \"lobby-1\nlocale = \"en\"\n").expect_err("syntax");
    let first = err.errors()[0];
    assert!(matches!(first, ConfigError::Syntax { line: 2, .. }), "{first}");
    assert!(first.to_string().starts_with("cfg.toml:2:"), "{first}");
    let err = load("[station]\nid = 1\nid = 2\n").expect_err("duplicate key");
    assert_eq!(err.errors()[0].line(), Some(3), "{err}");
}

#[test]
fn updater_is_checked() {
    let ok = reclaim_config::EXAMPLE
        .lines()
        .find(|l| l.starts_with("pubkey"))
        .expect("pubkey line")
        .to_owned();
    let section = format!(
        "\n[updater]\nendpoint = \"https://u.example/{{{{target}}}}/{{{{arch}}}}\"\n{ok}\n"
    );
    let c = load(&format!("{BASE}{section}")).expect("valid updater");
    assert_eq!(c.updater.expect("updater").endpoint, "https://u.example/{{target}}/{{arch}}");
    let (key, line, ..) =
        one_error(&format!("{BASE}{}", section.replace(&ok, "pubkey = \"RWQ123\"")));
    assert_eq!((key.as_str(), line), ("updater.pubkey", 27));
    let (key, ..) = one_error(&format!("{BASE}\n[updater]\nendpoint = \"https://u.example\"\n"));
    assert_eq!(key, "updater.pubkey");
}

// ── secrets never in the file, never in an error, never in Debug ─────────────────────────────

#[test]
fn a_secret_written_into_the_file_is_refused_without_being_echoed() {
    let text = replace("kind = \"secret\"", "kind = \"secret\"\nsecret = \"hunter2-very-secret\"");
    let (key, line, _, msg) = one_error(&text);
    assert_eq!((key.as_str(), line), ("tenant.credential.secret", 11));
    assert!(msg.contains("keyring") && !msg.contains("hunter2"), "{msg}");

    let text = replace(
        "url = \"https://relay.contoso.com\"",
        "url = \"https://relay.contoso.com\"\nstation_credential = \"s3cr3t-relay-credential-value\"",
    );
    let err = load(&text).expect_err("literal credential").to_string();
    assert!(err.contains("relay.station_credential") && !err.contains("s3cr3t"), "{err}");
    load(&replace(
        "url = \"https://relay.contoso.com\"",
        "url = \"https://relay.contoso.com\"\nstation_credential = \"keyring:relay-credential\"",
    ))
    .expect("the reference is fine");

    let text = replace("https://relay.contoso.com", "https://kiosk:pa55word@relay.contoso.com");
    let err = load(&text).expect_err("credential in URL").to_string();
    assert!(err.contains("relay.url") && !err.contains("pa55word"), "{err}");
}

#[test]
fn memory_store_set_get_delete() {
    let store = MemoryStore::new();
    let name = SecretName::RelayCredential;
    let value = SecretString::from("relay-credential-0123456789".to_owned());
    store.set(&name, &value).expect("set");
    assert_eq!(store.get(&name).expect("get").expose_secret(), "relay-credential-0123456789");
    store.delete(&name).expect("delete");
    assert!(matches!(store.get(&name), Err(SecretError::Missing { .. })));
    assert!(matches!(store.delete(&name), Err(SecretError::Missing { .. })));
    let short = SecretString::from("short".to_owned());
    let err = store.set(&name, &short).expect_err("too short");
    assert!(!err.to_string().contains("short\""), "{err}");
}

#[test]
fn config_secrets_come_from_the_store() {
    let c = load(BASE).expect("valid");
    let err = c.client_credential(&MemoryStore::new()).expect_err("missing").to_string();
    assert!(
        err.contains("`client-secret`") && err.contains("reclaim-config set-secret client-secret"),
        "{err}"
    );
    let store = MemoryStore::new()
        .with(&SecretName::ClientSecret, "client-secret-value-XYZ")
        .with(&SecretName::RelayCredential, "relay-credential-value-XYZ");
    let reclaim_entra::ClientCredential::Secret(s) = c.client_credential(&store).expect("secret")
    else {
        panic!("secret credential")
    };
    assert_eq!(s.expose(), "client-secret-value-XYZ");
    assert_eq!(
        c.relay_credential(&store).expect("relay").expose_secret(),
        "relay-credential-value-XYZ"
    );
}

#[test]
fn debug_output_never_contains_a_secret() {
    let dir = tempfile::tempdir().expect("tempdir");
    let values = [
        "client-secret-value-XYZ",
        "relay-credential-value-XYZ",
        "certificate-password-XYZ",
        "link-signing-key-value-XYZ",
    ];
    let store = MemoryStore::new()
        .with(&SecretName::ClientSecret, values[0])
        .with(&SecretName::RelayCredential, values[1])
        .with(&SecretName::CertificatePassword, values[2])
        .with(&SecretName::ProviderLinkKey("trueid".into()), values[3]);
    let config = load(BASE).expect("valid");
    let emulator = emulator_config(dir.path());
    let secret = store.get(&SecretName::ClientSecret).expect("get");
    let credential = config.client_credential(&store).expect("credential");
    let cert_credential = emulator.client_credential(&store).expect("pem");
    let dumps = [
        format!("{config:?}"),
        format!("{config:#?}"),
        format!("{emulator:#?}"),
        format!("{store:?}"),
        format!("{store:#?}"),
        format!("{secret:?}"),
        format!("{credential:?}"),
        format!("{cert_credential:?}"),
    ];
    for dump in &dumps {
        for v in values {
            assert!(!dump.contains(v), "secret in Debug: {dump}");
        }
        assert!(!dump.contains("BEGIN"), "key material in Debug: {dump}");
    }
    assert!(dumps[3].contains("client-secret"), "the store lists names: {}", dumps[3]);
}

#[test]
fn http_client_trusts_the_ca_file() {
    let c = load(BASE).expect("valid");
    c.http_client().expect("no ca_file: the default client");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut emulator = emulator_config(dir.path());
    let err = emulator.http_client().expect_err("the stub is not a certificate");
    assert!(
        matches!(&err, ConfigError::Certificate { path, .. } if path.ends_with("ca.pem")),
        "{err}"
    );
    let pem = docs_dir()
        .join("../../crates/reclaim-emulator/fixtures/demo-credentials/kiosk-demo.cert.pem");
    emulator.endpoints.ca_file = Some(pem);
    emulator.http_client().expect("a real PEM certificate is accepted");
}

#[test]
fn virtual_cameras_are_refused_unless_the_station_allows_them() {
    assert!(!load(BASE).expect("valid").station.allow_virtual_camera, "off by default");
    let on = load(&replace("locale = \"de\"", "locale = \"de\"\nallow_virtual_camera = true"));
    assert!(on.expect("valid").station.allow_virtual_camera);
    let (key, line, _, msg) =
        one_error(&replace("locale = \"de\"", "locale = \"de\"\nallow_virtual_camera = \"yes\""));
    assert_eq!((key.as_str(), line), ("station.allow_virtual_camera", 4));
    assert!(msg.contains("invalid type"), "{msg}");
}

#[test]
fn a_second_binding_is_read_and_its_mistakes_are_named() {
    use reclaim_core::records::{BindingCompare, SecondBinding};
    let text = format!(
        "{BASE}\n[recovery.second_binding]\nattribute = \"extension_3a0000000000400080000000000000e1_dobHash\"\nclaim = \"dateOfBirth\"\ncompare = \"sha256\"\nprofiles = [\"9a000000-0000-4000-8000-0000000000f1\"]\n"
    );
    let cfg = load(&text).expect("valid");
    assert_eq!(
        cfg.engine.second_binding,
        Some(SecondBinding {
            attribute: "extension_3a0000000000400080000000000000e1_dobHash".into(),
            claim: "dateOfBirth".into(),
            compare: BindingCompare::Sha256,
            profiles: vec!["9a000000-0000-4000-8000-0000000000f1".into()],
        })
    );
    // Without one, nothing is bound beyond the names.
    assert_eq!(load(BASE).expect("valid").engine.second_binding, None);

    let (key, line, _, msg) = one_error(&format!(
        "{BASE}\n[recovery.second_binding]\nattribute = \"employeeId\"\nclaim = \"dateOfBirth\"\ncompare = \"md5\"\n"
    ));
    assert_eq!((key.as_str(), line), ("recovery.second_binding.compare", 28));
    assert!(msg.contains("sha256"), "{msg}");
    let (key, line, ..) = one_error(&format!(
        "{BASE}\n[recovery.second_binding]\nattribute = \"manager/id\"\nclaim = \"dateOfBirth\"\n"
    ));
    assert_eq!((key.as_str(), line), ("recovery.second_binding.attribute", 26));
    let (key, _, _, msg) =
        one_error(&format!("{BASE}\n[recovery.second_binding]\nattribute = \"employeeId\"\n"));
    assert_eq!(key.as_str(), "recovery.second_binding.claim");
    assert!(msg.contains("required"), "{msg}");
}

// ── `[recovery.notify]`: the owner's notice after a recovery (issue 16 item 5) ──────────────

#[test]
fn the_notice_section_is_read_with_its_defaults() {
    let cfg = load(&format!(
        "{BASE}\n[recovery.notify]\nfrom = \"recovery-desk@contoso.com\"\nmanager = true\nrevoke_sessions = true\n"
    ))
    .expect("valid");
    assert_eq!(
        cfg.notify,
        Some(Notify {
            from: "recovery-desk@contoso.com".into(),
            manager: true,
            revoke_sessions: true,
        })
    );
    // With a sender alone it is on; the manager copy and the revocation are opt-in.
    let cfg = load(&format!("{BASE}\n[recovery.notify]\nfrom = \"recovery-desk@contoso.com\"\n"))
        .expect("valid");
    assert_eq!(
        cfg.notify,
        Some(Notify {
            from: "recovery-desk@contoso.com".into(),
            manager: false,
            revoke_sessions: false,
        })
    );
    // It sits beside the other [recovery] keys without disturbing them.
    let cfg = load(&format!(
        "{BASE}\n[recovery]\nface_check_threshold = 80\n\n[recovery.notify]\nfrom = \"5e0c0000-0000-4000-8000-000000000001\"\n"
    ))
    .expect("valid");
    assert_eq!(cfg.engine.face_check_threshold, 80);
    assert_eq!(cfg.notify.map(|n| n.from).as_deref(), Some("5e0c0000-0000-4000-8000-000000000001"));
    // Absent, or switched off: no notices.
    assert_eq!(load(BASE).expect("valid").notify, None);
    let off = format!("{BASE}\n[recovery.notify]\nfrom = \"desk@contoso.com\"\nenabled = false\n");
    assert_eq!(load(&off).expect("valid").notify, None);
}

#[test]
fn notice_mistakes_name_the_key_and_line() {
    let (key, line, _, msg) = one_error(&format!("{BASE}\n[recovery.notify]\nmanager = true\n"));
    assert_eq!((key.as_str(), line), ("recovery.notify.from", 25));
    assert!(msg.contains("required"), "{msg}");

    let (key, line, _, msg) = one_error(&format!(
        "{BASE}\n[recovery.notify]\nmanager = true\nfrom = \"recovery desk\"\n"
    ));
    assert_eq!((key.as_str(), line), ("recovery.notify.from", 27));
    assert!(msg.contains("not a mailbox address"), "{msg}");

    let (key, line, _, msg) = one_error(&format!(
        "{BASE}\n[recovery.notify]\nfrom = \"desk@contoso.com\"\nmanager = \"yes\"\n"
    ));
    assert!(key.starts_with("recovery"), "{key}");
    assert_eq!(line, 27, "{msg}");

    let (key, _, _, msg) = one_error(&format!(
        "{BASE}\n[recovery.notify]\nfrom = \"desk@contoso.com\"\nbcc = \"x@y.z\"\n"
    ));
    assert!(key.starts_with("recovery"), "{key}");
    assert!(msg.contains("bcc"), "{msg}");
}
