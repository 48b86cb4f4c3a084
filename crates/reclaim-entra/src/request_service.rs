//! `RequestServiceClient`: Verified ID Request Service `createPresentationRequest` and
//! `createIssuanceRequest` (contract §2.1–§2.4, §2.8).

use std::collections::BTreeMap;
use std::sync::Arc;

use reqwest::Method;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::error::{ConfigError, EntraError};
use crate::http::{AuthedHttp, Call, Service, json_body};
use crate::retry::RetryPolicy;
use crate::secret::{Secret, SensitiveValue};
use crate::token::{REQUEST_SERVICE_SCOPE, TokenSource};

/// Default Face Check threshold (§3).
pub const DEFAULT_MATCH_CONFIDENCE_THRESHOLD: u8 = 70;

/// `registration`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Registration {
    /// Verifier/issuer display name shown in Authenticator.
    pub client_name: String,
    /// Why the credential is requested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    /// Not used by Authenticator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_url: Option<String>,
    /// Not used by Authenticator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terms_of_service_url: Option<String>,
}

/// `callback.headers`: only `api-key` and `Authorization` are allowed by the service, so only
/// those can be expressed. Values are secrets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallbackHeaders {
    /// `api-key`.
    #[serde(default, rename = "api-key", skip_serializing_if = "Option::is_none")]
    pub api_key: Option<Secret>,
    /// `Authorization`.
    #[serde(default, rename = "Authorization", skip_serializing_if = "Option::is_none")]
    pub authorization: Option<Secret>,
}

/// `callback`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Callback {
    /// Internet-reachable HTTPS endpoint.
    pub url: String,
    /// Opaque correlation value echoed in every callback.
    pub state: String,
    /// Headers the service sends back on each callback.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<CallbackHeaders>,
}

impl Callback {
    /// A callback authenticated by an `api-key` header.
    pub fn with_api_key(url: impl Into<String>, state: impl Into<String>, api_key: Secret) -> Self {
        Self {
            url: url.into(),
            state: state.into(),
            headers: Some(CallbackHeaders { api_key: Some(api_key), authorization: None }),
        }
    }
}

/// `…validation.faceCheck`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FaceCheck {
    /// Claim holding the photo (`portrait` for recovery credentials).
    pub source_photo_claim_name: String,
    /// Integer 50–100; service default 70.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_confidence_threshold: Option<u8>,
}

/// `…configuration.validation`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Validation {
    /// Accept revoked credentials (always false for the kiosk).
    pub allow_revoked: bool,
    /// Require the issuer's linked domain to be verified.
    pub validate_linked_domain: bool,
    /// Face Check request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub face_check: Option<FaceCheck>,
}

/// `…configuration`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CredentialConfiguration {
    /// `validation`.
    pub validation: Validation,
}

/// `…constraints[]`: exactly one of `values`, `contains`, `startsWith`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Constraint {
    /// Claim name in the VC.
    pub claim_name: String,
    /// Match if the claim equals any value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<String>>,
    /// Substring match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contains: Option<String>,
    /// Prefix match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starts_with: Option<String>,
}

/// `requestedCredentials[]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestedCredential {
    /// VC type, e.g. `verifiedIdentity`.
    #[serde(rename = "type")]
    pub credential_type: String,
    /// Not used by Authenticator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    /// Allowed issuer DIDs (empty = any).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accepted_issuers: Vec<String>,
    /// Validation options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration: Option<CredentialConfiguration>,
    /// Claim constraints (AND-ed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub constraints: Vec<Constraint>,
}

impl RequestedCredential {
    /// The kiosk's credential request: one type from accepted issuers, never revoked, linked
    /// domain validated, Face Check against `photo_claim` at `threshold`.
    pub fn with_face_check(
        credential_type: impl Into<String>,
        accepted_issuers: Vec<String>,
        photo_claim: impl Into<String>,
        threshold: u8,
    ) -> Self {
        Self {
            credential_type: credential_type.into(),
            purpose: None,
            accepted_issuers,
            configuration: Some(CredentialConfiguration {
                validation: Validation {
                    allow_revoked: false,
                    validate_linked_domain: true,
                    face_check: Some(FaceCheck {
                        source_photo_claim_name: photo_claim.into(),
                        match_confidence_threshold: Some(threshold),
                    }),
                },
            }),
            constraints: Vec::new(),
        }
    }
}

/// Body of `createPresentationRequest` (§2.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PresentationRequest {
    /// Verifier DID (the profile's `verifierDid`).
    pub authority: String,
    /// Ask for `qrCode` in the response.
    #[serde(rename = "includeQRCode")]
    pub include_qr_code: bool,
    /// Always false for the kiosk (receipts are debug-only and conflict with Face Check).
    pub include_receipt: bool,
    /// Display name and purpose.
    pub registration: Registration,
    /// Where the service posts events.
    pub callback: Callback,
    /// What to present.
    pub requested_credentials: Vec<RequestedCredential>,
}

/// Body of `createIssuanceRequest` (§2.8).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuanceRequest {
    /// Issuer DID.
    pub authority: String,
    /// Kept explicit (the documented default differs between pages).
    #[serde(rename = "includeQRCode", default, skip_serializing_if = "Option::is_none")]
    pub include_qr_code: Option<bool>,
    /// Where the service posts events.
    pub callback: Callback,
    /// Issuer display name.
    pub registration: Registration,
    /// VC type from the contract.
    #[serde(rename = "type")]
    pub credential_type: String,
    /// Contract manifest URL (sent as `manifest`; some newer examples say `manifestUrl`).
    #[serde(alias = "manifestUrl")]
    pub manifest: String,
    /// idTokenHint claims (personal data).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<BTreeMap<String, SensitiveValue>>,
    /// idTokenHint PIN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin: Option<Pin>,
    /// ISO-8601 UTC override of the contract validity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_date: Option<String>,
}

/// `pin` of an issuance request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pin {
    /// Plain or base64 salted hash.
    pub value: Secret,
    /// `numeric` (default).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub pin_type: Option<String>,
    /// 4–16, default 6.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<u8>,
    /// Salt for the hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salt: Option<String>,
    /// `sha256`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    /// `1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iterations: Option<u32>,
}

/// The hashed PIN value (issuance-request-api; `microsoft-apis-v2.md` §5.3):
/// `Base64(SHA-256(UTF-8(salt + pin)))`, the salt prepended.
pub fn hash_pin(salt: &str, pin: &Secret) -> Secret {
    use base64::Engine as _;
    use sha2::Digest as _;
    let input = zeroize::Zeroizing::new(format!("{salt}{}", pin.expose()));
    Secret::new(
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(input.as_bytes())),
    )
}

impl Pin {
    /// A hashed PIN: `value` = [`hash_pin`]`(salt, pin)`, `type: numeric`, `length` = the PIN's
    /// digits, `salt`, `alg: sha256`, `iterations: 1`. `None` unless `pin` is 4–16 ASCII digits
    /// (v1 §2.8). The clear PIN is for the kiosk's screen only, never in the QR code.
    pub fn hashed(pin: &Secret, salt: impl Into<String>) -> Option<Pin> {
        let digits = pin.expose();
        if !(4..=16).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let salt = salt.into();
        Some(Pin {
            value: hash_pin(&salt, pin),
            pin_type: Some("numeric".to_owned()),
            length: u8::try_from(digits.len()).ok(),
            salt: Some(salt),
            alg: Some("sha256".to_owned()),
            iterations: Some(1),
        })
    }

    /// [`Pin::hashed`] with a fresh random salt (a UUID, as in §5.3's example).
    pub fn hashed_with_random_salt(pin: &Secret) -> Option<Pin> {
        Self::hashed(pin, uuid::Uuid::new_v4().to_string())
    }

    /// A random numeric PIN of `length` digits (4–16, clamped) to show on the kiosk's screen.
    pub fn random_digits(length: u8) -> Secret {
        use rand::Rng as _;
        let mut rng = rand::rng();
        let n = length.clamp(4, 16);
        let digits: String = (0..n).map(|_| char::from(b'0' + rng.random_range(0..10u8))).collect();
        Secret::new(digits)
    }
}

/// 201 response of both create calls (§2.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PresentationResponse {
    /// Appears in every callback.
    pub request_id: String,
    /// `openid-vc://?request_uri=…` deep link.
    pub url: String,
    /// Unix epoch seconds after which the request is dead.
    pub expiry: i64,
    /// `data:image/png;base64,…` when `includeQRCode` was true.
    #[serde(default, rename = "qrCode", skip_serializing_if = "Option::is_none")]
    pub qr_code: Option<String>,
}

/// Same shape as [`PresentationResponse`].
pub type IssuanceResponse = PresentationResponse;

/// Request Service client. Cheap to clone.
#[derive(Debug, Clone)]
pub struct RequestServiceClient {
    http: AuthedHttp,
    base: Url,
}

/// Builder for [`RequestServiceClient`].
#[derive(Debug, Default)]
pub struct RequestServiceClientBuilder {
    base_url: Option<String>,
    tokens: Option<Arc<TokenSource>>,
    http: Option<reqwest::Client>,
    retry: Option<RetryPolicy>,
    scope: Option<String>,
}

impl RequestServiceClientBuilder {
    /// Host root; default `https://verifiedid.did.msidentity.com` (the client appends `/v1.0/…`).
    pub fn base_url(mut self, base: impl AsRef<str>) -> Self {
        self.base_url = Some(base.as_ref().to_owned());
        self
    }
    /// Token source (required).
    pub fn token_source(mut self, tokens: Arc<TokenSource>) -> Self {
        self.tokens = Some(tokens);
        self
    }
    /// HTTP client (default: [`crate::default_http_client`]).
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }
    /// Retry policy.
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = Some(retry);
        self
    }
    /// Token scope (default [`REQUEST_SERVICE_SCOPE`]).
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }
    /// Builds the client.
    pub fn build(self) -> Result<RequestServiceClient, EntraError> {
        let raw = self.base_url.as_deref().unwrap_or(crate::MICROSOFT_REQUEST_SERVICE);
        let base = crate::parse_http_url("requestService", raw.trim_end_matches('/'))?;
        Ok(RequestServiceClient {
            http: AuthedHttp {
                http: match self.http {
                    Some(http) => http,
                    None => crate::default_http_client()?,
                },
                tokens: self.tokens.ok_or(ConfigError::Missing("token_source"))?,
                scope: self.scope.unwrap_or_else(|| REQUEST_SERVICE_SCOPE.to_owned()),
                service: Service::RequestService,
                retry: self.retry.unwrap_or_default(),
            },
            base,
        })
    }
}

impl RequestServiceClient {
    /// Starts a builder.
    pub fn builder() -> RequestServiceClientBuilder {
        RequestServiceClientBuilder::default()
    }

    async fn create<B: Serialize>(
        &self,
        operation: &'static str,
        path: &str,
        body: &B,
    ) -> Result<PresentationResponse, EntraError> {
        let call = Call {
            operation,
            method: Method::POST,
            url: crate::join(&self.base, path)?,
            body: Some(json_body(operation, body)?),
            // The contract's success is exactly 201; anything else is an error.
            expect: &[201],
            // Safe to repeat: see the `retry` module docs.
            retry: true,
            eventual: false,
        };
        self.http.call(&call).await?.json(operation)
    }

    /// `POST /v1.0/verifiableCredentials/createPresentationRequest` → 201
    /// `{requestId, url, expiry, qrCode?}`.
    pub async fn create_presentation_request(
        &self,
        request: &PresentationRequest,
    ) -> Result<PresentationResponse, EntraError> {
        self.create(
            "request_service.create_presentation_request",
            "v1.0/verifiableCredentials/createPresentationRequest",
            request,
        )
        .await
    }

    /// `POST /v1.0/verifiableCredentials/createIssuanceRequest` → 201
    /// `{requestId, url, expiry, qrCode?}`.
    pub async fn create_issuance_request(
        &self,
        request: &IssuanceRequest,
    ) -> Result<IssuanceResponse, EntraError> {
        self.create(
            "request_service.create_issuance_request",
            "v1.0/verifiableCredentials/createIssuanceRequest",
            request,
        )
        .await
    }
}
