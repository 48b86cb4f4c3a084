//! Reclaim's recovery as data: no I/O, no HTTP, no Tauri.
