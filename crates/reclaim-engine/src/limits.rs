//! Attempt limits and the Face Check budget (issue 13 item 5; architecture §5).
//!
//! Counters live in a [`LimitsStore`] the recovery service shares between every station's engine
//! (in memory: [`MemoryLimits`]; the service keeps them on disk so they survive a restart; a
//! later store keeps them in Redis). What is counted, each in a sliding window of session time:
//!
//! * **per account** — recovery attempts for a typed account (its audit pseudonym), checked
//!   before any directory lookup;
//! * **per station** — recovery attempts at a station;
//! * **per document** — verified presentations of a document (a keyed hash of its number,
//!   never the number), checked before the directory search and the TAP;
//! * **per provider session** — Face Checks made with the credential of one identity
//!   verification (one hosted flow or camera capture);
//! * **the Face Check budget** — billed Face Checks (pass or fail) per station per UTC day.
//!   A paid step (the provider, a presentation with Face Check) only starts while the budget has
//!   room: it is looked at with the account and station limits, before the directory, and again
//!   before each presentation request.
//!
//! Keys are [`LimitKey`]s: a scope and a pseudonym under the audit key, or the station's name;
//! nothing in a store names a person or a document.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use hmac::{Hmac, Mac};
use reclaim_core::{AccountRef, AdapterFailure, AuditKey, LimitScope};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use time::OffsetDateTime;

use crate::ports::BoxFuture;

/// How many attempts are allowed, and over what window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Attempts per account in [`account_window`](Self::account_window).
    pub per_account: u32,
    /// Window of the per-account limit.
    pub account_window: Duration,
    /// Attempts per station in [`station_window`](Self::station_window).
    pub per_station: u32,
    /// Window of the per-station limit.
    pub station_window: Duration,
    /// Verified presentations per document in [`document_window`](Self::document_window).
    pub per_document: u32,
    /// Window of the per-document limit.
    pub document_window: Duration,
    /// Face Checks per provider session in
    /// [`provider_session_window`](Self::provider_session_window).
    pub per_provider_session: u32,
    /// Window of the per-provider-session limit.
    pub provider_session_window: Duration,
}

impl Default for RateLimits {
    /// 5 attempts per account per hour, 10 per station per minute, 5 per document per day,
    /// 3 Face Checks per provider session per day.
    fn default() -> Self {
        Self {
            per_account: 5,
            account_window: Duration::from_secs(3600),
            per_station: 10,
            station_window: Duration::from_secs(60),
            per_document: 5,
            document_window: Duration::from_secs(24 * 3600),
            per_provider_session: 3,
            provider_session_window: Duration::from_secs(24 * 3600),
        }
    }
}

impl RateLimits {
    /// Practically unlimited (benchmarks).
    pub fn unlimited() -> Self {
        Self {
            per_account: u32::MAX,
            per_station: u32::MAX,
            per_document: u32::MAX,
            per_provider_session: u32::MAX,
            ..Self::default()
        }
    }
}

/// A counter's key: its scope and a pseudonym (or the station's name). Its `Debug` shows the
/// scope only: a document's key is a hash of a document number.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LimitKey(String);

impl fmt::Debug for LimitKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scope = self.0.split(':').next().unwrap_or_default();
        write!(f, "LimitKey({scope}:<redacted>)")
    }
}

/// Hex of HMAC-SHA256 under the audit key of `domain` NUL `value` (domain-separated from the
/// account pseudonyms), 16 bytes.
fn keyed_hash(key: &AuditKey, domain: &str, value: &str) -> String {
    let digest = match Hmac::<Sha256>::new_from_slice(key.expose_bytes()) {
        Ok(mut mac) => {
            mac.update(b"reclaim-limits/v1\0");
            mac.update(domain.as_bytes());
            mac.update(b"\0");
            mac.update(value.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => vec![0; 32],
    };
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

impl LimitKey {
    /// An account, by its audit pseudonym.
    pub fn account(account: &AccountRef) -> Self {
        Self(format!("account:{}", account.as_str()))
    }

    /// A station, by its name.
    pub fn station(station: &str) -> Self {
        Self(format!("station:{station}"))
    }

    /// A document, by a keyed hash of its number (upper-cased, letters and digits only).
    pub fn document(key: &AuditKey, number: &str) -> Self {
        let normal: zeroize::Zeroizing<String> = zeroize::Zeroizing::new(
            number
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .map(|c| c.to_ascii_uppercase())
                .collect(),
        );
        Self(format!("document:{}", keyed_hash(key, "document", &normal)))
    }

    /// One identity verification at a provider (a hosted flow or a capture session).
    pub fn provider_session(key: &AuditKey, provider: &str, session: &str) -> Self {
        Self(format!("provider-session:{}", keyed_hash(key, provider, session)))
    }

    /// A station's billed Face Checks on one UTC day.
    pub fn face_checks(station: &str, now: OffsetDateTime) -> Self {
        let day = now.to_offset(time::UtcOffset::UTC).date();
        Self(format!("face-checks:{station}:{day}"))
    }

    /// The key as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One counter an operation looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// What it counts (named when it refuses).
    pub scope: LimitScope,
    /// The counter.
    pub key: LimitKey,
    /// Most hits allowed in the window.
    pub limit: u32,
    /// How long a hit counts.
    pub window: Duration,
    /// Hits to count: 1 to admit and count an attempt, 0 to only ask whether there is room for
    /// one more.
    pub cost: u32,
}

impl Hit {
    /// Counts an event that has happened (a billed Face Check): never refused.
    pub fn record(scope: LimitScope, key: LimitKey, window: Duration) -> Self {
        Self { scope, key, limit: u32::MAX, window, cost: 1 }
    }
}

/// Where the counters live; one store serves every station of a service.
pub trait LimitsStore: Send + Sync + fmt::Debug {
    /// All or nothing, atomically with every other call: when every counter has room for its
    /// hit at `now` (the hits still in its window plus `max(cost, 1)` do not exceed `limit`),
    /// counts `cost` hits on each and answers `None`; otherwise counts nothing and names the
    /// first full counter's scope. A store that cannot answer fails, and the caller refuses:
    /// limits fail closed.
    fn admit<'a>(
        &'a self,
        hits: &'a [Hit],
        now: OffsetDateTime,
    ) -> BoxFuture<'a, Result<Option<LimitScope>, AdapterFailure>>;
}

/// The counters: key → when each counted hit stops counting (Unix seconds). The stores keep
/// this; the file store writes it as JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// Key → expiry of each hit.
    pub counters: BTreeMap<String, Vec<i64>>,
}

impl Counters {
    /// Drops every hit that no longer counts at `now`.
    pub fn prune(&mut self, now: OffsetDateTime) {
        let now = now.unix_timestamp();
        self.counters.retain(|_, hits| {
            hits.retain(|until| *until > now);
            !hits.is_empty()
        });
    }

    /// [`LimitsStore::admit`] on these counters (pruned first).
    pub fn admit(&mut self, hits: &[Hit], now: OffsetDateTime) -> Option<LimitScope> {
        self.prune(now);
        for h in hits {
            let held = self.counters.get(h.key.as_str()).map_or(0, Vec::len);
            let held = u32::try_from(held).unwrap_or(u32::MAX);
            if held.saturating_add(h.cost.max(1)) > h.limit {
                return Some(h.scope);
            }
        }
        let now = now.unix_timestamp();
        for h in hits.iter().filter(|h| h.cost > 0) {
            let window = i64::try_from(h.window.as_secs()).unwrap_or(i64::MAX);
            let until = now.saturating_add(window);
            let entry = self.counters.entry(h.key.as_str().to_owned()).or_default();
            entry.extend(std::iter::repeat_n(until, h.cost as usize));
        }
        None
    }
}

/// Counters in this process's memory (a standalone kiosk, the demo, tests): shared by every
/// engine holding the same `Arc`, gone at a restart.
#[derive(Debug, Default)]
pub struct MemoryLimits {
    counters: Mutex<Counters>,
}

impl MemoryLimits {
    /// Empty counters.
    pub fn new() -> Self {
        Self::default()
    }
}

impl LimitsStore for MemoryLimits {
    fn admit<'a>(
        &'a self,
        hits: &'a [Hit],
        now: OffsetDateTime,
    ) -> BoxFuture<'a, Result<Option<LimitScope>, AdapterFailure>> {
        let answer = self
            .counters
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .admit(hits, now);
        Box::pin(std::future::ready(Ok(answer)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn hit(scope: LimitScope, key: &str, limit: u32, secs: u64) -> Hit {
        Hit {
            scope,
            key: LimitKey::station(key),
            limit,
            window: Duration::from_secs(secs),
            cost: 1,
        }
    }

    #[test]
    fn all_or_nothing_sliding_windows() {
        let mut c = Counters::default();
        let t0 = datetime!(2026-11-22 10:00 UTC);
        let a = |c: &mut Counters, t| {
            c.admit(
                &[hit(LimitScope::Station, "s", 3, 60), hit(LimitScope::Account, "a", 2, 3600)],
                t,
            )
        };
        assert_eq!(a(&mut c, t0), None);
        assert_eq!(a(&mut c, t0), None);
        assert_eq!(a(&mut c, t0), Some(LimitScope::Account));
        // Refused: nothing was counted on the station either.
        assert_eq!(c.admit(&[hit(LimitScope::Station, "s", 3, 60)], t0), None);
        assert_eq!(c.admit(&[hit(LimitScope::Station, "s", 3, 60)], t0), Some(LimitScope::Station));
        // A minute later the station window moved on, the account's has not.
        let t1 = t0 + time::Duration::seconds(60);
        assert_eq!(c.admit(&[hit(LimitScope::Station, "s", 3, 60)], t1), None);
        assert_eq!(a(&mut c, t1), Some(LimitScope::Account));
        assert_eq!(a(&mut c, t0 + time::Duration::hours(1)), None);
    }

    #[test]
    fn a_check_counts_nothing_and_a_record_is_never_refused() {
        let mut c = Counters::default();
        let t0 = datetime!(2026-11-22 10:00 UTC);
        let key = LimitKey::face_checks("lobby", t0);
        let check = Hit { cost: 0, ..hit(LimitScope::FaceCheckBudget, "x", 1, 86_400) };
        let check = Hit { key: key.clone(), ..check };
        assert_eq!(c.admit(std::slice::from_ref(&check), t0), None);
        assert_eq!(c.admit(std::slice::from_ref(&check), t0), None);
        let record =
            Hit::record(LimitScope::FaceCheckBudget, key.clone(), Duration::from_secs(86_400));
        assert_eq!(c.admit(std::slice::from_ref(&record), t0), None);
        assert_eq!(c.admit(std::slice::from_ref(&check), t0), Some(LimitScope::FaceCheckBudget));
        assert_eq!(c.admit(std::slice::from_ref(&record), t0), None);
        assert_eq!(c.counters[key.as_str()].len(), 2);
    }

    #[test]
    fn keys_name_no_person_and_no_document() {
        let key = AuditKey::new(b"k".to_vec());
        let d1 = LimitKey::document(&key, "p-000 0001");
        let d2 = LimitKey::document(&key, "P0000001");
        assert_eq!(d1, d2, "normalised before hashing");
        assert!(!d1.as_str().contains("0000001"));
        assert_ne!(d1, LimitKey::document(&AuditKey::new(b"other".to_vec()), "P0000001"));
        assert_eq!(format!("{d1:?}"), "LimitKey(document:<redacted>)");
        let day = LimitKey::face_checks("lobby", datetime!(2026-11-22 23:59 UTC));
        assert_eq!(day.as_str(), "face-checks:lobby:2026-11-22");
    }
}
