//! The service's limits store on disk: [`FileLimits`] keeps the counters of
//! `reclaim_engine::limits` in `limits.json` in the service's `[server] state_dir`, so the limits
//! of every station survive a restart. One store serves every station's engine.
//!
//! The file holds keys (a scope and a pseudonym under the audit key, or a station's name) and
//! the expiry of each counted hit, nothing else; it is written after every change, atomically
//! (a temporary file, mode 0600, `fsync`, `rename`). A change is kept only once it is on disk:
//! when the write fails, the call fails and the engine refuses the attempt (limits fail closed).
//! A file that cannot be read is an error at start: the service does not start with its limits
//! silently reset.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use rand::Rng as _;
use reclaim_core::{AdapterFailure, LimitScope};
use reclaim_engine::limits::{Counters, Hit, LimitsStore};
use reclaim_engine::ports::BoxFuture;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::ServiceError;

/// The file's name inside the state directory.
pub const LIMITS_FILE: &str = "limits.json";
const FILE_VERSION: u32 = 1;

#[derive(Debug, Default, Serialize, Deserialize)]
struct LimitsFile {
    version: u32,
    #[serde(flatten)]
    counters: Counters,
}

/// Counters persisted in `{state_dir}/limits.json`.
#[derive(Debug)]
pub struct FileLimits {
    path: PathBuf,
    counters: tokio::sync::Mutex<Counters>,
}

impl FileLimits {
    /// Opens (or starts) `limits.json` in `state_dir`, creating the folder (0700) when needed.
    pub fn open(state_dir: impl AsRef<Path>) -> Result<Self, ServiceError> {
        let dir = state_dir.as_ref();
        create_private_dir(dir).map_err(|e| limits_error(dir, &e))?;
        let path = dir.join(LIMITS_FILE);
        let counters = match std::fs::read_to_string(&path) {
            Ok(text) => {
                let file: LimitsFile =
                    serde_json::from_str(&text).map_err(|e| limits_error(&path, &e))?;
                if file.version != FILE_VERSION {
                    return Err(ServiceError::Limits(format!(
                        "{}: version {} (this build reads version {FILE_VERSION})",
                        path.display(),
                        file.version
                    )));
                }
                file.counters
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Counters::default(),
            Err(e) => return Err(limits_error(&path, &e)),
        };
        Ok(Self { path, counters: tokio::sync::Mutex::new(counters) })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn limits_error(path: &Path, e: &dyn std::fmt::Display) -> ServiceError {
    ServiceError::Limits(format!("{}: {e}", path.display()))
}

impl LimitsStore for FileLimits {
    fn admit<'a>(
        &'a self,
        hits: &'a [Hit],
        now: OffsetDateTime,
    ) -> BoxFuture<'a, Result<Option<LimitScope>, AdapterFailure>> {
        Box::pin(async move {
            // Held across the write: one change at a time, in the order they are made.
            let mut held = self.counters.lock().await;
            let mut next = held.clone();
            let answer = next.admit(hits, now);
            if next == *held {
                return Ok(answer);
            }
            let file = LimitsFile { version: FILE_VERSION, counters: next.clone() };
            let text = serde_json::to_string(&file).map_err(|_| AdapterFailure::Unavailable)?;
            let path = self.path.clone();
            let written = tokio::task::spawn_blocking(move || save(&path, text.as_bytes()))
                .await
                .map_err(|_| AdapterFailure::Unavailable)?;
            match written {
                Ok(()) => {
                    *held = next;
                    Ok(answer)
                }
                Err(e) => {
                    tracing::error!(path = %self.path.display(), error = %e, "cannot write the limits");
                    Err(AdapterFailure::Unavailable)
                }
            }
        })
    }
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// A temporary file beside `path` (mode 0600), synced, renamed over it.
fn save(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(".{LIMITS_FILE}.{:016x}.tmp", rand::rng().random::<u64>()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let result = (|| {
        let mut file = options.open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use reclaim_engine::limits::LimitKey;
    use std::time::Duration;
    use time::macros::datetime;

    fn hit() -> Hit {
        Hit {
            scope: LimitScope::Station,
            key: LimitKey::station("lobby"),
            limit: 2,
            window: Duration::from_secs(3600),
            cost: 1,
        }
    }

    #[tokio::test]
    async fn counters_survive_a_reopen_in_a_private_file() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        let t0 = datetime!(2026-11-22 10:00 UTC);
        let store = FileLimits::open(&state).unwrap();
        assert_eq!(store.admit(&[hit()], t0).await, Ok(None));
        assert_eq!(store.admit(&[hit()], t0).await, Ok(None));
        drop(store);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(state.join(LIMITS_FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            let mode = std::fs::metadata(&state).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700);
        }
        let store = FileLimits::open(&state).unwrap();
        assert_eq!(store.admit(&[hit()], t0).await, Ok(Some(LimitScope::Station)));
        // An hour later the window has moved on.
        assert_eq!(store.admit(&[hit()], t0 + time::Duration::hours(1)).await, Ok(None));
        let text = std::fs::read_to_string(state.join(LIMITS_FILE)).unwrap();
        assert!(text.contains("station:lobby"), "{text}");
    }

    #[test]
    fn an_unreadable_file_stops_the_start() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(LIMITS_FILE), "not json").unwrap();
        assert!(matches!(FileLimits::open(dir.path()), Err(ServiceError::Limits(_))));
    }
}
