// The entry script: the styles, and the subscription to the backend's views opened before the
// rest of the UI (./boot, a separate chunk) is loaded, so the first view's round trip overlaps
// loading and compiling it.
// The kiosk's two typefaces (declared `block`, woff2 only: see kioskFonts in vite.config.ts).
import '@fontsource/atkinson-hyperlegible-next/400.css';
import '@fontsource/atkinson-hyperlegible-next/700.css';
import '@fontsource/atkinson-hyperlegible-mono/400.css';
import '@fontsource/atkinson-hyperlegible-mono/700.css';
import './app.css';
import { openFeed } from './lib/feed';
import { backend } from './lib/ipc/backend';

// Start-up marks: bench/startup_memory.py keeps them in each round's page timeline.
performance.mark('reclaim:script');

async function start(): Promise<void> {
  // The mock build (browser UI tests, `npm run dev -- --mode mock`) swaps in a scripted
  // backend. In a normal build this branch is compiled out, mock code included.
  if (import.meta.env.MODE === 'mock') {
    const { installMockBackend } = await import('./mock/mockBackend');
    installMockBackend();
  }
  performance.mark('reclaim:subscribe');
  const feed = openFeed(backend());
  const { mountApp } = await import('./boot');
  mountApp(feed);
}

void start();
