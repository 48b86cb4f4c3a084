//! `reclaim-service doctor` against the in-process emulator and a relay by URL, from a production file as
//! an admin writes it: over TLS with the emulator's CA every check passes and the same file then
//! completes a recovery with the doctor as the engine's pre-flight (production mode is
//! configuration, not code); a wrong client secret, a wrong relay credential, a 403 from Graph, an
//! app without the permissions, a missing secret, a far-off clock each fail the right line with
//! what to fix; and the `reclaim-service doctor` binary's exit codes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../reclaim-engine/tests/common/mod.rs"]
mod common;
mod offline;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use common::{Credential, STATION, Tenant, recover_ana_to_tap};
use reclaim_config::{Config, MemoryStore, SecretName, SecretStore};
use reclaim_engine::production::assemble;
use reclaim_engine::{Engine, PreflightProblem};
use reclaim_service::doctor::{self, Check, CheckId, Doctor, DoctorReport};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn line(report: &DoctorReport, id: CheckId) -> &Check {
    report.check(id).unwrap_or_else(|| panic!("no {id} line in\n{report}"))
}

/// Every check passed except `failed`; returns the report's text for more assertions.
fn only_failed(report: &DoctorReport, failed: &[CheckId]) -> String {
    let ids: Vec<CheckId> = report.checks.iter().map(|c| c.id).collect();
    assert_eq!(ids, CheckId::ALL, "every check, in order:\n{report}");
    for c in &report.checks {
        let expected = !failed.contains(&c.id);
        assert_eq!(c.passed, expected, "{}: {}\n{report}", c.id, c.detail);
        if !c.passed && !c.is_skipped() {
            assert!(c.fix.is_some(), "a failure says what to fix: {c:?}");
        }
    }
    report.to_string()
}

fn assert_no_secret(tenant: &Tenant, report: &DoctorReport) {
    let text = format!("{report}\n{}\n{report:?}", report.to_json());
    for value in tenant.secret_values() {
        assert!(!text.contains(&value), "a secret value is in the report: {text}");
    }
}

#[tokio::test]
async fn over_tls_every_check_passes_and_the_same_file_completes_a_recovery() {
    let tenant = Tenant::start(true).await;
    assert!(tenant.emulator.urls.login.starts_with("https://"), "the emulator serves TLS");
    let config = tenant.load(&tenant.toml(Credential::Certificate));
    assert!(config.endpoints.ca_file.is_some(), "the file trusts the emulator's CA");
    let store = tenant.secrets(Credential::Certificate);

    let report = doctor::run(&config, &store).await;
    let text = only_failed(&report, &[]);
    assert!(report.passed(), "{text}");
    assert_eq!(report.problems(), Vec::<PreflightProblem>::new());
    assert!(text.contains("PASS  clock skew             "), "{text}");
    let skew = &line(&report, CheckId::ClockSkew).detail;
    let host = format!("127.0.0.1:{}", port(&tenant.emulator.urls.login));
    assert!(skew.ends_with(&host), "{skew}");
    assert!(line(&report, CheckId::GraphToken).detail.contains("User.Read.All"), "{text}");
    assert!(line(&report, CheckId::GraphPermissions).detail.contains("may create TAPs"), "{text}");
    assert!(
        line(&report, CheckId::VerifiedId).detail.contains("did:web:verifiedid.contoso.example"),
        "{text}"
    );
    assert!(text.ends_with("all 8 checks passed: station prod-test-1 is ready"), "{text}");
    // A standalone station passes, and is told what it holds.
    assert!(
        text.contains("WARN  standalone mode: this station holds the tenant credential"),
        "{text}"
    );
    let json = report.to_json();
    assert_eq!(json["passed"], true);
    assert_eq!(json["warnings"][0], doctor::STANDALONE_WARNING);
    assert_eq!(json["checks"].as_array().map(Vec::len), Some(8));
    assert_no_secret(&tenant, &report);

    // The same file and secrets, the doctor as the pre-flight: a whole recovery to the TAP.
    let station = assemble(&config, &store).unwrap();
    let doctor = Arc::new(Doctor::new(config, Arc::new(store)));
    let engine = Engine::spawn_with_preflight(station.ports, station.settings, doctor);
    let view = engine.preflight().await;
    assert_eq!(view.problems, Vec::<PreflightProblem>::new());
    assert!(view.ready);
    recover_ana_to_tap(&tenant, &engine).await;
    drop(engine);
    tenant.shutdown().await;
}

fn port(url: &str) -> String {
    url::Url::parse(url).unwrap().port().unwrap().to_string()
}

#[tokio::test]
async fn a_wrong_client_secret_fails_the_tokens_with_the_aadsts_code_and_skips_what_needs_them() {
    let tenant = Tenant::start(false).await;
    let config = tenant.load(&tenant.toml(Credential::Secret));
    let store = tenant.secrets(Credential::Secret).with(&SecretName::ClientSecret, "not-it");

    let report = doctor::run(&config, &store).await;
    only_failed(
        &report,
        &[
            CheckId::GraphToken,
            CheckId::RequestServiceToken,
            CheckId::GraphPermissions,
            CheckId::RequestService,
            CheckId::VerifiedId,
        ],
    );
    for id in [CheckId::GraphToken, CheckId::RequestServiceToken] {
        let c = line(&report, id);
        assert!(!c.is_skipped());
        assert!(c.detail.contains("AADSTS7000215"), "{c:?}");
        assert!(c.detail.contains("invalid_client"), "{c:?}");
        let fix = c.fix.as_deref().unwrap_or_default();
        assert!(fix.contains("reclaim-config set-secret client-secret"), "{fix}");
    }
    assert_eq!(line(&report, CheckId::GraphPermissions).detail, "skipped: needs graph token");
    assert_eq!(
        line(&report, CheckId::RequestService).detail,
        "skipped: needs request service token"
    );
    assert!(line(&report, CheckId::VerifiedId).is_skipped());
    assert_eq!(report.problems(), [PreflightProblem::TenantUnreachable]);
    assert_no_secret(&tenant, &report);
    tenant.shutdown().await;
}

#[tokio::test]
async fn a_wrong_relay_credential_fails_only_the_relay_and_takes_the_station_out_of_service() {
    let tenant = Tenant::start(false).await;
    let config = tenant.load(&tenant.toml(Credential::Secret));
    let wrong = "a-credential-the-relay-never-issued";
    let store = tenant.secrets(Credential::Secret).with(&SecretName::RelayCredential, wrong);

    let report = doctor::run(&config, &store).await;
    let text = only_failed(&report, &[CheckId::Relay]);
    let relay = line(&report, CheckId::Relay);
    assert!(relay.detail.contains("refuses this station's credential (HTTP 401)"), "{text}");
    assert!(relay.fix.as_deref().unwrap().contains("reclaim-config set-secret relay-credential"));
    assert!(relay.fix.as_deref().unwrap().contains(STATION));
    assert!(!text.contains(wrong), "{text}");
    assert_eq!(report.problems(), [PreflightProblem::RelayUnreachable]);

    // The relay's health alone (the ports' probe) would call the station ready; the doctor
    // as the pre-flight does not.
    let station = assemble(&config, &store).unwrap();
    let doctor = Arc::new(Doctor::new(config, Arc::new(store)));
    let engine = Engine::spawn_with_preflight(station.ports, station.settings, doctor);
    let view = engine.preflight().await;
    assert!(!view.ready);
    assert_eq!(view.problems, [PreflightProblem::RelayUnreachable]);
    drop(engine);
    tenant.shutdown().await;
}

/// The doctor's report on the emulator while Graph answers 403 on paths containing `path`.
async fn doctor_with_graph_403(path: &str) -> (Tenant, DoctorReport) {
    let tenant = Tenant::start(false).await;
    let config = tenant.load(&tenant.toml(Credential::Secret));
    let store = tenant.secrets(Credential::Secret);
    let fault = json!({
        "service": "graph", "pathContains": path, "kind": "status", "status": 403, "count": 5
    });
    tenant.post("/faults", fault).await;
    let report = doctor::run(&config, &store).await;
    (tenant, report)
}

#[tokio::test]
async fn a_graph_403_on_the_profiles_names_the_permission_to_grant() {
    let (tenant, report) = doctor_with_graph_403("/identity/verifiedId/profiles").await;
    let text = only_failed(&report, &[CheckId::GraphPermissions, CheckId::VerifiedId]);
    let graph = line(&report, CheckId::GraphPermissions);
    assert_eq!(
        graph.detail,
        "403 on /v1.0/identity/verifiedId/profiles — grant VerifiedId-Profile.Read.All"
    );
    let fix = graph.fix.as_deref().unwrap();
    assert!(fix.contains("add VerifiedId-Profile.Read.All"), "{fix}");
    assert!(fix.contains("Grant admin consent"), "{fix}");
    assert!(fix.contains(reclaim_engine::demo::KIOSK_CLIENT_ID), "{fix}");
    assert!(
        text.contains("FAIL  graph permissions      403 on /v1.0/identity/verifiedId/profiles")
    );
    assert!(text.contains("      fix: in the app registration"), "{text}");
    assert_eq!(
        line(&report, CheckId::VerifiedId).detail,
        "skipped: needs graph permissions (the verifiedIdProfiles list)"
    );
    assert_eq!(report.problems(), [PreflightProblem::TenantUnreachable]);
    tenant.shutdown().await;
}

#[tokio::test]
async fn an_app_that_cannot_read_roles_is_told_to_grant_role_management_read() {
    let (tenant, report) = doctor_with_graph_403("/roleManagement/directory/roleAssignments").await;
    only_failed(&report, &[CheckId::GraphPermissions]);
    let graph = line(&report, CheckId::GraphPermissions);
    assert_eq!(
        graph.detail,
        "403 on /v1.0/roleManagement/directory/roleAssignments — grant RoleManagement.Read.Directory"
    );
    assert!(graph.fix.as_deref().unwrap().contains("add RoleManagement.Read.Directory"));
    tenant.shutdown().await;
}

#[tokio::test]
async fn an_app_without_the_permissions_is_told_each_one_to_grant() {
    let tenant = Tenant::start(false).await;
    // The emulator's read-only probe app: User.Read.All only, nothing at the Request Service.
    let text = tenant
        .toml(Credential::Secret)
        .replace(reclaim_engine::demo::KIOSK_CLIENT_ID, "3a000000-0000-4000-8000-000000000002");
    let config = tenant.load(&text);
    let store = tenant.secrets(Credential::Secret);
    store.delete(&SecretName::ClientSecret).unwrap();
    let store = store.with(&SecretName::ClientSecret, "demo-readonly-secret");

    let report = doctor::run(&config, &store).await;
    only_failed(
        &report,
        &[CheckId::GraphPermissions, CheckId::RequestService, CheckId::VerifiedId],
    );
    let graph = line(&report, CheckId::GraphPermissions);
    for permission in [
        "GroupMember.Read.All",
        "Policy.Read.AuthenticationMethod",
        "VerifiedId-Profile.Read.All",
        "UserAuthenticationMethod.ReadWrite.All",
    ] {
        assert!(graph.detail.contains(permission), "{permission}: {}", graph.detail);
        assert!(graph.fix.as_deref().unwrap().contains(permission), "{graph:?}");
    }
    assert!(!graph.detail.contains("User.Read.All"), "users were readable: {}", graph.detail);
    let rs = line(&report, CheckId::RequestService);
    assert!(rs.detail.starts_with("403 "), "{rs:?}");
    assert!(rs.fix.as_deref().unwrap().contains("VerifiableCredential.Create.PresentRequest"));
    assert!(
        line(&report, CheckId::RequestServiceToken).detail.contains("no application permission"),
        "{report}"
    );
    tenant.shutdown().await;
}

#[tokio::test]
async fn a_missing_secret_is_named_with_the_command_that_sets_it() {
    let tenant = Tenant::start(false).await;
    let config = tenant.load(&tenant.toml(Credential::Secret));

    // A provider's key: only the config line fails; the tenant and relay checks still run.
    let store = tenant.secrets(Credential::Secret);
    store.delete(&SecretName::ProviderLinkKey("trueid".into())).unwrap();
    let report = doctor::run(&config, &store).await;
    only_failed(&report, &[CheckId::Config]);
    let c = line(&report, CheckId::Config);
    assert!(c.detail.contains("`provider.trueid.link-signing-key`"), "{c:?}");
    let fix = c.fix.as_deref().unwrap();
    assert!(fix.contains("`reclaim-config set-secret provider.trueid.link-signing-key`"), "{fix}");
    assert_eq!(report.problems(), [PreflightProblem::ConfigInvalid]);

    // The client secret and the relay credential: named both, and what needs them is skipped.
    let store = tenant.secrets(Credential::Secret);
    store.delete(&SecretName::ClientSecret).unwrap();
    store.delete(&SecretName::RelayCredential).unwrap();
    let report = doctor::run(&config, &store).await;
    let mut failed = CheckId::ALL.to_vec();
    failed.retain(|id| *id != CheckId::ClockSkew);
    only_failed(&report, &failed);
    let c = line(&report, CheckId::Config);
    assert!(c.detail.contains("`client-secret`") && c.detail.contains("`relay-credential`"));
    let fix = c.fix.as_deref().unwrap();
    assert!(fix.contains("`reclaim-config set-secret client-secret`"), "{fix}");
    assert!(fix.contains("`reclaim-config set-secret relay-credential`"), "{fix}");
    assert_eq!(
        line(&report, CheckId::GraphToken).detail,
        "skipped: needs config (the tenant credential)"
    );
    assert_eq!(
        line(&report, CheckId::Relay).detail,
        "skipped: needs config (secret `relay-credential`)"
    );
    assert_eq!(report.problems(), [PreflightProblem::ConfigInvalid]);
    assert_no_secret(&tenant, &report);
    tenant.shutdown().await;
}

/// A server that answers every request with 404 and a `Date` eleven years in the past.
async fn stale_clock_server() -> String {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                // Read the whole request (headers and body) so closing does not reset it.
                let mut seen = Vec::new();
                let mut buf = [0u8; 4096];
                loop {
                    let Ok(n) = socket.read(&mut buf).await else { return };
                    if n == 0 {
                        return;
                    }
                    seen.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&seen).to_ascii_lowercase();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let length = text[..end]
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        if seen.len() >= end + 4 + length {
                            break;
                        }
                    }
                }
                let resp = "HTTP/1.1 404 Not Found\r\nDate: Thu, 01 Jan 2015 00:00:00 GMT\r\n\
                            Content-Length: 0\r\nConnection: close\r\n\r\n";
                let _ = socket.write_all(resp.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn a_clock_far_from_the_tenants_fails_the_skew_check_and_says_by_how_much() {
    let server = stale_clock_server().await;
    let config = offline(&offline_toml(&server));
    let store = offline_store();
    let report = doctor::run(&config, &store).await;
    let clock = line(&report, CheckId::ClockSkew);
    assert!(!clock.passed && !clock.is_skipped(), "{report}");
    assert!(clock.detail.starts_with("this clock is "), "{clock:?}");
    assert!(clock.detail.contains(" days "), "{clock:?}");
    assert!(clock.detail.contains(" ahead of 127.0.0.1:"), "{clock:?}");
    assert!(clock.fix.as_deref().unwrap().contains("timedatectl set-ntp true"));
    assert!(report.problems().contains(&PreflightProblem::ClockSkew));
    // The token endpoint answered 404 without an OAuth body: said so, with the key to check.
    let token = line(&report, CheckId::GraphToken);
    assert!(token.detail.contains("HTTP 404"), "{token:?}");
    assert!(token.fix.as_deref().unwrap().contains("endpoints.login"), "{token:?}");
}

#[tokio::test]
async fn an_unreachable_tenant_skips_the_clock_and_fails_the_tokens() {
    let config = offline(&offline_toml("http://127.0.0.1:9"));
    let report = doctor::run(&config, &offline_store()).await;
    only_failed(&report, &CheckId::ALL[1..]);
    assert!(line(&report, CheckId::ClockSkew).is_skipped(), "{report}");
    assert!(line(&report, CheckId::GraphToken).detail.starts_with("cannot reach"), "{report}");
    assert!(line(&report, CheckId::Relay).detail.starts_with("cannot reach"), "{report}");
    assert_eq!(
        report.problems(),
        [PreflightProblem::TenantUnreachable, PreflightProblem::RelayUnreachable]
    );
}

#[tokio::test]
async fn a_referee_without_a_console_is_warned() {
    let text = format!("{}\n[recovery]\nreferee = true\n", offline_toml("http://127.0.0.1:9"));
    let report = doctor::run(&offline(&text), &offline_store()).await;
    assert!(
        report.warnings.iter().any(|w| w == doctor::REFEREE_WITHOUT_CONSOLE_WARNING),
        "{report}"
    );
    let report = doctor::run(&offline(&offline_toml("http://127.0.0.1:9")), &offline_store()).await;
    assert!(!report.warnings.iter().any(|w| w == doctor::REFEREE_WITHOUT_CONSOLE_WARNING));
}

#[tokio::test]
async fn a_demo_file_fails_the_config_and_skips_the_rest() {
    let config = offline("[station]\nid = \"kiosk-1\"\nmode = \"demo\"\n");
    let report = doctor::run(&config, &MemoryStore::new()).await;
    only_failed(&report, &CheckId::ALL);
    assert!(line(&report, CheckId::Config).detail.contains("station.mode = \"demo\""));
    assert!(report.checks[1..].iter().all(Check::is_skipped), "{report}");
    assert_eq!(report.problems(), [PreflightProblem::ConfigInvalid]);
}

/// A production file whose every host is `root` (which need not answer).
fn offline_toml(root: &str) -> String {
    offline::offline_toml(STATION, root)
}

fn offline(text: &str) -> Config {
    Config::from_toml(text, "reclaim.toml", Path::new("/"))
        .unwrap_or_else(|e| panic!("the file validates:\n{e}"))
}

fn offline_store() -> MemoryStore {
    MemoryStore::new()
        .with(&SecretName::ClientSecret, "client-secret-value")
        .with(&SecretName::RelayCredential, "relay-credential-0123456789")
        .with(&SecretName::ProviderLinkKey("trueid".into()), "link-key-0123456789abcdef")
}

fn reclaim() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_reclaim-service"));
    // No keyring reachable, whatever session the tests run in.
    cmd.env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/reclaim-doctor-test");
    cmd.env_remove("RUST_LOG");
    cmd
}

#[test]
fn the_cli_exits_2_on_a_file_that_does_not_load_and_names_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reclaim.toml");
    std::fs::write(&path, "[station]\nid = \"kiosk-1\"\nmode = = \"production\"\n").unwrap();
    let out = reclaim().args(["doctor", "--config"]).arg(&path).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("reclaim.toml:3:"), "the message names line 3: {stderr}");
    assert!(out.stdout.is_empty());

    // A key error names the key too.
    std::fs::write(&path, "[station]\nid = \"kiosk-1\"\nmode = \"sideways\"\n").unwrap();
    let out = reclaim().args(["doctor", "--config"]).arg(&path).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("reclaim.toml:3:") && stderr.contains("station.mode"), "{stderr}");

    let missing = dir.path().join("nowhere.toml");
    let out = reclaim().args(["doctor", "--config"]).arg(&missing).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_cli_reports_each_check_and_exits_1_when_one_fails() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reclaim.toml");
    std::fs::write(&path, offline_toml("http://127.0.0.1:9")).unwrap();

    let out = reclaim().args(["doctor", "--json", "--config"]).arg(&path).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let json: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(json["passed"], false);
    assert_eq!(json["stationId"], STATION);
    let checks = json["checks"].as_array().unwrap();
    assert_eq!(checks.len(), CheckId::ALL.len());
    assert_eq!(checks[0]["id"], "config");
    assert_eq!(checks[0]["passed"], false);
    // The keyring is unreachable here: every secret the file needs is named.
    let detail = checks[0]["detail"].as_str().unwrap();
    for name in ["client-secret", "relay-credential", "provider.trueid.link-signing-key"] {
        assert!(detail.contains(name), "{name}: {detail}");
    }
    assert!(json["problems"].as_array().unwrap().contains(&json!("configInvalid")));

    let out = reclaim().args(["doctor", "--config"]).arg(&path).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let lines: Vec<&str> =
        stdout.lines().filter(|l| !l.starts_with("      ") && !l.starts_with("WARN  ")).collect();
    assert_eq!(lines.len(), CheckId::ALL.len() + 1, "{stdout}");
    assert!(stdout.contains("WARN  standalone mode"), "a standalone file is warned: {stdout}");
    assert!(lines[0].starts_with("FAIL  config "), "{stdout}");
    assert!(stdout.contains("      fix: "), "{stdout}");
    assert!(lines[CheckId::ALL.len()].contains("checks failed"), "{stdout}");
}

/// `PATCH {control}{path}` on the emulator's control API.
async fn patch(tenant: &Tenant, path: &str, body: Value) {
    let resp = tenant.client().patch(tenant.control(path)).json(&body).send().await.unwrap();
    let status = resp.status();
    assert!(status.is_success(), "PATCH {path}: {status}: {}", resp.text().await.unwrap());
}

const PRODUCTION_GROUP: &str = "6a000000-0000-4000-8000-000000000001";
const STRICT_GROUP: &str = "6a000000-0000-4000-8000-000000000003";
const HR_GROUP: &str = "6a000000-0000-4000-8000-0000000000f1";
const PILOT_GROUP: &str = "6a000000-0000-4000-8000-000000000002";

#[tokio::test]
async fn a_disabled_tap_policy_fails_the_verified_id_check() {
    let tenant = Tenant::start(false).await;
    let config = tenant.load(&tenant.toml(Credential::Secret));
    let store = tenant.secrets(Credential::Secret);
    patch(&tenant, "/directory/policies/TemporaryAccessPass", json!({ "state": "disabled" })).await;

    let report = doctor::run(&config, &store).await;
    let text = only_failed(&report, &[CheckId::VerifiedId]);
    let c = line(&report, CheckId::VerifiedId);
    assert!(
        c.detail.contains("the Temporary Access Pass authentication method is disabled"),
        "{text}"
    );
    assert!(c.fix.as_deref().unwrap().contains("enable Temporary Access Pass"), "{text}");
    assert_eq!(report.problems(), [PreflightProblem::TenantUnreachable]);
    tenant.shutdown().await;
}

#[tokio::test]
async fn a_production_profile_group_missing_from_the_tap_policy_is_warned_per_group() {
    let tenant = Tenant::start(false).await;
    let config = tenant.load(&tenant.toml(Credential::Secret));
    let store = tenant.secrets(Credential::Secret);

    // The fixture's TAP group holds the recovery groups nested in it: no warning.
    let report = doctor::run(&config, &store).await;
    only_failed(&report, &[]);
    assert_eq!(report.warnings, [doctor::STANDALONE_WARNING], "{report}");

    // Only the production group: the strict and HR profiles' groups are missing. The pilot
    // profile is in evaluation mode (never a pass), so its group is not asked for.
    let include = json!({ "includeTargets": [{ "id": PRODUCTION_GROUP, "targetType": "group" }] });
    patch(&tenant, "/directory/policies/TemporaryAccessPass", include).await;
    let report = doctor::run(&config, &store).await;
    let text = only_failed(&report, &[]);
    let tap: Vec<&String> =
        report.warnings.iter().filter(|w| w.starts_with("TAP policy: ")).collect();
    assert_eq!(tap.len(), 3, "{text}");
    assert!(tap[0].contains(STRICT_GROUP) && tap[0].contains("\"Recovery – strict\""), "{text}");
    assert!(tap[1].contains(HR_GROUP), "{text}");
    assert!(tap[2].contains("\"Recovery – QuickID\""), "{text}");
    assert!(tap.iter().all(|w| w.contains("is not in the TemporaryAccessPass policy")), "{text}");
    assert!(!text.contains(PILOT_GROUP), "{text}");
    assert!(
        text.contains("WARN  TAP policy: group 6a000000-0000-4000-8000-000000000003"),
        "{text}"
    );
    assert_eq!(report.to_json()["warnings"].as_array().map(Vec::len), Some(4));
    tenant.shutdown().await;
}

#[tokio::test]
async fn face_check_off_fails_a_production_profile_but_not_an_evaluation_one() {
    let tenant = Tenant::start(false).await;
    let config = tenant.load(&tenant.toml(Credential::Secret));
    let store = tenant.secrets(Credential::Secret);

    // The pilot profile is in evaluation mode: no pass, no failure.
    let pilot = "/directory/profiles/9a000000-0000-4000-8000-000000000002";
    patch(&tenant, pilot, json!({ "faceCheck": false })).await;
    let report = doctor::run(&config, &store).await;
    only_failed(&report, &[]);

    let production = "/directory/profiles/9a000000-0000-4000-8000-000000000001";
    patch(&tenant, production, json!({ "faceCheck": false })).await;
    let report = doctor::run(&config, &store).await;
    let text = only_failed(&report, &[CheckId::VerifiedId]);
    let c = line(&report, CheckId::VerifiedId);
    assert!(
        c.detail.contains(
            "Face Check is off in production recovery profile \"Recovery – production\" \
             (9a000000-0000-4000-8000-000000000001)"
        ),
        "{text}"
    );
    assert!(c.fix.as_deref().unwrap().contains("turn Face Check on"), "{text}");
    assert!(!c.detail.contains("Recovery – pilot"), "{text}");
    tenant.shutdown().await;
}
