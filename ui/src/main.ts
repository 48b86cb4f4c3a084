import '@fontsource/atkinson-hyperlegible-next/400.css';
import '@fontsource/atkinson-hyperlegible-next/700.css';
import '@fontsource/atkinson-hyperlegible-mono/400.css';
import '@fontsource/atkinson-hyperlegible-mono/700.css';
import './app.css';
import { mount } from 'svelte';
import App from './App.svelte';

// Start-up marks, read by bench/startup_memory.py (`--breakdown`) to see where the time goes.
performance.mark('reclaim:script');

async function start(): Promise<void> {
  // The mock build (browser UI tests, `npm run dev -- --mode mock`) swaps in a scripted
  // backend. In a normal build this branch is compiled out, mock code included.
  if (import.meta.env.MODE === 'mock') {
    const { installMockBackend } = await import('./mock/mockBackend');
    installMockBackend();
  }
  const target = document.getElementById('app');
  if (target) mount(App, { target });
}

void start();
