//! The kiosk's command line, and starting the [`Kiosk`] it describes: demo mode on the in-process
//! emulated tenant (the default), or a real tenant from a configuration file.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;
use reclaim_config::Config;
use reclaim_engine::demo::DemoOptions;

use crate::kiosk::{DemoLaunch, Kiosk};

/// `reclaim-kiosk [OPTIONS]`.
#[derive(Debug, Clone, Parser)]
#[command(name = "reclaim-kiosk", version, about = "The Reclaim account-recovery kiosk.")]
pub struct Launch {
    /// Production: the TOML file of this station — `station.mode = "fleet"`: a terminal of the
    /// recovery service in `[service]`, with the station credential from `reclaim-config enroll`
    /// in the OS keyring; `"production"` (standalone): the real tenant it describes, the service
    /// in this process (secrets from the OS keyring; see `reclaim-config check`). Without it the
    /// kiosk runs in demo mode on the in-process emulated tenant.
    #[arg(long, value_name = "FILE", conflicts_with = "service_credential")]
    pub config: Option<PathBuf>,
    /// A terminal of the recovery service whose station credential is in FILE (written by
    /// `reclaim-config enroll --file` or `reclaim-service --demo`); the file names the service.
    #[arg(long, value_name = "FILE")]
    pub service_credential: Option<PathBuf>,
    /// Also write the log to a daily rotating file in DIR (default: the configuration's
    /// `logging.directory` with `--config`, otherwise standard error only).
    #[arg(long, value_name = "DIR")]
    pub log_dir: Option<PathBuf>,
    /// Production: where verified updates are handed to the root installer (see `[updater]`).
    #[arg(long, value_name = "DIR", default_value = crate::update::STAGING_DIR)]
    pub update_dir: PathBuf,
    /// Demo: the station id.
    #[arg(long, default_value = "demo-kiosk")]
    pub station_id: String,
    /// Demo: where the emulated tenant listens (default: a free loopback port). A fixed address
    /// lets a browser open the demo phone page and the printable test ID cards.
    #[arg(long, value_name = "HOST:PORT")]
    pub demo_listen: Option<SocketAddr>,
    /// Demo: where the in-process recovery service listens, with its operator console at
    /// `/console` (default: a free loopback port). A fixed address lets a browser beside the
    /// kiosk open the console.
    #[arg(long, value_name = "HOST:PORT")]
    pub demo_service_listen: Option<SocketAddr>,
    /// Demo: do not open the demo phone window (the phone is played some other way, e.g.
    /// through the emulator's control API).
    #[arg(long)]
    pub no_phone_window: bool,
    /// Demo: write the URLs of the emulator's control API and demo phone as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    pub demo_info: Option<PathBuf>,
    /// No camera path (only the phone path is offered).
    #[arg(long)]
    pub no_camera: bool,
    /// Demo: film with the station's real camera (found and checked as in production: virtual
    /// cameras refused) instead of the synthetic one; without one the camera path is hidden.
    #[arg(long, conflicts_with = "no_camera")]
    pub device_camera: bool,
    /// Print what camera discovery finds (the camera used, virtual cameras refused, the
    /// backend) as JSON and exit, without a window. With `--config`, its
    /// `[station] allow_virtual_camera` applies.
    #[arg(long)]
    pub check_camera: bool,
    /// Seconds without input before "Are you still there?", 5–3600 (default 90).
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u32).range(5..=3600))]
    pub idle_seconds: Option<u32>,
    /// Let WebKit composite the page with OpenGL (on a station without a GPU driver, Mesa's
    /// software renderer). By default the kiosk paints on the CPU: its screens are still, and GL
    /// compositing costs about 110 MiB more memory (bench/README.md).
    #[arg(long)]
    pub gpu_compositing: bool,
    /// Seconds of the "Are you still there?" countdown before the wipe, 3–300 (default 20).
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u32).range(3..=300))]
    pub countdown_seconds: Option<u32>,
}

/// Why the kiosk could not start.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    /// The in-process recovery service (in demo mode with the emulated tenant) did not start.
    #[error("the recovery service did not start: {0}")]
    Service(#[from] reclaim_service::ServiceError),
    /// The configuration file is invalid (the message names the key and line).
    #[error(transparent)]
    Config(#[from] reclaim_config::ConfigError),
    /// The configuration is valid but the engine cannot be built from it (a missing secret, a
    /// certificate, an endpoint).
    #[error(transparent)]
    Production(#[from] reclaim_engine::ProductionError),
    /// The configuration file says `mode = "demo"`: run without `--config` for the demo.
    #[error("{0} is a demo configuration; start the kiosk without --config for demo mode")]
    DemoConfig(String),
    /// The task reading the keyring ended abnormally.
    #[error("reading the configuration's secrets failed unexpectedly")]
    Task,
    /// The station credential could not be read.
    #[error("the station credential: {0}")]
    Credential(String),
    /// `--demo-info FILE` could not be written.
    #[error("cannot write {path}: {source}")]
    DemoInfo {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

impl Launch {
    /// Whether the kiosk runs on the in-process emulated tenant.
    pub fn is_demo(&self) -> bool {
        self.config.is_none() && self.service_credential.is_none()
    }

    /// The `--config` file, validated (`None` in demo mode).
    pub fn load_config(&self) -> Result<Option<Config>, LaunchError> {
        let Some(file) = &self.config else { return Ok(None) };
        let config = Config::load(file)?;
        if config.production().is_none() && config.service.is_none() {
            return Err(LaunchError::DemoConfig(file.display().to_string()));
        }
        Ok(Some(config))
    }

    /// Where the log file goes and how many daily files are kept: `--log-dir`, else the
    /// configuration's `[logging]`, else nowhere (standard error only).
    pub fn log_target(&self, config: Option<&Config>) -> (Option<PathBuf>, u32) {
        let max_files =
            config.map_or(reclaim_config::DEFAULT_LOG_MAX_FILES, |c| c.logging.max_files);
        let dir = self.log_dir.clone().or_else(|| config.map(|c| c.logging.directory.clone()));
        (dir, max_files)
    }

    /// Starts the kiosk: on the real tenant of `config` (what [`Launch::load_config`] answered),
    /// or in demo mode without one (needs a tokio runtime).
    pub async fn start(&self, config: Option<Config>) -> Result<Kiosk, LaunchError> {
        match config {
            Some(config) if config.service.is_some() => self.start_fleet(config).await,
            Some(config) => self.start_production(config).await,
            None => match &self.service_credential {
                Some(file) => {
                    let credential = reclaim_protocol::station::StationCredential::read_file(file)
                        .map_err(|e| LaunchError::Credential(e.to_string()))?;
                    let offline = offline_station(&credential.station_id, Default::default());
                    self.connect(credential, offline, false).await
                }
                None => self.start_demo().await,
            },
        }
    }

    /// Fleet: a terminal of the recovery service in `[service]`, its station credential from the
    /// OS keyring. The kiosk holds no tenant credential (the configuration refuses one).
    async fn start_fleet(&self, config: Config) -> Result<Kiosk, LaunchError> {
        let credential = tokio::task::spawn_blocking(|| {
            use reclaim_config::SecretStore as _;
            reclaim_config::KeyringStore::new().station_credential()
        })
        .await
        .map_err(|_| LaunchError::Task)?
        .map_err(|e| LaunchError::Credential(e.to_string()))?;
        let offline = offline_station(
            &config.station.id,
            reclaim_engine::production::view_locale(config.station.locale),
        );
        self.connect(credential, offline, config.station.allow_virtual_camera).await
    }

    async fn connect(
        &self,
        credential: reclaim_protocol::station::StationCredential,
        offline: reclaim_engine::StationView,
        allow_virtual_camera: bool,
    ) -> Result<Kiosk, LaunchError> {
        tracing::info!(service = %credential.service_url, station = %credential.station_id, "fleet station");
        let camera = self.station_camera(allow_virtual_camera);
        let options = reclaim_protocol::client::ClientOptions {
            camera: camera.desk.is_some(),
            ..Default::default()
        };
        let client = reclaim_protocol::client::ServiceClient::connect(credential, offline, options)
            .await
            .map_err(|e| LaunchError::Credential(e.to_string()))?;
        Ok(Kiosk::with_service(client, camera.desk).with_camera_status(camera.status))
    }

    /// The station's real camera (none with `--no-camera`).
    pub fn station_camera(&self, allow_virtual: bool) -> crate::camera::StationCamera {
        if self.no_camera {
            crate::camera::StationCamera::none()
        } else {
            crate::camera::station_camera(allow_virtual)
        }
    }

    /// A real tenant: the configuration validated, its secrets read from the OS keyring.
    async fn start_production(&self, config: Config) -> Result<Kiosk, LaunchError> {
        // The keyring answers over D-Bus, blocking: off the async threads.
        let file = config.clone();
        let station = tokio::task::spawn_blocking(move || {
            reclaim_engine::production::assemble(&file, &reclaim_config::KeyringStore::new())
        })
        .await
        .map_err(|_| LaunchError::Task)??;
        let mut settings = station.settings;
        if let Some(seconds) = self.idle_seconds {
            settings.config.idle_timeout_secs = seconds;
        }
        if let Some(seconds) = self.countdown_seconds {
            settings.idle_countdown_secs = seconds;
        }
        let camera = self.station_camera(config.station.allow_virtual_camera);
        // The doctor's checks decide "out of service", at start and every minute; they make about
        // ten calls, so they get longer than the probes' default.
        settings.preflight_timeout =
            settings.preflight_timeout.max(std::time::Duration::from_secs(30));
        let doctor = reclaim_service::doctor::Doctor::new(
            config,
            std::sync::Arc::new(reclaim_config::KeyringStore::new()),
        );
        Ok(Kiosk::start(station.ports, settings, camera.desk, Some(std::sync::Arc::new(doctor)))
            .await?
            .with_camera_status(camera.status))
    }

    /// Demo mode: the emulated tenant and relay in-process.
    async fn start_demo(&self) -> Result<Kiosk, LaunchError> {
        let mut options =
            DemoOptions { station_id: self.station_id.clone(), ..DemoOptions::default() };
        if let Some(listen) = self.demo_listen {
            options.emulator_listen = listen;
        }
        let kiosk = Kiosk::start_demo(DemoLaunch {
            options,
            camera: !self.no_camera,
            device_camera: self.device_camera.then(|| self.station_camera(false)),
            idle_seconds: self.idle_seconds,
            countdown_seconds: self.countdown_seconds,
            service_listen: self.demo_service_listen,
        })
        .await?;
        if let Some(demo) = kiosk.demo() {
            let mut info = demo.info();
            info.console_url = kiosk.local_service().map(|l| format!("{}/console", l.url()));
            tracing::info!(
                control = %info.control_url,
                phone = %info.phone_page_url,
                "demo tenant ready (open the phone page in a browser to play the phone)"
            );
            if let Some(path) = &self.demo_info {
                demo.write_info(path, &info)
                    .map_err(|source| LaunchError::DemoInfo { path: path.clone(), source })?;
            }
        }
        Ok(kiosk)
    }
}

/// How the attract screen describes a fleet station while the service cannot.
fn offline_station(id: &str, locale: reclaim_engine::Locale) -> reclaim_engine::StationView {
    reclaim_engine::StationView::not_connected(reclaim_engine::StationMode::Production, id, locale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_to_demo_with_camera_and_phone_window() {
        let launch = Launch::try_parse_from(["reclaim-kiosk"]).unwrap();
        assert!(launch.is_demo());
        assert!(!launch.no_camera && !launch.no_phone_window);
        assert_eq!(launch.station_id, "demo-kiosk");
        let launch =
            Launch::try_parse_from(["reclaim-kiosk", "--config", "/etc/reclaim/reclaim.toml"]);
        assert!(!launch.unwrap().is_demo());
    }

    #[test]
    fn a_bad_configuration_file_stops_the_start_with_its_key_and_line() {
        let file = std::env::temp_dir().join(format!("reclaim-launch-{}.toml", std::process::id()));
        std::fs::write(&file, "[station]\nid = \"kiosk-1\"\nmode = \"sideways\"\n").unwrap();
        let launch =
            Launch::try_parse_from(["reclaim-kiosk", "--config", file.to_str().unwrap()]).unwrap();
        let error = launch.load_config().unwrap_err();
        std::fs::remove_file(&file).unwrap();
        let text = error.to_string();
        assert!(matches!(error, LaunchError::Config(_)), "{text}");
        assert!(text.contains("station.mode") && text.contains(":3:"), "{text}");

        let launch =
            Launch::try_parse_from(["reclaim-kiosk", "--config", "/nonexistent/reclaim.toml"])
                .unwrap();
        let error = launch.load_config().unwrap_err();
        assert!(error.to_string().contains("/nonexistent/reclaim.toml"), "{error}");
    }

    #[test]
    fn demo_options_parse() {
        let launch = Launch::try_parse_from([
            "reclaim-kiosk",
            "--no-phone-window",
            "--demo-info",
            "/tmp/x.json",
            "--idle-seconds",
            "5",
            "--countdown-seconds",
            "3",
            "--demo-listen",
            "127.0.0.1:8400",
        ])
        .unwrap();
        assert!(launch.no_phone_window);
        // The page is painted on the CPU unless asked otherwise.
        assert!(!launch.gpu_compositing);
        let gl = Launch::try_parse_from(["reclaim-kiosk", "--gpu-compositing"]).unwrap();
        assert!(gl.gpu_compositing);
        assert_eq!(launch.idle_seconds, Some(5));
        assert_eq!(launch.countdown_seconds, Some(3));
        assert_eq!(launch.demo_listen, Some("127.0.0.1:8400".parse().unwrap()));
    }

    #[test]
    fn bad_arguments_are_refused_with_a_message() {
        let error =
            Launch::try_parse_from(["reclaim-kiosk", "--idle-seconds", "soon"]).unwrap_err();
        assert!(error.to_string().contains("--idle-seconds"), "{error}");
        assert!(Launch::try_parse_from(["reclaim-kiosk", "--no-such-flag"]).is_err());
        // Below the engine's minimum the station would only be out of service: refused here.
        let error = Launch::try_parse_from(["reclaim-kiosk", "--idle-seconds", "3"]).unwrap_err();
        assert!(error.to_string().contains("5..=3600"), "{error}");
    }
}
