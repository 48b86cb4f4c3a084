// Example views for every screen: used by the unit tests, the mock backend and the browser
// UI tests. The QR codes are real ones, rendered by reclaim-engine's QrView::for_phone.
import type { ProviderCard, QrView, StationView, View, ViewUpdate } from '../lib/ipc/bindings';
import qr from './qr-fixtures.json';

export const QR: Record<'phoneLink' | 'onboarding' | 'issuance' | 'presentation', QrView> = qr;

export const STATION: StationView = {
  mode: 'demo',
  stationId: 'LOBBY-01',
  ready: true,
  problems: [],
  defaultLocale: 'en',
  camera: 'present',
};

export const PROVIDERS: ProviderCard[] = [
  { id: 'idv-contoso', displayName: 'Contoso Verify', documents: ['passport', 'drivingLicence', 'idCard'], needsPhone: true, linkOnly: false },
  { id: 'idv-fabrikam', displayName: 'Fabrikam ID', documents: ['passport', 'idCard'], needsPhone: true, linkOnly: false },
  // A provider without an API: only its own Verified ID onboarding page (issue 17 item 8).
  { id: 'idv-northwind', displayName: 'Northwind ID', documents: ['passport', 'idCard'], needsPhone: true, linkOnly: true },
];

const STEP: Record<View['screen'], number | null> = {
  attract: null,
  outOfService: null,
  identify: 1,
  checking: 1,
  chooseProvider: 2,
  scanId: 3,
  addToAuthenticator: 3,
  openAuthenticator: 4,
  faceCheckInProgress: 4,
  faceCheckResult: 4,
  tap: 5,
  evaluationResult: 5,
  couldNotComplete: 5,
};

/** Reasons refused after a passing Face Check (the engine's `ReasonCode::after_proof`). */
const AFTER_PROOF = new Set(['name_mismatch', 'duplicate_name', 'records_mismatch', 'directory_name_blank', 'account_disabled', 'account_not_member', 'tap_policy_refused', 'tap_creation_failed']);

/** Where a could-not-complete view stopped, as the engine would say (Face Check for the rest). */
function stoppedAt(view: View): number | null {
  if (view.screen !== 'couldNotComplete') return null;
  return AFTER_PROOF.has(view.reason) ? 5 : 4;
}

/** A full update around a view, with the step the engine would give it. */
export function updateFor(view: View, extra: Partial<ViewUpdate> = {}): ViewUpdate {
  const index = STEP[view.screen];
  return {
    seq: 1,
    view,
    step: index === null ? null : { index, total: 5, stoppedAt: stoppedAt(view) },
    idleSecondsLeft: null,
    station: STATION,
    reset: false,
    ...extra,
  };
}

/** A TAP that expires `minutes` from now. */
export function tapView(minutes = 60, verifiedEmployee = false): View {
  return {
    screen: 'tap',
    tap: {
      groups: ['k7Q+', '2rZa', '9mXc'],
      lifetimeMinutes: minutes,
      expiresAt: new Date(Date.now() + minutes * 60_000).toISOString(),
      signInUrl: 'https://myaccount.microsoft.com',
      verifiedEmployee,
    },
  };
}

/** Named examples of every screen (and their interesting variants). */
export const SCREENS = {
  attract: (): View => ({ screen: 'attract' }),
  outOfService: (): View => ({ screen: 'outOfService', problems: ['network', 'relayUnreachable'] }),
  identify: (): View => ({ screen: 'identify', invalid: false }),
  identifyInvalid: (): View => ({ screen: 'identify', invalid: true }),
  checking: (): View => ({ screen: 'checking' }),
  chooseProvider: (): View => ({ screen: 'chooseProvider', providers: PROVIDERS.slice(0, 2), cameraAvailable: true, existing: [] }),
  chooseProviderExisting: (): View => ({
    screen: 'chooseProvider',
    providers: [PROVIDERS[0]!],
    cameraAvailable: true,
    existing: [
      { id: 'profile', label: '' },
      { id: 'verified-employee', label: 'Verified employee (Contoso)' },
    ],
  }),
  chooseProviderLinkOnly: (): View => ({ screen: 'chooseProvider', providers: [PROVIDERS[0]!, PROVIDERS[2]!], cameraAvailable: true, existing: [] }),
  chooseProviderNoCamera: (): View => ({ screen: 'chooseProvider', providers: [PROVIDERS[0]!], cameraAvailable: false, existing: [] }),
  scanIdPhonePreparing: (): View => ({ screen: 'scanId', provider: PROVIDERS[0]!, path: 'phone', link: null, phoneOpened: false, capture: null }),
  scanIdPhone: (): View => ({ screen: 'scanId', provider: PROVIDERS[0]!, path: 'phone', link: QR.phoneLink, phoneOpened: false, capture: null }),
  scanIdPhoneOpened: (): View => ({ screen: 'scanId', provider: PROVIDERS[0]!, path: 'phone', link: QR.phoneLink, phoneOpened: true, capture: null }),
  scanIdLinkOnly: (): View => ({ screen: 'scanId', provider: PROVIDERS[2]!, path: 'phone', link: QR.onboarding, phoneOpened: false, capture: null }),
  scanIdCameraFront: (): View => ({ screen: 'scanId', provider: PROVIDERS[0]!, path: 'camera', link: null, phoneOpened: false, capture: 'front' }),
  scanIdCameraSelfie: (): View => ({ screen: 'scanId', provider: PROVIDERS[0]!, path: 'camera', link: null, phoneOpened: false, capture: 'selfie' }),
  scanIdCameraRetake: (): View => ({ screen: 'scanId', provider: PROVIDERS[0]!, path: 'camera', link: null, phoneOpened: false, capture: 'retake' }),
  scanIdCameraUploading: (): View => ({ screen: 'scanId', provider: PROVIDERS[0]!, path: 'camera', link: null, phoneOpened: false, capture: 'uploading' }),
  addToAuthenticator: (): View => ({ screen: 'addToAuthenticator', qr: QR.issuance }),
  openAuthenticatorPreparing: (): View => ({ screen: 'openAuthenticator', qr: null }),
  openAuthenticator: (): View => ({ screen: 'openAuthenticator', qr: QR.presentation }),
  faceCheckInProgress: (): View => ({ screen: 'faceCheckInProgress' }),
  faceCheckPassed: (): View => ({ screen: 'faceCheckResult', passed: true, photoQuality: 'high', attemptsLeft: 2 }),
  faceCheckFailed: (): View => ({ screen: 'faceCheckResult', passed: false, photoQuality: 'low', attemptsLeft: 1 }),
  tap: (): View => tapView(60),
  tapVerifiedId: (): View => tapView(60, true),
  evaluationResult: (): View => ({ screen: 'evaluationResult' }),
  couldNotComplete: (): View => ({ screen: 'couldNotComplete', reason: 'name_mismatch', reference: 'RC-NAME_MISMATCH-74AAAAAA', staff: 'none' }),
  couldNotCompleteDuplicate: (): View => ({ screen: 'couldNotComplete', reason: 'duplicate_name', reference: 'RC-DUPLICATE_NAME-3KQ9ZT2B', staff: 'none' }),
  couldNotCompleteStaffOffered: (): View => ({ screen: 'couldNotComplete', reason: 'duplicate_name', reference: 'RC-DUPLICATE_NAME-3KQ9ZT2B', staff: 'offered' }),
  couldNotCompleteStaffWaiting: (): View => ({ screen: 'couldNotComplete', reason: 'duplicate_name', reference: 'RC-DUPLICATE_NAME-3KQ9ZT2B', staff: 'waiting' }),
} satisfies Record<string, () => View>;

export type ScreenName = keyof typeof SCREENS;
