//! `reclaim-service scan`: the demo tenant's readiness report names exactly the users each kind
//! of finding should (the fixture has a user for every kind), in a table, CSV that parses and an
//! HTML page; a tenant that cannot be reached or a file that does not load exits 2 with a clear
//! `code: message`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod offline;

use std::os::unix::fs::PermissionsExt as _;
use std::process::Command;

use reclaim_service::scan::{self, FindingKind, ScanReport};

fn reclaim() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_reclaim-service"));
    // No keyring reachable, whatever session the tests run in.
    cmd.env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/reclaim-scan-test");
    cmd.env_remove("RECLAIM_LOG");
    cmd
}

/// What the demo tenant's scan must report, per kind (principal names, sorted).
fn expected(kind: FindingKind) -> Vec<&'static str> {
    match kind {
        FindingKind::Disabled => vec!["dana.whitfield@contoso.example"],
        FindingKind::Guest => vec!["gina.okafor_partner.example#EXT#@contoso.example"],
        FindingKind::PrivilegedRole => vec![
            "hugo.lind@contoso.example",
            "olga.petrova@contoso.example",
            "petra.holm@contoso.example",
        ],
        FindingKind::OutsideTapPolicy => vec!["tomas.berg@contoso.example"],
        FindingKind::BlankName => vec!["kiri@contoso.example", "sam.blank@contoso.example"],
        FindingKind::NonLatinName => vec!["dmitri.volkov@contoso.example"],
        FindingKind::InitialsOnly => vec!["jr.mwangi@contoso.example"],
        // Ana Lima Costa's own names (Ana / Lima Costa) also match Ana Lima (relaxed: extra
        // words on the credential pass); Ana Lima's (Ana / Lima) do not match her.
        FindingKind::Duplicate => vec![
            "ana.costa@contoso.example",
            "james.smith2@contoso.example",
            "james.smith@contoso.example",
        ],
    }
}

fn assert_demo_findings(report: &ScanReport) {
    for kind in FindingKind::ALL {
        assert_eq!(report.upns(kind), expected(kind), "{kind}:\n{}", scan::render_table(report));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_tenant_reports_exactly_the_expected_users_per_kind_and_profile() {
    let report = scan::scan_demo().await.unwrap();
    assert_demo_findings(&report);

    // One section per enabled recovery profile, by priority; the retired one is not there.
    let names: Vec<&str> = report.profiles.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Recovery – production",
            "Recovery – pilot",
            "Recovery – strict",
            "Recovery – checked with HR",
            "Recovery – QuickID"
        ]
    );
    // Every finding is in the production profile: the others' users are all fine (the pilot's
    // users are in no TAP group, but an evaluation profile never issues a pass).
    for p in &report.profiles[1..] {
        assert!(p.findings.is_empty(), "{}: {:?}", p.name, p.findings);
        assert!(p.in_scope > 0, "{}", p.name);
    }
    assert!(report.profiles[1].evaluation_mode);
    let production = &report.profiles[0];
    assert!(!production.evaluation_mode);
    // Excluded (Executives) and out-of-group users are not in scope.
    let text = scan::render_table(&report);
    assert!(!text.contains("eli.brandt@"), "{text}");
    assert!(!text.contains("nora.quinn@"), "{text}");

    // Each duplicate names the other; the blank names say which field.
    let detail = |upn: &str, kind: FindingKind| {
        production
            .findings
            .iter()
            .find(|f| f.kind == kind && f.upn.expose() == upn)
            .map(|f| f.detail.clone())
            .unwrap_or_else(|| panic!("{upn} {kind}"))
    };
    let d = detail("james.smith@contoso.example", FindingKind::Duplicate);
    assert!(d.contains("also matches james.smith2@contoso.example"), "{d}");
    assert!(d.contains("relaxed"), "{d}");
    let d = detail("james.smith2@contoso.example", FindingKind::Duplicate);
    assert!(d.contains("also matches james.smith@contoso.example"), "{d}");
    let d = detail("ana.costa@contoso.example", FindingKind::Duplicate);
    assert!(d.contains("also matches ana.lima@contoso.example"), "{d}");
    let d = detail("kiri@contoso.example", FindingKind::BlankName);
    assert!(d.starts_with("surname is blank"), "{d}");
    let d = detail("sam.blank@contoso.example", FindingKind::BlankName);
    assert!(d.starts_with("given name and surname are blank"), "{d}");
    let d = detail("tomas.berg@contoso.example", FindingKind::OutsideTapPolicy);
    assert!(d.starts_with("excluded from the TemporaryAccessPass policy"), "{d}");

    // The table: one section per profile, aligned columns, the summary last.
    assert!(text.contains("Profile \"Recovery – production\" (9a000000-0000-4000-8000-000000000001, production mode)"), "{text}");
    assert!(
        text.contains(
            "Profile \"Recovery – pilot\" (9a000000-0000-4000-8000-000000000002, evaluation mode)"
        ),
        "{text}"
    );
    let last = text.lines().last().unwrap();
    assert!(last.starts_with("scanned "), "{text}");
    assert!(last.contains("5 recovery profiles: 13 findings ("), "{last}");
    let header = text.lines().find(|l| l.contains("USER PRINCIPAL NAME")).unwrap();
    let col = header.find("USER PRINCIPAL NAME").unwrap();
    let row = text.lines().find(|l| l.contains("olga.petrova@contoso.example")).unwrap();
    assert_eq!(row.find("olga.petrova@"), Some(col), "aligned:\n{text}");
    // Only principal and display names: the directory's separate name fields never appear
    // outside the display name (Kiri's display name is the given name; Sam has none).
    assert!(text.contains("Sam (no names on file)"), "{text}");
    let debug = format!("{report:?}");
    assert!(!debug.contains("@contoso.example"), "Debug redacts: {debug}");
    assert!(!debug.contains("Дмитрий"), "Debug redacts: {debug}");
}

/// RFC 4180 records (CRLF line ends, quoted fields with doubled quotes).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                c => field.push(c),
            }
            continue;
        }
        match c {
            '"' => {
                assert!(field.is_empty(), "a quote inside an unquoted field: {text}");
                quoted = true;
            }
            ',' => row.push(std::mem::take(&mut field)),
            '\r' => {
                assert_eq!(chars.next(), Some('\n'), "CR without LF");
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            '\n' => panic!("a bare LF ends a record: {text}"),
            c => field.push(c),
        }
    }
    assert!(!quoted, "an unterminated quoted field");
    assert!(field.is_empty() && row.is_empty(), "the last record ends with CRLF");
    rows
}

#[test]
fn the_cli_writes_csv_that_parses_with_one_row_per_finding() {
    let out = reclaim().args(["scan", "--demo", "--format", "csv"]).output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let rows = parse_csv(&stdout);
    assert_eq!(
        rows[0],
        ["profile", "finding", "user principal name", "user id", "detail"],
        "the header row"
    );
    let total: usize = FindingKind::ALL.iter().map(|k| expected(*k).len()).sum();
    assert_eq!(rows.len(), 1 + total, "{stdout}");
    for kind in FindingKind::ALL {
        let mut upns: Vec<&str> =
            rows[1..].iter().filter(|r| r[1] == kind.code()).map(|r| r[2].as_str()).collect();
        upns.sort_unstable();
        assert_eq!(upns, expected(kind), "{kind}");
    }
    for r in &rows[1..] {
        assert_eq!(r.len(), 5, "{r:?}");
        assert_eq!(r[0], "Recovery – production");
        assert!(r[3].starts_with("1a000000-"), "the user id: {r:?}");
    }
    // A detail with a comma came through whole (it was quoted).
    let olga = rows.iter().find(|r| r[2] == "olga.petrova@contoso.example").unwrap();
    assert!(olga[4].contains("(active, through a group or eligible)"), "{olga:?}");
    assert!(stdout.contains("\"holds a directory role"), "quoted: {stdout}");
    // No display names in the CSV (its columns are the principal name and id).
    assert!(!stdout.contains("Дмитрий") && !stdout.contains("Olga Petrova"), "{stdout}");
}

#[test]
fn the_cli_writes_a_standalone_html_page_to_a_file_and_the_table_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("readiness.html");
    let out = reclaim().args(["scan", "--demo", "--format", "html", "--out"]).arg(&file).output();
    let out = out.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(out.stdout.is_empty(), "the report went to the file");
    assert!(stderr.contains("13 findings"), "the summary on stderr: {stderr}");
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the report names users: its owner's alone");
    let html = std::fs::read_to_string(&file).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"), "{html}");
    assert!(html.contains("<caption>Recovery – production: 13 findings</caption>"), "{html}");
    assert!(html.contains("<th scope=\"col\">User principal name</th>"), "{html}");
    // `#` and the display names are escaped text, nothing is loaded from elsewhere.
    assert!(html.contains("gina.okafor_partner.example#EXT#@contoso.example"), "{html}");
    assert!(html.contains("Дмитрий Волков"), "{html}");
    assert!(!html.contains("src=") && !html.contains("href="), "{html}");

    let out = reclaim().args(["scan", "--demo"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.starts_with("Profile \"Recovery – production\""), "{stdout}");
    assert!(stdout.trim_end().lines().last().unwrap().starts_with("scanned "), "{stdout}");
}

/// A production file whose every host is `root`, with its client secret in a secrets file.
fn offline_config(dir: &std::path::Path, root: &str) -> std::path::PathBuf {
    let secrets = dir.join("secrets.toml");
    std::fs::write(&secrets, "client-secret = \"client-secret-value\"\n").unwrap();
    std::fs::set_permissions(&secrets, std::fs::Permissions::from_mode(0o600)).unwrap();
    let text = format!(
        "{}\n[server]\nlisten = \"127.0.0.1:0\"\npublic_url = \"https://recovery.contoso.example\"\nstate_dir = '{}'\nsecrets_file = '{}'\n",
        offline::offline_toml("scan-test", root),
        dir.join("state").display(),
        secrets.display(),
    );
    let path = dir.join("reclaim.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn an_unreachable_tenant_exits_2_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let path = offline_config(dir.path(), "http://127.0.0.1:9");
    let started = std::time::Instant::now();
    let out = reclaim().args(["scan", "--format", "csv", "--config"]).arg(&path).output().unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(30), "said in seconds");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(out.stdout.is_empty(), "no report: {}", String::from_utf8_lossy(&out.stdout));
    assert!(stderr.starts_with("reclaim-service scan: "), "{stderr}");
    // The token endpoint is the first thing that cannot be reached.
    assert!(
        stderr.contains("tenant_unreachable: cannot reach the tenant")
            || stderr.contains("tenant_auth_failed"),
        "{stderr}"
    );
    assert!(stderr.contains("127.0.0.1:9") || stderr.contains("[endpoints]"), "{stderr}");
}

#[test]
fn a_file_that_does_not_load_or_no_source_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reclaim.toml");
    std::fs::write(&path, "[station]\nid = \"kiosk-1\"\nmode = = \"production\"\n").unwrap();
    let out = reclaim().args(["scan", "--config"]).arg(&path).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("config_invalid") && stderr.contains("reclaim.toml:3:"), "{stderr}");

    // A demo-mode file has no tenant to scan.
    std::fs::write(&path, "[station]\nid = \"kiosk-1\"\nmode = \"demo\"\n").unwrap();
    let out = reclaim().args(["scan", "--config"]).arg(&path).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("config_not_production"), "{stderr}");

    // Neither a file nor --demo: clap's usage error (exit 2).
    let out = reclaim().args(["scan"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}
