//! Shared helpers for the wiremock contract tests.
#![allow(dead_code, clippy::unwrap_used)]

use std::sync::Arc;

use reclaim_entra::{Secret, TokenSource};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub const TENANT: &str = "0f4d3a1b-7c2e-4d5f-9a8b-1c2d3e4f5a6b";
pub const CLIENT_ID: &str = "6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

pub fn token_path() -> String {
    format!("/{TENANT}/oauth2/v2.0/token")
}

pub fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub fn fixture_json(name: &str) -> Value {
    serde_json::from_str(&fixture(name)).unwrap()
}

pub fn token_body(token: &str, expires_in: u64) -> Value {
    json!({ "token_type": "Bearer", "expires_in": expires_in, "ext_expires_in": expires_in, "access_token": token })
}

/// Mounts a token endpoint that always returns `tok-1`.
pub async fn mount_token(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("tok-1", 3599)))
        .mount(server)
        .await;
}

pub fn secret_source(server: &MockServer) -> Arc<TokenSource> {
    Arc::new(
        TokenSource::builder()
            .authority(server.uri())
            .tenant(TENANT)
            .client_id(CLIENT_ID)
            .client_secret(Secret::from("s3cr+t&x"))
            .build()
            .unwrap(),
    )
}

pub fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).into_owned().collect()
}
