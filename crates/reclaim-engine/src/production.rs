//! The engine for a real tenant (feature `production`): [`assemble`] turns a validated
//! [`reclaim_config::Config`] and its secrets into the [`Ports`] and [`EngineSettings`] that
//! [`Engine::spawn`](crate::Engine::spawn) takes — the same adapters as the demo stack, pointed
//! at the configured hosts instead of the in-process emulator. Tauri-free: the kiosk shell calls
//! it for `reclaim-kiosk --config FILE`, tests call it against the emulator by URL.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use reclaim_config::{Config, KeyringStore};
//! let config = Config::load("/etc/reclaim/reclaim.toml")?;
//! // The keyring blocks (D-Bus): assemble off the async threads.
//! let station = tokio::task::spawn_blocking(move || {
//!     reclaim_engine::production::assemble(&config, &KeyringStore::new())
//! })
//! .await??;
//! # let has_camera = false;
//! let mut settings = station.settings;
//! settings.camera_available = has_camera; // the shell knows
//! let engine = reclaim_engine::Engine::spawn(station.ports, settings);
//! let station_view = engine.preflight().await;
//! # let _ = station_view; Ok(()) }
//! ```

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use reclaim_config::{
    Config, ConfigError, Document, Production, Provider, SecretError, SecretName, SecretStore,
    error_chain,
};
use reclaim_core::AuditKey;
use reclaim_entra::claim_validation::ClaimValidationClient;
use reclaim_entra::{
    ClientCredential, EntraError, GraphClient, RequestServiceClient, RetryPolicy, Secret,
    TokenSource,
};
use reclaim_relay::RelayClient;
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::adapters::{
    GraphDirectory, GraphRecords, HttpProviders, ProviderEndpoint, RelayEvents,
    RequestServicePresentations,
};
use crate::audit::TracingAudit;
use crate::clock::SystemClock;
use crate::ports::Ports;
use crate::settings::{EngineSettings, StationProvider};
use crate::view::{DocumentKind, Locale, ProviderCard, StationMode};

/// What Authenticator shows as the verifier of the presentation request.
pub const VERIFIER_CLIENT_NAME: &str = "Reclaim account recovery";

/// Retries of the token endpoint, Graph and the Request Service: 4 attempts from 500 ms,
/// never more than 10 s apart, so a retried call still fits the engine's 30 s eligibility and
/// TAP timeouts.
pub const RETRY_POLICY: RetryPolicy = RetryPolicy {
    max_attempts: 4,
    base_delay: Duration::from_millis(500),
    max_delay: Duration::from_secs(10),
};

/// Connect timeout of the relay client (its event stream is long-lived: no total timeout).
const RELAY_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The engine's parts for one station: spawn it with
/// `Engine::spawn(station.ports, station.settings)`.
///
/// `Debug` shows no secret: the token source prints its credential as `Secret([REDACTED])` or
/// the certificate's thumbprint only, provider endpoints and the relay client leave their keys
/// out, and the audit key prints as `AuditKey(<redacted>)` (a test checks all of it).
#[derive(Debug, Clone)]
pub struct Station {
    /// Graph, the Request Service, the providers and the relay over HTTP; the system clock;
    /// audit through `tracing`.
    pub ports: Ports,
    /// Station id, mode `Production`, the file's `[timeouts]`/`[recovery]`, providers, a fresh
    /// audit key; `camera_available` is `false` until the shell sets it.
    pub settings: EngineSettings,
}

/// Why a production engine could not be assembled. No variant carries a secret value: secrets
/// are named (`relay-credential`), URLs are shown (the config refuses URLs with a password).
#[derive(Debug, thiserror::Error)]
pub enum ProductionError {
    /// `station.mode = "demo"`: the demo stack (`reclaim_engine::demo`) runs the emulated
    /// tenant; a production engine needs the production sections.
    #[error(
        "{file}: station.mode = \"demo\": a production engine needs station.mode = \"production\" \
         with [tenant], [verifier], [relay] and at least one [[providers]] (demo mode starts the \
         emulated tenant in-process instead)"
    )]
    DemoMode {
        /// The configuration file, as given.
        file: String,
    },
    /// A secret the configuration needs could not be read from the store.
    #[error("{error}")]
    Secret {
        /// The secret's name (keyring account), e.g. `relay-credential`.
        name: String,
        /// Why (missing, keyring locked or unavailable, unusable): names the secret and what to
        /// do, never its value.
        error: SecretError,
    },
    /// The tenant certificate (`tenant.credential.path`) or the CA file (`endpoints.ca_file`)
    /// could not be used.
    #[error("{}: {message}", path.display())]
    Certificate {
        /// The file.
        path: PathBuf,
        /// What is wrong (never the key or password).
        message: String,
    },
    /// A client could not be built for a configured URL.
    #[error("{file}: {key} = {url:?}: {reason}")]
    Endpoint {
        /// The configuration file, as given.
        file: String,
        /// The key, e.g. `endpoints.graph` or `relay.url`.
        key: String,
        /// Its value.
        url: String,
        /// Why.
        reason: String,
    },
    /// The HTTP client for the relay could not be built.
    #[error("{file}: relay.url: cannot build the relay's HTTP client: {reason}")]
    RelayHttp {
        /// The configuration file, as given.
        file: String,
        /// Why.
        reason: String,
    },
    /// Any other configuration error (already names the file and key).
    #[error(transparent)]
    Config(ConfigError),
}

impl From<ConfigError> for ProductionError {
    fn from(e: ConfigError) -> Self {
        match e {
            ConfigError::Secret(error) => secret_error(error),
            ConfigError::Certificate { path, message } => Self::Certificate { path, message },
            other => Self::Config(other),
        }
    }
}

fn secret_error(error: SecretError) -> ProductionError {
    let name = match &error {
        SecretError::Missing { name, .. }
        | SecretError::Locked { name, .. }
        | SecretError::Unavailable { name, .. }
        | SecretError::Invalid { name, .. } => name.clone(),
        SecretError::UnknownName { given } => given.clone(),
    };
    ProductionError::Secret { name, error }
}

fn secret(store: &dyn SecretStore, name: &SecretName) -> Result<SecretString, ProductionError> {
    store.get(name).map_err(secret_error)
}

/// The token source for the configured tenant and app registration (the engine's, and the
/// doctor's with its own retry policy).
pub fn token_source(
    prod: &Production<'_>,
    credential: ClientCredential,
    http: &reqwest::Client,
    retry: RetryPolicy,
) -> Result<TokenSource, EntraError> {
    let endpoints = prod.endpoints.to_entra();
    TokenSource::builder()
        .authority(&endpoints.authority)
        .tenant(prod.tenant.id.clone())
        .client_id(prod.tenant.client_id.to_string())
        .credential(credential)
        .http_client(http.clone())
        .retry_policy(retry)
        .build()
}

/// The keyring's `audit-key`, or a random key for this run when none is stored.
fn audit_key(store: &dyn SecretStore) -> Result<AuditKey, ProductionError> {
    match store.get(&SecretName::AuditKey) {
        Ok(value) => Ok(AuditKey::new(value.expose_secret().as_bytes().to_vec())),
        Err(SecretError::Missing { .. }) => {
            tracing::warn!(
                "no audit-key in the keyring: audit pseudonyms hold for this run only \
                 (set one with `reclaim-config set-secret audit-key`)"
            );
            Ok(AuditKey::new(rand::random::<[u8; 32]>().to_vec()))
        }
        Err(error) => Err(secret_error(error)),
    }
}

/// Builds the engine's ports and settings for the real tenant `config` describes, reading its
/// secrets from `secrets`:
///
/// * one HTTP client from [`Config::http_client`] (trusting `endpoints.ca_file`) for the token
///   endpoint, Graph, the Request Service and the providers; the relay gets its own without a
///   total timeout (its event stream is long-lived), trusting the same CA;
/// * a [`TokenSource`] for `tenant.client_id` with the client secret or the certificate, as
///   [`Config::client_credential`] gives it, and [`RETRY_POLICY`] on every Entra client;
/// * [`GraphDirectory`], [`RequestServicePresentations`] (verifier name
///   [`VERIFIER_CLIENT_NAME`]), [`HttpProviders`] from `[[providers]]` with their keyring keys,
///   [`RelayEvents`] on `relay.url` with the `relay-credential`, [`SystemClock`], [`TracingAudit`];
/// * settings: `station.id`, [`StationMode::Production`], `[timeouts]`/`[recovery]` as the
///   core's `EngineConfig`, the providers' cards and issuer DIDs in file order, and
///   `camera_available = false` (the shell sets it).
///
/// What the file does not offer, the engine's defaults give:
///
/// * **Audit key**: the keyring's optional `audit-key` (the same on every station of a fleet,
///   so an account's pseudonym and its attempt limit hold across restarts and stations);
///   without it a fresh random 32-byte key, stable within one run of the kiosk only.
/// * **Sign-in URL**: the configuration has none, so the TAP screen shows
///   [`EngineSettings::new`]'s `https://mysignins.microsoft.com/security-info`.
/// * `[verifier] authority` is not read here: the engine takes each presentation's `authority`
///   from the tenant's verifiedIdProfile, as the core decides.
///
/// Providers: the hosted flow starts at `{hosted_flow_url}/start` and the capture API lives at
/// `{capture_api_url}/v1/sessions`, whatever the provider's host layout. A provider with only one
/// of the two URLs has no URL for the other (the adapter refuses that path) and a random key,
/// known to nobody, in its place rather than an empty one.
///
/// Reads files and calls the secret store, which may block (the keyring): from async code, call
/// it in `spawn_blocking`. Needs no runtime.
pub fn assemble(config: &Config, secrets: &dyn SecretStore) -> Result<Station, ProductionError> {
    let Some(prod) = config.production() else {
        return Err(ProductionError::DemoMode { file: config.file.clone() });
    };
    let file = &config.file;
    let station_id = config.station.id.clone();
    let endpoint_error =
        |key: &str, url: &Url, e: &dyn std::error::Error| ProductionError::Endpoint {
            file: file.clone(),
            key: key.to_owned(),
            url: url.to_string(),
            reason: error_chain(e),
        };

    // Secrets first: a missing one is the most likely mistake and names itself.
    let credential = config.client_credential(secrets)?;
    let relay_credential = config.relay_credential(secrets)?;
    let http = config.http_client()?;

    let endpoints = prod.endpoints.to_entra();
    let tokens = Arc::new(
        token_source(&prod, credential, &http, RETRY_POLICY)
            .map_err(|e| endpoint_error("endpoints.login", &prod.endpoints.login, &e))?,
    );
    let graph = GraphClient::builder()
        .base_url(&endpoints.graph)
        .token_source(tokens.clone())
        .http_client(http.clone())
        .retry_policy(RETRY_POLICY)
        .build()
        .map_err(|e| endpoint_error("endpoints.graph", &prod.endpoints.graph, &e))?;
    let request_service = RequestServiceClient::builder()
        .base_url(&endpoints.request_service)
        .token_source(tokens.clone())
        .http_client(http.clone())
        .retry_policy(RETRY_POLICY)
        .build()
        .map_err(|e| {
            endpoint_error("endpoints.request_service", &prod.endpoints.request_service, &e)
        })?;

    let mut provider_endpoints = Vec::with_capacity(prod.providers.len());
    let mut station_providers = Vec::with_capacity(prod.providers.len());
    for (index, p) in prod.providers.iter().enumerate() {
        // A link-only provider has no API to call and no secrets: only its onboarding page.
        let onboarding_url = p.onboarding_url.as_ref().map(Url::to_string);
        if onboarding_url.is_none() {
            provider_endpoints.push(provider_endpoint(file, index, p, secrets)?);
        }
        station_providers.push(StationProvider {
            card: ProviderCard {
                id: p.id.clone(),
                display_name: p.display_name.clone(),
                documents: p.documents.iter().map(|d| document_kind(*d)).collect(),
                needs_phone: true,
                link_only: onboarding_url.is_some(),
            },
            issuer_did: p.issuer_did.clone(),
            onboarding_url,
        });
    }

    let relay_url = prod.relay.url.as_str().trim_end_matches('/');
    let relay_http = relay_http_client(config)?;
    let relay = RelayClient::with_http_client(
        relay_http.clone(),
        relay_url,
        relay_credential.expose_secret(),
    );

    let records = Arc::new(GraphRecords::new(
        graph.clone(),
        ClaimValidationClient::new(http.clone(), tokens.clone()),
        prod.tenant.id.clone(),
        prod.tenant.client_id.to_string(),
    ));
    // `[recovery.notify]`: the owner's notice (and the session revocation) after a recovery.
    let notifier: Arc<dyn crate::ports::Notifier> = match &config.notify {
        Some(n) => Arc::new(crate::adapters::GraphNotifier::new(
            graph.clone(),
            crate::adapters::NotifySettings {
                from: n.from.clone(),
                manager: n.manager,
                revoke_sessions: n.revoke_sessions,
                locale: view_locale(config.station.locale),
            },
        )),
        None => Arc::new(crate::adapters::NoNotifier),
    };
    let ports = Ports {
        directory: Arc::new(GraphDirectory::new(graph, tokens)),
        presentations: Arc::new(RequestServicePresentations::new(
            request_service,
            VERIFIER_CLIENT_NAME,
        )),
        provider: Arc::new(HttpProviders::new(http, station_id.clone(), provider_endpoints)),
        events: Arc::new(RelayEvents::new(relay, relay_url).with_probe_client(relay_http)),
        clock: Arc::new(SystemClock),
        audit: Arc::new(TracingAudit),
        // A standalone kiosk's own; the recovery service replaces it with its shared store.
        limits: Arc::new(crate::limits::MemoryLimits::new()),
        records,
        notifier,
    };

    let mut settings = EngineSettings::new(
        station_id,
        StationMode::Production,
        audit_key(secrets)?,
        station_providers,
    );
    settings.config = config.engine_config();
    settings.camera_available = false;
    settings.default_locale = view_locale(config.station.locale);
    Ok(Station { ports, settings })
}

/// The configuration's `station.locale` as the view's.
pub fn view_locale(locale: reclaim_config::Locale) -> Locale {
    match locale {
        reclaim_config::Locale::En => Locale::En,
        reclaim_config::Locale::De => Locale::De,
        reclaim_config::Locale::Fr => Locale::Fr,
        reclaim_config::Locale::Es => Locale::Es,
        reclaim_config::Locale::Pl => Locale::Pl,
    }
}

fn document_kind(d: Document) -> DocumentKind {
    match d {
        Document::Passport => DocumentKind::Passport,
        Document::DrivingLicence => DocumentKind::DrivingLicence,
        Document::IdCard => DocumentKind::IdCard,
    }
}

/// A key nobody holds, for a path the provider does not offer.
fn unusable_key() -> Secret {
    let bytes = rand::random::<[u8; 32]>();
    Secret::new(bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

fn provider_endpoint(
    file: &str,
    index: usize,
    p: &Provider,
    secrets: &dyn SecretStore,
) -> Result<ProviderEndpoint, ProductionError> {
    // The config refuses a provider with neither URL; guard anyway rather than sign for nothing.
    if p.hosted_flow_url.is_none() && p.capture_api_url.is_none() {
        return Err(ProductionError::Endpoint {
            file: file.to_owned(),
            key: format!("providers[{index}]"),
            url: String::new(),
            reason: "needs hosted_flow_url or capture_api_url".to_owned(),
        });
    }
    // A path the provider does not offer has no URL: the adapter refuses it.
    let base =
        |url: &Option<Url>| url.as_ref().map(|u| u.as_str().trim_end_matches('/').to_owned());
    let link_signing_key = match p.hosted_flow_url {
        Some(_) => {
            let key = secret(secrets, &SecretName::ProviderLinkKey(p.id.clone()))?;
            Secret::new(key.expose_secret())
        }
        None => unusable_key(),
    };
    let capture_api_key = match p.capture_api_url {
        Some(_) => {
            let key = secret(secrets, &SecretName::ProviderCaptureKey(p.id.clone()))?;
            Secret::new(key.expose_secret())
        }
        None => unusable_key(),
    };
    Ok(ProviderEndpoint {
        id: p.id.clone(),
        hosted_flow_url: base(&p.hosted_flow_url),
        capture_api_url: base(&p.capture_api_url),
        link_signing_key,
        capture_api_key,
        phone_id: None,
    })
}

/// The relay's client: no total timeout (the event stream stays open), no redirects, and the
/// configured extra CA.
fn relay_http_client(config: &Config) -> Result<reqwest::Client, ProductionError> {
    let mut builder = reqwest::Client::builder()
        .connect_timeout(RELAY_CONNECT_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("reclaim-engine/", env!("CARGO_PKG_VERSION")));
    if let Some(ca) = &config.endpoints.ca_file {
        let certificate =
            |message: String| ProductionError::Certificate { path: ca.clone(), message };
        let pem = std::fs::read(ca).map_err(|e| certificate(format!("cannot read: {e}")))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| certificate(format!("not a PEM CA bundle: {}", error_chain(&e))))?;
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    builder.build().map_err(|e| ProductionError::RelayHttp {
        file: config.file.clone(),
        reason: error_chain(&e),
    })
}
