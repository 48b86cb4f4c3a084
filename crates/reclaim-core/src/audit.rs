//! Audit events: one JSON line each, pseudonymous (`account_ref`), never names, claims, photos or the TAP.

use std::fmt;

use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;
use time::OffsetDateTime;
use uuid::Uuid;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::reason::{EligibilityCause, ReasonCode};
use crate::secret::Upn;

/// The station's audit key (HMAC-SHA256 key for account pseudonyms). Redacted, zeroed on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct AuditKey(Vec<u8>);

impl AuditKey {
    /// Wraps key bytes.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Self(bytes.into())
    }

    /// The key bytes, for other keyed pseudonyms (the limits' document keys).
    pub fn expose_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuditKey(<redacted>)")
    }
}

/// Hex of HMAC-SHA256(station audit key, lowercase UPN) truncated to 16 bytes (32 hex chars).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct AccountRef(String);

impl AccountRef {
    /// Computes the pseudonym.
    pub fn compute(key: &AuditKey, upn: &Upn) -> Self {
        let lower = upn.to_lowercase_secret();
        // HMAC accepts keys of any length; the error branch cannot happen.
        let digest = match Hmac::<Sha256>::new_from_slice(&key.0) {
            Ok(mut mac) => {
                mac.update(lower.expose().as_bytes());
                mac.finalize().into_bytes().to_vec()
            }
            Err(_) => vec![0; 32],
        };
        Self(digest[..16].iter().map(|b| format!("{b:02x}")).collect())
    }

    /// The hex string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How the person scans their ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanPath {
    /// QR handoff to the phone.
    Phone,
    /// The kiosk's camera.
    Camera,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum AuditKind {
    /// The person touched the attract screen.
    Started,
    /// Eligibility decided (profile id or the internal cause).
    ProfileResolved {
        /// Winning profile id, if eligible.
        #[serde(skip_serializing_if = "Option::is_none")]
        profile_id: Option<String>,
        /// Evaluation mode of that profile.
        evaluation_mode: bool,
        /// Internal cause when not eligible.
        #[serde(skip_serializing_if = "Option::is_none")]
        cause: Option<EligibilityCause>,
    },
    /// A provider was picked.
    ProviderChosen {
        /// Provider id.
        provider: String,
        /// Phone or camera.
        path: ScanPath,
    },
    /// The provider issued the credential.
    IdentityIssued {
        /// Provider id.
        provider: String,
    },
    /// Link-only provider: the person said the credential is in Authenticator (no provider
    /// confirmed it; the presentation's issuer and `issuanceDate` are checked against the
    /// session).
    AddedToWallet {
        /// Provider id.
        provider: String,
    },
    /// A provider return without a valid proof for the pending hand-off was refused; the
    /// session did not move.
    ProviderReturnRefused {
        /// Provider id.
        provider: String,
        /// Why (`no_proof`, `wrong_request`, `bad_proof`, `proof_expired`, `malformed`, …).
        cause: String,
    },
    /// A presentation request was asked for.
    PresentationRequested {
        /// 1-based attempt.
        attempt: u8,
    },
    /// The credential passed the pure checks (Face Check, issuer, revocation, type).
    PresentationVerified {
        /// Face Check score.
        face_check_score: f64,
        /// Face Check threshold applied.
        threshold: u8,
    },
    /// The presentation failed.
    PresentationFailed {
        /// Why.
        reason: ReasonCode,
        /// Request Service error code (sanitised), if any.
        #[serde(skip_serializing_if = "Option::is_none")]
        service_code: Option<String>,
        /// The Face Check score, when a failed check carried one (the audit keeps it; the
        /// kiosk never sees it).
        #[serde(skip_serializing_if = "Option::is_none")]
        face_check_score: Option<f64>,
    },
    /// The presented credential is not this session's: the session issued a credential, and
    /// this one is from another provider or was issued before the session began (a relayed
    /// presentation QR). Refused with the neutral `presentation_failed`; no TAP.
    CredentialNotSessionBound {
        /// What does not fit.
        cause: BindingFailure,
    },
    /// A limit refused to go on (the session ends `rate_limited`).
    LimitReached {
        /// Which counter is full.
        scope: LimitScope,
    },
    /// Claims matched this account, the name is unique, the account is enabled and a member.
    Matched,
    /// The organisation's records agreed (the second binding and/or the claim-validation
    /// extension, see [`crate::records`]).
    RecordsConfirmed,
    /// The organisation's records refused: which check (claim keys at most, never values).
    RecordsRefused {
        /// Which check, and the claim keys the extension named.
        refusal: crate::records::RecordsRefusal,
    },
    /// The person chose to present a credential they already hold (no ID scan this session).
    ExistingCredentialChosen {
        /// The choice (`profile` or a site rule's id; never a claim).
        choice: String,
    },
    /// The person asked for a member of staff after an automated check failed.
    RefereeRequested {
        /// The check that failed.
        reason: ReasonCode,
    },
    /// A referee decided the case.
    RefereeDecided {
        /// The referee's directory object id (from their sign-in to the console).
        referee: String,
        /// Approved (a TAP follows if the account's fresh facts allow it) or refused.
        approved: bool,
        /// The referee chose another account than the one typed (a duplicate name).
        other_account: bool,
    },
    /// Not matched or not validated.
    NotMatched {
        /// Why.
        reason: ReasonCode,
    },
    /// A TAP was created (never the code).
    TapIssued {
        /// Lifetime in minutes.
        lifetime_in_minutes: u32,
        /// One-time.
        is_usable_once: bool,
    },
    /// Verified in evaluation mode; nothing issued.
    EvaluationOnly,
    /// The account holds a directory role on the refusal list: refused with the neutral answer.
    PrivilegedRoleRefused {
        /// When the role was seen.
        stage: RoleCheckStage,
    },
    /// The facts read again right before the TAP no longer allow it (the account was disabled,
    /// left the recovery or TAP group, a policy was turned off, …): refused with the neutral
    /// answer, no TAP.
    ScopeChanged {
        /// What changed since eligibility.
        cause: EligibilityCause,
    },
    /// A TAP that was created (or may have been) was not confirmed noted: it is to be deleted.
    TapDeletionRequested {
        /// The method id is known (`false`: the creation's answer is missing, so the user's
        /// passes created since this session's attempt are looked up and deleted).
        method_known: bool,
    },
    /// The unconfirmed TAP was deleted through Graph (or was already gone).
    TapDeleted {
        /// How many passes were deleted (0: nothing was left to delete).
        deleted: u32,
    },
    /// Deleting the unconfirmed TAP failed.
    TapDeletionFailed {
        /// Attempts made so far.
        attempts: u32,
        /// No more attempts will be made (the pass stays valid until it expires).
        gave_up: bool,
    },
    /// The owner was told of the recovery (Graph `sendMail` accepted the notice).
    RecoveryNotified {
        /// How many addresses it went to (the user's, and their manager's when configured).
        recipients: u32,
        /// The manager was among them.
        manager: bool,
    },
    /// Telling the owner failed (the TAP screen is not affected).
    RecoveryNotificationFailed {
        /// Attempts made so far.
        attempts: u32,
        /// No more attempts will be made.
        gave_up: bool,
    },
    /// The user's sign-in sessions were revoked after the recovery (`revokeSignInSessions`).
    SessionsRevoked,
    /// Revoking the user's sign-in sessions failed.
    SessionRevocationFailed {
        /// Attempts made so far.
        attempts: u32,
        /// No more attempts will be made.
        gave_up: bool,
    },
    /// The session ended.
    Ended {
        /// Why.
        reason: ReasonCode,
        /// The helpdesk reference shown.
        reference: String,
    },
    /// The session's memory was wiped.
    Wiped,
}

/// Why a presented credential is not the one this session issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BindingFailure {
    /// Another issuer than the provider the session used.
    OtherIssuer,
    /// Issued before the session began.
    IssuedBeforeSession,
    /// The callback carries no (readable) `issuanceDate`.
    NoIssuanceDate,
}

/// The counters of the service's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitScope {
    /// Attempts per account.
    Account,
    /// Attempts per station.
    Station,
    /// Verified presentations per document (hashed number).
    Document,
    /// Face Checks per identity verification at a provider.
    ProviderSession,
    /// Billed Face Checks per station per day.
    FaceCheckBudget,
}

impl LimitScope {
    /// The snake_case name (logs).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Account => "account",
            Self::Station => "station",
            Self::Document => "document",
            Self::ProviderSession => "provider_session",
            Self::FaceCheckBudget => "face_check_budget",
        }
    }
}

/// When a refused directory role was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RoleCheckStage {
    /// At eligibility, before any paid step.
    Eligibility,
    /// Read again right before the TAP would be created.
    BeforeTap,
}

/// One audit record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEvent {
    /// When (RFC 3339, UTC).
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The kiosk.
    pub station_id: String,
    /// The session.
    pub session_id: Uuid,
    /// Account pseudonym, once a UPN was typed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_ref: Option<AccountRef>,
    /// What happened.
    #[serde(flatten)]
    pub kind: AuditKind,
}

impl AuditEvent {
    /// One JSON line (no trailing newline).
    pub fn to_json_line(&self) -> String {
        serde_json::to_string(self)
            .unwrap_or_else(|_| String::from("{\"event\":\"unserializable\"}"))
    }
}

/// Keeps only a short ASCII identifier from an external error code (no free text).
pub fn sanitize_code(code: &str) -> Option<String> {
    let s: String =
        code.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').take(64).collect();
    (!s.is_empty()).then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn account_ref_is_lowercase_hmac_truncated() {
        let key = AuditKey::new(b"station-key".to_vec());
        let a = AccountRef::compute(&key, &Upn::new("Ana.Lima@Contoso.example"));
        let b = AccountRef::compute(&key, &Upn::new("ana.lima@contoso.example"));
        assert_eq!(a, b);
        assert_eq!(a.as_str().len(), 32);
        assert!(a.as_str().chars().all(|c| c.is_ascii_hexdigit()));
        let other = AccountRef::compute(
            &AuditKey::new(b"other".to_vec()),
            &Upn::new("ana.lima@contoso.example"),
        );
        assert_ne!(a, other);
    }

    #[test]
    fn json_line_shape() {
        let e = AuditEvent {
            at: datetime!(2026-08-20 12:00:03 UTC),
            station_id: "kiosk-07".into(),
            session_id: Uuid::nil(),
            account_ref: Some(AccountRef("00112233445566778899aabbccddeeff".into())),
            kind: AuditKind::Ended {
                reason: ReasonCode::NameMismatch,
                reference: "RC-NAME_MISMATCH-AAAAAAAA".into(),
            },
        };
        assert_eq!(
            e.to_json_line(),
            r#"{"at":"2026-08-20T12:00:03Z","station_id":"kiosk-07","session_id":"00000000-0000-0000-0000-000000000000","account_ref":"00112233445566778899aabbccddeeff","event":"ended","reason":"name_mismatch","reference":"RC-NAME_MISMATCH-AAAAAAAA"}"#
        );
    }

    #[test]
    fn sanitize() {
        assert_eq!(sanitize_code("claimValidationError").as_deref(), Some("claimValidationError"));
        assert_eq!(sanitize_code("Ana Lima <x>").as_deref(), Some("AnaLimax"));
        assert_eq!(sanitize_code("  "), None);
    }
}
