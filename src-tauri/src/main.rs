//! Entry point of the Reclaim kiosk binary; everything else is in the library (`reclaim_kiosk`).

// No console window on Windows release builds (harmless elsewhere).
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    reclaim_kiosk::run();
}
