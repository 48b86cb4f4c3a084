//! The service-desk webhook: recovery outcomes POSTed as JSON to a configured endpoint, signed
//! per Standard Webhooks (`microsoft-apis-v2.md` §8), from a durable outbox.
//!
//! * Events: `recovery.completed` (a session ended `tap_issued`), `recovery.blocked` (ended
//!   `duplicate_name`, `records_mismatch`, `referee_refused`, `rate_limited`, or `not_eligible`
//!   after a privileged role was refused), `referee.needed` (a person asked for a member of
//!   staff; `reason` is the check that failed), `tap.deleted` (an unconfirmed TAP was deleted).
//! * Body: `{"type", "timestamp", "data": {"station", "reference", "reason", "accountRef"}}`:
//!   nothing personal beyond the account pseudonym.
//! * Headers: `webhook-id` (`msg_…`, the same on every retry), `webhook-timestamp` (Unix seconds
//!   of the attempt), `webhook-signature` (`v1,` + base64 HMAC-SHA256 over
//!   `{id}.{timestamp}.{body}`, the key being the base64-decoded `whsec_` secret).
//! * Outbox: each event is appended to `{state_dir}/webhook/outbox.jsonl` (0600) before it is
//!   sent; one sender task delivers in order, retrying non-2xx answers, timeouts and dropped
//!   connections with exponential backoff (capped at 60 s); the number of delivered lines is
//!   kept in `{state_dir}/webhook/delivered`, so a restart sends only the rest.
//!   Once [`COMPACT_AFTER`] entries were delivered and none is left, the outbox is emptied.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use reclaim_core::{AuditEvent, AuditKind, ReasonCode};
use reclaim_engine::ports::AuditSink;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::sync::{Notify, watch};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::error::ServiceError;

/// Every event type the webhook sends.
pub use reclaim_config::WEBHOOK_EVENTS as EVENT_TYPES;
/// The longest wait between two attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// One attempt's timeout.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);
/// Once this many entries were delivered and none is left, the outbox is emptied.
pub const COMPACT_AFTER: u64 = 1000;

/// A Standard Webhooks secret (`whsec_` + base64 of the key). Redacted.
#[derive(Clone)]
pub struct WebhookSecret(Zeroizing<Vec<u8>>);

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(<redacted>)")
    }
}

impl WebhookSecret {
    /// Parses `whsec_<base64>` (the prefix is optional); the key is the decoded bytes.
    pub fn parse(text: &str) -> Result<Self, ServiceError> {
        let b64 = text.trim();
        let b64 = b64.strip_prefix("whsec_").unwrap_or(b64);
        let key = STANDARD
            .decode(b64)
            .map_err(|_| ServiceError::Config("webhook secret: not whsec_<base64>".into()))?;
        if key.is_empty() {
            return Err(ServiceError::Config("webhook secret: empty key".into()));
        }
        Ok(Self(Zeroizing::new(key)))
    }

    /// `v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let sig = match Hmac::<Sha256>::new_from_slice(&self.0) {
            Ok(mut mac) => {
                mac.update(id.as_bytes());
                mac.update(b".");
                mac.update(timestamp.to_string().as_bytes());
                mac.update(b".");
                mac.update(body);
                mac.finalize().into_bytes().to_vec()
            }
            // HMAC takes keys of any length.
            Err(_) => Vec::new(),
        };
        format!("v1,{}", STANDARD.encode(sig))
    }
}

/// The event's `data`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookData {
    /// The station's enrolled id.
    pub station: String,
    /// The helpdesk reference the person was shown (`None` for `tap.deleted`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Why (`tap_issued`, `duplicate_name`, `records_mismatch`, `rate_limited`, `privileged_role`,
    /// `tap_deleted`; a limit's scope as `rate_limited:<scope>`).
    pub reason: String,
    /// The account pseudonym (the audit's `account_ref`), once a UPN was typed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_ref: Option<String>,
}

/// The body: `{type, timestamp, data}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookPayload {
    /// `recovery.completed`, `recovery.blocked` or `tap.deleted`.
    #[serde(rename = "type")]
    pub kind: String,
    /// When the event happened (RFC 3339, UTC).
    pub timestamp: String,
    /// What happened.
    pub data: WebhookData,
}

/// One outbox line: the id and the exact body sent on every attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxEntry {
    /// `webhook-id`.
    pub id: String,
    /// The raw body.
    pub body: String,
}

/// Maps audit events to webhook payloads; remembers, per session, a blocking cause seen before
/// the session ended (a privileged role, a full limit).
#[derive(Debug, Default)]
pub struct EventMapper {
    causes: HashMap<Uuid, String>,
}

impl EventMapper {
    /// The payload `event` (written for `station`) maps to, if any.
    pub fn map(&mut self, station: &str, event: &AuditEvent) -> Option<WebhookPayload> {
        let (kind, reason, reference) = match &event.kind {
            AuditKind::PrivilegedRoleRefused { .. } => {
                self.causes.insert(event.session_id, "privileged_role".into());
                return None;
            }
            AuditKind::LimitReached { scope } => {
                self.causes.insert(event.session_id, format!("rate_limited:{}", scope.as_str()));
                return None;
            }
            AuditKind::Ended { reason, reference } => {
                let cause = self.causes.remove(&event.session_id);
                match reason {
                    ReasonCode::TapIssued => {
                        ("recovery.completed", "tap_issued".to_owned(), reference)
                    }
                    ReasonCode::DuplicateName
                    | ReasonCode::RecordsMismatch
                    | ReasonCode::RefereeRefused => {
                        ("recovery.blocked", reason.as_str().to_owned(), reference)
                    }
                    ReasonCode::RateLimited => (
                        "recovery.blocked",
                        cause
                            .filter(|c| c.starts_with("rate_limited"))
                            .unwrap_or_else(|| "rate_limited".into()),
                        reference,
                    ),
                    ReasonCode::NotEligible if cause.as_deref() == Some("privileged_role") => {
                        ("recovery.blocked", "privileged_role".to_owned(), reference)
                    }
                    _ => return None,
                }
            }
            AuditKind::RefereeRequested { reason } => {
                // The person waits at the station for a member of staff (the trusted referee).
                return Some(self.payload(
                    station,
                    event,
                    "referee.needed",
                    reason.as_str().to_owned(),
                    Some(reason.reference(event.session_id)),
                ));
            }
            AuditKind::TapDeleted { .. } => {
                return Some(self.payload(
                    station,
                    event,
                    "tap.deleted",
                    "tap_deleted".into(),
                    None,
                ));
            }
            _ => return None,
        };
        Some(self.payload(station, event, kind, reason, Some(reference.clone())))
    }

    fn payload(
        &self,
        station: &str,
        event: &AuditEvent,
        kind: &str,
        reason: String,
        reference: Option<String>,
    ) -> WebhookPayload {
        WebhookPayload {
            kind: kind.to_owned(),
            timestamp: event.at.format(&Rfc3339).unwrap_or_default(),
            data: WebhookData {
                station: station.to_owned(),
                reference,
                reason,
                account_ref: event.account_ref.as_ref().map(|a| a.as_str().to_owned()),
            },
        }
    }
}

/// The webhook's settings.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// The endpoint.
    pub url: url::Url,
    /// The signing secret.
    pub secret: WebhookSecret,
    /// Which event types are sent (`None`: all of [`EVENT_TYPES`]).
    pub events: Option<Vec<String>>,
    /// The first retry's delay (doubled on every failure, capped at [`MAX_BACKOFF`]).
    pub initial_backoff: Duration,
    /// One attempt's timeout.
    pub timeout: Duration,
}

impl WebhookSettings {
    /// Settings with the default backoff (1 s) and timeout.
    pub fn new(url: url::Url, secret: WebhookSecret, events: Option<Vec<String>>) -> Self {
        Self {
            url,
            secret,
            events,
            initial_backoff: Duration::from_secs(1),
            timeout: REQUEST_TIMEOUT,
        }
    }
}

/// The durable outbox: `outbox.jsonl` (every event, in order) and `delivered` (how many lines
/// were delivered).
#[derive(Debug)]
pub struct Outbox {
    dir: PathBuf,
    file: Mutex<File>,
}

/// `{state_dir}/webhook`.
pub fn dir_in(state_dir: &Path) -> PathBuf {
    state_dir.join("webhook")
}

fn open_private(path: &Path, append: bool) -> std::io::Result<File> {
    let mut o = OpenOptions::new();
    if append {
        o.create(true).append(true);
    } else {
        o.create(true).write(true).truncate(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)
}

impl Outbox {
    /// Opens (creates) the outbox in `dir` (0700).
    pub fn open(dir: &Path) -> Result<Self, ServiceError> {
        std::fs::create_dir_all(dir)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        }
        let file = open_private(&dir.join("outbox.jsonl"), true)?;
        Ok(Self { dir: dir.to_owned(), file: Mutex::new(file) })
    }

    /// Appends one entry and syncs it to disk.
    pub fn append(&self, entry: &OutboxEntry) -> Result<(), ServiceError> {
        let mut line = serde_json::to_string(entry)
            .map_err(|e| ServiceError::Config(format!("webhook: {e}")))?;
        line.push('\n');
        let mut file = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        file.write_all(line.as_bytes())?;
        file.sync_data()?;
        Ok(())
    }

    /// Every entry, in order (a torn last line is skipped).
    pub fn entries(&self) -> Result<Vec<OutboxEntry>, ServiceError> {
        let file = File::open(self.dir.join("outbox.jsonl"))?;
        let mut out = Vec::new();
        for line in BufReader::new(file).lines() {
            match serde_json::from_str(&line?) {
                Ok(entry) => out.push(entry),
                Err(_) => break,
            }
        }
        Ok(out)
    }

    /// How many entries were delivered.
    pub fn delivered(&self) -> u64 {
        std::fs::read_to_string(self.dir.join("delivered"))
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0)
    }

    /// Empties the outbox if exactly `done` entries are in it (all delivered; appends wait).
    /// The cursor is reset first: a crash in between sends the delivered entries again (the
    /// receiver deduplicates on `webhook-id`) rather than skipping new ones.
    pub fn compact_if_all_delivered(&self, done: u64) -> Result<bool, ServiceError> {
        let file = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        let count = u64::try_from(self.entries()?.len()).unwrap_or(u64::MAX);
        if count != done {
            return Ok(false);
        }
        self.set_delivered(0)?;
        file.set_len(0)?;
        file.sync_all()?;
        Ok(true)
    }

    /// Records that the first `n` entries were delivered (written to a temporary file, then
    /// renamed).
    pub fn set_delivered(&self, n: u64) -> Result<(), ServiceError> {
        let tmp = self.dir.join("delivered.tmp");
        let mut f = open_private(&tmp, false)?;
        f.write_all(format!("{n}\n").as_bytes())?;
        f.sync_data()?;
        std::fs::rename(&tmp, self.dir.join("delivered"))?;
        Ok(())
    }
}

/// The running webhook: the outbox and its sender task.
#[derive(Debug)]
pub struct Webhook {
    outbox: Arc<Outbox>,
    mapper: Mutex<EventMapper>,
    events: Option<Vec<String>>,
    wake: Arc<Notify>,
    stop: watch::Sender<bool>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Webhook {
    /// Opens the outbox in `dir` and starts the sender (needs a tokio runtime). Entries not yet
    /// delivered (from a previous run) are sent first.
    pub fn start(dir: &Path, settings: WebhookSettings) -> Result<Arc<Self>, ServiceError> {
        let outbox = Arc::new(Outbox::open(dir)?);
        let client = reqwest::Client::builder()
            .timeout(settings.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| ServiceError::Config(format!("webhook client: {e}")))?;
        let wake = Arc::new(Notify::new());
        let (stop, stop_rx) = watch::channel(false);
        let events = settings.events.clone();
        let task = tokio::spawn(send_loop(outbox.clone(), client, settings, wake.clone(), stop_rx));
        Ok(Arc::new(Self {
            outbox,
            mapper: Mutex::new(EventMapper::default()),
            events,
            wake,
            stop,
            task: Mutex::new(Some(task)),
        }))
    }

    /// The outbox.
    pub fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    /// An audit sink for `station` (its enrolled id), to compose beside the audit log.
    pub fn station(self: &Arc<Self>, station: &str) -> Arc<dyn AuditSink> {
        Arc::new(StationWebhook { hook: self.clone(), station: station.to_owned() })
    }

    /// Maps `event` and, if it is one the webhook sends, appends it to the outbox.
    pub fn record(&self, station: &str, event: &AuditEvent) {
        let payload =
            self.mapper.lock().unwrap_or_else(PoisonError::into_inner).map(station, event);
        let Some(payload) = payload else { return };
        if self.events.as_ref().is_some_and(|e| !e.contains(&payload.kind)) {
            return;
        }
        if let Err(e) = self.enqueue(&payload) {
            tracing::error!(target: "reclaim::webhook", error = %e, "webhook event not queued");
        }
    }

    /// Appends `payload` to the outbox with a fresh id and wakes the sender.
    pub fn enqueue(&self, payload: &WebhookPayload) -> Result<String, ServiceError> {
        let id = format!("msg_{}", Uuid::new_v4().simple());
        let body = serde_json::to_string(payload)
            .map_err(|e| ServiceError::Config(format!("webhook: {e}")))?;
        self.outbox.append(&OutboxEntry { id: id.clone(), body })?;
        self.wake.notify_one();
        Ok(id)
    }

    /// Stops the sender (undelivered entries stay in the outbox for the next start).
    pub async fn stop(&self) {
        let _ = self.stop.send(true);
        let task = self.task.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(task) = task {
            let _ = task.await;
        }
    }
}

#[derive(Debug)]
struct StationWebhook {
    hook: Arc<Webhook>,
    station: String,
}

impl AuditSink for StationWebhook {
    fn write(&self, event: &AuditEvent) {
        self.hook.record(&self.station, event);
    }
}

/// One attempt: `Ok` on a 2xx answer.
async fn attempt(
    client: &reqwest::Client,
    settings: &WebhookSettings,
    entry: &OutboxEntry,
) -> Result<(), String> {
    let ts = OffsetDateTime::now_utc().unix_timestamp();
    let signature = settings.secret.sign(&entry.id, ts, entry.body.as_bytes());
    let answer = client
        .post(settings.url.clone())
        .header("content-type", "application/json")
        .header("webhook-id", &entry.id)
        .header("webhook-timestamp", ts.to_string())
        .header("webhook-signature", signature)
        .body(entry.body.clone())
        .send()
        .await
        .map_err(|e| format!("send: {e}"))?;
    if answer.status().is_success() { Ok(()) } else { Err(format!("status {}", answer.status())) }
}

async fn send_loop(
    outbox: Arc<Outbox>,
    client: reqwest::Client,
    settings: WebhookSettings,
    wake: Arc<Notify>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        if *stop.borrow() {
            return;
        }
        let entries = match outbox.entries() {
            Ok(e) => e,
            Err(e) => {
                tracing::error!(target: "reclaim::webhook", error = %e, "outbox unreadable");
                Vec::new()
            }
        };
        let mut done = outbox.delivered();
        let start = usize::try_from(done).unwrap_or(usize::MAX);
        for entry in entries.iter().skip(start) {
            let mut backoff = settings.initial_backoff;
            loop {
                match attempt(&client, &settings, entry).await {
                    Ok(()) => break,
                    Err(e) => {
                        tracing::warn!(target: "reclaim::webhook", id = %entry.id, error = %e,
                            retry_in_ms = backoff.as_millis() as u64, "webhook delivery failed");
                        tokio::select! {
                            () = tokio::time::sleep(backoff) => {}
                            _ = stop.changed() => return,
                        }
                        backoff = (backoff * 2).min(MAX_BACKOFF);
                    }
                }
            }
            done += 1;
            if let Err(e) = outbox.set_delivered(done) {
                tracing::error!(target: "reclaim::webhook", error = %e, "delivered cursor not saved");
            }
        }
        if done >= COMPACT_AFTER {
            match outbox.compact_if_all_delivered(done) {
                Ok(true) => continue,
                Ok(false) => {}
                Err(e) => {
                    tracing::error!(target: "reclaim::webhook", error = %e, "outbox not compacted");
                }
            }
        }
        if done >= u64::try_from(entries.len()).unwrap_or(u64::MAX) {
            tokio::select! {
                () = wake.notified() => {}
                _ = stop.changed() => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_webhooks_test_vector() {
        let secret = WebhookSecret::parse("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").unwrap();
        let body = br#"{"email":"test@example.com","username":"test_user"}"#;
        assert_eq!(
            secret.sign("msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", 1649367553, body),
            "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="
        );
        let mut newline = body.to_vec();
        newline.push(b'\n');
        assert_eq!(
            secret.sign("msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", 1649367553, &newline),
            "v1,vx27exWJbE7+6XRHIZvK7r62heXfvAx9qjUZC7JfqME="
        );
        assert!(WebhookSecret::parse("whsec_!!").is_err());
    }

    #[test]
    fn compaction_empties_only_a_fully_delivered_outbox() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::open(dir.path()).unwrap();
        for i in 0..3 {
            outbox.append(&OutboxEntry { id: format!("msg_{i}"), body: "{}".into() }).unwrap();
        }
        outbox.set_delivered(2).unwrap();
        assert!(!outbox.compact_if_all_delivered(2).unwrap());
        assert_eq!(outbox.entries().unwrap().len(), 3);
        outbox.set_delivered(3).unwrap();
        assert!(outbox.compact_if_all_delivered(3).unwrap());
        assert!(outbox.entries().unwrap().is_empty());
        assert_eq!(outbox.delivered(), 0);
        outbox.append(&OutboxEntry { id: "msg_3".into(), body: "{}".into() }).unwrap();
        assert_eq!(outbox.entries().unwrap()[0].id, "msg_3");
    }

    fn event(session: Uuid, kind: AuditKind) -> AuditEvent {
        AuditEvent {
            at: OffsetDateTime::UNIX_EPOCH,
            station_id: "Lobby".into(),
            session_id: session,
            account_ref: None,
            kind,
        }
    }

    #[test]
    fn maps_outcomes() {
        let mut m = EventMapper::default();
        let s = Uuid::new_v4();
        let ended = |reason| AuditKind::Ended { reason, reference: "R-1".into() };
        let p = m.map("st-1", &event(s, ended(ReasonCode::TapIssued))).unwrap();
        assert_eq!((p.kind.as_str(), p.data.reason.as_str()), ("recovery.completed", "tap_issued"));
        assert_eq!(p.data.reference.as_deref(), Some("R-1"));
        assert!(m.map("st-1", &event(s, ended(ReasonCode::Cancelled))).is_none());
        assert!(m.map("st-1", &event(s, ended(ReasonCode::NotEligible))).is_none());
        let priv_kind = AuditKind::PrivilegedRoleRefused {
            stage: reclaim_core::audit::RoleCheckStage::Eligibility,
        };
        assert!(m.map("st-1", &event(s, priv_kind)).is_none());
        let p = m.map("st-1", &event(s, ended(ReasonCode::NotEligible))).unwrap();
        assert_eq!(
            (p.kind.as_str(), p.data.reason.as_str()),
            ("recovery.blocked", "privileged_role")
        );
        let limit = AuditKind::LimitReached { scope: reclaim_core::audit::LimitScope::Account };
        assert!(m.map("st-1", &event(s, limit)).is_none());
        let p = m.map("st-1", &event(s, ended(ReasonCode::RateLimited))).unwrap();
        assert_eq!(p.data.reason, "rate_limited:account");
        let p = m.map("st-1", &event(s, ended(ReasonCode::DuplicateName))).unwrap();
        assert_eq!(p.data.reason, "duplicate_name");
        let p = m.map("st-1", &event(s, AuditKind::TapDeleted { deleted: 1 })).unwrap();
        assert_eq!(p.kind, "tap.deleted");
        assert!(p.data.reference.is_none());
        let asked = AuditKind::RefereeRequested { reason: ReasonCode::DuplicateName };
        let p = m.map("st-1", &event(s, asked)).unwrap();
        assert_eq!((p.kind.as_str(), p.data.reason.as_str()), ("referee.needed", "duplicate_name"));
        assert_eq!(p.data.reference, Some(ReasonCode::DuplicateName.reference(s)));
        let p = m.map("st-1", &event(s, ended(ReasonCode::RefereeRefused))).unwrap();
        assert_eq!(
            (p.kind.as_str(), p.data.reason.as_str()),
            ("recovery.blocked", "referee_refused")
        );
    }
}
