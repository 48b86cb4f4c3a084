//! Where the kiosk's `tracing` output goes: standard error always, and, with a log directory, a
//! daily rotating file (`reclaim-kiosk.YYYY-MM-DD.log`, the newest `max_files` kept).
//!
//! Nothing personal reaches either: the engine logs audit events with a keyed hash of the account
//! and reason codes, never names, claims, photos or the TAP; `tests/logs.rs` scans the log of a
//! whole recovery to keep it so. The filter is `RECLAIM_LOG` (default `info`).

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{Builder, Rotation};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, fmt};

/// The log file's name before the date.
pub const FILE_PREFIX: &str = "reclaim-kiosk";

/// Why logging could not start.
#[derive(Debug, thiserror::Error)]
pub enum LoggingError {
    /// The log directory cannot be created or written.
    #[error("cannot write logs to {dir}: {message}")]
    Directory {
        /// The directory.
        dir: String,
        /// Why.
        message: String,
    },
    /// A subscriber is already installed (only in tests that install two).
    #[error("logging is already set up")]
    AlreadySet,
}

/// Installs the global subscriber. Keep the returned guard alive for the process's lifetime: it
/// flushes the file writer when dropped.
pub fn init(dir: Option<&Path>, max_files: u32) -> Result<Option<WorkerGuard>, LoggingError> {
    let filter =
        || EnvFilter::try_from_env("RECLAIM_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let stderr = fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_filter(filter());
    let (file, guard) = match dir {
        Some(dir) => {
            let failed = |e: &dyn std::fmt::Display| LoggingError::Directory {
                dir: dir.display().to_string(),
                message: e.to_string(),
            };
            std::fs::create_dir_all(dir).map_err(|e| failed(&e))?;
            let appender = Builder::new()
                .rotation(Rotation::DAILY)
                .filename_prefix(FILE_PREFIX)
                .filename_suffix("log")
                .max_log_files(max_files.max(1) as usize)
                .build(dir)
                .map_err(|e| failed(&e))?;
            let (writer, guard) = tracing_appender::non_blocking(appender);
            let layer = fmt::layer().with_writer(writer).with_ansi(false).with_filter(filter());
            (Some(layer), Some(guard))
        }
        None => (None, None),
    };
    tracing_subscriber::registry()
        .with(stderr)
        .with(file)
        .try_init()
        .map_err(|_| LoggingError::AlreadySet)?;
    Ok(guard)
}
