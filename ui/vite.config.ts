import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';
import type { Plugin } from 'vite';

// The fontsource packages declare each face `font-display: swap` with a woff fallback. The kiosk
// declares them `block` and woff2 only (its WebKit reads woff2): its files come from the app within
// milliseconds and the latin ones are preloaded (below), so the first layout uses them; with `swap`
// WebKit first laid the page out in fallback fonts looked up through fontconfig, which delayed the
// attract screen's first paint by ~150 ms (bench/README.md).
function kioskFonts(): Plugin {
  return {
    name: 'reclaim-kiosk-fonts',
    enforce: 'pre',
    transform(code, id) {
      if (!/@fontsource\/atkinson-hyperlegible-(next|mono)\/\d+\.css$/.test(id)) return null;
      return code
        .replace(/font-display:\s*swap/g, 'font-display: block')
        .replace(/,\s*url\([^)]*\.woff\)\s*format\(['"]woff['"]\)/g, '');
    },
  };
}

// What the first screen needs, fetched at once rather than when discovered: the UI proper
// (src/boot.ts, which the entry script loads only after it has opened the view feed) and the
// latin faces of the kiosk's typefaces (latin-ext loads when a language needs it).
function preloadFirstScreen(): Plugin {
  return {
    name: 'reclaim-preload-first-screen',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler(_html, ctx) {
        const files = Object.values(ctx.bundle ?? {});
        const boot = files.filter((f) => f.type === 'chunk' && f.isDynamicEntry && f.name === 'boot');
        const fonts = files.filter(
          (f) => f.type === 'asset' && /-latin-(400|700)-normal-[\w-]+\.woff2$/.test(f.fileName),
        );
        return [
          ...boot.map((f) => ({
            tag: 'link',
            attrs: { rel: 'modulepreload', crossorigin: true, href: `./${f.fileName}` },
            injectTo: 'head' as const,
          })),
          ...fonts.map((f) => ({
            tag: 'link',
            attrs: { rel: 'preload', as: 'font', type: 'font/woff2', crossorigin: true, href: `./${f.fileName}` },
            injectTo: 'head' as const,
          })),
        ];
      },
    },
  };
}

// `vite build` → dist/ (the Tauri shell embeds it). `vite build --mode mock` → a build whose
// backend is the scripted mock in src/mock/ (browser UI tests only; never shipped).
export default defineConfig(({ mode }) => ({
  plugins: process.env.VITEST ? [svelte(), svelteTesting()] : [kioskFonts(), svelte(), preloadFirstScreen()],
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
