// Every kiosk screen size: the mock build (dist-mock/) under the kiosk's CSP in Debian's Chromium
// (playwright-core), every screen fixture at each panel a kiosk comes with, in every language on
// the screens with the longest texts. For each, asserts that
//   * the main action (the primary buttons: `main .btn-primary`, the provider path buttons) is
//     inside the window, with nothing to scroll (document and <main> fit);
//   * no main-action button overlaps another interactive element (bounding rectangles);
//   * no text runs out of its box sideways (an element's text wider than the element, or a block
//     whose content is wider than itself).
// Screenshots of the main screens go to test-results/sizes/ (UI_SIZES_DOCS=1: docs/screenshots/sizes/).
// Ends with `sizes: N passed, N failed`.
import { createServer } from 'node:http';
import { mkdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const dist = join(root, 'dist-mock');
const shots = process.env.UI_SIZES_DOCS === '1' ? resolve(root, '../docs/screenshots/sizes') : join(root, 'test-results', 'sizes');
const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const only = process.env.UI_TEST_FILTER || '';

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.woff2': 'font/woff2',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
};

function serve() {
  const server = createServer(async (req, res) => {
    try {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      const file = normalize(join(dist, path === '/' ? 'index.html' : path));
      if (!file.startsWith(dist)) throw new Error('outside');
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-security-policy': CSP, 'cache-control': 'no-store' });
      res.end(body);
    } catch {
      res.writeHead(404, { 'content-security-policy': CSP });
      res.end('not found');
    }
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

const results = [];
async function test(name, fn) {
  if (only && !name.includes(only)) return;
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`  ok   ${name}`);
  } catch (e) {
    results.push({ name, ok: false });
    console.log(`  FAIL ${name}\n       ${String(e?.message ?? e).split('\n').slice(0, 8).join('\n       ')}`);
  }
}

/** The panels kiosks come with (CSS px; the 4K panel at 200 % is 1920×1080 CSS px). */
export const SIZES = [
  { tag: '1280x1024', width: 1280, height: 1024, scale: 1 },
  { tag: '1366x768', width: 1366, height: 768, scale: 1 },
  { tag: '1920x1080', width: 1920, height: 1080, scale: 1 },
  { tag: '1080x1920', width: 1080, height: 1920, scale: 1 },
  { tag: '4k-200', width: 1920, height: 1080, scale: 2 },
  // A window of about this size showed Start over the language buttons.
  { tag: 'window-950x1070', width: 950, height: 1070, scale: 1 },
];

/** Screens photographed at every size. */
const PHOTOGRAPHED = ['attract', 'identify', 'chooseProvider', 'chooseProviderExisting', 'scanIdPhone', 'scanIdLinkOnly', 'openAuthenticator', 'tap', 'tapVerifiedId', 'couldNotComplete', 'couldNotCompleteStaffOffered'];
/** Screens checked in every language (the longest texts). */
const LONG = ['attract', 'identifyInvalid', 'chooseProvider', 'chooseProviderExisting', 'chooseProviderLinkOnly', 'scanIdPhone', 'scanIdLinkOnly', 'scanIdCameraRetake', 'faceCheckFailed', 'openAuthenticator', 'tap', 'tapVerifiedId', 'couldNotCompleteDuplicate', 'couldNotCompleteStaffOffered', 'couldNotCompleteStaffWaiting'];
const LANGS = ['Deutsch', 'Français', 'Español', 'Polski'];

/** Runs in the page: every problem with the layout, as sentences. */
function layoutProblems() {
  const out = [];
  const vw = window.innerWidth;
  const vh = window.innerHeight;
  const se = document.scrollingElement;
  if (se.scrollHeight > vh + 1) out.push(`the page scrolls: ${se.scrollHeight}px high in a ${vh}px window`);
  if (se.scrollWidth > vw + 1) out.push(`the page scrolls sideways: ${se.scrollWidth}px wide in a ${vw}px window`);
  const main = document.querySelector('main');
  if (main && main.scrollHeight > main.clientHeight + 1) out.push(`<main> overflows by ${main.scrollHeight - main.clientHeight}px`);
  if (main && main.scrollWidth > main.clientWidth + 1) out.push(`<main> overflows sideways by ${main.scrollWidth - main.clientWidth}px`);

  const visible = (el) => {
    const r = el.getBoundingClientRect();
    const cs = getComputedStyle(el);
    // 1 px boxes are visually hidden text (.sr-only, step names kept for screen readers).
    return r.width > 1 && r.height > 1 && cs.visibility !== 'hidden' && cs.display !== 'none';
  };
  const name = (el) => `${el.tagName.toLowerCase()}${el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : ''} "${(el.textContent || el.getAttribute('aria-label') || '').trim().replace(/\s+/g, ' ').slice(0, 30)}"`;

  const primaries = [...document.querySelectorAll('main .btn-primary, main .btn-path')].filter(visible);
  const interactive = [...document.querySelectorAll('button, input, select, textarea, a[href], [role=button], [tabindex]:not([tabindex="-1"])')].filter(visible);
  if (document.querySelector('main') && !document.querySelector('.screen-checking, .screen-progress') && primaries.length === 0) {
    // Screens without a button of their own (waiting screens) have none: nothing to check.
  }
  for (const p of primaries) {
    const a = p.getBoundingClientRect();
    if (a.top < -1 || a.left < -1 || a.bottom > vh + 1 || a.right > vw + 1)
      out.push(`main action ${name(p)} is outside the window (${Math.round(a.left)},${Math.round(a.top)}–${Math.round(a.right)},${Math.round(a.bottom)})`);
    for (const o of interactive) {
      if (o === p || p.contains(o) || o.contains(p)) continue;
      const b = o.getBoundingClientRect();
      const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (w > 1 && h > 1) out.push(`main action ${name(p)} overlaps ${name(o)} by ${Math.round(w)}×${Math.round(h)}px`);
    }
  }

  // Nothing drawn over anything else: every line of text and every control against every other
  // (a block that overflows its grid row into the next one passes the scroll checks above).
  const boxes = [];
  for (const el of interactive) boxes.push({ el, r: el.getBoundingClientRect(), what: name(el) });
  const walker = document.createTreeWalker(document.querySelector('.shell') ?? document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!n.textContent.trim() || !el || !visible(el) || el.closest('.sr-only, svg')) continue;
    const range = document.createRange();
    range.selectNodeContents(n);
    for (const r of range.getClientRects()) if (r.width > 1 && r.height > 1) boxes.push({ el, r, what: `text "${n.textContent.trim().slice(0, 30)}"` });
  }
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i], b = boxes[j];
      if (a.el === b.el || a.el.contains(b.el) || b.el.contains(a.el)) continue;
      const w = Math.min(a.r.right, b.r.right) - Math.max(a.r.left, b.r.left);
      const h = Math.min(a.r.bottom, b.r.bottom) - Math.max(a.r.top, b.r.top);
      // A glyph box is taller than a tight line (line-height 1.1): a third of the smaller
      // height is an overlap a reader sees, a few pixels of ascender are not.
      const tolerance = Math.max(2, 0.34 * Math.min(a.r.height, b.r.height));
      if (w > 2 && h > tolerance) out.push(`${a.what} overlaps ${b.what} by ${Math.round(w)}×${Math.round(h)}px`);
    }
  }
  // Nothing cut off at the top of the screen area (content centred in too little height).
  if (main) {
    const top = main.getBoundingClientRect().top;
    for (const el of main.querySelectorAll('*')) {
      if (!visible(el) || el.closest('.sr-only')) continue;
      const r = el.getBoundingClientRect();
      if (r.top < top - 1) out.push(`${name(el)} is cut off above the screen area by ${Math.round(top - r.top)}px`);
    }
  }

  // Text wider than its box.
  for (const el of document.querySelectorAll('.shell *')) {
    // Hidden-by-clipping text for screen readers, and drawings, are not text on screen.
    if (!visible(el) || el.closest('svg, .sr-only') || !el.textContent.trim()) continue;
    const cs = getComputedStyle(el);
    const r = el.getBoundingClientRect();
    if (cs.display !== 'inline' && cs.overflowX !== 'hidden' && el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0)
      out.push(`${name(el)}: content ${el.scrollWidth}px wide in a ${el.clientWidth}px box`);
    for (const n of el.childNodes) {
      if (n.nodeType !== Node.TEXT_NODE || !n.textContent.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(n);
      const t = range.getBoundingClientRect();
      if (t.width === 0) continue;
      if (t.left < r.left - 1 || t.right > r.right + 1) out.push(`${name(el)}: its text (${Math.round(t.width)}px) runs out of its ${Math.round(r.width)}px box`);
      if (t.right > vw + 1 || t.left < -1) out.push(`${name(el)}: its text runs out of the window`);
    }
  }
  return [...new Set(out)];
}

async function openPage(browser, size) {
  const context = await browser.newContext({
    viewport: { width: size.width, height: size.height },
    deviceScaleFactor: size.scale,
    reducedMotion: 'reduce',
  });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(String(e)));
  await page.goto(`${baseUrl}/`);
  await page.waitForFunction(() => !!window.__reclaimMock && !!document.querySelector('#screen-title'));
  await page.evaluate(() => window.__reclaimMock.manual());
  await page.evaluate(async () => {
    await Promise.all(['400 22px "Atkinson Hyperlegible Next"', '700 22px "Atkinson Hyperlegible Next"', '700 22px "Atkinson Hyperlegible Mono"'].map((f) => document.fonts.load(f, 'aąłź0')));
    await document.fonts.ready;
  });
  return { context, page, problems };
}

async function show(page, name) {
  await page.evaluate((n) => window.__reclaimMock.show(n), name);
  await page.waitForTimeout(60);
  if (name.startsWith('scanIdCamera') && name !== 'scanIdCameraUploading')
    await page.waitForSelector('.camera-starting', { state: 'detached', timeout: 5000 });
}

async function setLang(page, lang) {
  await show(page, 'attract');
  await page.getByRole('button', { name: lang, exact: true }).click();
}

async function fits(page, label) {
  const issues = await page.evaluate(layoutProblems);
  if (issues.length) throw new Error(`${label}:\n${issues.join('\n')}`);
}

if (!existsSync(executablePath)) {
  console.error(`${executablePath} is missing: apt-get install -y chromium (or set CHROMIUM_PATH).`);
  console.log('sizes: 0 passed, 1 failed');
  process.exit(1);
}
if (!existsSync(join(dist, 'index.html'))) {
  console.error('dist-mock/ is missing: run `vite build --mode mock --outDir dist-mock` first (npm run test:browser does).');
  process.exit(2);
}
await mkdir(shots, { recursive: true });
const server = await serve();
const baseUrl = `http://127.0.0.1:${server.address().port}`;
const browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--font-render-hinting=none'] });

try {
  for (const size of SIZES) {
    const p = await openPage(browser, size);
    const names = await p.page.evaluate(() => window.__reclaimMock.names);
    for (const name of names) {
      await test(`${size.tag}: ${name} fits, main action clear and in view`, async () => {
        await show(p.page, name);
        await p.page.waitForTimeout(100);
        if (PHOTOGRAPHED.includes(name)) await p.page.screenshot({ path: join(shots, `${size.tag}-${name}.png`) });
        await fits(p.page, name);
      });
    }
    for (const lang of LANGS) {
      await test(`${size.tag}: ${lang} on the longest screens`, async () => {
        await setLang(p.page, lang);
        const bad = [];
        for (const name of LONG) {
          await show(p.page, name);
          await p.page.waitForTimeout(60);
          try {
            await fits(p.page, `${lang} ${name}`);
          } catch (e) {
            bad.push(e.message);
          }
        }
        await setLang(p.page, 'English');
        if (bad.length) throw new Error(bad.join('\n'));
      });
    }
    await test(`${size.tag}: no page errors`, async () => {
      if (p.problems.length) throw new Error(p.problems.join('; '));
    });
    await p.context.close();
  }
} finally {
  await browser.close();
  server.close();
}

const passed = results.filter((r) => r.ok).length;
console.log(`screenshots: ${shots}`);
console.log(`sizes: ${passed} passed, ${results.length - passed} failed`);
process.exit(results.length > 0 && passed === results.length ? 0 : 1);
