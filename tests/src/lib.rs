//! System-test harness: an in-process emulator and Reclaim's own clients wired to it by
//! configuration alone (base URLs), exactly as the kiosk would be; and [`kiosk::Kiosk`], a whole
//! engine on the demo stack driven like the UI would drive it.

pub mod console;
pub mod kiosk;
pub mod station;

use std::sync::Arc;

use reclaim_emulator::{EmulatorOptions, Fixture, RunningEmulator};
use reclaim_entra::{Endpoints, GraphClient, RequestServiceClient, Secret, TokenSource};

/// The demo kiosk app registration (see the emulator's demo tenant).
pub const KIOSK_CLIENT_ID: &str = "3a000000-0000-4000-8000-000000000001";
/// Its client secret — valid only in the emulator.
pub const KIOSK_SECRET: &str = "demo-kiosk-secret-NOT-FOR-PRODUCTION";

/// The demo operator console's app registration (OpenID Connect sign-in for IT staff): its
/// client secret (emulator only), and its registered loopback redirect URIs (any port matches).
pub const CONSOLE_CLIENT_ID: &str = "3a000000-0000-4000-8000-000000000003";
pub const CONSOLE_SECRET: &str = "demo-console-secret-NOT-FOR-PRODUCTION";
pub const CONSOLE_REDIRECT_URI: &str = "http://127.0.0.1/console/callback";
pub const CONSOLE_SIGNED_OUT_URI: &str = "http://127.0.0.1/console/signed-out";
/// IT staff in "Reclaim operators" and their emulator-only password.
pub const OPERATOR_UPN: &str = "it.operator@contoso.example";
pub const OPERATOR_PASSWORD: &str = "operator-demo";
pub const OPERATOR_OID: &str = "1a000000-0000-4000-8000-000000000020";
/// Helpdesk staff who can sign in but is not in "Reclaim operators".
pub const VIEWER_UPN: &str = "helpdesk.viewer@contoso.example";
pub const VIEWER_PASSWORD: &str = "viewer-demo";
/// The "Reclaim operators" group's object id.
pub const OPERATORS_GROUP_ID: &str = "6a000000-0000-4000-8000-000000000009";

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

    /// An OpenID Connect client for the demo operator console app (with its secret).
    pub fn console_oidc(&self) -> Result<reclaim_entra::OidcClient, reclaim_entra::EntraError> {
        reclaim_entra::OidcClient::builder(
            &self.endpoints.authority,
            self.tenant_id(),
            CONSOLE_CLIENT_ID,
        )
        .client_secret(Secret::new(CONSOLE_SECRET))
        .build()
    }

    /// Plays the browser on the emulated sign-in page (see [`browser_sign_in`]).
    pub async fn browser_sign_in(
        &self,
        authorize_url: &str,
        username: &str,
        password: &str,
    ) -> Result<String, Box<dyn std::error::Error>> {
        browser_sign_in(authorize_url, username, password).await
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

/// Plays the browser on the emulated sign-in page: opens `authorize_url`, posts the
/// credentials, and returns where the emulator sends the browser back (the app's redirect
/// URI with `code` and `state`, or with `error`). An error when no redirect comes back
/// (an error page, or the sign-in page again after wrong credentials).
pub async fn browser_sign_in(
    authorize_url: &str,
    username: &str,
    password: &str,
) -> Result<String, Box<dyn std::error::Error>> {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let page = http.get(authorize_url).send().await?;
    if page.status() != 200 {
        return Err(format!("authorize answered {}: {}", page.status(), page.text().await?).into());
    }
    let html = page.text().await?;
    let field = |name: &str| -> Option<String> {
        let marker = format!("name=\"{name}\" value=\"");
        let start = html.find(&marker)? + marker.len();
        let len = html[start..].find('"')?;
        Some(
            html[start..start + len]
                .replace("&quot;", "\"")
                .replace("&#39;", "'")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&"),
        )
    };
    let action = {
        let marker = "method=\"post\" action=\"";
        let start = html.find(marker).ok_or("no sign-in form")? + marker.len();
        let len = html[start..].find('"').ok_or("no sign-in form")?;
        html[start..start + len].replace("&amp;", "&")
    };
    let ctx = field("ctx").ok_or("no sign-in context")?;
    let resp = http
        .post(action)
        .form(&[("ctx", ctx.as_str()), ("login", username), ("passwd", password)])
        .send()
        .await?;
    match resp.headers().get(reqwest::header::LOCATION) {
        Some(to) if resp.status() == 302 => Ok(to.to_str()?.to_owned()),
        _ => Err(format!("no redirect back: {}", resp.status()).into()),
    }
}
