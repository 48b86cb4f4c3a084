import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';

// `vite build` → dist/ (the Tauri shell embeds it). `vite build --mode mock` → a build whose
// backend is the scripted mock in src/mock/ (browser UI tests only; never shipped).
export default defineConfig(({ mode }) => ({
  plugins: process.env.VITEST ? [svelte(), svelteTesting()] : [svelte()],
  base: './',
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: {
    target: 'es2022',
    outDir: mode === 'mock' ? 'dist-mock' : 'dist',
    emptyOutDir: true,
    // No inline data: URLs for fonts/images: the CSP allows only 'self'.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
  test: {
    environment: 'jsdom',
    include: ['tests/unit/**/*.test.ts'],
    setupFiles: ['tests/unit/setup.ts'],
    restoreMocks: true,
  },
}));
