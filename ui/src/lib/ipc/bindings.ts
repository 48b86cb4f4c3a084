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
cameraAvailable: boolean, 
/**
 * "I already have my ID in Authenticator": the credentials the person may present
 * instead of a new scan (empty unless the site allows it).
 */
existing: Array<ExistingChoice>, } | { "screen": "scanId", 
/**
 * The chosen provider.
 */
provider: ProviderCard, 
/**
 * Phone or camera.
 */
path: ScanPath, 
/**
 * Phone path: the provider's one-time link as a QR, once ready; for a link-only provider
 * (`provider.linkOnly`), its onboarding page, at once.
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
reference: string, 
/**
 * Whether the person may ask for a member of staff (the trusted referee), or did.
 */
staff: StaffHelp, };

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
needsPhone: boolean, 
/**
 * A provider without an API: only its own Verified ID onboarding page, on the person's
 * phone (no camera path). Its scan step shows that page as a QR and an "I have added it"
 * button (`added_to_wallet`). Absent from older peers: `false`.
 */
linkOnly: boolean, };

export type DocumentKind = "passport" | "drivingLicence" | "idCard";

export type ScanPath = "phone" | "camera";

export type StaffHelp = "none" | "offered" | "waiting";

export type ExistingChoice = { 
/**
 * The choice (sent back with `presentExisting`).
 */
id: string, 
/**
 * The site's name for it (empty for `profile`).
 */
label: string, };

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
signInUrl: string, 
/**
 * Offer the organisation's `VerifiedEmployee` credential: a QR to My Account
 * ([`MY_ACCOUNT_URL`], "Get my Verified ID"), for once the person can sign in again.
 */
verifiedEmployee: boolean, };

export type Reason = "cancelled" | "idle_timeout" | "step_timeout" | "not_eligible" | "provider_unavailable" | "document_rejected" | "issuance_failed" | "presentation_expired" | "presentation_declined" | "presentation_failed" | "face_check_failed" | "issuer_not_accepted" | "wrong_credential_type" | "credential_revoked" | "credential_too_old" | "name_mismatch" | "duplicate_name" | "records_mismatch" | "directory_name_blank" | "referee_refused" | "profile_unsupported" | "account_disabled" | "account_not_member" | "tap_policy_refused" | "tap_creation_failed" | "service_unavailable" | "rate_limited" | "evaluation_mode_verified" | "tap_issued";

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

export const AUTHENTICATOR_INSTALL_QR: QrView = {"url":"https://www.microsoft.com/security/mobile-authenticator-app","hint":"www.microsoft.com","svg":"<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"328\" height=\"328\" viewBox=\"0 0 41 41\" shape-rendering=\"crispEdges\"><rect width=\"41\" height=\"41\" fill=\"#ffffff\"/><path fill=\"#000000\" d=\"M4 4h7v1h-7zM13 4h1v1h-1zM15 4h1v1h-1zM18 4h1v1h-1zM20 4h1v1h-1zM22 4h2v1h-2zM25 4h1v1h-1zM27 4h1v1h-1zM30 4h7v1h-7zM4 5h1v1h-1zM10 5h1v1h-1zM16 5h1v1h-1zM19 5h2v1h-2zM25 5h2v1h-2zM30 5h1v1h-1zM36 5h1v1h-1zM4 6h1v1h-1zM6 6h3v1h-3zM10 6h1v1h-1zM12 6h1v1h-1zM14 6h1v1h-1zM18 6h1v1h-1zM22 6h1v1h-1zM24 6h2v1h-2zM30 6h1v1h-1zM32 6h3v1h-3zM36 6h1v1h-1zM4 7h1v1h-1zM6 7h3v1h-3zM10 7h1v1h-1zM12 7h2v1h-2zM16 7h1v1h-1zM19 7h1v1h-1zM21 7h1v1h-1zM24 7h1v1h-1zM26 7h2v1h-2zM30 7h1v1h-1zM32 7h3v1h-3zM36 7h1v1h-1zM4 8h1v1h-1zM6 8h3v1h-3zM10 8h1v1h-1zM12 8h1v1h-1zM14 8h3v1h-3zM18 8h7v1h-7zM27 8h1v1h-1zM30 8h1v1h-1zM32 8h3v1h-3zM36 8h1v1h-1zM4 9h1v1h-1zM10 9h1v1h-1zM12 9h1v1h-1zM14 9h1v1h-1zM16 9h1v1h-1zM18 9h1v1h-1zM21 9h1v1h-1zM24 9h2v1h-2zM30 9h1v1h-1zM36 9h1v1h-1zM4 10h7v1h-7zM12 10h1v1h-1zM14 10h1v1h-1zM16 10h1v1h-1zM18 10h1v1h-1zM20 10h1v1h-1zM22 10h1v1h-1zM24 10h1v1h-1zM26 10h1v1h-1zM28 10h1v1h-1zM30 10h7v1h-7zM12 11h2v1h-2zM16 11h1v1h-1zM18 11h1v1h-1zM20 11h1v1h-1zM22 11h1v1h-1zM25 11h2v1h-2zM4 12h1v1h-1zM6 12h5v1h-5zM13 12h1v1h-1zM16 12h3v1h-3zM21 12h1v1h-1zM24 12h1v1h-1zM26 12h1v1h-1zM28 12h1v1h-1zM30 12h5v1h-5zM7 13h1v1h-1zM12 13h7v1h-7zM20 13h5v1h-5zM27 13h1v1h-1zM30 13h2v1h-2zM33 13h4v1h-4zM5 14h1v1h-1zM7 14h2v1h-2zM10 14h1v1h-1zM13 14h1v1h-1zM16 14h6v1h-6zM25 14h1v1h-1zM28 14h1v1h-1zM30 14h1v1h-1zM32 14h1v1h-1zM34 14h2v1h-2zM4 15h1v1h-1zM12 15h1v1h-1zM17 15h1v1h-1zM19 15h2v1h-2zM23 15h3v1h-3zM27 15h1v1h-1zM29 15h1v1h-1zM32 15h3v1h-3zM4 16h2v1h-2zM7 16h5v1h-5zM14 16h2v1h-2zM18 16h2v1h-2zM21 16h1v1h-1zM26 16h2v1h-2zM29 16h1v1h-1zM31 16h3v1h-3zM35 16h1v1h-1zM4 17h4v1h-4zM9 17h1v1h-1zM12 17h1v1h-1zM19 17h1v1h-1zM23 17h3v1h-3zM27 17h1v1h-1zM30 17h1v1h-1zM35 17h2v1h-2zM4 18h2v1h-2zM8 18h1v1h-1zM10 18h3v1h-3zM14 18h2v1h-2zM17 18h3v1h-3zM21 18h2v1h-2zM24 18h1v1h-1zM29 18h7v1h-7zM7 19h1v1h-1zM11 19h2v1h-2zM15 19h1v1h-1zM19 19h1v1h-1zM23 19h1v1h-1zM25 19h2v1h-2zM28 19h4v1h-4zM34 19h1v1h-1zM6 20h2v1h-2zM9 20h2v1h-2zM17 20h1v1h-1zM19 20h1v1h-1zM21 20h1v1h-1zM26 20h1v1h-1zM28 20h2v1h-2zM31 20h2v1h-2zM36 20h1v1h-1zM4 21h3v1h-3zM8 21h2v1h-2zM13 21h1v1h-1zM16 21h2v1h-2zM20 21h1v1h-1zM22 21h10v1h-10zM33 21h4v1h-4zM5 22h3v1h-3zM10 22h1v1h-1zM13 22h1v1h-1zM18 22h5v1h-5zM24 22h3v1h-3zM29 22h4v1h-4zM34 22h2v1h-2zM4 23h1v1h-1zM8 23h2v1h-2zM15 23h2v1h-2zM18 23h1v1h-1zM22 23h6v1h-6zM31 23h5v1h-5zM4 24h3v1h-3zM10 24h5v1h-5zM19 24h5v1h-5zM26 24h1v1h-1zM28 24h2v1h-2zM31 24h3v1h-3zM36 24h1v1h-1zM4 25h1v1h-1zM6 25h3v1h-3zM11 25h1v1h-1zM14 25h1v1h-1zM18 25h1v1h-1zM20 25h6v1h-6zM27 25h1v1h-1zM30 25h1v1h-1zM33 25h1v1h-1zM36 25h1v1h-1zM4 26h1v1h-1zM6 26h1v1h-1zM8 26h1v1h-1zM10 26h1v1h-1zM14 26h1v1h-1zM17 26h1v1h-1zM19 26h1v1h-1zM21 26h1v1h-1zM24 26h1v1h-1zM29 26h1v1h-1zM32 26h2v1h-2zM35 26h1v1h-1zM4 27h1v1h-1zM6 27h1v1h-1zM8 27h1v1h-1zM11 27h4v1h-4zM18 27h2v1h-2zM25 27h1v1h-1zM29 27h2v1h-2zM32 27h5v1h-5zM4 28h1v1h-1zM7 28h4v1h-4zM12 28h1v1h-1zM15 28h3v1h-3zM19 28h3v1h-3zM23 28h1v1h-1zM26 28h7v1h-7zM36 28h1v1h-1zM12 29h1v1h-1zM14 29h3v1h-3zM18 29h1v1h-1zM20 29h5v1h-5zM27 29h2v1h-2zM32 29h1v1h-1zM34 29h1v1h-1zM36 29h1v1h-1zM4 30h7v1h-7zM13 30h1v1h-1zM18 30h3v1h-3zM24 30h1v1h-1zM26 30h3v1h-3zM30 30h1v1h-1zM32 30h1v1h-1zM34 30h2v1h-2zM4 31h1v1h-1zM10 31h1v1h-1zM12 31h2v1h-2zM17 31h1v1h-1zM20 31h1v1h-1zM23 31h1v1h-1zM25 31h1v1h-1zM27 31h2v1h-2zM32 31h3v1h-3zM36 31h1v1h-1zM4 32h1v1h-1zM6 32h3v1h-3zM10 32h1v1h-1zM12 32h4v1h-4zM20 32h2v1h-2zM26 32h1v1h-1zM28 32h6v1h-6zM4 33h1v1h-1zM6 33h3v1h-3zM10 33h1v1h-1zM12 33h2v1h-2zM16 33h2v1h-2zM20 33h5v1h-5zM26 33h2v1h-2zM29 33h1v1h-1zM32 33h2v1h-2zM35 33h2v1h-2zM4 34h1v1h-1zM6 34h3v1h-3zM10 34h1v1h-1zM12 34h1v1h-1zM14 34h1v1h-1zM16 34h1v1h-1zM19 34h2v1h-2zM26 34h6v1h-6zM33 34h2v1h-2zM4 35h1v1h-1zM10 35h1v1h-1zM16 35h4v1h-4zM24 35h3v1h-3zM29 35h1v1h-1zM32 35h3v1h-3zM4 36h7v1h-7zM12 36h2v1h-2zM15 36h2v1h-2zM19 36h1v1h-1zM21 36h2v1h-2zM24 36h1v1h-1zM26 36h1v1h-1zM28 36h2v1h-2zM31 36h1v1h-1zM35 36h1v1h-1z\"/></svg>"};

export const SECURITY_INFO_QR: QrView = {"url":"https://mysignins.microsoft.com/security-info","hint":"mysignins.microsoft.com","svg":"<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"328\" height=\"328\" viewBox=\"0 0 41 41\" shape-rendering=\"crispEdges\"><rect width=\"41\" height=\"41\" fill=\"#ffffff\"/><path fill=\"#000000\" d=\"M4 4h7v1h-7zM13 4h4v1h-4zM20 4h1v1h-1zM23 4h2v1h-2zM27 4h1v1h-1zM30 4h7v1h-7zM4 5h1v1h-1zM10 5h1v1h-1zM13 5h2v1h-2zM16 5h1v1h-1zM19 5h2v1h-2zM22 5h1v1h-1zM24 5h1v1h-1zM26 5h1v1h-1zM30 5h1v1h-1zM36 5h1v1h-1zM4 6h1v1h-1zM6 6h3v1h-3zM10 6h1v1h-1zM12 6h1v1h-1zM15 6h2v1h-2zM18 6h1v1h-1zM23 6h1v1h-1zM25 6h3v1h-3zM30 6h1v1h-1zM32 6h3v1h-3zM36 6h1v1h-1zM4 7h1v1h-1zM6 7h3v1h-3zM10 7h1v1h-1zM12 7h1v1h-1zM14 7h1v1h-1zM16 7h1v1h-1zM19 7h1v1h-1zM22 7h1v1h-1zM25 7h1v1h-1zM28 7h1v1h-1zM30 7h1v1h-1zM32 7h3v1h-3zM36 7h1v1h-1zM4 8h1v1h-1zM6 8h3v1h-3zM10 8h1v1h-1zM12 8h2v1h-2zM15 8h1v1h-1zM17 8h4v1h-4zM24 8h1v1h-1zM27 8h1v1h-1zM30 8h1v1h-1zM32 8h3v1h-3zM36 8h1v1h-1zM4 9h1v1h-1zM10 9h1v1h-1zM12 9h2v1h-2zM16 9h3v1h-3zM21 9h3v1h-3zM26 9h1v1h-1zM28 9h1v1h-1zM30 9h1v1h-1zM36 9h1v1h-1zM4 10h7v1h-7zM12 10h1v1h-1zM14 10h1v1h-1zM16 10h1v1h-1zM18 10h1v1h-1zM20 10h1v1h-1zM22 10h1v1h-1zM24 10h1v1h-1zM26 10h1v1h-1zM28 10h1v1h-1zM30 10h7v1h-7zM12 11h3v1h-3zM18 11h1v1h-1zM20 11h1v1h-1zM22 11h4v1h-4zM27 11h1v1h-1zM4 12h1v1h-1zM6 12h5v1h-5zM13 12h3v1h-3zM17 12h2v1h-2zM21 12h1v1h-1zM23 12h1v1h-1zM26 12h1v1h-1zM28 12h1v1h-1zM30 12h5v1h-5zM12 13h2v1h-2zM15 13h3v1h-3zM20 13h5v1h-5zM27 13h1v1h-1zM30 13h2v1h-2zM33 13h2v1h-2zM36 13h1v1h-1zM4 14h5v1h-5zM10 14h1v1h-1zM12 14h2v1h-2zM17 14h3v1h-3zM21 14h1v1h-1zM24 14h1v1h-1zM26 14h1v1h-1zM29 14h1v1h-1zM32 14h1v1h-1zM34 14h2v1h-2zM4 15h4v1h-4zM9 15h1v1h-1zM12 15h1v1h-1zM17 15h1v1h-1zM20 15h3v1h-3zM28 15h1v1h-1zM32 15h5v1h-5zM8 16h4v1h-4zM14 16h2v1h-2zM18 16h1v1h-1zM20 16h1v1h-1zM23 16h7v1h-7zM32 16h2v1h-2zM5 17h3v1h-3zM9 17h1v1h-1zM12 17h1v1h-1zM15 17h1v1h-1zM17 17h1v1h-1zM19 17h1v1h-1zM21 17h2v1h-2zM27 17h1v1h-1zM29 17h2v1h-2zM33 17h4v1h-4zM6 18h1v1h-1zM10 18h2v1h-2zM14 18h4v1h-4zM19 18h3v1h-3zM24 18h2v1h-2zM28 18h3v1h-3zM33 18h3v1h-3zM6 19h1v1h-1zM8 19h1v1h-1zM11 19h1v1h-1zM13 19h5v1h-5zM19 19h1v1h-1zM25 19h3v1h-3zM29 19h6v1h-6zM5 20h1v1h-1zM9 20h2v1h-2zM12 20h2v1h-2zM19 20h1v1h-1zM21 20h1v1h-1zM26 20h4v1h-4zM31 20h2v1h-2zM36 20h1v1h-1zM8 21h1v1h-1zM11 21h6v1h-6zM18 21h1v1h-1zM23 21h3v1h-3zM27 21h1v1h-1zM30 21h2v1h-2zM33 21h4v1h-4zM7 22h2v1h-2zM10 22h2v1h-2zM14 22h1v1h-1zM16 22h1v1h-1zM18 22h2v1h-2zM22 22h1v1h-1zM24 22h2v1h-2zM30 22h3v1h-3zM34 22h2v1h-2zM5 23h3v1h-3zM9 23h1v1h-1zM11 23h2v1h-2zM15 23h6v1h-6zM24 23h6v1h-6zM31 23h6v1h-6zM8 24h1v1h-1zM10 24h3v1h-3zM16 24h1v1h-1zM19 24h1v1h-1zM22 24h2v1h-2zM25 24h1v1h-1zM28 24h1v1h-1zM31 24h3v1h-3zM35 24h2v1h-2zM4 25h3v1h-3zM8 25h1v1h-1zM12 25h1v1h-1zM15 25h1v1h-1zM18 25h3v1h-3zM24 25h1v1h-1zM26 25h2v1h-2zM30 25h1v1h-1zM34 25h1v1h-1zM36 25h1v1h-1zM4 26h1v1h-1zM6 26h3v1h-3zM10 26h1v1h-1zM13 26h1v1h-1zM15 26h1v1h-1zM21 26h3v1h-3zM26 26h1v1h-1zM29 26h5v1h-5zM35 26h1v1h-1zM4 27h1v1h-1zM6 27h2v1h-2zM9 27h1v1h-1zM11 27h1v1h-1zM13 27h3v1h-3zM17 27h2v1h-2zM20 27h1v1h-1zM23 27h3v1h-3zM28 27h2v1h-2zM31 27h1v1h-1zM33 27h3v1h-3zM4 28h1v1h-1zM7 28h1v1h-1zM9 28h2v1h-2zM13 28h3v1h-3zM17 28h2v1h-2zM20 28h2v1h-2zM23 28h1v1h-1zM26 28h8v1h-8zM35 28h2v1h-2zM12 29h2v1h-2zM16 29h1v1h-1zM20 29h5v1h-5zM26 29h3v1h-3zM32 29h1v1h-1zM34 29h1v1h-1zM36 29h1v1h-1zM4 30h7v1h-7zM14 30h6v1h-6zM21 30h1v1h-1zM26 30h3v1h-3zM30 30h1v1h-1zM32 30h1v1h-1zM34 30h1v1h-1zM4 31h1v1h-1zM10 31h1v1h-1zM12 31h1v1h-1zM14 31h1v1h-1zM16 31h2v1h-2zM20 31h5v1h-5zM27 31h2v1h-2zM32 31h4v1h-4zM4 32h1v1h-1zM6 32h3v1h-3zM10 32h1v1h-1zM12 32h1v1h-1zM14 32h2v1h-2zM18 32h3v1h-3zM23 32h4v1h-4zM28 32h6v1h-6zM35 32h2v1h-2zM4 33h1v1h-1zM6 33h3v1h-3zM10 33h1v1h-1zM12 33h1v1h-1zM14 33h3v1h-3zM18 33h2v1h-2zM21 33h2v1h-2zM25 33h1v1h-1zM27 33h3v1h-3zM32 33h3v1h-3zM36 33h1v1h-1zM4 34h1v1h-1zM6 34h3v1h-3zM10 34h1v1h-1zM12 34h2v1h-2zM15 34h1v1h-1zM19 34h3v1h-3zM24 34h1v1h-1zM29 34h3v1h-3zM33 34h2v1h-2zM4 35h1v1h-1zM10 35h1v1h-1zM13 35h2v1h-2zM17 35h3v1h-3zM25 35h2v1h-2zM29 35h2v1h-2zM32 35h3v1h-3zM4 36h7v1h-7zM12 36h1v1h-1zM17 36h1v1h-1zM19 36h1v1h-1zM21 36h1v1h-1zM27 36h3v1h-3zM31 36h1v1h-1zM33 36h1v1h-1zM35 36h1v1h-1z\"/></svg>"};

export const MY_ACCOUNT_QR: QrView = {"url":"https://myaccount.microsoft.com/","hint":"myaccount.microsoft.com","svg":"<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"333\" height=\"333\" viewBox=\"0 0 37 37\" shape-rendering=\"crispEdges\"><rect width=\"37\" height=\"37\" fill=\"#ffffff\"/><path fill=\"#000000\" d=\"M4 4h7v1h-7zM12 4h1v1h-1zM19 4h2v1h-2zM22 4h1v1h-1zM26 4h7v1h-7zM4 5h1v1h-1zM10 5h1v1h-1zM12 5h4v1h-4zM20 5h2v1h-2zM23 5h2v1h-2zM26 5h1v1h-1zM32 5h1v1h-1zM4 6h1v1h-1zM6 6h3v1h-3zM10 6h1v1h-1zM12 6h1v1h-1zM14 6h3v1h-3zM19 6h2v1h-2zM26 6h1v1h-1zM28 6h3v1h-3zM32 6h1v1h-1zM4 7h1v1h-1zM6 7h3v1h-3zM10 7h1v1h-1zM13 7h2v1h-2zM16 7h1v1h-1zM20 7h2v1h-2zM26 7h1v1h-1zM28 7h3v1h-3zM32 7h1v1h-1zM4 8h1v1h-1zM6 8h3v1h-3zM10 8h1v1h-1zM12 8h1v1h-1zM14 8h1v1h-1zM18 8h4v1h-4zM23 8h1v1h-1zM26 8h1v1h-1zM28 8h3v1h-3zM32 8h1v1h-1zM4 9h1v1h-1zM10 9h1v1h-1zM16 9h1v1h-1zM19 9h2v1h-2zM22 9h1v1h-1zM24 9h1v1h-1zM26 9h1v1h-1zM32 9h1v1h-1zM4 10h7v1h-7zM12 10h1v1h-1zM14 10h1v1h-1zM16 10h1v1h-1zM18 10h1v1h-1zM20 10h1v1h-1zM22 10h1v1h-1zM24 10h1v1h-1zM26 10h7v1h-7zM14 11h1v1h-1zM16 11h2v1h-2zM19 11h2v1h-2zM24 11h1v1h-1zM4 12h1v1h-1zM7 12h6v1h-6zM14 12h1v1h-1zM16 12h2v1h-2zM21 12h1v1h-1zM23 12h1v1h-1zM25 12h1v1h-1zM28 12h1v1h-1zM30 12h3v1h-3zM5 13h2v1h-2zM8 13h2v1h-2zM11 13h1v1h-1zM14 13h1v1h-1zM16 13h2v1h-2zM20 13h4v1h-4zM27 13h2v1h-2zM30 13h2v1h-2zM4 14h2v1h-2zM7 14h1v1h-1zM9 14h4v1h-4zM14 14h4v1h-4zM19 14h2v1h-2zM25 14h1v1h-1zM30 14h1v1h-1zM5 15h1v1h-1zM7 15h1v1h-1zM12 15h1v1h-1zM14 15h1v1h-1zM16 15h2v1h-2zM20 15h2v1h-2zM25 15h1v1h-1zM27 15h3v1h-3zM32 15h1v1h-1zM4 16h3v1h-3zM8 16h1v1h-1zM10 16h1v1h-1zM12 16h1v1h-1zM14 16h1v1h-1zM16 16h2v1h-2zM19 16h2v1h-2zM24 16h1v1h-1zM26 16h2v1h-2zM32 16h1v1h-1zM5 17h1v1h-1zM7 17h1v1h-1zM9 17h1v1h-1zM13 17h1v1h-1zM15 17h4v1h-4zM20 17h1v1h-1zM22 17h1v1h-1zM26 17h7v1h-7zM4 18h1v1h-1zM7 18h2v1h-2zM10 18h2v1h-2zM13 18h1v1h-1zM16 18h2v1h-2zM20 18h2v1h-2zM23 18h2v1h-2zM27 18h2v1h-2zM30 18h1v1h-1zM32 18h1v1h-1zM4 19h3v1h-3zM8 19h1v1h-1zM12 19h2v1h-2zM15 19h2v1h-2zM19 19h1v1h-1zM22 19h1v1h-1zM25 19h1v1h-1zM28 19h1v1h-1zM30 19h1v1h-1zM32 19h1v1h-1zM10 20h1v1h-1zM13 20h1v1h-1zM15 20h2v1h-2zM18 20h1v1h-1zM23 20h2v1h-2zM27 20h1v1h-1zM29 20h1v1h-1zM4 21h1v1h-1zM6 21h1v1h-1zM8 21h1v1h-1zM11 21h1v1h-1zM17 21h2v1h-2zM20 21h2v1h-2zM23 21h3v1h-3zM28 21h1v1h-1zM30 21h2v1h-2zM4 22h4v1h-4zM9 22h3v1h-3zM14 22h3v1h-3zM19 22h1v1h-1zM21 22h1v1h-1zM23 22h2v1h-2zM26 22h1v1h-1zM28 22h2v1h-2zM32 22h1v1h-1zM4 23h6v1h-6zM12 23h1v1h-1zM14 23h1v1h-1zM18 23h3v1h-3zM22 23h1v1h-1zM25 23h1v1h-1zM29 23h2v1h-2zM4 24h4v1h-4zM10 24h1v1h-1zM14 24h1v1h-1zM16 24h3v1h-3zM20 24h3v1h-3zM24 24h8v1h-8zM12 25h1v1h-1zM14 25h2v1h-2zM18 25h5v1h-5zM24 25h1v1h-1zM28 25h2v1h-2zM4 26h7v1h-7zM12 26h3v1h-3zM18 26h3v1h-3zM23 26h2v1h-2zM26 26h1v1h-1zM28 26h2v1h-2zM4 27h1v1h-1zM10 27h1v1h-1zM12 27h3v1h-3zM18 27h1v1h-1zM21 27h2v1h-2zM24 27h1v1h-1zM28 27h1v1h-1zM32 27h1v1h-1zM4 28h1v1h-1zM6 28h3v1h-3zM10 28h1v1h-1zM12 28h1v1h-1zM14 28h1v1h-1zM17 28h2v1h-2zM20 28h1v1h-1zM23 28h7v1h-7zM31 28h2v1h-2zM4 29h1v1h-1zM6 29h3v1h-3zM10 29h1v1h-1zM12 29h1v1h-1zM15 29h1v1h-1zM17 29h1v1h-1zM19 29h2v1h-2zM22 29h4v1h-4zM27 29h1v1h-1zM32 29h1v1h-1zM4 30h1v1h-1zM6 30h3v1h-3zM10 30h1v1h-1zM13 30h5v1h-5zM19 30h1v1h-1zM21 30h2v1h-2zM25 30h1v1h-1zM27 30h2v1h-2zM30 30h3v1h-3zM4 31h1v1h-1zM10 31h1v1h-1zM15 31h1v1h-1zM17 31h3v1h-3zM23 31h1v1h-1zM25 31h1v1h-1zM27 31h4v1h-4zM32 31h1v1h-1zM4 32h7v1h-7zM12 32h1v1h-1zM23 32h4v1h-4z\"/></svg>"};
