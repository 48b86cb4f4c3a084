//! OpenID Connect sign-in for people (the operator console's IT staff): the authorization code
//! flow with PKCE against `{authority}/{tenant}/oauth2/v2.0/…` (`microsoft-apis-v2.md` §4), and
//! the ID token checks of §4.5: RS256 against the tenant's JWKS (refetched once on an unknown
//! `kid`), `iss` = the discovery issuer, `aud` = our client id, `exp`/`nbf` with five minutes of
//! skew, `nonce`, and `tid`.
//!
//! ```no_run
//! # async fn demo(code: &str) -> Result<(), reclaim_entra::EntraError> {
//! use reclaim_entra::{OidcClient, Secret};
//! let oidc = OidcClient::builder("https://login.microsoftonline.com", "contoso.example", "<client id>")
//!     .client_secret(Secret::new("<secret>"))
//!     .build()?;
//! let start = oidc.start("https://console.contoso.example/callback");
//! // Keep `start` server-side under `start.state`; send the browser to `start.url`. When it
//! // comes back with `?code=…&state=…`, look `start` up by that state, then:
//! let who = oidc.finish(&start, "https://console.contoso.example/callback", code).await?;
//! // Authorize on `who.oid` / `who.groups`, never on `who.username` (§4.5).
//! # Ok(()) }
//! ```

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use rand::RngCore as _;
use serde::Deserialize;
use sha2::Digest as _;
use url::Url;
use zeroize::Zeroizing;

use crate::error::{ConfigError, EntraError, SignInError, TokenError, parse_retry_after};
use crate::secret::Secret;

/// Scopes of every sign-in: `profile` is what brings `oid`, `name` and `preferred_username` (§4.2).
pub const SIGN_IN_SCOPE: &str = "openid profile";
/// Clock skew allowed on `exp` and `nbf`.
pub const CLOCK_SKEW_SECS: u64 = 300;

const DISCOVERY: &str = "oidc.discovery";
const KEYS: &str = "oidc.keys";
const TOKEN: &str = "oidc.token";

/// The parts of the OpenID provider metadata we use (§4.1).
#[derive(Debug, Clone, Deserialize)]
struct Discovery {
    issuer: String,
    token_endpoint: String,
    jwks_uri: String,
}

#[derive(Debug, Default)]
struct Cache {
    discovery: Option<Discovery>,
    keys: Option<JwkSet>,
}

struct Inner {
    http: reqwest::Client,
    authority: Url,
    tenant: String,
    client_id: String,
    secret: Option<Secret>,
    cache: tokio::sync::Mutex<Cache>,
}

/// A relying party for one app registration in one tenant. Cheap to clone (shared metadata and
/// key cache).
#[derive(Clone)]
pub struct OidcClient {
    inner: Arc<Inner>,
}

impl fmt::Debug for OidcClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcClient")
            .field("authority", &self.inner.authority.as_str())
            .field("tenant", &self.inner.tenant)
            .field("client_id", &self.inner.client_id)
            .field("client_secret", &self.inner.secret.as_ref().map(|_| "[REDACTED]"))
            .finish_non_exhaustive()
    }
}

/// Builder for [`OidcClient`].
#[derive(Debug)]
pub struct OidcClientBuilder {
    authority: String,
    tenant: String,
    client_id: String,
    secret: Option<Secret>,
    http: Option<reqwest::Client>,
}

impl OidcClientBuilder {
    /// The app's client secret (a confidential client); without one the token request carries
    /// no client credential.
    pub fn client_secret(mut self, secret: Secret) -> Self {
        self.secret = Some(secret);
        self
    }

    /// HTTP client to use (e.g. one trusting the emulator's CA). It must not follow redirects;
    /// [`crate::http_client_builder`] makes one that does not.
    pub fn http(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// Validates the settings and builds the client.
    pub fn build(self) -> Result<OidcClient, EntraError> {
        let authority = crate::parse_http_url("authority", self.authority.trim_end_matches('/'))?;
        if self.tenant.trim().is_empty() {
            return Err(ConfigError::Missing("tenant").into());
        }
        if self.client_id.trim().is_empty() {
            return Err(ConfigError::Missing("client_id").into());
        }
        Ok(OidcClient {
            inner: Arc::new(Inner {
                http: match self.http {
                    Some(h) => h,
                    None => crate::default_http_client()?,
                },
                authority,
                tenant: self.tenant,
                client_id: self.client_id,
                secret: self.secret,
                cache: tokio::sync::Mutex::new(Cache::default()),
            }),
        })
    }
}

/// One sign-in in progress: send the browser to `url`, keep this (server-side) under `state`
/// until the redirect comes back, then pass it to [`OidcClient::finish`]. The nonce and the
/// PKCE verifier never leave it; they are zeroed on drop and redacted from `Debug`.
#[derive(Clone)]
pub struct AuthStart {
    /// The authorization URL (`…/oauth2/v2.0/authorize?…`).
    pub url: String,
    /// The `state` sent; the redirect back must carry exactly this value.
    pub state: String,
    nonce: Zeroizing<String>,
    verifier: Zeroizing<String>,
}

impl fmt::Debug for AuthStart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthStart")
            .field("state", &self.state)
            .field("nonce", &"[REDACTED]")
            .field("code_verifier", &"[REDACTED]")
            .finish_non_exhaustive()
    }
}

impl AuthStart {
    /// Whether `state` (from the redirect back) is this sign-in's, compared in constant time.
    pub fn state_matches(&self, state: &str) -> bool {
        use subtle::ConstantTimeEq as _;
        bool::from(self.state.as_bytes().ct_eq(state.as_bytes()))
    }
}

/// A validated sign-in. Authorize on `oid` and `groups`, never on `username` (§4.5).
#[derive(Clone)]
pub struct SignedIn {
    /// The user's object id in the tenant (`oid`; Graph `user.id`).
    pub oid: String,
    /// `tid`.
    pub tenant_id: String,
    /// Display name (`name`), for display only. Personal data.
    pub name: String,
    /// `preferred_username` (usually the UPN): mutable, for display only. Personal data.
    pub username: String,
    /// Group object ids (`groups`); empty when the app does not ask for group claims, or on overage.
    pub groups: Vec<String>,
    /// The user is in more groups than the token can carry (§4.6): `groups` is empty and the
    /// memberships must be read from Graph (`checkMemberGroups` / `getMemberObjects` for `oid`),
    /// never from the URL in the token.
    pub groups_overage: bool,
}

impl fmt::Debug for SignedIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedIn")
            .field("oid", &self.oid)
            .field("tenant_id", &self.tenant_id)
            .field("name", &"[REDACTED]")
            .field("username", &"[REDACTED]")
            .field("groups", &self.groups)
            .field("groups_overage", &self.groups_overage)
            .finish()
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    #[serde(default)]
    id_token: Option<Secret>,
}

#[derive(Deserialize)]
struct IdClaims {
    #[serde(default)]
    nonce: Option<String>,
    #[serde(default)]
    tid: Option<String>,
    #[serde(default)]
    oid: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    preferred_username: Option<String>,
    #[serde(default)]
    groups: Option<Vec<String>>,
    #[serde(default)]
    _claim_names: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(default)]
    hasgroups: Option<bool>,
}

/// 32 random bytes, base64url: 43 characters (a valid PKCE verifier, RFC 7636 §4.1).
fn random_token() -> String {
    let mut b = Zeroizing::new([0u8; 32]);
    rand::rng().fill_bytes(b.as_mut());
    URL_SAFE_NO_PAD.encode(b.as_ref())
}

/// RFC 7636 §4.2: `BASE64URL-NOPAD(SHA256(verifier))`.
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()))
}

fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

impl OidcClient {
    /// authority_base: e.g. "https://login.microsoftonline.com" or the emulator's base URL
    pub fn builder(
        authority_base: impl Into<String>,
        tenant_id: impl Into<String>,
        client_id: impl Into<String>,
    ) -> OidcClientBuilder {
        OidcClientBuilder {
            authority: authority_base.into(),
            tenant: tenant_id.into(),
            client_id: client_id.into(),
            secret: None,
            http: None,
        }
    }

    /// `{authority}/{tenant}/{rest}`.
    fn tenant_url(&self, rest: &str) -> String {
        let tenant = percent_encoding::utf8_percent_encode(&self.inner.tenant, crate::PATH_SEGMENT);
        format!("{}/{tenant}/{rest}", self.inner.authority.as_str().trim_end_matches('/'))
    }

    /// A new sign-in: authorize URL (scope "openid profile", S256 PKCE, random state+nonce, response_mode=query)
    pub fn start(&self, redirect_uri: &str) -> AuthStart {
        let state = random_token();
        let nonce = Zeroizing::new(random_token());
        let verifier = Zeroizing::new(random_token());
        let query = [
            ("client_id", self.inner.client_id.as_str()),
            ("response_type", "code"),
            ("redirect_uri", redirect_uri),
            ("response_mode", "query"),
            ("scope", SIGN_IN_SCOPE),
            ("state", state.as_str()),
            ("nonce", nonce.as_str()),
            ("code_challenge", &pkce_challenge(&verifier)),
            ("code_challenge_method", "S256"),
        ];
        let mut url = self.tenant_url("oauth2/v2.0/authorize");
        url.push('?');
        url.push_str(&serde_urlencoded::to_string(query).unwrap_or_default());
        AuthStart { url, state, nonce, verifier }
    }

    /// The end-session URL to send the browser to after a local sign-out.
    pub fn logout_url(&self, post_logout_redirect_uri: &str) -> String {
        format!(
            "{}?{}",
            self.tenant_url("oauth2/v2.0/logout"),
            serde_urlencoded::to_string([("post_logout_redirect_uri", post_logout_redirect_uri)])
                .unwrap_or_default()
        )
    }

    /// Exchanges the code (POST token endpoint with code_verifier) and validates the ID token:
    /// RS256 signature against the tenant's JWKS (from discovery's jwks_uri, cached, refetched once on an unknown kid),
    /// iss == the discovery issuer for this tenant, aud == client_id, exp/nbf with 5 min skew, nonce == start.nonce, tid == tenant.
    pub async fn finish(
        &self,
        start: &AuthStart,
        redirect_uri: &str,
        code: &str,
    ) -> Result<SignedIn, EntraError> {
        let discovery = self.discovery().await?;
        let id_token = self.redeem(&discovery, redirect_uri, code, &start.verifier).await?;
        self.validate(&discovery, id_token.expose(), &start.nonce).await
    }

    /// The tenant's OpenID configuration, fetched once and kept.
    async fn discovery(&self) -> Result<Discovery, EntraError> {
        let mut cache = self.inner.cache.lock().await;
        if let Some(d) = &cache.discovery {
            return Ok(d.clone());
        }
        let url = crate::parse_http_url(
            "discovery",
            &self.tenant_url("v2.0/.well-known/openid-configuration"),
        )?;
        let d: Discovery = self.get_json(DISCOVERY, url).await?;
        // The secret and the code go to token_endpoint, the keys come from jwks_uri: both must be
        // on the authority we were configured with.
        for (what, raw) in [("token_endpoint", &d.token_endpoint), ("jwks_uri", &d.jwks_uri)] {
            let u = Url::parse(raw).map_err(|_| SignInError::Discovery(what))?;
            if !same_origin(&u, &self.inner.authority) {
                return Err(
                    SignInError::Discovery("an endpoint is off the authority's host").into()
                );
            }
        }
        cache.discovery = Some(d.clone());
        Ok(d)
    }

    async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        operation: &'static str,
        url: Url,
    ) -> Result<T, EntraError> {
        let resp = self
            .inner
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| EntraError::transport(operation, e))?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.bytes().await.map_err(|e| EntraError::transport(operation, e))?;
        if status != 200 {
            return Err(TokenError::parse(status, &headers, &body).map_or_else(
                || EntraError::UnexpectedStatus {
                    operation,
                    status,
                    retry_after: parse_retry_after(&headers),
                },
                EntraError::Token,
            ));
        }
        serde_json::from_slice(&body).map_err(|e| EntraError::decode(operation, status, e))
    }

    /// POSTs the authorization code grant (§4.4) and returns the `id_token`.
    async fn redeem(
        &self,
        d: &Discovery,
        redirect_uri: &str,
        code: &str,
        verifier: &str,
    ) -> Result<Secret, EntraError> {
        let mut form: Vec<(&str, &str)> = vec![
            ("client_id", self.inner.client_id.as_str()),
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", verifier),
            ("scope", SIGN_IN_SCOPE),
        ];
        if let Some(secret) = &self.inner.secret {
            form.push(("client_secret", secret.expose()));
        }
        let url = crate::parse_http_url("token_endpoint", &d.token_endpoint)?;
        let resp = self
            .inner
            .http
            .post(url)
            .form(&form)
            .send()
            .await
            .map_err(|e| EntraError::transport(TOKEN, e))?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = Zeroizing::new(
            resp.bytes().await.map_err(|e| EntraError::transport(TOKEN, e))?.to_vec(),
        );
        if status != 200 {
            return Err(TokenError::parse(status, &headers, &body).map_or_else(
                || EntraError::UnexpectedStatus {
                    operation: TOKEN,
                    status,
                    retry_after: parse_retry_after(&headers),
                },
                EntraError::Token,
            ));
        }
        let parsed: TokenResponse =
            serde_json::from_slice(&body).map_err(|e| EntraError::decode(TOKEN, status, e))?;
        parsed.id_token.ok_or_else(|| SignInError::NoIdToken.into())
    }

    /// The verification key for `kid`: from the cached JWKS, else from one fresh fetch (keys
    /// roll, §4.5).
    async fn key(&self, d: &Discovery, kid: &str) -> Result<DecodingKey, EntraError> {
        let mut cache = self.inner.cache.lock().await;
        let cached = cache.keys.as_ref().and_then(|k| k.find(kid)).cloned();
        let jwk = match cached {
            Some(jwk) => jwk,
            None => {
                let url = crate::parse_http_url("jwks_uri", &d.jwks_uri)?;
                let fresh: JwkSet = self.get_json(KEYS, url).await?;
                let found = fresh.find(kid).cloned();
                cache.keys = Some(fresh);
                found.ok_or(SignInError::UnknownKey)?
            }
        };
        DecodingKey::from_jwk(&jwk).map_err(|_| SignInError::UnknownKey.into())
    }

    /// The tenant GUID tokens must carry: ours if configured as a GUID, else the one in the
    /// discovery issuer (`…/{tid}/v2.0`).
    fn expected_tid(&self, d: &Discovery) -> Result<String, EntraError> {
        if uuid::Uuid::parse_str(&self.inner.tenant).is_ok() {
            return Ok(self.inner.tenant.to_ascii_lowercase());
        }
        d.issuer
            .trim_end_matches('/')
            .strip_suffix("/v2.0")
            .and_then(|rest| rest.rsplit('/').next())
            .filter(|t| uuid::Uuid::parse_str(t).is_ok())
            .map(str::to_ascii_lowercase)
            .ok_or_else(|| SignInError::Discovery("the issuer names no tenant").into())
    }

    async fn validate(
        &self,
        d: &Discovery,
        token: &str,
        nonce: &str,
    ) -> Result<SignedIn, EntraError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| SignInError::Malformed)?;
        if header.alg != Algorithm::RS256 {
            return Err(SignInError::WrongAlgorithm.into());
        }
        let kid = header.kid.ok_or(SignInError::UnknownKey)?;
        let key = self.key(d, &kid).await?;
        let mut v = Validation::new(Algorithm::RS256);
        v.leeway = CLOCK_SKEW_SECS;
        v.validate_nbf = true;
        v.set_audience(&[&self.inner.client_id]);
        v.set_issuer(&[&d.issuer]);
        v.set_required_spec_claims(&["exp", "nbf", "iss", "aud"]);
        let claims = jsonwebtoken::decode::<IdClaims>(token, &key, &v)
            .map_err(|e| {
                use jsonwebtoken::errors::ErrorKind as K;
                match e.kind() {
                    K::InvalidSignature => SignInError::BadSignature,
                    K::ExpiredSignature => SignInError::Expired,
                    K::ImmatureSignature => SignInError::NotYetValid,
                    K::InvalidIssuer => SignInError::WrongIssuer,
                    K::InvalidAudience => SignInError::WrongAudience,
                    K::InvalidAlgorithm => SignInError::WrongAlgorithm,
                    _ => SignInError::Malformed,
                }
            })?
            .claims;
        let nonce_ok = claims.nonce.as_deref().is_some_and(|n| {
            use subtle::ConstantTimeEq as _;
            bool::from(n.as_bytes().ct_eq(nonce.as_bytes()))
        });
        if !nonce_ok {
            return Err(SignInError::WrongNonce.into());
        }
        let tid = claims.tid.ok_or(SignInError::MissingClaim("tid"))?;
        if !tid.eq_ignore_ascii_case(&self.expected_tid(d)?) {
            return Err(SignInError::WrongTenant.into());
        }
        let oid = claims.oid.ok_or(SignInError::MissingClaim("oid"))?;
        let overage = claims._claim_names.as_ref().is_some_and(|m| m.contains_key("groups"))
            || claims.hasgroups == Some(true);
        Ok(SignedIn {
            oid,
            tenant_id: tid,
            name: claims.name.unwrap_or_default(),
            username: claims.preferred_username.unwrap_or_default(),
            groups: if overage { Vec::new() } else { claims.groups.unwrap_or_default() },
            groups_overage: overage,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn client() -> OidcClient {
        OidcClient::builder(
            "https://login.microsoftonline.com/",
            "7c0e2f9a-3b1d-4e5f-8a6b-9c0d1e2f3a4b",
            "3a000000-0000-4000-8000-000000000003",
        )
        .client_secret(Secret::new("s3cret-value"))
        .build()
        .unwrap()
    }

    #[test]
    fn pkce_matches_rfc7636_appendix_b() {
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn start_builds_the_documented_authorize_request() {
        let c = client();
        let s = c.start("http://127.0.0.1:8400/console/callback");
        let url = Url::parse(&s.url).unwrap();
        assert_eq!(url.path(), "/7c0e2f9a-3b1d-4e5f-8a6b-9c0d1e2f3a4b/oauth2/v2.0/authorize");
        let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(q["client_id"], "3a000000-0000-4000-8000-000000000003");
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["response_mode"], "query");
        assert_eq!(q["scope"], "openid profile");
        assert_eq!(q["redirect_uri"], "http://127.0.0.1:8400/console/callback");
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["state"], s.state);
        assert_eq!(q["nonce"], *s.nonce);
        assert_eq!(q["code_challenge"], pkce_challenge(&s.verifier));
        assert_eq!(s.verifier.len(), 43);
        let other = c.start("http://127.0.0.1:8400/console/callback");
        assert_ne!(other.state, s.state);
        assert_ne!(*other.nonce, *s.nonce);
        assert!(s.state_matches(&s.state.clone()) && !s.state_matches(&other.state));
    }

    #[test]
    fn secrets_and_personal_data_stay_out_of_debug() {
        let c = client();
        assert!(!format!("{c:?}").contains("s3cret-value"));
        let s = c.start("http://127.0.0.1/console/callback");
        let shown = format!("{s:?}");
        assert!(!shown.contains(s.nonce.as_str()) && !shown.contains(s.verifier.as_str()));
        let who = SignedIn {
            oid: "1a000000-0000-4000-8000-000000000020".into(),
            tenant_id: "t".into(),
            name: "Ivy Operator".into(),
            username: "it.operator@contoso.example".into(),
            groups: vec![],
            groups_overage: false,
        };
        let shown = format!("{who:?}");
        assert!(!shown.contains("Ivy") && !shown.contains("it.operator"), "{shown}");
        assert!(shown.contains("1a000000-0000-4000-8000-000000000020"));
    }

    #[test]
    fn logout_url_names_the_end_session_endpoint() {
        assert_eq!(
            client().logout_url("http://127.0.0.1:8400/console/signed-out"),
            "https://login.microsoftonline.com/7c0e2f9a-3b1d-4e5f-8a6b-9c0d1e2f3a4b/oauth2/v2.0/logout?post_logout_redirect_uri=http%3A%2F%2F127.0.0.1%3A8400%2Fconsole%2Fsigned-out"
        );
    }

    #[test]
    fn builder_refuses_bad_settings() {
        assert!(OidcClient::builder("ftp://x", "t", "c").build().is_err());
        assert!(OidcClient::builder("https://x", "", "c").build().is_err());
        assert!(OidcClient::builder("https://x", "t", " ").build().is_err());
    }
}
