//! The service inside the kiosk's own process, on loopback (demo and standalone mode): the same
//! session API, the same station authentication, the same HTTP path as a fleet's server — one
//! code path for the kiosk.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use reclaim_engine::ports::BoxFuture;
use reclaim_engine::{Engine, EngineSettings, Ports, Preflight};
use reclaim_protocol::station::{StationCredential, StationKey};

use crate::api::{ApiState, EngineFactory, Sessions, StationName, router};
use crate::error::ServiceError;
use crate::listener::{self, Limits, Server};
use crate::stations::{StationAuth, StationRegistry};

/// One station's engine from ports and settings assembled beforehand (standalone mode: the
/// kiosk's own configuration). A second station gets [`ServiceError::NoCapacity`].
pub struct OneStation {
    parts: Mutex<Option<StationParts>>,
}

/// What one station's engine is made of.
type StationParts = (Ports, EngineSettings, Option<Arc<dyn Preflight>>);

impl std::fmt::Debug for OneStation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OneStation").finish_non_exhaustive()
    }
}

impl OneStation {
    /// The station's engine will run on `ports` with `settings` (and `preflight` instead of the
    /// ports' probes, when given).
    pub fn new(
        ports: Ports,
        settings: EngineSettings,
        preflight: Option<Arc<dyn Preflight>>,
    ) -> Self {
        Self { parts: Mutex::new(Some((ports, settings, preflight))) }
    }
}

impl EngineFactory for OneStation {
    fn start<'a>(
        &'a self,
        _station: &'a StationName,
        _camera: bool,
    ) -> BoxFuture<'a, Result<Engine, ServiceError>> {
        Box::pin(async move {
            let parts = self.parts.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
            let (ports, settings, preflight) = parts.ok_or(ServiceError::NoCapacity)?;
            let engine = match preflight {
                Some(preflight) => Engine::spawn_with_preflight(ports, settings, preflight),
                None => Engine::spawn(ports, settings),
            };
            engine.preflight().await;
            Ok(engine)
        })
    }
}

/// The session API served on loopback in this process.
#[derive(Debug)]
pub struct LocalService {
    server: Server,
    sessions: Arc<Sessions>,
    registry: StationRegistry,
    url: String,
}

impl LocalService {
    /// Serves the engines `factory` makes on `listen` (default: an ephemeral loopback port),
    /// with an in-memory station registry.
    pub async fn start(
        factory: Arc<dyn EngineFactory>,
        listen: Option<SocketAddr>,
        limits: Limits,
    ) -> Result<LocalService, ServiceError> {
        Self::start_with_console(factory, listen, limits, None).await
    }

    /// [`start`](Self::start), with the operator console at `/console` when `console` is set.
    pub async fn start_with_console(
        factory: Arc<dyn EngineFactory>,
        listen: Option<SocketAddr>,
        limits: Limits,
        console: Option<crate::console::ConsoleSettings>,
    ) -> Result<LocalService, ServiceError> {
        let listen = listen.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)));
        let listener = tokio::net::TcpListener::bind(listen).await?;
        let url = format!("http://{}", listener.local_addr()?);
        let registry = StationRegistry::in_memory();
        let sessions = Sessions::new(factory, Some(registry.clone()));
        let auth = StationAuth { registry: registry.clone(), audience: url.clone() };
        let mut app = router(ApiState { sessions: sessions.clone(), auth });
        if let Some(settings) = console {
            app = app.merge(crate::console::router(
                settings,
                sessions.clone(),
                Some(registry.clone()),
                &url,
            ));
        }
        let server = listener::serve(listener, app, limits)?;
        tracing::info!(%url, "recovery service listening");
        Ok(LocalService { server, sessions, registry, url })
    }

    /// The session API's base URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The stations' engines.
    pub fn sessions(&self) -> &Arc<Sessions> {
        &self.sessions
    }

    /// The station registry.
    pub fn registry(&self) -> &StationRegistry {
        &self.registry
    }

    /// The listener (its refusal counters).
    pub fn server(&self) -> &Server {
        &self.server
    }

    /// Enrols a station named `name` as an administrator and a kiosk would (a one-time code,
    /// a fresh key pair, the code redeemed with its public half), in-process.
    pub fn enroll(&self, name: &str) -> Result<StationCredential, ServiceError> {
        let stations = |e: &dyn std::fmt::Display| ServiceError::Stations(e.to_string());
        let code = self.registry.issue_code(name).map_err(|e| stations(&e))?;
        let key = StationKey::generate().map_err(|e| stations(&e))?;
        let record = self.registry.redeem(&code, &key.public_key()).map_err(|e| stations(&e))?;
        Ok(StationCredential::new(record.id.as_str(), self.url.clone(), key))
    }

    /// Stops the API and every engine.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
        self.sessions.shutdown().await;
    }
}
