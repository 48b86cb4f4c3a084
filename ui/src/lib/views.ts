import type { View } from './ipc/bindings';

/** The view of one screen, e.g. `ViewOf<'tap'>`. */
export type ViewOf<S extends View['screen']> = Extract<View, { screen: S }>;
