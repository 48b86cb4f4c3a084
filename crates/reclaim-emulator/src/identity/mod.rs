//! The emulated Microsoft identity platform: client-credentials token endpoint, OpenID
//! configuration and JWKS, the access tokens every other emulated service checks, and OpenID
//! Connect sign-in for people (authorization code + PKCE, `microsoft-apis-v2.md` §4).

pub mod access;
pub mod assertion;
pub mod authorize;
pub mod code_grant;
pub mod discovery;
pub mod id_token;
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
    /// Sign-in passwords by lower-cased userPrincipalName (fixture `users[].password`).
    passwords: HashMap<String, String>,
    /// Authorization codes issued by `/authorize`, by code value (kept, spent, until they expire).
    codes: Mutex<HashMap<String, code_grant::AuthCode>>,
    /// Test-only tampering applied to the next ID token (`POST {control}/identity/id-token-tamper`).
    tamper: Mutex<Option<id_token::Tamper>>,
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
            passwords: f
                .users
                .iter()
                .filter_map(|u| {
                    u.password.clone().map(|p| (u.user_principal_name.to_lowercase(), p))
                })
                .collect(),
            codes: Mutex::new(HashMap::new()),
            tamper: Mutex::new(None),
        })
    }

    /// Whether `password` is the sign-in password of `upn` (constant-time compare).
    pub fn password_matches(&self, upn: &str, password: &str) -> bool {
        use subtle::ConstantTimeEq as _;
        self.passwords
            .get(&upn.to_lowercase())
            .is_some_and(|known| bool::from(known.as_bytes().ct_eq(password.as_bytes())))
    }

    /// Stores a freshly issued authorization code; codes past `forget_before` are dropped.
    pub fn store_code(&self, code: String, grant: code_grant::AuthCode, forget_before: i64) {
        let mut codes = self.codes.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        codes.retain(|_, c| c.expires_at >= forget_before);
        codes.insert(code, grant);
    }

    /// Runs `f` on the stored code (under the lock, so redemption is atomic).
    pub fn with_code<T>(
        &self,
        code: &str,
        f: impl FnOnce(Option<&mut code_grant::AuthCode>) -> T,
    ) -> T {
        let mut codes = self.codes.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        f(codes.get_mut(code))
    }

    /// Sets (or clears) the tampering applied to the next ID token.
    pub fn set_tamper(&self, t: Option<id_token::Tamper>) {
        *self.tamper.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = t;
    }

    /// Takes the pending ID-token tampering, if any.
    pub fn take_tamper(&self) -> Option<id_token::Tamper> {
        self.tamper.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take()
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

/// Routes of the `login` host (`/{tenant}/oauth2/v2.0/token`, `…/authorize` and its sign-in
/// form, `…/logout`, v2 and v1 discovery, keys).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/{tenant}/oauth2/v2.0/token", post(token::token))
        .route("/{tenant}/oauth2/v2.0/authorize", get(authorize::authorize))
        .route("/{tenant}/login", post(authorize::login))
        .route(
            "/{tenant}/oauth2/v2.0/logout",
            get(authorize::logout_get).post(authorize::logout_post),
        )
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
