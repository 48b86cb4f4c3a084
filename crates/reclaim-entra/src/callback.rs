//! Request Service callback payloads (contract §2.5, §2.6, §2.8): every documented shape,
//! unknown statuses included, parsed without failing.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::secret::{Secret, SensitiveValue};

/// `requestStatus` (or the legacy `code`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RequestStatus {
    /// The wallet opened the request.
    RequestRetrieved,
    /// Presentation verified (terminal).
    PresentationVerified,
    /// Presentation failed (terminal); see `error`.
    PresentationError,
    /// Issuance succeeded (terminal).
    IssuanceSuccessful,
    /// Issuance failed (terminal); see `error`.
    IssuanceError,
    /// Anything else, kept verbatim (empty if the payload had no status at all).
    Unknown(String),
}

impl RequestStatus {
    /// The wire value.
    pub fn as_str(&self) -> &str {
        match self {
            Self::RequestRetrieved => "request_retrieved",
            Self::PresentationVerified => "presentation_verified",
            Self::PresentationError => "presentation_error",
            Self::IssuanceSuccessful => "issuance_successful",
            Self::IssuanceError => "issuance_error",
            Self::Unknown(s) => s,
        }
    }

    /// True for the terminal events.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            Self::PresentationVerified
                | Self::PresentationError
                | Self::IssuanceSuccessful
                | Self::IssuanceError
        )
    }
}

impl From<&str> for RequestStatus {
    fn from(value: &str) -> Self {
        match value {
            "request_retrieved" => Self::RequestRetrieved,
            "presentation_verified" => Self::PresentationVerified,
            "presentation_error" => Self::PresentationError,
            "issuance_successful" => Self::IssuanceSuccessful,
            "issuance_error" => Self::IssuanceError,
            other => Self::Unknown(other.to_owned()),
        }
    }
}

impl fmt::Display for RequestStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for RequestStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for RequestStatus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Ok(Self::from(s.as_str()))
    }
}

/// `error` of an error callback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallbackError {
    /// e.g. `claimValidationError`, `IssuanceFlowFailed`.
    #[serde(default)]
    pub code: String,
    /// e.g. `issuance_service_error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// `credentialState`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CredentialState {
    /// `VALID` is the documented good value.
    #[serde(default)]
    pub revocation_status: Option<String>,
}

impl CredentialState {
    /// True only for `VALID`.
    pub fn is_valid(&self) -> bool {
        self.revocation_status.as_deref() == Some("VALID")
    }
}

/// `domainValidation`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainValidation {
    /// Issuer's linked domain.
    #[serde(default)]
    pub url: Option<String>,
}

/// `faceCheck` of a verified credential (present only when Face Check passed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FaceCheckResult {
    /// Float, e.g. 88.4.
    pub match_confidence_score: f64,
    /// `HIGH` (others unconfirmed).
    #[serde(default)]
    pub source_photo_quality: Option<String>,
}

/// A string or an array of strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    /// A single value.
    One(T),
    /// An array.
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    /// As a slice.
    pub fn as_slice(&self) -> &[T] {
        match self {
            Self::One(v) => std::slice::from_ref(v),
            Self::Many(v) => v,
        }
    }
}

impl<T> Default for OneOrMany<T> {
    fn default() -> Self {
        Self::Many(Vec::new())
    }
}

/// `verifiedCredentialsData[]` item. Claims are personal data and redacted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifiedCredential {
    /// Issuer DID.
    #[serde(default)]
    pub issuer: String,
    /// e.g. `["VerifiableCredential","verifiedIdentity"]`.
    #[serde(default, rename = "type")]
    pub types: OneOrMany<String>,
    /// Claim name → value (strings; photos are base64url JPEG).
    #[serde(default)]
    pub claims: BTreeMap<String, SensitiveValue>,
    /// Revocation state.
    #[serde(default)]
    pub credential_state: Option<CredentialState>,
    /// Linked-domain validation.
    #[serde(default)]
    pub domain_validation: Option<DomainValidation>,
    /// ISO-8601 UTC, as sent.
    #[serde(default)]
    pub issuance_date: Option<String>,
    /// ISO-8601 UTC, as sent.
    #[serde(default)]
    pub expiration_date: Option<String>,
    /// Face Check result.
    #[serde(default)]
    pub face_check: Option<FaceCheckResult>,
}

impl VerifiedCredential {
    /// True if `types` contains `credential_type`.
    pub fn has_type(&self, credential_type: &str) -> bool {
        self.types.as_slice().iter().any(|t| t == credential_type)
    }
    /// A string claim by name.
    pub fn claim_str(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(SensitiveValue::as_str)
    }
    /// `issuanceDate` parsed as RFC 3339.
    pub fn issuance_date_parsed(&self) -> Option<time::OffsetDateTime> {
        parse_date(self.issuance_date.as_deref())
    }
    /// `expirationDate` parsed as RFC 3339.
    pub fn expiration_date_parsed(&self) -> Option<time::OffsetDateTime> {
        parse_date(self.expiration_date.as_deref())
    }
}

fn parse_date(raw: Option<&str>) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(raw?, &time::format_description::well_known::Rfc3339).ok()
}

/// `receipt` (debug only; format not stable). Every token is a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Receipt {
    /// `id_token`.
    #[serde(default, rename = "id_token")]
    pub id_token: Option<Secret>,
    /// `vp_token`: a string or an array of strings.
    #[serde(default, rename = "vp_token")]
    pub vp_token: Option<OneOrMany<Secret>>,
    /// `state`.
    #[serde(default)]
    pub state: Option<String>,
    /// `faceCheck` receipt JWT.
    #[serde(default)]
    pub face_check: Option<Secret>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCallback {
    #[serde(default)]
    request_id: String,
    #[serde(default)]
    request_status: Option<RequestStatus>,
    #[serde(default)]
    code: Option<RequestStatus>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    subject: Option<String>,
    #[serde(default)]
    verified_credentials_data: Vec<VerifiedCredential>,
    #[serde(default)]
    receipt: Option<Receipt>,
    #[serde(default)]
    error: Option<CallbackError>,
}

/// One callback POST body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", from = "RawCallback")]
pub struct CallbackEvent {
    /// From the create response.
    pub request_id: String,
    /// `requestStatus`, or the legacy `code` when `requestStatus` is absent.
    pub request_status: RequestStatus,
    /// Echo of `callback.state`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Holder DID (verified).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Presented credentials (verified).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub verified_credentials_data: Vec<VerifiedCredential>,
    /// Receipt, if requested.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receipt: Option<Receipt>,
    /// Error details (error events).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<CallbackError>,
}

impl From<RawCallback> for CallbackEvent {
    fn from(raw: RawCallback) -> Self {
        Self {
            request_id: raw.request_id,
            request_status: raw
                .request_status
                .or(raw.code)
                .unwrap_or_else(|| RequestStatus::Unknown(String::new())),
            state: raw.state,
            subject: raw.subject,
            verified_credentials_data: raw.verified_credentials_data,
            receipt: raw.receipt,
            error: raw.error,
        }
    }
}

impl CallbackEvent {
    /// Parses a callback body.
    pub fn from_json(body: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(body)
    }
}
