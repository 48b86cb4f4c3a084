// What the UI itself remembers between backend updates: the last update, presentation
// preferences (language, contrast) and the last command error. No business rules live here:
// the backend decides what comes next, the UI only renders `update.view`.
import { DEFAULT_LANG, setLang } from '../i18n/index.svelte';
import { backend, toErrorView } from './ipc/backend';
import type { ErrorCode, ViewUpdate } from './ipc/bindings';

class AppState {
  update = $state<ViewUpdate | null>(null);
  highContrast = $state(false);
  /** The last failed command, localised by the error banner. */
  error = $state<ErrorCode | null>(null);
  /** A command is in flight (buttons show it and ignore repeats). */
  busy = $state(false);
  /** Increases on every wipe; screens are keyed on it so their local state starts fresh. */
  resets = $state(0);
}

export const app = new AppState();

/** Apply a pushed update (older or repeated ones are ignored unless they carry a reset). */
export function applyUpdate(u: ViewUpdate): void {
  const current = app.update;
  if (current && u.seq <= current.seq && !u.reset) return;
  // The station's language (its configuration's `locale`) when the kiosk starts and after a wipe.
  if (!current) {
    performance.mark('reclaim:first-view');
    setLang(u.station.defaultLocale);
  }
  if (u.reset) {
    setLang(u.station.defaultLocale);
    app.highContrast = false;
    app.error = null;
    app.busy = false;
    app.resets += 1;
  }
  if (current?.view.screen !== u.view.screen) app.error = null;
  app.update = u;
}

/**
 * Run a backend command: marks the UI busy, and turns a rejection into a localised banner.
 * `notNow` (a double tap while the backend moves on) changes nothing and is not shown.
 */
export async function run(command: () => Promise<unknown>): Promise<boolean> {
  app.busy = true;
  app.error = null;
  try {
    await command();
    return true;
  } catch (e) {
    const err = toErrorView(e);
    if (err.code !== 'notNow') app.error = err.code;
    return false;
  } finally {
    app.busy = false;
  }
}

/** Reset on the UI side only (used by tests and by `reset` updates). */
export function resetUi(): void {
  setLang(DEFAULT_LANG);
  app.update = null;
  app.highContrast = false;
  app.error = null;
  app.busy = false;
  app.resets += 1;
}

const ACTIVITY_MIN_INTERVAL_MS = 2000;
let lastActivity = -Infinity;

/** Tell the backend the person is here (throttled to one call per 2 s). */
export function activity(now: number = Date.now()): void {
  if (now - lastActivity < ACTIVITY_MIN_INTERVAL_MS) return;
  lastActivity = now;
  backend()
    .activity()
    .catch(() => {});
}

/** Forget the throttle (tests). */
export function resetActivityThrottle(): void {
  lastActivity = -Infinity;
}
