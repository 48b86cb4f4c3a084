// Generated from crates/reclaim-protocol/src/view.rs by `RECLAIM_BLESS=1 cargo test -p reclaim-protocol bindings`. Do not edit.

export type ViewUpdate = { 
/**
 * Increases with every update; the UI ignores anything older than what it shows.
 */
seq: number, 
/**
 * The screen and its data.
 */
view: View, 
/**
 * The wizard step, for the step indicator (`None` on attract and out-of-service).
 */
step: Step | null, 
/**
 * "Are you still there?" is showing, with this many seconds left before the wipe.
 */
idleSecondsLeft: number | null, 
/**
 * The station, for the attract screen's status line and the operator.
 */
station: StationView, 
/**
 * The session was wiped just before this update: reset language, inputs and focus.
 */
reset: boolean, };

export type Step = { 
/**
 * 1-based.
 */
index: number, 
/**
 * Always [`Step::TOTAL`].
 */
total: number, 
/**
 * On the could-not-complete screen: the step the recovery stopped at (the furthest step this
 * session reached, or the last step when it was refused after a passing Face Check). Steps
 * before it are done, the steps after it were never reached; `None` everywhere else.
 */
stoppedAt: number | null, };

export type View = { "screen": "attract" } | { "screen": "outOfService", 
/**
 * What failed (for the operator; the person sees one plain sentence).
 */
problems: Array<PreflightProblem>, } | { "screen": "identify", 
/**
 * The last entry did not look like an account name (`name@domain`).
 */
invalid: boolean, } | { "screen": "checking" } | { "screen": "chooseProvider", 
/**
 * Providers this person may use.
 */
providers: Array<ProviderCard>, 
/**
 * Whether the kiosk has a camera (otherwise only the phone path is offered).
 */
cameraAvailable: boolean, } | { "screen": "scanId", 
/**
 * The chosen provider.
 */
provider: ProviderCard, 
/**
 * Phone or camera.
 */
path: ScanPath, 
/**
 * Phone path: the provider's one-time link as a QR, once ready.
 */
link: QrView | null, 
/**
 * Phone path: the person opened the link on their phone.
 */
phoneOpened: boolean, 
/**
 * Camera path: where the capture is.
 */
capture: CaptureStage | null, } | { "screen": "addToAuthenticator", 
/**
 * The issuance deep link as a QR.
 */
qr: QrView, } | { "screen": "openAuthenticator", 
/**
 * The presentation request as a QR, once created.
 */
qr: QrView | null, } | { "screen": "faceCheckInProgress" } | { "screen": "faceCheckResult", 
/**
 * Passed. No score and no threshold: a number on screen gives a spoofer something to
 * push up (the score goes to the audit).
 */
passed: boolean, 
/**
 * `sourcePhotoQuality` of the ID photo, when known.
 */
photoQuality: PhotoQuality | null, 
/**
 * Attempts left (a failure with attempts left goes back to step 5).
 */
attemptsLeft: number, } | { "screen": "tap", 
/**
 * The pass (secret: shown only while the person holds "Show").
 */
tap: TapView, } | { "screen": "evaluationResult" } | { "screen": "couldNotComplete", 
/**
 * Why (localised by the UI, with what to do next).
 */
reason: Reason, 
/**
 * Helpdesk reference (no personal data), e.g. `RC-NAME_MISMATCH-74AAAAAA`.
 */
reference: string, };

export type QrView = { 
/**
 * What the code holds: for the phone's camera (and the demo phone, the E2E tests). Never
 * printed: a hosted link carries a one-time token and the return state, a request URL is
 * the request itself.
 */
url: string, 
/**
 * What the UI may print under the code: the host the code leads to (the provider's, or
 * the Request Service's for an `openid-vc://` request), so a person can tell where their
 * phone goes. Empty when there is no such host.
 */
hint: string, 
/**
 * A self-contained `<svg>` with a `viewBox`, so the UI scales it to the layout.
 */
svg: string, };

export type ProviderCard = { 
/**
 * Stable id, sent back by `choose_provider`.
 */
id: string, 
/**
 * The provider's own brand name (not translated).
 */
displayName: string, 
/**
 * Documents it accepts.
 */
documents: Array<DocumentKind>, 
/**
 * The phone path needs the person's own phone (the camera path needs one only for
 * Authenticator).
 */
needsPhone: boolean, };

export type DocumentKind = "passport" | "drivingLicence" | "idCard";

export type ScanPath = "phone" | "camera";

export type CaptureStage = "front" | "back" | "selfie" | "uploading" | "retake";

export type Shot = "front" | "back" | "selfie";

export type PhotoQuality = "high" | "medium" | "low";

export type TapView = { 
/**
 * The pass, in groups of four characters (`["k7Q+", "2rZa"]`); the UI joins them.
 */
groups: Array<string>, 
/**
 * Lifetime in minutes.
 */
lifetimeMinutes: number, 
/**
 * RFC 3339 expiry, for the countdown.
 */
expiresAt: string, 
/**
 * Where to sign in with it.
 */
signInUrl: string, };

export type Reason = "cancelled" | "idle_timeout" | "step_timeout" | "not_eligible" | "provider_unavailable" | "document_rejected" | "issuance_failed" | "presentation_expired" | "presentation_declined" | "presentation_failed" | "face_check_failed" | "issuer_not_accepted" | "wrong_credential_type" | "credential_revoked" | "name_mismatch" | "duplicate_name" | "records_mismatch" | "directory_name_blank" | "profile_unsupported" | "account_disabled" | "account_not_member" | "tap_policy_refused" | "tap_creation_failed" | "service_unavailable" | "rate_limited" | "evaluation_mode_verified" | "tap_issued";

export type StationView = { 
/**
 * Demo (emulated tenant) or production.
 */
mode: StationMode, 
/**
 * Station id from the configuration (shown small on attract, in references).
 */
stationId: string, 
/**
 * Pre-flight passed: recoveries can start.
 */
ready: boolean, 
/**
 * What failed pre-flight (empty when ready).
 */
problems: Array<PreflightProblem>, 
/**
 * The language the attract screen starts in, and returns to on every wipe.
 */
defaultLocale: Locale, 
/**
 * The station's camera as found at start (shown small on attract; a missing camera only
 * hides the camera path, the phone path still works). Absent from older peers: `absent`.
 */
camera: CameraStatus, };

export type CameraStatus = "present" | "absent" | "refusedVirtual";

export type StationMode = "demo" | "production";

export type Locale = "en" | "de" | "fr" | "es" | "pl";

export type PreflightProblem = "network" | "clockSkew" | "relayUnreachable" | "tenantUnreachable" | "configInvalid" | "switchedOff" | "serviceUnreachable" | "stationNotEnrolled";

export type ErrorView = { 
/**
 * What went wrong.
 */
code: ErrorCode, 
/**
 * For the log; never personal data.
 */
message: string, };

export type ErrorCode = "invalidInput" | "notNow" | "cameraUnavailable" | "outOfService" | "engineStopped" | "internal";

export type PreviewFrame = { 
/**
 * Frame counter.
 */
seq: number, 
/**
 * Pixels.
 */
width: number, 
/**
 * Pixels.
 */
height: number, 
/**
 * `data:image/jpeg;base64,…`.
 */
dataUrl: string, 
/**
 * The local quality check's verdict on this frame: "Take photo" is enabled only when `ok`.
 */
quality: FrameQuality, };

export type FrameQuality = { 
/**
 * The frame would pass.
 */
ok: boolean, 
/**
 * What to fix, when not `ok`.
 */
advice: CaptureAdvice | null, };

export type CaptureAdvice = "holdStill" | "reduceGlare" | "moveCloser" | "fitInFrame";
