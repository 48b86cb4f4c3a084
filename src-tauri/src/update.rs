//! Signed updates for a production kiosk (`[updater]` in its configuration), with
//! tauri-plugin-updater: a newer release is checked for and downloaded at any time — the plugin
//! accepts the package only when its minisign signature verifies against `[updater] pubkey` — but
//! handed over only while nobody is using the kiosk (the attract screen, untouched for
//! [`QUIET_BEFORE_INSTALL`]). The kiosk never installs: it writes the package and its signature
//! into the staging folder, and the root side (`reclaim-update-install`, a systemd path unit,
//! `docs/kiosk/`) verifies them again against its own key, refuses anything not newer than the
//! installed package, and installs.
//!
//! The plugin is registered without any JavaScript side: the capability grants the page no
//! updater permission, so only this module (Rust) checks and downloads.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use reclaim_engine::View;
use reclaim_protocol::client::ServiceClient;
use reclaim_updater::{MAX_PACKAGE_BYTES, UpdateError, UpdateKey};
use tauri::plugin::TauriPlugin;
use tauri::{AppHandle, Runtime, Url};
use tauri_plugin_updater::{Error as PluginError, Updater, UpdaterExt as _};

/// How long the attract screen must have been showing before an update is staged.
pub const QUIET_BEFORE_INSTALL: Duration = Duration::from_secs(120);

/// Where verified packages are put for the installer.
pub const STAGING_DIR: &str = reclaim_updater::install::STAGING_DIR;

/// Longest an update check or a package download may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(600);

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

/// Where to look for updates and whom to trust: `[updater] endpoint` (Tauri's `{{target}}`,
/// `{{arch}}`, `{{current_version}}` placeholders are filled in by the plugin) and `pubkey`, and
/// the extra CA of `[endpoints] ca_file`, if any.
#[derive(Clone)]
pub struct UpdateSource {
    endpoint: Url,
    pubkey: String,
    ca: Vec<reqwest::Certificate>,
}

impl std::fmt::Debug for UpdateSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpdateSource")
            .field("endpoint", &self.endpoint.as_str())
            .field("extra_ca", &self.ca.len())
            .finish_non_exhaustive()
    }
}

impl UpdateSource {
    /// An http(s) endpoint and a Tauri updater public key (the `.pub` file of
    /// `tauri signer generate`), both checked here rather than at the first download.
    pub fn new(endpoint: &str, pubkey: &str) -> Result<Self, UpdateError> {
        UpdateKey::from_tauri_pubkey(pubkey)?;
        if pubkey.trim().starts_with("untrusted comment:") {
            // The plugin takes only Tauri's form, base64 of the key file.
            return Err(UpdateError::BadKey("give the .pub file's contents as is (base64)".into()));
        }
        let endpoint = Url::parse(endpoint)
            .map_err(|e| UpdateError::BadEndpoint(format!("{endpoint}: {e}")))?;
        if !matches!(endpoint.scheme(), "https" | "http") {
            return Err(UpdateError::BadEndpoint(format!("{endpoint} is not an https URL")));
        }
        Ok(Self { endpoint, pubkey: pubkey.trim().to_owned(), ca: Vec::new() })
    }

    /// Also trusts the CA certificates of a PEM bundle for the update server.
    pub fn with_ca_file(mut self, file: &Path) -> Result<Self, UpdateError> {
        let bad =
            |message: String| UpdateError::BadEndpoint(format!("{}: {message}", file.display()));
        let pem = std::fs::read(file).map_err(|e| bad(e.to_string()))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| bad(e.to_string()))?;
        if certs.is_empty() {
            return Err(bad("no CERTIFICATE in the file".into()));
        }
        self.ca.extend(certs);
        Ok(self)
    }

    /// The configuration's `[updater]` (with `[endpoints] ca_file`), `None` without one.
    pub fn from_config(config: &reclaim_config::Config) -> Option<Result<Self, UpdateError>> {
        let section = config.updater.as_ref()?;
        Some(Self::new(&section.endpoint, &section.pubkey).and_then(|source| {
            match &config.endpoints.ca_file {
                Some(file) => source.with_ca_file(file),
                None => Ok(source),
            }
        }))
    }
}

/// The updater plugin, registered by [`crate::run_app`]. Its JavaScript commands exist but the
/// kiosk capability grants none of its permissions, so the page cannot call them.
pub fn plugin<R: Runtime>() -> TauriPlugin<R, tauri_plugin_updater::Config> {
    tauri_plugin_updater::Builder::new().build()
}

/// Gives the plugin an empty configuration when tauri.conf.json has none (the plugin refuses to
/// start without one): the endpoint and key come from the kiosk's own configuration at run time
/// ([`updater`]). Used by [`crate::context`].
pub fn configure_plugin(config: &mut tauri::Config) {
    config
        .plugins
        .0
        .entry("updater".to_owned())
        .or_insert_with(|| serde_json::json!({ "pubkey": "", "endpoints": [] }));
}

/// The plugin's updater for `source`: only a release strictly newer than the running version
/// is offered, whatever the plugin's configuration says about downgrades.
pub fn updater<R: Runtime>(
    app: &AppHandle<R>,
    source: &UpdateSource,
) -> Result<Updater, UpdateError> {
    let ca = Arc::new(source.ca.clone());
    app.updater_builder()
        .endpoints(vec![source.endpoint.clone()])
        .map_err(plugin_error)?
        .pubkey(source.pubkey.clone())
        .version_comparator(|installed, release| release.version > installed)
        .timeout(REQUEST_TIMEOUT)
        .configure_client(move |builder| {
            ca.iter()
                .fold(builder, |builder, cert| builder.add_root_certificate(cert.clone()))
                .connect_timeout(Duration::from_secs(10))
        })
        .build()
        .map_err(plugin_error)
}

/// A package the plugin downloaded and whose signature it verified, with that signature.
#[derive(Debug)]
pub struct Downloaded {
    version: String,
    bytes: Vec<u8>,
    signature: String,
}

impl Downloaded {
    /// The version the manifest announced (the installer reads the real one from the package).
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The package bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Hands the package and its signature to the root installer: writes them into `dir`
    /// (`reclaim-kiosk_{version}_amd64.deb` and `….deb.sig`). Answers the package's path.
    pub fn stage(&self, dir: &Path) -> Result<PathBuf, UpdateError> {
        reclaim_updater::stage(dir, &self.version, &self.bytes, &self.signature)
    }
}

/// Asks the endpoint for a newer release and downloads it: `None` when nothing newer is offered;
/// an error (never a package) when the manifest is malformed, the package larger than
/// [`MAX_PACKAGE_BYTES`], or its signature not valid for the configured key.
pub async fn check_and_download(updater: &Updater) -> Result<Option<Downloaded>, UpdateError> {
    let Some(mut update) = updater.check().await.map_err(plugin_error)? else { return Ok(None) };
    update.timeout = Some(REQUEST_TIMEOUT);
    tracing::info!(version = %update.version, "update available");
    // The plugin reads the whole body; stop it once it is bigger than any kiosk package.
    let too_large = tokio::sync::Notify::new();
    let mut received = 0usize;
    let download = update.download(
        |chunk, total| {
            received = received.saturating_add(chunk);
            if received > MAX_PACKAGE_BYTES
                || total.is_some_and(|total| total > MAX_PACKAGE_BYTES as u64)
            {
                too_large.notify_one();
            }
        },
        || {},
    );
    let bytes = tokio::select! {
        bytes = download => bytes.map_err(plugin_error)?,
        () = too_large.notified() => return Err(UpdateError::TooLarge { limit: MAX_PACKAGE_BYTES }),
    };
    Ok(Some(Downloaded { version: update.version.clone(), bytes, signature: update.signature }))
}

/// The plugin's errors in the updater's terms (what the log says).
fn plugin_error(error: PluginError) -> UpdateError {
    let message = error.to_string();
    match error {
        PluginError::EmptyEndpoints
        | PluginError::UrlParse(_)
        | PluginError::InsecureTransportProtocol => UpdateError::BadEndpoint(message),
        PluginError::Serialization(_)
        | PluginError::Semver(_)
        | PluginError::TargetNotFound(_)
        | PluginError::TargetsNotFound(_) => UpdateError::Manifest(message),
        PluginError::Reqwest(e) if e.is_decode() => UpdateError::Manifest(message),
        PluginError::Minisign(_)
        | PluginError::Base64(_)
        | PluginError::SignatureUtf8(_)
        | PluginError::SignedVersionMismatch { .. }
        | PluginError::MissingSignedVersion => UpdateError::BadSignature(message),
        PluginError::ReleaseNotFound => {
            UpdateError::Transport(format!("{message} (the endpoint answered an error status)"))
        }
        _ => UpdateError::Transport(message),
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
    staging: &Path,
    schedule: &Schedule,
) -> Result<Option<PathBuf>, UpdateError> {
    let Some(update) = check_and_download(updater).await? else { return Ok(None) };
    tracing::info!(version = %update.version(), "update verified; waiting for the kiosk to be idle");
    wait_until_quiet(service, schedule.quiet, schedule.poll).await;
    let staged = update.stage(staging)?;
    tracing::info!(file = %staged.display(), "update staged for the installer");
    Ok(Some(staged))
}

/// Checks on `schedule` for the life of the process; failures are logged and retried next round.
/// An updater that cannot be built (a bad endpoint) only logs: the kiosk still serves people.
pub async fn run<R: Runtime>(
    app: AppHandle<R>,
    source: UpdateSource,
    service: ServiceClient,
    staging: PathBuf,
    schedule: Schedule,
) {
    let updater = match updater(&app, &source) {
        Ok(updater) => updater,
        Err(error) => {
            tracing::warn!(%error, "updates are off");
            return;
        }
    };
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
