//! The state the shell manages for the app's lifetime ([`Kiosk`]): the kiosk's client of the
//! recovery service, the camera, the demo tenant when there is one, and the one subscription
//! that carries views to the UI. Commands reach the service only through here.
//!
//! The kiosk is a terminal; the recovery service decides (`recovery-service.md`). The kiosk
//! always talks to the service over HTTP ([`ServiceClient`]): in demo and standalone mode the
//! service runs in this process on loopback ([`LocalService`]), in fleet mode on a server.

use std::sync::{Arc, Mutex};

use reclaim_engine::demo::DemoOptions;
use reclaim_engine::view::CameraStatus;
use reclaim_engine::{EngineSettings, Ports, Preflight, Shot, StationView, View, ViewUpdate};
use reclaim_protocol::client::{ClientOptions, ServiceClient};
use reclaim_service::listener::Limits;
use reclaim_service::local::{LocalService, OneStation};
use tauri::async_runtime::{JoinHandle, spawn};
use tokio::sync::broadcast::error::RecvError;

use crate::camera::CameraDesk;
use crate::demo::Demo;
use crate::error::CommandError;

/// How long a command waits for the kiosk to finish starting before it answers `engineStopped`.
pub const START_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

/// The managed state (`tauri::State<'_, KioskCell>`): the [`Kiosk`] once it has started. It is
/// managed from the first moment, so the window is built and the UI loads while the engine (and
/// in demo mode the emulated tenant) starts; commands wait for it.
#[derive(Debug)]
pub struct KioskCell {
    kiosk: std::sync::OnceLock<Kiosk>,
    started: tokio::sync::watch::Sender<bool>,
}

impl KioskCell {
    /// A cell the kiosk will be put into.
    pub fn empty() -> Self {
        Self { kiosk: std::sync::OnceLock::new(), started: tokio::sync::watch::channel(false).0 }
    }

    /// A cell holding a started kiosk (tests).
    pub fn with(kiosk: Kiosk) -> Self {
        let cell = Self::empty();
        cell.set(kiosk);
        cell
    }

    /// Puts the started kiosk in; a second one is shut down (there is only ever one).
    pub fn set(&self, kiosk: Kiosk) {
        if let Err(extra) = self.kiosk.set(kiosk) {
            spawn(extra.shutdown());
        }
        self.started.send_replace(true);
    }

    /// The kiosk if it has started.
    pub fn try_get(&self) -> Option<&Kiosk> {
        self.kiosk.get()
    }

    /// The kiosk, waiting up to [`START_WAIT`] for it to start.
    pub async fn get(&self) -> Result<&Kiosk, CommandError> {
        if let Some(kiosk) = self.kiosk.get() {
            return Ok(kiosk);
        }
        let mut started = self.started.subscribe();
        let waited = tokio::time::timeout(START_WAIT, started.wait_for(|s| *s)).await;
        match (waited, self.kiosk.get()) {
            (Ok(Ok(_)), Some(kiosk)) => Ok(kiosk),
            _ => Err(reclaim_engine::EngineError::EngineStopped.into()),
        }
    }
}

/// The kiosk: its client of the recovery service, the camera, the demo tenant, and the service
/// itself when it runs in this process.
pub struct Kiosk {
    service: ServiceClient,
    local: Option<LocalService>,
    camera: Option<CameraDesk>,
    /// What the attract screen says of the camera (the kiosk's own finding, over the service's).
    camera_status: CameraStatus,
    demo: Option<Arc<Demo>>,
    subscription: Mutex<Option<JoinHandle<()>>>,
    follower: JoinHandle<()>,
}

impl std::fmt::Debug for Kiosk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kiosk")
            .field("camera", &self.camera)
            .field("demo", &self.demo)
            .finish_non_exhaustive()
    }
}

/// How the demo kiosk starts (the command line's demo options).
#[derive(Debug, Clone)]
pub struct DemoLaunch {
    /// The demo stack's options (station, phone, emulator address).
    pub options: DemoOptions,
    /// Offer the camera path with the synthetic camera.
    pub camera: bool,
    /// Film with the station's real camera as discovery found it, instead of the synthetic one
    /// (`--device-camera`; `camera` is then ignored).
    pub device_camera: Option<crate::camera::StationCamera>,
    /// Seconds without input before "Are you still there?" (`None`: the default).
    pub idle_seconds: Option<u32>,
    /// Seconds of the countdown before the wipe (`None`: the default).
    pub countdown_seconds: Option<u32>,
    /// Where the in-process recovery service (and its operator console) listens (`None`: a
    /// free loopback port).
    pub service_listen: Option<std::net::SocketAddr>,
}

impl Default for DemoLaunch {
    fn default() -> Self {
        Self {
            options: DemoOptions::default(),
            camera: true,
            device_camera: None,
            idle_seconds: None,
            countdown_seconds: None,
            service_listen: None,
        }
    }
}

impl Kiosk {
    /// Standalone: the recovery service in this process on loopback, running this station's
    /// engine on `ports` (the kiosk's own tenant credential); `camera` is the station's camera
    /// (if any), `preflight` a fuller pre-flight than the ports' probes (the doctor's). The
    /// kiosk enrols itself with its in-process service and talks to it over HTTP like a fleet
    /// kiosk. Waits for the first view, so the first screen is the right one (attract or out of
    /// service). Needs a tokio runtime.
    pub async fn start(
        ports: Ports,
        mut settings: EngineSettings,
        camera: Option<CameraDesk>,
        preflight: Option<Arc<dyn Preflight>>,
    ) -> Result<Kiosk, reclaim_service::ServiceError> {
        settings.camera_available = camera.is_some();
        let offline = offline_station(&settings);
        let factory = Arc::new(OneStation::new(ports, settings, preflight));
        let local = LocalService::start(factory, None, Limits::default()).await?;
        let credential = local.enroll("this-station")?;
        let service = connect(credential, offline, camera.is_some()).await?;
        Ok(Kiosk::assemble(service, Some(local), camera, None))
    }

    /// Fleet: a client of a recovery service elsewhere; the kiosk holds no tenant credential.
    pub fn with_service(service: ServiceClient, camera: Option<CameraDesk>) -> Kiosk {
        Kiosk::assemble(service, None, camera, None)
    }

    fn assemble(
        service: ServiceClient,
        local: Option<LocalService>,
        camera: Option<CameraDesk>,
        demo: Option<Demo>,
    ) -> Kiosk {
        let station = service.station();
        tracing::info!(ready = station.ready, problems = ?station.problems, "pre-flight");
        let demo = demo.map(Arc::new);
        let follower =
            spawn(follow(service.clone(), service.updates(), camera.clone(), demo.clone()));
        let camera_status = CameraStatus::from_available(camera.is_some());
        Kiosk {
            service,
            local,
            camera,
            camera_status,
            demo,
            subscription: Mutex::new(None),
            follower,
        }
    }

    /// Says why the camera path is hidden (e.g. `refusedVirtual`), as discovery found it.
    #[must_use]
    pub fn with_camera_status(mut self, status: CameraStatus) -> Kiosk {
        self.camera_status = status;
        self
    }

    /// A kiosk on the in-process demo tenant, through the in-process recovery service.
    pub async fn start_demo(launch: DemoLaunch) -> Result<Kiosk, reclaim_service::ServiceError> {
        let camera_available = match &launch.device_camera {
            Some(found) => found.desk.is_some(),
            None => launch.camera,
        };
        let (idle, countdown) = (launch.idle_seconds, launch.countdown_seconds);
        let hook: reclaim_service::demo::SettingsHook = Arc::new(move |settings| {
            settings.camera_available = camera_available;
            if let Some(seconds) = idle {
                settings.config.idle_timeout_secs = seconds;
            }
            if let Some(seconds) = countdown {
                settings.idle_countdown_secs = seconds;
            }
        });
        let service =
            reclaim_service::demo::DemoService::start(reclaim_service::demo::DemoServiceOptions {
                stack: DemoOptions { camera_available, ..launch.options },
                settings: Some(hook),
                // The trusted referee at this station, decided in the operator console.
                console: true,
                listen: launch.service_listen,
                ..Default::default()
            })
            .await?;
        tracing::info!(url = %format!("{}/console", service.url()), "operator console");
        let offline = offline_station(&service.stack().settings());
        let credential = service.enroll("demo-kiosk")?;
        let client = connect(credential, offline, camera_available).await?;
        let (stack, local) = service.into_parts();
        let demo = Demo::new(stack);
        let (camera, status) = match launch.device_camera {
            Some(found) => (found.desk, found.status),
            None => {
                let camera = launch.camera.then(|| CameraDesk::new(demo.camera()));
                let status = CameraStatus::from_available(camera.is_some());
                (camera, status)
            }
        };
        Ok(Kiosk::assemble(client, Some(local), camera, Some(demo)).with_camera_status(status))
    }

    /// The kiosk's client of the recovery service.
    pub fn service(&self) -> &ServiceClient {
        &self.service
    }

    /// The recovery service, when it runs in this process (demo, standalone).
    pub fn local_service(&self) -> Option<&LocalService> {
        self.local.as_ref()
    }

    /// The demo tenant, in demo mode.
    pub fn demo(&self) -> Option<&Demo> {
        self.demo.as_deref()
    }

    /// The station's camera, or `CameraUnavailable`.
    pub fn camera(&self) -> Result<&CameraDesk, CommandError> {
        self.camera.as_ref().ok_or_else(|| reclaim_engine::EngineError::CameraUnavailable.into())
    }

    /// The station as the attract screen shows it.
    pub fn station(&self) -> StationView {
        StationView { camera: self.camera_status, ..self.service.station() }
    }

    /// Sends the current view to `send` at once, then every update, until `send` answers
    /// `false`. Replaces the previous subscription: the UI subscribes once per page load, and a
    /// reloaded page must not leave the old channel listening.
    pub fn subscribe<F>(&self, mut send: F)
    where
        F: FnMut(ViewUpdate) -> bool + Send + 'static,
    {
        // Subscribed before the current view is read, so no update falls between the two.
        let mut updates = self.service.updates();
        let service = self.service.clone();
        let camera = self.camera_status;
        let mut send = move |mut update: ViewUpdate| {
            update.station.camera = camera;
            send(update)
        };
        let task = spawn(async move {
            if !send(service.current()) {
                return;
            }
            loop {
                let update = match updates.recv().await {
                    Ok(update) => update,
                    // Too slow to take every update: the newest is the whole state anyway.
                    Err(RecvError::Lagged(_)) => service.current(),
                    Err(RecvError::Closed) => return,
                };
                if !send(update) {
                    return;
                }
            }
        });
        let old = self
            .subscription
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .replace(task);
        if let Some(old) = old {
            old.abort();
        }
    }

    /// Start pressed. In demo mode the synthetic camera picks up the first persona's test card
    /// (drawn now rather than at start, where the window's start-up needs the CPU) until the
    /// account step names whose card it is.
    pub async fn begin(&self) -> Result<(), CommandError> {
        if let Some(demo) = &self.demo {
            let demo = Arc::clone(demo);
            spawn(async move { demo.hold_first_card().await });
        }
        self.service.begin().await.map_err(Into::into)
    }

    /// The account the person typed. In demo mode the synthetic camera then holds that
    /// persona's test card.
    pub async fn submit_upn(&self, upn: String) -> Result<(), CommandError> {
        if let Some(demo) = &self.demo {
            let demo = Arc::clone(demo);
            let typed = upn.clone();
            spawn(async move { demo.hold_card_of(&typed).await });
        }
        self.service.submit_upn(upn).await.map_err(Into::into)
    }

    /// Takes `shot` with the camera and sends it to the service, which sends it to the provider.
    pub async fn capture(&self, shot: Shot) -> Result<(), CommandError> {
        let camera = self.camera()?.clone();
        let jpeg =
            tokio::task::spawn_blocking(move || camera.shoot(shot)).await.map_err(|_| {
                CommandError::new(reclaim_engine::ErrorCode::Internal, "capture task failed")
            })??;
        self.service.capture(shot, jpeg).await.map_err(Into::into)
    }

    /// Stops following the service, the camera, the in-process service and the demo tenant (at
    /// exit).
    pub async fn shutdown(self) {
        self.follower.abort();
        if let Some(task) =
            self.subscription.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner)
        {
            task.abort();
        }
        if let Some(camera) = &self.camera {
            camera.release();
        }
        self.service.close();
        if let Some(local) = self.local {
            local.shutdown().await;
        }
        if let Some(demo) = self.demo.and_then(|d| Arc::try_unwrap(d).ok()) {
            demo.shutdown().await;
        }
    }
}

/// The URL of the QR code on screen, if any.
pub fn shown_code(view: &View) -> Option<String> {
    match view {
        View::ScanId { link: Some(qr), .. }
        | View::AddToAuthenticator { qr }
        | View::OpenAuthenticator { qr: Some(qr) } => Some(qr.url.clone()),
        _ => None,
    }
}

/// Keeps the camera in step with the session (cue the scene asked for, release off the camera
/// screen) and, in demo mode, shows the demo phone the code on screen and takes the card back
/// from the synthetic camera on every wipe.
async fn follow(
    service: ServiceClient,
    mut updates: tokio::sync::broadcast::Receiver<ViewUpdate>,
    camera: Option<CameraDesk>,
    demo: Option<Arc<Demo>>,
) {
    let mut last_code: Option<String> = None;
    loop {
        let update = match updates.recv().await {
            Ok(update) => update,
            // Behind: the newest view is what counts.
            Err(RecvError::Lagged(_)) => service.current(),
            Err(RecvError::Closed) => return,
        };
        if let Some(camera) = &camera {
            camera.follow(&update.view);
        }
        if let Some(demo) = &demo {
            let code = shown_code(&update.view);
            if code != last_code {
                demo.show_code(&update.view).await;
                last_code = code;
            }
            if update.reset {
                demo.hold_card_of("").await;
            }
        }
    }
}

/// How the attract screen describes the station while the service cannot (its id, mode and
/// language from the kiosk's own settings).
fn offline_station(settings: &EngineSettings) -> StationView {
    StationView::not_connected(settings.mode, settings.station_id.clone(), settings.default_locale)
}

async fn connect(
    credential: reclaim_protocol::station::StationCredential,
    offline: StationView,
    camera: bool,
) -> Result<ServiceClient, reclaim_service::ServiceError> {
    ServiceClient::connect(
        credential,
        offline,
        ClientOptions { camera, ..ClientOptions::default() },
    )
    .await
    .map_err(|e| reclaim_service::ServiceError::Stations(e.to_string()))
}
