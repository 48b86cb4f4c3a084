//! The view model the kiosk UI renders: what crosses IPC, mirrored in TypeScript.
//!
//! The backend decides, the UI renders. Every type here derives [`TS`]; the TypeScript file
//! `ui/src/lib/ipc/bindings.ts` is generated from them by [`typescript_bindings`] and a test fails
//! when the checked-in file drifts (`RECLAIM_BLESS=1 cargo test -p reclaim-protocol bindings`
//! rewrites it). Nothing here carries English: reason and error codes are closed sets the UI
//! localises.

use std::fmt;

use reclaim_core::{ReasonCode, Screen};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::qr::QrView;

/// One push to the UI: the whole state to render.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ViewUpdate {
    /// Increases with every update; the UI ignores anything older than what it shows.
    #[ts(type = "number")]
    pub seq: u64,
    /// The screen and its data.
    pub view: View,
    /// The wizard step, for the step indicator (`None` on attract and out-of-service).
    pub step: Option<Step>,
    /// "Are you still there?" is showing, with this many seconds left before the wipe.
    pub idle_seconds_left: Option<u32>,
    /// The station, for the attract screen's status line and the operator.
    pub station: StationView,
    /// The session was wiped just before this update: reset language, inputs and focus.
    pub reset: bool,
}

/// Which of the wizard's steps a screen belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    /// 1-based.
    pub index: u8,
    /// Always [`Step::TOTAL`].
    pub total: u8,
    /// On the could-not-complete screen: the step the recovery stopped at (the furthest step this
    /// session reached, or the last step when it was refused after a passing Face Check). Steps
    /// before it are done, the steps after it were never reached; `None` everywhere else.
    pub stopped_at: Option<u8>,
}

impl Step {
    /// Identify, choose provider, scan ID, Authenticator + Face Check, result.
    pub const TOTAL: u8 = 5;

    /// The step a screen belongs to.
    pub fn of(view: &View) -> Option<Step> {
        let index = match view {
            View::Attract | View::OutOfService { .. } => return None,
            View::Identify { .. } | View::Checking => 1,
            View::ChooseProvider { .. } => 2,
            View::ScanId { .. } | View::AddToAuthenticator { .. } => 3,
            View::OpenAuthenticator { .. }
            | View::FaceCheckInProgress
            | View::FaceCheckResult { .. } => 4,
            View::Tap { .. } | View::EvaluationResult | View::CouldNotComplete { .. } => 5,
        };
        Some(Step { index, total: Self::TOTAL, stopped_at: None })
    }

    /// [`Step::of`], knowing the furthest step this session reached before `view` (0 if none):
    /// a could-not-complete screen says where the recovery stopped, so the indicator never ticks
    /// a step that was not done.
    pub fn after(view: &View, reached: u8) -> Option<Step> {
        let step = Self::of(view)?;
        Some(match view {
            // Refused after a passing Face Check (names, account state, the pass itself): the
            // proof steps are done and the last one is where it stopped.
            View::CouldNotComplete { reason, .. } if reason.0.after_proof() => {
                Step { stopped_at: Some(Self::TOTAL), ..step }
            }
            View::CouldNotComplete { .. } => {
                Step { stopped_at: Some(reached.clamp(1, Self::TOTAL - 1)), ..step }
            }
            _ => step,
        })
    }
}

/// The screens of `kiosk-experience.md`, with what each shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "screen", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum View {
    /// 1. Attract: "Recover your account".
    Attract,
    /// 1b. Pre-flight failed: "Out of service — please use another station or call the helpdesk".
    OutOfService {
        /// What failed (for the operator; the person sees one plain sentence).
        problems: Vec<PreflightProblem>,
    },
    /// 2. Enter your work account.
    Identify {
        /// The last entry did not look like an account name (`name@domain`).
        invalid: bool,
    },
    /// Between identify and choose provider (looking up; says nothing about the account).
    Checking,
    /// 3. Pick an identity-verification provider.
    ChooseProvider {
        /// Providers this person may use.
        providers: Vec<ProviderCard>,
        /// Whether the kiosk has a camera (otherwise only the phone path is offered).
        camera_available: bool,
        /// "I already have my ID in Authenticator": the credentials the person may present
        /// instead of a new scan (empty unless the site allows it).
        #[serde(default)]
        existing: Vec<ExistingChoice>,
    },
    /// 4. Scan your ID.
    ScanId {
        /// The chosen provider.
        provider: ProviderCard,
        /// Phone or camera.
        path: ScanPath,
        /// Phone path: the provider's one-time link as a QR, once ready; for a link-only provider
        /// (`provider.linkOnly`), its onboarding page, at once.
        link: Option<QrView>,
        /// Phone path: the person opened the link on their phone.
        phone_opened: bool,
        /// Camera path: where the capture is.
        capture: Option<CaptureStage>,
    },
    /// 4b. Camera path: add the issued credential to Authenticator.
    AddToAuthenticator {
        /// The issuance deep link as a QR.
        qr: QrView,
    },
    /// 5. Open Microsoft Authenticator and scan.
    OpenAuthenticator {
        /// The presentation request as a QR, once created.
        qr: Option<QrView>,
    },
    /// 5b. The phone picked up the request: Face Check in progress.
    FaceCheckInProgress,
    /// 6. Face Check result.
    FaceCheckResult {
        /// Passed. No score and no threshold: a number on screen gives a spoofer something to
        /// push up (the score goes to the audit).
        passed: bool,
        /// `sourcePhotoQuality` of the ID photo, when known.
        photo_quality: Option<PhotoQuality>,
        /// Attempts left (a failure with attempts left goes back to step 5).
        attempts_left: u8,
    },
    /// 7. Production: the Temporary Access Pass.
    Tap {
        /// The pass (secret: shown only while the person holds "Show").
        tap: TapView,
    },
    /// 7. Evaluation mode: verified, nothing issued.
    EvaluationResult,
    /// 8. Could not complete.
    CouldNotComplete {
        /// Why (localised by the UI, with what to do next).
        reason: Reason,
        /// Helpdesk reference (no personal data), e.g. `RC-NAME_MISMATCH-74AAAAAA`.
        reference: String,
        /// Whether the person may ask for a member of staff (the trusted referee), or did.
        staff: StaffHelp,
    },
}

impl View {
    /// The view for a core screen. Provider cards and QR codes come from the caller, who holds
    /// the station's providers; `photo_quality` from the last callback.
    pub fn from_screen(screen: &Screen, ctx: &ViewContext<'_>) -> View {
        match screen {
            Screen::Attract => View::Attract,
            Screen::Identify { invalid } => View::Identify { invalid: *invalid },
            Screen::Checking => View::Checking,
            Screen::ChooseProvider { providers, existing } => View::ChooseProvider {
                providers: providers.iter().map(|(id, _)| ctx.card(id)).collect(),
                camera_available: ctx.camera_available,
                existing: existing
                    .iter()
                    .map(|(id, label)| ExistingChoice { id: id.clone(), label: label.clone() })
                    .collect(),
            },
            Screen::ScanId { provider, path, link, phone_opened } => View::ScanId {
                provider: ctx.card(provider),
                path: (*path).into(),
                link: link.as_deref().map(|l| ctx.qr(l)),
                phone_opened: *phone_opened,
                capture: match path {
                    reclaim_core::ScanPath::Camera => Some(ctx.capture),
                    reclaim_core::ScanPath::Phone => None,
                },
            },
            Screen::AddToAuthenticator { url } => View::AddToAuthenticator { qr: ctx.qr(url) },
            Screen::OpenAuthenticator { url } => {
                View::OpenAuthenticator { qr: url.as_deref().map(|u| ctx.qr(u)) }
            }
            Screen::FaceCheckInProgress => View::FaceCheckInProgress,
            Screen::FaceCheckResult { passed, attempts_left } => View::FaceCheckResult {
                passed: *passed,
                photo_quality: ctx.photo_quality,
                attempts_left: *attempts_left,
            },
            Screen::Tap { code, lifetime_in_minutes } => {
                let mut tap = TapView::new(
                    code.expose(),
                    *lifetime_in_minutes,
                    ctx.tap_expires_at.clone().unwrap_or_default(),
                    ctx.sign_in_url.to_owned(),
                );
                tap.verified_employee = ctx.verified_employee_offer;
                View::Tap { tap }
            }
            Screen::EvaluationResult => View::EvaluationResult,
            Screen::CouldNotComplete { reason, reference, staff } => View::CouldNotComplete {
                reason: (*reason).into(),
                reference: reference.clone(),
                staff: (*staff).into(),
            },
        }
    }

    /// The `screen` tag, for logs and tests.
    pub fn name(&self) -> &'static str {
        match self {
            View::Attract => "attract",
            View::OutOfService { .. } => "outOfService",
            View::Identify { .. } => "identify",
            View::Checking => "checking",
            View::ChooseProvider { .. } => "chooseProvider",
            View::ScanId { .. } => "scanId",
            View::AddToAuthenticator { .. } => "addToAuthenticator",
            View::OpenAuthenticator { .. } => "openAuthenticator",
            View::FaceCheckInProgress => "faceCheckInProgress",
            View::FaceCheckResult { .. } => "faceCheckResult",
            View::Tap { .. } => "tap",
            View::EvaluationResult => "evaluationResult",
            View::CouldNotComplete { .. } => "couldNotComplete",
        }
    }
}

/// Microsoft's Authenticator page: one link for both stores (it sends the phone on to the App
/// Store or Google Play; `../shared/contracts/microsoft-apis-v2.md` §7). Shown as a second, smaller
/// QR where the person adds or presents a credential.
pub const AUTHENTICATOR_INSTALL_URL: &str =
    "https://www.microsoft.com/security/mobile-authenticator-app";

/// Where a person registers their sign-in methods (the passkey) after the TAP (§7).
pub const SECURITY_INFO_URL: &str = "https://mysignins.microsoft.com/security-info";

/// My Account, where a signed-in employee picks "Get my Verified ID" to put the organisation's
/// `VerifiedEmployee` credential into Authenticator (`microsoft-apis-v2.md` §5.1).
pub const MY_ACCOUNT_URL: &str = "https://myaccount.microsoft.com/";

/// The QR codes whose text never changes, as constants for the UI: they are the same for every
/// session, so they ship with the bindings instead of in every view update.
/// `(TypeScript name, text)`.
pub const STATIC_QRS: [(&str, &str); 3] = [
    ("AUTHENTICATOR_INSTALL_QR", AUTHENTICATOR_INSTALL_URL),
    ("SECURITY_INFO_QR", SECURITY_INFO_URL),
    ("MY_ACCOUNT_QR", MY_ACCOUNT_URL),
];

/// What [`View::from_screen`] needs besides the core screen.
#[derive(Debug, Clone)]
pub struct ViewContext<'a> {
    /// The station's providers, to build cards from ids.
    pub providers: &'a [ProviderCard],
    /// A camera is present.
    pub camera_available: bool,
    /// Camera path progress.
    pub capture: CaptureStage,
    /// From the last `presentation_verified` / failure callback.
    pub photo_quality: Option<PhotoQuality>,
    /// RFC 3339 expiry of the TAP (from Graph's `startDateTime` + lifetime).
    pub tap_expires_at: Option<String>,
    /// Where to sign in with the TAP.
    pub sign_in_url: &'a str,
    /// The TAP screen also offers the organisation's `VerifiedEmployee` credential (My Account).
    pub verified_employee_offer: bool,
    /// The codes already drawn for this session (`None`: draw each time).
    pub qr_cache: Option<&'a QrCache>,
}

/// The last QR codes drawn, by their text: a view is rendered again at every change of the
/// station's state and countdown, and drawing a code is the costliest part of it (~3 ms and
/// ~70 KB of SVG for a hosted-flow link). Holds at most two (the QR on screen and the one it
/// replaces); the engine clears it at every wipe.
#[derive(Debug, Default)]
pub struct QrCache(std::sync::Mutex<Vec<QrView>>);

impl QrCache {
    /// The code for `text`, drawn once.
    pub fn get(&self, text: &str) -> QrView {
        let mut codes = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(code) = codes.iter().find(|c| c.url == text) {
            return code.clone();
        }
        let code = QrView::for_phone(text);
        codes.push(code.clone());
        if codes.len() > 2 {
            codes.remove(0);
        }
        code
    }

    /// Forgets every code (their texts carry one-time tokens).
    pub fn clear(&self) {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clear();
    }
}

impl ViewContext<'_> {
    fn qr(&self, text: &str) -> QrView {
        match self.qr_cache {
            Some(cache) => cache.get(text),
            None => QrView::for_phone(text),
        }
    }

    fn card(&self, id: &str) -> ProviderCard {
        self.providers.iter().find(|p| p.id == id).cloned().unwrap_or_else(|| ProviderCard {
            id: id.to_owned(),
            display_name: id.to_owned(),
            documents: Vec::new(),
            needs_phone: true,
            link_only: false,
        })
    }
}

/// A provider as the person sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ProviderCard {
    /// Stable id, sent back by `choose_provider`.
    pub id: String,
    /// The provider's own brand name (not translated).
    pub display_name: String,
    /// Documents it accepts.
    pub documents: Vec<DocumentKind>,
    /// The phone path needs the person's own phone (the camera path needs one only for
    /// Authenticator).
    pub needs_phone: bool,
    /// A provider without an API: only its own Verified ID onboarding page, on the person's
    /// phone (no camera path). Its scan step shows that page as a QR and an "I have added it"
    /// button (`added_to_wallet`). Absent from older peers: `false`.
    #[serde(default)]
    pub link_only: bool,
}

/// An identity document kind (localised by the UI).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum DocumentKind {
    /// Passport.
    Passport,
    /// Driving licence.
    DrivingLicence,
    /// National ID card.
    IdCard,
}

/// A credential the person may present instead of scanning their ID again. `id` `profile` is
/// the recovery profile's own credential (the UI names it); any other is a site rule, named by
/// its `label` (e.g. the employer's `VerifiedEmployee`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ExistingChoice {
    /// The choice (sent back with `presentExisting`).
    pub id: String,
    /// The site's name for it (empty for `profile`).
    pub label: String,
}

/// What a member of staff can do on the "could not complete" screen: nothing (`none`), be
/// asked (`offered`: the screen shows "Ask a member of staff"), or come (`waiting`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum StaffHelp {
    /// No referee for this failure.
    None,
    /// The person may ask.
    Offered,
    /// A member of staff was asked.
    Waiting,
}

impl From<reclaim_core::StaffHelp> for StaffHelp {
    fn from(h: reclaim_core::StaffHelp) -> Self {
        match h {
            reclaim_core::StaffHelp::None => StaffHelp::None,
            reclaim_core::StaffHelp::Offered => StaffHelp::Offered,
            reclaim_core::StaffHelp::Waiting => StaffHelp::Waiting,
        }
    }
}

/// How the ID is scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ScanPath {
    /// QR handoff to the person's phone.
    Phone,
    /// The kiosk's camera.
    Camera,
}

impl From<reclaim_core::ScanPath> for ScanPath {
    fn from(p: reclaim_core::ScanPath) -> Self {
        match p {
            reclaim_core::ScanPath::Phone => ScanPath::Phone,
            reclaim_core::ScanPath::Camera => ScanPath::Camera,
        }
    }
}

impl From<ScanPath> for reclaim_core::ScanPath {
    fn from(p: ScanPath) -> Self {
        match p {
            ScanPath::Phone => reclaim_core::ScanPath::Phone,
            ScanPath::Camera => reclaim_core::ScanPath::Camera,
        }
    }
}

/// Camera path progress: which shot is wanted next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum CaptureStage {
    /// Hold the front of the ID in the frame.
    Front,
    /// Now the back.
    Back,
    /// Now look at the camera.
    Selfie,
    /// Sending to the provider.
    Uploading,
    /// The provider could not read the last shot: take it again.
    Retake,
}

/// A shot the UI asks the backend to take from the camera.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum Shot {
    /// Front of the document.
    Front,
    /// Back of the document.
    Back,
    /// The person's face.
    Selfie,
}

/// `sourcePhotoQuality` of the ID's photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum PhotoQuality {
    /// `HIGH`.
    High,
    /// `MEDIUM`.
    Medium,
    /// `LOW`.
    Low,
}

impl PhotoQuality {
    /// From the callback's `sourcePhotoQuality` string.
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_uppercase().as_str() {
            "HIGH" => Some(Self::High),
            "MEDIUM" => Some(Self::Medium),
            "LOW" => Some(Self::Low),
            _ => None,
        }
    }
}

/// The Temporary Access Pass as shown: secret, zeroed on drop, never in `Debug`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, TS, Zeroize, ZeroizeOnDrop)]
#[serde(rename_all = "camelCase")]
pub struct TapView {
    /// The pass, in groups of four characters (`["k7Q+", "2rZa"]`); the UI joins them.
    pub groups: Vec<String>,
    /// Lifetime in minutes.
    pub lifetime_minutes: u32,
    /// RFC 3339 expiry, for the countdown.
    pub expires_at: String,
    /// Where to sign in with it.
    pub sign_in_url: String,
    /// Offer the organisation's `VerifiedEmployee` credential: a QR to My Account
    /// ([`MY_ACCOUNT_URL`], "Get my Verified ID"), for once the person can sign in again.
    #[serde(default)]
    pub verified_employee: bool,
}

impl TapView {
    /// Groups the pass in fours.
    pub fn new(code: &str, lifetime_minutes: u32, expires_at: String, sign_in_url: String) -> Self {
        let chars: Vec<char> = code.chars().collect();
        let groups = chars.chunks(4).map(|c| c.iter().collect()).collect();
        Self { groups, lifetime_minutes, expires_at, sign_in_url, verified_employee: false }
    }

    /// The pass in one piece.
    pub fn code(&self) -> String {
        self.groups.concat()
    }
}

impl fmt::Debug for TapView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TapView")
            .field("groups", &"<redacted>")
            .field("lifetime_minutes", &self.lifetime_minutes)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Why a recovery could not complete: the core's closed [`ReasonCode`] set, as a TypeScript
/// string union the UI localises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Reason(pub ReasonCode);

impl From<ReasonCode> for Reason {
    fn from(r: ReasonCode) -> Self {
        Reason(r)
    }
}

impl TS for Reason {
    type WithoutGenerics = Self;
    type OptionInnerType = Self;

    fn name(_: &ts_rs::Config) -> String {
        "Reason".to_owned()
    }

    fn inline(_: &ts_rs::Config) -> String {
        // The wire strings, exactly as serde writes them.
        ReasonCode::ALL
            .iter()
            .map(|r| serde_json::to_string(r).unwrap_or_default())
            .collect::<Vec<_>>()
            .join(" | ")
    }

    fn decl(cfg: &ts_rs::Config) -> String {
        format!("type Reason = {};", Self::inline(cfg))
    }

    fn decl_concrete(cfg: &ts_rs::Config) -> String {
        Self::decl(cfg)
    }

    fn output_path() -> Option<std::path::PathBuf> {
        None
    }
}

/// The station's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StationView {
    /// Demo (emulated tenant) or production.
    pub mode: StationMode,
    /// Station id from the configuration (shown small on attract, in references).
    pub station_id: String,
    /// Pre-flight passed: recoveries can start.
    pub ready: bool,
    /// What failed pre-flight (empty when ready).
    pub problems: Vec<PreflightProblem>,
    /// The language the attract screen starts in, and returns to on every wipe.
    pub default_locale: Locale,
    /// The station's camera as found at start (shown small on attract; a missing camera only
    /// hides the camera path, the phone path still works). Absent from older peers: `absent`.
    #[serde(default)]
    pub camera: CameraStatus,
}

/// The station's camera, as the kiosk found it at start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum CameraStatus {
    /// A real camera: the camera path is offered.
    Present,
    /// No camera (or a build without a camera backend): only the phone path.
    #[default]
    Absent,
    /// Only virtual cameras (v4l2loopback, OBS Virtual Camera, …), refused by the configuration
    /// (`[station] allow_virtual_camera`): only the phone path.
    RefusedVirtual,
}

impl CameraStatus {
    /// `Present` or `Absent`.
    pub fn from_available(available: bool) -> Self {
        if available { Self::Present } else { Self::Absent }
    }
}

/// A language of the kiosk UI.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    /// English.
    #[default]
    En,
    /// German.
    De,
    /// French.
    Fr,
    /// Spanish.
    Es,
    /// Polish.
    Pl,
}

/// Demo or production.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum StationMode {
    /// The emulated tenant, in-process.
    Demo,
    /// A real tenant.
    Production,
}

/// A pre-flight failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum PreflightProblem {
    /// No network.
    Network,
    /// The clock differs from the services' by too much.
    ClockSkew,
    /// The relay cannot be reached.
    RelayUnreachable,
    /// The tenant (token endpoint or Graph) cannot be reached or refuses the credentials.
    TenantUnreachable,
    /// The configuration is invalid.
    ConfigInvalid,
    /// An operator switched the station off.
    SwitchedOff,
    /// The recovery service cannot be reached.
    ServiceUnreachable,
    /// The recovery service does not accept this station (not enrolled, revoked).
    StationNotEnrolled,
}

/// A command's failure as the UI receives it: a closed code it localises, and an English
/// message for logs only (the UI never shows or parses it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ErrorView {
    /// What went wrong.
    pub code: ErrorCode,
    /// For the log; never personal data.
    pub message: String,
}

/// The closed set of command error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ErrorCode {
    /// The input was malformed (too long, wrong shape).
    InvalidInput,
    /// The command does not apply to the current screen (e.g. a double tap); nothing changed.
    NotNow,
    /// The camera is missing or failed.
    CameraUnavailable,
    /// The station is out of service.
    OutOfService,
    /// The engine stopped; the app is restarting it.
    EngineStopped,
    /// Anything else.
    Internal,
}

/// One camera preview frame for the UI (`data:` URL of a JPEG).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PreviewFrame {
    /// Frame counter.
    #[ts(type = "number")]
    pub seq: u64,
    /// Pixels.
    pub width: u32,
    /// Pixels.
    pub height: u32,
    /// `data:image/jpeg;base64,…`.
    pub data_url: String,
    /// The local quality check's verdict on this frame: "Take photo" is enabled only when `ok`.
    pub quality: FrameQuality,
}

/// The local quality check's verdict on a preview frame (blur; for a document also glare and
/// how much of the guide the card fills), before anything is uploaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct FrameQuality {
    /// The frame would pass.
    pub ok: bool,
    /// What to fix, when not `ok`.
    pub advice: Option<CaptureAdvice>,
}

/// What the person is told to fix, live, on the camera path (localised by the UI).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum CaptureAdvice {
    /// Blurred: hold still.
    HoldStill,
    /// A reflection on the card: tilt it away from the light.
    ReduceGlare,
    /// The card is too small in the frame: bring it closer.
    MoveCloser,
    /// The card is missing or cut off: place all of it inside the frame.
    FitInFrame,
}

/// The TypeScript declarations of every IPC type, as checked in at `ui/src/lib/ipc/bindings.ts`.
pub fn typescript_bindings() -> String {
    let cfg = ts_rs::Config::new();
    let decls = [
        ViewUpdate::decl(&cfg),
        Step::decl(&cfg),
        View::decl(&cfg),
        QrView::decl(&cfg),
        ProviderCard::decl(&cfg),
        DocumentKind::decl(&cfg),
        ScanPath::decl(&cfg),
        StaffHelp::decl(&cfg),
        ExistingChoice::decl(&cfg),
        CaptureStage::decl(&cfg),
        Shot::decl(&cfg),
        PhotoQuality::decl(&cfg),
        TapView::decl(&cfg),
        Reason::decl(&cfg),
        StationView::decl(&cfg),
        CameraStatus::decl(&cfg),
        StationMode::decl(&cfg),
        Locale::decl(&cfg),
        PreflightProblem::decl(&cfg),
        ErrorView::decl(&cfg),
        ErrorCode::decl(&cfg),
        PreviewFrame::decl(&cfg),
        FrameQuality::decl(&cfg),
        CaptureAdvice::decl(&cfg),
    ];
    let mut out = String::from(
        "// Generated from crates/reclaim-protocol/src/view.rs by `RECLAIM_BLESS=1 cargo test -p \
         reclaim-protocol bindings`. Do not edit.\n\n",
    );
    for d in decls {
        out.push_str("export ");
        out.push_str(&d);
        out.push_str("\n\n");
    }
    // The static codes, shown on the Authenticator screens (install) and after the TAP
    // (security info). Drawn here so the UI shows exactly what the backend would draw.
    for (name, text) in STATIC_QRS {
        let qr = QrView::for_phone(text);
        let value = serde_json::to_string(&qr).unwrap_or_default();
        out.push_str(&format!("export const {name}: QrView = {value};\n\n"));
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx() -> ViewContext<'static> {
        ViewContext {
            providers: &[],
            camera_available: false,
            capture: CaptureStage::Front,
            photo_quality: Some(PhotoQuality::High),
            tap_expires_at: Some("2026-11-22T10:00:00Z".into()),
            sign_in_url: "https://myaccount.microsoft.com",
            verified_employee_offer: false,
            qr_cache: None,
        }
    }

    #[test]
    fn a_cached_code_is_the_code_and_the_cache_keeps_two() {
        let cache = QrCache::default();
        let a = "https://idv.example/start?token=a";
        assert_eq!(cache.get(a), QrView::for_phone(a));
        for t in ["b", "c", "d"] {
            cache.get(&format!("https://idv.example/start?token={t}"));
        }
        assert_eq!(cache.0.lock().unwrap().len(), 2);
        let screen = Screen::AddToAuthenticator { url: a.into() };
        let cached = ViewContext { qr_cache: Some(&cache), ..ctx() };
        assert_eq!(View::from_screen(&screen, &cached), View::from_screen(&screen, &ctx()));
        cache.clear();
        assert!(cache.0.lock().unwrap().is_empty());
    }

    #[test]
    fn bindings_match_the_checked_in_typescript() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../ui/src/lib/ipc/bindings.ts");
        let want = typescript_bindings();
        if std::env::var_os("RECLAIM_BLESS").is_some() {
            std::fs::create_dir_all(std::path::Path::new(path).parent().unwrap()).unwrap();
            std::fs::write(path, &want).unwrap();
        }
        let have = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            have == want,
            "ui/src/lib/ipc/bindings.ts is out of date: run `RECLAIM_BLESS=1 cargo test -p \
             reclaim-protocol bindings` and commit it"
        );
    }

    #[test]
    fn views_serialise_with_a_screen_tag_and_camel_case_fields() {
        let v = View::FaceCheckResult {
            passed: false,
            photo_quality: Some(PhotoQuality::Medium),
            attempts_left: 2,
        };
        assert_eq!(
            serde_json::to_value(&v).unwrap(),
            json!({"screen": "faceCheckResult", "passed": false,
                   "photoQuality": "medium", "attemptsLeft": 2})
        );
        let reason = View::from_screen(
            &Screen::CouldNotComplete {
                reason: ReasonCode::NameMismatch,
                reference: "RC-NAME_MISMATCH-74AAAAAA".into(),
                staff: reclaim_core::StaffHelp::Offered,
            },
            &ctx(),
        );
        assert_eq!(
            serde_json::to_value(&reason).unwrap(),
            json!({"screen": "couldNotComplete", "reason": "name_mismatch",
                   "reference": "RC-NAME_MISMATCH-74AAAAAA", "staff": "offered"})
        );
    }

    #[test]
    fn the_reason_union_lists_every_core_reason() {
        let ts = Reason::decl(&ts_rs::Config::new());
        for r in ReasonCode::ALL {
            let wire = serde_json::to_value(Reason(r)).unwrap();
            assert!(ts.contains(&format!("\"{}\"", wire.as_str().unwrap())), "{r:?} missing");
        }
    }

    #[test]
    fn the_bindings_carry_the_authenticator_install_and_security_info_codes() {
        let ts = typescript_bindings();
        let constant = |name: &str| -> QrView {
            let start = format!("export const {name}: QrView = ");
            let rest = &ts[ts.find(&start).expect(name) + start.len()..];
            serde_json::from_str(&rest[..rest.find(";\n").unwrap_or(rest.len())]).unwrap()
        };
        let install = constant("AUTHENTICATOR_INSTALL_QR");
        assert_eq!(install.url, "https://www.microsoft.com/security/mobile-authenticator-app");
        assert_eq!(install.hint, "www.microsoft.com");
        assert_eq!(install, QrView::for_phone(AUTHENTICATOR_INSTALL_URL));
        let security = constant("SECURITY_INFO_QR");
        assert_eq!(security.url, "https://mysignins.microsoft.com/security-info");
        assert_eq!(security.hint, "mysignins.microsoft.com");
        assert!(security.svg.starts_with("<svg") && security.svg.contains("viewBox"));
        // Short links: small codes, far fewer modules than a presentation request's.
        let presentation = QrView::for_phone(
            "openid-vc://?request_uri=https://verifiedid.did.msidentity.com/v1.0/tenants/\
             7c0e8b2a-4f1d-4c55-9a3e-2b1f0d6c8e71/verifiableCredentials/presentationRequests/\
             3f6a1c2e-8d4b-4e7a-b9c1-5a2d7e0f4b36",
        );
        assert!(security.svg.len() < presentation.svg.len());
    }

    #[test]
    fn the_tap_is_grouped_in_fours_and_never_in_debug() {
        let v = View::from_screen(
            &Screen::Tap {
                code: reclaim_core::TapCode::new("k7Q+2rZa9x"),
                lifetime_in_minutes: 60,
            },
            &ctx(),
        );
        let View::Tap { tap } = &v else { panic!("not a tap view") };
        assert_eq!(tap.groups, ["k7Q+", "2rZa", "9x"]);
        assert_eq!(tap.code(), "k7Q+2rZa9x");
        assert!(!format!("{v:?}").contains("k7Q+"));
        assert_eq!(Step::of(&v), Some(Step { index: 5, total: 5, stopped_at: None }));
    }
}
