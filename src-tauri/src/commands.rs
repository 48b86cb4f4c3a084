//! The commands the UI may call. Each is thin: take managed state, call the engine, map its
//! error to a [`CommandError`]. No business rules live here.
//!
//! App commands need no capability entry: every command listed in `lib.rs`'s
//! `generate_handler!` is callable by the `main` window, and nothing else is.

use tauri::State;

use crate::error::CommandError;
use crate::state::{Station, StationStatus};

/// The station's mode and readiness, for the attract screen.
#[tauri::command]
pub fn station_status(station: State<'_, Station>) -> Result<StationStatus, CommandError> {
    Ok(station.status())
}
