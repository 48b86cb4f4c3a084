//! The trusted referee (NIST SP 800-63A-4: a referee path SHALL exist when automated checks
//! fail): when a check a person could pass in front of a member of staff fails (the names, the
//! duplicate search, the organisation's records, Face Check), a production station with
//! `[recovery] referee = true` offers "ask for a member of staff" instead of ending. Asked, the
//! session opens a [`RefereeCase`] (what the referee needs: the reason, the credential's names
//! and portrait, the directory candidates) and waits up to `timeouts.referee_secs` for a
//! [`RefereeDecision`]. An approval names the account (the one typed, or a candidate of the
//! case); the same fresh directory checks as before any TAP then run for that account (enabled
//! member, no refused role, a production profile reaches it, the TAP policy covers it), so a
//! referee cannot hand a privileged or out-of-scope account a pass. The referee's identity goes
//! to the audit; the case (and with it the portrait) is closed at the decision or the wipe.

use time::OffsetDateTime;
use uuid::Uuid;

use crate::model::DirectoryUser;
use crate::reason::ReasonCode;
use crate::secret::PersonName;

/// Which automated failures a referee may overrule: those a person at the station can show
/// wrong with their document in hand. Not the limits, not eligibility (privileged roles,
/// profiles, policy), not the provider's own refusal.
pub fn referee_may_decide(reason: ReasonCode) -> bool {
    matches!(
        reason,
        ReasonCode::NameMismatch
            | ReasonCode::DuplicateName
            | ReasonCode::RecordsMismatch
            | ReasonCode::DirectoryNameBlank
            | ReasonCode::FaceCheckFailed
    )
}

/// What a member of staff can do for the person on the "could not complete" screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StaffHelp {
    /// Nothing (referee off, or a failure a referee cannot overrule).
    #[default]
    None,
    /// The person may ask for a member of staff.
    Offered,
    /// A member of staff was asked; the case waits in the console.
    Waiting,
}

/// The credential's portrait (base64 JPEG as the credential carries it). Personal data:
/// redacted `Debug`, zeroed on drop; it exists only while the case is open.
#[derive(Clone, PartialEq, Eq, zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
pub struct Portrait(String);

impl Portrait {
    /// Wraps the claim's value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value, for the one place that shows it (the referee's case page).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Portrait {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Portrait(<redacted>)")
    }
}

/// What the credential said, for the referee (only what the profile binds, and the portrait).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseCredential {
    /// The claim bound to `givenName`.
    pub given_name: Option<PersonName>,
    /// The claim bound to `surname`.
    pub surname: Option<PersonName>,
    /// The Face Check source photo claim.
    pub portrait: Option<Portrait>,
}

/// A case waiting for a referee. Personal data throughout: it lives in memory while the case is
/// open and reaches only a signed-in operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefereeCase {
    /// The session.
    pub session_id: Uuid,
    /// The station.
    pub station_id: String,
    /// The reference the kiosk shows (the staff member finds the case by it).
    pub reference: String,
    /// Why the automated check failed.
    pub reason: ReasonCode,
    /// When the person asked.
    pub opened_at: OffsetDateTime,
    /// The account the person typed.
    pub typed: DirectoryUser,
    /// Other enabled member users the credential matches (duplicate names).
    pub candidates: Vec<DirectoryUser>,
    /// The credential (absent when Face Check failed: no claims come back then).
    pub credential: Option<CaseCredential>,
}

impl RefereeCase {
    /// Whether an approval may name this account.
    pub fn offers(&self, user_id: &str) -> bool {
        self.typed.id == user_id || self.candidates.iter().any(|c| c.id == user_id)
    }
}

/// A referee's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefereeDecision {
    /// Issue a TAP to this account (the typed one or a candidate of the case).
    Approve {
        /// Graph user id of the account.
        user_id: String,
        /// The referee (their directory object id, from the sign-in).
        referee: String,
    },
    /// Refuse.
    Refuse {
        /// The referee.
        referee: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_failures_a_person_can_show_wrong_go_to_a_referee() {
        assert!(referee_may_decide(ReasonCode::DuplicateName));
        assert!(referee_may_decide(ReasonCode::FaceCheckFailed));
        assert!(!referee_may_decide(ReasonCode::NotEligible));
        assert!(!referee_may_decide(ReasonCode::RateLimited));
        assert!(!referee_may_decide(ReasonCode::TapPolicyRefused));
    }

    #[test]
    fn the_portrait_is_redacted() {
        assert_eq!(format!("{:?}", Portrait::new("/9j/4AAQ")), "Portrait(<redacted>)");
    }
}
