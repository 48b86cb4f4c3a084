// The one place the UI talks to the backend. Screens call `backend()`; the Tauri shell's
// commands are the default implementation, tests and the mock build install their own with
// `setBackend`.
import { Channel, invoke } from '@tauri-apps/api/core';
import type {
  ErrorCode,
  ErrorView,
  PreviewFrame,
  ScanPath,
  Shot,
  StationView,
  ViewUpdate,
} from './bindings';

export interface Backend {
  /** Pushes the current update at once, then every change. */
  subscribe(onUpdate: (update: ViewUpdate) => void): Promise<void>;
  begin(): Promise<void>;
  submitUpn(upn: string): Promise<void>;
  chooseProvider(provider: string, path: ScanPath): Promise<void>;
  capture(shot: Shot): Promise<void>;
  cameraPreview(onFrame: (frame: PreviewFrame) => void): Promise<void>;
  cameraStop(): Promise<void>;
  done(): Promise<void>;
  askForStaff(): Promise<void>;
  presentExisting(choice: string): Promise<void>;
  /** A link-only provider's scan step: "I have added it". */
  addedToWallet(): Promise<void>;
  cancel(): Promise<void>;
  activity(): Promise<void>;
  stationStatus(): Promise<StationView>;
}

/** Every error code, as a record TypeScript keeps exhaustive. */
const ERROR_CODES: Record<ErrorCode, true> = {
  invalidInput: true,
  notNow: true,
  cameraUnavailable: true,
  outOfService: true,
  engineStopped: true,
  internal: true,
};

function isErrorCode(v: unknown): v is ErrorCode {
  return typeof v === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, v);
}

/** Whatever a command rejected with, as an `ErrorView` (unknown shapes become `internal`). */
export function toErrorView(e: unknown): ErrorView {
  if (e && typeof e === 'object' && 'code' in e && isErrorCode((e as { code: unknown }).code)) {
    const message = (e as { message?: unknown }).message;
    return { code: (e as { code: ErrorCode }).code, message: typeof message === 'string' ? message : '' };
  }
  return { code: 'internal', message: e instanceof Error ? e.message : String(e) };
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw toErrorView(e);
  }
}

/** The Tauri shell's commands (`src-tauri`). */
export const tauriBackend: Backend = {
  subscribe(onUpdate) {
    const onUpdateChannel = new Channel<ViewUpdate>();
    onUpdateChannel.onmessage = onUpdate;
    return call('subscribe', { onUpdate: onUpdateChannel });
  },
  begin: () => call('begin'),
  submitUpn: (upn) => call('submit_upn', { upn }),
  chooseProvider: (provider, path) => call('choose_provider', { provider, path }),
  capture: (shot) => call('capture', { shot }),
  cameraPreview(onFrame) {
    const onFrameChannel = new Channel<PreviewFrame>();
    onFrameChannel.onmessage = onFrame;
    return call('camera_preview', { onFrame: onFrameChannel });
  },
  cameraStop: () => call('camera_stop'),
  done: () => call('done'),
  askForStaff: () => call('ask_for_staff'),
  presentExisting: (choice) => call('present_existing', { choice }),
  addedToWallet: () => call('added_to_wallet'),
  cancel: () => call('cancel'),
  activity: () => call('activity'),
  stationStatus: () => call<StationView>('station_status'),
};

let current: Backend = tauriBackend;

/** The backend the UI talks to. */
export function backend(): Backend {
  return current;
}

/** Swap the backend (unit tests, the mock build). */
export function setBackend(b: Backend): void {
  current = b;
}
