//! Microsoft Graph subset: users, groups, policies, Verified ID profiles, TAP.

use axum::Router;

use crate::fixture::{Fixture, FixtureError};
use crate::state::AppState;

#[derive(Debug)]
pub struct Directory {}

impl Directory {
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
