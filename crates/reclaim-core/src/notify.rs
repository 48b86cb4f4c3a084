//! After a recovery: the account owner is told (NIST SP 800-63B-4: the subscriber SHALL be
//! notified of a recovery) and, if the site wants it, the user's sign-in sessions are revoked.
//!
//! The session emits [`crate::Effect::NotifyRecovery`] together with the screen that shows a
//! created TAP (production only: evaluation mode never creates one). Nothing answers it: the
//! person does not wait for the mail, and a failure to send it is audited, never shown. The
//! notice carries no personal data beyond the user's object id: no TAP, no portrait, no claims.

use time::OffsetDateTime;
use uuid::Uuid;

use crate::audit::AccountRef;

/// What the owner's notice says and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryNotice {
    /// Graph user id of the recovered account.
    pub user_id: String,
    /// The station where it happened.
    pub station_id: String,
    /// When the TAP was created (UTC).
    pub at: OffsetDateTime,
    /// The helpdesk reference of the recovery (the `tap_issued` reference of the session), to
    /// quote to the service desk.
    pub reference: String,
    /// The session (for the audit of the notice).
    pub session_id: Uuid,
    /// The account pseudonym (for the audit of the notice).
    pub account_ref: Option<AccountRef>,
}
