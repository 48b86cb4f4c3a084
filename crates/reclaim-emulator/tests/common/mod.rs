//! Shared harness for the emulator's contract tests: a real server on loopback and a real HTTP client.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use reclaim_emulator::{EmulatorOptions, Fixture, RunningEmulator};
use serde_json::Value;
use uuid::Uuid;

/// The demo kiosk app registration and its secret (see `fixtures/demo-tenant.toml`).
pub const KIOSK_CLIENT_ID: &str = "3a000000-0000-4000-8000-000000000001";
pub const KIOSK_SECRET: &str = "demo-kiosk-secret-NOT-FOR-PRODUCTION";
pub const READONLY_CLIENT_ID: &str = "3a000000-0000-4000-8000-000000000002";
pub const READONLY_SECRET: &str = "demo-readonly-secret";
pub const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";
pub const VC_SCOPE: &str = "3db474b9-6a0c-4840-96ac-1fceb342124f/.default";

/// A running demo-tenant emulator plus a client.
pub struct Emu {
    pub running: RunningEmulator,
    pub http: reqwest::Client,
}

impl Emu {
    pub async fn start() -> Self {
        Self::start_with(Fixture::demo()).await
    }

    pub async fn start_with(fixture: Fixture) -> Self {
        let running =
            reclaim_emulator::start(EmulatorOptions { fixture, ..EmulatorOptions::default() })
                .await
                .expect("emulator starts");
        let http =
            reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Self { running, http }
    }

    pub fn urls(&self) -> &reclaim_emulator::Urls {
        &self.running.urls
    }

    pub fn tenant(&self) -> Uuid {
        self.running.urls.tenant
    }

    /// `{login}/{tenant}/oauth2/v2.0/token`
    pub fn token_url(&self) -> String {
        format!("{}/{}/oauth2/v2.0/token", self.urls().login, self.tenant())
    }

    /// Mints a token without the token endpoint (for tests of other hosts).
    pub fn mint(
        &self,
        client_id: &str,
        resource: reclaim_emulator::identity::Resource,
        roles: &[&str],
    ) -> String {
        self.running
            .state
            .mint_access_token(
                client_id.parse().unwrap(),
                resource,
                roles.iter().map(|r| (*r).to_owned()).collect(),
            )
            .0
    }

    /// A Graph token for the kiosk app with its fixture roles.
    pub fn graph_token(&self) -> String {
        let roles = self.app_roles(KIOSK_CLIENT_ID, true);
        self.mint(
            KIOSK_CLIENT_ID,
            reclaim_emulator::identity::Resource::Graph,
            &roles.iter().map(String::as_str).collect::<Vec<_>>(),
        )
    }

    /// A Request Service token for the kiosk app with its fixture roles.
    pub fn vc_token(&self) -> String {
        let roles = self.app_roles(KIOSK_CLIENT_ID, false);
        self.mint(
            KIOSK_CLIENT_ID,
            reclaim_emulator::identity::Resource::RequestService,
            &roles.iter().map(String::as_str).collect::<Vec<_>>(),
        )
    }

    fn app_roles(&self, client_id: &str, graph: bool) -> Vec<String> {
        let app = self
            .running
            .state
            .fixture()
            .apps
            .iter()
            .find(|a| a.client_id.to_string() == client_id)
            .unwrap();
        if graph { app.roles.graph.clone() } else { app.roles.request_service.clone() }
    }

    /// POST JSON to the control API.
    pub async fn control(&self, path: &str, body: Value) -> reqwest::Response {
        self.http.post(format!("{}{path}", self.urls().control)).json(&body).send().await.unwrap()
    }
}

/// Reads a response as JSON, panicking with the body text if it is not JSON.
pub async fn json(resp: reqwest::Response) -> Value {
    let text = resp.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// A callback receiver on loopback answering 200 at `path`: its URL and every JSON body it got,
/// in order.
pub async fn receiver_at(
    path: &'static str,
) -> (String, std::sync::Arc<std::sync::Mutex<Vec<Value>>>) {
    use axum::{Json, Router, routing::post};
    let calls: std::sync::Arc<std::sync::Mutex<Vec<Value>>> = std::sync::Arc::default();
    let c = calls.clone();
    let app = Router::new().route(
        path,
        post(move |Json(v): Json<Value>| {
            let c = c.clone();
            async move {
                c.lock().unwrap().push(v);
                axum::http::StatusCode::OK
            }
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    (format!("http://{addr}{path}"), calls)
}

/// The `requestStatus` of every callback a [`receiver_at`] got.
pub fn statuses(calls: &std::sync::Arc<std::sync::Mutex<Vec<Value>>>) -> Vec<String> {
    calls.lock().unwrap().iter().map(|b| b["requestStatus"].as_str().unwrap().to_owned()).collect()
}
