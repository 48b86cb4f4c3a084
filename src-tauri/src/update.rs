//! Signed updates for a production kiosk (`[updater]` in its configuration): a newer package is
//! checked for and verified at any time, but handed to the installer only while nobody is using
//! the kiosk (the attract screen, untouched for [`QUIET_BEFORE_INSTALL`]); the installer (a root
//! systemd path unit, `docs/kiosk/`) installs it and restarts the kiosk.

use std::path::PathBuf;
use std::time::Duration;

use reclaim_engine::View;
use reclaim_protocol::client::ServiceClient;
use reclaim_updater::Updater;

/// How long the attract screen must have been showing before an update is staged.
pub const QUIET_BEFORE_INSTALL: Duration = Duration::from_secs(120);

/// Where verified packages are put for the installer.
pub const STAGING_DIR: &str = "/var/lib/reclaim/updates";

/// When to look for updates: once shortly after the start, then every few hours.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    /// Before the first check.
    pub first: Duration,
    /// Between checks.
    pub every: Duration,
    /// How long attract must be showing before staging.
    pub quiet: Duration,
    /// How often the screen is looked at while waiting for quiet.
    pub poll: Duration,
}

impl Default for Schedule {
    fn default() -> Self {
        Self {
            first: Duration::from_secs(60),
            every: Duration::from_secs(6 * 3600),
            quiet: QUIET_BEFORE_INSTALL,
            poll: Duration::from_secs(5),
        }
    }
}

/// Whether a view leaves the kiosk free to update (nobody is in a recovery).
pub fn is_idle(view: &View) -> bool {
    matches!(view, View::Attract | View::OutOfService { .. })
}

/// Waits until the kiosk has been idle for `quiet` without a break.
pub async fn wait_until_quiet(service: &ServiceClient, quiet: Duration, poll: Duration) {
    let mut quiet_since: Option<tokio::time::Instant> = None;
    loop {
        let now = tokio::time::Instant::now();
        let current = service.current();
        if is_idle(&current.view) && current.idle_seconds_left.is_none() {
            let since = *quiet_since.get_or_insert(now);
            if now.duration_since(since) >= quiet {
                return;
            }
        } else {
            quiet_since = None;
        }
        tokio::time::sleep(poll).await;
    }
}

/// One round: check, download and verify, wait for quiet, stage. Answers the staged file.
pub async fn update_once(
    updater: &Updater,
    service: &ServiceClient,
    staging: &std::path::Path,
    schedule: &Schedule,
) -> Result<Option<PathBuf>, reclaim_updater::UpdateError> {
    let Some(release) = updater.check().await? else { return Ok(None) };
    tracing::info!(version = %release.version, "update available");
    let update = updater.download(&release).await?;
    tracing::info!(version = %update.version(), "update verified; waiting for the kiosk to be idle");
    wait_until_quiet(service, schedule.quiet, schedule.poll).await;
    let staged = update.stage(staging)?;
    tracing::info!(file = %staged.display(), "update staged for the installer");
    Ok(Some(staged))
}

/// Checks on `schedule` for the life of the process; failures are logged and retried next round.
pub async fn run(updater: Updater, service: ServiceClient, staging: PathBuf, schedule: Schedule) {
    tokio::time::sleep(schedule.first).await;
    loop {
        match update_once(&updater, &service, &staging, &schedule).await {
            Ok(Some(_)) | Ok(None) => {}
            Err(error) => tracing::warn!(%error, "update check failed"),
        }
        tokio::time::sleep(schedule.every).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reclaim_engine::PreflightProblem;

    #[test]
    fn only_attract_and_out_of_service_are_idle() {
        assert!(is_idle(&View::Attract));
        assert!(is_idle(&View::OutOfService { problems: vec![PreflightProblem::Network] }));
        assert!(!is_idle(&View::Identify { invalid: false }));
        assert!(!is_idle(&View::FaceCheckInProgress));
        assert!(!is_idle(&View::EvaluationResult));
        assert!(!is_idle(&View::Checking));
    }
}
