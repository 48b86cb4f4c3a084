//! Attempt limits per account (keyed by the audit pseudonym) and per station, in sliding windows
//! of session time (architecture §5: attempts are rate limited; lockouts are audited).

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use time::OffsetDateTime;

/// How many recovery attempts are allowed, and over what window.
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
}

impl Default for RateLimits {
    /// 5 attempts per account per hour, 10 per station per minute.
    fn default() -> Self {
        Self {
            per_account: 5,
            account_window: Duration::from_secs(3600),
            per_station: 10,
            station_window: Duration::from_secs(60),
        }
    }
}

impl RateLimits {
    /// Practically unlimited (benchmarks).
    pub fn unlimited() -> Self {
        Self { per_account: u32::MAX, per_station: u32::MAX, ..Self::default() }
    }
}

/// Which limit refused an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lockout {
    /// Too many attempts for this account.
    Account,
    /// Too many attempts at this station.
    Station,
}

impl Lockout {
    /// For logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Lockout::Account => "account",
            Lockout::Station => "station",
        }
    }
}

/// In-memory sliding-window limiter. Only admitted attempts are counted, so a lockout ends
/// when the oldest admitted attempt leaves the window.
#[derive(Debug, Default)]
pub struct RateLimiter {
    limits: RateLimits,
    station: VecDeque<OffsetDateTime>,
    accounts: HashMap<String, VecDeque<OffsetDateTime>>,
}

fn prune(q: &mut VecDeque<OffsetDateTime>, now: OffsetDateTime, window: Duration) {
    let window = time::Duration::try_from(window).unwrap_or(time::Duration::MAX);
    while q.front().is_some_and(|t| now - *t >= window) {
        q.pop_front();
    }
}

fn full(q: &VecDeque<OffsetDateTime>, limit: u32) -> bool {
    u32::try_from(q.len()).unwrap_or(u32::MAX) >= limit
}

impl RateLimiter {
    /// A limiter with these limits.
    pub fn new(limits: RateLimits) -> Self {
        Self { limits, ..Self::default() }
    }

    /// Admits (and counts) an attempt for `account` (the audit pseudonym), or names the limit
    /// that refuses it.
    pub fn admit(&mut self, account: &str, now: OffsetDateTime) -> Result<(), Lockout> {
        let l = self.limits;
        prune(&mut self.station, now, l.station_window);
        self.accounts.retain(|_, q| {
            prune(q, now, l.account_window);
            !q.is_empty()
        });
        if full(&self.station, l.per_station) {
            return Err(Lockout::Station);
        }
        let q = self.accounts.entry(account.to_owned()).or_default();
        if full(q, l.per_account) {
            return Err(Lockout::Account);
        }
        q.push_back(now);
        self.station.push_back(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn account_and_station_windows() {
        let mut l = RateLimiter::new(RateLimits {
            per_account: 2,
            account_window: Duration::from_secs(3600),
            per_station: 3,
            station_window: Duration::from_secs(60),
        });
        let t0 = datetime!(2026-11-22 10:00 UTC);
        assert_eq!(l.admit("a", t0), Ok(()));
        assert_eq!(l.admit("a", t0), Ok(()));
        assert_eq!(l.admit("a", t0), Err(Lockout::Account));
        assert_eq!(l.admit("b", t0), Ok(()));
        assert_eq!(l.admit("c", t0), Err(Lockout::Station));
        // a minute later the station window has moved on, the account window has not
        let t1 = t0 + time::Duration::seconds(60);
        assert_eq!(l.admit("c", t1), Ok(()));
        assert_eq!(l.admit("a", t1), Err(Lockout::Account));
        // an hour after the first attempts, account "a" may try again
        assert_eq!(l.admit("a", t0 + time::Duration::hours(1)), Ok(()));
    }
}
