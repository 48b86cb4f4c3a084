//! Helpers shared by the shell's integration tests.
#![allow(clippy::panic, dead_code)] // each test binary uses some of them

use std::time::{Duration, Instant};

use reclaim_engine::ViewUpdate;
use reclaim_kiosk::Kiosk;

/// Waits (bounded, 30 s) until `kiosk`'s engine shows a view `pred` accepts.
pub fn wait(kiosk: &Kiosk, what: &str, pred: impl Fn(&ViewUpdate) -> bool) -> ViewUpdate {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let current = kiosk.service().current();
        if pred(&current) {
            return current;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}; at {:?}", current.view);
        std::thread::sleep(Duration::from_millis(20));
    }
}
