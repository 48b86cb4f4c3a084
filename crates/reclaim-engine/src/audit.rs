//! Audit sinks: JSON lines through `tracing` (target `reclaim::audit`), or kept in memory.

use std::sync::{Mutex, PoisonError};

use reclaim_core::AuditEvent;

use crate::ports::AuditSink;

/// Writes each event as one JSON line at `INFO` on the `reclaim::audit` target; route that
/// target to the audit file with the subscriber's filter.
#[derive(Debug, Clone, Copy, Default)]
pub struct TracingAudit;

impl AuditSink for TracingAudit {
    fn write(&self, event: &AuditEvent) {
        tracing::info!(target: "reclaim::audit", "{}", event.to_json_line());
    }
}

/// Keeps every event (tests, the simulator, the operator's "last references").
#[derive(Debug, Default)]
pub struct MemoryAudit {
    events: Mutex<Vec<AuditEvent>>,
}

impl MemoryAudit {
    /// Empty.
    pub fn new() -> Self {
        Self::default()
    }

    /// A copy of the events so far.
    pub fn events(&self) -> Vec<AuditEvent> {
        self.events.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// The events so far as JSON lines.
    pub fn lines(&self) -> Vec<String> {
        self.events().iter().map(AuditEvent::to_json_line).collect()
    }

    /// Forgets every event.
    pub fn clear(&self) {
        self.events.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }
}

impl AuditSink for MemoryAudit {
    fn write(&self, event: &AuditEvent) {
        self.events.lock().unwrap_or_else(PoisonError::into_inner).push(event.clone());
    }
}

/// Writes to several sinks.
#[derive(Debug)]
pub struct TeeAudit(pub Vec<std::sync::Arc<dyn AuditSink>>);

impl AuditSink for TeeAudit {
    fn write(&self, event: &AuditEvent) {
        for sink in &self.0 {
            sink.write(event);
        }
    }
}
