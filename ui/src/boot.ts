// The UI proper, loaded by the entry script once the view feed is open.
import { mount } from 'svelte';
import App from './App.svelte';
import type { Feed } from './lib/feed';

export function mountApp(feed: Feed): void {
  performance.mark('reclaim:ui-loaded');
  const target = document.getElementById('app');
  if (target) mount(App, { target, props: { feed } });
  performance.mark('reclaim:mounted');
}
