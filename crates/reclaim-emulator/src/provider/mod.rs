//! Identity-verification providers: hosted phone flow and kiosk capture API.

use axum::Router;

use crate::fixture::{Fixture, FixtureError};
use crate::state::AppState;

#[derive(Debug)]
pub struct ProviderState {}

impl ProviderState {
    pub fn from_fixture(_f: &Fixture) -> Result<Self, FixtureError> {
        Ok(Self {})
    }
}

/// Routes of this emulated host, mounted at its root.
pub fn routes() -> Router<AppState> {
    Router::new()
}

/// Test-control routes, merged into `{control}`.
pub fn control_routes() -> Router<AppState> {
    Router::new()
}
