//! `[recovery.notify]`: the owner's notice after a recovery (issue 16 item 5): read with its
//! defaults, and every mistake named with its key path and line.

use std::path::Path;

use reclaim_config::{Config, ConfigError, Notify};

/// A small valid production file (23 lines; the section below it starts on line 25).
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

fn load(text: &str) -> Result<Config, ConfigError> {
    Config::from_toml(text, "cfg.toml", Path::new(env!("CARGO_MANIFEST_DIR")))
}

/// The one error of `text`: (key, line, message).
fn one_error(text: &str) -> (String, usize, String) {
    let e = load(text).expect_err("expected an error");
    let errors = e.errors();
    assert_eq!(errors.len(), 1, "{e}");
    let e = &errors[0];
    (e.key().unwrap_or("").to_owned(), e.line().unwrap_or(0), e.message())
}

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
    let (key, line, msg) = one_error(&format!("{BASE}\n[recovery.notify]\nmanager = true\n"));
    assert_eq!((key.as_str(), line), ("recovery.notify.from", 25));
    assert!(msg.contains("required"), "{msg}");

    let (key, line, msg) = one_error(&format!(
        "{BASE}\n[recovery.notify]\nmanager = true\nfrom = \"recovery desk\"\n"
    ));
    assert_eq!((key.as_str(), line), ("recovery.notify.from", 27));
    assert!(msg.contains("not a mailbox address"), "{msg}");

    let (key, line, msg) = one_error(&format!(
        "{BASE}\n[recovery.notify]\nfrom = \"desk@contoso.com\"\nmanager = \"yes\"\n"
    ));
    assert!(key.starts_with("recovery"), "{key}");
    assert_eq!(line, 27, "{msg}");

    let (key, _, msg) = one_error(&format!(
        "{BASE}\n[recovery.notify]\nfrom = \"desk@contoso.com\"\nbcc = \"x@y.z\"\n"
    ));
    assert!(key.starts_with("recovery"), "{key}");
    assert!(msg.contains("bcc"), "{msg}");
}
