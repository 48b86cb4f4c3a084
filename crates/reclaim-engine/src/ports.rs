//! The ports the orchestrator drives: directory, Request Service, identity provider, relay
//! events, clock and audit. Real adapters live in [`crate::adapters`]; tests may plug in fakes.
//!
//! Every method returns a boxed `Send` future so the ports can be held as `Arc<dyn …>`.
//! Failures are reported with the core's coarse [`AdapterFailure`] / [`TapFailure`]; adapters log
//! the details (without personal data, keys or the TAP) with `tracing`.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures::stream::BoxStream;
use reclaim_core::{
    AdapterFailure, AuditEvent, EligibilityResult, NameCandidates, NameQuery, NameSearch,
    PresentationSpec, ProviderEvent, TapCode, TapFailure, TapRequest, Upn,
};
use reclaim_entra::Secret;
use time::OffsetDateTime;

use crate::view::{DocumentKind, Shot};

/// A boxed, `Send` future: what every port method returns.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The directory (Microsoft Graph): eligibility facts, the name search, the TAP.
pub trait Directory: Send + Sync + fmt::Debug {
    /// Everything the core needs to decide eligibility for a typed UPN: the user, the policy
    /// groups they belong to (`checkMemberGroups` over the groups the core says to check plus
    /// the TAP policy's), the VerifiableCredentials and TemporaryAccessPass policies, and every
    /// verifiedIdProfile.
    fn eligibility<'a>(&'a self, upn: &'a Upn) -> BoxFuture<'a, EligibilityResult>;

    /// Every user a credential could match: the users holding each exact first + last name pair,
    /// and the enabled members the word search finds (`$search`, [`NameSearch`]); `complete`
    /// false when a search had more candidates than the adapter reads, or could not be
    /// expressed. The core runs the profile's matcher on every candidate.
    fn users_by_name<'a>(
        &'a self,
        queries: &'a [NameQuery],
        search: &'a NameSearch,
    ) -> BoxFuture<'a, Result<NameCandidates, AdapterFailure>>;

    /// Creates the TAP without ever creating two (see `GraphClient::create_tap_safely`).
    fn create_tap<'a>(
        &'a self,
        user_id: &'a str,
        request: TapRequest,
    ) -> BoxFuture<'a, Result<IssuedTap, TapFailure>>;

    /// The facts that allow a TAP, read again by user id right before it is created: what
    /// [`eligibility`](Self::eligibility) reads (the user, policy groups, both policies, the
    /// profiles, and the template ids of every directory role held: active, through a
    /// role-assignable group, eligible). A failure must be reported as such (the core then
    /// refuses), never as "no roles" or "no groups".
    fn fresh_facts<'a>(&'a self, user_id: &'a str) -> BoxFuture<'a, EligibilityResult>;

    /// The method ids of the user's TAPs created at or after `since` (or without a creation
    /// time): the ones a session whose creation answer was lost may have created.
    fn taps_created_since<'a>(
        &'a self,
        user_id: &'a str,
        since: OffsetDateTime,
    ) -> BoxFuture<'a, Result<Vec<String>, AdapterFailure>>;

    /// Deletes one TAP method; a pass that is already gone (404) counts as deleted.
    fn delete_tap<'a>(
        &'a self,
        user_id: &'a str,
        method_id: &'a str,
    ) -> BoxFuture<'a, Result<(), AdapterFailure>>;

    /// Pre-flight: the token endpoint answers and accepts the station's credentials.
    fn probe(&self) -> BoxFuture<'_, Result<(), AdapterFailure>>;
}

/// A TAP as Graph created it.
#[derive(Debug)]
pub struct IssuedTap {
    /// The pass (secret; zeroed on drop).
    pub code: TapCode,
    /// The authentication method id (to delete the pass if it is not confirmed noted).
    pub method_id: String,
    /// `startDateTime` (or the creation time when Graph gives none).
    pub starts_at: OffsetDateTime,
    /// `lifetimeInMinutes`.
    pub lifetime_in_minutes: u32,
}

impl IssuedTap {
    /// When the pass stops working.
    pub fn expires_at(&self) -> OffsetDateTime {
        self.starts_at + time::Duration::minutes(i64::from(self.lifetime_in_minutes))
    }
}

/// Where the Request Service must post the callbacks of one request.
#[derive(Debug, Clone)]
pub struct CallbackTarget {
    /// `callback.url` (the relay's intake).
    pub url: String,
    /// `callback.state`.
    pub state: String,
    /// `callback.headers.api-key` (secret).
    pub api_key: Secret,
}

/// A created presentation request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedPresentation {
    /// `requestId`.
    pub request_id: String,
    /// `openid-vc://…` deep link for the QR.
    pub url: String,
    /// `expiry`, epoch seconds (the service's clock).
    pub expiry: i64,
}

/// The Verified ID Request Service.
pub trait PresentationService: Send + Sync + fmt::Debug {
    /// `createPresentationRequest` for the core's spec, calling back to `callback`.
    fn create<'a>(
        &'a self,
        spec: &'a PresentationSpec,
        callback: &'a CallbackTarget,
    ) -> BoxFuture<'a, Result<CreatedPresentation, AdapterFailure>>;
}

/// What the kiosk signs into a provider's hosted one-time link.
#[derive(Debug, Clone)]
pub struct HostedLinkRequest {
    /// Our correlation id; the provider sends it back on the return URL.
    pub request_id: String,
    /// Where the provider sends the phone when done (the relay's one-time return URL).
    pub return_url: String,
    /// The return registration's state: the provider's return proof binds it.
    pub state: String,
    /// When the link stops working (the scan-ID step's deadline).
    pub expires_at: OffsetDateTime,
}

/// The hand-off a provider return must prove it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedReturn {
    /// The request id the link carried.
    pub request_id: String,
    /// The return registration's state (the relay's return URL ends with it).
    pub state: String,
}

/// Why a provider return was refused (no proof, or one that does not hold for this hand-off).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReturnRefused {
    /// No `proof` (or no `exp`) on the return.
    #[error("the return carries no proof")]
    NoProof,
    /// The fields are not what the contract allows (status, reason, exp, proof encoding).
    #[error("the return is malformed")]
    Malformed,
    /// Another request id than the one this hand-off's link carried.
    #[error("the return names another request")]
    WrongRequest,
    /// The proof's `exp` has passed.
    #[error("the return's proof has expired")]
    Expired,
    /// The proof does not verify for this provider, request, state, status and reason.
    #[error("the return's proof does not verify")]
    BadProof,
    /// No hosted flow is configured for the provider.
    #[error("no hosted flow is configured for this provider")]
    UnknownProvider,
}

impl ReturnRefused {
    /// A short code for the audit trail.
    pub fn code(self) -> &'static str {
        match self {
            Self::NoProof => "no_proof",
            Self::Malformed => "malformed",
            Self::WrongRequest => "wrong_request",
            Self::Expired => "proof_expired",
            Self::BadProof => "bad_proof",
            Self::UnknownProvider => "unknown_provider",
        }
    }
}

/// An open capture session at a provider (camera path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureSession {
    /// Provider id.
    pub provider: String,
    /// The provider's session id.
    pub id: String,
    /// The document type the session was opened for.
    pub document: DocumentKind,
    /// The provider wants the back of the document too.
    pub needs_back: bool,
}

/// How bad a provider's refusal of an image or document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectionKind {
    /// The image could not be used (blur, glare, no code found): take it again.
    Retake,
    /// The document is of another type than the session was opened for.
    WrongDocumentType,
    /// The document itself is refused (forged, unknown, expired, not accepted).
    Refused,
}

/// A provider's refusal, with its reason code (a short identifier, no personal data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// How to go on.
    pub kind: RejectionKind,
    /// The provider's reason code, e.g. `no_code_found`.
    pub code: String,
}

impl Rejection {
    /// Classifies a provider reason code.
    pub fn from_code(code: &str) -> Self {
        let kind = match code {
            "image_invalid" | "no_code_found" | "code_unreadable" | "selfie_invalid"
            | "image_too_large" => RejectionKind::Retake,
            "document_type_mismatch" => RejectionKind::WrongDocumentType,
            _ => RejectionKind::Refused,
        };
        let code = reclaim_core::audit::sanitize_code(code).unwrap_or_else(|| "unknown".into());
        Self { kind, code }
    }
}

/// Why a capture call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaptureError {
    /// The provider refused the image or document.
    Rejected(Rejection),
    /// The provider could not be reached or refused the call itself.
    Failed(AdapterFailure),
}

/// The provider's verdict on a complete capture session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Verified: add the credential to Authenticator with this `openid-vc://` deep link.
    Offered {
        /// Issuance deep link.
        url: String,
    },
    /// Refused.
    Rejected(Rejection),
}

/// Where the issuance offered after a capture stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssuanceStatus {
    /// Not yet in Authenticator.
    Pending,
    /// The credential is in Authenticator.
    Issued,
    /// The issuance failed or was declined.
    Failed,
    /// The session or the offer expired.
    Expired,
}

/// An identity-verification provider: the hosted phone flow and the capture API.
pub trait IdentityProvider: Send + Sync + fmt::Debug {
    /// Phone path: the provider's hosted one-time link (signed by the kiosk).
    fn hosted_link<'a>(
        &'a self,
        provider: &'a str,
        request: &'a HostedLinkRequest,
    ) -> BoxFuture<'a, Result<String, AdapterFailure>>;

    /// Camera path: opens a capture session for a document type.
    fn create_capture<'a>(
        &'a self,
        provider: &'a str,
        document: DocumentKind,
    ) -> BoxFuture<'a, Result<CaptureSession, CaptureError>>;

    /// Uploads one shot (PNG or JPEG); the provider checks a document side at once.
    fn upload<'a>(
        &'a self,
        session: &'a CaptureSession,
        shot: Shot,
        image: Vec<u8>,
    ) -> BoxFuture<'a, Result<(), CaptureError>>;

    /// Submits the session: verified with an issuance deep link, or rejected.
    fn submit<'a>(
        &'a self,
        session: &'a CaptureSession,
    ) -> BoxFuture<'a, Result<Verdict, CaptureError>>;

    /// Where the issuance offered by [`submit`](Self::submit) stands.
    fn status<'a>(
        &'a self,
        session: &'a CaptureSession,
    ) -> BoxFuture<'a, Result<IssuanceStatus, AdapterFailure>>;

    /// Phone path: checks the proof on the provider's return redirect (its query) for the
    /// hand-off `expected`, and says what it reports (`IdentityIssued`, `DocumentRejected` or
    /// `IssuanceFailed`). A return without a valid proof is refused; nothing may follow from it.
    fn check_return(
        &self,
        provider: &str,
        expected: &ExpectedReturn,
        query: &BTreeMap<String, String>,
    ) -> Result<ProviderEvent, ReturnRefused>;
}

/// What a pending request at the relay is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistrationKind {
    /// A presentation request's callbacks.
    Presentation,
    /// A provider's one-time return redirect.
    ProviderReturn,
}

/// A pending request to register at the relay.
#[derive(Debug, Clone)]
pub struct Registration {
    /// `callback.state` or the return link's token (≥ 16 characters for returns).
    pub state: String,
    /// The callback's `api-key` (presentations only).
    pub api_key: Option<Secret>,
    /// Epoch seconds (the relay's clock: system time).
    pub expires_at: u64,
    /// What it is for.
    pub kind: RegistrationKind,
}

/// The relay's answer to a registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    /// `callback.url` for the Request Service.
    pub callback_url: String,
    /// The one-time return URL (provider returns only).
    pub return_url: Option<String>,
}

/// An event for this station from the relay.
#[derive(Debug, Clone, PartialEq)]
pub enum StationEvent {
    /// An accepted Request Service callback (the body as received; personal data).
    Callback {
        /// `state`.
        state: String,
        /// The callback JSON.
        body: serde_json::Value,
    },
    /// The phone came back from the provider.
    ProviderReturn {
        /// The return link's state.
        state: String,
        /// Its query parameters (`requestId`, `status`, `reason`).
        query: BTreeMap<String, String>,
    },
    /// A registration expired without a terminal event.
    Expired {
        /// `state`.
        state: String,
    },
    /// Events were lost (relay restart or buffer overflow).
    Gap,
}

/// The relay: pending requests and the station's event stream.
pub trait Events: Send + Sync + fmt::Debug {
    /// Registers a pending request.
    fn register<'a>(
        &'a self,
        registration: &'a Registration,
    ) -> BoxFuture<'a, Result<Registered, AdapterFailure>>;

    /// Abandons a pending request (its buffered events are dropped).
    fn abandon<'a>(&'a self, state: &'a str) -> BoxFuture<'a, Result<(), AdapterFailure>>;

    /// The station's events, for ever (reconnecting and resuming by itself). The stream ends
    /// only when the relay refuses the station (bad credential).
    fn subscribe(&self) -> BoxStream<'static, StationEvent>;

    /// Pre-flight: the relay answers.
    fn probe(&self) -> BoxFuture<'_, Result<(), AdapterFailure>>;
}

/// The organisation's records beyond the names: the second binding's directory attribute and
/// the profile's claim-validation extension (see [`reclaim_core::records`]).
pub trait Records: Send + Sync + fmt::Debug {
    /// Reads `query.attribute` of the user (if set) and calls the extension `query.extension_id`
    /// (if set) with the matched `user` and the credential's `claims`; `correlation_id` is the
    /// session's. A failure of either is a failure (fail closed), never "no value".
    fn check<'a>(
        &'a self,
        query: &'a reclaim_core::records::RecordsQuery,
        user: &'a reclaim_core::DirectoryUser,
        claims: &'a reclaim_core::Claims,
        correlation_id: &'a str,
    ) -> BoxFuture<'a, Result<reclaim_core::records::RecordsAnswer, AdapterFailure>>;
}

/// What a sent notice reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Notified {
    /// Addresses the notice went to.
    pub recipients: u32,
    /// The user's manager was one of them.
    pub manager: bool,
}

/// After a recovery (see [`reclaim_core::notify`]): tells the account owner (and, if the site
/// wants it, their manager) and optionally revokes the user's sign-in sessions. The engine calls
/// it in a task of its own, retrying failures with backoff and auditing the outcome; the person
/// at the kiosk never waits for it.
pub trait Notifier: Send + Sync + fmt::Debug {
    /// Whether notices are sent at all (`false`: the effect is dropped, nothing is audited).
    fn enabled(&self) -> bool;

    /// Whether the user's sign-in sessions are revoked after a recovery.
    fn revokes_sessions(&self) -> bool;

    /// Revokes every sign-in session of the user (`revokeSignInSessions`).
    fn revoke_sessions<'a>(&'a self, user_id: &'a str)
    -> BoxFuture<'a, Result<(), AdapterFailure>>;

    /// Sends the notice: where the account was recovered, when, and the reference to quote.
    /// Never the TAP, a portrait or document data.
    fn notify<'a>(
        &'a self,
        notice: &'a reclaim_core::notify::RecoveryNotice,
    ) -> BoxFuture<'a, Result<Notified, AdapterFailure>>;
}

/// Session time: ticks, deadlines and the idle timer run on it, so tests can drive it by hand.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Now.
    fn now(&self) -> OffsetDateTime;
    /// Completes once `duration` has passed on this clock.
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()>;
}

/// Where audit events go.
pub trait AuditSink: Send + Sync + fmt::Debug {
    /// Writes one event (pseudonymous by construction: no names, UPN, claims or TAP).
    fn write(&self, event: &AuditEvent);
}

/// Everything the orchestrator talks to.
#[derive(Debug, Clone)]
pub struct Ports {
    /// Microsoft Graph.
    pub directory: Arc<dyn Directory>,
    /// The Verified ID Request Service.
    pub presentations: Arc<dyn PresentationService>,
    /// The identity-verification providers.
    pub provider: Arc<dyn IdentityProvider>,
    /// The relay.
    pub events: Arc<dyn Events>,
    /// Session time.
    pub clock: Arc<dyn Clock>,
    /// The audit log.
    pub audit: Arc<dyn AuditSink>,
    /// The attempt limits and the Face Check budget: one store shared by every station of a
    /// service (see [`crate::limits`]).
    pub limits: Arc<dyn crate::limits::LimitsStore>,
    /// The organisation's records (second binding, claim-validation extension).
    pub records: Arc<dyn Records>,
    /// After a recovery: the owner's notice and the session revocation.
    pub notifier: Arc<dyn Notifier>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejections_are_classified() {
        assert_eq!(Rejection::from_code("no_code_found").kind, RejectionKind::Retake);
        assert_eq!(Rejection::from_code("selfie_invalid").kind, RejectionKind::Retake);
        assert_eq!(
            Rejection::from_code("document_type_mismatch").kind,
            RejectionKind::WrongDocumentType
        );
        assert_eq!(Rejection::from_code("document_forged").kind, RejectionKind::Refused);
        assert_eq!(Rejection::from_code("Ana <b>").code, "Anab");
    }
}
