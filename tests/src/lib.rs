//! System-test harness: an in-process emulator and Reclaim's own clients wired to it by
//! configuration alone (base URLs), exactly as the kiosk would be; and [`kiosk::Kiosk`], a whole
//! engine on the demo stack driven like the UI would drive it.

pub mod kiosk;
pub mod station;

use std::sync::Arc;

use reclaim_emulator::{EmulatorOptions, Fixture, RunningEmulator};
use reclaim_entra::{Endpoints, GraphClient, RequestServiceClient, Secret, TokenSource};

/// The demo kiosk app registration (see the emulator's demo tenant).
pub const KIOSK_CLIENT_ID: &str = "3a000000-0000-4000-8000-000000000001";
/// Its client secret — valid only in the emulator.
pub const KIOSK_SECRET: &str = "demo-kiosk-secret-NOT-FOR-PRODUCTION";

/// A running emulator and the endpoints a kiosk configured for it would use.
#[derive(Debug)]
pub struct Tenant {
    pub emulator: RunningEmulator,
    pub endpoints: Endpoints,
}

impl Tenant {
    /// Starts the demo tenant on loopback.
    pub async fn demo() -> Result<Self, Box<dyn std::error::Error>> {
        Self::start(Fixture::demo()).await
    }

    /// Starts a tenant from a fixture on loopback.
    pub async fn start(fixture: Fixture) -> Result<Self, Box<dyn std::error::Error>> {
        let emulator =
            reclaim_emulator::start(EmulatorOptions { fixture, ..Default::default() }).await?;
        let u = &emulator.urls;
        let endpoints = Endpoints::from_emulator_urls(&u.login, &u.graph, &u.request_service)?;
        Ok(Self { emulator, endpoints })
    }

    pub fn tenant_id(&self) -> String {
        self.emulator.urls.tenant.to_string()
    }

    /// A token source for the kiosk app with its client secret.
    pub fn kiosk_tokens(&self) -> Result<Arc<TokenSource>, reclaim_entra::EntraError> {
        Ok(Arc::new(
            TokenSource::builder()
                .authority(&self.endpoints.authority)
                .tenant(self.tenant_id())
                .client_id(KIOSK_CLIENT_ID)
                .client_secret(Secret::new(KIOSK_SECRET))
                .build()?,
        ))
    }

    /// A Graph client on the emulator.
    pub fn graph(
        &self,
        tokens: Arc<TokenSource>,
    ) -> Result<GraphClient, reclaim_entra::EntraError> {
        GraphClient::builder().base_url(&self.endpoints.graph).token_source(tokens).build()
    }

    /// A Request Service client on the emulator.
    pub fn request_service(
        &self,
        tokens: Arc<TokenSource>,
    ) -> Result<RequestServiceClient, reclaim_entra::EntraError> {
        RequestServiceClient::builder()
            .base_url(&self.endpoints.request_service)
            .token_source(tokens)
            .build()
    }

    /// POST JSON to the emulator's control API.
    pub async fn control(
        &self,
        path: &str,
        body: serde_json::Value,
    ) -> reqwest::Result<reqwest::Response> {
        reqwest::Client::new()
            .post(format!("{}{path}", self.emulator.urls.control))
            .json(&body)
            .send()
            .await
    }

    /// GET JSON from the emulator's control API.
    pub async fn control_get(&self, path: &str) -> reqwest::Result<serde_json::Value> {
        reqwest::Client::new()
            .get(format!("{}{path}", self.emulator.urls.control))
            .send()
            .await?
            .json()
            .await
    }
}
