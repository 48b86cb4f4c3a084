//! Per-station event hub: numbered, bounded replay buffer plus a wake-up signal for live streams.
//!
//! Every event a station may see is first appended here under a short, synchronous lock (never
//! held across an await), which assigns the next id. Streams wait on a `watch` channel carrying
//! the newest id and then copy everything after their last id out of the buffer, so replay and
//! live delivery are the same code path: nothing is skipped and nothing is sent twice.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::watch;

/// The `event:` name of a stream event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    /// An accepted Request Service callback.
    Callback,
    /// The identity provider sent the phone back to the return URL.
    ProviderReturn,
    /// A registration expired without a terminal event.
    Expired,
    /// Events after the client's `Last-Event-ID` are no longer available (sent without an id).
    Gap,
}

impl EventType {
    /// The SSE `event:` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Callback => "callback",
            Self::ProviderReturn => "provider_return",
            Self::Expired => "expired",
            Self::Gap => "gap",
        }
    }
}

/// One buffered event, shared by every stream that sends it.
#[derive(Debug)]
pub(crate) struct StoredEvent {
    pub id: u64,
    pub kind: EventType,
    pub state: Arc<str>,
    /// The compact JSON sent as `data:` (never contains a raw newline).
    pub data: String,
    at: Instant,
    /// Epoch ms after which the event must not be kept or delivered (its request expired).
    keep_until_ms: u64,
}

/// Size bounds of a station's buffer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub max_events: usize,
    pub max_age: Duration,
    pub max_bytes: usize,
}

#[derive(Debug)]
struct Buffer {
    events: VecDeque<Arc<StoredEvent>>,
    bytes: usize,
    next_id: u64,
    /// Events with an id up to this one may have been dropped for space or age (or belong to a
    /// previous relay process); a client resuming from below it is told about the gap.
    lost_upto: u64,
}

/// What a stream must send after a given id.
#[derive(Debug)]
pub(crate) struct Replay {
    /// True when some events after the client's id are gone.
    pub gap: bool,
    pub events: Vec<Arc<StoredEvent>>,
    /// Newest id issued when the replay was taken; the stream continues after it.
    pub upto: u64,
}

/// A station (kiosk) known to the relay.
#[derive(Debug)]
pub(crate) struct StationHub {
    pub id: Arc<str>,
    buf: Mutex<Buffer>,
    newest: watch::Sender<u64>,
    limits: Limits,
    /// Registrations this station currently holds (tombstones included).
    pub pending: AtomicUsize,
}

const EVENT_OVERHEAD: usize = 96;

impl StationHub {
    /// `first_id` should grow across relay restarts (the relay uses the start time in µs) so a
    /// kiosk's old `Last-Event-ID` is recognised as a gap rather than silently matching new ids.
    pub fn new(id: &str, first_id: u64, limits: Limits) -> Self {
        let first_id = first_id.max(1);
        Self {
            id: Arc::from(id),
            buf: Mutex::new(Buffer {
                events: VecDeque::new(),
                bytes: 0,
                next_id: first_id,
                lost_upto: first_id - 1,
            }),
            newest: watch::channel(first_id - 1).0,
            limits,
            pending: AtomicUsize::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Buffer> {
        // A poisoned lock only means another thread panicked mid-update; the buffer is still a
        // valid deque, so keep serving rather than propagating the panic.
        self.buf.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Appends an event and wakes the station's streams. Returns its id.
    pub fn publish(
        &self,
        kind: EventType,
        state: Arc<str>,
        data: String,
        keep_until_ms: u64,
    ) -> u64 {
        let now = Instant::now();
        let mut b = self.lock();
        let id = b.next_id;
        b.next_id += 1;
        b.bytes += data.len() + EVENT_OVERHEAD;
        b.events.push_back(Arc::new(StoredEvent { id, kind, state, data, at: now, keep_until_ms }));
        self.evict(&mut b, now);
        // Still under the buffer lock: waiters always find the event when they look.
        self.newest.send_replace(id);
        id
    }

    fn evict(&self, b: &mut Buffer, now: Instant) {
        while let Some(front) = b.events.front() {
            let too_old = now.saturating_duration_since(front.at) > self.limits.max_age;
            let too_many = b.events.len() > self.limits.max_events;
            let too_big = b.bytes > self.limits.max_bytes && b.events.len() > 1;
            if !(too_old || too_many || too_big) {
                break;
            }
            if let Some(ev) = b.events.pop_front() {
                b.bytes = b.bytes.saturating_sub(ev.data.len() + EVENT_OVERHEAD);
                b.lost_upto = b.lost_upto.max(ev.id);
            }
        }
    }

    fn remove_where(b: &mut Buffer, mut drop_it: impl FnMut(&StoredEvent) -> bool) {
        let mut freed = 0;
        b.events.retain(|ev| {
            let d = drop_it(ev);
            if d {
                freed += ev.data.len() + EVENT_OVERHEAD;
            }
            !d
        });
        b.bytes = b.bytes.saturating_sub(freed);
    }

    /// Drops every buffered event of `state` (the kiosk abandoned the request).
    pub fn wipe_state(&self, state: &str) {
        let mut b = self.lock();
        Self::remove_where(&mut b, |ev| &*ev.state == state);
    }

    /// Drops old events and events whose request has expired.
    pub fn sweep(&self, now_ms: u64) {
        let mut b = self.lock();
        self.evict(&mut b, Instant::now());
        Self::remove_where(&mut b, |ev| ev.keep_until_ms <= now_ms);
    }

    /// A receiver that changes whenever an event is published.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.newest.subscribe()
    }

    /// Everything after `last` (everything buffered when `None`).
    pub fn after(&self, last: Option<u64>, now_ms: u64) -> Replay {
        let mut b = self.lock();
        self.evict(&mut b, Instant::now());
        let (gap, from) = match last {
            None => (false, 0),
            Some(l) if l < b.lost_upto || l >= b.next_id => (true, 0),
            Some(l) => (false, l.saturating_add(1)),
        };
        let start = b.events.partition_point(|ev| ev.id < from);
        let events =
            b.events.range(start..).filter(|ev| ev.keep_until_ms > now_ms).cloned().collect();
        Replay { gap, events, upto: b.next_id.saturating_sub(1) }
    }

    /// Claims a pending slot; false when the station is at its limit.
    pub fn try_reserve(&self, max: usize) -> bool {
        self.pending
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < max).then_some(n + 1))
            .is_ok()
    }

    /// Releases a pending slot.
    pub fn release(&self) {
        let _ = self
            .pending
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| Some(n.saturating_sub(1)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hub(max_events: usize) -> StationHub {
        StationHub::new(
            "s",
            100,
            Limits { max_events, max_age: Duration::from_secs(60), max_bytes: usize::MAX },
        )
    }

    #[test]
    fn replay_after_id_and_gap_detection() {
        let h = hub(3);
        for i in 0..5 {
            h.publish(EventType::Callback, Arc::from("st"), format!("{i}"), u64::MAX);
        }
        // ids 100..=104, buffer keeps 102..=104
        let all = h.after(None, 0);
        assert!(!all.gap);
        assert_eq!(all.events.iter().map(|e| e.id).collect::<Vec<_>>(), vec![102, 103, 104]);
        let r = h.after(Some(102), 0);
        assert!(!r.gap);
        assert_eq!(r.events.iter().map(|e| e.id).collect::<Vec<_>>(), vec![103, 104]);
        assert!(h.after(Some(100), 0).gap);
        assert!(h.after(Some(500), 0).gap);
        assert!(h.after(Some(104), 0).events.is_empty());
    }

    #[test]
    fn wipe_and_expiry() {
        let h = hub(10);
        h.publish(EventType::Callback, Arc::from("a"), "1".into(), 50);
        h.publish(EventType::Callback, Arc::from("b"), "2".into(), u64::MAX);
        h.publish(EventType::Callback, Arc::from("c"), "3".into(), u64::MAX);
        h.wipe_state("b");
        assert_eq!(h.after(None, 60).events.len(), 1);
        h.sweep(60);
        assert_eq!(h.after(None, 0).events.len(), 1);
    }
}
