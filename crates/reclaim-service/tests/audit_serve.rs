//! `reclaim-service serve` keeps the audit log of its stations and ships it: a whole recovery on
//! the emulated tenant (over TLS, configured by URL) writes `{state_dir}/audit/audit.jsonl`, which
//! `reclaim-service audit verify` proves, and every record reaches a real `rsyslogd` configured in
//! `[audit.syslog]`; a log whose last line was cut short stops the next start.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../reclaim-engine/tests/common/mod.rs"]
mod common;
mod rsyslog;
mod served;

use std::os::unix::fs::PermissionsExt as _;

use common::Tenant;
use reclaim_service::listener::Limits;
use rsyslog::{free_port, received, rsyslogd};
use served::secrets_file;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_served_recovery_is_chained_verified_and_received_by_rsyslog() {
    let tenant = Tenant::start(true).await;
    let syslog_port = free_port();
    let received_file = tenant.dir.path().join("received.log");
    let _rsyslogd = rsyslogd(tenant.dir.path(), syslog_port, &received_file);

    let sections = format!(
        "[audit.syslog]\naddress = \"127.0.0.1:{syslog_port}\"\ntls = false\nfacility = \"authpriv\"\nhostname = \"recovery-1.contoso.example\"\n"
    );
    let served = served::serve(&tenant, &secrets_file(&tenant), &sections).await;
    let audit_file = served.running.audit().path().to_owned();
    assert_eq!(audit_file, served.state_dir.join("audit").join("audit.jsonl"));
    let (lobby, station_id) = served::ready_station(&served, "lobby").await;
    let upn = tenant.upn("ana");
    let code = served::recover_ana_to_tap(&tenant, &lobby).await;
    let served::Served { running, config, store: secrets, .. } = served;
    lobby.close();
    // Shutting down writes the last records and sends them before the connection closes.
    running.shutdown().await;

    // The chain verifies (the real binary), with the funnel, the station id and UTC times.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_reclaim-service"))
        .args(["audit", "verify"])
        .arg(&audit_file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout} {}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("chain intact"), "{stdout}");
    let text = std::fs::read_to_string(&audit_file).unwrap();
    assert_eq!(std::fs::metadata(&audit_file).unwrap().permissions().mode() & 0o777, 0o600);
    let records: Vec<serde_json::Value> =
        text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let events: Vec<&str> = records.iter().map(|r| r["event"].as_str().unwrap()).collect();
    for step in [
        "started",
        "profile_resolved",
        "provider_chosen",
        "identity_issued",
        "presentation_requested",
        "presentation_verified",
        "matched",
        "tap_issued",
        "wiped",
    ] {
        assert!(events.contains(&step), "{step} not audited: {events:?}");
    }
    assert!(records.iter().all(|r| r["station"] == station_id.as_str()));
    assert!(records.iter().all(|r| r["ts"].as_str().unwrap().ends_with('Z')));
    assert!(!text.contains(&code), "the TAP in the audit log");
    assert!(!text.to_lowercase().contains(&upn.to_lowercase()), "the UPN in the audit log");

    // rsyslog received every record, parsed as RFC 5424.
    let lines = received(&received_file, records.len()).await;
    for line in &lines {
        let fields: Vec<&str> = line.splitn(8, '\t').collect();
        assert_eq!(fields[0], "reclaim", "APP-NAME in {line}");
        assert_eq!(fields[3], "recovery-1.contoso.example", "HOSTNAME in {line}");
        assert_eq!(fields[5], "10", "facility authpriv in {line}");
        let msg = fields[7]
            .strip_prefix('\u{feff}')
            .unwrap_or_else(|| panic!("no BOM before the MSG in {line}"));
        let record: serde_json::Value = serde_json::from_str(msg).unwrap();
        assert_eq!(fields[1], record["event"].as_str().unwrap(), "MSGID in {line}");
        let seq = usize::try_from(record["seq"].as_u64().unwrap()).unwrap();
        assert_eq!(msg, text.lines().nth(seq - 1).unwrap());
    }

    // A last line cut short (a crash mid-write): the next start refuses, naming the file.
    std::fs::write(&audit_file, &text[..text.len() - 20]).unwrap();
    let err = reclaim_service::production::serve(&config, secrets.as_ref(), Limits::default())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("audit.jsonl") && err.contains("incomplete"), "{err}");
    tenant.shutdown().await;
}
