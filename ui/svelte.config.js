import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

export default {
  preprocess: vitePreprocess(),
  compilerOptions: {
    // Strict CSP (style-src 'self'): every style lives in the emitted CSS file, never inline.
    css: 'external',
    runes: true,
  },
};
