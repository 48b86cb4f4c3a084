//! The audit log's export to a syslog collector (`[audit.syslog]`): every record as one RFC 5424
//! message over TCP with RFC 6587 octet counting (`MSG-LEN SP SYSLOG-MSG`, no newline), TLS per
//! RFC 5425 unless `tls = false` (contract §9).
//!
//! ```text
//! <110>1 2026-08-20T12:00:03.123456Z kiosk-host reclaim 4711 tap_issued - BOM{"seq":7,…,"hash":"…"}
//! ```
//!
//! PRI = facility × 8 + severity ([`severity`]); TIMESTAMP = the record's `ts` (UTC, `Z`);
//! HOSTNAME = `hostname` or the machine's name; APP-NAME = `app_name` (`reclaim`); PROCID = the
//! service's process id; MSGID = the event name; STRUCTURED-DATA = `-` (a private SD-ID needs
//! the organisation's own enterprise number; everything is in the record); MSG = the UTF-8 BOM
//! and the record's line exactly as in the file (its `seq`, `prev` and `hash` included, so a SIEM
//! can check the chain itself).
//!
//! **Delivery**: the file is the source of truth; the exporter reads it. A background task
//! follows the log's written seq ([`ChainedAudit::subscribe`]), reads the records after its
//! cursor from the file, sends them in batches and, once a batch is written to the connection,
//! keeps its cursor in `syslog.cursor` beside the file (seq, byte offset, hash). When the
//! collector is down or the connection breaks, it reconnects with backoff (1 s doubling to 60 s)
//! and sends again from the record after the cursor: the batch whose write failed is sent again
//! (at least once; duplicates carry the same seq and hash), and after a restart it goes on where
//! it stopped. TCP syslog has no acknowledgement: records the kernel accepted just before the
//! collector died can be lost without the sender knowing; the seq numbers let the SIEM see such
//! a gap and `reclaim-service audit export FILE --since SEQ` fills it from the file.

use std::io::{BufRead as _, BufReader, Seek as _, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use reclaim_config::Syslog;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use crate::audit_log::{ChainedAudit, GENESIS, Record, parse_line};
use crate::error::ServiceError;

/// The UTF-8 byte order mark RFC 5424 puts before a UTF-8 MSG.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Records sent per write.
const BATCH: usize = 256;
const MIN_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(60);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// The severity of an event: 4 Warning for refusals that point at an attack or a pass left
/// valid, 5 Notice for a TAP issued or deleted and the refusals of policy, 6 Informational for
/// the rest of the funnel.
pub fn severity(event: &str) -> u8 {
    match event {
        "credential_not_session_bound"
        | "provider_return_refused"
        | "privileged_role_refused"
        | "tap_deletion_failed" => 4,
        "tap_issued"
        | "tap_deletion_requested"
        | "tap_deleted"
        | "limit_reached"
        | "records_refused"
        | "scope_changed" => 5,
        _ => 6,
    }
}

/// Keeps PRINTUSASCII (33–126) only, at most `max` bytes; `-` when nothing is left.
fn header_field(s: &str, max: usize) -> String {
    let kept: String = s.chars().filter(|c| ('!'..='~').contains(c)).take(max).collect();
    if kept.is_empty() { "-".to_owned() } else { kept }
}

/// One RFC 5424 message (without framing) for `record`, whose line in the file is `line`.
pub fn message(
    record: &Record,
    line: &str,
    facility: u8,
    hostname: &str,
    app_name: &str,
    procid: u32,
) -> Vec<u8> {
    let pri = u16::from(facility.min(23)) * 8 + u16::from(severity(&record.event));
    let header = format!(
        "<{pri}>1 {} {} {} {procid} {} - ",
        header_field(&record.ts, 64),
        header_field(hostname, 255),
        header_field(app_name, 48),
        header_field(&record.event, 32),
    );
    let mut out = Vec::with_capacity(header.len() + BOM.len() + line.len());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(BOM);
    out.extend_from_slice(line.as_bytes());
    out
}

/// RFC 6587 octet counting: the message's length in bytes, a space, the message.
pub fn frame(message: &[u8]) -> Vec<u8> {
    let mut out = format!("{} ", message.len()).into_bytes();
    out.extend_from_slice(message);
    out
}

/// `hostname`, else the machine's host name, else `-`.
pub fn hostname(config: &Syslog) -> String {
    if let Some(h) = &config.hostname {
        return header_field(h, 255);
    }
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .unwrap_or_default();
    header_field(name.trim(), 255)
}

/// Where the exporter keeps its cursor for the log at `audit_file`.
pub fn cursor_path(audit_file: &Path) -> PathBuf {
    audit_file.with_file_name("syslog.cursor")
}

/// The last record written to a connection: its seq, the file offset after its line, its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Cursor {
    seq: u64,
    offset: u64,
    hash: String,
}

impl Default for Cursor {
    fn default() -> Self {
        Self { seq: 0, offset: 0, hash: GENESIS.to_owned() }
    }
}

fn read_cursor(path: &Path) -> Option<Cursor> {
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    Some(Cursor {
        seq: v.get("seq")?.as_u64()?,
        offset: v.get("offset")?.as_u64()?,
        hash: v.get("hash")?.as_str()?.to_owned(),
    })
}

fn save_cursor(path: &Path, c: &Cursor) -> std::io::Result<()> {
    let tmp = path.with_extension("cursor.tmp");
    let text = serde_json::json!({ "seq": c.seq, "offset": c.offset, "hash": c.hash }).to_string();
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

/// Whether `cursor` is a record of the log at `file`: the line that ends at its offset has its
/// seq and hash (the start of the file for the default cursor).
fn cursor_in(file: &Path, cursor: &Cursor) -> bool {
    if cursor.offset == 0 {
        return cursor.seq == 0;
    }
    let Ok(mut f) = std::fs::File::open(file) else { return false };
    let start = cursor.offset.saturating_sub(64 * 1024);
    let mut chunk = vec![0u8; usize::try_from(cursor.offset - start).unwrap_or(0)];
    if f.seek(SeekFrom::Start(start)).is_err()
        || std::io::Read::read_exact(&mut f, &mut chunk).is_err()
    {
        return false;
    }
    let Some(body) = chunk.strip_suffix(b"\n") else { return false };
    let line = body.rsplit(|b| *b == b'\n').next().unwrap_or_default();
    std::str::from_utf8(line)
        .ok()
        .and_then(|l| parse_line(l).ok())
        .is_some_and(|r| r.seq == cursor.seq && r.hash == cursor.hash)
}

/// The records after `cursor`, up to seq `head` and at most [`BATCH`]: each with its line and
/// the cursor after it. `Ok(None)`: the file does not go on from the cursor (another chain).
fn read_batch(
    file: &Path,
    cursor: &Cursor,
    head: u64,
) -> std::io::Result<Option<Vec<(Record, String, Cursor)>>> {
    let mut f = std::fs::File::open(file)?;
    f.seek(SeekFrom::Start(cursor.offset))?;
    let mut reader = BufReader::new(f);
    let mut out: Vec<(Record, String, Cursor)> = Vec::new();
    let mut at = cursor.clone();
    let mut buf = String::new();
    while out.len() < BATCH && at.seq < head {
        buf.clear();
        let n = reader.read_line(&mut buf)?;
        if n == 0 || !buf.ends_with('\n') {
            break;
        }
        let line = buf.trim_end_matches('\n');
        let record = parse_line(line).map_err(|p| {
            std::io::Error::new(std::io::ErrorKind::InvalidData, format!("seq {}: {p}", at.seq + 1))
        })?;
        if record.prev != at.hash || record.seq != at.seq + 1 {
            return Ok(None);
        }
        at = Cursor { seq: record.seq, offset: at.offset + n as u64, hash: record.hash.clone() };
        out.push((record, line.to_owned(), at.clone()));
    }
    // Nothing where the cursor says the next record is (a shorter, new file).
    if out.is_empty() && at.seq < head {
        return Ok(None);
    }
    Ok(Some(out))
}

trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// How to reach the collector.
struct Target {
    address: String,
    host: String,
    tls: Option<tokio_rustls::TlsConnector>,
}

impl Target {
    async fn connect(&self) -> std::io::Result<Box<dyn Stream>> {
        let tcp =
            tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect(&self.address))
                .await
                .map_err(|_| {
                    std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out")
                })??;
        let _ = tcp.set_nodelay(true);
        match &self.tls {
            None => Ok(Box::new(tcp)),
            Some(connector) => {
                let name = ServerName::try_from(self.host.clone()).map_err(|e| {
                    std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string())
                })?;
                let tls = tokio::time::timeout(CONNECT_TIMEOUT, connector.connect(name, tcp))
                    .await
                    .map_err(|_| {
                        std::io::Error::new(std::io::ErrorKind::TimedOut, "TLS handshake timed out")
                    })??;
                Ok(Box::new(tls))
            }
        }
    }
}

/// A TLS client trusting only the CA certificates in `ca_file` (TLS 1.2 and 1.3).
fn tls_connector(ca_file: &Path) -> Result<tokio_rustls::TlsConnector, ServiceError> {
    let fail =
        |what: String| ServiceError::Audit(format!("syslog ca_file {}: {what}", ca_file.display()));
    let pem = std::fs::read(ca_file).map_err(|e| fail(e.to_string()))?;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert = cert.map_err(|e| fail(format!("not PEM certificates: {e}")))?;
        roots.add(cert).map_err(|e| fail(format!("unusable certificate: {e}")))?;
    }
    if roots.is_empty() {
        return Err(fail("no certificate in it".into()));
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| fail(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}

/// The running exporter.
#[derive(Debug)]
pub struct SyslogExporter {
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl SyslogExporter {
    /// Starts exporting `log` to `config`'s collector (needs a tokio runtime). Fails only when
    /// the TLS trust cannot be built (the CA file); an unreachable collector is retried.
    pub fn spawn(log: &Arc<ChainedAudit>, config: &Syslog) -> Result<SyslogExporter, ServiceError> {
        let tls = match (&config.tls, &config.ca_file) {
            (true, Some(ca)) => Some(tls_connector(ca)?),
            (true, None) => {
                return Err(ServiceError::Audit("syslog tls = true needs a ca_file".into()));
            }
            (false, _) => None,
        };
        let target = Target { address: config.address.clone(), host: config.host.clone(), tls };
        let exporter = Exporter {
            file: log.path().to_owned(),
            cursor_file: cursor_path(log.path()),
            written: log.subscribe(),
            facility: config.facility,
            hostname: hostname(config),
            app_name: header_field(&config.app_name, 48),
            procid: std::process::id(),
            target,
        };
        let (stop_tx, stop_rx) = oneshot::channel();
        let task = tokio::spawn(exporter.run(stop_rx));
        tracing::info!(collector = %config.address, tls = config.tls, "audit export to syslog");
        Ok(SyslogExporter { stop: Some(stop_tx), task })
    }

    /// Sends what the log has written so far if connected, closes the connection (TLS
    /// `close_notify`) and stops. Flush the log first ([`ChainedAudit::flush`]).
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if tokio::time::timeout(WRITE_TIMEOUT, &mut self.task).await.is_err() {
            self.task.abort();
        }
    }
}

impl Drop for SyslogExporter {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct Exporter {
    file: PathBuf,
    cursor_file: PathBuf,
    written: watch::Receiver<u64>,
    facility: u8,
    hostname: String,
    app_name: String,
    procid: u32,
    target: Target,
}

/// Why a connection ended.
enum Ended {
    /// Stopped (or the log closed): the exporter ends.
    Stop,
    /// Reconnect.
    Broken,
}

impl Exporter {
    async fn run(mut self, mut stop: oneshot::Receiver<()>) {
        let mut cursor = read_cursor(&self.cursor_file).unwrap_or_default();
        if !cursor_in(&self.file, &cursor) {
            // The cursor is not a record of this file (moved aside: a new chain).
            tracing::warn!(
                cursor_seq = cursor.seq,
                "audit export: the cursor is not in this log; sending it from its first record"
            );
            cursor = Cursor::default();
        }
        let mut backoff = MIN_BACKOFF;
        let mut stopping = false;
        loop {
            let connected = tokio::select! {
                c = self.target.connect() => c,
                _ = &mut stop, if !stopping => return,
            };
            let stream = match connected {
                Ok(stream) => stream,
                Err(e) => {
                    tracing::warn!(
                        collector = %self.target.address,
                        error = %e,
                        retry_in_secs = backoff.as_secs(),
                        "audit export: cannot reach the syslog collector; the file keeps every record"
                    );
                    if stopping {
                        return;
                    }
                    tokio::select! {
                        () = tokio::time::sleep(backoff) => {}
                        _ = &mut stop => return,
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    continue;
                }
            };
            backoff = MIN_BACKOFF;
            tracing::info!(collector = %self.target.address, from_seq = cursor.seq + 1, "audit export connected");
            match self.serve(stream, &mut cursor, &mut stop, &mut stopping).await {
                Ended::Stop => return,
                Ended::Broken => {
                    tracing::warn!(
                        collector = %self.target.address,
                        resend_from_seq = cursor.seq + 1,
                        "audit export: connection lost; reconnecting"
                    );
                    if stopping {
                        return;
                    }
                    tokio::select! {
                        () = tokio::time::sleep(backoff) => {}
                        _ = &mut stop => return,
                    }
                }
            }
        }
    }

    /// Sends records over one connection until it breaks or the exporter stops.
    async fn serve(
        &mut self,
        stream: Box<dyn Stream>,
        cursor: &mut Cursor,
        stop: &mut oneshot::Receiver<()>,
        stopping: &mut bool,
    ) -> Ended {
        let (mut rd, mut wr) = tokio::io::split(stream);
        // The collector sends nothing: EOF or an error means it closed the connection, which is
        // noticed here before the next batch is written into a dead socket.
        let (closed_tx, mut closed) = watch::channel(false);
        let reader = tokio::spawn(async move {
            let mut buf = [0u8; 256];
            while let Ok(n) = rd.read(&mut buf).await {
                if n == 0 {
                    break;
                }
            }
            let _ = closed_tx.send(true);
        });
        let ended = loop {
            if *closed.borrow() {
                break Ended::Broken;
            }
            let head = *self.written.borrow_and_update();
            if cursor.seq >= head {
                if *stopping {
                    break Ended::Stop;
                }
                tokio::select! {
                    changed = self.written.changed() => {
                        if changed.is_err() { *stopping = true; }
                    }
                    _ = &mut *stop => { *stopping = true; }
                    _ = closed.changed() => {}
                }
                continue;
            }
            let batch = match read_batch(&self.file, cursor, head) {
                Ok(Some(batch)) => batch,
                Ok(None) => {
                    tracing::error!(
                        file = %self.file.display(),
                        after_seq = cursor.seq,
                        "audit export stopped: the log does not go on from the last record \
                         sent (changed under the service?); check it with `reclaim-service \
                         audit verify`"
                    );
                    break Ended::Stop;
                }
                Err(e) => {
                    tracing::error!(
                        file = %self.file.display(),
                        error = %e,
                        "audit export stopped: cannot read the log"
                    );
                    break Ended::Stop;
                }
            };
            let Some((_, _, after)) = batch.last() else {
                break Ended::Broken;
            };
            let after = after.clone();
            let mut bytes = Vec::new();
            for (record, line, _) in &batch {
                let msg = message(
                    record,
                    line,
                    self.facility,
                    &self.hostname,
                    &self.app_name,
                    self.procid,
                );
                bytes.extend_from_slice(&frame(&msg));
            }
            let sent = tokio::time::timeout(WRITE_TIMEOUT, async {
                wr.write_all(&bytes).await?;
                wr.flush().await
            })
            .await;
            match sent {
                Ok(Ok(())) => {
                    *cursor = after;
                    if let Err(e) = save_cursor(&self.cursor_file, cursor) {
                        tracing::warn!(error = %e, "audit export: cannot keep the cursor");
                    }
                }
                _ => break Ended::Broken,
            }
        };
        if matches!(ended, Ended::Stop) {
            // TLS: close_notify; TCP: FIN.
            let _ = tokio::time::timeout(Duration::from_secs(5), wr.shutdown()).await;
        }
        reader.abort();
        ended
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_follows_rfc_5424_and_the_frame_counts_bytes() {
        let line = r#"{"seq":1,"ts":"2026-08-20T12:00:03.123000Z","station":"st-1","event":"tap_issued","prev":"0","hash":"1"}"#;
        let record = Record {
            seq: 1,
            ts: "2026-08-20T12:00:03.123000Z".into(),
            station: "st-1".into(),
            event: "tap_issued".into(),
            prev: GENESIS.into(),
            hash: GENESIS.into(),
        };
        let msg = message(&record, line, 13, "kiosk host", "reclaim", 4711);
        let expected_head =
            "<109>1 2026-08-20T12:00:03.123000Z kioskhost reclaim 4711 tap_issued - ";
        assert!(msg.starts_with(expected_head.as_bytes()), "{}", String::from_utf8_lossy(&msg));
        assert_eq!(&msg[expected_head.len()..expected_head.len() + 3], BOM);
        assert!(msg.ends_with(line.as_bytes()));
        let framed = frame(&msg);
        assert_eq!(framed, [format!("{} ", msg.len()).as_bytes(), &msg].concat());
        assert_eq!(severity("started"), 6);
        assert_eq!(severity("privileged_role_refused"), 4);
    }
}
