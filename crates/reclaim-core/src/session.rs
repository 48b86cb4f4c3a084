//! The pure session state machine: `step(session, input, now) -> (session, effects)`.
//!
//! ```text
//! Idle ─Begin→ Identifying ─SubmitUpn→ ResolvingEligibility ─Eligibility(ok)→ ChoosingProvider
//!   ─ChooseProvider→ ScanningId ─(IssuanceOffered)→ AwaitingIssuance ─IdentityIssued→ AwaitingPresentation
//!                    (link-only provider: ScanningId shows its onboarding page ─AddedToWallet→ AwaitingPresentation)
//!   ─PresentationCreated→ AwaitingPresentation(request id) ─Callback retrieved→ PresentationRetrieved
//!   ─Callback verified (also straight from AwaitingPresentation)→ Verifying ─UsersByName→
//!        production: CheckingFreshFacts ─FreshFacts→ IssuingTap ─TapCreated→ ShowingTap
//!                    ─Done→ Wiped(tap_issued)
//!        evaluation: EvaluationResult ─Done→ Wiped(evaluation_mode_verified)
//! any failure, Cancel, IdleTimeout, or a passed deadline → Ended{reason} → Wiped
//! ```
//!
//! "Ended" is not a resting state: the step that ends a session emits `Audit(ended)`, the
//! outcome screen, `Wipe` and `Audit(wiped)`, and returns [`State::Wiped`], which holds only the
//! reason code and the helpdesk reference. A face-check failure with attempts left goes back to
//! `AwaitingPresentation` with a new request. Inputs that do not fit the current state (a
//! callback for another request id, a duplicate, anything after `Wiped`) are ignored: the session
//! is returned unchanged with no effects.

use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::CoreError;
use crate::audit::{
    AccountRef, AuditEvent, AuditKey, AuditKind, BindingFailure, LimitScope, RoleCheckStage,
    ScanPath, sanitize_code,
};
use crate::config::EngineConfig;
use crate::existing::AcceptedCredential;
use crate::matching::{
    DirectoryAttribute, MatchOutcome, credential_value, exact_form, is_blank, match_user,
    search_words, tidy,
};
use crate::model::{
    DirectoryUser, PresentedCredential, TapPolicy, VcMethodPolicy, VerifiedIdProfile,
};
use crate::profile::{Resolution, resolve};
use crate::reason::{EligibilityCause, ReasonCode};
use crate::referee::{CaseCredential, RefereeCase, RefereeDecision, StaffHelp, referee_may_decide};
use crate::roles::holds_refused_role;
use crate::secret::{PersonName, TapCode, Upn};
use crate::tap::{TapRequest, fit};

/// An identity-verification provider this station can offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    /// Stable id (`trueid`).
    pub id: String,
    /// Shown on the card.
    pub display_name: String,
    /// Issuer DID of the credentials it issues.
    pub issuer_did: String,
    /// How the station works with it.
    pub kind: ProviderKind,
}

/// How a provider is reached.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ProviderKind {
    /// A hosted one-time link signed by the station and a signed return, and/or a capture API:
    /// the provider tells the station when the credential is issued.
    #[default]
    Api,
    /// Only the provider's own Verified ID onboarding page: no API, no signed return. Offered on
    /// the phone path only; the page is shown as a QR at once, and the person says when the
    /// credential is in Authenticator ([`Input::AddedToWallet`]). The credential's own issuer
    /// and `issuanceDate` are then all that binds it to the session.
    Link {
        /// `https://…` the provider's onboarding page (no personal data, no token).
        onboarding_url: String,
    },
}

impl Provider {
    /// The onboarding page of a link-only provider.
    pub fn onboarding_url(&self) -> Option<&str> {
        match &self.kind {
            ProviderKind::Link { onboarding_url } => Some(onboarding_url),
            ProviderKind::Api => None,
        }
    }
}

/// Why an adapter call failed (no details: the orchestrator logs those).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdapterFailure {
    /// 5xx, network, timeout.
    Unavailable,
    /// 429 / local rate limit.
    RateLimited,
    /// The service refused (4xx).
    Refused,
}

/// What the orchestrator found for a typed UPN.
#[derive(Debug, Clone, PartialEq)]
pub enum EligibilityResult {
    /// The user exists; everything needed to decide.
    Found(Box<EligibilityFacts>),
    /// No such user.
    UnknownUser,
    /// The lookups failed.
    Failed(AdapterFailure),
}

/// Directory facts for eligibility (the core decides).
#[derive(Debug, Clone, PartialEq)]
pub struct EligibilityFacts {
    /// The user as read from Graph.
    pub user: DirectoryUser,
    /// The policy group ids (from `groups_to_check` + TAP policy groups) the user belongs to.
    pub member_groups: Vec<String>,
    /// VerifiableCredentials method policy.
    pub vc_policy: VcMethodPolicy,
    /// All verifiedIdProfiles.
    pub profiles: Vec<VerifiedIdProfile>,
    /// TemporaryAccessPass method policy.
    pub tap_policy: TapPolicy,
    /// Template ids of every directory role the user holds: active (directly or through a
    /// role-assignable group) and eligible (PIM).
    pub role_template_ids: Vec<String>,
}

/// Progress reported by the provider adapter or the relay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderEvent {
    /// Phone path: the provider's hosted one-time link is ready; show it as a QR.
    LinkReady {
        /// `https://…` one-time link (signed token, no personal data).
        url: String,
    },
    /// Phone path: the person opened the link on their phone.
    PhoneOpened,
    /// Camera path: the provider offers the credential; show this deep link as a QR.
    IssuanceOffered {
        /// `openid-vc://…` deep link (no personal data).
        url: String,
    },
    /// The credential is in Authenticator.
    IdentityIssued,
    /// The provider rejected the document.
    DocumentRejected,
    /// The provider failed to issue.
    IssuanceFailed,
    /// The provider cannot be reached.
    Unavailable,
}

/// A Request Service callback (already authenticated by the relay).
#[derive(Debug, Clone, PartialEq)]
pub enum CallbackEvent {
    /// `request_retrieved`.
    Retrieved,
    /// `presentation_verified` with the first `verifiedCredentialsData` item.
    Verified(Box<PresentedCredential>),
    /// `presentation_error` with `error.code`.
    Error {
        /// e.g. `claimValidationError`.
        code: String,
    },
}

/// Why TAP creation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TapFailure {
    /// "Converged UserCredentialPolicy does not allow…", lifetime refused, guest.
    PolicyRefused,
    /// Anything else.
    Failed(AdapterFailure),
}

/// Everything that can happen to a session.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// The person touched the attract screen.
    Begin,
    /// The person entered a UPN.
    SubmitUpn(Upn),
    /// Answer to [`Effect::ResolveEligibility`].
    Eligibility(EligibilityResult),
    /// The person picked a provider and a path.
    ChooseProvider {
        /// Provider id.
        provider: String,
        /// Phone or camera.
        path: ScanPath,
    },
    /// Provider/relay progress.
    Provider(ProviderEvent),
    /// "I already have my ID in Authenticator": present this credential (a choice of
    /// [`Screen::ChooseProvider::existing`]) with Face Check, without a new ID scan.
    PresentExisting {
        /// The choice id.
        choice: String,
    },
    /// Link-only provider: the person pressed "I have added it" (the credential is in
    /// Authenticator, they say). Moves on to the presentation exactly as
    /// [`ProviderEvent::IdentityIssued`] does, with the same binding: only a credential of that
    /// provider's issuer, issued after the session began, is accepted. Ignored anywhere else.
    AddedToWallet,
    /// Answer to [`Effect::CreatePresentationRequest`].
    PresentationCreated {
        /// `requestId`.
        request_id: String,
        /// `url` for the QR.
        url: String,
    },
    /// [`Effect::CreatePresentationRequest`] failed.
    PresentationCreateFailed(AdapterFailure),
    /// A presentation callback.
    Callback {
        /// `requestId` of the callback.
        request_id: String,
        /// What it says.
        event: CallbackEvent,
    },
    /// Answer to [`Effect::FindUsersByName`]: every user the searches found.
    UsersByName(Result<NameCandidates, AdapterFailure>),
    /// Answer to [`Effect::ReadFreshFacts`]: the user, the policy groups they are in, both
    /// authentication-method policies, the profiles and the roles they hold, read again right
    /// before the TAP (the same lookups as [`Effect::ResolveEligibility`], by user id).
    FreshFacts(EligibilityResult),
    /// The person asked for a member of staff (see [`crate::referee`]).
    AskForStaff,
    /// A referee decided the open case.
    Referee(RefereeDecision),
    /// Answer to [`Effect::CheckRecords`].
    RecordsChecked(Result<crate::records::RecordsAnswer, AdapterFailure>),
    /// Answer to [`Effect::CreateTap`].
    TapCreated {
        /// The pass.
        code: TapCode,
        /// Its authentication method id (to delete it if it is not confirmed noted).
        method_id: String,
    },
    /// [`Effect::CreateTap`] failed.
    TapFailed(TapFailure),
    /// The person is done (TAP noted / evaluation result read).
    Done,
    /// Time passes (`now` is the step's argument).
    Tick,
    /// The person pressed Cancel.
    Cancel,
    /// Nobody answered "Are you still there?".
    IdleTimeout,
    /// The service's limits refuse to go on (a counter is full): the session ends
    /// `rate_limited`, the scope audited.
    LimitReached(LimitScope),
}

/// What the UI shows (the backend decides; the UI renders).
#[derive(Debug, Clone, PartialEq)]
pub enum Screen {
    /// 1. Attract.
    Attract,
    /// 2. Identify (`invalid` after a malformed UPN).
    Identify {
        /// The last entry was malformed.
        invalid: bool,
    },
    /// Checking (spinner while eligibility resolves).
    Checking,
    /// 3. Choose provider.
    ChooseProvider {
        /// Offered providers (id, display name).
        providers: Vec<(String, String)>,
        /// Credentials the person may present instead of a new ID scan (choice id, label;
        /// [`crate::existing::PROFILE_CREDENTIAL`] is the profile's own): empty unless the site
        /// allows it.
        existing: Vec<(String, String)>,
    },
    /// 4. Scan your ID.
    ScanId {
        /// Provider id.
        provider: String,
        /// Path.
        path: ScanPath,
        /// Phone path: the link to show as a QR, once ready.
        link: Option<String>,
        /// Phone path: "Opened on your phone…".
        phone_opened: bool,
    },
    /// 4b. Add the issued credential to Authenticator.
    AddToAuthenticator {
        /// Deep link.
        url: String,
    },
    /// 5. Open Authenticator (`url` once the request exists).
    OpenAuthenticator {
        /// Presentation deep link.
        url: Option<String>,
    },
    /// 5. Face Check in progress (after `request_retrieved`).
    FaceCheckInProgress,
    /// 6. Face Check result.
    FaceCheckResult {
        /// Passed. (The score and the threshold go to the audit only: a number on screen gives
        /// a spoofer something to push up.)
        passed: bool,
        /// Attempts left after this one.
        attempts_left: u8,
    },
    /// 7. The TAP (production).
    Tap {
        /// The code (secret).
        code: TapCode,
        /// Lifetime.
        lifetime_in_minutes: u32,
    },
    /// 7. Evaluation result.
    EvaluationResult,
    /// 8. Could not complete.
    CouldNotComplete {
        /// Reason code (localised by the UI).
        reason: ReasonCode,
        /// Helpdesk reference.
        reference: String,
        /// Whether a member of staff can be asked, or was.
        staff: StaffHelp,
    },
}

/// The Request Service presentation to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresentationSpec {
    /// Verifier DID (`authority`).
    pub authority: String,
    /// `requestedCredentials[].type`.
    pub credential_type: String,
    /// `acceptedIssuers[0]`.
    pub accepted_issuer: String,
    /// Face Check `matchConfidenceThreshold`.
    pub threshold: u8,
    /// Face Check `sourcePhotoClaimName`.
    pub source_photo_claim_name: String,
    /// Always false.
    pub allow_revoked: bool,
    /// Always true.
    pub validate_linked_domain: bool,
    /// `registration.purpose`, what Authenticator shows: the station and the masked account
    /// (`Reclaim station LOBBY-1 recovers a…@contoso.com`), so a person who scans a relayed
    /// QR sees that it recovers someone's account at a kiosk.
    pub purpose: String,
}

/// What the orchestrator must do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Render a screen.
    Show(Screen),
    /// Write an audit line.
    Audit(AuditEvent),
    /// Put the case before a referee (the operator console); answer [`Input::Referee`].
    OpenRefereeCase(Box<RefereeCase>),
    /// The case is decided: take it (and its portrait) off the console.
    CloseRefereeCase,
    /// Look up user, groups, policies, profiles; answer [`Input::Eligibility`].
    ResolveEligibility {
        /// Typed UPN.
        upn: Upn,
    },
    /// Phone path: create the provider's hosted link.
    StartProviderLink {
        /// Provider id.
        provider: String,
    },
    /// Camera path: start the capture.
    StartCameraCapture {
        /// Provider id.
        provider: String,
    },
    /// Create a presentation request; answer [`Input::PresentationCreated`].
    CreatePresentationRequest(PresentationSpec),
    /// Find every user the credential could match: the users holding these exact first + last
    /// names (`givenName eq … and surname eq …`, one query per pair: the identified user's
    /// directory names, and the credential's when they differ), and every enabled member user
    /// the word search finds (Graph `$search`, see [`NameSearch`]). Answer
    /// [`Input::UsersByName`] with the union (duplicates by id are harmless) and whether every
    /// candidate was read. The core then runs the profile's own matching rule on each.
    FindUsersByName {
        /// One or two name pairs.
        queries: Vec<NameQuery>,
        /// The word search.
        search: NameSearch,
    },
    /// Read the facts that allow a TAP again, right before it is created: the user, their
    /// policy groups, both authentication-method policies, the profiles and their directory
    /// roles (what [`Effect::ResolveEligibility`] reads, by user id); answer
    /// [`Input::FreshFacts`].
    ReadFreshFacts {
        /// Graph user id.
        user_id: String,
    },
    /// Check the organisation's records (see [`crate::records`]): read the second binding's
    /// directory attribute and/or call the profile's claim-validation extension with the
    /// matched user and the credential's claims; answer [`Input::RecordsChecked`].
    CheckRecords {
        /// What to look up.
        query: crate::records::RecordsQuery,
        /// The matched user (the extension's `authenticationContext.user`).
        user: DirectoryUser,
        /// The credential's claims (sent to the extension only).
        claims: crate::secret::Claims,
    },
    /// Delete a TAP that was created, or may have been, and was not confirmed noted. Emitted
    /// before the session's `Wipe`; the orchestrator carries it out after the wipe (retrying).
    DeleteTap(TapCleanup),
    /// Create the TAP; answer [`Input::TapCreated`] / [`Input::TapFailed`].
    CreateTap {
        /// Graph user id.
        user_id: String,
        /// Body.
        request: TapRequest,
    },
    /// Tell the account owner of the recovery and, if the site wants it, revoke their sign-in
    /// sessions (see [`crate::notify`]). Emitted only with the screen that shows a created TAP;
    /// nothing answers it (the person does not wait for it; a failure is audited).
    NotifyRecovery(crate::notify::RecoveryNotice),
    /// Drop and zero everything of this session: UI, camera, pending requests.
    Wipe,
}

/// A TAP to delete: by its method id when known, and/or every pass of the user created since
/// this session's creation attempt (a creation that was interrupted or whose answer was lost).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TapCleanup {
    /// Graph user id.
    pub user_id: String,
    /// The created pass's method id, when the creation's answer arrived.
    pub method_id: Option<String>,
    /// When this session asked for the TAP: passes created at or after it (less a clock-skew
    /// allowance) are this session's. `None` when the method id is known.
    pub created_since: Option<OffsetDateTime>,
    /// The session (for the audit of the deletion).
    pub session_id: Uuid,
    /// The account pseudonym (for the audit of the deletion).
    pub account_ref: Option<AccountRef>,
}

/// The word search for every user a credential could match under the profile's rule
/// (personal data). A user the rule could pair with the credential has a `givenName` that starts
/// with one of `given` (the anchor: the directory's first given-name word is always on the
/// credential) **and** a `surname` that starts with one of `surname` (its first surname word is
/// on the credential, in either field when names cross fields). The directory adapter asks Graph
/// for enabled members with `("givenName:w" OR "displayName:w" …) AND ("surname:w" OR
/// "displayName:w" …)`; the core then runs the matcher on every user found. `None`: the profile
/// does not bind that attribute, so it does not narrow the search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameSearch {
    /// Words a candidate's `givenName` may start with.
    pub given: Option<Vec<PersonName>>,
    /// Words a candidate's `surname` may start with.
    pub surname: Option<Vec<PersonName>>,
}

/// What the directory searches of [`Effect::FindUsersByName`] found.
#[derive(Debug, Clone, PartialEq)]
pub struct NameCandidates {
    /// The users found (any order; the same user may appear twice).
    pub users: Vec<DirectoryUser>,
    /// Every candidate was read (false: more than the adapter's cap, or a search it could not
    /// express). Uniqueness cannot be shown on a partial list: the session ends `duplicate_name`.
    pub complete: bool,
}

impl From<Vec<DirectoryUser>> for NameCandidates {
    /// A complete answer.
    fn from(users: Vec<DirectoryUser>) -> Self {
        Self { users, complete: true }
    }
}

/// A first + last name pair to search the directory for (personal data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameQuery {
    /// `givenName eq …`.
    pub given: PersonName,
    /// `surname eq …`.
    pub surname: PersonName,
}

/// Who is being recovered, once eligible.
#[derive(Debug, Clone, PartialEq)]
pub struct Subject {
    /// The user from Graph.
    pub user: DirectoryUser,
    /// Policy groups the user is in.
    pub member_groups: Vec<String>,
    /// Winning profile.
    pub profile: Box<VerifiedIdProfile>,
    /// Evaluation mode.
    pub evaluation_mode: bool,
    /// TAP policy.
    pub tap_policy: TapPolicy,
    /// The VerifiableCredentials policy, to re-check scope after proof.
    pub vc_policy: VcMethodPolicy,
    /// All profiles, to re-check the resolution after proof.
    pub profiles: Vec<VerifiedIdProfile>,
}

/// Session states.
#[derive(Debug, Clone, PartialEq)]
pub enum State {
    /// Attract screen.
    Idle,
    /// Typing the UPN.
    Identifying,
    /// Waiting for [`Input::Eligibility`].
    ResolvingEligibility {
        /// Typed UPN.
        upn: Upn,
    },
    /// Picking a provider.
    ChoosingProvider {
        /// Subject.
        subject: Box<Subject>,
        /// Offered provider ids.
        offered: Vec<String>,
    },
    /// Scanning the ID.
    ScanningId {
        /// Subject.
        subject: Box<Subject>,
        /// Provider id.
        provider: String,
        /// Phone or camera.
        path: ScanPath,
        /// Phone path: the hosted link, once ready.
        link: Option<String>,
    },
    /// Credential offered, waiting for it to be in Authenticator.
    AwaitingIssuance {
        /// Subject.
        subject: Box<Subject>,
        /// Provider id.
        provider: String,
    },
    /// Presentation requested (request id once created).
    AwaitingPresentation {
        /// Subject.
        subject: Box<Subject>,
        /// `requestId`.
        request_id: Option<String>,
    },
    /// `request_retrieved` seen.
    PresentationRetrieved {
        /// Subject.
        subject: Box<Subject>,
        /// `requestId`.
        request_id: String,
    },
    /// Credential accepted; waiting for the duplicate-name search.
    Verifying {
        /// Subject.
        subject: Box<Subject>,
        /// The credential (to re-match against the fresh directory record).
        credential: Box<PresentedCredential>,
    },
    /// Matched and unique: the organisation's records are being checked.
    CheckingRecords {
        /// Subject.
        subject: Box<Subject>,
        /// The credential (its claims go to the checks).
        credential: Box<PresentedCredential>,
    },
    /// Matched and unique: reading the facts that allow a TAP again before creating it.
    CheckingFreshFacts {
        /// Subject.
        subject: Box<Subject>,
    },
    /// Waiting for the TAP.
    IssuingTap {
        /// Subject.
        subject: Box<Subject>,
        /// What was asked.
        request: TapRequest,
        /// When it was asked (passes created since then are this session's).
        requested_at: OffsetDateTime,
    },
    /// Showing the TAP; `Done` confirms it was noted. The code itself is not kept: it leaves in
    /// the one [`Effect::Show`] that shows it.
    ShowingTap {
        /// Graph user id.
        user_id: String,
        /// The pass's method id.
        method_id: String,
    },
    /// Showing "verified, evaluation mode".
    EvaluationResult,
    /// A check a referee may overrule failed; "ask for a member of staff" is offered.
    RefereeOffered(Box<RefereeOffer>),
    /// The person asked; the case waits for a referee.
    AwaitingReferee(Box<RefereeOffer>),
    /// A referee approved this account: the facts that allow a TAP are being read for it.
    RefereeChecking {
        /// The subject of the session (the typed account).
        subject: Box<Subject>,
        /// The account the referee approved.
        user_id: String,
    },
    /// Over: only the reason and reference remain.
    Wiped {
        /// Why it ended.
        reason: ReasonCode,
        /// Helpdesk reference.
        reference: String,
    },
}

/// What a failed session keeps while a referee may still decide: the subject, the credential
/// (absent after a failed Face Check), the other accounts the credential matches, the reason.
#[derive(Debug, Clone, PartialEq)]
pub struct RefereeOffer {
    /// The typed account's subject.
    pub subject: Box<Subject>,
    /// The credential presented.
    pub credential: Option<Box<PresentedCredential>>,
    /// Other enabled member users the credential matches.
    pub candidates: Vec<DirectoryUser>,
    /// Why the automated check failed.
    pub reason: ReasonCode,
}

impl State {
    /// Short name for logs and tests.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Idle => "idle",
            Self::Identifying => "identifying",
            Self::ResolvingEligibility { .. } => "resolving_eligibility",
            Self::ChoosingProvider { .. } => "choosing_provider",
            Self::ScanningId { .. } => "scanning_id",
            Self::AwaitingIssuance { .. } => "awaiting_issuance",
            Self::AwaitingPresentation { .. } => "awaiting_presentation",
            Self::PresentationRetrieved { .. } => "presentation_retrieved",
            Self::Verifying { .. } => "verifying",
            Self::CheckingRecords { .. } => "checking_records",
            Self::CheckingFreshFacts { .. } => "checking_fresh_facts",
            Self::IssuingTap { .. } => "issuing_tap",
            Self::ShowingTap { .. } => "showing_tap",
            Self::EvaluationResult => "evaluation_result",
            Self::RefereeOffered(_) => "referee_offered",
            Self::AwaitingReferee(_) => "awaiting_referee",
            Self::RefereeChecking { .. } => "referee_checking",
            Self::Wiped { .. } => "wiped",
        }
    }
}

/// One person's recovery at one station.
#[derive(Debug, Clone)]
pub struct Session {
    id: Uuid,
    station_id: String,
    config: EngineConfig,
    audit_key: AuditKey,
    providers: Vec<Provider>,
    state: State,
    deadline: Option<OffsetDateTime>,
    presentation_attempts: u8,
    /// When the person touched the attract screen (a credential must be issued after it).
    began_at: Option<OffsetDateTime>,
    /// The issuer DID of the provider that issued a credential in this session: then only a
    /// credential of that issuer, issued after `began_at`, is accepted.
    issued_by: Option<String>,
    /// When the current presentation QR appeared (it is replaced after
    /// `timeouts.presentation_qr_secs`).
    qr_since: Option<OffsetDateTime>,
    taps_requested: u8,
    /// Pseudonym of the typed UPN (not personal data; cleared after the wipe is audited).
    account_ref: Option<AccountRef>,
    /// The credential already held that the person chose to present (no ID scan this session).
    existing: Option<AcceptedCredential>,
}

impl Session {
    /// A new session on the attract screen. Validates the config.
    pub fn new(
        id: Uuid,
        station_id: impl Into<String>,
        config: EngineConfig,
        audit_key: AuditKey,
        providers: Vec<Provider>,
    ) -> Result<Self, CoreError> {
        config.validate()?;
        Ok(Self {
            id,
            station_id: station_id.into(),
            config,
            audit_key,
            providers,
            state: State::Idle,
            deadline: None,
            presentation_attempts: 0,
            began_at: None,
            issued_by: None,
            qr_since: None,
            taps_requested: 0,
            account_ref: None,
            existing: None,
        })
    }

    /// Session id.
    pub fn id(&self) -> Uuid {
        self.id
    }

    /// Current state.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// When the current state times out.
    pub fn deadline(&self) -> Option<OffsetDateTime> {
        self.deadline
    }

    /// True once wiped.
    pub fn is_wiped(&self) -> bool {
        matches!(self.state, State::Wiped { .. })
    }

    /// Does the session hold names, UPN, claims or a TAP?
    pub fn holds_personal_data(&self) -> bool {
        !matches!(
            self.state,
            State::Idle | State::Identifying | State::Wiped { .. } | State::EvaluationResult
        )
    }

    fn audit(&self, now: OffsetDateTime, kind: AuditKind) -> Effect {
        Effect::Audit(AuditEvent {
            at: now,
            station_id: self.station_id.clone(),
            session_id: self.id,
            account_ref: self.account_ref.clone(),
            kind,
        })
    }

    fn enter(&mut self, state: State, now: OffsetDateTime, secs: Option<u32>) {
        self.state = state;
        self.deadline = secs.map(|s| now + Duration::seconds(i64::from(s)));
    }

    fn end(
        mut self,
        reason: ReasonCode,
        now: OffsetDateTime,
        mut effects: Vec<Effect>,
    ) -> (Session, Vec<Effect>) {
        let reference = reason.reference(self.id);
        if matches!(self.state, State::AwaitingReferee(_)) {
            // Nobody decided (cancel, timeout, a limit): the case leaves the console.
            effects.push(Effect::CloseRefereeCase);
        }
        effects.push(self.audit(now, AuditKind::Ended { reason, reference: reference.clone() }));
        effects.push(Effect::Show(if reason.is_success() {
            Screen::Attract
        } else {
            Screen::CouldNotComplete {
                reason,
                reference: reference.clone(),
                staff: StaffHelp::None,
            }
        }));
        // Replacing the state drops (and zeroes) every secret it held.
        self.state = State::Wiped { reason, reference };
        self.deadline = None;
        effects.push(Effect::Wipe);
        effects.push(self.audit(now, AuditKind::Wiped));
        self.account_ref = None;
        (self, effects)
    }

    fn deadline_reason(&self) -> ReasonCode {
        match self.state {
            State::AwaitingPresentation { .. } | State::PresentationRetrieved { .. } => {
                ReasonCode::PresentationExpired
            }
            State::ResolvingEligibility { .. }
            | State::Verifying { .. }
            | State::CheckingRecords { .. }
            | State::CheckingFreshFacts { .. } => ReasonCode::ServiceUnavailable,
            State::IssuingTap { .. } => ReasonCode::TapCreationFailed,
            State::RefereeChecking { .. } => ReasonCode::ServiceUnavailable,
            State::ScanningId { .. } | State::AwaitingIssuance { .. } => ReasonCode::StepTimeout,
            _ => self.interrupt_reason(ReasonCode::IdleTimeout),
        }
    }

    /// The reason for Cancel/idle: once the evaluation result was reached, it stands. A TAP on
    /// screen that was not confirmed noted (`Done`) is deleted, so the session did not succeed.
    fn interrupt_reason(&self, default: ReasonCode) -> ReasonCode {
        match &self.state {
            State::EvaluationResult => ReasonCode::EvaluationModeVerified,
            // The automated check's failure stands when nobody decided otherwise.
            State::RefereeOffered(offer) | State::AwaitingReferee(offer) => offer.reason,
            _ => default,
        }
    }

    /// When the session ends now, without the person's confirmation: the delete effect for a
    /// TAP that exists or may exist (being created, or shown but not confirmed), and its audit.
    fn unconfirmed_tap(&self, now: OffsetDateTime) -> Vec<Effect> {
        let cleanup = match &self.state {
            State::IssuingTap { subject, requested_at, .. } => TapCleanup {
                user_id: subject.user.id.clone(),
                method_id: None,
                created_since: Some(*requested_at),
                session_id: self.id,
                account_ref: self.account_ref.clone(),
            },
            State::ShowingTap { user_id, method_id, .. } => TapCleanup {
                user_id: user_id.clone(),
                method_id: Some(method_id.clone()),
                created_since: None,
                session_id: self.id,
                account_ref: self.account_ref.clone(),
            },
            _ => return Vec::new(),
        };
        self.tap_cleanup(cleanup, now)
    }

    fn tap_cleanup(&self, cleanup: TapCleanup, now: OffsetDateTime) -> Vec<Effect> {
        vec![
            self.audit(
                now,
                AuditKind::TapDeletionRequested { method_known: cleanup.method_id.is_some() },
            ),
            Effect::DeleteTap(cleanup),
        ]
    }

    fn presentation_spec(&self, subject: &Subject) -> PresentationSpec {
        let p = &subject.profile;
        let (credential_type, accepted_issuer, source_photo_claim_name) = match &self.existing {
            Some(e) => (e.credential_type.clone(), e.issuer.clone(), e.photo_claim.clone()),
            None => (
                p.verified_id_profile_configuration.credential_type.clone(),
                p.verified_id_profile_configuration.accepted_issuer.clone(),
                p.face_check_configuration
                    .as_ref()
                    .and_then(|f| f.source_photo_claim_name.clone())
                    .unwrap_or_else(|| "portrait".into()),
            ),
        };
        PresentationSpec {
            authority: p.verifier_did.clone(),
            credential_type,
            accepted_issuer,
            threshold: self.config.face_check_threshold,
            source_photo_claim_name,
            allow_revoked: false,
            validate_linked_domain: true,
            purpose: format!(
                "Reclaim station {} recovers {}",
                self.station_id,
                mask_upn(&subject.user.user_principal_name)
            ),
        }
    }

    /// Ends with `reason`, or, when a referee may overrule it here (production mode,
    /// `referee` on, a failure a person can show wrong), offers a member of staff and keeps
    /// what the referee will need until the offer ends.
    fn fail_or_offer(
        mut self,
        subject: Box<Subject>,
        credential: Option<Box<PresentedCredential>>,
        candidates: Vec<DirectoryUser>,
        reason: ReasonCode,
        now: OffsetDateTime,
        mut effects: Vec<Effect>,
    ) -> (Session, Vec<Effect>) {
        if !self.config.referee || subject.evaluation_mode || !referee_may_decide(reason) {
            drop(credential);
            drop(candidates);
            drop(subject);
            return self.end(reason, now, effects);
        }
        effects.push(Effect::Show(Screen::CouldNotComplete {
            reason,
            reference: reason.reference(self.id),
            staff: StaffHelp::Offered,
        }));
        let secs = self.config.timeouts.result_secs;
        let offer = RefereeOffer { subject, credential, candidates, reason };
        self.enter(State::RefereeOffered(Box::new(offer)), now, Some(secs));
        (self, effects)
    }

    /// The case a referee sees: the reason, the credential's bound names and portrait, the
    /// typed account and the other accounts the credential matches.
    fn referee_case(&self, offer: &RefereeOffer, now: OffsetDateTime) -> RefereeCase {
        let profile = &offer.subject.profile;
        let bindings = &profile.verified_id_profile_configuration.claim_bindings;
        let photo_claim = profile
            .face_check_configuration
            .as_ref()
            .and_then(|f| f.source_photo_claim_name.clone())
            .unwrap_or_else(|| "portrait".into());
        let credential = offer.credential.as_ref().map(|c| {
            let value = |a| credential_value(bindings, a, &c.claims).map(PersonName::new);
            CaseCredential {
                given_name: value(DirectoryAttribute::GivenName),
                surname: value(DirectoryAttribute::Surname),
                portrait: c.claims.get(&photo_claim).map(crate::referee::Portrait::new),
            }
        });
        RefereeCase {
            session_id: self.id,
            station_id: self.station_id.clone(),
            reference: offer.reason.reference(self.id),
            reason: offer.reason,
            opened_at: now,
            typed: offer.subject.user.clone(),
            candidates: offer.candidates.clone(),
            credential,
        }
    }

    /// Asks for a (new) presentation; counts the attempt.
    fn request_presentation(
        mut self,
        subject: Box<Subject>,
        now: OffsetDateTime,
        mut effects: Vec<Effect>,
    ) -> (Session, Vec<Effect>) {
        self.presentation_attempts = self.presentation_attempts.saturating_add(1);
        self.qr_since = None;
        let spec = self.presentation_spec(&subject);
        let timeout = self.config.timeouts.presentation_secs;
        self.enter(State::AwaitingPresentation { subject, request_id: None }, now, Some(timeout));
        effects.push(
            self.audit(
                now,
                AuditKind::PresentationRequested { attempt: self.presentation_attempts },
            ),
        );
        effects.push(Effect::CreatePresentationRequest(spec));
        effects.push(Effect::Show(Screen::OpenAuthenticator { url: None }));
        (self, effects)
    }

    fn face_check_failed(
        self,
        subject: Box<Subject>,
        score: Option<f64>,
        service_code: Option<String>,
        now: OffsetDateTime,
    ) -> (Session, Vec<Effect>) {
        let attempts_left =
            self.config.max_presentation_attempts.saturating_sub(self.presentation_attempts);
        let effects = vec![
            self.audit(
                now,
                AuditKind::PresentationFailed {
                    reason: ReasonCode::FaceCheckFailed,
                    service_code,
                    face_check_score: score.filter(|sc| sc.is_finite()),
                },
            ),
            Effect::Show(Screen::FaceCheckResult { passed: false, attempts_left }),
        ];
        if attempts_left > 0 {
            self.request_presentation(subject, now, effects)
        } else {
            self.fail_or_offer(subject, None, Vec::new(), ReasonCode::FaceCheckFailed, now, effects)
        }
    }
}

/// `ana.lima@contoso.com` → `a…@contoso.com`: enough for the owner to recognise, not enough
/// to learn an account from a photographed prompt.
fn mask_upn(upn: &Upn) -> String {
    let text = upn.expose().trim();
    let (local, domain) = text.rsplit_once('@').unwrap_or((text, ""));
    let first: String = local.chars().take(1).collect();
    format!("{first}…@{domain}")
}

fn unchanged(session: Session) -> (Session, Vec<Effect>) {
    (session, Vec::new())
}

fn failure_reason(f: AdapterFailure) -> ReasonCode {
    match f {
        AdapterFailure::RateLimited => ReasonCode::RateLimited,
        AdapterFailure::Unavailable | AdapterFailure::Refused => ReasonCode::ServiceUnavailable,
    }
}

fn looks_like_upn(upn: &Upn, max: usize) -> bool {
    let s = upn.expose().trim();
    let len = s.chars().count();
    (3..=max).contains(&len)
        && !s.chars().any(char::is_whitespace)
        && s.split_once('@').is_some_and(|(l, d)| !l.is_empty() && !d.is_empty())
}

/// Advances a session by one input. Pure and deterministic: `now` is the only clock.
pub fn step(session: Session, input: Input, now: OffsetDateTime) -> (Session, Vec<Effect>) {
    if session.is_wiped() {
        return unchanged(session);
    }
    if let Some(deadline) = session.deadline
        && now >= deadline
    {
        let reason = session.deadline_reason();
        let cleanup = session.unconfirmed_tap(now);
        return session.end(reason, now, cleanup);
    }
    match input {
        Input::Cancel => {
            let reason = session.interrupt_reason(ReasonCode::Cancelled);
            let cleanup = session.unconfirmed_tap(now);
            session.end(reason, now, cleanup)
        }
        Input::IdleTimeout => {
            let reason = session.interrupt_reason(ReasonCode::IdleTimeout);
            let cleanup = session.unconfirmed_tap(now);
            session.end(reason, now, cleanup)
        }
        Input::LimitReached(scope) => {
            if matches!(session.state, State::Idle) {
                return unchanged(session);
            }
            let mut effects = vec![session.audit(now, AuditKind::LimitReached { scope })];
            effects.extend(session.unconfirmed_tap(now));
            session.end(ReasonCode::RateLimited, now, effects)
        }
        Input::Tick => replace_stale_qr(session, now),
        input => transition(session, input, now),
    }
}

/// A presentation QR on screen longer than `timeouts.presentation_qr_secs` and not scanned is
/// replaced by a new request (not a new attempt): the old request id is no longer accepted, so
/// a photographed QR goes stale. The step's deadline stays.
fn replace_stale_qr(mut s: Session, now: OffsetDateTime) -> (Session, Vec<Effect>) {
    let lifetime = Duration::seconds(i64::from(s.config.timeouts.presentation_qr_secs));
    let stale = matches!(s.state, State::AwaitingPresentation { request_id: Some(_), .. })
        && s.qr_since.is_some_and(|since| now >= since.saturating_add(lifetime));
    if !stale {
        return unchanged(s);
    }
    let state = std::mem::replace(&mut s.state, State::Idle);
    let State::AwaitingPresentation { subject, .. } = state else {
        s.state = state;
        return unchanged(s);
    };
    let spec = s.presentation_spec(&subject);
    s.qr_since = None;
    s.state = State::AwaitingPresentation { subject, request_id: None };
    let effects = vec![
        s.audit(now, AuditKind::PresentationRequested { attempt: s.presentation_attempts }),
        Effect::CreatePresentationRequest(spec),
        Effect::Show(Screen::OpenAuthenticator { url: None }),
    ];
    (s, effects)
}

fn transition(mut s: Session, input: Input, now: OffsetDateTime) -> (Session, Vec<Effect>) {
    let t = s.config.timeouts;
    let state = std::mem::replace(&mut s.state, State::Idle);
    match (state, input) {
        (State::Idle, Input::Begin) => {
            s.began_at = Some(now);
            s.enter(State::Identifying, now, Some(t.identify_secs));
            let e = vec![
                s.audit(now, AuditKind::Started),
                Effect::Show(Screen::Identify { invalid: false }),
            ];
            (s, e)
        }
        (State::Identifying, Input::SubmitUpn(upn)) => {
            if !looks_like_upn(&upn, s.config.max_upn_len) {
                s.enter(State::Identifying, now, Some(t.identify_secs));
                return (s, vec![Effect::Show(Screen::Identify { invalid: true })]);
            }
            let upn = Upn::new(upn.expose().trim());
            let account_ref = AccountRef::compute(&s.audit_key, &upn);
            let effect = Effect::ResolveEligibility { upn: upn.clone() };
            s.account_ref = Some(account_ref);
            s.enter(State::ResolvingEligibility { upn }, now, Some(t.eligibility_secs));
            (s, vec![effect, Effect::Show(Screen::Checking)])
        }
        (State::ResolvingEligibility { upn }, Input::Eligibility(result)) => {
            eligibility(s, upn, result, now)
        }
        (State::ChoosingProvider { subject, offered }, Input::PresentExisting { choice }) => {
            let chosen = existing_choices(&s.config, &subject.profile, subject.evaluation_mode)
                .into_iter()
                .find(|c| c.id == choice);
            let Some(chosen) = chosen else {
                s.state = State::ChoosingProvider { subject, offered };
                return (s, Vec::new());
            };
            // No issuance in this session: the credential's age and Face Check bind it instead.
            s.issued_by = None;
            s.existing = Some(chosen);
            let e = vec![s.audit(now, AuditKind::ExistingCredentialChosen { choice })];
            s.request_presentation(subject, now, e)
        }
        (
            State::ChoosingProvider { subject, offered },
            Input::ChooseProvider { provider, path },
        ) => {
            let onboarding = s
                .providers
                .iter()
                .find(|p| p.id == provider)
                .and_then(|p| p.onboarding_url().map(str::to_owned));
            // A link-only provider has no capture API: the phone path only.
            if !offered.contains(&provider) || (onboarding.is_some() && path != ScanPath::Phone) {
                s.state = State::ChoosingProvider { subject, offered };
                return (s, Vec::new());
            }
            if let Some(url) = onboarding {
                // Its own onboarding page, as a QR at once: nothing to start.
                s.enter(
                    State::ScanningId {
                        subject,
                        provider: provider.clone(),
                        path,
                        link: Some(url.clone()),
                    },
                    now,
                    Some(t.scan_id_secs),
                );
                let e = vec![
                    s.audit(now, AuditKind::ProviderChosen { provider: provider.clone(), path }),
                    Effect::Show(Screen::ScanId {
                        provider,
                        path,
                        link: Some(url),
                        phone_opened: false,
                    }),
                ];
                return (s, e);
            }
            s.enter(
                State::ScanningId { subject, provider: provider.clone(), path, link: None },
                now,
                Some(t.scan_id_secs),
            );
            let start = match path {
                ScanPath::Phone => Effect::StartProviderLink { provider: provider.clone() },
                ScanPath::Camera => Effect::StartCameraCapture { provider: provider.clone() },
            };
            let e = vec![
                s.audit(now, AuditKind::ProviderChosen { provider: provider.clone(), path }),
                start,
                Effect::Show(Screen::ScanId { provider, path, link: None, phone_opened: false }),
            ];
            (s, e)
        }
        (
            State::ScanningId { subject, provider, path: ScanPath::Phone, link: None },
            Input::Provider(ProviderEvent::LinkReady { url }),
        ) => {
            let screen = Screen::ScanId {
                provider: provider.clone(),
                path: ScanPath::Phone,
                link: Some(url.clone()),
                phone_opened: false,
            };
            s.state =
                State::ScanningId { subject, provider, path: ScanPath::Phone, link: Some(url) };
            (s, vec![Effect::Show(screen)])
        }
        (
            State::ScanningId { subject, provider, path: ScanPath::Phone, link },
            Input::Provider(ProviderEvent::PhoneOpened),
        ) => {
            let screen = Screen::ScanId {
                provider: provider.clone(),
                path: ScanPath::Phone,
                link: link.clone(),
                phone_opened: true,
            };
            s.state = State::ScanningId { subject, provider, path: ScanPath::Phone, link };
            (s, vec![Effect::Show(screen)])
        }
        (
            State::ScanningId { subject, provider, path: ScanPath::Phone, link },
            Input::AddedToWallet,
        ) => {
            let link_only =
                s.providers.iter().any(|p| p.id == provider && p.onboarding_url().is_some());
            if !link_only {
                // A provider with an API says itself when the credential is issued.
                s.state = State::ScanningId { subject, provider, path: ScanPath::Phone, link };
                return (s, Vec::new());
            }
            added_to_wallet(s, subject, provider, now)
        }
        (
            State::ScanningId { subject, provider, path: ScanPath::Camera, .. },
            Input::Provider(ProviderEvent::IssuanceOffered { url }),
        ) => {
            s.enter(State::AwaitingIssuance { subject, provider }, now, Some(t.issuance_secs));
            (s, vec![Effect::Show(Screen::AddToAuthenticator { url })])
        }
        (
            state @ (State::ScanningId { .. } | State::AwaitingIssuance { .. }),
            Input::Provider(
                event @ (ProviderEvent::IdentityIssued
                | ProviderEvent::DocumentRejected
                | ProviderEvent::IssuanceFailed
                | ProviderEvent::Unavailable),
            ),
        ) => {
            let (State::ScanningId { subject, provider, .. }
            | State::AwaitingIssuance { subject, provider }) = state
            else {
                s.state = state;
                return (s, Vec::new());
            };
            provider_event(s, subject, provider, event, now)
        }
        (
            State::AwaitingPresentation { subject, request_id: None },
            Input::PresentationCreated { request_id, url },
        ) => {
            s.qr_since = Some(now);
            s.state = State::AwaitingPresentation { subject, request_id: Some(request_id) };
            (s, vec![Effect::Show(Screen::OpenAuthenticator { url: Some(url) })])
        }
        (
            State::AwaitingPresentation { subject, request_id: None },
            Input::PresentationCreateFailed(f),
        ) => {
            drop(subject);
            s.end(failure_reason(f), now, Vec::new())
        }
        (
            State::AwaitingPresentation { subject, request_id: Some(current) },
            Input::Callback { request_id, event },
        ) if current == request_id => match event {
            CallbackEvent::Retrieved => {
                s.state = State::PresentationRetrieved { subject, request_id: current };
                (s, vec![Effect::Show(Screen::FaceCheckInProgress)])
            }
            CallbackEvent::Verified(credential) => verified(s, subject, credential, now),
            CallbackEvent::Error { code } => presentation_error(s, subject, &code, now),
        },
        (
            State::PresentationRetrieved { subject, request_id: current },
            Input::Callback { request_id, event },
        ) if current == request_id => match event {
            CallbackEvent::Retrieved => {
                s.state = State::PresentationRetrieved { subject, request_id: current };
                (s, Vec::new())
            }
            CallbackEvent::Verified(credential) => verified(s, subject, credential, now),
            CallbackEvent::Error { code } => presentation_error(s, subject, &code, now),
        },
        (State::Verifying { subject, credential }, Input::UsersByName(result)) => {
            users_by_name(s, subject, credential, result, now)
        }
        (State::CheckingRecords { subject, credential }, Input::RecordsChecked(result)) => {
            records_checked(s, subject, credential, result, now)
        }
        (State::CheckingFreshFacts { subject }, Input::FreshFacts(result)) => {
            fresh_facts(s, subject, result, now)
        }
        (
            State::IssuingTap { subject, request, .. },
            Input::TapCreated { code: tap, method_id },
        ) => {
            let e_audit = AuditKind::TapIssued {
                lifetime_in_minutes: request.lifetime_in_minutes,
                is_usable_once: request.is_usable_once,
            };
            let user_id = subject.user.id.clone();
            drop(subject);
            let notice = crate::notify::RecoveryNotice {
                user_id: user_id.clone(),
                station_id: s.station_id.clone(),
                at: now,
                reference: ReasonCode::TapIssued.reference(s.id),
                session_id: s.id,
                account_ref: s.account_ref.clone(),
            };
            s.enter(State::ShowingTap { user_id, method_id }, now, Some(t.show_tap_secs));
            let e = vec![
                s.audit(now, e_audit),
                Effect::Show(Screen::Tap {
                    code: tap,
                    lifetime_in_minutes: request.lifetime_in_minutes,
                }),
                Effect::NotifyRecovery(notice),
            ];
            (s, e)
        }
        (State::IssuingTap { subject, requested_at, .. }, Input::TapFailed(f)) => {
            // A failed creation may still have created a pass (its answer lost): look for
            // this session's passes and delete them.
            let cleanup = TapCleanup {
                user_id: subject.user.id.clone(),
                method_id: None,
                created_since: Some(requested_at),
                session_id: s.id,
                account_ref: s.account_ref.clone(),
            };
            drop(subject);
            let reason = match f {
                TapFailure::PolicyRefused => ReasonCode::TapPolicyRefused,
                TapFailure::Failed(AdapterFailure::RateLimited) => ReasonCode::RateLimited,
                TapFailure::Failed(_) => ReasonCode::TapCreationFailed,
            };
            let e = s.tap_cleanup(cleanup, now);
            s.end(reason, now, e)
        }
        (State::ShowingTap { .. }, Input::Done) => s.end(ReasonCode::TapIssued, now, Vec::new()),
        (State::EvaluationResult, Input::Done) => {
            s.end(ReasonCode::EvaluationModeVerified, now, Vec::new())
        }
        (State::RefereeOffered(offer), Input::AskForStaff) => {
            let case = s.referee_case(&offer, now);
            let screen = Screen::CouldNotComplete {
                reason: offer.reason,
                reference: case.reference.clone(),
                staff: StaffHelp::Waiting,
            };
            let e = vec![
                s.audit(now, AuditKind::RefereeRequested { reason: offer.reason }),
                Effect::OpenRefereeCase(Box::new(case)),
                Effect::Show(screen),
            ];
            s.enter(State::AwaitingReferee(offer), now, Some(t.referee_secs));
            (s, e)
        }
        (State::RefereeOffered(offer) | State::AwaitingReferee(offer), Input::Done) => {
            let reason = offer.reason;
            drop(offer);
            s.end(reason, now, Vec::new())
        }
        (State::AwaitingReferee(offer), Input::Referee(decision)) => {
            referee_decided(s, offer, decision, now)
        }
        (State::RefereeChecking { subject, user_id }, Input::FreshFacts(result)) => {
            referee_fresh_facts(s, subject, &user_id, result, now)
        }
        (state, _) => {
            // Out of order, wrong request id, or not for this state: ignore, unchanged.
            s.state = state;
            (s, Vec::new())
        }
    }
}

fn provider_event(
    s: Session,
    subject: Box<Subject>,
    provider: String,
    event: ProviderEvent,
    now: OffsetDateTime,
) -> (Session, Vec<Effect>) {
    match event {
        ProviderEvent::IdentityIssued => {
            let mut s = s;
            // Only a credential of this provider's issuer, issued in this session, will do.
            s.issued_by = s
                .providers
                .iter()
                .find(|p| p.id == provider)
                .map(|p| p.issuer_did.clone())
                .or_else(|| Some(String::new()));
            let e = vec![s.audit(now, AuditKind::IdentityIssued { provider })];
            s.request_presentation(subject, now, e)
        }
        ProviderEvent::DocumentRejected => {
            provider_end(s, subject, ReasonCode::DocumentRejected, now)
        }
        ProviderEvent::IssuanceFailed => provider_end(s, subject, ReasonCode::IssuanceFailed, now),
        ProviderEvent::Unavailable => {
            provider_end(s, subject, ReasonCode::ProviderUnavailable, now)
        }
        // Filtered out by the caller; kept total and fail-safe.
        ProviderEvent::LinkReady { .. }
        | ProviderEvent::PhoneOpened
        | ProviderEvent::IssuanceOffered { .. } => {
            provider_end(s, subject, ReasonCode::ProviderUnavailable, now)
        }
    }
}

/// Link-only provider: the person says the credential is in Authenticator. The same binding as
/// a provider's own report: only a credential of this provider's issuer, issued after the
/// session began, will do (there is no signed return to vouch for anything else).
fn added_to_wallet(
    mut s: Session,
    subject: Box<Subject>,
    provider: String,
    now: OffsetDateTime,
) -> (Session, Vec<Effect>) {
    s.issued_by = s
        .providers
        .iter()
        .find(|p| p.id == provider)
        .map(|p| p.issuer_did.clone())
        .or_else(|| Some(String::new()));
    let e = vec![s.audit(now, AuditKind::AddedToWallet { provider })];
    s.request_presentation(subject, now, e)
}

fn provider_end(
    s: Session,
    subject: Box<Subject>,
    reason: ReasonCode,
    now: OffsetDateTime,
) -> (Session, Vec<Effect>) {
    drop(subject);
    s.end(reason, now, Vec::new())
}

fn not_eligible(
    s: Session,
    cause: Option<EligibilityCause>,
    reason: ReasonCode,
    now: OffsetDateTime,
) -> (Session, Vec<Effect>) {
    let e = vec![s.audit(
        now,
        AuditKind::ProfileResolved { profile_id: None, evaluation_mode: false, cause },
    )];
    s.end(reason, now, e)
}

fn eligibility(
    mut s: Session,
    upn: Upn,
    result: EligibilityResult,
    now: OffsetDateTime,
) -> (Session, Vec<Effect>) {
    let facts = match result {
        EligibilityResult::Failed(f) => return not_eligible(s, None, failure_reason(f), now),
        EligibilityResult::UnknownUser => {
            return not_eligible(
                s,
                Some(EligibilityCause::UnknownUser),
                ReasonCode::NotEligible,
                now,
            );
        }
        EligibilityResult::Found(f) => f,
    };
    let EligibilityFacts {
        user,
        member_groups,
        vc_policy,
        profiles,
        tap_policy,
        role_template_ids,
    } = *facts;
    let cause = if !user.user_principal_name.expose().eq_ignore_ascii_case(upn.expose()) {
        Some(EligibilityCause::UnknownUser)
    } else if !user.is_enabled() {
        Some(EligibilityCause::Disabled)
    } else if !user.is_member() {
        Some(EligibilityCause::Guest)
    } else if holds_refused_role(&role_template_ids, &s.config.refused_role_template_ids) {
        Some(EligibilityCause::PrivilegedRole)
    } else {
        None
    };
    drop(upn);
    if cause == Some(EligibilityCause::PrivilegedRole) {
        // The same neutral answer as any ineligible account; the audit says why.
        let e =
            vec![s.audit(
                now,
                AuditKind::PrivilegedRoleRefused { stage: RoleCheckStage::Eligibility },
            )];
        let (s, mut rest) = not_eligible(s, cause, ReasonCode::NotEligible, now);
        let mut all = e;
        all.append(&mut rest);
        return (s, all);
    }
    if let Some(cause) = cause {
        return not_eligible(s, Some(cause), ReasonCode::NotEligible, now);
    }
    let (profile, evaluation_mode) = match resolve(&vc_policy, &profiles, &user.id, &member_groups)
    {
        Resolution::Profile { profile, evaluation_mode } => (profile, evaluation_mode),
        Resolution::Excluded => {
            return not_eligible(s, Some(EligibilityCause::Excluded), ReasonCode::NotEligible, now);
        }
        Resolution::NoProfile => {
            return not_eligible(
                s,
                Some(EligibilityCause::NoProfile),
                ReasonCode::NotEligible,
                now,
            );
        }
    };
    let issuer = &profile.verified_id_profile_configuration.accepted_issuer;
    let offered: Vec<&Provider> = s.providers.iter().filter(|p| &p.issuer_did == issuer).collect();
    if offered.is_empty() {
        return not_eligible(s, Some(EligibilityCause::NoProvider), ReasonCode::NotEligible, now);
    }
    let existing = existing_choices(&s.config, &profile, evaluation_mode)
        .into_iter()
        .map(|c| (c.id, c.label))
        .collect();
    let screen = Screen::ChooseProvider {
        providers: offered.iter().map(|p| (p.id.clone(), p.display_name.clone())).collect(),
        existing,
    };
    let offered_ids = offered.iter().map(|p| p.id.clone()).collect();
    let profile_id = profile.id.clone();
    let subject = Box::new(Subject {
        user,
        member_groups,
        profile,
        evaluation_mode,
        tap_policy,
        vc_policy,
        profiles,
    });
    let secs = s.config.timeouts.choose_provider_secs;
    s.enter(State::ChoosingProvider { subject, offered: offered_ids }, now, Some(secs));
    let e = vec![
        s.audit(
            now,
            AuditKind::ProfileResolved {
                profile_id: Some(profile_id),
                evaluation_mode,
                cause: None,
            },
        ),
        Effect::Show(screen),
    ];
    (s, e)
}

fn presentation_error(
    s: Session,
    subject: Box<Subject>,
    code: &str,
    now: OffsetDateTime,
) -> (Session, Vec<Effect>) {
    let service_code = sanitize_code(code);
    let lower = code.to_ascii_lowercase();
    if lower == "claimvalidationerror" || lower.contains("facecheck") {
        return s.face_check_failed(subject, None, service_code, now);
    }
    let reason = if lower.contains("declin") || lower.contains("cancel") {
        ReasonCode::PresentationDeclined
    } else if lower.contains("revoked") {
        ReasonCode::CredentialRevoked
    } else {
        ReasonCode::PresentationFailed
    };
    end_with(
        s,
        subject,
        reason,
        AuditKind::PresentationFailed { reason, service_code, face_check_score: None },
        now,
    )
}

fn end_with(
    s: Session,
    subject: Box<Subject>,
    reason: ReasonCode,
    kind: AuditKind,
    now: OffsetDateTime,
) -> (Session, Vec<Effect>) {
    drop(subject);
    let e = vec![s.audit(now, kind)];
    s.end(reason, now, e)
}

/// Issuers' and Request Service clocks may run this far behind ours (and `issuanceDate` has
/// whole seconds): a credential issued up to this long before the session began still counts
/// as issued in it.
pub const ISSUANCE_CLOCK_SKEW_SECS: i64 = 60;

/// When this session issued a credential (hosted flow or kiosk camera), only a credential of
/// that provider's issuer, issued after the session began, is this session's.
fn not_session_bound(s: &Session, credential: &PresentedCredential) -> Option<BindingFailure> {
    let issuer = s.issued_by.as_deref()?;
    if credential.issuer != issuer {
        return Some(BindingFailure::OtherIssuer);
    }
    let Some(issued) = credential.issuance_date else {
        return Some(BindingFailure::NoIssuanceDate);
    };
    match s.began_at {
        Some(began)
            if issued >= began.saturating_sub(Duration::seconds(ISSUANCE_CLOCK_SKEW_SECS)) =>
        {
            None
        }
        _ => Some(BindingFailure::IssuedBeforeSession),
    }
}

/// The pure re-checks of a presented credential (Face Check, issuer, revocation, type, claims).
/// The credentials the person may present instead of a new ID scan, in production and
/// evaluation alike: the profile's own (when the site allows it) and the site's rules.
fn existing_choices(
    config: &EngineConfig,
    profile: &VerifiedIdProfile,
    _evaluation_mode: bool,
) -> Vec<AcceptedCredential> {
    let Some(rule) = &config.existing_credential else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if rule.profile_credential {
        let cfg = &profile.verified_id_profile_configuration;
        out.push(AcceptedCredential {
            id: crate::existing::PROFILE_CREDENTIAL.into(),
            label: String::new(),
            issuer: cfg.accepted_issuer.clone(),
            credential_type: cfg.credential_type.clone(),
            photo_claim: profile
                .face_check_configuration
                .as_ref()
                .and_then(|f| f.source_photo_claim_name.clone())
                .unwrap_or_else(|| "portrait".into()),
            claim_names: Vec::new(),
        });
    }
    out.extend(rule.accepted.iter().cloned());
    out
}

/// An already-held credential is accepted only while younger than the site's limit.
fn young_enough(
    config: &EngineConfig,
    credential: &PresentedCredential,
    now: OffsetDateTime,
) -> bool {
    let Some(rule) = &config.existing_credential else {
        return false;
    };
    let max = Duration::days(i64::from(rule.max_age_days));
    credential.issuance_date.is_some_and(|issued| {
        issued <= now.saturating_add(Duration::seconds(ISSUANCE_CLOCK_SKEW_SECS))
            && now.saturating_sub(max) <= issued
    })
}

fn verified(
    s: Session,
    subject: Box<Subject>,
    credential: Box<PresentedCredential>,
    now: OffsetDateTime,
) -> (Session, Vec<Effect>) {
    let threshold = s.config.face_check_threshold;
    let score = credential.face_check.as_ref().map(|f| f.score);
    let Some(score_value) = score.filter(|sc| sc.is_finite() && *sc >= f64::from(threshold)) else {
        drop(credential);
        return s.face_check_failed(subject, score, None, now);
    };
    let cfg = &subject.profile.verified_id_profile_configuration;
    let (want_issuer, want_type) = match &s.existing {
        Some(e) => (e.issuer.as_str(), e.credential_type.as_str()),
        None => (cfg.accepted_issuer.as_str(), cfg.credential_type.as_str()),
    };
    let failure = if credential.issuer != want_issuer {
        Some(ReasonCode::IssuerNotAccepted)
    } else if credential.revocation_status.as_deref() != Some("VALID") {
        Some(ReasonCode::CredentialRevoked)
    } else if !credential.types.iter().any(|t| t == want_type) {
        Some(ReasonCode::WrongCredentialType)
    } else if s.existing.is_some() && !young_enough(&s.config, &credential, now) {
        Some(ReasonCode::CredentialTooOld)
    } else if !cfg.is_supported() {
        Some(ReasonCode::ProfileUnsupported)
    } else {
        None
    };
    if let Some(reason) = failure {
        drop(credential);
        return end_with(
            s,
            subject,
            reason,
            AuditKind::PresentationFailed { reason, service_code: None, face_check_score: None },
            now,
        );
    }
    if let Some(cause) = not_session_bound(&s, &credential) {
        // Not the credential this session issued (a relayed QR): refused, neutrally.
        drop(credential);
        let mut e = vec![s.audit(now, AuditKind::CredentialNotSessionBound { cause })];
        e.push(s.audit(
            now,
            AuditKind::PresentationFailed {
                reason: ReasonCode::PresentationFailed,
                service_code: None,
                face_check_score: Some(score_value),
            },
        ));
        drop(subject);
        return s.end(ReasonCode::PresentationFailed, now, e);
    }
    let mut effects =
        vec![s.audit(
            now,
            AuditKind::PresentationVerified { face_check_score: score_value, threshold },
        )];
    let mut credential = credential;
    if let Some(e) = &s.existing {
        // The site's credential names its claims its own way (VerifiedEmployee: `givenName`,
        // `surname`): the profile's rule reads them under its own names.
        credential.claims = crate::existing::renamed(&credential.claims, &e.claim_names);
    }
    let cfg = &subject.profile.verified_id_profile_configuration;
    if let Some(reason) =
        match_reason(match_user(&cfg.claim_bindings, &subject.user, &credential.claims))
    {
        effects.push(s.audit(now, AuditKind::NotMatched { reason }));
        return s.fail_or_offer(subject, Some(credential), Vec::new(), reason, now, effects);
    }
    let (Some(given), Some(surname)) =
        (subject.user.given_name.clone(), subject.user.surname.clone())
    else {
        // Unreachable after a match (blank never matches), kept fail-closed.
        drop(subject);
        return s.end(ReasonCode::DirectoryNameBlank, now, effects);
    };
    let mut queries = vec![NameQuery { given, surname }];
    let on_credential = |a| credential_value(&cfg.claim_bindings, a, &credential.claims);
    if let (Some(g), Some(sn)) =
        (on_credential(DirectoryAttribute::GivenName), on_credential(DirectoryAttribute::Surname))
        && !is_blank(Some(g))
        && !is_blank(Some(sn))
        && (exact_form(g), exact_form(sn))
            != (exact_form(queries[0].given.expose()), exact_form(queries[0].surname.expose()))
    {
        queries.push(NameQuery {
            given: PersonName::new(tidy(g)),
            surname: PersonName::new(tidy(sn)),
        });
    }
    effects.push(Effect::Show(Screen::FaceCheckResult {
        passed: true,
        attempts_left: s.config.max_presentation_attempts.saturating_sub(s.presentation_attempts),
    }));
    let search = name_search(&cfg.claim_bindings, &subject.user, &credential.claims);
    effects.push(Effect::FindUsersByName { queries, search });
    let mut s = s;
    let secs = s.config.timeouts.verifying_secs;
    s.enter(State::Verifying { subject, credential }, now, Some(secs));
    (s, effects)
}

/// Re-runs profile resolution on the facts kept since eligibility: the same profile, in the same
/// mode, must still apply (the user is in scope and not excluded).
fn still_in_scope(subject: &Subject) -> bool {
    match resolve(&subject.vc_policy, &subject.profiles, &subject.user.id, &subject.member_groups) {
        Resolution::Profile { profile, evaluation_mode } => {
            profile.id == subject.profile.id && evaluation_mode == subject.evaluation_mode
        }
        Resolution::Excluded | Resolution::NoProfile => false,
    }
}

fn match_reason(outcome: MatchOutcome) -> Option<ReasonCode> {
    match outcome {
        MatchOutcome::Matched => None,
        MatchOutcome::Mismatch { .. } => Some(ReasonCode::NameMismatch),
        MatchOutcome::BlankDirectoryName => Some(ReasonCode::DirectoryNameBlank),
        MatchOutcome::UnsupportedBinding => Some(ReasonCode::ProfileUnsupported),
    }
}

/// The word search for every user the credential could match (see [`NameSearch`]): the
/// credential's words and the identified user's own (so a namesake spelled as in the directory,
/// diacritics and all, is found whatever Graph does with accents).
fn name_search(
    bindings: &[crate::model::ClaimBinding],
    target: &DirectoryUser,
    claims: &crate::secret::Claims,
) -> NameSearch {
    let bound =
        |a| bindings.iter().any(|b| DirectoryAttribute::from_label(&b.source_attribute) == Some(a));
    let words = |values: &[Option<&str>]| {
        let mut out: Vec<PersonName> = Vec::new();
        for w in values.iter().flatten().flat_map(|v| search_words(v)) {
            if !out.iter().any(|o| o.expose() == w) {
                out.push(PersonName::new(w));
            }
        }
        out
    };
    let on_credential = |a| credential_value(bindings, a, claims);
    let (cg, cs) =
        (on_credential(DirectoryAttribute::GivenName), on_credential(DirectoryAttribute::Surname));
    let (dg, ds) = (
        target.given_name.as_ref().map(|n| n.expose()),
        target.surname.as_ref().map(|n| n.expose()),
    );
    NameSearch {
        given: bound(DirectoryAttribute::GivenName).then(|| words(&[cg, dg])),
        // Inner words of compound names may cross fields: a surname may start with a word the
        // credential has among its given names (`da Silva Santos` / `Maria da Silva`).
        surname: bound(DirectoryAttribute::Surname).then(|| words(&[cg, cs, ds])),
    }
}

/// Exactly one enabled member user matches the credential under the profile's rule, and it is
/// the identified user, still enabled, a member, and matching on its fresh record.
fn unique_match(
    bindings: &[crate::model::ClaimBinding],
    target: &DirectoryUser,
    claims: &crate::secret::Claims,
    found: &NameCandidates,
) -> Option<ReasonCode> {
    let mut fresh: Option<&DirectoryUser> = None;
    let mut someone_else = false;
    for u in &found.users {
        if u.id == target.id {
            fresh = fresh.or(Some(u));
        } else if u.is_enabled()
            && u.is_member()
            && match_user(bindings, u, claims) == MatchOutcome::Matched
        {
            someone_else = true;
        }
    }
    if someone_else || !found.complete {
        return Some(ReasonCode::DuplicateName);
    }
    match fresh {
        // nobody, or only someone the credential does not match
        None => Some(ReasonCode::NameMismatch),
        Some(f) if !f.is_enabled() || !target.is_enabled() => Some(ReasonCode::AccountDisabled),
        Some(f) if !f.is_member() || !target.is_member() => Some(ReasonCode::AccountNotMember),
        Some(f) => match_reason(match_user(bindings, f, claims)),
    }
}

/// The final directory checks, then the fresh facts before a TAP (production) or the
/// evaluation result.
fn users_by_name(
    mut s: Session,
    subject: Box<Subject>,
    credential: Box<PresentedCredential>,
    result: Result<NameCandidates, AdapterFailure>,
    now: OffsetDateTime,
) -> (Session, Vec<Effect>) {
    let bindings = &subject.profile.verified_id_profile_configuration.claim_bindings;
    let failure = match &result {
        Err(f) => Some(failure_reason(*f)),
        Ok(found) => unique_match(bindings, &subject.user, &credential.claims, found)
            .or_else(|| (!still_in_scope(&subject)).then_some(ReasonCode::NotEligible)),
    };
    if let Some(reason) = failure {
        // For a referee: the other enabled members the credential matches, each once.
        let mut candidates: Vec<DirectoryUser> = Vec::new();
        for u in result.into_iter().flat_map(|found| found.users) {
            if u.id != subject.user.id
                && u.is_enabled()
                && u.is_member()
                && match_user(bindings, &u, &credential.claims) == MatchOutcome::Matched
                && !candidates.iter().any(|c| c.id == u.id)
            {
                candidates.push(u);
            }
        }
        let e = vec![s.audit(now, AuditKind::NotMatched { reason })];
        return s.fail_or_offer(subject, Some(credential), candidates, reason, now, e);
    }
    drop(result);
    let mut effects = vec![s.audit(now, AuditKind::Matched)];
    if let Some(query) = records_query(&s, &subject) {
        effects.push(Effect::CheckRecords {
            query,
            user: subject.user.clone(),
            claims: credential.claims.clone(),
        });
        let secs = s.config.timeouts.verifying_secs;
        s.enter(State::CheckingRecords { subject, credential }, now, Some(secs));
        return (s, effects);
    }
    drop(credential);
    after_match(s, subject, effects, now)
}

/// What the organisation's records must confirm for this subject, if anything: the site's
/// second binding when it applies to the profile, and the profile's claim-validation extension.
fn records_query(s: &Session, subject: &Subject) -> Option<crate::records::RecordsQuery> {
    let attribute = s
        .config
        .second_binding
        .as_ref()
        .filter(|b| b.applies_to(&subject.profile.id))
        .map(|b| b.attribute.clone());
    let extension_id = subject
        .profile
        .verified_id_profile_configuration
        .claim_validation
        .as_ref()
        .filter(|v| v.is_enabled)
        .and_then(|v| v.custom_extension_id.clone());
    (attribute.is_some() || extension_id.is_some()).then(|| crate::records::RecordsQuery {
        user_id: subject.user.id.clone(),
        attribute,
        extension_id,
    })
}

/// The records' answer: both checks must agree (a failure to answer fails closed).
fn records_checked(
    s: Session,
    subject: Box<Subject>,
    credential: Box<PresentedCredential>,
    result: Result<crate::records::RecordsAnswer, AdapterFailure>,
    now: OffsetDateTime,
) -> (Session, Vec<Effect>) {
    let answer = match result {
        Ok(a) => a,
        Err(f) => {
            drop(credential);
            drop(subject);
            let reason = failure_reason(f);
            let e = vec![s.audit(now, AuditKind::NotMatched { reason })];
            return s.end(reason, now, e);
        }
    };
    let binding = s.config.second_binding.as_ref().filter(|b| b.applies_to(&subject.profile.id));
    let extension_required = subject
        .profile
        .verified_id_profile_configuration
        .claim_validation
        .as_ref()
        .is_some_and(|v| v.is_enabled);
    let verdict = crate::records::decide(binding, extension_required, &credential.claims, &answer);
    drop(answer);
    if let Err(refusal) = verdict {
        let reason = ReasonCode::RecordsMismatch;
        let e = vec![
            s.audit(now, AuditKind::RecordsRefused { refusal }),
            s.audit(now, AuditKind::NotMatched { reason }),
        ];
        return s.fail_or_offer(subject, Some(credential), Vec::new(), reason, now, e);
    }
    drop(credential);
    let effects = vec![s.audit(now, AuditKind::RecordsConfirmed)];
    after_match(s, subject, effects, now)
}

/// Matched, unique and (where required) confirmed by the organisation's records: the
/// evaluation result, or the fresh facts before a TAP.
fn after_match(
    mut s: Session,
    subject: Box<Subject>,
    mut effects: Vec<Effect>,
    now: OffsetDateTime,
) -> (Session, Vec<Effect>) {
    let t = s.config.timeouts;
    if subject.evaluation_mode {
        effects.push(s.audit(now, AuditKind::EvaluationOnly));
        drop(subject);
        s.enter(State::EvaluationResult, now, Some(t.result_secs));
        effects.push(Effect::Show(Screen::EvaluationResult));
        return (s, effects);
    }
    if tap_request(&s, &subject.tap_policy, &subject.user.id, &subject.member_groups).is_none()
        || s.taps_requested != 0
    {
        drop(subject);
        return s.end(ReasonCode::TapPolicyRefused, now, effects);
    }
    effects.push(Effect::ReadFreshFacts { user_id: subject.user.id.clone() });
    s.enter(State::CheckingFreshFacts { subject }, now, Some(t.verifying_secs));
    (s, effects)
}

/// A referee's decision on the open case. A refusal ends `referee_refused`; an approval of an
/// account the case offers reads that account's facts again (the TAP follows only if they allow
/// it); an approval of any other account is ignored.
fn referee_decided(
    mut s: Session,
    offer: Box<RefereeOffer>,
    decision: RefereeDecision,
    now: OffsetDateTime,
) -> (Session, Vec<Effect>) {
    match decision {
        RefereeDecision::Refuse { referee } => {
            drop(offer);
            let e = vec![
                s.audit(
                    now,
                    AuditKind::RefereeDecided { referee, approved: false, other_account: false },
                ),
                Effect::CloseRefereeCase,
            ];
            s.end(ReasonCode::RefereeRefused, now, e)
        }
        RefereeDecision::Approve { user_id, referee } => {
            let offered = user_id == offer.subject.user.id
                || offer.candidates.iter().any(|c| c.id == user_id);
            if !offered {
                s.state = State::AwaitingReferee(offer);
                return (s, Vec::new());
            }
            let other_account = user_id != offer.subject.user.id;
            let RefereeOffer { subject, .. } = *offer;
            let e = vec![
                s.audit(now, AuditKind::RefereeDecided { referee, approved: true, other_account }),
                Effect::CloseRefereeCase,
                Effect::Show(Screen::Checking),
                Effect::ReadFreshFacts { user_id: user_id.clone() },
            ];
            let secs = s.config.timeouts.verifying_secs;
            s.enter(State::RefereeChecking { subject, user_id }, now, Some(secs));
            (s, e)
        }
    }
}

/// The account's own state on its fresh record, whatever the profile: it is the account asked
/// about, enabled, a member, and holds no refused directory role.
fn account_refused(
    s: &Session,
    user_id: &str,
    fresh: &EligibilityFacts,
) -> Option<EligibilityCause> {
    let user = &fresh.user;
    if user.id != user_id {
        Some(EligibilityCause::UnknownUser)
    } else if !user.is_enabled() {
        Some(EligibilityCause::Disabled)
    } else if !user.is_member() {
        Some(EligibilityCause::Guest)
    } else if holds_refused_role(&fresh.role_template_ids, &s.config.refused_role_template_ids) {
        Some(EligibilityCause::PrivilegedRole)
    } else {
        None
    }
}

/// Why the account a referee approved may not get a TAP here (`Ok`: the profile that reaches
/// it): the same rules as at eligibility and right before any TAP, on its fresh facts.
fn referee_scope(
    s: &Session,
    user_id: &str,
    fresh: &EligibilityFacts,
) -> Result<Box<VerifiedIdProfile>, EligibilityCause> {
    if let Some(cause) = account_refused(s, user_id, fresh) {
        return Err(cause);
    }
    match resolve(&fresh.vc_policy, &fresh.profiles, &fresh.user.id, &fresh.member_groups) {
        Resolution::Profile { profile, evaluation_mode: false } => Ok(profile.clone()),
        Resolution::Profile { evaluation_mode: true, .. } => Err(EligibilityCause::ProfileChanged),
        Resolution::Excluded => Err(EligibilityCause::Excluded),
        Resolution::NoProfile => Err(EligibilityCause::NoProfile),
    }
}

/// The approved account's facts: all allow a TAP → create it (at most once per session).
fn referee_fresh_facts(
    mut s: Session,
    subject: Box<Subject>,
    user_id: &str,
    result: EligibilityResult,
    now: OffsetDateTime,
) -> (Session, Vec<Effect>) {
    drop(subject);
    let fresh = match result {
        EligibilityResult::Found(f) => f,
        EligibilityResult::Failed(f) => return s.end(failure_reason(f), now, Vec::new()),
        EligibilityResult::UnknownUser => {
            let cause = EligibilityCause::UnknownUser;
            let e = vec![s.audit(now, AuditKind::ScopeChanged { cause })];
            return s.end(ReasonCode::NotEligible, now, e);
        }
    };
    let profile = match referee_scope(&s, user_id, &fresh) {
        Ok(p) => p,
        Err(cause) => {
            let kind = if cause == EligibilityCause::PrivilegedRole {
                AuditKind::PrivilegedRoleRefused { stage: RoleCheckStage::BeforeTap }
            } else {
                AuditKind::ScopeChanged { cause }
            };
            let e = vec![s.audit(now, kind)];
            return s.end(ReasonCode::NotEligible, now, e);
        }
    };
    let request = tap_request(&s, &fresh.tap_policy, &fresh.user.id, &fresh.member_groups);
    let Some(request) = request.filter(|_| s.taps_requested == 0) else {
        return s.end(ReasonCode::TapPolicyRefused, now, Vec::new());
    };
    let EligibilityFacts { user, member_groups, vc_policy, profiles, tap_policy, .. } = *fresh;
    let subject = Box::new(Subject {
        user,
        member_groups,
        profile,
        evaluation_mode: false,
        tap_policy,
        vc_policy,
        profiles,
    });
    s.taps_requested = s.taps_requested.saturating_add(1);
    let effects = vec![Effect::CreateTap { user_id: subject.user.id.clone(), request }];
    let secs = s.config.timeouts.issuing_tap_secs;
    s.enter(State::IssuingTap { subject, request, requested_at: now }, now, Some(secs));
    (s, effects)
}

/// The TAP the policy allows this user (covered by it, and a lifetime it accepts).
fn tap_request(
    s: &Session,
    policy: &TapPolicy,
    user_id: &str,
    member_groups: &[String],
) -> Option<TapRequest> {
    if !policy.covers(user_id, member_groups) {
        return None;
    }
    fit(policy, s.config.tap_lifetime_minutes, s.config.tap_usable_once).ok()
}

/// Why the facts read right before the TAP no longer allow it (`None`: they do). The same rules
/// as at eligibility, on fresh data: the account is the same, enabled and a member, holds no
/// refused role, the same profile (unchanged, same mode) still reaches it and it is not
/// excluded, and the TAP policy still covers it.
fn stale_scope(
    s: &Session,
    subject: &Subject,
    fresh: &EligibilityFacts,
) -> Option<EligibilityCause> {
    if let Some(cause) = account_refused(s, &subject.user.id, fresh) {
        return Some(cause);
    }
    let user = &fresh.user;
    match resolve(&fresh.vc_policy, &fresh.profiles, &user.id, &fresh.member_groups) {
        Resolution::Profile { profile, evaluation_mode } => {
            if *profile != *subject.profile || evaluation_mode != subject.evaluation_mode {
                return Some(EligibilityCause::ProfileChanged);
            }
        }
        Resolution::Excluded => return Some(EligibilityCause::Excluded),
        Resolution::NoProfile => return Some(EligibilityCause::NoProfile),
    }
    tap_request(s, &fresh.tap_policy, &user.id, &fresh.member_groups)
        .is_none()
        .then_some(EligibilityCause::OutsideTapPolicy)
}

/// The facts read again right before the TAP: all still allow it → create it (at most once),
/// with the lifetime the fresh TAP policy allows. Otherwise the neutral answer, audited.
fn fresh_facts(
    mut s: Session,
    subject: Box<Subject>,
    result: EligibilityResult,
    now: OffsetDateTime,
) -> (Session, Vec<Effect>) {
    let fresh = match result {
        EligibilityResult::Found(f) => f,
        EligibilityResult::Failed(f) => {
            drop(subject);
            return s.end(failure_reason(f), now, Vec::new());
        }
        EligibilityResult::UnknownUser => {
            drop(subject);
            let e = vec![
                s.audit(now, AuditKind::ScopeChanged { cause: EligibilityCause::UnknownUser }),
            ];
            return s.end(ReasonCode::NotEligible, now, e);
        }
    };
    if let Some(cause) = stale_scope(&s, &subject, &fresh) {
        drop(subject);
        drop(fresh);
        let kind = if cause == EligibilityCause::PrivilegedRole {
            AuditKind::PrivilegedRoleRefused { stage: RoleCheckStage::BeforeTap }
        } else {
            AuditKind::ScopeChanged { cause }
        };
        let e = vec![s.audit(now, kind)];
        return s.end(ReasonCode::NotEligible, now, e);
    }
    let request = tap_request(&s, &fresh.tap_policy, &subject.user.id, &fresh.member_groups);
    drop(fresh);
    let Some(request) = request.filter(|_| s.taps_requested == 0) else {
        drop(subject);
        return s.end(ReasonCode::TapPolicyRefused, now, Vec::new());
    };
    s.taps_requested = s.taps_requested.saturating_add(1);
    let effects = vec![Effect::CreateTap { user_id: subject.user.id.clone(), request }];
    let secs = s.config.timeouts.issuing_tap_secs;
    s.enter(State::IssuingTap { subject, request, requested_at: now }, now, Some(secs));
    (s, effects)
}
