//! The service's audit log: one append-only, hash-chained file of JSON lines for every station
//! (`{state_dir}/audit/audit.jsonl`, mode 0600).
//!
//! Each record is one line: `seq` (1, 2, …), `ts` (when the service wrote it, UTC, RFC 3339 with
//! `Z`), `station` (the enrolled station id), the [`AuditEvent`]'s own fields (`at`,
//! `station_id`, `session_id`, `account_ref`, `event`, …), `prev` (the previous record's
//! `hash`; [`GENESIS`] for the first) and last `hash`:
//!
//! ```text
//! {"seq":7,"ts":"2026-08-20T12:00:03.123456Z","station":"st-…","at":"…","station_id":"lobby","session_id":"…","event":"tap_issued",…,"prev":"<64 hex>","hash":"<64 hex>"}
//! ```
//!
//! **Chain rule**: `hash` = SHA-256 (lower-case hex) of the line's bytes without its final
//! `,"hash":"…"` member, i.e. the line up to the end of the `prev` value, then `}`. So any edit of
//! a record breaks its hash, and removing or moving one breaks the next record's `prev` (and the
//! `seq` run). [`verify`] checks a whole file (`reclaim-service audit verify FILE`).
//!
//! **One writer**: every station's engine writes through [`ChainedAudit::station`] into one
//! channel; a writer thread numbers, chains and appends the records. **fsync policy**: the
//! thread writes what is queued as one batch and `fdatasync`s it before it counts the batch as
//! written (group commit); only then does the syslog exporter see it ([`ChainedAudit::subscribe`])
//! and a [`ChainedAudit::flush`] return. The engines do not wait for the disk (the audit port is
//! fire-and-forget), so a crash loses at most the records of the last moments; a crash in the
//! middle of a write leaves an incomplete last line, which the next start refuses (below).
//!
//! **Resume**: on start the last record is read back and checked (its hash, and its `prev` and
//! `seq` against the record before it); the chain goes on from it. A last line that does not
//! verify stops the service with an error naming the file: the service never starts a second
//! chain after a broken one on its own.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use reclaim_core::AuditEvent;
use reclaim_engine::ports::AuditSink;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::error::ServiceError;

/// `prev` of the first record: 64 zeros.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The audit log's file name in its folder.
pub const FILE_NAME: &str = "audit.jsonl";

/// Where a service with `state_dir` keeps its audit log.
pub fn path_in(state_dir: &Path) -> PathBuf {
    state_dir.join("audit").join(FILE_NAME)
}

/// `,"hash":"` + 64 hex + `"}`.
const HASH_SUFFIX_LEN: usize = 9 + 64 + 2;

/// Lower-case hex SHA-256.
fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn is_hash(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// `ts`: UTC, microseconds, `Z` (RFC 3339; at most 6 fractional digits, as RFC 5424 allows).
pub fn format_ts(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

/// The line (without newline) of record `seq` for `event` at `station`, after `prev`.
pub fn record_line(
    seq: u64,
    ts: OffsetDateTime,
    station: &str,
    prev: &str,
    event: &AuditEvent,
) -> String {
    let event_json = event.to_json_line();
    // The event is a JSON object: its members go between ours.
    let members = event_json
        .strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'))
        .unwrap_or("\"event\":\"unserializable\"");
    let station = serde_json::Value::String(station.to_owned());
    let body = format!(
        "{{\"seq\":{seq},\"ts\":\"{}\",\"station\":{station},{members},\"prev\":\"{prev}\"}}",
        format_ts(ts)
    );
    let hash = sha256_hex(body.as_bytes());
    let mut line = body;
    line.pop();
    line.push_str(",\"hash\":\"");
    line.push_str(&hash);
    line.push_str("\"}");
    line
}

/// One record read back (only what a report may print: no event fields beyond the name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// `seq`.
    pub seq: u64,
    /// `ts`.
    pub ts: String,
    /// `station`.
    pub station: String,
    /// `event`.
    pub event: String,
    /// `prev`.
    pub prev: String,
    /// `hash` (checked against the line).
    pub hash: String,
}

/// What is wrong with one line or with its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The file ends in the middle of a line (a write cut short).
    Incomplete,
    /// Not a record: not JSON, or a member missing or of the wrong type.
    Unreadable(&'static str),
    /// The record's bytes do not give its `hash`: the record was edited.
    HashMismatch,
    /// `prev` is not the previous record's hash (a record removed, moved or inserted).
    PrevMismatch {
        /// The previous line's `seq` (0: none, the file's start).
        after: u64,
        /// This line's `seq`.
        found: u64,
    },
    /// `prev` is right but `seq` does not follow (the record was renumbered).
    SeqGap {
        /// The `seq` expected.
        expected: u64,
        /// The `seq` found.
        found: u64,
    },
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Incomplete => f.write_str("the line is incomplete (the file ends mid-record)"),
            Self::Unreadable(what) => write!(f, "not an audit record ({what})"),
            Self::HashMismatch => {
                f.write_str("hash mismatch: the record's bytes do not give its hash (edited)")
            }
            Self::PrevMismatch { after: 0, found } => write!(
                f,
                "prev is not the genesis value: the file does not start the chain (seq {found} \
                 first; records removed from the start?)"
            ),
            Self::PrevMismatch { after, found } => write!(
                f,
                "prev mismatch: prev is not the hash of the record before (seq {after}); seq \
                 {found} follows seq {after} (a record removed, moved or inserted)"
            ),
            Self::SeqGap { expected, found } => {
                write!(f, "seq gap: seq {found} where {expected} was expected")
            }
        }
    }
}

/// Parses and checks one line on its own (its hash); the chain is checked by the caller.
pub fn parse_line(line: &str) -> Result<Record, Problem> {
    let cut = line
        .len()
        .checked_sub(HASH_SUFFIX_LEN)
        .filter(|&cut| line.is_char_boundary(cut))
        .ok_or(Problem::Unreadable("too short"))?;
    let (body, suffix) = line.split_at(cut);
    let hash = suffix
        .strip_prefix(",\"hash\":\"")
        .and_then(|s| s.strip_suffix("\"}"))
        .filter(|h| is_hash(h))
        .ok_or(Problem::Unreadable("no hash member at the end"))?;
    let value: serde_json::Value =
        serde_json::from_str(line).map_err(|_| Problem::Unreadable("not JSON"))?;
    let text = |name: &'static str| {
        value.get(name).and_then(|v| v.as_str()).map(str::to_owned).ok_or(Problem::Unreadable(name))
    };
    let seq = value.get("seq").and_then(|v| v.as_u64()).ok_or(Problem::Unreadable("seq"))?;
    let record = Record {
        seq,
        ts: text("ts")?,
        station: text("station")?,
        event: text("event")?,
        prev: text("prev")?,
        hash: hash.to_owned(),
    };
    if !is_hash(&record.prev) {
        return Err(Problem::Unreadable("prev"));
    }
    let mut canonical = Vec::with_capacity(body.len() + 1);
    canonical.extend_from_slice(body.as_bytes());
    canonical.push(b'}');
    if sha256_hex(&canonical) != hash {
        return Err(Problem::HashMismatch);
    }
    Ok(record)
}

/// Where the chain breaks: the line (1-based) and, when it could be read, its seq, ts and
/// event name (never anything else of the record).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    /// 1-based line number.
    pub line: u64,
    /// The line's record, if it could be read.
    pub record: Option<Record>,
    /// What is wrong.
    pub problem: Problem,
}

impl std::fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}", self.line)?;
        if let Some(r) = &self.record {
            write!(f, " (seq {}, {}, {})", r.seq, r.ts, r.event)?;
        }
        write!(f, ": {}", self.problem)
    }
}

/// A chain that verified.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Verified {
    /// How many records.
    pub records: u64,
    /// The first record.
    pub first: Option<Record>,
    /// The last record.
    pub last: Option<Record>,
}

impl std::fmt::Display for Verified {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} records, chain intact", self.records)?;
        for (name, r) in [("first", &self.first), ("last", &self.last)] {
            if let Some(r) = r {
                write!(f, ", {name} seq {} {} {}", r.seq, r.ts, r.event)?;
            }
        }
        if let Some(last) = &self.last {
            write!(f, ", head {}", last.hash)?;
        }
        Ok(())
    }
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The chain holds from seq 1 to the end.
    Intact(Verified),
    /// The chain breaks here.
    Broken(ChainBreak),
}

impl Verdict {
    /// The verified chain, if intact.
    pub fn intact(self) -> Option<Verified> {
        match self {
            Self::Intact(v) => Some(v),
            Self::Broken(_) => None,
        }
    }
}

/// Checks the chain from its first record (seq 1 after [`GENESIS`]) to the end; `Err` only
/// when reading fails.
pub fn verify(reader: impl Read) -> std::io::Result<Verdict> {
    let mut reader = BufReader::new(reader);
    let mut out = Verified::default();
    let mut buf = Vec::new();
    let mut line_no = 0u64;
    let mut prev: Option<Record> = None;
    loop {
        buf.clear();
        let n = reader.read_until(b'\n', &mut buf)?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let broken = |record: Option<Record>, problem| {
            Ok(Verdict::Broken(ChainBreak { line: line_no, record, problem }))
        };
        if buf.last() != Some(&b'\n') {
            return broken(None, Problem::Incomplete);
        }
        let Ok(text) = std::str::from_utf8(&buf[..buf.len() - 1]) else {
            return broken(None, Problem::Unreadable("not UTF-8"));
        };
        let record = match parse_line(text) {
            Ok(r) => r,
            // Name the record when its JSON is still readable (an edited one is).
            Err(p) => return broken(readable(text), p),
        };
        let (expected_prev, after) = match &prev {
            Some(p) => (p.hash.as_str(), p.seq),
            None => (GENESIS, 0),
        };
        if record.prev != expected_prev {
            let found = record.seq;
            return broken(Some(record), Problem::PrevMismatch { after, found });
        }
        if record.seq != after + 1 {
            let found = record.seq;
            return broken(Some(record), Problem::SeqGap { expected: after + 1, found });
        }
        out.records += 1;
        if out.first.is_none() {
            out.first = Some(record.clone());
        }
        prev = Some(record);
    }
    out.last = prev;
    Ok(Verdict::Intact(out))
}

/// seq, ts and event of a line whose hash does not verify, when its JSON is readable.
fn readable(line: &str) -> Option<Record> {
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    let s = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("-").to_owned();
    Some(Record {
        seq: v.get("seq")?.as_u64()?,
        ts: s("ts"),
        station: s("station"),
        event: s("event"),
        prev: s("prev"),
        hash: s("hash"),
    })
}

/// Verifies the file at `path`.
pub fn verify_file(path: &Path) -> std::io::Result<Verdict> {
    verify(File::open(path)?)
}

/// The lines of the records after `since` (seq > since), as written (`audit export`).
pub fn export(reader: impl Read, since: u64, out: &mut impl Write) -> std::io::Result<u64> {
    let mut n = 0;
    for line in BufReader::new(reader).lines() {
        let line = line?;
        let seq = serde_json::from_str::<serde_json::Value>(&line)
            .ok()
            .and_then(|v| v.get("seq").and_then(|s| s.as_u64()));
        if seq.is_some_and(|s| s > since) {
            out.write_all(line.as_bytes())?;
            out.write_all(b"\n")?;
            n += 1;
        }
    }
    Ok(n)
}

/// The end of the chain: the last record's seq and hash, and the file's length after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// Last seq (0: empty).
    pub seq: u64,
    /// Last hash ([`GENESIS`] when empty).
    pub hash: String,
    /// Bytes in the file.
    pub len: u64,
}

/// Reads the chain's end from the file's last lines and checks it.
fn read_tail(file: &mut File, path: &Path) -> Result<Head, ServiceError> {
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(Head { seq: 0, hash: GENESIS.to_owned(), len: 0 });
    }
    let refuse = |what: String| {
        ServiceError::Audit(format!(
            "{}: {what}. The service does not start a new chain after a broken one: check the file \
             with `reclaim-service audit verify {}`; if its last line is a write cut short by a \
             crash, move the file aside (keep it as evidence) and start again, which begins a \
             new chain",
            path.display(),
            path.display()
        ))
    };
    let mut window: u64 = 64 * 1024;
    loop {
        let start = len.saturating_sub(window);
        file.seek(SeekFrom::Start(start))?;
        let mut chunk = Vec::new();
        file.read_to_end(&mut chunk)?;
        if chunk.last() != Some(&b'\n') {
            return Err(refuse("its last line is incomplete (the file ends mid-record)".into()));
        }
        let body = &chunk[..chunk.len() - 1];
        let mut lines: Vec<&[u8]> = body.split(|b| *b == b'\n').collect();
        // The first piece of a window that does not start the file may be a partial line.
        if start > 0 {
            lines.remove(0);
        }
        let whole = |l: &[u8]| std::str::from_utf8(l).ok().map(str::to_owned);
        let need = if start == 0 { 1 } else { 2 };
        if lines.len() < need {
            if start == 0 {
                return Err(refuse("it holds no record".into()));
            }
            window = window.saturating_mul(4);
            continue;
        }
        let last_text = lines.last().and_then(|l| whole(l)).unwrap_or_default();
        let last = parse_line(&last_text)
            .map_err(|p| refuse(format!("its last record does not verify: {p}")))?;
        let (expected_prev, after) = if lines.len() >= 2 {
            let before_text = whole(lines[lines.len() - 2]).unwrap_or_default();
            let before = parse_line(&before_text).map_err(|p| {
                refuse(format!("the record before the last one does not verify: {p}"))
            })?;
            (before.hash, before.seq)
        } else {
            (GENESIS.to_owned(), 0)
        };
        if last.prev != expected_prev {
            let problem = Problem::PrevMismatch { after, found: last.seq };
            return Err(refuse(format!("its last record does not chain: {problem}")));
        }
        if last.seq != after + 1 {
            let problem = Problem::SeqGap { expected: after + 1, found: last.seq };
            return Err(refuse(format!("its last record does not chain: {problem}")));
        }
        return Ok(Head { seq: last.seq, hash: last.hash, len });
    }
}

enum Msg {
    Event(String, Box<AuditEvent>),
    Flush(mpsc::Sender<u64>),
}

/// The chained audit log's writer (see the module documentation). Shared by every station's
/// engine through [`ChainedAudit::station`].
#[derive(Debug)]
pub struct ChainedAudit {
    path: PathBuf,
    tx: Mutex<Option<mpsc::Sender<Msg>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
    written: tokio::sync::watch::Sender<u64>,
    closing: Arc<AtomicBool>,
}

impl ChainedAudit {
    /// Opens (or creates, mode 0600 in a 0700 folder) the log at `path`, checks its last record
    /// and starts the writer thread after it.
    pub fn open(path: &Path) -> Result<Arc<ChainedAudit>, ServiceError> {
        let io = |what: &str, e: std::io::Error| {
            ServiceError::Audit(format!("{}: cannot {what}: {e}", path.display()))
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|e| io("create its folder", e))?;
        }
        let existed = path.exists();
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| io("open it", e))?;
        if !existed {
            // The new file's name is on disk too.
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                File::open(dir).and_then(|d| d.sync_all()).map_err(|e| io("sync its folder", e))?;
            }
        }
        let head = read_tail(&mut file, path)?;
        let (written, _) = tokio::sync::watch::channel(head.seq);
        let (tx, rx) = mpsc::channel();
        let closing = Arc::new(AtomicBool::new(false));
        let writer = Writer {
            file,
            head,
            written: written.clone(),
            closing: closing.clone(),
            path: path.to_owned(),
        };
        let thread = std::thread::Builder::new()
            .name("reclaim-audit".into())
            .spawn(move || writer.run(rx))
            .map_err(|e| io("start its writer", e))?;
        tracing::info!(file = %path.display(), "audit log open");
        Ok(Arc::new(ChainedAudit {
            path: path.to_owned(),
            tx: Mutex::new(Some(tx)),
            thread: Mutex::new(Some(thread)),
            written,
            closing,
        }))
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The sink of the station with enrolled id `station`: its events go into this log with
    /// `"station": station`.
    pub fn station(self: &Arc<Self>, station: &str) -> Arc<dyn AuditSink> {
        Arc::new(StationAudit { log: self.clone(), station: station.to_owned() })
    }

    /// Appends `event` for `station` (numbered and chained by the writer).
    pub fn append(&self, station: &str, event: &AuditEvent) {
        let tx = self.tx.lock().unwrap_or_else(PoisonError::into_inner);
        let sent = tx.as_ref().is_some_and(|tx| {
            tx.send(Msg::Event(station.to_owned(), Box::new(event.clone()))).is_ok()
        });
        if !sent {
            tracing::error!(
                target: "reclaim::audit",
                event = %event.to_json_line(),
                "audit log closed: record not chained"
            );
        }
    }

    /// The seq of the last record on disk, updated after each written batch (the syslog
    /// exporter follows it).
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.written.subscribe()
    }

    /// Waits (blocking) until everything appended so far is on disk; the last seq written.
    pub fn flush(&self) -> u64 {
        let (ack_tx, ack_rx) = mpsc::channel();
        let sent = {
            let tx = self.tx.lock().unwrap_or_else(PoisonError::into_inner);
            tx.as_ref().is_some_and(|tx| tx.send(Msg::Flush(ack_tx)).is_ok())
        };
        if sent && let Ok(seq) = ack_rx.recv() {
            return seq;
        }
        *self.written.borrow()
    }

    /// Writes what is queued and stops the writer (later events are only traced).
    pub fn close(&self) {
        self.closing.store(true, Ordering::SeqCst);
        drop(self.tx.lock().unwrap_or_else(PoisonError::into_inner).take());
        let thread = self.thread.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(thread) = thread {
            let _ = thread.join();
        }
    }
}

impl Drop for ChainedAudit {
    fn drop(&mut self) {
        self.close();
    }
}

/// One station's view of the shared log.
#[derive(Debug)]
struct StationAudit {
    log: Arc<ChainedAudit>,
    station: String,
}

impl AuditSink for StationAudit {
    fn write(&self, event: &AuditEvent) {
        self.log.append(&self.station, event);
    }
}

struct Writer {
    file: File,
    head: Head,
    written: tokio::sync::watch::Sender<u64>,
    closing: Arc<AtomicBool>,
    path: PathBuf,
}

/// Most records written (and synced) as one batch.
const BATCH: usize = 512;

impl Writer {
    fn run(mut self, rx: mpsc::Receiver<Msg>) {
        while let Ok(first) = rx.recv() {
            let mut batch = vec![first];
            while batch.len() < BATCH {
                match rx.try_recv() {
                    Ok(m) => batch.push(m),
                    Err(_) => break,
                }
            }
            let mut head = self.head.clone();
            let mut bytes = String::new();
            let mut acks = Vec::new();
            for msg in batch {
                match msg {
                    Msg::Event(station, event) => {
                        head.seq += 1;
                        let line = record_line(
                            head.seq,
                            OffsetDateTime::now_utc(),
                            &station,
                            &head.hash,
                            &event,
                        );
                        head.hash = line[line.len() - 66..line.len() - 2].to_owned();
                        bytes.push_str(&line);
                        bytes.push('\n');
                    }
                    Msg::Flush(ack) => acks.push(ack),
                }
            }
            if !bytes.is_empty() {
                if self.write_durably(bytes.as_bytes()) {
                    head.len = self.head.len + bytes.len() as u64;
                    self.head = head;
                    self.written.send_replace(self.head.seq);
                } else {
                    // Closing while the disk refuses: what was queued is lost (and said so).
                    tracing::error!(
                        file = %self.path.display(),
                        records = head.seq - self.head.seq,
                        "audit log: records not written at shutdown"
                    );
                }
            }
            for ack in acks {
                let _ = ack.send(self.head.seq);
            }
        }
    }

    /// Appends and syncs `bytes`, retrying with backoff (the events wait in the channel); a
    /// failed attempt is cut off so the file ends on a whole record. `false` only when closing.
    fn write_durably(&mut self, bytes: &[u8]) -> bool {
        let mut backoff = Duration::from_millis(200);
        loop {
            let result = self.file.write_all(bytes).and_then(|()| self.file.sync_data());
            match result {
                Ok(()) => return true,
                Err(e) => {
                    tracing::error!(
                        file = %self.path.display(),
                        error = %e,
                        "audit log: write failed; retrying"
                    );
                    let _ = self.file.set_len(self.head.len);
                    if self.closing.load(Ordering::SeqCst) {
                        return false;
                    }
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reclaim_core::{AuditKind, ReasonCode};
    use time::macros::datetime;

    fn event(kind: AuditKind) -> AuditEvent {
        AuditEvent {
            at: datetime!(2026-08-20 12:00:03 UTC),
            station_id: "lobby".into(),
            session_id: uuid::Uuid::nil(),
            account_ref: None,
            kind,
        }
    }

    fn write_some(path: &Path, n: usize) -> u64 {
        let log = ChainedAudit::open(path).unwrap();
        let sink = log.station("st-1");
        for _ in 0..n {
            sink.write(&event(AuditKind::Started));
        }
        let seq = log.flush();
        log.close();
        seq
    }

    #[test]
    fn a_line_hashes_its_bytes_without_the_hash_member() {
        let line = record_line(
            1,
            datetime!(2026-08-20 12:00:03.5 UTC),
            "st-1",
            GENESIS,
            &event(AuditKind::Ended { reason: ReasonCode::NameMismatch, reference: "RC-X".into() }),
        );
        assert!(line.starts_with(
            r#"{"seq":1,"ts":"2026-08-20T12:00:03.500000Z","station":"st-1","at":"2026-08-20T12:00:03Z","station_id":"lobby","#
        ), "{line}");
        let (body, _) = line.split_at(line.len() - HASH_SUFFIX_LEN);
        let expected = sha256_hex(format!("{body}}}").as_bytes());
        assert!(line.ends_with(&format!(",\"prev\":\"{GENESIS}\",\"hash\":\"{expected}\"}}")));
        let record = parse_line(&line).unwrap();
        assert_eq!((record.seq, record.event.as_str()), (1, "ended"));
        // One byte changed: the hash no longer fits.
        let edited = line.replace("name_mismatch", "name_mismatcH");
        assert_eq!(parse_line(&edited), Err(Problem::HashMismatch));
    }

    #[test]
    fn appends_resume_and_verify() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit").join(FILE_NAME);
        assert_eq!(write_some(&path, 3), 3);
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        // Reopened: the chain goes on after record 3.
        assert_eq!(write_some(&path, 2), 5);
        let verified = verify_file(&path).unwrap().intact().unwrap();
        assert_eq!(verified.records, 5);
        assert_eq!(verified.first.unwrap().seq, 1);
        assert_eq!(verified.last.unwrap().seq, 5);
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let third = parse_line(lines[2]).unwrap();
        assert_eq!(parse_line(lines[3]).unwrap().prev, third.hash);
        // Export after seq 3.
        let mut out = Vec::new();
        assert_eq!(export(text.as_bytes(), 3, &mut out).unwrap(), 2);
        assert_eq!(String::from_utf8(out).unwrap(), format!("{}\n{}\n", lines[3], lines[4]));
    }

    #[test]
    fn a_broken_tail_refuses_to_resume() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        write_some(&path, 2);
        let good = std::fs::read_to_string(&path).unwrap();
        // Cut short mid-record.
        std::fs::write(&path, &good[..good.len() - 10]).unwrap();
        let e = ChainedAudit::open(&path).unwrap_err().to_string();
        assert!(e.contains("incomplete") && e.contains("audit verify"), "{e}");
        // The last record edited.
        let lines: Vec<&str> = good.lines().collect();
        std::fs::write(&path, format!("{}\n{}\n", lines[0], lines[1].replace("started", "wiped")))
            .unwrap();
        let e = ChainedAudit::open(&path).unwrap_err().to_string();
        assert!(e.contains("hash mismatch"), "{e}");
        // Only the second record left: it does not start the chain.
        std::fs::write(&path, format!("{}\n", lines[1])).unwrap();
        let e = ChainedAudit::open(&path).unwrap_err().to_string();
        assert!(e.contains("genesis"), "{e}");
        // Intact again: it resumes.
        std::fs::write(&path, &good).unwrap();
        assert_eq!(write_some(&path, 1), 3);
    }

    #[test]
    fn verify_names_the_first_bad_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        write_some(&path, 4);
        let good = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = good.lines().collect();
        let check = |lines: Vec<String>| match verify(lines.join("\n").add_nl().as_bytes()) {
            Ok(Verdict::Broken(b)) => b,
            other => panic!("{other:?}"),
        };
        let own = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        // Removed.
        let b = check(own(&[lines[0], lines[2], lines[3]]));
        assert_eq!((b.line, b.problem.clone()), (2, Problem::PrevMismatch { after: 1, found: 3 }));
        // Reordered.
        let b = check(own(&[lines[0], lines[2], lines[1], lines[3]]));
        assert_eq!(b.line, 2);
        assert!(matches!(b.problem, Problem::PrevMismatch { .. }));
        // Edited.
        let mut edited = own(&lines);
        edited[2] = edited[2].replace("\"station\":\"st-1\"", "\"station\":\"st-2\"");
        let b = check(edited);
        assert_eq!((b.line, b.problem), (3, Problem::HashMismatch));
    }

    trait AddNl {
        fn add_nl(self) -> String;
    }
    impl AddNl for String {
        fn add_nl(mut self) -> String {
            self.push('\n');
            self
        }
    }
}
