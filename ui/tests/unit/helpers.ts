import { render } from '@testing-library/svelte';
import { flushSync, tick } from 'svelte';
import { vi } from 'vitest';
import App from '../../src/App.svelte';
import { setLang, DEFAULT_LANG } from '../../src/i18n/index.svelte';
import { resetActivityThrottle, resetUi } from '../../src/lib/app.svelte';
import { setBackend, type Backend } from '../../src/lib/ipc/backend';
import type { PreviewFrame, View, ViewUpdate } from '../../src/lib/ipc/bindings';
import { updateFor } from '../../src/mock/fixtures';

export type FakeBackend = { [K in keyof Backend]: ReturnType<typeof vi.fn> } & Backend;

/** Render the whole app against a fake backend; `push` sends it a view. */
export async function renderApp(first: View, extra: Partial<ViewUpdate> = {}) {
  resetUi();
  resetActivityThrottle();
  setLang(DEFAULT_LANG);
  let onUpdate: ((u: ViewUpdate) => void) | null = null;
  let onFrame: ((f: PreviewFrame) => void) | null = null;
  let seq = 0;
  const ok = () => vi.fn(async () => {});
  const backend = {
    subscribe: vi.fn(async (cb: (u: ViewUpdate) => void) => {
      onUpdate = cb;
      seq += 1;
      cb(updateFor(first, { ...extra, seq }));
    }),
    begin: ok(),
    submitUpn: ok(),
    chooseProvider: ok(),
    capture: ok(),
    cameraPreview: vi.fn(async (cb: (f: PreviewFrame) => void) => {
      onFrame = cb;
    }),
    cameraStop: ok(),
    done: ok(),
    askForStaff: ok(),
    presentExisting: ok(),
    addedToWallet: ok(),
    cancel: ok(),
    activity: ok(),
    stationStatus: vi.fn(async () => updateFor(first).station),
  } as unknown as FakeBackend;
  setBackend(backend);
  const result = render(App);
  await tick();
  const push = async (view: View, more: Partial<ViewUpdate> = {}) => {
    seq += 1;
    onUpdate!(updateFor(view, { seq, ...more }));
    flushSync();
    await tick();
  };
  return { ...result, backend, push, frame: (f: PreviewFrame) => onFrame?.(f) };
}
