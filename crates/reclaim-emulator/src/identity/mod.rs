//! The emulated Microsoft identity platform: client-credentials token endpoint, OpenID
//! configuration and JWKS, and the access tokens every other emulated service checks.

pub mod access;
pub mod keys;

use std::sync::atomic::{AtomicI64, Ordering};

use axum::Router;

use crate::fixture::{AppFixture, Fixture, FixtureError};
use crate::state::AppState;

pub use access::{AccessClaims, AuthError, Resource};

/// App id of the "Verifiable Credentials Service Request" service principal (contract §1.4).
pub const REQUEST_SERVICE_APP_ID: &str = "3db474b9-6a0c-4840-96ac-1fceb342124f";
/// The Request Service scope.
pub const REQUEST_SERVICE_SCOPE: &str = "3db474b9-6a0c-4840-96ac-1fceb342124f/.default";
/// The Graph scope.
pub const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";

/// Identity-platform state: the signing key, app registrations, and token bookkeeping.
#[derive(Debug)]
pub struct IdentityState {
    pub signing_key: keys::SigningKey,
    pub apps: Vec<AppFixture>,
    /// Tokens issued before this instant (Unix seconds) are treated as expired ("force expiry").
    tokens_valid_from: AtomicI64,
}

impl IdentityState {
    pub fn from_fixture(f: &Fixture) -> Result<Self, FixtureError> {
        let signing_key =
            keys::SigningKey::generate().map_err(|e| FixtureError::Invalid(e.to_string()))?;
        Ok(Self { signing_key, apps: f.apps.clone(), tokens_valid_from: AtomicI64::new(0) })
    }

    /// Makes every token issued so far count as expired from `now` on.
    pub fn expire_tokens_issued_before(&self, now: i64) {
        self.tokens_valid_from.store(now + 1, Ordering::Relaxed);
    }

    pub fn tokens_valid_from(&self) -> i64 {
        self.tokens_valid_from.load(Ordering::Relaxed)
    }
}

/// Routes of the `login` host (`/{tenant}/oauth2/v2.0/token`, discovery, keys).
pub fn routes() -> Router<AppState> {
    Router::new()
}
