//! Access tokens: minted by the token endpoint, checked by Graph and the Request Service.

use axum::http::HeaderMap;
use jsonwebtoken::{Algorithm, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::state::AppState;

/// A resource the emulator issues tokens for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    Graph,
    RequestService,
    /// A claim-validation extension's API: the fixture's `custom_extensions[i]`, whose
    /// `resource_id` is the token's audience.
    Extension(usize),
}

/// Claims in an emulated access token (the subset real v1/v2 app tokens carry that matters here).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessClaims {
    pub aud: String,
    pub iss: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub tid: String,
    pub appid: String,
    pub azp: String,
    pub oid: String,
    pub sub: String,
    #[serde(default)]
    pub roles: Vec<String>,
    pub ver: String,
    pub idtyp: String,
    pub uti: String,
}

/// Why a bearer token was refused. Each service maps this onto its own error body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("Access token is empty.")]
    Missing,
    #[error("Access token validation failure. Invalid signature or format.")]
    Invalid,
    #[error("Lifetime validation failed, the token is expired.")]
    Expired,
    #[error("Invalid audience.")]
    WrongAudience,
    #[error("The token was issued for a different tenant.")]
    WrongTenant,
    #[error("Insufficient privileges to complete the operation.")]
    MissingRole,
}

impl AppState {
    /// The `iss` of tokens from this tenant, in the v1 form Entra uses for app-only tokens.
    pub fn token_issuer(&self) -> String {
        format!("https://sts.windows.net/{}/", self.tenant_id())
    }

    fn audience(&self, resource: Resource) -> &str {
        match resource {
            Resource::Graph => &self.settings().graph_audience,
            Resource::RequestService => &self.settings().request_service_audience,
            Resource::Extension(i) => {
                self.fixture().custom_extensions.get(i).map_or("", |e| e.resource_id.as_str())
            }
        }
    }

    /// Signs an app-only access token for `client_id` with the given roles.
    pub fn mint_access_token(
        &self,
        client_id: Uuid,
        resource: Resource,
        roles: Vec<String>,
    ) -> (String, i64) {
        // Force-expiry counts whole seconds of `iat`; step the clock past that second so a token
        // minted right after `POST {control}/tokens/expire` (by the token endpoint, or by a
        // provider issuing through the Request Service) is not born expired.
        let valid_from = self.tokens_valid_from();
        if self.clock().now_unix() < valid_from {
            self.clock().advance(valid_from - self.clock().now_unix());
        }
        let now = self.clock().now_unix();
        let lifetime = self.settings().token_lifetime_secs;
        let claims = AccessClaims {
            aud: self.audience(resource).to_owned(),
            iss: self.token_issuer(),
            iat: now,
            nbf: now,
            exp: now + lifetime,
            tid: self.tenant_id().to_string(),
            appid: client_id.to_string(),
            azp: client_id.to_string(),
            oid: Uuid::new_v5(&Uuid::NAMESPACE_OID, client_id.as_bytes()).to_string(),
            sub: Uuid::new_v5(&Uuid::NAMESPACE_OID, client_id.as_bytes()).to_string(),
            roles,
            ver: "1.0".to_owned(),
            idtyp: "app".to_owned(),
            uti: Uuid::new_v4().simple().to_string(),
        };
        let key = self.signing_key();
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(key.kid.clone());
        header.x5t = Some(key.kid.clone());
        // Signing with our own freshly generated key cannot fail short of a crypto library bug.
        let token = jsonwebtoken::encode(&header, &claims, &key.encoding).unwrap_or_default();
        (token, lifetime)
    }

    /// Checks `Authorization: Bearer …` for `resource`; `any_of_roles` empty means any valid token.
    pub fn authorize(
        &self,
        headers: &HeaderMap,
        resource: Resource,
        any_of_roles: &[&str],
    ) -> Result<AccessClaims, AuthError> {
        let raw = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(AuthError::Missing)?;
        let token = raw
            .strip_prefix("Bearer ")
            .or_else(|| raw.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(AuthError::Missing)?;
        let mut v = Validation::new(Algorithm::RS256);
        // Expiry against the emulator's own (advanceable) clock, below.
        v.validate_exp = false;
        v.validate_aud = false;
        v.required_spec_claims.clear();
        let data = jsonwebtoken::decode::<AccessClaims>(token, &self.signing_key().decoding, &v)
            .map_err(|_| AuthError::Invalid)?;
        let c = data.claims;
        let now = self.clock().now_unix();
        if c.exp <= now || c.iat < self.tokens_valid_from() {
            return Err(AuthError::Expired);
        }
        if c.tid != self.tenant_id().to_string() {
            return Err(AuthError::WrongTenant);
        }
        if c.aud != self.audience(resource) {
            return Err(AuthError::WrongAudience);
        }
        if !any_of_roles.is_empty() && !c.roles.iter().any(|r| any_of_roles.contains(&r.as_str())) {
            return Err(AuthError::MissingRole);
        }
        Ok(c)
    }
}
