//! Reclaim's recovery as data: no I/O, no HTTP, no Tauri.
//!
//! The session state machine ([`session::step`]), profile resolution ([`profile`]), claim
//! matching ([`matching`]), TAP policy fitting ([`tap`]), reason codes ([`reason`]), audit
//! events ([`audit`]) and the engine configuration ([`config`]). Time is always passed in.

pub mod audit;
pub mod config;
pub mod existing;
pub mod matching;
pub mod model;
pub mod notify;
pub mod profile;
pub mod reason;
pub mod records;
pub mod referee;
pub mod roles;
pub mod secret;
pub mod session;
pub mod tap;

pub use audit::{
    AccountRef, AuditEvent, AuditKey, AuditKind, BindingFailure, LimitScope, RoleCheckStage,
    ScanPath,
};
pub use config::{EngineConfig, Timeouts};
pub use matching::{DirectoryAttribute, MatchOutcome, match_user, resolve_binding};
pub use model::{
    ClaimBinding, ClaimValidation, DirectoryUser, EnabledState, MatchConfidenceLevel, PolicyTarget,
    PresentedCredential, TapPolicy, VcMethodPolicy, VerifiedIdProfile,
};
pub use profile::{Resolution, groups_to_check, resolve};
pub use reason::{EligibilityCause, ReasonCode};
pub use referee::{RefereeCase, RefereeDecision, StaffHelp};
pub use secret::{Claims, PersonName, TapCode, Upn};
pub use session::{
    AdapterFailure, CallbackEvent, Effect, EligibilityFacts, EligibilityResult, Input,
    NameCandidates, NameQuery, NameSearch, PresentationSpec, Provider, ProviderEvent, ProviderKind,
    RefereeOffer, Screen, Session, State, Subject, TapCleanup, TapFailure, step,
};
pub use tap::{TapRequest, fit};

/// Errors of the core.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CoreError {
    /// A config field is out of range.
    #[error("invalid configuration: {field} {reason}")]
    InvalidConfig {
        /// Field path.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The TAP method policy is disabled.
    #[error("the Temporary Access Pass policy is disabled")]
    TapPolicyDisabled,
    /// A claim binding this build cannot evaluate (unknown `sourceAttribute`, claim path, or
    /// level). Profile configuration only: never personal data.
    #[error("unsupported claim binding: {source_attribute:?} -> {verified_id_claim:?}")]
    UnsupportedBinding {
        /// The binding's `sourceAttribute`.
        source_attribute: String,
        /// The binding's `verifiedIdClaim`.
        verified_id_claim: String,
    },
    /// The policy's lifetime range is empty once clamped to the API's.
    #[error("no valid TAP lifetime: policy minimum {min}, maximum {max}")]
    TapLifetimeUnsatisfiable {
        /// Policy minimum.
        min: u32,
        /// Policy maximum.
        max: u32,
    },
}
