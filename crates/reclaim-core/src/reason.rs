//! Closed, stable reason codes for how a session ended, and the helpdesk reference built from them.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Why a session ended. Serialized snake_case; these strings are a stable contract with the UI
/// (which localises them) and the audit log. Never add personal data here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonCode {
    /// The person pressed Cancel.
    Cancelled,
    /// Nobody answered "Are you still there?".
    IdleTimeout,
    /// A step's deadline passed (other than the presentation's).
    StepTimeout,
    /// Neutral: unknown user, excluded, no profile, guest, disabled — before any proof.
    NotEligible,
    /// The identity-verification provider cannot be reached or offered nothing.
    ProviderUnavailable,
    /// The provider rejected the document.
    DocumentRejected,
    /// The provider could not issue the credential.
    IssuanceFailed,
    /// The presentation request expired before a result.
    PresentationExpired,
    /// The person declined in Authenticator.
    PresentationDeclined,
    /// The Request Service reported another presentation error.
    PresentationFailed,
    /// Face Check below threshold or missing (attempts exhausted).
    FaceCheckFailed,
    /// The credential's issuer is not the profile's accepted issuer.
    IssuerNotAccepted,
    /// The credential is not of the profile's type.
    WrongCredentialType,
    /// Revocation status not `VALID`.
    CredentialRevoked,
    /// An already-held credential is older than the site accepts (scan the ID again).
    CredentialTooOld,
    /// Credential names do not match the directory names.
    NameMismatch,
    /// Another user shares the name: staff must help.
    DuplicateName,
    /// The organisation's records do not confirm the credential (the second binding, or the
    /// claim-validation extension answered `failed`).
    RecordsMismatch,
    /// The directory has no first or last name for this account.
    DirectoryNameBlank,
    /// A member of staff (the trusted referee) checked the person and refused.
    RefereeRefused,
    /// The profile's claim bindings cannot be evaluated.
    ProfileUnsupported,
    /// The account is disabled (re-checked after proof).
    AccountDisabled,
    /// The account is not a member (guest), re-checked after proof.
    AccountNotMember,
    /// Outside the TAP policy, or the policy cannot produce a valid request.
    TapPolicyRefused,
    /// Graph refused or failed to create the TAP.
    TapCreationFailed,
    /// Graph or the Request Service is unavailable.
    ServiceUnavailable,
    /// Too many attempts (per account or station).
    RateLimited,
    /// Success in evaluation mode: verified, nothing issued.
    EvaluationModeVerified,
    /// Success: a TAP was shown.
    TapIssued,
}

impl ReasonCode {
    /// Every code, for catalogues and tests.
    pub const ALL: [ReasonCode; 29] = [
        Self::Cancelled,
        Self::IdleTimeout,
        Self::StepTimeout,
        Self::NotEligible,
        Self::ProviderUnavailable,
        Self::DocumentRejected,
        Self::IssuanceFailed,
        Self::PresentationExpired,
        Self::PresentationDeclined,
        Self::PresentationFailed,
        Self::FaceCheckFailed,
        Self::IssuerNotAccepted,
        Self::WrongCredentialType,
        Self::CredentialRevoked,
        Self::CredentialTooOld,
        Self::NameMismatch,
        Self::DuplicateName,
        Self::RecordsMismatch,
        Self::DirectoryNameBlank,
        Self::RefereeRefused,
        Self::ProfileUnsupported,
        Self::AccountDisabled,
        Self::AccountNotMember,
        Self::TapPolicyRefused,
        Self::TapCreationFailed,
        Self::ServiceUnavailable,
        Self::RateLimited,
        Self::EvaluationModeVerified,
        Self::TapIssued,
    ];

    /// The stable snake_case string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cancelled => "cancelled",
            Self::IdleTimeout => "idle_timeout",
            Self::StepTimeout => "step_timeout",
            Self::NotEligible => "not_eligible",
            Self::ProviderUnavailable => "provider_unavailable",
            Self::DocumentRejected => "document_rejected",
            Self::IssuanceFailed => "issuance_failed",
            Self::PresentationExpired => "presentation_expired",
            Self::PresentationDeclined => "presentation_declined",
            Self::PresentationFailed => "presentation_failed",
            Self::FaceCheckFailed => "face_check_failed",
            Self::IssuerNotAccepted => "issuer_not_accepted",
            Self::WrongCredentialType => "wrong_credential_type",
            Self::CredentialRevoked => "credential_revoked",
            Self::CredentialTooOld => "credential_too_old",
            Self::NameMismatch => "name_mismatch",
            Self::DuplicateName => "duplicate_name",
            Self::RecordsMismatch => "records_mismatch",
            Self::DirectoryNameBlank => "directory_name_blank",
            Self::RefereeRefused => "referee_refused",
            Self::ProfileUnsupported => "profile_unsupported",
            Self::AccountDisabled => "account_disabled",
            Self::AccountNotMember => "account_not_member",
            Self::TapPolicyRefused => "tap_policy_refused",
            Self::TapCreationFailed => "tap_creation_failed",
            Self::ServiceUnavailable => "service_unavailable",
            Self::RateLimited => "rate_limited",
            Self::EvaluationModeVerified => "evaluation_mode_verified",
            Self::TapIssued => "tap_issued",
        }
    }

    /// True for the two successful endings.
    pub fn is_success(self) -> bool {
        matches!(self, Self::EvaluationModeVerified | Self::TapIssued)
    }

    /// Refused after the person's proof passed (Face Check and the credential): the names, the
    /// account's state or the pass itself. The step indicator marks the last step for these.
    pub fn after_proof(self) -> bool {
        matches!(
            self,
            Self::NameMismatch
                | Self::DuplicateName
                | Self::RecordsMismatch
                | Self::DirectoryNameBlank
                | Self::RefereeRefused
                | Self::AccountDisabled
                | Self::AccountNotMember
                | Self::TapPolicyRefused
                | Self::TapCreationFailed
        )
    }

    /// The helpdesk reference `RC-<CODE>-<8 base32 chars of the session id>`; no personal data.
    pub fn reference(self, session_id: Uuid) -> String {
        format!("RC-{}-{}", self.as_str().to_ascii_uppercase(), base32_8(session_id))
    }
}

/// The precise internal cause behind [`ReasonCode::NotEligible`], for audit only (never shown).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EligibilityCause {
    /// No such UPN.
    UnknownUser,
    /// Globally excluded by the VerifiableCredentials policy.
    Excluded,
    /// Policy disabled or no enabled recovery profile reaches the user.
    NoProfile,
    /// External guest.
    Guest,
    /// Account disabled.
    Disabled,
    /// No station provider issues what the profile accepts.
    NoProvider,
    /// Holds a directory role on the refusal list (active, through a group, or eligible).
    PrivilegedRole,
    /// Right before the TAP: another profile (or the same one edited, or in another mode) now
    /// applies than the one the recovery started under.
    ProfileChanged,
    /// Right before the TAP: the TAP policy no longer covers the account (turned off, the account
    /// left its group or was excluded) or no longer allows the pass asked for.
    OutsideTapPolicy,
}

/// RFC 4648 base32 of the first 40 bits of the session id: 8 characters.
fn base32_8(id: Uuid) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let b = id.as_bytes();
    let bits = b[..5].iter().fold(0u64, |acc, x| (acc << 8) | u64::from(*x));
    (0..8).map(|i| char::from(ALPHABET[((bits >> (35 - 5 * i)) & 31) as usize])).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_names_are_stable() {
        for c in ReasonCode::ALL {
            let json = serde_json::to_string(&c).expect("json");
            assert_eq!(json, format!("\"{}\"", c.as_str()));
            let back: ReasonCode = serde_json::from_str(&json).expect("back");
            assert_eq!(back, c);
        }
        assert_eq!(ReasonCode::ALL.iter().filter(|c| c.is_success()).count(), 2);
    }

    #[test]
    fn reference_format() {
        let id = Uuid::from_bytes([0xff, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
        assert_eq!(ReasonCode::NameMismatch.reference(id), "RC-NAME_MISMATCH-74AAAAAA");
        let r = ReasonCode::NotEligible.reference(Uuid::nil());
        assert_eq!(r, "RC-NOT_ELIGIBLE-AAAAAAAA");
    }
}
