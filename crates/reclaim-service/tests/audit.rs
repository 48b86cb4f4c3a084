//! The audit log: `reclaim-service audit verify` (the real binary) on a chain the writer made,
//! intact and after an edit, a removal and a reordering; `audit export --since`; and the export
//! to syslog received by a real `rsyslogd` (Debian's `rsyslog`, started by the test on a
//! loopback port) and by a TLS collector.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reclaim_core::{AuditEvent, AuditKind, ReasonCode, ScanPath};
use reclaim_service::audit_log::{self, ChainedAudit};
use reclaim_service::syslog::{BOM, SyslogExporter};

use rsyslog::WAIT;

fn event(session: uuid::Uuid, kind: AuditKind) -> AuditEvent {
    AuditEvent {
        at: time::OffsetDateTime::now_utc(),
        station_id: "lobby".into(),
        session_id: session,
        account_ref: None,
        kind,
    }
}

/// A recovery's funnel, as the engine audits it.
fn funnel() -> Vec<AuditKind> {
    vec![
        AuditKind::Started,
        AuditKind::ProfileResolved {
            profile_id: Some("staff".into()),
            evaluation_mode: false,
            cause: None,
        },
        AuditKind::ProviderChosen { provider: "trueid".into(), path: ScanPath::Phone },
        AuditKind::IdentityIssued { provider: "trueid".into() },
        AuditKind::PresentationRequested { attempt: 1 },
        AuditKind::PresentationVerified { face_check_score: 92.0, threshold: 70 },
        AuditKind::Matched,
        AuditKind::TapIssued { lifetime_in_minutes: 60, is_usable_once: true },
        AuditKind::Ended { reason: ReasonCode::Cancelled, reference: "RC-CANCELLED-AAAA".into() },
        AuditKind::Wiped,
    ]
}

/// Writes the funnel for `station`; returns how many records the log holds.
fn write_funnel(log: &Arc<ChainedAudit>, station: &str) -> u64 {
    let sink = log.station(station);
    let session = uuid::Uuid::new_v4();
    for kind in funnel() {
        sink.write(&event(session, kind));
    }
    log.flush()
}

fn bin(args: &[&str], file: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_reclaim-service"))
        .args(args)
        .arg(file)
        .env_remove("RECLAIM_LOG")
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn write_lines(path: &Path, lines: &[&str]) {
    std::fs::write(path, lines.iter().map(|l| format!("{l}\n")).collect::<String>()).unwrap();
}

#[test]
fn audit_verify_proves_the_chain_and_names_the_first_bad_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit").join("audit.jsonl");
    let log = ChainedAudit::open(&path).unwrap();
    write_funnel(&log, "st-lobby");
    assert_eq!(write_funnel(&log, "st-depot"), 20);
    log.close();
    let good = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = good.lines().collect();

    let out = bin(&["audit", "verify"], &path);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout} {}", text(&out.stderr));
    assert!(stdout.contains("20 records, chain intact"), "{stdout}");
    assert!(stdout.contains("first seq 1 ") && stdout.contains(" started"), "{stdout}");
    assert!(stdout.contains("last seq 20 ") && stdout.contains(" wiped"), "{stdout}");

    let tampered = dir.path().join("tampered.jsonl");
    let verify_fails = |lines: &[&str]| {
        write_lines(&tampered, lines);
        let out = bin(&["audit", "verify"], &tampered);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
        let stderr = text(&out.stderr);
        // Only seq, ts and event names: no session id, station or hash of a record.
        let first: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        assert!(!stderr.contains(first["session_id"].as_str().unwrap()), "{stderr}");
        stderr
    };

    // Edited: the Face Check score of record 6 raised.
    let mut edited = lines.clone();
    let raised = lines[5].replace("\"face_check_score\":92.0", "\"face_check_score\":99.0");
    assert_ne!(raised, lines[5]);
    edited[5] = &raised;
    let stderr = verify_fails(&edited);
    assert!(stderr.contains("line 6 (seq 6,") && stderr.contains("hash mismatch"), "{stderr}");

    // Removed: record 8 (the TAP) gone.
    let mut removed = lines.clone();
    removed.remove(7);
    let stderr = verify_fails(&removed);
    assert!(stderr.contains("line 8 (seq 9,") && stderr.contains("prev mismatch"), "{stderr}");

    // Reordered: records 3 and 4 swapped.
    let mut reordered = lines.clone();
    reordered.swap(2, 3);
    let stderr = verify_fails(&reordered);
    assert!(stderr.contains("line 3 (seq 4,") && stderr.contains("prev mismatch"), "{stderr}");

    // Removed from the start.
    let stderr = verify_fails(&lines[1..]);
    assert!(stderr.contains("line 1 (seq 2,") && stderr.contains("genesis"), "{stderr}");

    // Export after seq 18: the last two lines, as written.
    let out = bin(&["audit", "export", "--since", "18"], &path);
    assert!(out.status.success());
    assert_eq!(text(&out.stdout), format!("{}\n{}\n", lines[18], lines[19]));

    // An unreadable file: exit 2.
    let out = bin(&["audit", "verify"], &dir.path().join("absent.jsonl"));
    assert_eq!(out.status.code(), Some(2));
}

// ---------------------------------------------------------------------------------------------
// rsyslog

mod rsyslog;
use rsyslog::{free_port, received, rsyslogd};

fn syslog_config(
    address: String,
    host: &str,
    tls: bool,
    ca_file: Option<PathBuf>,
) -> reclaim_config::Syslog {
    let port = address.rsplit_once(':').unwrap().1.parse().unwrap();
    reclaim_config::Syslog {
        address,
        host: host.to_owned(),
        port,
        tls,
        ca_file,
        app_name: "reclaim".into(),
        facility: 13,
        hostname: Some("recovery-1.contoso.example".into()),
    }
}

/// Checks what rsyslog parsed out of each message against the file's records.
fn check_received(received: &[String], file_lines: &[&str]) {
    let mut by_seq = std::collections::BTreeMap::new();
    for line in received {
        let fields: Vec<&str> = line.splitn(8, '\t').collect();
        assert_eq!(fields.len(), 8, "{line}");
        let [app, msgid, procid, host, ts, facility, severity, msg] = fields[..] else {
            unreachable!()
        };
        assert_eq!(app, "reclaim", "APP-NAME in {line}");
        assert_eq!(procid, std::process::id().to_string(), "PROCID in {line}");
        assert_eq!(host, "recovery-1.contoso.example", "HOSTNAME in {line}");
        assert_eq!(facility, "13", "facility in {line}");
        // RFC 5424: a UTF-8 MSG starts with the BOM (rsyslog keeps it in %msg%).
        let json = msg
            .strip_prefix(std::str::from_utf8(BOM).unwrap())
            .unwrap_or_else(|| panic!("no BOM before the MSG in {line}"));
        let record: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(msgid, record["event"].as_str().unwrap(), "MSGID in {line}");
        let expected_severity = if msgid == "tap_issued" { "5" } else { "6" };
        assert_eq!(severity, expected_severity, "{line}");
        // The record's own UTC timestamp is the message's (rsyslog prints it as it read it).
        let record_ts = record["ts"].as_str().unwrap();
        assert!(record_ts.ends_with('Z'), "{record_ts}");
        assert!(ts.starts_with(&record_ts[..19]), "TIMESTAMP {ts} for {record_ts}");
        let seq = record["seq"].as_u64().unwrap();
        // The MSG is the line of the file, byte for byte.
        assert_eq!(json, file_lines[usize::try_from(seq).unwrap() - 1], "seq {seq}");
        by_seq.insert(seq, ());
    }
    let all: Vec<u64> = (1..=file_lines.len() as u64).collect();
    assert_eq!(by_seq.keys().copied().collect::<Vec<_>>(), all, "every record arrived");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_log_reaches_a_real_rsyslog_and_resumes_after_it_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let out = dir.path().join("received.log");
    let daemon = rsyslogd(dir.path(), port, &out);

    let path = dir.path().join("audit").join("audit.jsonl");
    let log = ChainedAudit::open(&path).unwrap();
    let config = syslog_config(format!("127.0.0.1:{port}"), "127.0.0.1", false, None);
    let exporter = SyslogExporter::spawn(&log, &config).unwrap();
    let log2 = log.clone();
    tokio::task::spawn_blocking(move || write_funnel(&log2, "st-lobby")).await.unwrap();
    let first = received(&out, 10).await;
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    check_received(&first, &lines);

    // The collector goes away; the service goes on writing; the collector comes back on the
    // same port and gets what it missed.
    drop(daemon);
    let log2 = log.clone();
    tokio::task::spawn_blocking(move || write_funnel(&log2, "st-depot")).await.unwrap();
    let _daemon = rsyslogd(dir.path(), port, &out);
    let all = received(&out, 20).await;
    exporter.stop().await;
    log.close();
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 20);
    check_received(&all, &lines);
    // The exporter kept where it stopped.
    let cursor: serde_json::Value = serde_json::from_slice(
        &std::fs::read(reclaim_service::syslog::cursor_path(&path)).unwrap(),
    )
    .unwrap();
    assert_eq!(cursor["seq"], 20);
    assert!(audit_log::verify_file(&path).unwrap().intact().is_some());
}

// ---------------------------------------------------------------------------------------------
// TLS (RFC 5425)

/// A throwaway CA (PEM) and a `localhost` server certificate chain and key signed by it.
fn certificates() -> (
    String,
    Vec<rustls::pki_types::CertificateDer<'static>>,
    rustls::pki_types::PrivateKeyDer<'static>,
) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca, ca_key);
    let leaf = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer).unwrap();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into());
    (ca_cert.pem(), vec![leaf_cert.der().clone(), ca_cert.der().clone()], key)
}

/// Reads octet-counted frames (`MSG-LEN SP SYSLOG-MSG`) until `n` messages arrived.
async fn read_frames(stream: &mut (impl tokio::io::AsyncRead + Unpin), n: usize) -> Vec<Vec<u8>> {
    use tokio::io::AsyncReadExt as _;
    let mut buf = Vec::new();
    let mut messages = Vec::new();
    let mut chunk = [0u8; 4096];
    while messages.len() < n {
        // Take whole frames off the front.
        while let Some(sp) = buf.iter().position(|b| *b == b' ') {
            let len: usize =
                std::str::from_utf8(&buf[..sp]).unwrap().parse().expect("MSG-LEN digits");
            if buf.len() < sp + 1 + len {
                break;
            }
            messages.push(buf[sp + 1..sp + 1 + len].to_vec());
            buf.drain(..sp + 1 + len);
        }
        if messages.len() >= n {
            break;
        }
        let read = stream.read(&mut chunk).await.unwrap();
        assert!(read > 0, "the sender closed after {} of {n} messages", messages.len());
        buf.extend_from_slice(&chunk[..read]);
    }
    messages
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_tls_the_collector_gets_octet_counted_rfc_5424_messages_and_a_close_notify() {
    let dir = tempfile::tempdir().unwrap();
    let (ca_pem, chain, key) = certificates();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, ca_pem).unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let collector = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut tls = acceptor.accept(tcp).await.unwrap();
        let messages = read_frames(&mut tls, 10).await;
        // Then the sender's close_notify: a clean end of stream, not a reset.
        use tokio::io::AsyncReadExt as _;
        let mut rest = Vec::new();
        let end = tls.read_to_end(&mut rest).await;
        (messages, end.map(|_| rest.len()))
    });

    let path = dir.path().join("audit.jsonl");
    let log = ChainedAudit::open(&path).unwrap();
    let config = syslog_config(format!("localhost:{port}"), "localhost", true, Some(ca_file));
    let exporter = SyslogExporter::spawn(&log, &config).unwrap();
    let log2 = log.clone();
    tokio::task::spawn_blocking(move || write_funnel(&log2, "st-lobby")).await.unwrap();
    // Wait for the collector to have all 10 before stopping (stop closes with close_notify).
    let start = Instant::now();
    while !collector.is_finished() {
        let cursor = std::fs::read(reclaim_service::syslog::cursor_path(&path)).unwrap_or_default();
        if String::from_utf8_lossy(&cursor).contains("\"seq\":10") {
            break;
        }
        assert!(start.elapsed() < WAIT, "the exporter did not send the records");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    exporter.stop().await;
    let (messages, end) = tokio::time::timeout(WAIT, collector).await.unwrap().unwrap();
    assert_eq!(end.unwrap(), 0, "clean close_notify, nothing after the frames");
    let text = std::fs::read_to_string(&path).unwrap();
    for (message, line) in messages.iter().zip(text.lines()) {
        let record: serde_json::Value = serde_json::from_str(line).unwrap();
        let head = format!(
            "<{}>1 {} recovery-1.contoso.example reclaim {} {} - ",
            13 * 8 + if record["event"] == "tap_issued" { 5 } else { 6 },
            record["ts"].as_str().unwrap(),
            std::process::id(),
            record["event"].as_str().unwrap()
        );
        let expected = [head.as_bytes(), BOM, line.as_bytes()].concat();
        assert_eq!(text_of(message), text_of(&expected));
    }
    assert_eq!(messages.len(), 10);
    log.close();
}

fn text_of(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn tls_without_a_usable_ca_file_does_not_start() {
    let dir = tempfile::tempdir().unwrap();
    let log = ChainedAudit::open(&dir.path().join("audit.jsonl")).unwrap();
    let not_pem = dir.path().join("ca.pem");
    std::fs::write(&not_pem, "not a certificate").unwrap();
    let config = syslog_config("localhost:6514".into(), "localhost", true, Some(not_pem));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let _guard = runtime.enter();
    let e = SyslogExporter::spawn(&log, &config).unwrap_err().to_string();
    assert!(e.contains("ca.pem") && e.contains("no certificate"), "{e}");
}

/// The seq of each message (from its JSON MSG).
fn seqs(messages: &[Vec<u8>]) -> Vec<u64> {
    messages
        .iter()
        .map(|m| {
            let text = text_of(m);
            let json = &text[text.find('{').unwrap()..];
            serde_json::from_str::<serde_json::Value>(json).unwrap()["seq"].as_u64().unwrap()
        })
        .collect()
}

/// Accepts one connection and reads `n` frames from it.
async fn collect(listener: &tokio::net::TcpListener, n: usize) -> Vec<u64> {
    let (mut tcp, _) = tokio::time::timeout(WAIT, listener.accept()).await.unwrap().unwrap();
    seqs(&tokio::time::timeout(WAIT, read_frames(&mut tcp, n)).await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_exporter_resumes_after_its_cursor_and_starts_over_on_a_new_chain() {
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let config = syslog_config(format!("127.0.0.1:{port}"), "127.0.0.1", false, None);
    let path = dir.path().join("audit.jsonl");
    let log = ChainedAudit::open(&path).unwrap();
    let wrote = |log: &Arc<ChainedAudit>| {
        let log = log.clone();
        tokio::task::spawn_blocking(move || write_funnel(&log, "st-lobby"))
    };

    wrote(&log).await.unwrap();
    let exporter = SyslogExporter::spawn(&log, &config).unwrap();
    assert_eq!(collect(&listener, 10).await, (1..=10).collect::<Vec<_>>());
    exporter.stop().await;

    // Written while no exporter runs (a restart): the next one sends only those.
    wrote(&log).await.unwrap();
    let exporter = SyslogExporter::spawn(&log, &config).unwrap();
    assert_eq!(collect(&listener, 10).await, (11..=20).collect::<Vec<_>>());
    exporter.stop().await;
    log.close();

    // The log moved aside, a new chain begun: sent from its first record.
    std::fs::rename(&path, dir.path().join("audit.jsonl.old")).unwrap();
    let log = ChainedAudit::open(&path).unwrap();
    wrote(&log).await.unwrap();
    let exporter = SyslogExporter::spawn(&log, &config).unwrap();
    assert_eq!(collect(&listener, 10).await, (1..=10).collect::<Vec<_>>());
    exporter.stop().await;
    log.close();
}

/// Kills the demo service when the test ends, however it ends.
struct Demo(std::process::Child);

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_service_prints_its_audit_log_which_verifies() {
    use std::io::BufRead as _;
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let mut demo = Demo(
        Command::new(env!("CARGO_BIN_EXE_reclaim-service"))
            .args(["--demo", "--listen", "127.0.0.1:0", "--stations", "1", "--credential-file"])
            .arg(dir.path().join("station.cred"))
            // Its audit folder goes under the temporary folder: this test's.
            .env("TMPDIR", dir.path())
            .env_remove("RECLAIM_LOG")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = demo.0.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        std::io::BufReader::new(stdout).read_line(&mut line).map(|_| line)
    });
    let line = tokio::time::timeout(WAIT, line).await.unwrap().unwrap().unwrap();
    let info: serde_json::Value = serde_json::from_str(&line).unwrap();
    let audit_file = PathBuf::from(info["auditFile"].as_str().unwrap());
    assert!(audit_file.starts_with(dir.path()), "{info}");
    assert_eq!(audit_file.file_name().unwrap(), "audit.jsonl");
    let mode = std::fs::metadata(&audit_file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let out = bin(&["audit", "verify"], &audit_file);
    assert!(out.status.success(), "{}", text(&out.stderr));
}
