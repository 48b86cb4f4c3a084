//! The service on a real tenant (`reclaim-service serve --config FILE`): the configuration is
//! the production file a standalone kiosk uses (`reclaim-config`'s format, validated with the
//! key path and line of every error) plus a `[server]` section; the service holds the tenant
//! credential and the providers' secrets (from `server.secrets_file` or the service user's
//! keyring), the station registry, the limits (`limits.json`) and the chained audit log
//! (`audit/audit.jsonl`, exported to syslog per `[audit.syslog]`) live in `server.state_dir`,
//! and every enrolled station gets an engine on the same tenant clients, limits and audit log,
//! its events routed through one [`EventsMux`]. With `[webhook]`, the outcomes are also queued in
//! `webhook/outbox.jsonl` and sent to the service desk ([`crate::webhook`]).

use std::sync::Arc;

use reclaim_config::{Config, FileStore, KeyringStore, SecretName, SecretStore};
use reclaim_engine::ports::BoxFuture;
use reclaim_engine::{Engine, EngineSettings, Ports, TeeAudit};
use secrecy::ExposeSecret;

use crate::api::{ApiState, EngineFactory, Sessions, StationName, router};
use crate::audit_log::{self, ChainedAudit};
use crate::console::{ConsoleSettings, Tally};
use crate::error::ServiceError;
use crate::listener::{self, Limits, Server};
use crate::mux::EventsMux;
use crate::stations::{StationAuth, StationRegistry};
use crate::syslog::SyslogExporter;
use crate::webhook::{self, Webhook, WebhookSecret, WebhookSettings};

/// Engines on the tenant of a production configuration.
#[derive(Debug)]
pub struct TenantEngines {
    ports: Ports,
    settings: EngineSettings,
    mux: Arc<EventsMux>,
    /// The chained audit log every station's engine also writes to.
    audit: Option<Arc<ChainedAudit>>,
    /// The service-desk webhook every station's outcomes are queued for.
    webhook: Option<Arc<Webhook>>,
    /// The operator console's counts.
    tally: Option<Arc<Tally>>,
}

impl TenantEngines {
    /// Every station's engine runs on `ports` (one set of tenant clients), with its own events
    /// through a mux over `ports.events`, and `settings` with its own station id.
    pub fn new(ports: Ports, settings: EngineSettings) -> Self {
        let mux = EventsMux::new(ports.events.clone());
        Self { ports, settings, mux, audit: None, webhook: None, tally: None }
    }

    /// Every station's audit events also go into `log`, tagged with its enrolled id.
    pub fn with_audit(mut self, log: Arc<ChainedAudit>) -> Self {
        self.audit = Some(log);
        self
    }

    /// Every station's events are also counted for the operator console.
    pub fn with_tally(mut self, tally: Option<Arc<Tally>>) -> Self {
        self.tally = tally;
        self
    }

    /// Every station's outcomes also go to the service-desk webhook's outbox.
    pub fn with_webhook(mut self, hook: Option<Arc<Webhook>>) -> Self {
        self.webhook = hook;
        self
    }
}

impl EngineFactory for TenantEngines {
    fn start<'a>(
        &'a self,
        station: &'a StationName,
        camera: bool,
    ) -> BoxFuture<'a, Result<Engine, ServiceError>> {
        Box::pin(async move {
            let mut ports = self.ports.clone();
            ports.events = self.mux.station(&station.id);
            let mut sinks = vec![ports.audit.clone()];
            if let Some(log) = &self.audit {
                sinks.push(log.station(&station.id));
            }
            if let Some(hook) = &self.webhook {
                sinks.push(hook.station(&station.id));
            }
            if let Some(tally) = &self.tally {
                sinks.push(tally.station(&station.id));
            }
            if sinks.len() > 1 {
                ports.audit = Arc::new(TeeAudit(sinks));
            }
            let mut settings = self.settings.clone();
            settings.station_id = station.name.clone();
            settings.camera_available = camera;
            let engine = Engine::spawn(ports, settings);
            engine.preflight().await;
            Ok(engine)
        })
    }
}

/// `[console]`: the tenant's OpenID Connect relying party for the console's app registration
/// (its secret `console-client-secret`), at `server.public_url`.
fn console_settings(
    config: &Config,
    console: &reclaim_config::Console,
    secrets: &dyn SecretStore,
) -> Result<ConsoleSettings, ServiceError> {
    let secret = secrets
        .get(&SecretName::ConsoleClientSecret)
        .map_err(|e| ServiceError::Config(e.to_string()))?;
    let http = config.http_client().map_err(|e| ServiceError::Config(e.to_string()))?;
    let tenant = config.tenant.as_ref().ok_or_else(|| {
        ServiceError::Config("[console] needs the [tenant] it signs staff in to".into())
    })?;
    let oidc = reclaim_entra::oidc::OidcClient::builder(
        config.endpoints.login.as_str().trim_end_matches('/'),
        tenant.id.clone(),
        console.client_id.clone(),
    )
    .client_secret(reclaim_entra::Secret::new(secret.expose_secret()))
    .http(http)
    .build()
    .map_err(|e| ServiceError::Config(format!("[console]: {e}")))?;
    Ok(ConsoleSettings {
        oidc,
        operators_group: console.operators_group.clone(),
        public_url: None,
        tally: Tally::new(),
    })
}

/// The secret store a `[server]` names: its `secrets_file`, else the keyring.
pub fn secret_store(config: &Config) -> Result<Arc<dyn SecretStore>, ServiceError> {
    match config.server.as_ref().and_then(|s| s.secrets_file.as_deref()) {
        Some(file) => {
            Ok(Arc::new(FileStore::open(file).map_err(|e| ServiceError::Config(e.to_string()))?))
        }
        None => Ok(Arc::new(KeyringStore::new())),
    }
}

/// The running service.
#[derive(Debug)]
pub struct RunningService {
    server: Server,
    sessions: Arc<Sessions>,
    registry: StationRegistry,
    audit: Arc<ChainedAudit>,
    export: Option<SyslogExporter>,
    webhook: Option<Arc<Webhook>>,
}

impl RunningService {
    /// The listener.
    pub fn server(&self) -> &Server {
        &self.server
    }

    /// The station registry.
    pub fn registry(&self) -> &StationRegistry {
        &self.registry
    }

    /// The audit log (`{state_dir}/audit/audit.jsonl`).
    pub fn audit(&self) -> &Arc<ChainedAudit> {
        &self.audit
    }

    /// Stops the API and every engine, writes the audit log's last records and sends them to
    /// the syslog collector if one is configured and reachable.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
        self.sessions.shutdown().await;
        let audit = self.audit.clone();
        let _ = tokio::task::spawn_blocking(move || audit.flush()).await;
        if let Some(export) = self.export {
            export.stop().await;
        }
        if let Some(hook) = &self.webhook {
            hook.stop().await;
        }
        let audit = self.audit;
        let _ = tokio::task::spawn_blocking(move || audit.close()).await;
    }
}

/// Serves `config` (with a `[server]` section) with secrets from `secrets`. Reads files and the
/// secret store (which may block: the keyring) before it serves. Needs a tokio runtime.
pub async fn serve(
    config: &Config,
    secrets: &dyn SecretStore,
    limits: Limits,
) -> Result<RunningService, ServiceError> {
    let server = config.server.as_ref().ok_or_else(|| {
        ServiceError::Config(format!(
            "{}: no [server] section: this file configures a kiosk, not the recovery service",
            config.file
        ))
    })?;
    let station = reclaim_engine::production::assemble(config, secrets)
        .map_err(|e| ServiceError::Config(e.to_string()))?;
    let registry = StationRegistry::open(&server.state_dir)
        .map_err(|e| ServiceError::Stations(e.to_string()))?;
    // One limits store for every station, kept in the state folder: limits survive restarts.
    let mut ports = station.ports;
    ports.limits = Arc::new(crate::limits::FileLimits::open(&server.state_dir)?);
    // One chained audit log for every station (refuses to start after a broken chain).
    let audit = ChainedAudit::open(&audit_log::path_in(&server.state_dir))?;
    let export = match &server.audit.syslog {
        Some(syslog) => Some(SyslogExporter::spawn(&audit, syslog)?),
        None => None,
    };
    let webhook = match &server.webhook {
        Some(w) => {
            let secret = secrets
                .get(&SecretName::WebhookSecret)
                .map_err(|e| ServiceError::Config(e.to_string()))?;
            let secret = WebhookSecret::parse(secret.expose_secret())?;
            let settings = WebhookSettings::new(w.url.clone(), secret, w.events.clone());
            Some(Webhook::start(&webhook::dir_in(&server.state_dir), settings)?)
        }
        None => None,
    };
    let console = match &server.console {
        Some(c) => Some(console_settings(config, c, secrets)?),
        None => None,
    };
    let factory = Arc::new(
        TenantEngines::new(ports, station.settings)
            .with_audit(audit.clone())
            .with_webhook(webhook.clone())
            .with_tally(console.as_ref().map(|c| c.tally.clone())),
    );
    let sessions = Sessions::new(factory, Some(registry.clone()));
    let auth = StationAuth::new(registry.clone(), server.public_url.as_str());
    let mut app = router(ApiState { sessions: sessions.clone(), auth });
    if let Some(settings) = console {
        let url = server.public_url.as_str().trim_end_matches('/').to_owned();
        app = app.merge(crate::console::router(
            settings,
            sessions.clone(),
            Some(registry.clone()),
            &url,
        ));
    }
    let listener = tokio::net::TcpListener::bind(server.listen).await?;
    let server = listener::serve(listener, app, limits)?;
    tracing::info!(listen = %server.local_addr(), "recovery service listening");
    Ok(RunningService { server, sessions, registry, audit, export, webhook })
}
