//! `TokenSource`: OAuth 2.0 client-credentials tokens from `{authority}/{tenant}/oauth2/v2.0/token`
//! (contract §1), with a client secret or a certificate assertion, cached per scope.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};
use sha1::Digest as _;
use tokio::time::Instant;
use url::Url;
use zeroize::Zeroizing;

use crate::error::{ConfigError, EntraError, TokenError, parse_retry_after};
use crate::retry::RetryPolicy;
use crate::secret::Secret;

/// Scope for Microsoft Graph (§1.4).
pub const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";
/// Scope for the Verified ID Request Service (§1.4).
pub const REQUEST_SERVICE_SCOPE: &str = "3db474b9-6a0c-4840-96ac-1fceb342124f/.default";
/// `client_assertion_type` for certificate credentials (§1.3).
pub const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Default: refresh this long before `expires_in` runs out.
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(300);
/// Lifetime of a client assertion (`exp - nbf`).
pub const ASSERTION_LIFETIME: Duration = Duration::from_secs(600);

const OPERATION: &str = "token.request";

/// Which of the two documented assertion header generations to emit (§1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AssertionAlgorithm {
    /// Older docs: `alg=RS256`, `x5t` = base64url(SHA-1 of the certificate DER).
    Rs256X5t,
    /// Current docs: `alg=PS256`, `x5t#S256` = base64url(SHA-256 of the certificate DER).
    #[default]
    Ps256X5tS256,
}

/// An RSA certificate credential: the private key and its certificate.
///
/// The key bytes we handle are zeroized; `jsonwebtoken::EncodingKey` keeps its own copy for
/// the lifetime of this value (it does not zeroize on drop).
#[derive(Clone)]
pub struct ClientCertificate {
    key: EncodingKey,
    cert_der: Vec<u8>,
    algorithm: AssertionAlgorithm,
}

impl fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCertificate")
            .field("x5t#S256", &self.thumbprint_sha256())
            .field("algorithm", &self.algorithm)
            .field("key", &"[REDACTED]")
            .finish()
    }
}

impl ClientCertificate {
    /// From a PEM certificate (first `CERTIFICATE` block is used) and a PEM RSA private key
    /// (`RSA PRIVATE KEY` / PKCS#1 or `PRIVATE KEY` / PKCS#8, unencrypted).
    pub fn from_pem(
        cert_pem: &[u8],
        key_pem: &[u8],
        algorithm: AssertionAlgorithm,
    ) -> Result<Self, EntraError> {
        let cert_der = x509_parser::pem::Pem::iter_from_buffer(cert_pem)
            .filter_map(Result::ok)
            .find(|p| p.label == "CERTIFICATE")
            .map(|p| p.contents)
            .ok_or(ConfigError::NoCertificate)?;
        let key = EncodingKey::from_rsa_pem(key_pem).map_err(ConfigError::InvalidKey)?;
        Self::new(key, cert_der, algorithm)
    }

    /// From a PKCS#12 / PFX file holding an RSA key and its certificate (leaf first).
    pub fn from_pfx(
        pfx: &[u8],
        password: &Secret,
        algorithm: AssertionAlgorithm,
    ) -> Result<Self, EntraError> {
        let store = p12_keystore::KeyStore::from_pkcs12(
            pfx,
            password.expose(),
            p12_keystore::Pkcs12ImportPolicy::Strict,
        )
        .map_err(ConfigError::Pfx)?;
        let (_, chain) = store.private_key_chain().ok_or(ConfigError::PfxWithoutKey)?;
        let cert_der = chain.certs().first().ok_or(ConfigError::PfxWithoutKey)?.as_der().to_vec();
        let pkcs8 = chain.key().as_der();
        let mut pem = Zeroizing::new(String::from("-----BEGIN PRIVATE KEY-----\n"));
        let b64 = Zeroizing::new(STANDARD.encode(pkcs8));
        for line in b64.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(line).map_err(|_| ConfigError::PfxWithoutKey)?);
            pem.push('\n');
        }
        pem.push_str("-----END PRIVATE KEY-----\n");
        let key = EncodingKey::from_rsa_pem(pem.as_bytes()).map_err(ConfigError::InvalidKey)?;
        Self::new(key, cert_der, algorithm)
    }

    fn new(
        key: EncodingKey,
        cert_der: Vec<u8>,
        algorithm: AssertionAlgorithm,
    ) -> Result<Self, EntraError> {
        x509_parser::parse_x509_certificate(&cert_der)
            .map_err(|_| ConfigError::InvalidCertificate)?;
        let cert = Self { key, cert_der, algorithm };
        // Surface an unusable key now rather than at the first token request.
        jsonwebtoken::crypto::sign(b"probe", &cert.key, cert.jwt_algorithm())
            .map_err(ConfigError::InvalidKey)?;
        Ok(cert)
    }

    /// Same key and certificate, other header generation.
    pub fn with_algorithm(mut self, algorithm: AssertionAlgorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// The header generation in use.
    pub fn algorithm(&self) -> AssertionAlgorithm {
        self.algorithm
    }

    /// The certificate, DER.
    pub fn certificate_der(&self) -> &[u8] {
        &self.cert_der
    }

    /// `x5t`: base64url(SHA-1(cert DER)).
    pub fn thumbprint_sha1(&self) -> String {
        URL_SAFE_NO_PAD.encode(sha1::Sha1::digest(&self.cert_der))
    }

    /// `x5t#S256`: base64url(SHA-256(cert DER)).
    pub fn thumbprint_sha256(&self) -> String {
        URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(&self.cert_der))
    }

    fn jwt_algorithm(&self) -> Algorithm {
        match self.algorithm {
            AssertionAlgorithm::Rs256X5t => Algorithm::RS256,
            AssertionAlgorithm::Ps256X5tS256 => Algorithm::PS256,
        }
    }

    /// Signs a client assertion for `client_id` and audience `token_url` (§1.3).
    pub fn client_assertion(&self, client_id: &str, token_url: &str) -> Result<Secret, EntraError> {
        let mut header = Header::new(self.jwt_algorithm());
        header.typ = Some("JWT".to_owned());
        match self.algorithm {
            AssertionAlgorithm::Rs256X5t => header.x5t = Some(self.thumbprint_sha1()),
            AssertionAlgorithm::Ps256X5tS256 => header.x5t_s256 = Some(self.thumbprint_sha256()),
        }
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let lifetime = i64::try_from(ASSERTION_LIFETIME.as_secs()).unwrap_or(600);
        let claims = AssertionClaims {
            aud: token_url,
            iss: client_id,
            sub: client_id,
            jti: uuid::Uuid::new_v4().to_string(),
            nbf: now,
            iat: now,
            exp: now + lifetime,
        };
        jsonwebtoken::encode(&header, &claims, &self.key)
            .map(Secret::from)
            .map_err(|e| ConfigError::Sign(e).into())
    }
}

#[derive(Serialize)]
struct AssertionClaims<'a> {
    aud: &'a str,
    iss: &'a str,
    sub: &'a str,
    jti: String,
    nbf: i64,
    iat: i64,
    exp: i64,
}

/// How the app proves its identity.
#[derive(Debug, Clone)]
pub enum ClientCredential {
    /// `client_secret` form field (§1.2).
    Secret(Secret),
    /// `client_assertion` signed with a certificate key (§1.3).
    Certificate(ClientCertificate),
}

/// A bearer token and when to stop using it.
#[derive(Debug, Clone)]
pub struct AccessToken {
    secret: Secret,
    expires_at: Instant,
    refresh_at: Instant,
}

impl AccessToken {
    /// The bearer value.
    pub fn secret(&self) -> &Secret {
        &self.secret
    }
    /// When the token expires (`expires_in` after it was received).
    pub fn expires_at(&self) -> Instant {
        self.expires_at
    }
    /// When the cache will fetch a new one.
    pub fn refresh_at(&self) -> Instant {
        self.refresh_at
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: Secret,
    #[serde(default)]
    token_type: Option<String>,
    expires_in: NumberOrString,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum NumberOrString {
    Number(u64),
    String(String),
}

impl NumberOrString {
    fn seconds(&self) -> Option<u64> {
        match self {
            Self::Number(n) => Some(*n),
            Self::String(s) => s.trim().parse().ok(),
        }
    }
}

type Slot = Arc<tokio::sync::Mutex<Option<AccessToken>>>;

/// Client-credentials tokens, one cached token per scope, one in-flight refresh per scope.
pub struct TokenSource {
    http: reqwest::Client,
    token_url: Url,
    client_id: String,
    credential: ClientCredential,
    refresh_margin: Duration,
    retry: RetryPolicy,
    slots: Mutex<HashMap<String, Slot>>,
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSource")
            .field("token_url", &self.token_url.as_str())
            .field("client_id", &self.client_id)
            .field("credential", &self.credential)
            .finish_non_exhaustive()
    }
}

/// Builder for [`TokenSource`].
#[derive(Debug, Default)]
pub struct TokenSourceBuilder {
    authority: Option<String>,
    tenant: Option<String>,
    client_id: Option<String>,
    credential: Option<ClientCredential>,
    http: Option<reqwest::Client>,
    refresh_margin: Option<Duration>,
    retry: Option<RetryPolicy>,
}

impl TokenSourceBuilder {
    /// Authority host root; default `https://login.microsoftonline.com`.
    pub fn authority(mut self, authority: impl AsRef<str>) -> Self {
        self.authority = Some(authority.as_ref().to_owned());
        self
    }
    /// Tenant GUID or verified domain (required).
    pub fn tenant(mut self, tenant: impl Into<String>) -> Self {
        self.tenant = Some(tenant.into());
        self
    }
    /// Application (client) id (required).
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = Some(client_id.into());
        self
    }
    /// Secret or certificate (required).
    pub fn credential(mut self, credential: ClientCredential) -> Self {
        self.credential = Some(credential);
        self
    }
    /// Shorthand for `credential(ClientCredential::Secret(..))`.
    pub fn client_secret(self, secret: Secret) -> Self {
        self.credential(ClientCredential::Secret(secret))
    }
    /// Shorthand for `credential(ClientCredential::Certificate(..))`.
    pub fn certificate(self, certificate: ClientCertificate) -> Self {
        self.credential(ClientCredential::Certificate(certificate))
    }
    /// HTTP client to use (e.g. one trusting the emulator's CA).
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }
    /// Refresh this long before expiry (default 5 min; never more than half the lifetime).
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = Some(margin);
        self
    }
    /// Retry policy for token requests.
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = Some(retry);
        self
    }
    /// Builds the source.
    pub fn build(self) -> Result<TokenSource, EntraError> {
        let authority = self.authority.unwrap_or_else(|| crate::MICROSOFT_AUTHORITY.to_owned());
        let tenant = self.tenant.ok_or(ConfigError::Missing("tenant"))?;
        let token_url = token_url(&authority, &tenant)?;
        Ok(TokenSource {
            http: match self.http {
                Some(http) => http,
                None => crate::default_http_client()?,
            },
            token_url,
            client_id: self.client_id.ok_or(ConfigError::Missing("client_id"))?,
            credential: self.credential.ok_or(ConfigError::Missing("credential"))?,
            refresh_margin: self.refresh_margin.unwrap_or(DEFAULT_REFRESH_MARGIN),
            retry: self.retry.unwrap_or_default(),
            slots: Mutex::new(HashMap::new()),
        })
    }
}

/// `{authority}/{tenant}/oauth2/v2.0/token`.
pub fn token_url(authority: &str, tenant: &str) -> Result<Url, EntraError> {
    let tenant = percent_encoding::utf8_percent_encode(tenant, crate::PATH_SEGMENT);
    let raw = format!("{}/{tenant}/oauth2/v2.0/token", authority.trim_end_matches('/'));
    crate::parse_http_url("authority", &raw)
}

impl TokenSource {
    /// Starts a builder.
    pub fn builder() -> TokenSourceBuilder {
        TokenSourceBuilder::default()
    }

    /// The token endpoint URL (also the assertion's `aud`).
    pub fn token_url(&self) -> &Url {
        &self.token_url
    }

    fn slot(&self, scope: &str) -> Slot {
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        slots.entry(scope.to_owned()).or_default().clone()
    }

    /// A valid token for `scope` (e.g. [`GRAPH_SCOPE`]): the cached one unless it is due for
    /// refresh. Concurrent callers for one scope share a single token request.
    pub async fn token(&self, scope: &str) -> Result<AccessToken, EntraError> {
        let slot = self.slot(scope);
        let mut cached = slot.lock().await;
        if let Some(token) = cached.as_ref().filter(|t| Instant::now() < t.refresh_at) {
            return Ok(token.clone());
        }
        let token = self.retry.run(|| self.request(scope)).await?;
        *cached = Some(token.clone());
        Ok(token)
    }

    /// Drops the cached token for `scope` so the next call fetches a new one (after a 401).
    pub async fn invalidate(&self, scope: &str) {
        *self.slot(scope).lock().await = None;
    }

    /// Drops the cached token only if it is still `rejected` (so N callers that all saw the
    /// same 401 cause one refresh, not N).
    pub(crate) async fn invalidate_if_current(&self, scope: &str, rejected: &AccessToken) {
        let slot = self.slot(scope);
        let mut cached = slot.lock().await;
        if cached.as_ref().is_some_and(|t| t.secret == rejected.secret) {
            *cached = None;
        }
    }

    async fn request(&self, scope: &str) -> Result<AccessToken, EntraError> {
        let mut form: Vec<(&str, Zeroizing<String>)> = vec![
            ("grant_type", Zeroizing::new("client_credentials".to_owned())),
            ("client_id", Zeroizing::new(self.client_id.clone())),
            ("scope", Zeroizing::new(scope.to_owned())),
        ];
        match &self.credential {
            ClientCredential::Secret(secret) => {
                form.push(("client_secret", Zeroizing::new(secret.expose().to_owned())));
            }
            ClientCredential::Certificate(cert) => {
                let assertion = cert.client_assertion(&self.client_id, self.token_url.as_str())?;
                form.push(("client_assertion_type", Zeroizing::new(CLIENT_ASSERTION_TYPE.into())));
                form.push(("client_assertion", Zeroizing::new(assertion.expose().to_owned())));
            }
        }
        let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let started = Instant::now();
        let resp = self
            .http
            .post(self.token_url.clone())
            .form(&fields)
            .send()
            .await
            .map_err(|e| EntraError::transport(OPERATION, e))?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = Zeroizing::new(
            resp.bytes().await.map_err(|e| EntraError::transport(OPERATION, e))?.to_vec(),
        );
        if status != 200 {
            return Err(TokenError::parse(status, &headers, &body).map_or_else(
                || EntraError::UnexpectedStatus {
                    operation: OPERATION,
                    status,
                    retry_after: parse_retry_after(&headers),
                },
                EntraError::Token,
            ));
        }
        let parsed: TokenResponse =
            serde_json::from_slice(&body).map_err(|e| EntraError::decode(OPERATION, status, e))?;
        if let Some(tt) = parsed.token_type.as_deref().filter(|t| !t.eq_ignore_ascii_case("bearer"))
        {
            tracing::warn!(token_type = tt, "token endpoint returned a non-Bearer token type");
        }
        let lifetime = Duration::from_secs(parsed.expires_in.seconds().unwrap_or(0));
        let margin = self.refresh_margin.min(lifetime / 2);
        Ok(AccessToken {
            secret: parsed.access_token,
            expires_at: started + lifetime,
            refresh_at: started + lifetime.saturating_sub(margin),
        })
    }
}
