//! The service on the in-process emulated tenant (feature `demo`): what the kiosk's demo mode
//! runs on loopback, what `reclaim-service --demo` serves, and what the tests drive.
//!
//! One [`DemoStack`] (the emulator and the callback relay) serves every station: the first
//! station to call gets the stack's own station, the next ones its extra stations
//! ([`DemoOptions::extra_stations`]), each with its own phone (`{name}-phone`, the name it was
//! enrolled under).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use reclaim_engine::demo::{DemoOptions, DemoStack};
use reclaim_engine::ports::BoxFuture;
use reclaim_engine::{Engine, EngineSettings, LimitsStore, TeeAudit};
use reclaim_protocol::station::StationCredential;

use crate::api::{EngineFactory, StationName};
use crate::audit_log::ChainedAudit;
use crate::console::{ConsoleSettings, Tally};
use crate::error::ServiceError;
use crate::listener::Limits;
use crate::local::LocalService;

/// Adjusts each station's engine settings (the kiosk's idle timer, its camera).
pub type SettingsHook = Arc<dyn Fn(&mut EngineSettings) + Send + Sync>;

/// Engines on the demo stack.
pub struct DemoEngines {
    stack: Arc<DemoStack>,
    primary_taken: AtomicBool,
    hook: Option<SettingsHook>,
    /// The limits of every station (the stack's own in-memory store unless the options name
    /// one).
    limits: Option<Arc<dyn LimitsStore>>,
    /// The chained audit log every station's engine also writes to.
    audit: Option<Arc<ChainedAudit>>,
    /// The operator console's counts, when it runs.
    tally: Option<Arc<Tally>>,
}

impl std::fmt::Debug for DemoEngines {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoEngines").finish_non_exhaustive()
    }
}

impl EngineFactory for DemoEngines {
    fn start<'a>(
        &'a self,
        station: &'a StationName,
        camera: bool,
    ) -> BoxFuture<'a, Result<Engine, ServiceError>> {
        Box::pin(async move {
            let (mut ports, mut settings) = if !self.primary_taken.swap(true, Ordering::SeqCst) {
                (self.stack.ports(), self.stack.settings())
            } else {
                self.stack
                    .station(&station.name, &format!("{}-phone", station.name))
                    .ok_or(ServiceError::NoCapacity)?
            };
            settings.camera_available = camera;
            if let Some(limits) = &self.limits {
                ports.limits = limits.clone();
            }
            if let Some(log) = &self.audit {
                ports.audit =
                    Arc::new(TeeAudit(vec![ports.audit.clone(), log.station(&station.id)]));
            }
            if let Some(tally) = &self.tally {
                ports.audit =
                    Arc::new(TeeAudit(vec![ports.audit.clone(), tally.station(&station.id)]));
            }
            if let Some(hook) = &self.hook {
                hook(&mut settings);
            }
            let engine = Engine::spawn(ports, settings);
            // The first screen is the right one (attract or out of service) from the first view.
            engine.preflight().await;
            Ok(engine)
        })
    }
}

/// The demo tenant's operator console app registration (`demo-tenant.toml`).
pub const DEMO_CONSOLE_CLIENT_ID: &str = "3a000000-0000-4000-8000-000000000003";
/// Its client secret (the emulator's only; it grants nothing anywhere else).
const DEMO_CONSOLE_SECRET: &str = "demo-console-secret-NOT-FOR-PRODUCTION";
/// The demo tenant's "Reclaim operators" group.
pub const DEMO_OPERATORS_GROUP: &str = "6a000000-0000-4000-8000-000000000009";
/// The demo staff account in that group, and its password (on the emulator's sign-in page).
pub const DEMO_OPERATOR: (&str, &str) = ("it.operator@contoso.example", "operator-demo");
/// A demo staff account that signs in but is not an operator.
pub const DEMO_NON_OPERATOR: (&str, &str) = ("helpdesk.viewer@contoso.example", "viewer-demo");

fn demo_console(stack: &DemoStack, tally: Arc<Tally>) -> Result<ConsoleSettings, ServiceError> {
    let urls = &stack.emulator().urls;
    let oidc = reclaim_entra::oidc::OidcClient::builder(
        urls.login.clone(),
        urls.tenant.to_string(),
        DEMO_CONSOLE_CLIENT_ID,
    )
    .client_secret(reclaim_entra::Secret::new(DEMO_CONSOLE_SECRET))
    .build()
    .map_err(|e| ServiceError::Config(format!("operator console: {e}")))?;
    Ok(ConsoleSettings {
        oidc,
        operators_group: DEMO_OPERATORS_GROUP.into(),
        public_url: None,
        tally,
    })
}

/// How to start the demo service.
#[derive(Clone, Default)]
pub struct DemoServiceOptions {
    /// The demo stack (emulator address, station, phone, extra stations).
    pub stack: DemoOptions,
    /// Where the session API listens (default: an ephemeral loopback port).
    pub listen: Option<SocketAddr>,
    /// The listener's limits.
    pub limits: Limits,
    /// Applied to every station's settings.
    pub settings: Option<SettingsHook>,
    /// The limits store every station shares (default: the demo stack's, in memory); e.g. a
    /// [`crate::limits::FileLimits`] to keep them across restarts.
    pub limits_store: Option<Arc<dyn LimitsStore>>,
    /// Keep the chained audit log of every station in `{audit_dir}/audit.jsonl` (default: no
    /// chained log, the events only in the tracing log).
    pub audit_dir: Option<PathBuf>,
    /// Serve the operator console at `/console`, signing staff in through the emulated tenant
    /// (its console app registration and its "Reclaim operators" group), and offer the trusted
    /// referee at every station.
    pub console: bool,
}

impl std::fmt::Debug for DemoServiceOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoServiceOptions")
            .field("stack", &self.stack)
            .field("listen", &self.listen)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// The running demo service.
#[derive(Debug)]
pub struct DemoService {
    stack: Arc<DemoStack>,
    local: LocalService,
    audit: Option<Arc<ChainedAudit>>,
}

impl DemoService {
    /// Starts the demo stack and the session API on loopback. Needs a tokio runtime.
    pub async fn start(options: DemoServiceOptions) -> Result<DemoService, ServiceError> {
        let stack = Arc::new(DemoStack::start(options.stack.clone()).await?);
        Self::on_stack(stack, options).await
    }

    /// The session API over a demo stack already started (`options.stack` is not used): a
    /// benchmark starts the emulated tenant on a runtime of its own, as Microsoft's cloud and the
    /// provider run on other machines than the service.
    pub async fn on_stack(
        stack: Arc<DemoStack>,
        options: DemoServiceOptions,
    ) -> Result<DemoService, ServiceError> {
        let audit = match &options.audit_dir {
            Some(dir) => Some(ChainedAudit::open(&dir.join(crate::audit_log::FILE_NAME))?),
            None => None,
        };
        let tally = options.console.then(Tally::new);
        let hook = match (options.settings, options.console) {
            (hook, false) => hook,
            (hook, true) => {
                let referee: SettingsHook = Arc::new(move |s: &mut EngineSettings| {
                    s.config.referee = true;
                    if let Some(h) = &hook {
                        h(s);
                    }
                });
                Some(referee)
            }
        };
        let factory = Arc::new(DemoEngines {
            stack: stack.clone(),
            primary_taken: AtomicBool::new(false),
            hook,
            limits: options.limits_store,
            audit: audit.clone(),
            tally: tally.clone(),
        });
        let console = match tally {
            Some(tally) => Some(demo_console(&stack, tally)?),
            None => None,
        };
        let local =
            LocalService::start_with_console(factory, options.listen, options.limits, console)
                .await?;
        Ok(DemoService { stack, local, audit })
    }

    /// The chained audit log, when [`DemoServiceOptions::audit_dir`] names its folder.
    pub fn audit(&self) -> Option<&Arc<ChainedAudit>> {
        self.audit.as_ref()
    }

    /// The demo tenant.
    pub fn stack(&self) -> &Arc<DemoStack> {
        &self.stack
    }

    /// The session API on loopback.
    pub fn service(&self) -> &LocalService {
        &self.local
    }

    /// The session API's base URL.
    pub fn url(&self) -> &str {
        self.local.url()
    }

    /// Enrols a station (see [`LocalService::enroll`]).
    pub fn enroll(&self, name: &str) -> Result<StationCredential, ServiceError> {
        self.local.enroll(name)
    }

    /// The demo tenant and the service, to keep apart (the kiosk keeps the tenant for its demo
    /// camera and phone).
    pub fn into_parts(self) -> (Arc<DemoStack>, LocalService) {
        (self.stack, self.local)
    }

    /// Stops the API, every engine and, once nothing else holds it, the demo tenant.
    pub async fn shutdown(self) {
        self.local.shutdown().await;
        if let Some(audit) = self.audit {
            let _ = tokio::task::spawn_blocking(move || audit.close()).await;
        }
        if let Ok(stack) = Arc::try_unwrap(self.stack) {
            stack.shutdown().await;
        }
    }
}
