//! The emulated Microsoft identity platform: client-credentials token endpoint, OpenID
//! configuration and JWKS, and the access tokens every other emulated service checks.

pub mod access;
pub mod assertion;
pub mod discovery;
pub mod keys;
pub mod token;

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};

use axum::Router;
use axum::routing::{get, post};
use uuid::Uuid;

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
    /// Certificates registered on the apps, parsed once at start.
    pub certificates: Vec<assertion::RegisteredCert>,
    /// Tokens issued before this instant (Unix seconds) are treated as expired ("force expiry").
    tokens_valid_from: AtomicI64,
    /// `(client_id, jti)` of accepted client assertions → Unix time after which they can be forgotten.
    used_jtis: Mutex<HashMap<(Uuid, String), i64>>,
}

impl IdentityState {
    pub fn from_fixture(f: &Fixture) -> Result<Self, FixtureError> {
        let signing_key = match &f.tenant.token_signing_key {
            Some(pem) => keys::SigningKey::from_pem(pem),
            None => keys::SigningKey::generate(),
        }
        .map_err(|e| FixtureError::Invalid(format!("tenant.token_signing_key: {e}")))?;
        Ok(Self {
            signing_key,
            certificates: assertion::RegisteredCert::load_all(&f.apps)?,
            apps: f.apps.clone(),
            tokens_valid_from: AtomicI64::new(0),
            used_jtis: Mutex::new(HashMap::new()),
        })
    }

    /// The app registration with this client id.
    pub fn app(&self, client_id: Uuid) -> Option<&AppFixture> {
        self.apps.iter().find(|a| a.client_id == client_id)
    }

    /// Records an assertion's `jti` until `keep_until`; false when it was already used.
    pub fn remember_jti(&self, client_id: Uuid, jti: &str, keep_until: i64, now: i64) -> bool {
        // A poisoned lock only means another request panicked mid-insert; the map is still usable.
        let mut used = self.used_jtis.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        used.retain(|_, until| *until >= now);
        match used.entry((client_id, jti.to_owned())) {
            std::collections::hash_map::Entry::Occupied(_) => false,
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(keep_until);
                true
            }
        }
    }

    /// Makes every token issued so far count as expired from `now` on.
    pub fn expire_tokens_issued_before(&self, now: i64) {
        self.tokens_valid_from.store(now + 1, Ordering::Relaxed);
    }

    pub fn tokens_valid_from(&self) -> i64 {
        self.tokens_valid_from.load(Ordering::Relaxed)
    }
}

/// Routes of the `login` host (`/{tenant}/oauth2/v2.0/token`, v2 and v1 discovery, keys).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/{tenant}/oauth2/v2.0/token", post(token::token))
        .route(
            "/{tenant}/v2.0/.well-known/openid-configuration",
            get(discovery::openid_configuration),
        )
        .route("/{tenant}/discovery/v2.0/keys", get(discovery::keys))
        .route(
            "/{tenant}/.well-known/openid-configuration",
            get(discovery::openid_configuration_v1),
        )
        .route("/{tenant}/discovery/keys", get(discovery::keys_v1))
        .route("/common/discovery/instance", get(discovery::instance))
}
