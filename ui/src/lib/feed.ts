// The backend's view updates from the page's first moment: the subscription is opened by the
// entry script before the rest of the UI is loaded, and what arrives meanwhile is kept until the
// app takes it. Its round trip then overlaps loading the UI instead of following it.
import type { Backend } from './ipc/backend';
import type { ViewUpdate } from './ipc/bindings';

export interface Feed {
  /** Hands over what arrived so far, in order, then every update as it comes; `onError` gets a
   *  failed subscription (now, if it already failed). Call once. */
  take(onUpdate: (update: ViewUpdate) => void, onError: (error: unknown) => void): void;
}

/** Subscribes to `backend` at once; updates wait in the feed until [`Feed.take`]. */
export function openFeed(backend: Backend): Feed {
  let waiting: ViewUpdate[] = [];
  let failure: { error: unknown } | null = null;
  let deliver: ((update: ViewUpdate) => void) | null = null;
  let fail: ((error: unknown) => void) | null = null;

  backend
    .subscribe((update) => (deliver ? deliver(update) : waiting.push(update)))
    .catch((error: unknown) => (fail ? fail(error) : (failure = { error })));

  return {
    take(onUpdate, onError) {
      if (deliver) throw new Error('the view feed is already taken');
      const arrived = waiting;
      waiting = [];
      deliver = onUpdate;
      fail = onError;
      for (const update of arrived) onUpdate(update);
      if (failure) onError(failure.error);
    },
  };
}
