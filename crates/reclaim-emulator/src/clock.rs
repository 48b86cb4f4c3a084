//! The emulator's clock: real time plus an offset the control API can advance, so tests can
//! let a request or a token expire without waiting for it.

use std::sync::atomic::{AtomicI64, Ordering};
use time::OffsetDateTime;

/// Wall clock with a controllable forward offset.
#[derive(Debug, Default)]
pub struct Clock {
    offset_secs: AtomicI64,
}

impl Clock {
    /// Now, as the emulated cloud sees it.
    pub fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
            + time::Duration::seconds(self.offset_secs.load(Ordering::Relaxed))
    }

    /// Now as Unix epoch seconds.
    pub fn now_unix(&self) -> i64 {
        self.now().unix_timestamp()
    }

    /// Moves the emulated clock forward (never backward: expiry must stay monotonic).
    pub fn advance(&self, secs: i64) {
        self.offset_secs.fetch_add(secs.max(0), Ordering::Relaxed);
    }

    /// Current offset from real time, in seconds.
    pub fn offset_secs(&self) -> i64 {
        self.offset_secs.load(Ordering::Relaxed)
    }
}

/// RFC 3339 with whole seconds and a `Z`, as Graph and the Request Service print dates.
pub fn rfc3339(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// RFC 1123 date (`Sun, 22 Nov 2026 17:00:00 GMT`), as the Request Service's error `date`.
pub fn rfc1123(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        DAYS[t.weekday().number_days_from_monday() as usize],
        t.day(),
        MONTHS[u8::from(t.month()) as usize - 1],
        t.year(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn formats_match_the_wire() {
        let t = datetime!(2026-08-20 12:00:03.5 UTC);
        assert_eq!(rfc3339(t), "2026-08-20T12:00:03Z");
        assert_eq!(rfc1123(t), "Thu, 20 Aug 2026 12:00:03 GMT");
    }

    #[test]
    fn advance_moves_forward_only() {
        let c = Clock::default();
        c.advance(301);
        c.advance(-50);
        assert_eq!(c.offset_secs(), 301);
        assert!(c.now_unix() >= OffsetDateTime::now_utc().unix_timestamp() + 300);
    }
}
