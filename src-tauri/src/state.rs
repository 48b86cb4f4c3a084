//! The state the shell manages for the app's lifetime: the station (its mode and readiness).
//!
//! The recovery engine will be managed beside it (see `commands.rs` for how commands reach it).

use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};

/// Which tenant the station talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum StationMode {
    /// The emulated tenant, in-process on loopback (the default).
    Demo,
    /// A real Microsoft Entra tenant.
    Production,
}

/// What `station_status` answers: `{ "mode": "demo", "ready": true }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StationStatus {
    /// Which tenant the station talks to.
    pub mode: StationMode,
    /// Whether the station can serve a person now; the UI shows "Out of service" when false.
    pub ready: bool,
}

/// The station as the shell knows it. Managed state (`tauri::State<'_, Station>`).
#[derive(Debug)]
pub struct Station {
    mode: StationMode,
    ready: AtomicBool,
}

impl Station {
    /// A station in `mode` that is not ready yet.
    pub fn new(mode: StationMode) -> Self {
        Self { mode, ready: AtomicBool::new(false) }
    }

    /// Marks the station ready (or out of service).
    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::Release);
    }

    /// The station's current status.
    pub fn status(&self) -> StationStatus {
        StationStatus { mode: self.mode, ready: self.ready.load(Ordering::Acquire) }
    }
}
