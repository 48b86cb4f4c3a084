// A scripted backend for the mock build: it walks through a plausible recovery when the UI
// calls it (for demos with `npm run dev -- --mode mock`), and exposes `window.__reclaimMock`
// so the browser UI tests can put any screen up directly and see which commands were called.
import { setBackend, type Backend } from '../lib/ipc/backend';
import type { ErrorView, PreviewFrame, View, ViewUpdate } from '../lib/ipc/bindings';
import { PROVIDERS, QR, SCREENS, STATION, updateFor, type ScreenName } from './fixtures';

export interface MockControl {
  /** Put a named example screen up. */
  show(name: ScreenName, extra?: Partial<ViewUpdate>): void;
  /** Push a view (seq and step filled in). */
  push(view: View, extra?: Partial<ViewUpdate>): void;
  /** Show or hide "Are you still there?". */
  idle(secondsLeft: number | null): void;
  /** Make the next command reject with this error. */
  failNext(error: ErrorView): void;
  /** Stop the scripted timers (tests drive screens themselves). */
  manual(): void;
  /** Commands the UI called, in order. */
  calls: Array<{ cmd: string; args: unknown[] }>;
  /** Names of every example screen. */
  names: ScreenName[];
}

declare global {
  interface Window {
    __reclaimMock?: MockControl;
  }
}

/** A synthetic camera: a card-like picture drawn on a canvas, encoded as a JPEG data URL. */
function syntheticFrame(seq: number): PreviewFrame | null {
  const c = document.createElement('canvas');
  c.width = 960;
  c.height = 540;
  const g = c.getContext('2d');
  if (!g) return null;
  g.fillStyle = '#3b4a57';
  g.fillRect(0, 0, c.width, c.height);
  g.save();
  g.translate(480 + Math.sin(seq / 6) * 8, 270);
  g.rotate(Math.sin(seq / 9) * 0.02);
  // The card held inside the UI's guide (82% × 92% of the frame), as the kiosk's synthetic camera does.
  g.scale(1.25, 1.25);
  g.fillStyle = '#e9eef2';
  g.fillRect(-290, -180, 580, 360);
  g.fillStyle = '#9fb3c4';
  g.fillRect(-260, -140, 160, 200);
  g.fillStyle = '#5a6b7a';
  for (let i = 0; i < 5; i++) g.fillRect(-70, -130 + i * 45, 320 - i * 30, 18);
  g.restore();
  // As the kiosk's quality check would say: a moment to settle, then the card passes.
  const quality: PreviewFrame['quality'] =
    seq < 2 ? { ok: false, advice: 'holdStill' } : { ok: true, advice: null };
  return { seq, width: c.width, height: c.height, dataUrl: c.toDataURL('image/jpeg', 0.7), quality };
}

export function installMockBackend(): MockControl {
  let seq = 0;
  let current: ViewUpdate = updateFor(SCREENS.attract(), { seq: 0 });
  let listener: ((u: ViewUpdate) => void) | null = null;
  let scripted = true;
  let timers: ReturnType<typeof setTimeout>[] = [];
  let pendingError: ErrorView | null = null;
  let previewTimer: ReturnType<typeof setInterval> | null = null;
  const calls: MockControl['calls'] = [];

  const emit = (view: View, extra: Partial<ViewUpdate> = {}) => {
    seq += 1;
    current = updateFor(view, { idleSecondsLeft: current.idleSecondsLeft, ...extra, seq });
    listener?.(current);
  };
  const later = (ms: number, f: () => void) => {
    if (scripted) timers.push(setTimeout(f, ms));
  };
  const clearTimers = () => {
    timers.forEach(clearTimeout);
    timers = [];
  };

  async function command(cmd: string, args: unknown[], act: () => void): Promise<void> {
    calls.push({ cmd, args });
    await Promise.resolve();
    if (pendingError) {
      const e = pendingError;
      pendingError = null;
      throw e;
    }
    act();
  }

  const wipe = () => {
    clearTimers();
    emit(SCREENS.attract(), { reset: true, idleSecondsLeft: null });
  };

  const backend: Backend = {
    async subscribe(onUpdate) {
      calls.push({ cmd: 'subscribe', args: [] });
      listener = onUpdate;
      onUpdate(current);
    },
    begin: () => command('begin', [], () => emit(SCREENS.identify())),
    submitUpn: (upn) =>
      command('submit_upn', [upn], () => {
        if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(upn)) return emit(SCREENS.identifyInvalid());
        emit(SCREENS.checking());
        later(1200, () => emit(SCREENS.chooseProvider()));
      }),
    chooseProvider: (provider, path) =>
      command('choose_provider', [provider, path], () => {
        const card = PROVIDERS.find((p) => p.id === provider) ?? PROVIDERS[0]!;
        if (card.linkOnly) {
          // Its own onboarding page at once; "I have added it" moves on.
          emit({ screen: 'scanId', provider: card, path: 'phone', link: QR.onboarding, phoneOpened: false, capture: null });
        } else if (path === 'phone') {
          emit({ screen: 'scanId', provider: card, path, link: null, phoneOpened: false, capture: null });
          later(700, () => emit({ screen: 'scanId', provider: card, path, link: QR.phoneLink, phoneOpened: false, capture: null }));
          later(5000, () => emit({ screen: 'scanId', provider: card, path, link: QR.phoneLink, phoneOpened: true, capture: null }));
          later(9000, () => emit(SCREENS.openAuthenticator()));
          later(14000, () => emit(SCREENS.faceCheckInProgress()));
          later(18000, () => emit(SCREENS.faceCheckPassed()));
          later(21000, () => emit(SCREENS.tap()));
        } else {
          emit({ screen: 'scanId', provider: card, path, link: null, phoneOpened: false, capture: 'front' });
        }
      }),
    capture: (shot) =>
      command('capture', [shot], () => {
        const v = current.view;
        if (v.screen !== 'scanId') return;
        const next = shot === 'front' ? 'back' : shot === 'back' ? 'selfie' : 'uploading';
        emit({ ...v, capture: next });
        if (next === 'uploading') later(2500, () => emit(SCREENS.addToAuthenticator()));
      }),
    cameraPreview: (onFrame) =>
      command('camera_preview', [], () => {
        let n = 0;
        if (previewTimer) clearInterval(previewTimer);
        previewTimer = setInterval(() => {
          const f = syntheticFrame(n++);
          if (f) onFrame(f);
        }, 200);
      }),
    cameraStop: () =>
      command('camera_stop', [], () => {
        if (previewTimer) clearInterval(previewTimer);
        previewTimer = null;
      }),
    done: () => command('done', [], wipe),
    presentExisting: (choice) =>
      command('present_existing', [choice], () => {
        emit(SCREENS.openAuthenticator());
        later(4000, () => emit(SCREENS.faceCheckInProgress()));
        later(8000, () => emit(SCREENS.faceCheckPassed()));
        later(11000, () => emit(SCREENS.tap()));
      }),
    askForStaff: () =>
      command('ask_for_staff', [], () => {
        const v = current.view;
        if (v.screen === 'couldNotComplete' && v.staff === 'offered') emit({ ...v, staff: 'waiting' });
      }),
    addedToWallet: () =>
      command('added_to_wallet', [], () => {
        const v = current.view;
        if (v.screen !== 'scanId' || !v.provider.linkOnly) return;
        emit(SCREENS.openAuthenticatorPreparing());
        later(700, () => emit(SCREENS.openAuthenticator()));
        later(5000, () => emit(SCREENS.faceCheckInProgress()));
        later(9000, () => emit(SCREENS.faceCheckPassed()));
        later(12000, () => emit(SCREENS.tap()));
      }),
    cancel: () => command('cancel', [], wipe),
    activity: () =>
      command('activity', [], () => {
        if (current.idleSecondsLeft !== null) emit(current.view, { idleSecondsLeft: null });
      }),
    stationStatus: async () => STATION,
  };

  const control: MockControl = {
    show: (name, extra) => emit(SCREENS[name](), { idleSecondsLeft: null, ...extra }),
    push: (view, extra) => emit(view, { idleSecondsLeft: null, ...extra }),
    idle: (secondsLeft) => emit(current.view, { idleSecondsLeft: secondsLeft }),
    failNext: (error) => (pendingError = error),
    manual: () => {
      scripted = false;
      clearTimers();
    },
    calls,
    names: Object.keys(SCREENS) as ScreenName[],
  };
  setBackend(backend);
  window.__reclaimMock = control;
  return control;
}
