//! Shared emulator state: one `AppState` handle cloned into every handler.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::clock::Clock;
use crate::faults::Faults;
use crate::fixture::{Fixture, FixtureError};
use crate::graph::Directory;
use crate::identity::{IdentityState, keys::SigningKey};
use crate::phone::Phones;
use crate::provider::ProviderState;
use crate::request_service::RequestStore;
use crate::settings::Settings;

/// Base URLs of the emulated hosts, printed as the binary's start line. Each stands for a real
/// host's root: `{login}/{tenant}/oauth2/v2.0/token`, `{graph}/v1.0/users`,
/// `{requestService}/v1.0/verifiableCredentials/createPresentationRequest`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Urls {
    pub tenant: Uuid,
    pub login: String,
    pub graph: String,
    pub request_service: String,
    pub provider: String,
    pub phone: String,
    pub control: String,
    /// PEM file of the CA that signed the TLS certificate (with `--tls`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<String>,
}

/// The outbound client for callbacks and provider calls. Certificates are checked, as the real
/// service checks them: the system roots, plus `settings.callback_ca_file` and the emulator's own CA.
fn outbound_client(
    settings: &Settings,
    own_ca_pem: Option<&str>,
) -> Result<reqwest::Client, FixtureError> {
    let mut roots = Vec::new();
    if let Some(path) = &settings.callback_ca_file {
        let pem = std::fs::read(path)
            .map_err(|e| FixtureError::Invalid(format!("settings.callback_ca_file {path}: {e}")))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .ok()
            .filter(|c| !c.is_empty())
            .ok_or_else(|| {
                FixtureError::Invalid(format!(
                    "settings.callback_ca_file {path}: no PEM certificate in it"
                ))
            })?;
        roots.extend(certs);
    }
    if let Some(pem) = own_ca_pem {
        roots.extend(
            reqwest::Certificate::from_pem_bundle(pem.as_bytes())
                .map_err(|e| FixtureError::Invalid(format!("emulator CA: {e}")))?,
        );
    }
    let mut builder = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(settings.callback_timeout_secs))
        .redirect(reqwest::redirect::Policy::none());
    if !roots.is_empty() {
        builder = builder.tls_certs_merge(roots);
    }
    builder.build().map_err(|e| FixtureError::Invalid(format!("http client: {e}")))
}

/// Cheap to clone; everything inside is shared and safe under concurrent use.
#[derive(Debug, Clone)]
pub struct AppState(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    fixture: Fixture,
    urls: Urls,
    clock: Clock,
    faults: Faults,
    identity: IdentityState,
    directory: Directory,
    requests: RequestStore,
    phones: Phones,
    provider: ProviderState,
    http: reqwest::Client,
}

impl AppState {
    pub fn new(fixture: Fixture, urls: Urls) -> Result<Self, FixtureError> {
        Self::with_own_ca(fixture, urls, None)
    }

    /// Like [`AppState::new`]; `own_ca_pem` is the CA of the emulator's own `--tls` certificate,
    /// trusted by the outbound client (the providers call the emulator's Request Service).
    pub fn with_own_ca(
        fixture: Fixture,
        urls: Urls,
        own_ca_pem: Option<&str>,
    ) -> Result<Self, FixtureError> {
        let http = outbound_client(&fixture.settings, own_ca_pem)?;
        Ok(Self(Arc::new(Inner {
            identity: IdentityState::from_fixture(&fixture)?,
            directory: Directory::from_fixture(&fixture)?,
            requests: RequestStore::from_fixture(&fixture)?,
            phones: Phones::from_fixture(&fixture)?,
            provider: ProviderState::from_fixture(&fixture)?,
            clock: Clock::default(),
            faults: Faults::default(),
            fixture,
            urls,
            http,
        })))
    }

    pub fn fixture(&self) -> &Fixture {
        &self.0.fixture
    }
    pub fn settings(&self) -> &Settings {
        &self.0.fixture.settings
    }
    pub fn urls(&self) -> &Urls {
        &self.0.urls
    }
    pub fn tenant_id(&self) -> Uuid {
        self.0.fixture.tenant.id
    }
    pub fn clock(&self) -> &Clock {
        &self.0.clock
    }
    pub fn faults(&self) -> &Faults {
        &self.0.faults
    }
    pub fn identity(&self) -> &IdentityState {
        &self.0.identity
    }
    pub fn signing_key(&self) -> &SigningKey {
        &self.0.identity.signing_key
    }
    pub fn tokens_valid_from(&self) -> i64 {
        self.0.identity.tokens_valid_from()
    }
    pub fn directory(&self) -> &Directory {
        &self.0.directory
    }
    pub fn requests(&self) -> &RequestStore {
        &self.0.requests
    }
    pub fn phones(&self) -> &Phones {
        &self.0.phones
    }
    pub fn provider(&self) -> &ProviderState {
        &self.0.provider
    }
    /// Outbound HTTP client for callbacks and provider → Request Service calls.
    pub fn http(&self) -> &reqwest::Client {
        &self.0.http
    }
}
