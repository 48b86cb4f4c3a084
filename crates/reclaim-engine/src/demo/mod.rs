//! The demo stack (feature `demo`): the emulated tenant and an embedded relay started in-process
//! on 127.0.0.1 ephemeral ports, the engine's real adapters wired to them by URL alone, and
//! helpers to play the phone ([`Phone`]) and steer the tenant ([`TenantControl`]). The kiosk's
//! demo mode, `reclaim simulate`, the system tests and the benchmark all start exactly this.

mod faults;
mod phone;
mod relay_link;

use std::sync::Arc;
use std::time::Duration;

use reclaim_core::AuditKey;
use reclaim_emulator::{EmulatorOptions, Fixture, RunningEmulator};
use reclaim_entra::claim_validation::ClaimValidationClient;
use reclaim_entra::{
    Endpoints, GraphClient, RequestServiceClient, RetryPolicy, Secret, TokenSource,
};
use reclaim_relay::{ClientOptions, RelayClient, RelayConfig, RunningRelay, StationConfig};
use serde_json::Value;

pub use faults::{FaultSpec, FaultSyntaxError};
pub use phone::Phone;
pub use relay_link::RelayLink;

use crate::adapters::{
    GraphDirectory, GraphNotifier, GraphRecords, HttpProviders, NoNotifier, NotifySettings,
    ProviderEndpoint, RelayEvents, RequestServicePresentations,
};
use crate::audit::TracingAudit;
use crate::clock::SystemClock;
use crate::ports::Ports;
use crate::settings::{EngineSettings, StationProvider};
use crate::view::{DocumentKind, ProviderCard, StationMode};

/// The demo tenant's kiosk app registration (emulator only).
pub const KIOSK_CLIENT_ID: &str = "3a000000-0000-4000-8000-000000000001";
/// Its client secret — valid only in the emulator.
pub const KIOSK_SECRET: &str = "demo-kiosk-secret-NOT-FOR-PRODUCTION";

/// Why the demo stack could not start or a control call failed.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The emulator did not start.
    #[error("emulator: {0}")]
    Emulator(#[from] reclaim_emulator::StartError),
    /// The relay did not start.
    #[error("relay: {0}")]
    Relay(#[from] reclaim_relay::RelayError),
    /// The Entra clients could not be built.
    #[error("clients: {0}")]
    Entra(#[from] reclaim_entra::EntraError),
    /// Binding a loopback port failed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// An HTTP call to the control API failed.
    #[error("control API: {0}")]
    Http(#[from] reqwest::Error),
    /// The control API refused a call.
    #[error("control API answered {status}: {body}")]
    Control {
        /// HTTP status.
        status: u16,
        /// Its body (the emulator's own text; test data only).
        body: String,
    },
    /// The runtime given for the emulator could not run its start.
    #[error("emulator runtime: {0}")]
    Runtime(String),
}

/// How to start the demo stack.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// The tenant (default: the checked-in demo tenant).
    pub fixture: Fixture,
    /// Station id (relay station, audit, hosted-link `iss`).
    pub station_id: String,
    /// The simulated phone the provider flows and Authenticator run on.
    pub phone_id: String,
    /// Offer the camera path (the kiosk shell knows whether a camera is present).
    pub camera_available: bool,
    /// Where the emulator listens (default: an ephemeral loopback port). A fixed address lets a
    /// browser open the demo phone page and the printable test ID cards.
    pub emulator_listen: std::net::SocketAddr,
    /// Further stations the stack can serve besides `station_id` (each gets its own relay
    /// station and event stream): see [`DemoStack::station`]. The recovery service's demo mode
    /// serves several enrolled kiosks from one stack.
    pub extra_stations: usize,
    /// Run the emulated tenant (Entra, the Request Service, the providers, the phones) on this
    /// runtime instead of the caller's: a benchmark keeps the emulated cloud's work off the
    /// service's threads, as it runs on other machines in a deployment. The relay (the
    /// service's callback intake) stays on the caller's runtime.
    pub emulator_runtime: Option<tokio::runtime::Handle>,
    /// After a recovery, tell the owner (and revoke their sessions): by default from the demo
    /// tenant's shared mailbox [`DEMO_NOTIFY_FROM`], the manager in copy, sessions revoked, so
    /// the demo shows it in the emulated mailboxes. `None`: no notices.
    pub notify: Option<NotifySettings>,
}

/// The demo's "I already have my ID in Authenticator" rule: the profile's own credential and the
/// tenant's `VerifiedEmployee` (its claims `givenName`/`surname` read as the profile's
/// `firstName`/`lastName`, Face Check against `photo`), at most 30 days old.
pub fn demo_existing_credentials() -> reclaim_core::existing::ExistingCredentials {
    reclaim_core::existing::ExistingCredentials {
        max_age_days: 30,
        profile_credential: true,
        accepted: vec![reclaim_core::existing::AcceptedCredential {
            id: "verified-employee".into(),
            label: "Verified employee (Contoso)".into(),
            issuer: "did:web:verifiedid.contoso.example".into(),
            credential_type: "VerifiedEmployee".into(),
            photo_claim: "photo".into(),
            claim_names: vec![
                ("firstName".into(), "givenName".into()),
                ("lastName".into(), "surname".into()),
            ],
        }],
    }
}

/// The demo tenant's shared mailbox recovery notices are sent from.
pub const DEMO_NOTIFY_FROM: &str = "recovery-desk@contoso.example";

impl DemoOptions {
    /// The demo's notice settings: from [`DEMO_NOTIFY_FROM`], the manager in copy, sessions
    /// revoked, English.
    pub fn demo_notify() -> NotifySettings {
        NotifySettings {
            from: DEMO_NOTIFY_FROM.into(),
            manager: true,
            revoke_sessions: true,
            locale: crate::view::Locale::En,
        }
    }
}

impl Default for DemoOptions {
    fn default() -> Self {
        Self {
            fixture: Fixture::demo(),
            station_id: "demo-kiosk".into(),
            phone_id: "demo-phone".into(),
            camera_available: false,
            emulator_listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
            extra_stations: 0,
            emulator_runtime: None,
            notify: Some(Self::demo_notify()),
        }
    }
}

/// Reads a control API answer as JSON (`null` for an empty body); non-2xx is an error.
pub(crate) async fn control_json(req: reqwest::RequestBuilder) -> Result<Value, DemoError> {
    let resp = req.send().await?;
    let status = resp.status().as_u16();
    let text = resp.text().await?;
    if !(200..300).contains(&status) {
        return Err(DemoError::Control { status, body: text.chars().take(500).collect() });
    }
    if text.trim().is_empty() {
        Ok(Value::Null)
    } else {
        Ok(serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }
}

/// The card images of a persona, as the emulator's card renderer draws them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardImage {
    /// `{persona}.png`.
    Front,
    /// `{persona}-back.png`.
    Back,
    /// `{persona}-selfie.png`.
    Selfie,
}

/// Steers the emulated tenant through its control API.
#[derive(Debug, Clone)]
pub struct TenantControl {
    http: reqwest::Client,
    control: String,
    provider: String,
}

impl TenantControl {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.control)
    }

    /// `POST {control}/faults` with one rule or an array of rules.
    pub async fn add_fault(&self, rule: Value) -> Result<(), DemoError> {
        control_json(self.http.post(self.url("/faults")).json(&rule)).await.map(|_| ())
    }

    /// `DELETE {control}/faults`.
    pub async fn clear_faults(&self) -> Result<(), DemoError> {
        control_json(self.http.delete(self.url("/faults"))).await.map(|_| ())
    }

    /// Moves the emulated clock forward.
    pub async fn advance_clock(&self, seconds: i64) -> Result<(), DemoError> {
        let body = serde_json::json!({ "seconds": seconds });
        control_json(self.http.post(self.url("/clock/advance")).json(&body)).await.map(|_| ())
    }

    /// Every access token issued so far is now expired.
    pub async fn expire_tokens(&self) -> Result<(), DemoError> {
        control_json(self.http.post(self.url("/tokens/expire"))).await.map(|_| ())
    }

    /// The Temporary Access Passes the emulator holds, with the pass in clear.
    pub async fn taps(&self) -> Result<Value, DemoError> {
        control_json(self.http.get(self.url("/directory/taps"))).await
    }

    /// A user's TAPs (by id or UPN).
    pub async fn user_taps(&self, user: &str) -> Result<Value, DemoError> {
        let user: String = url::form_urlencoded::byte_serialize(user.as_bytes()).collect();
        control_json(self.http.get(self.url(&format!("/directory/users/{user}/taps")))).await
    }

    /// The messages Graph `sendMail` delivered to an address (oldest first).
    pub async fn mailbox(&self, address: &str) -> Result<Value, DemoError> {
        let address: String = url::form_urlencoded::byte_serialize(address.as_bytes()).collect();
        control_json(self.http.get(self.url(&format!("/mailbox/{address}")))).await
    }

    /// Empties every emulated mailbox and the session revocation log.
    pub async fn clear_mailboxes(&self) -> Result<(), DemoError> {
        control_json(self.http.delete(self.url("/mailbox"))).await.map(|_| ())
    }

    /// When a user's sign-in sessions were revoked (`[{"at": …}]`, oldest first).
    pub async fn revocations(&self, user: &str) -> Result<Value, DemoError> {
        let user: String = url::form_urlencoded::byte_serialize(user.as_bytes()).collect();
        control_json(self.http.get(self.url(&format!("/directory/users/{user}/revocations")))).await
    }

    /// A Request Service request's status and callback deliveries.
    pub async fn request(&self, request_id: &str) -> Result<Value, DemoError> {
        control_json(self.http.get(self.url(&format!("/requests/{request_id}")))).await
    }

    /// Revokes a credential held by a phone.
    pub async fn revoke(&self, credential_id: &str) -> Result<(), DemoError> {
        let url = self.url(&format!("/credentials/{credential_id}/revoke"));
        control_json(self.http.post(url)).await.map(|_| ())
    }

    /// A persona's test card image (PNG), rendered by the emulator.
    pub async fn card(&self, persona: &str, image: CardImage) -> Result<Vec<u8>, DemoError> {
        let suffix = match image {
            CardImage::Front => "",
            CardImage::Back => "-back",
            CardImage::Selfie => "-selfie",
        };
        let resp =
            self.http.get(format!("{}/cards/{persona}{suffix}.png", self.provider)).send().await?;
        let status = resp.status().as_u16();
        if status != 200 {
            return Err(DemoError::Control { status, body: resp.text().await.unwrap_or_default() });
        }
        Ok(resp.bytes().await?.to_vec())
    }
}

/// The emulator, the embedded relay and the engine's adapters wired to them.
#[derive(Debug)]
pub struct DemoStack {
    emulator: RunningEmulator,
    relay: RunningRelay,
    link: RelayLink,
    ports: Ports,
    settings: EngineSettings,
    http: reqwest::Client,
    phone_id: String,
    /// What [`DemoStack::station`] needs to wire another station.
    wiring: StationWiring,
}

/// The shared clients and the free relay stations, for [`DemoStack::station`].
#[derive(Debug)]
struct StationWiring {
    directory: Arc<GraphDirectory>,
    records: Arc<GraphRecords>,
    notifier: Arc<dyn crate::ports::Notifier>,
    presentations: Arc<RequestServicePresentations>,
    http: reqwest::Client,
    providers: Vec<ProviderEndpoint>,
    relay_url: String,
    link_url: String,
    /// Credentials of the relay stations not yet handed out.
    free: std::sync::Mutex<Vec<String>>,
}

fn document_kind(wire: &str) -> Option<DocumentKind> {
    match wire {
        "passport" => Some(DocumentKind::Passport),
        "driving_licence" => Some(DocumentKind::DrivingLicence),
        "id_card" => Some(DocumentKind::IdCard),
        _ => None,
    }
}

impl DemoStack {
    /// Starts the emulator (the fixture) and a relay on 127.0.0.1 ephemeral ports, with the
    /// engine's adapters pointed at them. Needs a tokio runtime.
    pub async fn start(options: DemoOptions) -> Result<DemoStack, DemoError> {
        let emulator_options = EmulatorOptions {
            fixture: options.fixture,
            listen: options.emulator_listen,
            ..Default::default()
        };
        let emulator = match &options.emulator_runtime {
            None => reclaim_emulator::start(emulator_options).await?,
            Some(rt) => rt
                .spawn(reclaim_emulator::start(emulator_options))
                .await
                .map_err(|e| DemoError::Runtime(e.to_string()))??,
        };
        let credential =
            format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
        let mut stations =
            vec![StationConfig { id: options.station_id.clone(), credential: credential.clone() }];
        let mut free = Vec::with_capacity(options.extra_stations);
        for i in 0..options.extra_stations {
            let credential =
                format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
            stations
                .push(StationConfig { id: format!("slot-{i}"), credential: credential.clone() });
            free.push(credential);
        }
        free.reverse();
        let config = RelayConfig { stations, ..RelayConfig::default() };
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
        listener.set_nonblocking(true)?;
        let relay_addr = listener.local_addr()?;
        let relay = reclaim_relay::serve(config, listener).await?;
        let link = RelayLink::start(relay_addr).await?;

        let u = emulator.urls.clone();
        let endpoints = Endpoints::from_emulator_urls(&u.login, &u.graph, &u.request_service)?;
        let http = reclaim_entra::default_http_client()?;
        let retry = RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
        };
        let tokens = Arc::new(
            TokenSource::builder()
                .authority(&endpoints.authority)
                .tenant(u.tenant.to_string())
                .client_id(KIOSK_CLIENT_ID)
                .client_secret(Secret::new(KIOSK_SECRET))
                .http_client(http.clone())
                .retry_policy(retry)
                .build()?,
        );
        let graph = GraphClient::builder()
            .base_url(&endpoints.graph)
            .token_source(tokens.clone())
            .http_client(http.clone())
            .retry_policy(retry)
            .build()?;
        let request_service = RequestServiceClient::builder()
            .base_url(&endpoints.request_service)
            .token_source(tokens.clone())
            .http_client(http.clone())
            .retry_policy(retry)
            .build()?;

        let fixture = emulator.state.fixture();
        // A link-only provider has no API (and no keys): only its onboarding page.
        let provider_endpoints: Vec<ProviderEndpoint> = fixture
            .providers
            .iter()
            .filter(|p| !p.is_link())
            .map(|p| ProviderEndpoint {
                id: p.id.clone(),
                hosted_flow_url: Some(format!("{}/{}", u.provider.trim_end_matches('/'), p.id)),
                capture_api_url: Some(format!("{}/{}", u.provider.trim_end_matches('/'), p.id)),
                link_signing_key: Secret::new(p.link_signing_key.clone()),
                capture_api_key: Secret::new(p.capture_api_key.clone()),
                phone_id: Some(options.phone_id.clone()),
            })
            .collect();
        let station_providers = fixture
            .providers
            .iter()
            .map(|p| {
                // The emulated page issues into the phone its URL names: this station's.
                let onboarding_url = p.onboarding_url(&u.provider).map(|url| {
                    let phone: String =
                        url::form_urlencoded::byte_serialize(options.phone_id.as_bytes()).collect();
                    format!("{url}?phone={phone}")
                });
                StationProvider {
                    card: ProviderCard {
                        id: p.id.clone(),
                        display_name: p.display_name.clone(),
                        documents: p.documents.iter().filter_map(|d| document_kind(d)).collect(),
                        needs_phone: true,
                        link_only: onboarding_url.is_some(),
                    },
                    issuer_did: p.issuer_did.clone(),
                    onboarding_url,
                }
            })
            .collect();

        let relay_options = ClientOptions {
            backoff_initial: Duration::from_millis(50),
            backoff_max: Duration::from_millis(500),
            ..ClientOptions::default()
        };
        let control_client = RelayClient::new(relay.base_url(), &credential)?;
        let stream_client = RelayClient::new(&link.url(), &credential)?.with_options(relay_options);
        let records = Arc::new(GraphRecords::new(
            graph.clone(),
            ClaimValidationClient::new(http.clone(), tokens.clone()),
            u.tenant.to_string(),
            KIOSK_CLIENT_ID,
        ));
        let notifier: Arc<dyn crate::ports::Notifier> = match &options.notify {
            Some(settings) => Arc::new(GraphNotifier::new(graph.clone(), settings.clone())),
            None => Arc::new(NoNotifier),
        };
        let directory = Arc::new(GraphDirectory::new(graph, tokens));
        let presentations = Arc::new(RequestServicePresentations::new(
            request_service,
            "Reclaim account recovery (demo)",
        ));
        // One store for every station of the stack, as the recovery service keeps them.
        let limits: Arc<dyn crate::limits::LimitsStore> =
            Arc::new(crate::limits::MemoryLimits::new());
        let wiring = StationWiring {
            directory: directory.clone(),
            records: records.clone(),
            notifier: notifier.clone(),
            presentations: presentations.clone(),
            http: http.clone(),
            providers: provider_endpoints.clone(),
            relay_url: relay.base_url().to_owned(),
            link_url: link.url(),
            free: std::sync::Mutex::new(free),
        };
        let ports = Ports {
            directory,
            presentations,
            provider: Arc::new(HttpProviders::new(
                http.clone(),
                options.station_id.clone(),
                provider_endpoints,
            )),
            // The pre-flight probes the relay the way the event stream reaches it.
            events: Arc::new(RelayEvents::split(control_client, stream_client, &link.url())),
            clock: Arc::new(SystemClock),
            audit: Arc::new(TracingAudit),
            limits: limits.clone(),
            records,
            notifier,
        };
        let key: Vec<u8> = uuid::Uuid::new_v4()
            .as_bytes()
            .iter()
            .chain(uuid::Uuid::new_v4().as_bytes())
            .copied()
            .collect();
        let mut settings = EngineSettings::new(
            options.station_id,
            StationMode::Demo,
            AuditKey::new(key),
            station_providers,
        );
        settings.camera_available = options.camera_available;
        // The emulated tenant answers in milliseconds: half a second hides which lookups ran.
        settings.eligibility_answer_floor = Duration::from_millis(500);
        // The demo tenant issues VerifiedEmployee: the TAP screen offers it (My Account).
        settings.config.offer_verified_employee = true;
        // "I already have my ID in Authenticator": the profile's own credential, or the work
        // ID (VerifiedEmployee) from My Account, issued within 30 days.
        settings.config.existing_credential = Some(demo_existing_credentials());
        Ok(DemoStack {
            emulator,
            relay,
            link,
            ports,
            settings,
            http: reqwest::Client::new(),
            phone_id: options.phone_id,
            wiring,
        })
    }

    /// Ports and settings for one more station on this stack: its own relay station (one of
    /// [`DemoOptions::extra_stations`]) and event stream, its own station id (hosted-link `iss`,
    /// audit) and phone, the shared tenant clients. `None` once every extra station is taken.
    pub fn station(&self, station_id: &str, phone_id: &str) -> Option<(Ports, EngineSettings)> {
        let credential =
            self.wiring.free.lock().unwrap_or_else(std::sync::PoisonError::into_inner).pop()?;
        let w = &self.wiring;
        let control = RelayClient::new(&w.relay_url, &credential).ok()?;
        let stream = RelayClient::new(&w.link_url, &credential).ok()?.with_options(ClientOptions {
            backoff_initial: Duration::from_millis(50),
            backoff_max: Duration::from_millis(500),
            ..ClientOptions::default()
        });
        let providers = w
            .providers
            .iter()
            .cloned()
            .map(|p| ProviderEndpoint { phone_id: Some(phone_id.to_owned()), ..p })
            .collect();
        let ports = Ports {
            directory: w.directory.clone(),
            presentations: w.presentations.clone(),
            provider: Arc::new(HttpProviders::new(
                w.http.clone(),
                station_id.to_owned(),
                providers,
            )),
            events: Arc::new(RelayEvents::split(control, stream, &w.link_url)),
            clock: Arc::new(SystemClock),
            audit: Arc::new(TracingAudit),
            limits: self.ports.limits.clone(),
            records: w.records.clone(),
            notifier: w.notifier.clone(),
        };
        let mut settings = self.settings.clone();
        settings.station_id = station_id.to_owned();
        Some((ports, settings))
    }

    /// Fresh ports for an engine on this stack (system clock, audit through `tracing`, the
    /// stack's limits shared by all its stations); replace `clock`, `audit` or `limits` as
    /// needed.
    pub fn ports(&self) -> Ports {
        self.ports.clone()
    }

    /// Settings for an engine on this stack (station, providers, defaults).
    pub fn settings(&self) -> EngineSettings {
        self.settings.clone()
    }

    /// The emulator's control API root (`http://127.0.0.1:P/control`).
    pub fn control_url(&self) -> &str {
        &self.emulator.urls.control
    }

    /// The simulated phone's mobile page (open it on a real phone on the same host).
    pub fn phone_page_url(&self) -> String {
        format!("{}/p/{}", self.emulator.urls.phone, self.phone_id)
    }

    /// The demo phone's id.
    pub fn phone_id(&self) -> &str {
        &self.phone_id
    }

    /// Plays the demo phone through the control API.
    pub fn phone(&self) -> Phone {
        Phone::new(self.http.clone(), self.control_url(), &self.phone_id)
    }

    /// Another simulated phone.
    pub fn phone_named(&self, id: &str) -> Phone {
        Phone::new(self.http.clone(), self.control_url(), id)
    }

    /// Faults, the clock, tokens, TAPs, requests and test cards.
    pub fn tenant(&self) -> TenantControl {
        TenantControl {
            http: self.http.clone(),
            control: self.control_url().trim_end_matches('/').to_owned(),
            provider: self.emulator.urls.provider.clone(),
        }
    }

    /// The running emulator (its URLs and in-process state).
    pub fn emulator(&self) -> &RunningEmulator {
        &self.emulator
    }

    /// The embedded relay.
    pub fn relay(&self) -> &RunningRelay {
        &self.relay
    }

    /// The engine's link to the relay's event stream (cut it to test resume).
    pub fn relay_link(&self) -> &RelayLink {
        &self.link
    }

    /// Stops the relay and the emulator.
    pub async fn shutdown(self) {
        drop(self.link);
        let _ = self.relay.shutdown().await;
        self.emulator.shutdown().await;
    }
}
