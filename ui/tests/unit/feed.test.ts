import { render, screen } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import App from '../../src/App.svelte';
import { resetUi } from '../../src/lib/app.svelte';
import { openFeed } from '../../src/lib/feed';
import { setBackend, type Backend } from '../../src/lib/ipc/backend';
import type { ViewUpdate } from '../../src/lib/ipc/bindings';
import { updateFor } from '../../src/mock/fixtures';

/** A backend whose subscription the test drives: `push` an update, `settle` or `reject` the call. */
function scriptedBackend() {
  let onUpdate: ((u: ViewUpdate) => void) | null = null;
  let settle: (() => void) | null = null;
  let reject: ((e: unknown) => void) | null = null;
  const backend = {
    subscribe: vi.fn(
      (cb: (u: ViewUpdate) => void) =>
        new Promise<void>((res, rej) => {
          onUpdate = cb;
          settle = res;
          reject = rej;
        }),
    ),
  } as unknown as Backend;
  return {
    backend,
    push: (seq: number) => onUpdate!(updateFor({ screen: 'attract' }, { seq })),
    settle: () => settle!(),
    reject: (e: unknown) => reject!(e),
  };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('the view feed', () => {
  it('subscribes at once, before anyone takes it', () => {
    const b = scriptedBackend();
    openFeed(b.backend);
    expect(b.backend.subscribe).toHaveBeenCalledTimes(1);
  });

  it('hands over what arrived before it was taken, in order, then each update as it comes', () => {
    const b = scriptedBackend();
    const feed = openFeed(b.backend);
    b.push(1);
    b.push(2);
    const seen: number[] = [];
    feed.take((u) => seen.push(u.seq), () => {});
    expect(seen).toEqual([1, 2]);
    b.push(3);
    expect(seen).toEqual([1, 2, 3]);
  });

  it('reports a subscription that failed before it was taken', async () => {
    const b = scriptedBackend();
    const feed = openFeed(b.backend);
    b.reject({ code: 'engineStopped', message: 'stopped' });
    await flush();
    const onError = vi.fn();
    feed.take(() => {}, onError);
    expect(onError).toHaveBeenCalledWith({ code: 'engineStopped', message: 'stopped' });
  });

  it('reports a subscription that fails after it was taken, and nothing when it succeeds', async () => {
    const failing = scriptedBackend();
    const onError = vi.fn();
    openFeed(failing.backend).take(() => {}, onError);
    expect(onError).not.toHaveBeenCalled();
    failing.reject({ code: 'internal', message: 'x' });
    await flush();
    expect(onError).toHaveBeenCalledTimes(1);

    const fine = scriptedBackend();
    const quiet = vi.fn();
    openFeed(fine.backend).take(() => {}, quiet);
    fine.settle();
    await flush();
    expect(quiet).not.toHaveBeenCalled();
  });

  it('can be taken once only', () => {
    const feed = openFeed(scriptedBackend().backend);
    feed.take(() => {}, () => {});
    expect(() => feed.take(() => {}, () => {})).toThrow();
  });
});

describe('the app with a feed opened before it loaded', () => {
  it('shows the view that arrived meanwhile as it mounts, without subscribing again', () => {
    resetUi();
    const b = scriptedBackend();
    const feed = openFeed(b.backend);
    b.push(1);
    const other = { subscribe: vi.fn(async () => {}) } as unknown as Backend;
    setBackend(other);
    render(App, { props: { feed } });
    expect(screen.getByRole('button', { name: /start/i })).toBeEnabled();
    expect(other.subscribe).not.toHaveBeenCalled();
    expect(b.backend.subscribe).toHaveBeenCalledTimes(1);
  });
});
